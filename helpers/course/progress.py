"""Saved progress, what the widgets record: quiz answers (the score's and the review round's rules),
flashcard reviews, practice rounds and coding exercises; the learner's state a quiz reads
(:class:`LearnerState`), and :func:`progress_summary` for notebook 0.

The progress file itself (where it is, its format, and the five promises: atomic writes, two notebooks
at once, damaged files recovered, foreign files refused, nothing unreadable overwritten) is
:mod:`helpers.course.progress_store`; the version-1 upgrade is :mod:`helpers.course.progress_upgrade`.
Their names are importable from here too.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Sequence

from helpers.course.content import load_deck, load_quiz_bank, notebook_sort_key
from helpers.course.leitner import LEITNER_BOXES, leitner_update
from helpers.course.progress_store import (DEFAULT_PATH, ENV_VAR, MAX_PROGRESS_BYTES, NEW_FILE_MODE,  # noqa: F401
                                           PROGRESS_KEYS, SEED_LIMIT, VERSION, ProgressError, ProgressStore,
                                           classify, empty_progress, progress_path)
from helpers.course.progress_store import _is_id_list, _is_seed, _path_seed
from helpers.course.progress_upgrade import V1_CHOICE_ORDER_PATH, upgrade_v1, v1_choice_order  # noqa: F401

CHOICE_KINDS = ("multiple_choice", "pick_head", "prediction")  # saved by choice ids; "self_check" by text


# ---------------------------------------------------------------- what the widgets record


def _now() -> float:
    return round(time.time(), 3)


def counts_as_correct(entry: dict) -> bool:
    """The score's one definition (quizzes and notebook 0's progress plot both use it).

    A question with choices counts if its first answer ever was right (what you knew before any
    feedback); a self-check counts if you last marked it "got it".
    """
    return bool(entry["correct"] if entry.get("kind") == "self_check" else entry["first_try_correct"])


def needs_review(entry: dict) -> bool:
    """Whether the review round asks this question again: the last time it was shown, your first answer
    was wrong (a self-check: you last marked it "not yet"). Answering it right at the first try in a
    later showing takes it off the list."""
    if entry.get("kind") == "self_check":
        return not entry["correct"]
    return not entry.get("latest_first_try_correct", entry["first_try_correct"])


def apply_answer(entry: dict | None, *, topic: str, kind: str, correct: bool, choice_ids: Sequence[str] | None = None,
                 text: str | None = None, first_in_showing: bool = True) -> dict:
    """A question's saved entry after one more attempt (a new dict; ``entry`` is None for a first attempt).

    ``first_try_correct`` keeps the first attempt ever, ``correct`` the latest one,
    ``latest_first_try_correct`` the first attempt of the latest showing (``first_in_showing``: this is the
    first answer since the question was last displayed). A question with choices saves ``choice_ids``, a
    self-check its ``text``. The widgets apply this in memory too when progress cannot be saved, so the
    score on screen follows the same rule as the saved one.
    """
    new = dict(entry) if entry else {"attempts": 0, "first_try_correct": bool(correct)}
    new.update(topic=topic, kind=kind, correct=bool(correct), updated=_now())
    new["attempts"] += 1
    if first_in_showing:
        new["latest_first_try_correct"] = bool(correct)
    if kind == "self_check":
        new["text"] = text
    elif choice_ids is not None:
        new["choice_ids"] = list(choice_ids)
        new.pop("v1_answer", None)  # replaced by an answer the current choices understand
    return new


def record_answer(question_id: str, topic: str, kind: str, correct: bool, *, choice_ids: Sequence[str] | None = None,
                  text: str | None = None, first_in_showing: bool = True, store: ProgressStore | None = None) -> dict:
    """Record one attempt at a question (see :func:`apply_answer`) and return the question's saved entry.

    >>> record_answer("mlm-mix", "mlm", "multiple_choice", True, choice_ids=["80-mask-10-a-random"])  # doctest: +SKIP
    """
    if kind in CHOICE_KINDS and choice_ids is not None and not (
            _is_id_list(list(choice_ids)) and len(choice_ids) > 0):
        raise ValueError(f"choice_ids={choice_ids!r} is not allowed: it must be a non-empty list of choice ids.")
    store = store or ProgressStore()

    def change(data: dict) -> None:
        data["answers"][question_id] = apply_answer(
            data["answers"].get(question_id), topic=topic, kind=kind, correct=correct, choice_ids=choice_ids,
            text=text, first_in_showing=first_in_showing)

    return store.update(change)["answers"][question_id]


@dataclass
class LearnerState:
    """What a quiz needs from the progress file when it is shown: saved answers and the shuffle seed.

    ``seed`` is None for a quiz that shows the authored order (nothing saved). ``problem`` says why
    saved progress could not be used (a refused or newer file...), to show beside the quiz.
    """

    answers: dict = field(default_factory=dict)
    seed: int | None = None
    problem: str | None = None

    @classmethod
    def load(cls, store: ProgressStore | None = None) -> "LearnerState":
        """Read the learner's answers and shuffle seed; a file without a seed gets one (saved at once).

        Never raises for a file it cannot use: the quiz is then shown without saved answers, in an
        order fixed for that file's path, and ``problem`` says why.
        """
        store = store or ProgressStore()
        try:
            data = store.load()
            if not _is_seed(data.get("shuffle_seed")):
                try:
                    data = store.update(lambda d: None)  # draws and saves the seed
                except ProgressError:  # read-only: a seed fixed for this path, not saved
                    data["shuffle_seed"] = _path_seed(store.target)
            return cls(answers=data["answers"], seed=data["shuffle_seed"])
        except OSError as err:
            return cls(seed=_path_seed(store.path), problem=f"Saved progress not used: {err}")


def review_ids(answers: dict) -> list[str]:
    """The ids of the course's questions that :func:`needs_review`, in the course's order (notebook by notebook)."""
    bank = load_quiz_bank()
    order = sorted(bank.questions, key=lambda q: notebook_sort_key(bank.topics[q.topic].notebook))
    return [q.id for q in order if q.kind != "prediction" and q.id in answers and needs_review(answers[q.id])]


def record_card(card_id: str, knew: bool, *, store: ProgressStore | None = None) -> int:
    """Record one flashcard review ("knew it" or "not yet") and return the card's new box."""
    store = store or ProgressStore()

    def change(data: dict) -> None:
        entry = data["cards"].setdefault(card_id, {"box": 1, "reviews": 0, "knew": 0})
        entry["box"] = leitner_update(entry["box"], knew)
        entry["reviews"] += 1
        entry["knew"] += int(knew)
        entry["updated"] = _now()

    return store.update(change)["cards"][card_id]["box"]


