"""Flashcards: Leitner scheduling, the widget, the printed PDF/HTML, and the command line."""
import errno
import hashlib
import os
import re
import signal
import subprocess
import sys

import pytest
from pypdf import PdfReader

from helpers import files
from helpers.course.content import Flashcard, load_deck
from helpers.course import flashcard_print
from helpers.course.flashcard_print import (MIN_FONT_PT, PAPERS, PageLayout, card_page, main, print_flashcards,
                                            write_html, write_pdf)
from helpers.course.flashcards import FlashcardDeck, PrintButton
from helpers.course.leitner import due_boxes, practice_queue, requeue
from helpers.course.progress import ProgressStore
from helpers.paths import REPOSITORY_DIR

EVIL = '<script>alert("owned")</script>'


@pytest.fixture(autouse=True)
def progress_file(tmp_path, monkeypatch):
    monkeypatch.setenv("BERT_COURSE_PROGRESS", str(tmp_path / "progress.json"))


def norm(text):
    return re.sub(r"\s+", " ", text).strip()


# ---------------------------------------------------------------- scheduling

def test_due_boxes_follow_powers_of_two():
    assert [due_boxes(r) for r in (1, 2, 3, 4, 8, 16)] == [[1], [1, 2], [1], [1, 2, 3], [1, 2, 3, 4],
                                                          [1, 2, 3, 4, 5]]
    with pytest.raises(ValueError, match="round_number=0 is not allowed"):
        due_boxes(0)


def test_practice_queue_lowest_box_first_and_seeded():
    ids = [f"c{i}" for i in range(8)]
    boxes = {"c0": 2, "c1": 3, "c2": 1}  # the rest have never been seen: box 1
    queue = practice_queue(ids, boxes, round_number=2, seed=0)
    assert "c1" not in queue  # box 3 rests in round 2
    assert queue[-1] == "c0" and set(queue[:-1]) == set(ids) - {"c0", "c1"}
    assert queue == practice_queue(ids, boxes, round_number=2, seed=0)
    assert queue != practice_queue(ids, boxes, round_number=2, seed=1)
    # nothing due this round: practise the lowest boxes instead of showing nothing
    assert practice_queue(["a", "b"], {"a": 3, "b": 4}, round_number=1) == ["a"]


def test_missed_card_comes_back_sooner():
    assert requeue(["a", "b", "c", "d"], knew=True) == ["b", "c", "d"]
    assert requeue(["a", "b", "c", "d"], knew=False) == ["b", "c", "a", "d"]
    assert requeue(["a", "b"], knew=False) == ["b", "a"]
    with pytest.raises(ValueError, match="queue=\\[\\]"):
        requeue([], knew=True)


# ---------------------------------------------------------------- widget

def test_flip_next_previous():
    deck = FlashcardDeck(save=False)
    cards = load_deck()
    assert norm(cards[0].front) in norm(deck.card.value) and "Question" in deck.header.value
    deck.flip_button.click()
    assert "self-attention has no causal mask" in deck.card.value and "Answer" in deck.header.value
    deck.next_button.click()
    assert deck.current == cards[1] and not deck.showing_back
    deck.prev_button.click()
    deck.prev_button.click()
    assert deck.current == cards[-1]  # wraps around


def test_shuffle_is_seeded():
    a, b, c = FlashcardDeck(seed=3, save=False), FlashcardDeck(seed=3, save=False), FlashcardDeck(seed=4, save=False)
    for d in (a, b, c):
        d.shuffle_button.click()
    assert a.order == b.order != list(range(12)) and a.order != c.order
    assert sorted(a.order) == list(range(12))


def test_practice_moves_cards_between_boxes_and_persists():
    deck = FlashcardDeck(seed=0)
    deck.mode_toggle.value = "practice"
    assert deck.round == 1 and len(deck.queue) == 12  # round 1: all cards are in box 1
    assert deck.knew_button.disabled  # judge yourself only after flipping
    first, second = deck.queue[0], deck.queue[1]
    deck.flip()
    deck.knew_button.click()
    assert deck.boxes[first] == 2 and first not in deck.queue
    deck.flip()
    deck.not_yet_button.click()
    assert deck.boxes[second] == 1 and deck.queue.index(second) == 2  # back soon, in this round
    saved = ProgressStore().load()
    assert saved["cards"][first]["box"] == 2 and saved["cards"][second]["box"] == 1
    while deck.queue:
        deck.flip()
        deck.answer(True)
    assert "Round 1 done" in deck.header.value and deck.flip_button.disabled
    deck.round_button.click()
    assert deck.round == 2 and len(deck.queue) == 12 and not deck.flip_button.disabled
    # next session: round 3 practises box 1 only (box 2 rests); the widget remembers boxes
    deck2 = FlashcardDeck(seed=0)
    deck2.set_mode("practice")
    assert deck2.round == 3 and deck2.mode_toggle.value == "practice"
    assert set(deck2.boxes.values()) == {2}  # every card was known once
    assert deck2.queue == practice_queue([c.id for c in load_deck()], deck2.boxes, 3)  # none due: lowest box


