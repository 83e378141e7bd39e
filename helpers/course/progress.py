"""Saved progress: quiz answers, scores and flashcard boxes, kept in one local JSON file.

Where: ``~/.bert_course/progress.json`` by default; set the environment variable
``BERT_COURSE_PROGRESS`` to a file path to keep it somewhere else (the tests do this).

The file is small and human-readable::

    {"version": 1,
     "answers": {"mlm-mix": {"topic": "mlm", "kind": "multiple_choice", "attempts": 2,
                             "first_try_correct": false, "correct": true, "answer": "B", ...}},
     "cards":   {"nsp": {"box": 2, "reviews": 3, "knew": 2, "updated": ...}},
     "practice_rounds": 4,
     "exercises": {"mlm-corrupt": {"attempts": 3, "passed": true, "first_pass_attempt": 3, "hints": 1, ...}}}

Four promises, because learners keep several notebooks open and laptops crash:

* **Atomic writes.** A new version is written to a temporary file in the same folder, flushed to
  disk (``fsync``) and then renamed over the old file (``os.replace``). A crash at any moment leaves
  either the old file or the new one, never half of each. A symlinked progress file is written
  through to its target (the link stays a link), and an existing file keeps its permissions.
* **Two notebooks at once.** Every change takes an exclusive lock (``fcntl.flock`` on a
  ``.lock`` file next to the progress file), re-reads the file, applies the change, and writes it
  back. Changes are functions applied to the freshest data, so neither notebook overwrites the
  other's answers with a stale copy.
* **A damaged file is never fatal and never silently lost.** Every entry is checked on load. An
  unreadable file is renamed aside (with a time stamp in the name) and a fresh one started; a file
  with some malformed entries (an answer that is a string, a card in box 9) keeps its valid entries,
  and a copy of the original is saved beside it. Either way a warning says where the copy went.
* **Nothing the course cannot read is overwritten.** A file written by a newer version of the
  course, a read-only file, or a folder where the file should be: the file is left exactly as it
  is and :class:`ProgressError` (an ``OSError``, which the widgets report as "Progress not saved")
  says why.
"""
from __future__ import annotations

import contextlib
import json
import math
import os
import stat
import tempfile
import time
import warnings
from pathlib import Path
from typing import Callable, Iterator

from helpers.course.content import load_deck, load_quiz_bank

try:  # POSIX file locks; on Windows we fall back to atomic writes without a lock
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None

ENV_VAR = "BERT_COURSE_PROGRESS"
DEFAULT_PATH = Path("~/.bert_course/progress.json")
VERSION = 1
LEITNER_BOXES = 5  # box 1 = "still learning" ... box 5 = "known well"
NEW_FILE_MODE = 0o600  # a new progress file is private; an existing one keeps its mode


class ProgressError(OSError):
    """Progress cannot be read or saved (a newer version's file, a read-only file, a folder...).

    An ``OSError``, so the widgets show it as "Progress not saved: ..." instead of crashing.
    """


def progress_path() -> Path:
    """The progress file in use: ``$BERT_COURSE_PROGRESS`` if set, else ``~/.bert_course/progress.json``."""
    override = os.environ.get(ENV_VAR, "").strip()
    return Path(override).expanduser() if override else DEFAULT_PATH.expanduser()


def empty_progress() -> dict:
    return {"version": VERSION, "answers": {}, "cards": {}, "practice_rounds": 0}


# ---------------------------------------------------------------- checking what was read