def card_boxes(*, store: ProgressStore | None = None) -> dict[str, int]:
    """The saved Leitner box of every card reviewed so far (unseen cards are not listed: they start in box 1)."""
    data = (store or ProgressStore()).load()
    return {card_id: entry["box"] for card_id, entry in data["cards"].items()}


def start_practice_round(*, store: ProgressStore | None = None) -> int:
    """Count a new practice round and return its number (1, 2, ...): it decides which boxes are due."""
    data = (store or ProgressStore()).update(lambda d: d.update(practice_rounds=d["practice_rounds"] + 1))
    return data["practice_rounds"]


def _exercise_entry(data: dict, exercise_id: str) -> dict:
    """The saved entry of one exercise, created (with the ``"exercises"`` key itself) on first use."""
    if not isinstance(data.get("exercises"), dict):
        data["exercises"] = {}
    return data["exercises"].setdefault(exercise_id, {"attempts": 0, "passed": False, "first_pass_attempt": None})


def record_exercise(exercise_id: str, passed: bool, *, notebook: int,
                    store: ProgressStore | None = None) -> dict:
    """Record one checked attempt at a coding exercise (``helpers.course.exercises``); return its entry.

    Kept under the top-level key ``"exercises"``, which files saved before exercises existed lack:
    it is created on the first attempt. ``passed`` stays True once any attempt passed;
    ``last_passed`` is the latest attempt's result.
    """
    store = store or ProgressStore()

    def change(data: dict) -> None:
        entry = _exercise_entry(data, exercise_id)
        entry["attempts"] += 1
        if passed and not entry["passed"]:
            entry["first_pass_attempt"] = entry["attempts"]
        entry.update(notebook=notebook, passed=entry["passed"] or bool(passed), last_passed=bool(passed),
                     updated=_now())

    return store.update(change)["exercises"][exercise_id]


def record_exercise_help(exercise_id: str, kind: str, *, notebook, store: ProgressStore | None = None) -> dict:
    """Count one hint shown (``kind="hint"``) or one solution revealed (``"solution"``); return the entry.

    The counts are kept beside the attempts as ``hints`` and ``reveals`` (absent until the first one).
    """
    if kind not in ("hint", "solution"):
        raise ValueError(f"kind={kind!r} is not allowed: it must be 'hint' or 'solution'.")
    key = "hints" if kind == "hint" else "reveals"
    store = store or ProgressStore()

    def change(data: dict) -> None:
        entry = _exercise_entry(data, exercise_id)
        entry[key] = entry.get(key, 0) + 1
        entry.update(notebook=notebook, updated=_now())

    return store.update(change)["exercises"][exercise_id]


# ---------------------------------------------------------------- summary and plot


def progress_summary(*, store: ProgressStore | None = None) -> dict:
    """Per-topic counts of questions answered and correct, and how many cards sit in each Leitner box.

    "correct" follows :func:`counts_as_correct`, the rule the quizzes' score line uses too. Cards never
    reviewed count in box 1. ``exercises`` holds the attempts and pass of every coding exercise tried
    so far (untried ones are absent).
    """
    store = store or ProgressStore()
    data = store.load()
    bank = load_quiz_bank()
    topics = {}
    for key, topic in bank.topics.items():
        ids = [q.id for q in bank.questions if q.topic == key and q.kind != "prediction"]  # predictions are not scored
        seen = [data["answers"][i] for i in ids if i in data["answers"]]
        right = [e for e in seen if counts_as_correct(e)]
        topics[key] = {"title": topic.title, "notebook": topic.notebook, "questions": len(ids),
                       "answered": len(seen), "correct": len(right)}
    boxes = {b: 0 for b in range(1, LEITNER_BOXES + 1)}
    for card in load_deck():
        boxes[data["cards"].get(card.id, {}).get("box", 1)] += 1
    saved = data.get("exercises") if isinstance(data.get("exercises"), dict) else {}
    exercises = {key: {"attempts": entry.get("attempts", 0), "passed": bool(entry.get("passed", False))}
                 for key, entry in saved.items() if isinstance(entry, dict)}
    return {"path": str(store.path), "topics": topics, "boxes": boxes, "exercises": exercises,
            "cards_reviewed": sum(1 for card in data["cards"].values() if card["reviews"] > 0),
            "practice_rounds": data["practice_rounds"]}
