"""Saved progress: quiz answers, scores and flashcard boxes, kept in one local JSON file.

Where: ``~/.bert_course/progress.json`` by default; set the environment variable
``BERT_COURSE_PROGRESS`` to a file path to keep it somewhere else (the tests do this).

The file is small and human-readable::

    {"version": 1,
     "answers": {"mlm-mix": {"topic": "mlm", "kind": "multiple_choice", "attempts": 2,
                             "first_try_correct": false, "correct": true, "answer": "B", ...}},
     "cards":   {"nsp": {"box": 2, "reviews": 3, "knew": 2, "updated": ...}},
     "practice_rounds": 4,
     "exercises": {"mlm-corrupt": {"attempts": 3, "passed": true, "first_pass_attempt": 3, ...}}}

Three promises, because learners keep several notebooks open and laptops crash:

* **Atomic writes.** A new version is written to a temporary file in the same folder, flushed to
  disk (``fsync``) and then renamed over the old file (``os.replace``). A crash at any moment leaves
  either the old file or the new one, never half of each.
* **Two notebooks at once.** Every change takes an exclusive lock (``fcntl.flock`` on a
  ``.lock`` file next to the progress file), re-reads the file, applies the change, and writes it
  back. Changes are functions applied to the freshest data, so neither notebook overwrites the
  other's answers with a stale copy.
* **A corrupt file is never fatal and never silently lost.** It is renamed aside (with a time stamp
  in the name), a warning says where it went, and a fresh file is started.
"""
from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
import warnings
from pathlib import Path
from typing import Callable, Iterator

try:  # POSIX file locks; on Windows we fall back to atomic writes without a lock
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None

ENV_VAR = "BERT_COURSE_PROGRESS"
DEFAULT_PATH = Path("~/.bert_course/progress.json")
VERSION = 1
LEITNER_BOXES = 5  # box 1 = "still learning" ... box 5 = "known well"


def progress_path() -> Path:
    """The progress file in use: ``$BERT_COURSE_PROGRESS`` if set, else ``~/.bert_course/progress.json``."""
    override = os.environ.get(ENV_VAR, "").strip()
    return Path(override).expanduser() if override else DEFAULT_PATH.expanduser()


def empty_progress() -> dict:
    return {"version": VERSION, "answers": {}, "cards": {}, "practice_rounds": 0}


def _looks_valid(data: object) -> bool:
    return (isinstance(data, dict) and data.get("version") == VERSION
            and isinstance(data.get("answers"), dict) and isinstance(data.get("cards"), dict)
            and isinstance(data.get("practice_rounds"), int))


class ProgressStore:
    """One progress file. Read with :meth:`load`; change with :meth:`update`.

    >>> store = ProgressStore("/tmp/demo-progress.json")
    >>> store.update(lambda data: data.update(practice_rounds=data["practice_rounds"] + 1))  # doctest: +SKIP
    """

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = Path(path).expanduser() if path is not None else progress_path()
        self.lock_path = self.path.with_name(self.path.name + ".lock")

    # -- locking ----------------------------------------------------------------------
    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if fcntl is None:  # pragma: no cover - no advisory locks on this platform
            yield
            return
        with open(self.lock_path, "a+") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)  # waits while another process holds it
            try:
                yield
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)

    # -- reading ----------------------------------------------------------------------
    def _read(self) -> dict:
        """Read the file; a missing file is empty progress, a corrupt one is moved aside."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return empty_progress()
        try:
            data = json.loads(raw.decode("utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            data = None
        if _looks_valid(data):
            return data
        self._move_aside()
        return empty_progress()

    def _move_aside(self) -> Path:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        n = 1
        while target.exists():  # two corruptions within one second keep both copies
            target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{n}")
            n += 1
        os.replace(self.path, target)
        warnings.warn(f"The progress file {self.path} could not be read (it is not valid progress JSON). "
                      f"It was moved to {target} and a fresh progress file was started.",
                      RuntimeWarning, stacklevel=4)
        return target

    def load(self) -> dict:
        """A snapshot of the saved progress (a fresh dict; changing it changes nothing on disk)."""
        with self._locked():
            return self._read()

    # -- writing ----------------------------------------------------------------------
    def _write(self, data: dict) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=self.path.name + ".", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(data, f, indent=1, sort_keys=True)
                f.flush()
                os.fsync(f.fileno())  # the bytes are on disk before the rename makes them visible
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    def update(self, change: Callable[[dict], object]) -> dict:
        """Apply ``change(data)`` to the freshest saved data and save it atomically; return the new data.

        Under the lock: read, change, write. Another process waits for the lock, then reads what
        this one wrote, so no update is lost.
        """
        with self._locked():
            data = self._read()
            change(data)
            self._write(data)
            return data


# ---------------------------------------------------------------- what the widgets record


def _now() -> float:
    return round(time.time(), 3)


def record_answer(question_id: str, topic: str, kind: str, correct: bool, answer: str | None = None,
                  *, store: ProgressStore | None = None) -> dict:
    """Record one attempt at a question and return the question's saved entry.

    ``first_try_correct`` remembers the first attempt ever; ``correct`` the latest attempt.
    """
    store = store or ProgressStore()

    def change(data: dict) -> None:
        entry = data["answers"].setdefault(question_id, {"attempts": 0, "first_try_correct": bool(correct)})
        entry.update(topic=topic, kind=kind, correct=bool(correct), answer=answer, updated=_now())
        entry["attempts"] += 1

    return store.update(change)["answers"][question_id]


def leitner_update(box: int, knew: bool) -> int:
    """The Leitner rule: a known card moves up one box (at most the last), a missed card goes back to box 1."""
    return min(box + 1, LEITNER_BOXES) if knew else 1


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


def record_exercise(exercise_id: str, passed: bool, *, notebook: int,
                    store: ProgressStore | None = None) -> dict:
    """Record one checked attempt at a coding exercise (``helpers.course.exercises``); return its entry.

    Kept under the top-level key ``"exercises"``, which files saved before exercises existed lack:
    it is created on the first attempt. ``passed`` stays True once any attempt passed;
    ``last_passed`` is the latest attempt's result.
    """
    store = store or ProgressStore()

    def change(data: dict) -> None:
        if not isinstance(data.get("exercises"), dict):
            data["exercises"] = {}
        entry = data["exercises"].setdefault(exercise_id, {"attempts": 0, "passed": False,
                                                           "first_pass_attempt": None})
        entry["attempts"] += 1
        if passed and not entry["passed"]:
            entry["first_pass_attempt"] = entry["attempts"]
        entry.update(notebook=notebook, passed=entry["passed"] or bool(passed), last_passed=bool(passed),
                     updated=_now())

    return store.update(change)["exercises"][exercise_id]


# ---------------------------------------------------------------- summary and plot


def progress_summary(*, store: ProgressStore | None = None) -> dict:
    """Per-topic counts of questions answered and correct, and how many cards sit in each Leitner box.

    "correct" counts multiple-choice questions answered right at the first try and self-check
    questions last marked "got it". Cards never reviewed count in box 1. ``exercises`` holds the
    attempts and pass of every coding exercise tried so far (untried ones are absent).
    """
    from helpers.course.content import load_deck, load_quiz_bank

    store = store or ProgressStore()
    data = store.load()
    bank = load_quiz_bank()
    topics = {}
    for key, topic in bank.topics.items():
        ids = [q.id for q in bank.questions if q.topic == key]
        seen = [data["answers"][i] for i in ids if i in data["answers"]]
        right = [e for e in seen if (e["correct"] if e.get("kind") == "self_check" else e["first_try_correct"])]
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
