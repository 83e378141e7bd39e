"""How long the course is: per notebook, core or optional, words of prose, seconds of computing, and an
estimate of the learner's minutes.

Usage (from the repository root)::

    python scripts/course_length.py            # a Markdown table, then the core path's totals

What is counted:

- **words**: the words of the notebook's markdown cells, in its source ``notebooks/src/<name>.py``
  (whitespace-separated, code listings in markdown included; code cells are not prose).
- **seconds**: the wall time of a fresh run, from ``notebooks/timings.md`` (``scripts/build_notebooks.py``
  writes it); a notebook that has no line there yet shows ``-`` and counts as 0.
- **learner minutes**, an estimate: reading the prose at ``READING_WORDS_PER_MINUTE`` (technical text
  reads slower than a novel), plus the computing time, plus a fixed allowance per activity found in
  the notebook's code cells (``ALLOWANCE_MINUTES``): each coding exercise (a ``check_...`` call), each
  think-first exercise (a ``trace_..._widget``), each prediction (``predict_first``), each question
  that a ``quiz(...)``, ``self_check()``, ``pick_the_head()`` or ``load_quiz(...)`` call puts on the
  page (by its kind), and each flashcard of a ``FlashcardDeck`` (one pass through the deck). Reading
  code and outputs has no allowance of its own; the slow reading rate stands in for it.

The core path is the notebooks whose number has no letter (``00`` to ``07``); lettered ones
(``04a``, ``05b``, ...) are optional deep dives. The course's limits for the core path are in
``CORE_LIMITS``; ``tests/notebooks/test_notebooks.py`` checks them with the functions of this file.
"""

import argparse
import ast
import importlib.util
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("build_notebooks", ROOT / "scripts" / "build_notebooks.py")
_build = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_build)
SOURCES, TIMINGS = _build.SOURCES, _build.TIMINGS  # where the builder reads the sources and writes the timings
NAME = re.compile(r"^(?P<number>[0-9]{2})(?P<letter>[a-z]?)_[a-z0-9_]+$")

READING_WORDS_PER_MINUTE = 150
ALLOWANCE_MINUTES = {
    "coding exercise": 10.0,      # write a function, run its check, fix, re-run
    "think-first exercise": 3.0,  # think through a trace, then compare with the widget
    "prediction": 1.0,            # read the question, choose
    "multiple-choice question": 1.0,
    "self-check question": 3.0,   # answer in your own words, then compare with the model answer
    "pick-the-head task": 0.5,
    "flashcard": 0.5,             # one pass through the deck
    "stretch exercise": 0.0,      # optional: listed, not counted in the path's time
}
STRETCH_CHECKS = ("check_fixed_count", "check_pretraining_loss", "check_align_labels")
QUESTION_KINDS = {"multiple_choice": "multiple-choice question", "self_check": "self-check question",
                  "pick_head": "pick-the-head task"}
CORE_LIMITS = {"words": 9_000, "seconds": 360.0, "seconds_per_notebook": 120.0}


@dataclass
class NotebookLength:
    name: str
    core: bool
    words: int
    seconds: float | None
    activities: Counter = field(default_factory=Counter)

    @property
    def minutes(self) -> float:
        reading = self.words / READING_WORDS_PER_MINUTE
        computing = (self.seconds or 0.0) / 60
        return reading + computing + sum(ALLOWANCE_MINUTES[k] * n for k, n in self.activities.items())


def is_core(name: str) -> bool:
    """``07_flashcards`` is core, ``05b_bert_at_real_scale`` optional."""
    match = NAME.match(name)
    if not match:
        raise ValueError(f"{name!r} is not a notebook name: expected two digits, an optional letter, "
                         "an underscore and a name, such as 04_pretraining or 05b_bert_at_real_scale")
    return not match["letter"]


def prose_words(source: Path) -> int:
    """Words of the markdown cells of one percent-format source."""
    return sum(len(text.split()) for kind, text in _build.parse_percent(source.read_text()) if kind == "markdown")


def recorded_seconds(timings: Path = TIMINGS) -> dict[str, float]:
    """Wall time per notebook stem, from the table of ``notebooks/timings.md``."""
    seconds = {}
    if not timings.exists():
        return seconds
    for line in timings.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0].endswith(".ipynb"):
            seconds[cells[0].removesuffix(".ipynb")] = float(cells[1])
    return seconds


def _call_name(node: ast.Call) -> str:
    if isinstance(node.func, ast.Name):
        return node.func.id
    return getattr(node.func, "attr", "")


