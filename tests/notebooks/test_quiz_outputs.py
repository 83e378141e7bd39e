"""What the committed notebooks' quiz outputs show: no position gives the answer away, notebook 6 is
practice rather than a repeat, and no stored output carries a learner's answers.

These read the stored outputs (the static view a reader without a kernel sees), so they hold only
after the notebooks are rebuilt from the current quiz bank (scripts/build_notebooks.py).
"""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import nbformat

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
IPYNBS = sorted(NOTEBOOKS.glob("[0-9][0-9]*_*.ipynb"))
PRACTICE = NOTEBOOKS / "06_self_check.ipynb"
QUESTION = re.compile(r"<strong>(?:Question|Task)(?: \d+)?\.</strong> (.*?)</p>")
ANSWER = re.compile(r"<strong>Answer:</strong> (.*?)</p>")


def _html_outputs(path: Path) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    return [o.get("data", {}).get("text/html", "") for c in nb.cells if c.cell_type == "code"
            for o in c.get("outputs", [])]


def shown_questions(path: Path) -> list[str]:
    """The first paragraph of every quiz question a notebook's stored outputs show."""
    return [q for html in _html_outputs(path) for q in QUESTION.findall(html)]


def right_answer_letters(path: Path) -> Counter:
    """Where the right answer sits in the stored static view, for the questions with one right answer."""
    letters = Counter()
    for html in _html_outputs(path):
        for answer in ANSWER.findall(html):
            found = re.findall(r"(?:^|, )([A-Z]): ", answer)
            if len(found) == 1:
                letters[found[0]] += 1
    return letters


def test_no_position_holds_more_than_40_percent_of_the_right_answers_in_the_stored_outputs():
    total = sum((right_answer_letters(p) for p in IPYNBS), Counter())
    assert sum(total.values()) >= 40, total
    assert max(total.values()) <= 0.4 * sum(total.values()), (
        f"right answers by position in the stored outputs: {dict(sorted(total.items()))}; rebuild the notebooks")


def test_notebook_6_repeats_at_most_a_fifth_of_its_questions_from_other_notebooks():
    practice = shown_questions(PRACTICE)
    elsewhere = {q for p in IPYNBS if p != PRACTICE for q in shown_questions(p)}
    repeated = [q for q in practice if q in elsewhere]
    assert len(practice) >= 22  # six self-checks, eight heads, eight to ten new questions
    assert len(repeated) <= 0.2 * len(practice), repeated


def test_stored_quiz_outputs_show_a_fresh_quiz():
    for path in IPYNBS:
        for html in _html_outputs(path):
            assert "Your last answer" not in html and "Answered before" not in html, path.name
            assert "bert-quiz-previous" not in html, path.name
    review = [h for h in _html_outputs(PRACTICE) if "Review round" in h]
    assert review and "A new learner has none yet" in review[0]
