"""Quizzes remember the learner, in a real JupyterLab driven by headless Chromium.

A copy of notebook 6 is run; the learner answers two practice questions (one right, one wrong). The
kernel is restarted and the notebook run again, after the learner's shuffle seed in the progress file
has been changed (as if the choices' order had changed): the choices now stand in another order, the
quiz says each question was answered before, "Show my last answer" marks the choice that was chosen
(the right one, under its new letter), the score line counts the saved answers, and the review round
offers the question that was missed.

Uses the shared harness in ``tests/browser.py``; progress goes to a temporary file.
"""
import json
import shutil
from pathlib import Path

import pytest

from browser import chromium_page, jupyter_lab, notebook_errors, open_notebook, require_chromium, wait_for_kernel_idle
from helpers.course.content import load_quiz
from helpers.course.quiz import choice_order

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "06_self_check.ipynb"


def practice(qid):
    return next(q for q in load_quiz("practice") if q.id == qid)


def question_box(page, question):
    """The live widget of one question in the practice quiz (the review round may repeat it later)."""
    quiz = page.locator(".bert-quiz", has_text="Practice: the ideas in new situations")
    return quiz.locator(".bert-quiz-question", has_text=question.question.split("\n")[0][:60]).first


def fresh_run(page):
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    wait_for_kernel_idle(page, timeout=120)
    page.locator(".bert-quiz-review").wait_for(timeout=30_000)


def inline_order(box):
    """The texts of an inline question's buttons, left to right."""
    return [t.strip() for t in box.locator("button.jupyter-button").all_inner_texts()
            if t.strip() and "Show my last answer" not in t]


def test_answers_come_back_after_a_restart_in_a_new_order(tmp_path):
    require_chromium()
    root = tmp_path / "course"
    root.mkdir()
    shutil.copy(NOTEBOOK, root / NOTEBOOK.name)
    progress = tmp_path / "progress" / "progress.json"
    bio, generation = practice("practice-bio-classes"), practice("practice-generation")
    right = bio.choices[bio.correct_indices[0]]  # "9": a short choice, written on its button
    wrong = next(c for c in generation.choices if not c.correct)

    with jupyter_lab(root, env={"BERT_COURSE_PROGRESS": str(progress)}) as lab, chromium_page() as page:
        open_notebook(page, lab, NOTEBOOK.name)
        fresh_run(page)
        assert notebook_errors(page) == [], lab.log()[-2000:]
        practice_quiz = page.locator(".bert-quiz", has_text="Practice: the ideas in new situations")
        practice_quiz.get_by_text("Score: 0 of 10 correct (0 answered)").first.wait_for(timeout=10_000)
        page.locator(".bert-quiz-review").get_by_text("Nothing to review yet").wait_for(timeout=10_000)

        seed = json.loads(progress.read_text())["shuffle_seed"]  # a fresh file got the learner's seed
        box = question_box(page, bio)
        first_order = inline_order(box)
        assert first_order == [bio.choices[i].text for i in choice_order(bio, seed)]
        box.locator("button", has_text=right.text).first.click()
        box.get_by_text(right.feedback).wait_for(timeout=10_000)
        gen = question_box(page, generation)
        gen.locator(".widget-hbox", has_text=wrong.text).locator("button").first.click()
        gen.get_by_text(wrong.feedback).wait_for(timeout=10_000)
        practice_quiz.get_by_text("Score: 1 of 10 correct (2 answered)").first.wait_for(timeout=10_000)

        saved = json.loads(progress.read_text())
        assert saved["answers"][bio.id]["choice_ids"] == [right.id]
        assert saved["answers"][generation.id]["choice_ids"] == [wrong.id]

        # Another order on the next run: a seed under which the right answer stands elsewhere.
        right_index = bio.correct_indices[0]
        new_seed = next(s for s in range(1000) if choice_order(bio, s).index(right_index)
                        != choice_order(bio, seed).index(right_index))
        saved["shuffle_seed"] = new_seed
        progress.write_text(json.dumps(saved))

        page.evaluate("async () => { await window.jupyterapp.shell.currentWidget.sessionContext.restartKernel(); }")
        wait_for_kernel_idle(page, timeout=60)
        fresh_run(page)
        assert notebook_errors(page) == [], lab.log()[-2000:]

        box = question_box(page, bio)
        second_order = inline_order(box)
        assert second_order == [bio.choices[i].text for i in choice_order(bio, new_seed)] != first_order
        # Retrieval practice: right or wrong is said, the answer itself waits for a click.
        box.get_by_text("Answered before: right. Answer it again from memory.").wait_for(timeout=10_000)
        assert box.locator("button.mod-success").count() == 0
        box.locator("button", has_text="Show my last answer").click()
        letter = "ABCD"[choice_order(bio, new_seed).index(right_index)]
        box.get_by_text(f"Your last answer: {letter}. {right.text} (✓ right)").wait_for(timeout=10_000)
        marked = box.locator("button.mod-success")
        assert marked.count() == 1 and marked.inner_text().strip() == right.text
        assert "bert-choice-chosen-before" in marked.get_attribute("class")

        gen = question_box(page, generation)
        gen.get_by_text("Answered before: wrong. Try again.").wait_for(timeout=10_000)
        practice_quiz.get_by_text("Score: 1 of 10 correct (2 answered)").first.wait_for(timeout=10_000)
        review = page.locator(".bert-quiz-review")
        review.get_by_text("1 to try again").wait_for(timeout=10_000)
        review.locator(".bert-quiz-question", has_text=generation.question.split("\n")[0][:60]).wait_for(
            timeout=10_000)
        assert notebook_errors(page) == []
        assert not [e for e in page.console_errors if "widget" in e.lower()], page.console_errors
