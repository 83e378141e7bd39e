"""A coding exercise in a real JupyterLab: type a wrong solution, read the check's feedback, ask for a
hint, type a correct one, see it pass, and reveal the solution.

Uses the shared harness in ``tests/browser.py`` (JupyterLab + headless Debian Chromium via
Playwright). The code is typed into the exercise cell's editor with the keyboard (select all, then
insert the text) and the cells are run with Shift+Enter, as a learner does.
"""
import json
import os
from pathlib import Path

import nbformat
import pytest

from browser import chromium_page, jupyter_lab, notebook_errors, open_notebook, require_chromium, run_all_cells

pytestmark = pytest.mark.browser

SKELETON = '''from helpers.constants import CLS_ID, IS_NEXT, IS_RANDOM, SEP_ID


def nsp_example(tokens_a, tokens_b, is_next):
    """Return input_ids, token_type_ids and next_sentence_label for [CLS] A [SEP] B [SEP]."""
    raise NotImplementedError("your code here")
'''

# Segment ids off by one (the first [SEP] is put in segment B) and the label convention flipped.
WRONG = '''from helpers.constants import CLS_ID, IS_NEXT, IS_RANDOM, SEP_ID


def nsp_example(tokens_a, tokens_b, is_next):
    input_ids = [CLS_ID] + tokens_a + [SEP_ID] + tokens_b + [SEP_ID]
    token_type_ids = [0] * (len(tokens_a) + 1) + [1] * (len(tokens_b) + 2)
    return {"input_ids": input_ids, "token_type_ids": token_type_ids,
            "next_sentence_label": 1 if is_next else 0}
'''

RIGHT = '''from helpers.constants import CLS_ID, IS_NEXT, IS_RANDOM, SEP_ID


def nsp_example(tokens_a, tokens_b, is_next):
    input_ids = [CLS_ID] + tokens_a + [SEP_ID] + tokens_b + [SEP_ID]
    token_type_ids = [0] * (len(tokens_a) + 2) + [1] * (len(tokens_b) + 1)
    return {"input_ids": input_ids, "token_type_ids": token_type_ids,
            "next_sentence_label": IS_NEXT if is_next else IS_RANDOM}
'''


def make_notebook(path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell("# Exercise check"),
                nbformat.v4.new_code_cell(SKELETON.strip()),
                nbformat.v4.new_code_cell("from helpers.course.exercises import check_nsp_example\n\n"
                                          "check_nsp_example(nsp_example)")]
    nbformat.write(nb, path)


def type_into_cell(page, index: int, code: str) -> None:
    """Click into code cell ``index``'s editor, select everything, and type ``code`` in its place."""
    editor = page.locator(".jp-Notebook .jp-CodeCell").nth(index).locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(code.strip())  # text input, without the editor's auto-indent on Enter


def run_cell_and_check(page, index: int) -> None:
    """Shift+Enter in the exercise cell, then in the check cell below it (the cursor moves there)."""
    page.locator(".jp-Notebook .jp-CodeCell").nth(index).locator(".cm-content").click()
    page.keyboard.press("Shift+Enter")
    page.keyboard.press("Shift+Enter")


def test_type_a_wrong_then_a_right_solution_and_see_each_feedback(tmp_path):
    require_chromium()
    root = tmp_path / "lab"
    root.mkdir()
    make_notebook(root / "exercise.ipynb")
    progress = tmp_path / "progress.json"
    shots = os.environ.get("BERT_COURSE_SCREENSHOTS")

    with jupyter_lab(root, env={"BERT_COURSE_PROGRESS": str(progress)}) as lab, chromium_page() as page:
        open_notebook(page, lab, "exercise.ipynb")
        run_all_cells(page, timeout=90)
        assert notebook_errors(page) == [], lab.log()[-2000:]
        feedback = page.locator(".bert-exercise").last
        feedback.get_by_text("Not yet", exact=False).wait_for(timeout=15_000)
        assert page.locator(".bert-course-static").count() == 0  # live widget, not the static copy
        assert feedback.locator("button", has_text="Show a solution").is_disabled()

        type_into_cell(page, 0, WRONG)
        run_cell_and_check(page, 0)
        feedback = page.locator(".bert-exercise").last
        feedback.get_by_text("Not there yet", exact=False).wait_for(timeout=20_000)
        assert feedback.get_by_text("[SEP]:1 b1:1", exact=False).count() >= 1  # segment ids shown per token
        assert feedback.get_by_text("for is_next=True the label is 1, but IS_NEXT = 0", exact=False).count() >= 1
        assert "IS_NEXT if is_next" not in feedback.inner_text()  # the feedback never shows the solution
        assert feedback.locator("button", has_text="Show a solution").is_disabled()  # a hint comes first
        feedback.locator("button", has_text="Show a hint").click()
        hint = feedback.locator(".bert-exercise-hint")
        hint.wait_for(timeout=10_000)
        assert "len(tokens_a) + 2" in hint.inner_text() and "IS_NEXT" in hint.inner_text()
        assert "IS_NEXT if is_next" not in hint.inner_text()  # the idea, not the code
        assert feedback.locator("button", has_text="Show a solution").is_enabled()

        type_into_cell(page, 0, RIGHT)
        run_cell_and_check(page, 0)
        feedback = page.locator(".bert-exercise").last
        feedback.get_by_text("Passed", exact=False).wait_for(timeout=20_000)
        button = feedback.locator("button", has_text="Show a solution")
        assert button.is_enabled()
        button.click()
        feedback.locator("pre", has_text="def nsp_example").wait_for(timeout=10_000)
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(shots) / "exercise.png"), full_page=True)
        assert notebook_errors(page) == []

    saved = json.loads(progress.read_text())["exercises"]["nsp-example"]
    assert (saved["attempts"], saved["passed"], saved["first_pass_attempt"]) == (2, True, 2)
    assert (saved["hints"], saved["reveals"]) == (1, 1)
