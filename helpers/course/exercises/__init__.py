"""Coding exercises: the learner writes a function in the notebook, a check tests it on the spot.

An exercise is two cells. The first holds a skeleton (signature, docstring, and a body that
raises ``NotImplementedError``) for the learner to fill in; the second calls a check::

    check_choose_positions(choose_positions)

The check runs the function on small fixed inputs and tests properties of its behaviour ("special
tokens are never selected", "a different generator seed gives a different selection", ...); for
each one it shows a tick, or what the function did and what is required. It never shows code:
after a failed attempt a hint names the idea, and after the hint a reference solution
(``helpers.course.solutions``) can be revealed. Every check runs under a time limit.

The package, one concept per module:

========== ==================================================================================
catalog    the exercise list (ids, labels, notebooks, hints); imports no torch
results    ``Finding`` / ``CheckResult``: what a check found, as data and text
limits     the time limit that stops a learner's function that never returns
inputs     the seeded test inputs and the shape / type messages the checks share
properties shared properties: "every random number comes from the given generator"
mlm        checks of notebook 2 (exercises 1-3, stretch A)
nsp        checks of notebook 3 (exercise 4, stretch B)
heads      checks of notebook 5 (exercise 5)
subwords   checks of notebook 5a (stretch C)
runner     ``run_check``: a check's sections under the time limit, errors as findings
feedback   the widget (verdict, hint, solution), ``check`` and the ``check_*`` functions
payoff     the learner's masking in real pre-training (``pretrain_with_your_masking``)
========== ==================================================================================

Names are imported lazily: ``from helpers.course.exercises import EXERCISES`` loads only the
catalog, so the progress plot does not pull in torch and the training code.
"""
from __future__ import annotations

import importlib

_WHERE = {
    "Exercise": "catalog", "EXERCISES": "catalog", "STRETCH_EXERCISES": "catalog", "ALL_EXERCISES": "catalog",
    "Finding": "results", "SectionResult": "results", "CheckResult": "results",
    "TimeLimitExceeded": "limits", "time_limit": "limits",
    "VOCAB_SIZE": "inputs", "pair_batch": "inputs",
    "run_check": "runner", "TIME_LIMIT_SECONDS": "runner", "reference_solutions": "runner",
    "ExerciseFeedback": "feedback", "check": "feedback", "saved_attempts": "feedback", "solution_source": "feedback",
    "check_choose_positions": "feedback", "check_corrupt": "feedback", "check_mlm_loss": "feedback",
    "check_nsp_example": "feedback", "check_heads": "feedback", "check_fixed_count": "feedback",
    "check_pretraining_loss": "feedback", "check_align_labels": "feedback", "course_version": "feedback",
    "as_mask_fn": "payoff", "pretrain_with_your_masking": "payoff", "PayoffRun": "payoff",
    "PAYOFF_SETTINGS": "payoff", "BROKEN_MASKINGS": "payoff",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    globals()[name] = value  # the next access skips this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
