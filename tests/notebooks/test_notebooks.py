"""The committed notebooks: built from their sources, stored WITH outputs, shaped like lessons.

nbval (configured in pyproject.toml) re-executes every notebook and compares outputs; these tests
check what nbval cannot: that the committed ``.ipynb`` files match their sources in
``notebooks/src``, that they were saved after a complete run (outputs and execution counts
present, no errors), that each opens with what the learner will do and learn and ends with a
summary and a pointer to the next notebook, that the curriculum's topics all appear somewhere, and
that the recorded run times and memory fit the course's budget.

The course has a core path and optional deep dives. Core notebooks are numbered 00 to 07 without a
letter (00_start_here ... 07_flashcards); each one's "Next" links the next core notebook. Optional
notebooks carry a letter after the number of the core notebook they follow (04a after 04; 05a, 05b,
05c after 05), say "Optional" in their first cell, and link the next core notebook. The core path has
limits of its own (words of prose, seconds of computing: ``scripts/course_length.py``).
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest

from scripts_as_modules import load_script  # tests/ is on sys.path (conftest.py)

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
SOURCES = sorted((NOTEBOOKS / "src").glob("[0-9][0-9]*_*.py"))
IPYNBS = sorted(NOTEBOOKS.glob("[0-9][0-9]*_*.ipynb"))
NAME = re.compile(r"^(?P<number>[0-9]{2})(?P<letter>[a-z]?)_[a-z0-9_]+$")  # 04_pretraining, 05b_bert_at_real_scale

build = load_script("scripts/build_notebooks.py")

length = load_script("scripts/course_length.py")


def load(path: Path):
    return nbformat.read(path, as_version=4)


CORE_NOTEBOOKS = 8  # 00_start_here to 07_flashcards


def is_core(path: Path) -> bool:
    return not NAME.match(path.stem)["letter"]


CORE = [p for p in IPYNBS if is_core(p)]


def next_core(path: Path) -> Path | None:
    """The core notebook a learner goes on to after ``path`` (None after the last)."""
    number = int(NAME.match(path.stem)["number"])
    later = [p for p in CORE if int(NAME.match(p.stem)["number"]) > number]
    return later[0] if later else None


def test_the_sequence_is_complete_and_starts_with_start_here():
    names = [p.stem for p in IPYNBS]
    assert names[0] == "00_start_here", "the Makefile opens notebooks/00_start_here.ipynb"
    assert all(NAME.match(n) for n in names), names
    core_numbers = [int(NAME.match(p.stem)["number"]) for p in CORE]
    assert core_numbers == list(range(CORE_NOTEBOOKS)), (
        f"the core path is notebooks 00 to 07, one each, without a letter: {[p.stem for p in CORE]}")
    assert CORE[-1].stem == "07_flashcards" and "06_self_check" in [p.stem for p in CORE], (
        "the core path ends with the self-check and the flashcards")
    for path in IPYNBS:
        if not is_core(path):
            assert int(NAME.match(path.stem)["number"]) < CORE_NOTEBOOKS - 1, (
                f"{path.name}: an optional notebook follows a core one before the self-check (04a, 05b, ...)")
    assert names == [p.stem for p in SOURCES], "every notebook needs its source in notebooks/src and vice versa"


@pytest.mark.parametrize("path", [p for p in IPYNBS if not is_core(p)], ids=lambda p: p.stem)
def test_optional_notebook_says_so_in_its_first_cell(path):
    first = next(c.source for c in load(path).cells if c.cell_type == "markdown")
    lines = [line for line in first.splitlines() if line.strip()]
    assert re.search(r"\boptional\b", "\n".join(lines[:2]), re.I), (
        f"{path.name} is an optional deep dive: its title or the line after it must say 'Optional'")


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_committed_notebook_matches_its_source(source):
    stored = load(NOTEBOOKS / f"{source.stem}.ipynb")
    fresh = build.to_notebook(source)
    assert [(c.cell_type, c.source) for c in stored.cells] == [(c.cell_type, c.source) for c in fresh.cells], (
        f"{source.name} changed since the notebook was built: run python scripts/build_notebooks.py {source.stem[:2]}")


def _should_print(source: str) -> bool:
    """A code cell that prints, plots, or ends with an expression must have stored output."""
    tree = ast.parse(source)
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        return True
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            if name == "print" or name.startswith("plot_"):
                return True
    return False


@pytest.mark.parametrize("path", IPYNBS, ids=lambda p: p.stem)
def test_notebook_is_stored_with_the_outputs_of_a_complete_run(path):
    nb = load(path)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, f"{path.name} has no code cells"
    counts = [c.execution_count for c in code]
    assert counts == list(range(1, len(code) + 1)), (
        f"{path.name}: execution counts {counts} are not 1..{len(code)}: save it after one complete "
        "run (python scripts/build_notebooks.py)")
    for i, cell in enumerate(code):
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert not errors, f"{path.name}, code cell {i}: stored error {errors[0].get('ename')}"
        if _should_print(cell.source):
            assert cell.outputs, f"{path.name}, code cell {i} should show output but has none:\n{cell.source[:200]}"


@pytest.mark.parametrize("path", IPYNBS, ids=lambda p: p.stem)
def test_notebook_opens_with_what_you_will_learn_and_ends_with_summary_and_next(path):
    markdown = [c.source for c in load(path).cells if c.cell_type == "markdown"]
    opening = "\n".join(markdown[:2])
    assert re.search(r"^#\s+\S", markdown[0], re.M), f"{path.name} must open with a title"
    assert re.search(r"what you will (do and )?learn", opening, re.I), (
        f"{path.name} must open with what the learner will do and learn")
    closing = markdown[-1]
    assert re.search(r"^##\s+summary", "\n".join(markdown[-2:]), re.I | re.M), f"{path.name} must end with a summary"
    links = re.findall(r"\]\(([0-9]{2}[a-z]?_[a-z0-9_]+\.ipynb)\)", closing)
    assert links, f"{path.name} must end with a link to where to go next"
    for link in links:
        assert (NOTEBOOKS / link).exists(), f"{path.name} links to a missing notebook {link}"
    following = next_core(path)
    if following is not None:
        assert following.name in links, f"{path.name} must point to the next core notebook, {following.name}"
    else:
        assert "RoBERTa" in closing, "the last notebook points to the next lesson, RoBERTa"


def _all_course_text() -> str:
    parts = [c.source for path in IPYNBS for c in load(path).cells]
    parts += [(ROOT / "helpers" / "course" / "data" / "quizzes.toml").read_text(),
              (ROOT / "flashcards" / "deck.toml").read_text()]
    return "\n".join(parts)


# One pattern per curriculum item (../shared/CURRICULUM.md): each must appear in the notebooks,
# the quizzes or the flashcards.
CURRICULUM = {
    "no causal mask": r"causal mask",
    "copying": r"copy",
    "15% selection": r"15\s?%",
    "structural tokens never selected": r"never selected",
    "80/10/10": r"80/10/10",
    "random replacement example": r"telescope|random token",
    "predict the original": r"original token",
    "loss at selected positions only": r"selected positions only",
    "why the mix": r"fine-tuning and inference inputs contain no",
    "NSP pairs": r"random sentence",
    "segment layout": r"\[CLS\] A \[SEP\] B \[SEP\]",
    "segment embeddings": r"segment embedding",
    "NSP head on CLS": r"head on the `?\[CLS\]`? output",
    "RoBERTa dropped NSP": r"RoBERTa",
    "two stages": r"pre-train once",
    "frozen or end to end": r"end to end",
    "unlabeled data is free": r"unlabeled (text|data) is essentially free",
    "cost of pre-training": r"cost of training BERT\W{0,3} (usually|almost always) means\W{0,3}pre-training",
    "MASK only in pre-training": r"no `?\[MASK\]`?",
    "teddy bear example": r"teddy bear is so cute",
    "trace example": r"the small dog barks at the mailman",
    "the head decides the task": r"head decides the task",
    "per-token heads": r"per-token",
    "extractive QA start/end": r"(start/end|start and end) (head|positions?|of the answer)",
    "named entities": r"entit",
    "paraphrase": r"paraphrase",
}


@pytest.mark.parametrize("topic", CURRICULUM, ids=str)
def test_every_curriculum_topic_appears(topic):
    assert re.search(CURRICULUM[topic], _all_course_text(), re.I), f"curriculum topic {topic!r} appears nowhere"


def test_recorded_times_and_memory_fit_the_budget():
    table = (NOTEBOOKS / "timings.md").read_text()
    rows = {}
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0].endswith(".ipynb"):
            rows[cells[0]] = (float(cells[1]), float(cells[2]), float(cells[3]))
    assert set(rows) == {p.name for p in IPYNBS}, "timings.md must list every notebook (rebuild them all)"
    # The time a notebook needs is at most its wall time, and at most the CPU time its kernel used
    # (that much work takes no longer than that on an idle core): a build on a machine busy with other
    # work inflates the wall time but not the work.
    needed = {name: min(wall, cpu) for name, (wall, _, cpu) in rows.items()}
    for name, (wall, megabytes, cpu) in rows.items():
        assert needed[name] <= 120, f"{name} took {wall} s wall, {cpu} s CPU (budget: 120 s per notebook)"
        assert megabytes <= 2048, f"{name} peaked at {megabytes} MB (budget: 2 GB)"
    assert sum(needed.values()) <= 600, "the whole sequence must run in 10 minutes"


def test_core_path_fits_its_limits():
    """The core path's limits: at most 9,000 words of prose and 6 minutes of computing in all (the wall
    times of notebooks/timings.md; the 120 s per notebook is checked for every notebook above)."""
    core = [row for row in length.course_lengths(with_activities=False) if row.core]
    assert [row.name for row in core] == [p.stem for p in CORE]
    missing = [row.name for row in core if row.seconds is None]
    assert not missing, f"timings.md has no time for {missing}: rebuild them (python scripts/build_notebooks.py)"
    words = {row.name: row.words for row in core}
    assert sum(words.values()) <= length.CORE_LIMITS["words"], (
        f"the core path has {sum(words.values()):,} words of prose (limit {length.CORE_LIMITS['words']:,}): {words}")
    seconds = {row.name: row.seconds for row in core}
    assert sum(seconds.values()) <= length.CORE_LIMITS["seconds"], (
        f"the core path computes for {sum(seconds.values()):.0f} s (limit 360 s): {seconds}")


def test_course_length_counts_prose_and_activities(tmp_path):
    source = tmp_path / "03_example.py"
    source.write_text("# %% [markdown]\n# # Title\n#\n# four words of prose\n\n# %%\n"
                      "predict_first('predict-copy-collapse')\ncheck_nsp_example(f)\nquiz('nsp', kind='multiple_choice')\n")
    assert length.prose_words(source) == 6  # "#", "Title" and the four words
    found = length.activities(source)
    assert found["prediction"] == 1 and found["coding exercise"] == 1
    from helpers.course.content import load_quiz
    assert found["multiple-choice question"] == len(load_quiz("nsp", kind="multiple_choice")) > 0
    assert length.is_core("07_flashcards") and not length.is_core("05b_bert_at_real_scale")
    with pytest.raises(ValueError, match="is not a notebook name"):
        length.is_core("5b_scale")


def test_percent_format_parser_splits_cells():
    text = "# header comment, ignored\n# %% [markdown]\n# # Title\n#\n# text\n\n# %%\nx = 1\n\nprint(x)\n\n# %%\n"
    assert build.parse_percent(text) == [("markdown", "# Title\n\ntext"), ("code", "x = 1\n\nprint(x)")]
    with pytest.raises(ValueError, match="must start with"):
        build.parse_percent("# %% [markdown]\nnot a comment\n")


# A listing that solves an exercise: the check call it answers, and what the listing shows.
SOLUTION_LISTINGS = {
    "check_corrupt": ("mask_tokens",),
    "check_mlm_loss": ("BertForPreTraining.forward",),
    "check_heads": ("BertForSequenceClassification.forward", "BertForTokenClassification.forward",
                    "BertForQuestionAnswering.forward"),
    "check_align_labels": ("encode_example",),
}


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_a_solution_listing_comes_after_its_exercise_and_stays_folded(source):
    """Attempt first: the code that solves an exercise is listed only after the exercise's check, and
    through ``course_version`` (folded until the check passes), never with ``show_source``."""
    cells = [text for kind, text in build.parse_percent(source.read_text()) if kind == "code"]
    for check, listed in SOLUTION_LISTINGS.items():
        checked_at = next((i for i, text in enumerate(cells) if f"{check}(" in text), None)
        for i, text in enumerate(cells):
            for name in listed:
                for call in ("show_source(", "course_version("):
                    if re.search(re.escape(call) + r"[^)]*\b" + re.escape(name) + r"\b", text):
                        where = f"{source.name}: code cell {i} lists {name}"
                        assert call == "course_version(", f"{where} with show_source: it solves {check}'s exercise"
                        assert checked_at is not None and i > checked_at, f"{where} before {check}"


@pytest.mark.parametrize("path", IPYNBS, ids=lambda p: p.stem)
def test_stored_solution_listings_are_folded(path):
    """The saved view of a fresh run shows every course version folded (no learner has passed yet)."""
    for cell in load(path).cells:
        for output in cell.get("outputs", []):
            html = output.get("data", {}).get("text/html", "")
            if "bert-course-version" in html:
                assert "<details class=\"bert-course-version\">" in html, f"{path.name}: a listing is stored open"
