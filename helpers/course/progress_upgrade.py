"""Version 1 -> version 2 of the progress file: answers saved as letters become choice ids.

Read once, when a version-1 file is first loaded (:class:`helpers.course.progress_store.ProgressStore`
calls :func:`upgrade_v1`). Each letter is placed with the order the choices had when version 1 was
current, frozen in ``data/progress_v1_choice_order.json``, so a later reordering cannot change what
an old letter means. Importable from :mod:`helpers.course.progress` too.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Sequence

V1_CHOICE_ORDER_PATH = Path(__file__).resolve().parent / "data" / "progress_v1_choice_order.json"


@lru_cache(maxsize=1)
def v1_choice_order() -> dict[str, tuple[str, ...]]:
    """Question id -> its choice ids in the order version-1 letters refer to ('A' = the first)."""
    with open(V1_CHOICE_ORDER_PATH, encoding="utf-8") as f:
        return {qid: tuple(ids) for qid, ids in json.load(f)["questions"].items()}


def _letters_to_ids(letters: str, order: Sequence[str] | None) -> list[str] | None:
    """``"AC"`` -> the ids of the first and third choice of ``order``; None if it cannot be placed."""
    if not order or not letters or len(set(letters)) != len(letters):
        return None
    positions = [ord(letter) - ord("A") for letter in letters]
    if not all(0 <= i < len(order) for i in positions):
        return None
    return [order[i] for i in positions]


def upgrade_v1(data: dict) -> dict:
    """A version-1 progress dict (already cleaned) as version 2: letters become choice ids.

    Nothing is dropped: a self-check's text moves to ``text``; a letter that cannot be placed (a
    question not in the frozen order, a letter past its last choice) is kept as ``v1_answer``.
    Cards, exercises, practice rounds and unknown keys are kept as they are.
    """
    order = v1_choice_order()
    answers = {}
    for question_id, entry in data["answers"].items():
        new = {key: value for key, value in entry.items() if key != "answer"}
        answer = entry.get("answer")
        if answer is not None:
            kind = entry.get("kind")
            if kind == "self_check" or (kind is None and question_id not in order):
                if kind == "self_check":
                    new["text"] = answer
                else:
                    new["v1_answer"] = answer
            else:
                ids = _letters_to_ids(answer, order.get(question_id))
                if ids is None:
                    new["v1_answer"] = answer
                else:
                    new["choice_ids"] = ids
        answers[question_id] = new
    return {**data, "version": 2, "answers": answers}
