"""The progress file: quiz answers, scores and flashcard boxes, kept in one local JSON file, read and
written by :class:`ProgressStore` (what the widgets record in it is :mod:`helpers.course.progress`).

Where: ``~/.bert_course/progress.json`` by default; set the environment variable
``BERT_COURSE_PROGRESS`` to a file path to keep it somewhere else (the tests do this).

The file is small and human-readable (version 2)::

    {"version": 2,
     "shuffle_seed": 2718281828,
     "answers": {"mlm-mix": {"topic": "mlm", "kind": "multiple_choice", "attempts": 2,
                             "first_try_correct": false, "correct": true,
                             "latest_first_try_correct": false,
                             "choice_ids": ["80-mask-10-a-random"], "updated": ...},
                 "self-check-mlm": {"kind": "self_check", "correct": true, "text": "Select 15%...", ...}},
     "cards":   {"nsp": {"box": 2, "reviews": 3, "knew": 2, "updated": ...}},
     "practice_rounds": 4,
     "exercises": {"mlm-corrupt": {"attempts": 3, "passed": true, "first_pass_attempt": 3, "hints": 1, ...}}}

An answer to a question with choices is saved by the ids of the chosen choices (``choice_ids``),
never by a letter: letters depend on the order the choices are shown in, which differs from learner
to learner (``shuffle_seed``, drawn once when the file is created) and changes when an author
reorders the choices. A self-check answer is the learner's own text (``text``).
``first_try_correct`` is the first answer ever (the score counts it); ``correct`` is the latest
attempt; ``latest_first_try_correct`` is the first answer the last time the question was shown
(the review round of notebook 6 asks again what it was wrong for).

**Version 1 files** (answers as letters: ``"answer": "C"``, ``"AC"`` for a select-all question) are
upgraded once, when first read: each letter is turned into the id of the choice it pointed at, in
the order the choices had when version 1 was current (frozen in ``data/progress_v1_choice_order.json``,
so a later reordering cannot change what an old letter means). A letter that cannot be placed is kept
as ``v1_answer``; the original file is copied beside the new one (``progress.json.v1-<time>``).

Five promises, because learners keep several notebooks open and laptops crash:

* **Atomic writes.** A new version is written to a temporary file in the same folder, flushed to
  disk (``fsync``) and then renamed over the old file (``os.replace``). A crash at any moment leaves
  either the old file or the new one, never half of each. A symlinked progress file is written
  through to its target (the link stays a link), and an existing file keeps its permissions.
* **Two notebooks at once.** Every change takes an exclusive lock (``fcntl.flock`` on a
  ``.lock`` file next to the progress file), re-reads the file, applies the change, and writes it
  back. Changes are functions applied to the freshest data, so neither notebook overwrites the
  other's answers with a stale copy.
* **A damaged progress file is never fatal and never silently lost.** Every entry is checked on load.
  A progress file that cannot be parsed (cut short, a bit flipped, emptied by a crash) is renamed aside
  (with a time stamp in the name) and a fresh one started; a file with some malformed entries (an
  answer that is a number, a card in box 9) keeps its valid entries, and a copy of the original is
  saved beside it. Either way a warning says where the copy went.
* **A file that is not a progress file is refused, not recovered.** ``BERT_COURSE_PROGRESS`` pointed
  at a checkpoint, a notebook or any other file by mistake: the file is left exactly as it is (not
  moved, not locked beside, not written) and :class:`ProgressError` says what it looks like. A file
  counts as a (possibly damaged) progress file only if it is empty or blank (what a crash can leave),
  or it is a JSON object with at least one of the progress file's keys, or its text starts with
  ``{`` and names one of those keys in quotes (JSON cut short or damaged); anything else (binary
  data, JSON of another shape, other text, more than 16 MB) is not one. See :func:`classify`.
* **Nothing the course cannot read is overwritten.** A file written by a newer version of the
  course, a read-only file, or a folder where the file should be: the file is left exactly as it
  is and :class:`ProgressError` (an ``OSError``, which the widgets report as "Progress not saved")
  says why. A read-only version-1 file is upgraded in memory at every read and never written.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import secrets
import stat
import time
import warnings
from pathlib import Path
from typing import Callable, Iterator

from helpers.course.leitner import LEITNER_BOXES
from helpers.course.progress_upgrade import upgrade_v1
from helpers.files import atomic_write

try:  # POSIX file locks; on Windows we fall back to atomic writes without a lock
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None

ENV_VAR = "BERT_COURSE_PROGRESS"
DEFAULT_PATH = Path("~/.bert_course/progress.json")
VERSION = 2
NEW_FILE_MODE = 0o600  # a new progress file is private; an existing one keeps its mode
PROGRESS_KEYS = ("version", "answers", "cards", "practice_rounds", "exercises", "shuffle_seed")
MAX_PROGRESS_BYTES = 16 * 2**20  # a progress file holds kilobytes; a bigger file is something else
SEED_LIMIT = 2**32


class ProgressError(OSError):
    """Progress cannot be read or saved (a newer version's file, a read-only file, a folder...).

    An ``OSError``, so the widgets show it as "Progress not saved: ..." instead of crashing.
    """


def progress_path() -> Path:
    """The progress file in use: ``$BERT_COURSE_PROGRESS`` if set, else ``~/.bert_course/progress.json``."""
    override = os.environ.get(ENV_VAR, "").strip()
    return Path(override).expanduser() if override else DEFAULT_PATH.expanduser()


def empty_progress() -> dict:
    """What a missing file reads as. It has no ``shuffle_seed``: one is drawn when the file is first written."""
    return {"version": VERSION, "answers": {}, "cards": {}, "practice_rounds": 0}


def _new_seed() -> int:
    # The learner's own shuffle seed: drawn from the OS once, then kept in the file, so that every
    # later shuffle of this learner is reproducible from it.
    return secrets.randbelow(SEED_LIMIT)


def _is_seed(value: object) -> bool:
    return _is_int(value, 0, SEED_LIMIT - 1)


def _path_seed(path: Path) -> int:
    """A seed for a file the course may not write (read-only, refused): fixed for that path."""
    return int.from_bytes(hashlib.sha256(str(path).encode()).digest()[:4], "big")


# ---------------------------------------------------------------- progress file or not?

_MAGIC = [(b"PK\x03\x04", "a zip archive (a PyTorch checkpoint .pt is one)"),
          (b"\x80", "a Python pickle (an old-style PyTorch checkpoint is one)"),
          (b"\x89PNG", "a PNG image"), (b"%PDF", "a PDF document"), (b"\x1f\x8b", "gzip-compressed data"),
          (b"\x93NUMPY", "a NumPy array")]


def classify(raw: bytes) -> tuple[str, object]:
    """What a file's bytes are: ``("progress", data)``, ``("damaged", why)`` or ``("foreign", what)``.

    * ``progress``: a JSON object with at least one of :data:`PROGRESS_KEYS` (its version and entries
      are checked afterwards; a wrong version makes it damaged).
    * ``damaged``: a progress file that cannot be read: empty, blank or zero-filled (what a crash can
      leave), or text that starts with ``{`` and names a progress key in quotes but does not parse
      (cut short, a flipped bit, a bad hand edit). It is moved aside and a fresh file started.
    * ``foreign``: anything else (binary data, JSON of another shape, other text). Never touched.
    """
    if not raw.strip(b" \t\r\n\x00"):
        return "damaged", "it is empty"
    for magic, what in _MAGIC:
        if raw.startswith(magic):
            return "foreign", f"it is {what}"
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        data = None
    else:
        if isinstance(data, dict) and any(key in data for key in PROGRESS_KEYS):
            return "progress", data
        shape = "a JSON object without any progress key" if isinstance(data, dict) else \
            f"JSON holding {type(data).__name__ if data is not None else 'null'}, not an object"
        return "foreign", f"it is {shape} ({', '.join(PROGRESS_KEYS[:3])}, ...)"
    text = raw.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if text.startswith("{") and any(f'"{key}"' in text for key in PROGRESS_KEYS):
        return "damaged", "it is not valid JSON"
    if b"\x00" in raw or text.count("\ufffd") > len(text) // 100:
        return "foreign", "it is binary data"
    return "foreign", "it is text that is not progress JSON"


# ---------------------------------------------------------------- checking what was read


def _is_int(value: object, low: int, high: float = math.inf) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _is_time(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_id_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v for v in value)


def _answer_problem(entry: object, version: int = VERSION) -> str | None:
    """Why a saved answer cannot be used (None if it can). Version 1 saved letters or text as "answer"."""
    if not isinstance(entry, dict):
        return f"is {type(entry).__name__}, not an object"
    checks = [("attempts", lambda v: _is_int(v, 1), "a whole number >= 1", True),
              ("first_try_correct", lambda v: isinstance(v, bool), "true or false", True),
              ("correct", lambda v: isinstance(v, bool), "true or false", True),
              ("topic", lambda v: isinstance(v, str), "text", False),
              ("kind", lambda v: isinstance(v, str), "text", False),
              ("updated", _is_time, "a time stamp", False)]
    if version == 1:
        checks.append(("answer", lambda v: v is None or isinstance(v, str), "text or null", False))
    else:
        checks += [("choice_ids", _is_id_list, "a list of choice ids", False),
                   ("text", lambda v: v is None or isinstance(v, str), "text or null", False),
                   ("latest_first_try_correct", lambda v: isinstance(v, bool), "true or false", False),
                   ("v1_answer", lambda v: isinstance(v, str), "text", False)]
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


def _clean(data: dict, version: int = VERSION) -> tuple[dict, list[str]]:
    """``data`` with its malformed entries removed, and a description of each one removed."""
    dropped = []
    clean = dict(data)  # unknown top-level keys are kept as they are
    tables = [("answers", lambda e: _answer_problem(e, version)), ("cards", _card_problem)]
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
    if "shuffle_seed" in data and not _is_seed(data["shuffle_seed"]):
        dropped.append(f"shuffle_seed={data['shuffle_seed']!r:.40} (must be a whole number from 0 to {SEED_LIMIT - 1}; "
                       "a new one is drawn)")
        del clean["shuffle_seed"]
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

    def _raw(self) -> bytes | None:
        """The file's bytes (None if there is no file); a file too big to be progress is refused unread."""
        target = self.target
        try:
            size = target.stat().st_size
        except FileNotFoundError:
            return None
        if size > MAX_PROGRESS_BYTES:
            raise self._refusal(f"it is {size / 2**20:,.0f} MB, far more than any progress file")
        try:
            return target.read_bytes()
        except FileNotFoundError:
            return None

    def _refusal(self, what: str) -> "ProgressError":
        return ProgressError(f"The file {self.path} is not a progress file ({what}), so it was left untouched. "
                             f"Set {ENV_VAR} to a progress file or to a new file's path (for example "
                             f"{DEFAULT_PATH}).")

    def _refuse_foreign(self) -> None:
        """Before locking (which creates a .lock file beside it): refuse a file that is not progress."""
        raw = self._raw()
        if raw is not None:
            kind, what = classify(raw)
            if kind == "foreign":
                raise self._refusal(what)

    # -- locking ----------------------------------------------------------------------
    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self._check_location()
        self._refuse_foreign()
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
        raw = self._raw()
        if raw is None:
            return empty_progress()
        kind, data = classify(raw)
        if kind == "foreign":
            raise self._refusal(data)
        version = data.get("version") if kind == "progress" else None
        if _is_int(version, VERSION + 1):
            raise ProgressError(f"The progress file {self.path} was written by a newer version of the course "
                                f"(file version {version}; this version reads {VERSION}). It was left untouched: "
                                f"update the course (git pull) to use it, or set {ENV_VAR} to another file.")
        if kind == "damaged" or not _is_int(version, 1, VERSION):
            if _is_read_only(self.target):
                raise ProgressError(f"The progress file {self.path} could not be read (it is not valid progress "
                                    "JSON) and it is read-only, so it was left untouched and progress cannot be "
                                    f"saved: move it away, or set {ENV_VAR} to another file.")
            self._move_aside()
            return empty_progress()
        clean, dropped = _clean(data, version)
        read_only = _is_read_only(self.target)
        if dropped:
            listed = "; ".join(dropped[:5]) + (f"; and {len(dropped) - 5} more" if len(dropped) > 5 else "")
            if read_only:
                warnings.warn(f"The progress file {self.path} has entries that cannot be used ({listed}). They "
                              "are ignored; the file is read-only, so it was left as it is.",
                              RuntimeWarning, stacklevel=4)
            else:
                backup = self._backup_path("invalid")
                atomic_write(backup, raw, mode=NEW_FILE_MODE)
                warnings.warn(f"The progress file {self.path} had entries that cannot be used ({listed}). The "
                              f"valid ones were kept; the original file was copied to {backup}.",
                              RuntimeWarning, stacklevel=4)
        if version == 1:  # upgraded in memory at every read; written (once) if the file may be written
            clean = upgrade_v1(clean)
            if not read_only and not dropped:  # the version-1 original stays beside the upgraded file
                atomic_write(self._backup_path("v1"), raw, mode=NEW_FILE_MODE)
        if not read_only and (dropped or version == 1):
            self._write(self._with_seed(clean))
        return clean

    @staticmethod
    def _with_seed(data: dict) -> dict:
        """Every file the course writes carries the learner's shuffle seed (drawn the first time)."""
        if not _is_seed(data.get("shuffle_seed")):
            data["shuffle_seed"] = _new_seed()
        return data

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
        warnings.warn(f"The progress file {self.path} could not be read (it is a damaged progress file). "
                      f"It was moved to {backup} and a fresh progress file was started.",
                      RuntimeWarning, stacklevel=4)
        return backup

    def load(self) -> dict:
        """A snapshot of the saved progress (a fresh dict; changing it changes nothing on disk)."""
        with self._locked():
            return self._read()

    # -- writing ----------------------------------------------------------------------
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
        atomic_write(target, json.dumps(data, indent=1, sort_keys=True).encode("utf-8"), mode=mode)

    def update(self, change: Callable[[dict], object]) -> dict:
        """Apply ``change(data)`` to the freshest saved data and save it atomically; return the new data.

        Under the lock: read, change, write. Another process waits for the lock, then reads what
        this one wrote, so no update is lost.
        """
        with self._locked():
            data = self._read()
            change(data)
            self._write(self._with_seed(data))
            return data
