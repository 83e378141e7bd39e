"""The learner's progress as one figure: quiz questions per notebook, flashcards per Leitner box, and
the coding exercises tried and passed (notebook 0 draws it from :func:`helpers.course.progress.progress_summary`).

It takes the exercise list from its caller, so drawing it never loads the exercise checks (and,
through them, the training code).
"""
from __future__ import annotations

from typing import Iterable

import matplotlib.pyplot as plt


def plot_progress(summary: dict, *, exercises: Iterable):
    """Three bar charts from :func:`progress_summary`: quiz questions per notebook, flashcards per
    Leitner box, and the coding exercises (tried, passed).

    ``exercises`` are the course's coding exercises (``EXERCISES.values()`` of
    :mod:`helpers.course.exercises`), each with ``id``, ``number``, ``short`` and ``notebook``: the
    caller passes them, so drawing a figure never loads the exercise checks and the training stack.
    """
    fig, (ax_q, ax_c, ax_e) = plt.subplots(1, 3, figsize=(15, 4.2), gridspec_kw={"width_ratios": [3, 2, 2.4]},
                                           layout="constrained")
    topics = list(summary["topics"].values())
    labels = [f"{t['notebook']}. {t['title']}" for t in topics]
    y = range(len(topics))
    ax_q.barh(y, [t["questions"] for t in topics], color="#e6e6e6", edgecolor="#999999", label="all questions")
    ax_q.barh(y, [t["answered"] for t in topics], color="#9ecae1", label="answered")
    ax_q.barh(y, [t["correct"] for t in topics], color="#3182bd", label="correct")
    ax_q.set_yticks(list(y), labels)
    ax_q.invert_yaxis()  # notebook 1 on top
    ax_q.set_xlabel("number of questions")
    ax_q.set_title("Quiz questions by notebook")
    ax_q.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, fontsize="small", frameon=False)

    # One bar per coding exercise: grey = not tried, light = tried, dark = passed; attempts written at the end.
    saved = summary.get("exercises", {})
    exercises = sorted(exercises, key=lambda e: e.number)
    y = range(len(exercises))
    state = [saved.get(e.id, {}) for e in exercises]
    colours = ["#3182bd" if s.get("passed") else "#9ecae1" if s.get("attempts") else "#e6e6e6" for s in state]
    ax_e.barh(y, [1] * len(exercises), color=colours, edgecolor="#999999")
    for i, s in enumerate(state):
        attempts = s.get("attempts", 0)
        text = ("passed" if s.get("passed") else "tried" if attempts else "not tried") + \
               (f", {attempts} attempt{'s' if attempts != 1 else ''}" if attempts else "")
        ax_e.text(0.04, i, text, va="center", fontsize="small", color="white" if s.get("passed") else "black")
    ax_e.set_yticks(list(y), [f"{e.number}. {e.short} (nb {e.notebook})" for e in exercises])
    ax_e.invert_yaxis()
    ax_e.set_xticks([])
    ax_e.set_xlim(0, 1)
    passed = sum(1 for s in state if s.get("passed"))
    ax_e.set_xlabel(f"{passed} of {len(exercises)} passed")
    ax_e.set_title("Coding exercises")

    boxes = summary["boxes"]
    rounds = summary["practice_rounds"]
    ax_c.bar(list(boxes), list(boxes.values()), color="#31a354")
    ax_c.set_xticks(list(boxes), [f"box {b}" for b in boxes])
    ax_c.set_xlabel(f"box: 1 = still learning, 5 = known well\n({rounds} practice round{'s' if rounds != 1 else ''} so far)")
    ax_c.set_ylabel("number of flashcards")
    ax_c.set_title("Flashcards by Leitner box")
    return fig
