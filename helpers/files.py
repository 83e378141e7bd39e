"""Writing files so that nothing is lost: all or nothing, never half a file.

Every file the course writes (checkpoints, Hugging Face exports, vocabularies, corpora, flashcard
prints, the learner's progress) goes through :func:`atomic_write`, and every folder it replaces
through :func:`replace_dir`:

* the new content goes to a temporary file (or folder) next to the target, is flushed to the disk
  (``fsync``) and only then renamed over the target: a crash, a full disk or a Ctrl-C at any moment
  leaves either the old file or the new one, never a mixture;
* a symlink is written through: its target gets the new content and the link stays a link;
* an existing file keeps its permissions; a new one gets the usual ``0o666`` minus the umask. The
  temporary file is created with those permissions by ``os.open``, which applies the umask itself,
  so the process-wide umask is never read or changed (``os.umask`` would have to set it to read it,
  a race with every other thread);
* when the disk refuses (full, read-only, quota), the error is an ``OSError`` with one line that
  names the file and says it was left as it was.
"""
from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
from pathlib import Path
from typing import BinaryIO, Callable, Union

Content = Union[bytes, str, Callable[[BinaryIO], object]]
_DISK_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}


def write_target(path: str | os.PathLike) -> Path:
    """The file a write to ``path`` really changes: ``path`` itself, or where it points if it is a symlink."""
    path = Path(path)
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def _temporary_name(target: Path, suffix: str) -> Path:
    return target.with_name(f".{target.name}.{secrets.token_hex(4)}{suffix}")


def _open_temporary(target: Path, mode: int) -> tuple[int, Path]:
    """A new file next to ``target``, created with ``mode`` (the umask applies), and its descriptor."""
    for _ in range(100):
        tmp = _temporary_name(target, ".tmp")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), mode), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, f"no free temporary name next to {target}")


def disk_error(error: OSError, path: Path | str, what: str = "nothing was written") -> OSError:
    """``error`` rephrased as one line naming ``path``; the errno (ENOSPC, EROFS...) is kept."""
    reason = error.strerror or str(error)
    if error.errno in _DISK_FULL:
        reason = "the disk is full"
    elif error.errno == errno.EFBIG:
        reason = "the file is larger than this system allows"
    message = f"could not write {str(path)!r}: {reason}; {what}"
    return OSError(error.errno, message) if error.errno is not None else OSError(message)


def describe(error: OSError) -> str:
    """An ``OSError`` as one line without the ``[Errno N]`` prefix (the file named if there is one)."""
    text = error.strerror or str(error)
    return f"{text}: {str(error.filename)!r}" if error.filename and str(error.filename) not in text else text


def atomic_write(path: str | os.PathLike, content: Content, *, mode: int | None = None) -> Path:
    """Write ``content`` to ``path`` all at once, or not at all; return ``path``.

    ``content`` is ``bytes``, a ``str`` (written as UTF-8) or a function that writes to the binary
    file object it is given (``lambda f: torch.save(obj, f)``). ``mode`` sets the permissions of
    the file; by default an existing file keeps its own and a new one gets ``0o666`` minus the
    umask. A failure leaves the file at ``path`` exactly as it was.
    """
    path = Path(path)
    target = write_target(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    if mode is None:
        with contextlib.suppress(FileNotFoundError):
            mode = target.stat().st_mode & 0o7777
    fd, tmp = _open_temporary(target, 0o666 if mode is None else 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            if isinstance(content, str):
                f.write(content.encode("utf-8"))
            elif isinstance(content, (bytes, bytearray, memoryview)):
                f.write(content)
            else:
                content(f)
            f.flush()
            os.fsync(f.fileno())  # on the disk before the rename makes it visible
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except OSError as error:
        _remove(tmp)
        raise disk_error(error, path, "the file there was left as it was") from None
    except BaseException:
        _remove(tmp)
        raise
    return path


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def replace_dir(target: str | os.PathLike, build: Callable[[Path], object], *,
                check: Callable[[Path], object] | None = None) -> Path:
    """Build a folder with ``build(temporary_folder)`` and move it to ``target`` all at once.

    The folder is built under a temporary name next to ``target`` (created with ``0o777`` minus the
    umask, like any new folder). ``check(target)``, called again just before the swap, raises if
    what is at ``target`` may not be replaced (something may have appeared there while building).
    An earlier folder at ``target`` is removed only after the new one is in place; if the swap
    fails, it is put back. A failure leaves ``target`` as it was.
    """
    target = write_target(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temporary_name(target, ".tmp")
    os.mkdir(tmp, 0o777)
    try:
        build(tmp)
        if check is not None:
            check(target)
        _swap_in(tmp, target)
    except OSError as error:
        raise disk_error(error, target, "the folder there was left as it was") from None
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return target


def _swap_in(new: Path, target: Path) -> None:
    if not target.exists():
        os.rename(new, target)
        return
    old = _temporary_name(target, ".old")
    os.rename(target, old)
    try:
        os.rename(new, target)
    except BaseException:
        os.rename(old, target)  # put the earlier folder back
        raise
    shutil.rmtree(old)
