"""The widgets in a real JupyterLab, driven by headless Chromium: answer, flip, print.

Needs Debian's ``chromium`` (``apt-get install -y chromium``); without it the test fails and says so.
Set ``BERT_COURSE_SCREENSHOTS=/some/dir`` to keep a screenshot of the rendered notebook.
"""
import os
from pathlib import Path

import nbformat
import pytest
from pypdf import PdfReader

from browser import chromium_page, jupyter_lab, notebook_errors, open_notebook, require_chromium, run_all_cells
from helpers.course.content import load_deck, load_quiz

pytestmark = pytest.mark.browser


def make_notebook(path: Path, pdf: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Widget check"),
        nbformat.v4.new_code_cell("from helpers.course.content import load_quiz\n"
                                  "from helpers.course.quiz import MultipleChoice\n"
                                  "from helpers.course.flashcards import FlashcardDeck, PrintButton\n"
                                  "question = next(q for q in load_quiz('mlm') if q.id == 'mlm-selection-rate')\n"
                                  "MultipleChoice(question)"),
        nbformat.v4.new_code_cell(f"FlashcardDeck(seed=0, print_out={str(pdf.with_name('deck.pdf'))!r})"),
        nbformat.v4.new_code_cell(f"PrintButton({str(pdf)!r}, paper='a6')"),
    ]
    nbformat.write(nb, path)


def test_answer_flip_and_print_in_jupyterlab(tmp_path):
    require_chromium()  # fail fast, before starting JupyterLab
    root = tmp_path / "lab"
    root.mkdir()
    pdf = tmp_path / "printed" / "cards.pdf"
    make_notebook(root / "widgets.ipynb", pdf)
    question = next(q for q in load_quiz("mlm") if q.id == "mlm-selection-rate")
    wrong = question.choices[0]  # answer wrongly first: feedback, then retry
    right = question.choices[question.correct_indices[0]]
    card = load_deck()[0]
    shots = os.environ.get("BERT_COURSE_SCREENSHOTS")

    with jupyter_lab(root, env={"BERT_COURSE_PROGRESS": str(tmp_path / "progress.json")}) as lab, \
            chromium_page() as page:
        open_notebook(page, lab, "widgets.ipynb")
        run_all_cells(page, timeout=60)
        assert notebook_errors(page) == [], lab.log()[-2000:]
        page.locator(".bert-quiz-question").first.wait_for(timeout=15_000)

        # live mode shows the widget, not the static fallback
        assert page.locator(".bert-course-static").count() == 0

        # multiple choice: a wrong answer, its feedback, then the right one
        page.locator("button", has_text=wrong.text).first.click()
        page.get_by_text(wrong.feedback).wait_for(timeout=10_000)
        page.locator("button", has_text=right.text).first.click()
        page.get_by_text(right.feedback).wait_for(timeout=10_000)

        # flashcard: flip and see the back
        deck = page.locator(".bert-flashcards")
        assert deck.get_by_text(card.front).is_visible()
        deck.locator("button", has_text="Flip").click()
        deck.get_by_text("self-attention has no causal mask", exact=False).wait_for(timeout=10_000)

        # keyboard: the Next button is focusable and Enter presses it
        deck.locator("button", has_text="Next").focus()
        page.keyboard.press("Enter")
        deck.get_by_text(load_deck()[1].front).wait_for(timeout=10_000)

        # print: the last "Print flashcards" button is the standalone one (a6 -> cards.pdf)
        page.locator("button", has_text="Print flashcards").last.click()
        page.get_by_text("cards.pdf", exact=True).wait_for(timeout=40_000)
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(shots) / "widgets.png"), full_page=True)
        assert notebook_errors(page) == []
        assert not [e for e in page.console_errors if "widget" in e.lower()], page.console_errors

    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert len(PdfReader(pdf).pages) == 24
    assert pdf.with_suffix(".html").exists()
    saved = (tmp_path / "progress.json").read_text()
    assert '"mlm-selection-rate"' in saved and '"attempts": 2' in saved


def test_html_print_view_prints_one_card_side_per_page(tmp_path):
    """Chromium's print of the HTML view: @page gives the paper size, break-after one side per page,
    and no card is so long that it spills onto a second page."""
    import re
    import unicodedata

    from helpers.course.flashcard_print import write_html

    def squash(text):  # compare without spaces and ligatures: the browser wraps and ligates freely
        return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))

    papers = {"a4": (595, 842), "letter": (612, 792), "a6": (298, 420)}  # points
    with chromium_page() as page:
        for paper in papers:
            page.goto(write_html(tmp_path / f"{paper}.html", paper=paper).as_uri())
            page.emulate_media(media="print")
            page.pdf(path=str(tmp_path / f"{paper}.pdf"), prefer_css_page_size=True)
    for paper, size_pt in papers.items():
        pages = PdfReader(tmp_path / f"{paper}.pdf").pages
        assert len(pages) == 24, paper
        box = pages[0].mediabox
        assert (round(float(box.width)), round(float(box.height))) == pytest.approx(size_pt, abs=2), paper
        for n, card in enumerate(load_deck(), start=1):
            front, back = (squash(pages[i].extract_text()) for i in (2 * n - 2, 2 * n - 1))
            assert squash(f"Card {n} of 12") in back and squash(card.back) in back, (paper, n)  # it all fits
            assert squash(card.front) in front, (paper, n)
