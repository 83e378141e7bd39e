"""helpers.files: atomic writes and folder replacement, the one way the course writes files."""
import errno
import hashlib
import os
import stat

import pytest

from helpers import files
from helpers.files import atomic_write, replace_dir, write_target


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_writes_bytes_text_and_a_writer_function(tmp_path):
    atomic_write(tmp_path / "a.bin", b"\x00\x01")
    atomic_write(tmp_path / "b.txt", "héllo\n")
    atomic_write(tmp_path / "c.bin", lambda f: f.write(b"xyz"))
    assert (tmp_path / "a.bin").read_bytes() == b"\x00\x01"
    assert (tmp_path / "b.txt").read_text(encoding="utf-8") == "héllo\n"
    assert (tmp_path / "c.bin").read_bytes() == b"xyz"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.bin", "b.txt", "c.bin"]  # no temporary left


def test_a_new_file_gets_the_umask_without_the_umask_being_touched(tmp_path, monkeypatch):
    old = os.umask(0o027)
    try:
        monkeypatch.setattr(os, "umask", lambda *_: pytest.fail("os.umask must not be called"))
        atomic_write(tmp_path / "new.txt", "x")
    finally:
        monkeypatch.undo()
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o640


def test_an_existing_file_keeps_its_mode_and_an_explicit_mode_wins(tmp_path):
    path = tmp_path / "kept.txt"
    path.write_text("old")
    path.chmod(0o604)
    atomic_write(path, "new")
    assert stat.S_IMODE(path.stat().st_mode) == 0o604
    atomic_write(tmp_path / "private.txt", "x", mode=0o600)
    assert stat.S_IMODE((tmp_path / "private.txt").stat().st_mode) == 0o600


def test_a_symlink_is_written_through_and_stays_a_link(tmp_path):
    real = tmp_path / "real.txt"
    real.write_text("old")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    atomic_write(link, "new")
    assert link.is_symlink() and real.read_text() == "new"
    assert write_target(link) == real.resolve()


def test_a_failing_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "keep.txt"
    path.write_text("precious")
    before = digest(path)

    def fail(f):
        f.write(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError, match=r"could not write .*keep.txt.*the disk is full; the file there was left"):
        atomic_write(path, fail)
    assert digest(path) == before
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_an_interrupted_write_leaves_the_old_file(tmp_path):
    path = tmp_path / "keep.txt"
    path.write_text("precious")

    def interrupted(f):
        f.write(b"half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(path, interrupted)
    assert path.read_text() == "precious" and len(list(tmp_path.iterdir())) == 1


def test_replace_dir_builds_aside_and_swaps(tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    (target / "old.txt").write_text("old")

    def build(folder):
        (folder / "new.txt").write_text("new")

    replace_dir(target, build)
    assert [p.name for p in target.iterdir()] == ["new.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_replace_dir_keeps_the_old_folder_when_building_or_the_check_fails(tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    (target / "old.txt").write_text("old")

    def broken(folder):
        (folder / "part.txt").write_text("part")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError, match="the disk is full; the folder there was left as it was"):
        replace_dir(target, broken)

    def refuse(where):
        raise ValueError("not yours")

    with pytest.raises(ValueError, match="not yours"):
        replace_dir(target, lambda folder: None, check=refuse)
    assert [p.name for p in target.iterdir()] == ["old.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_a_failed_swap_puts_the_old_folder_back(tmp_path, monkeypatch):
    target = tmp_path / "out"
    target.mkdir()
    (target / "old.txt").write_text("old")
    real_rename = os.rename
    calls = []

    def rename(a, b):
        calls.append((a, b))
        if len(calls) == 2:  # the new folder into place
            raise OSError(errno.EIO, "Input/output error")
        return real_rename(a, b)

    monkeypatch.setattr(files.os, "rename", rename)
    with pytest.raises(OSError, match="Input/output error"):
        replace_dir(target, lambda folder: (folder / "new.txt").write_text("new"))
    monkeypatch.undo()
    assert [p.name for p in target.iterdir()] == ["old.txt"]