def test_deck_escapes_text_and_has_a_static_fallback():
    cards = [Flashcard("evil", EVIL, "front " + EVIL, "back " + EVIL)]
    deck = FlashcardDeck(cards, save=False)
    deck.flip()
    bundle = deck._repr_mimebundle_()
    for text in (deck.card.value, deck.header.value, bundle["text/html"]):
        assert "<script" not in text and "&lt;script&gt;" in text
    full = FlashcardDeck(save=False)._repr_mimebundle_()["text/html"]
    assert full.count("<details>") == 12 and "Show the answer" in full


# ---------------------------------------------------------------- printing

@pytest.fixture(scope="module")
def a4_pdf(tmp_path_factory):
    return write_pdf(tmp_path_factory.mktemp("pdf") / "cards.pdf", paper="a4")


def test_pdf_has_front_then_back_of_each_card(a4_pdf):
    cards = load_deck()
    pages = PdfReader(a4_pdf).pages
    assert len(pages) == 24
    for n, card in enumerate(cards, start=1):
        front, back = norm(pages[2 * n - 2].extract_text()), norm(pages[2 * n - 1].extract_text())
        assert norm(card.front) in front and f"Card {n} of 12" in front and card.topic in front
        assert "QUESTION" in front
        assert norm(card.back) in back and f"Card {n} of 12" in back and "ANSWER" in back
        assert norm(card.back) not in front


def test_pdf_page_size_and_fronts_only(tmp_path):
    out = write_pdf(tmp_path / "fronts.pdf", paper="letter", fronts_only=True)
    reader = PdfReader(out)
    assert len(reader.pages) == 12
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)  # 8.5 x 11 in, in points
    assert all("ANSWER" not in p.extract_text() for p in reader.pages)


@pytest.mark.parametrize("paper", sorted(PAPERS))
def test_longest_card_fits_the_page(paper):
    cards = load_deck()
    longest = max(cards, key=lambda c: len(c.back))
    layout = PageLayout.for_paper(paper)
    fig = card_page(longest, "back", 1, 12, paper)
    renderer = fig.canvas.get_renderer()
    body = next(t for t in fig.texts if t.get_gid() == "card-body")
    bbox = body.get_window_extent(renderer)
    left, bottom, w, h = (v * fig.dpi for v in layout.body_box)
    assert bbox.x0 >= left - 1 and bbox.x1 <= left + w + 1, (bbox, left, w)
    assert bbox.y0 >= bottom - 1 and bbox.y1 <= bottom + h + 1, (bbox, bottom, h)
    assert MIN_FONT_PT <= body.get_fontsize() <= layout.max_body_pt
    assert norm(body.get_text()) == norm(longest.back)  # wrapping lost no word
    header = next(t for t in fig.texts if t.get_gid() == "card-header").get_window_extent(renderer)
    m = layout.margin * fig.dpi
    assert header.y1 <= layout.height * fig.dpi - m + 1 and header.x0 >= m - 1


def test_text_too_long_for_any_page_is_a_clear_error():
    huge = Flashcard("huge", "t", "front", "word " * 3000)
    with pytest.raises(ValueError, match="is too long.*Shorten the card"):
        card_page(huge, "back", 1, 1, "a6")


def test_html_print_view(tmp_path):
    cards = load_deck()[:2] + [Flashcard("evil", "t", EVIL, "b")]
    text = write_html(tmp_path / "cards.html", cards, paper="a6").read_text()
    assert "@page { size: 105mm 148mm;" in text and "break-after: page" in text
    assert text.count('<section class="page') == 6
    assert "<script" not in text and "&lt;script&gt;" in text


def test_print_button_writes_pdf_and_html(tmp_path):
    button = PrintButton(tmp_path / "out" / "deck.pdf", paper="a6", fronts_only=True)
    pdf, page = button.print()
    assert pdf.read_bytes()[:5] == b"%PDF-" and len(PdfReader(pdf).pages) == 12
    assert page == tmp_path / "out" / "deck.html" and page.exists()


def test_cli_print_and_bad_paper(tmp_path, capsys):
    assert main(["print", "--out", str(tmp_path / "x.pdf"), "--paper", "a6", "--fronts-only"]) == 0
    assert len(PdfReader(tmp_path / "x.pdf").pages) == 12 and (tmp_path / "x.html").exists()
    assert "wrote" in capsys.readouterr().out
    bad = subprocess.run([sys.executable, "-m", "helpers.course.flashcards", "print", "--paper", "a5",
                          "--out", str(tmp_path / "y.pdf")], capture_output=True, text=True)
    assert bad.returncode != 0
    assert "invalid choice: 'a5'" in bad.stderr and "a4" in bad.stderr
    assert not (tmp_path / "y.pdf").exists()
    with pytest.raises(ValueError, match="paper='a5' is not allowed: it must be one of 'a4', 'letter', 'a6'"):
        print_flashcards(tmp_path / "z.pdf", paper="a5")