def _constant_arguments(node: ast.Call) -> tuple[list, dict] | None:
    """The call's arguments if all are literals, else None."""
    try:
        args = [ast.literal_eval(a) for a in node.args]
        kwargs = {k.arg: ast.literal_eval(k.value) for k in node.keywords if k.arg}
    except ValueError:
        return None
    return args, kwargs


def activities(source: Path) -> Counter:
    """What the learner is asked to do in one notebook, counted from its code cells."""
    from helpers.course.content import load_deck, load_quiz  # imported late: only this needs the package

    found: Counter = Counter()
    for kind, text in _build.parse_percent(source.read_text()):
        if kind != "code":
            continue
        for node in ast.walk(ast.parse(text)):
            if not isinstance(node, ast.Call):
                continue
            name = _call_name(node)
            questions = None
            if name in STRETCH_CHECKS:
                found["stretch exercise"] += 1
            elif name.startswith("check_"):
                found["coding exercise"] += 1
            elif name.startswith("trace_") and name.endswith("_widget"):
                found["think-first exercise"] += 1
            elif name == "predict_first":
                found["prediction"] += 1
            elif name == "FlashcardDeck":
                found["flashcard"] += len(load_deck())
            elif name == "self_check":
                questions = load_quiz(kind="self_check")
            elif name == "pick_the_head":
                questions = load_quiz(kind="pick_head")
            elif name in ("quiz", "load_quiz"):
                arguments = _constant_arguments(node)
                if arguments is not None:
                    args, kwargs = arguments
                    kwargs = {k: v for k, v in kwargs.items() if k in ("kind", "notebook")}
                    questions = load_quiz(*args[:2], **kwargs)
            for question in questions or []:
                if question.kind in QUESTION_KINDS:
                    found[QUESTION_KINDS[question.kind]] += 1
    return found


def course_lengths(sources: Path = SOURCES, timings: Path = TIMINGS, *, with_activities: bool = True) -> list[NotebookLength]:
    """One :class:`NotebookLength` per notebook source, in course order."""
    seconds = recorded_seconds(timings)
    rows = []
    for source in sorted(sources.glob(_build.NOTEBOOK_GLOB)):
        rows.append(NotebookLength(name=source.stem, core=is_core(source.stem), words=prose_words(source),
                                   seconds=seconds.get(source.stem),
                                   activities=activities(source) if with_activities else Counter()))
    return rows


def _table(rows: list[NotebookLength]) -> str:
    lines = ["| notebook | path | words | seconds | learner minutes | activities |",
             "|---|---|---:|---:|---:|---|"]
    for row in rows:
        done = ", ".join(f"{n} {k}{'s' if n > 1 else ''}" for k, n in sorted(row.activities.items()))
        seconds = "-" if row.seconds is None else f"{row.seconds:.1f}"
        lines.append(f"| {row.name} | {'core' if row.core else 'optional'} | {row.words:,} | {seconds} | "
                     f"{row.minutes:.0f} | {done or '-'} |")
    return "\n".join(lines)


def _totals(label: str, rows: list[NotebookLength]) -> str:
    words = sum(r.words for r in rows)
    seconds = sum(r.seconds or 0.0 for r in rows)
    minutes = sum(r.minutes for r in rows)
    return (f"{label}: {len(rows)} notebooks, {words:,} words of prose ({words / READING_WORDS_PER_MINUTE:.0f} min "
            f"of reading), {seconds:.0f} s of computing, about {minutes:.0f} min ({minutes / 60:.1f} h) of work")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    rows = course_lengths()
    core = [r for r in rows if r.core]
    print(_table(rows))
    print()
    print(_totals("core path", core))
    print(_totals("optional deep dives", [r for r in rows if not r.core]))
    over = [r.name for r in core if (r.seconds or 0.0) > CORE_LIMITS["seconds_per_notebook"]]
    print(f"core limits: words {sum(r.words for r in core):,} of {CORE_LIMITS['words']:,}; computing "
          f"{sum(r.seconds or 0.0 for r in core):.0f} s of {CORE_LIMITS['seconds']:.0f} s; over "
          f"{CORE_LIMITS['seconds_per_notebook']:.0f} s: {', '.join(over) or 'none'}")
    missing = [r.name for r in rows if r.seconds is None]
    if missing:
        print(f"no recorded time yet (counted as 0 s): {', '.join(missing)}")
    allowances = ", ".join(f"{k} {v:g} min" for k, v in ALLOWANCE_MINUTES.items())
    print(f"estimate: reading at {READING_WORDS_PER_MINUTE} words/min + computing + {allowances}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