def _is_int(value: object, low: int, high: float = math.inf) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _is_time(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _answer_problem(entry: object) -> str | None:
    """Why a saved answer cannot be used (None if it can)."""
    if not isinstance(entry, dict):
        return f"is {type(entry).__name__}, not an object"
    checks = [("attempts", lambda v: _is_int(v, 1), "a whole number >= 1", True),
              ("first_try_correct", lambda v: isinstance(v, bool), "true or false", True),
              ("correct", lambda v: isinstance(v, bool), "true or false", True),
              ("topic", lambda v: isinstance(v, str), "text", False),
              ("kind", lambda v: isinstance(v, str), "text", False),
              ("answer", lambda v: v is None or isinstance(v, str), "text or null", False),
              ("updated", _is_time, "a time stamp", False)]
    return _field_problem(entry, checks)


def _card_problem(entry: object) -> str | None:
    """Why a saved flashcard entry cannot be used (None if it can)."""
    if not isinstance(entry, dict):
        return f"is {type(entry).__name__}, not an object"
    checks = [("box", lambda v: _is_int(v, 1, LEITNER_BOXES), f"a box 1..{LEITNER_BOXES}", True),
              ("reviews", lambda v: _is_int(v, 0), "a whole number >= 0", True),
              ("knew", lambda v: _is_int(v, 0, entry.get("reviews") if _is_int(entry.get("reviews"), 0) else -1),
               "a whole number from 0 to reviews", True),
              ("updated", _is_time, "a time stamp", False)]
    return _field_problem(entry, checks)


def _exercise_problem(entry: object) -> str | None:
    """Why a saved coding-exercise entry cannot be used (None if it can)."""
    if not isinstance(entry, dict):
        return f"is {type(entry).__name__}, not an object"
    checks = [("attempts", lambda v: _is_int(v, 0), "a whole number >= 0", True),
              ("passed", lambda v: isinstance(v, bool), "true or false", True),
              ("last_passed", lambda v: isinstance(v, bool), "true or false", False),
              ("first_pass_attempt", lambda v: v is None or _is_int(v, 1), "a whole number >= 1 or null", False),
              ("hints", lambda v: _is_int(v, 0), "a whole number >= 0", False),
              ("reveals", lambda v: _is_int(v, 0), "a whole number >= 0", False),
              ("updated", _is_time, "a time stamp", False)]
    return _field_problem(entry, checks)


def _field_problem(entry: dict, checks) -> str | None:
    for name, ok, allowed, required in checks:
        if name not in entry:
            if required:
                return f"has no {name!r}"
        elif not ok(entry[name]):
            return f"has {name}={entry[name]!r:.40} (must be {allowed})"
    return None


def _clean(data: dict) -> tuple[dict, list[str]]:
    """``data`` with its malformed entries removed, and a description of each one removed."""
    dropped = []
    clean = dict(data)  # unknown top-level keys are kept as they are
    tables = [("answers", _answer_problem), ("cards", _card_problem)]
    if "exercises" in data:  # files saved before the coding exercises existed have no such key
        tables.append(("exercises", _exercise_problem))
    for key, problem_of in tables:
        table = data.get(key)
        if not isinstance(table, dict):
            if key in data:
                dropped.append(f"{key} (not an object)")
            clean[key] = {}
            continue
        clean[key] = {}
        for name, entry in table.items():
            problem = problem_of(entry)
            if problem:
                dropped.append(f"{key}[{name!r}] {problem}")
            else:
                clean[key][name] = entry
    if not _is_int(data.get("practice_rounds"), 0):
        if "practice_rounds" in data:
            dropped.append(f"practice_rounds={data['practice_rounds']!r:.40} (must be a whole number >= 0)")
        clean["practice_rounds"] = 0
    return clean, dropped


def _is_read_only(path: Path) -> bool:
    """True if the file may not be written: no permission, or no write bit at all (root ignores permissions)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return False
    return not os.access(path, os.W_OK) or not stat.S_IMODE(mode) & 0o222


class ProgressStore:
    """One progress file. Read with :meth:`load`; change with :meth:`update`.

    >>> store = ProgressStore("/tmp/demo-progress.json")
    >>> store.update(lambda data: data.update(practice_rounds=data["practice_rounds"] + 1))  # doctest: +SKIP
    """

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = Path(path).expanduser() if path is not None else progress_path()

    @property
    def target(self) -> Path:
        """The file actually written: the progress path, or where it points if it is a symlink."""
        return self.path.resolve() if self.path.is_symlink() else self.path

    @property
    def lock_path(self) -> Path:
        target = self.target  # two links to one file share one lock
        return target.with_name(target.name + ".lock")

    def _check_location(self) -> None:
        target = self.target
        if target.is_dir():
            raise ProgressError(f"The progress path {self.path} is a folder, not a file: set {ENV_VAR} to a file "
                                f"path (for example {self.path / 'progress.json'}).")
        for parent in target.parents:
            if parent.exists():
                if not parent.is_dir():
                    raise ProgressError(f"The progress path {self.path} is not allowed: {parent} is a file, "
                                        f"not a folder. Set {ENV_VAR} to a path inside a folder.")
                break

    # -- locking ----------------------------------------------------------------------
    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self._check_location()
        self.target.parent.mkdir(parents=True, exist_ok=True)
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
        """Read and check the file (see the module's promises for what happens to a damaged one)."""
        try:
            raw = self.target.read_bytes()
        except FileNotFoundError:
            return empty_progress()
        try:
            data = json.loads(raw.decode("utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            data = None
        version = data.get("version") if isinstance(data, dict) else None
        if _is_int(version, VERSION + 1):
            raise ProgressError(f"The progress file {self.path} was written by a newer version of the course "
                                f"(file version {version}; this version reads {VERSION}). It was left untouched: "
                                f"update the course (git pull) to use it, or set {ENV_VAR} to another file.")
        if not (isinstance(data, dict) and version == VERSION):
            if _is_read_only(self.target):
                raise ProgressError(f"The progress file {self.path} could not be read (it is not valid progress "
                                    "JSON) and it is read-only, so it was left untouched and progress cannot be "
                                    f"saved: move it away, or set {ENV_VAR} to another file.")
            self._move_aside()
            return empty_progress()
        clean, dropped = _clean(data)
        if dropped:
            listed = "; ".join(dropped[:5]) + (f"; and {len(dropped) - 5} more" if len(dropped) > 5 else "")
            if _is_read_only(self.target):
                warnings.warn(f"The progress file {self.path} has entries that cannot be used ({listed}). They "
                              "are ignored; the file is read-only, so it was left as it is.",
                              RuntimeWarning, stacklevel=4)
            else:
                backup = self._backup_path("invalid")
                self._write_bytes(backup, raw, NEW_FILE_MODE)
                self._write(clean)
                warnings.warn(f"The progress file {self.path} had entries that cannot be used ({listed}). The "
                              f"valid ones were kept; the original file was copied to {backup}.",
                              RuntimeWarning, stacklevel=4)
        return clean

    def _backup_path(self, kind: str) -> Path:
        target = self.target
        stamp = time.strftime("%Y%m%d-%H%M%S")
        backup = target.with_name(f"{target.name}.{kind}-{stamp}")
        n = 1
        while backup.exists():  # two within one second keep both copies
            backup = target.with_name(f"{target.name}.{kind}-{stamp}-{n}")
            n += 1
        return backup

    def _move_aside(self) -> Path:
        backup = self._backup_path("corrupt")
        os.replace(self.target, backup)
        warnings.warn(f"The progress file {self.path} could not be read (it is not valid progress JSON). "
                      f"It was moved to {backup} and a fresh progress file was started.",
                      RuntimeWarning, stacklevel=4)
        return backup

    def load(self) -> dict:
        """A snapshot of the saved progress (a fresh dict; changing it changes nothing on disk)."""
        with self._locked():
            return self._read()

    # -- writing ----------------------------------------------------------------------
    @staticmethod
    def _write_bytes(path: Path, data: bytes, mode: int) -> None:
        """Write ``data`` to ``path`` atomically (temp file, fsync, rename) with permissions ``mode``."""
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())  # the bytes are on disk before the rename makes them visible
            os.chmod(tmp, mode)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    def _write(self, data: dict) -> None:
        target = self.target
        if _is_read_only(target):
            raise ProgressError(f"The progress file {self.path} is read-only, so progress cannot be saved "
                                f"(it was left untouched). Make it writable (chmod u+w {target}) or set "
                                f"{ENV_VAR} to another file.")
        try:
            mode = stat.S_IMODE(target.stat().st_mode)
        except FileNotFoundError:
            mode = NEW_FILE_MODE
        self._write_bytes(target, json.dumps(data, indent=1, sort_keys=True).encode("utf-8"), mode)

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


def record_exercise_help(exercise_id: str, kind: str, *, notebook, store: ProgressStore | None = None) -> dict:
    """Count one hint shown (``kind="hint"``) or one solution revealed (``"solution"``); return the entry.

    The counts are kept beside the attempts as ``hints`` and ``reveals`` (absent until the first one).
    """
    if kind not in ("hint", "solution"):
        raise ValueError(f"kind={kind!r} is not allowed: it must be 'hint' or 'solution'.")
    key = "hints" if kind == "hint" else "reveals"
    store = store or ProgressStore()

    def change(data: dict) -> None:
        if not isinstance(data.get("exercises"), dict):
            data["exercises"] = {}
        entry = data["exercises"].setdefault(exercise_id, {"attempts": 0, "passed": False,
                                                           "first_pass_attempt": None})
        entry[key] = entry.get(key, 0) + 1
        entry.update(notebook=notebook, updated=_now())

    return store.update(change)["exercises"][exercise_id]


# ---------------------------------------------------------------- summary and plot


def progress_summary(*, store: ProgressStore | None = None) -> dict:
    """Per-topic counts of questions answered and correct, and how many cards sit in each Leitner box.

    "correct" counts multiple-choice questions answered right at the first try and self-check
    questions last marked "got it". Cards never reviewed count in box 1. ``exercises`` holds the
    attempts and pass of every coding exercise tried so far (untried ones are absent).
    """
    store = store or ProgressStore()
    data = store.load()
    bank = load_quiz_bank()
    topics = {}
    for key, topic in bank.topics.items():
        ids = [q.id for q in bank.questions if q.topic == key and q.kind != "prediction"]  # predictions are not scored
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