def test_committed_print_files_are_current(tmp_path):
    """flashcards/flashcards.pdf and .html are generated from the deck: regenerate them if this fails."""
    from helpers.course.flashcard_print import DEFAULT_PDF
    assert DEFAULT_PDF.exists(), "run: python -m helpers.course.flashcards print"
    pages = PdfReader(DEFAULT_PDF).pages
    assert len(pages) == 24
    assert [norm(c.back) in norm(p.extract_text()) for c, p in zip(load_deck(), pages[1::2])] == [True] * 12
    assert DEFAULT_PDF.with_suffix(".html").read_text() == write_html(tmp_path / "f.html").read_text()


# ---------------------------------------------------------------- printing never loses a file

def _cli(tmp_path, *args):
    """Run the print command in-process; return (exit status, stdout, stderr)."""
    import contextlib
    import io
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(["print", "--paper", "a6", "--fronts-only", *args])
    return status, out.getvalue(), err.getvalue()


def _one_line_error(status, err, *fragments):
    assert status == 2
    assert err.endswith("\n") and err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith("python -m helpers.course.flashcards print: error: ")
    for fragment in fragments:
        assert fragment in err, (fragment, err)


def test_out_ending_in_html_is_refused_before_writing(tmp_path):
    """--out cards.html used to write the PDF there, then the HTML over it."""
    status, _, err = _cli(tmp_path, "--out", str(tmp_path / "cards.html"))
    _one_line_error(status, err, "--out=", "cards.html", "must end in .pdf")
    assert list(tmp_path.iterdir()) == []


def test_unrelated_html_or_pdf_next_to_out_is_left_alone(tmp_path):
    """--out notes.pdf used to replace an existing, unrelated notes.html without a word."""
    notes = tmp_path / "notes.html"
    notes.write_text("<html>my own notes</html>")
    status, _, err = _cli(tmp_path, "--out", str(tmp_path / "notes.pdf"))
    _one_line_error(status, err, "notes.html", "was not written by a flashcard print", "give --html")
    assert notes.read_text() == "<html>my own notes</html>" and not (tmp_path / "notes.pdf").exists()
    # --html puts the print view elsewhere, and the print goes ahead
    status, out, _ = _cli(tmp_path, "--out", str(tmp_path / "notes.pdf"), "--html", str(tmp_path / "view.html"))
    assert status == 0 and "wrote" in out and (tmp_path / "view.html").exists()
    assert notes.read_text() == "<html>my own notes</html>"
    # an unrelated PDF is not replaced either; an earlier print is
    (tmp_path / "paper.pdf").write_bytes(b"%PDF-1.4 someone else's paper")
    status, _, err = _cli(tmp_path, "--out", str(tmp_path / "paper.pdf"))
    _one_line_error(status, err, "paper.pdf", "left untouched")
    assert (tmp_path / "paper.pdf").read_bytes() == b"%PDF-1.4 someone else's paper"
    assert _cli(tmp_path, "--out", str(tmp_path / "notes.pdf"), "--html", str(tmp_path / "view.html"))[0] == 0


def test_out_that_is_a_folder_or_under_a_file_is_one_line(tmp_path):
    (tmp_path / "deck.pdf").mkdir()
    _one_line_error(*_cli(tmp_path, "--out", str(tmp_path / "deck.pdf"))[::2], "is a folder")
    (tmp_path / "file").write_text("x")
    _one_line_error(*_cli(tmp_path, "--out", str(tmp_path / "file" / "d.pdf"))[::2], "is a file, not a folder")
    status, _, err = _cli(tmp_path, "--out", str(tmp_path / "x.html"), "--debug")
    assert status == 2 and "Traceback" in err  # the full story only when asked for


def test_a_print_that_fails_half_way_keeps_the_previous_files(tmp_path):
    pdf, page = print_flashcards(tmp_path / "deck.pdf", "a6", fronts_only=True)
    before = pdf.read_bytes(), page.read_bytes()
    cards = load_deck()[:2] + [Flashcard("huge", "t", "word " * 3000, "b")] + load_deck()[2:4]
    with pytest.raises(ValueError, match=r"card 3 \('huge'\), front: .*too long"):
        print_flashcards(pdf, "a6", cards=cards)
    assert (pdf.read_bytes(), page.read_bytes()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deck.html", "deck.pdf"]  # no temporary litter


def test_a_crash_while_writing_the_pdf_keeps_the_old_one(tmp_path, monkeypatch):
    pdf = write_pdf(tmp_path / "deck.pdf", load_deck()[:2], paper="a6")
    before = pdf.read_bytes()
    real, calls = flashcard_print.card_page, []

    def failing_page(card, side, number, total, paper):
        calls.append(number)
        if number == 3:
            raise OSError("simulated: disk full")
        return real(card, side, number, total, paper)

    monkeypatch.setattr(flashcard_print, "card_page", failing_page)
    with pytest.raises(OSError, match="disk full"):
        write_pdf(pdf, load_deck()[:4], paper="a6")
    assert calls[-1] == 3 and pdf.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["deck.pdf"]


def test_dollar_signs_print_literally(tmp_path):
    """'$5 ... $2' used to be read as maths ("It costs 5andthetipis2"); '$\\frac{1$' crashed the print."""
    cards = [Flashcard("money", "t", "It costs $5 and the tip is $2", "A fraction: $\\frac{1$ stays as typed")]
    pages = PdfReader(write_pdf(tmp_path / "money.pdf", cards, paper="a6")).pages
    assert "It costs $5 and the tip is $2" in norm(pages[0].extract_text())
    assert "$\\frac{1$ stays as typed" in norm(pages[1].extract_text())
    assert "$5" in write_html(tmp_path / "money.html", cards).read_text()


def test_no_cards_is_a_clear_error(tmp_path):
    """write_pdf(cards=[]) used to return a path and write nothing."""
    for write in (write_pdf, write_html):
        with pytest.raises(ValueError, match=r"cards=\[\] is not allowed: there is nothing to print"):
            write(tmp_path / ("x.pdf" if write is write_pdf else "x.html"), cards=[])
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("text, shown", [("BERT \U0001F917 and \U0001F680", "U+1F917"), ("BERT 读书", "U+8BFB")])
def test_characters_the_font_cannot_draw_name_the_card(tmp_path, text, shown):
    """Emoji and CJK used to print as empty boxes with only a warning."""
    cards = load_deck()[:1] + [Flashcard("glyphs", "t", "front", text)]
    with pytest.raises(ValueError, match=rf"card 2 \('glyphs'\) cannot be printed: its back has characters "
                                         rf"the PDF's font \(DejaVuSans\) has no glyph for: .*{re.escape(shown)}"):
        print_flashcards(tmp_path / "d.pdf", cards=cards)
    assert list(tmp_path.iterdir()) == []
    # accents, Greek and arrows are fine
    write_pdf(tmp_path / "ok.pdf", [Flashcard("ok", "t", "café, naïve, λ → softmax", "x")], paper="a6")


def test_practice_queue_refuses_a_box_outside_1_to_5():
    with pytest.raises(ValueError, match=r"boxes\['a'\]=9 is not allowed: a Leitner box is 1..5"):
        practice_queue(["a", "b"], {"a": 9}, round_number=1)


def test_newer_progress_file_is_reported_by_the_deck_not_raised(tmp_path, monkeypatch):
    path = tmp_path / "newer.json"
    path.write_text('{"version": 7}')
    monkeypatch.setenv("BERT_COURSE_PROGRESS", str(path))
    deck = FlashcardDeck(seed=0)
    deck.set_mode("practice")
    assert "Progress not saved" in deck.status.value and "newer version" in deck.status.value
    assert len(deck.queue) == 12 and path.read_text() == '{"version": 7}'


def _digests(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_a_full_disk_during_a_print_is_one_line_and_the_earlier_print_stays(tmp_path, monkeypatch, capsys):
    pdf, page = print_flashcards(tmp_path / "deck.pdf", "a6", fronts_only=True)
    before = _digests(tmp_path)

    def disk_full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", disk_full)  # the data did not fit when it was flushed
    assert main(["print", "--out", str(pdf), "--paper", "a6"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and "zlib" not in err
    assert f"could not write {str(pdf)!r}: the disk is full; the file there was left as it was" in err
    assert _digests(tmp_path) == before


def test_a_real_write_failure_during_a_print_keeps_the_earlier_print(tmp_path):
    """The print command under a file-size limit smaller than the PDF: the OS refuses the write."""
    resource = pytest.importorskip("resource")
    pdf, _ = print_flashcards(tmp_path / "deck.pdf", "a6", fronts_only=True)
    before = _digests(tmp_path)

    def limit_file_size():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    done = subprocess.run([sys.executable, "-m", "helpers.course.flashcards", "print", "--out", str(pdf),
                           "--paper", "a6"], capture_output=True, text=True, preexec_fn=limit_file_size,
                          cwd=REPOSITORY_DIR, env={**os.environ, "PYTHONPATH": str(REPOSITORY_DIR)}, timeout=300)
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "could not write" in done.stderr and "left as it was" in done.stderr
    assert _digests(tmp_path) == before
