"""Progress survives crashes, corruption, two writers at once, and lives where the env var says."""
import json
import multiprocessing
import os

import pytest

from helpers.course import progress
from helpers.course.progress import LEITNER_BOXES, ProgressError, ProgressStore, card_boxes, leitner_update, progress_path, progress_summary, record_answer, record_card, start_practice_round
from helpers.course.exercises import EXERCISES
from helpers.course.plots import plot_progress


@pytest.fixture
def store(tmp_path, monkeypatch):
    path = tmp_path / "sub" / "progress.json"
    monkeypatch.setenv("BERT_COURSE_PROGRESS", str(path))
    return ProgressStore()


def test_env_var_overrides_default_location(tmp_path, monkeypatch):
    monkeypatch.delenv("BERT_COURSE_PROGRESS", raising=False)
    assert progress_path() == (progress.DEFAULT_PATH).expanduser()
    assert str(progress_path()).endswith(os.path.join(".bert_course", "progress.json"))
    monkeypatch.setenv("BERT_COURSE_PROGRESS", str(tmp_path / "elsewhere.json"))
    assert progress_path() == tmp_path / "elsewhere.json"
    record_answer("q", "mlm", "multiple_choice", True)  # no store given: uses the env var
    assert json.loads((tmp_path / "elsewhere.json").read_text())["answers"]["q"]["correct"] is True


def test_answers_persist_across_sessions(store):
    record_answer("mlm-mix", "mlm", "multiple_choice", False, "A", store=store)
    record_answer("mlm-mix", "mlm", "multiple_choice", True, "B", store=store)
    later = ProgressStore(store.path)  # a new session reads the same file
    entry = later.load()["answers"]["mlm-mix"]
    assert entry["attempts"] == 2 and entry["first_try_correct"] is False and entry["correct"] is True
    assert entry["answer"] == "B"


def test_leitner_rule():
    assert leitner_update(1, True) == 2
    assert leitner_update(LEITNER_BOXES, True) == LEITNER_BOXES
    assert leitner_update(4, False) == 1


def test_card_boxes_persist(store):
    assert record_card("nsp", True, store=store) == 2
    assert record_card("nsp", True, store=store) == 3
    assert record_card("mlm-mix", False, store=store) == 1
    assert card_boxes(store=ProgressStore(store.path)) == {"nsp": 3, "mlm-mix": 1}
    assert start_practice_round(store=store) == 1
    assert start_practice_round(store=store) == 2


def test_crash_mid_write_keeps_the_old_file(store, monkeypatch):
    record_answer("a", "mlm", "multiple_choice", True, store=store)
    before = store.path.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("simulated power cut")

    for name in ("fsync", "replace"):  # crash before the data is on disk, and at the rename
        monkeypatch.setattr(progress.os, name, crash)
        with pytest.raises(OSError, match="simulated power cut"):
            record_answer("b", "mlm", "multiple_choice", True, store=store)
        monkeypatch.undo()
        assert store.path.read_bytes() == before
        assert [p.name for p in store.path.parent.iterdir() if p.suffix == ".tmp"] == []  # no litter
    assert set(store.load()["answers"]) == {"a"}


@pytest.mark.parametrize("garbage", [b"{not json", b"[1, 2, 3]", b'{"version": 0}', b'{"version": "1"}',
                                     b"\xff\xfe\x00"])
def test_corrupt_file_is_moved_aside_with_a_warning(store, garbage):
    store.path.parent.mkdir(parents=True, exist_ok=True)
    store.path.write_bytes(garbage)
    with pytest.warns(RuntimeWarning, match="could not be read.*moved to"):
        data = store.load()
    assert data == progress.empty_progress()
    aside = [p for p in store.path.parent.iterdir() if ".corrupt-" in p.name]
    assert len(aside) == 1 and aside[0].read_bytes() == garbage  # nothing silently lost
    record_answer("q", "mlm", "self_check", True, store=store)  # and a fresh file works
    assert store.load()["answers"]["q"]["correct"] is True


def _worker(path, worker, n):
    store = ProgressStore(path)
    for i in range(n):
        record_answer(f"w{worker}-q{i}", "mlm", "multiple_choice", i % 2 == 0, store=store)
        record_card("shared-card", True, store=store)


def test_two_processes_writing_at_once_lose_nothing(tmp_path):
    path = tmp_path / "progress.json"
    n = 25
    ctx = multiprocessing.get_context("spawn" if os.name == "nt" else "fork")
    procs = [ctx.Process(target=_worker, args=(path, w, n)) for w in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    data = ProgressStore(path).load()
    assert len(data["answers"]) == 2 * n  # every answer from both processes survived
    assert data["cards"]["shared-card"]["reviews"] == 2 * n  # read-modify-write never raced


def test_summary_counts_and_plot(store):
    record_answer("mlm-mix", "mlm", "multiple_choice", False, store=store)
    record_answer("mlm-mix", "mlm", "multiple_choice", True, store=store)
    record_answer("mlm-selection-rate", "mlm", "multiple_choice", True, store=store)
    record_answer("self-check-nsp", "nsp", "self_check", True, store=store)
    record_card("nsp", True, store=store)
    record_card("nsp", True, store=store)
    summary = progress_summary(store=store)
    assert summary["topics"]["mlm"]["answered"] == 2
    assert summary["topics"]["mlm"]["correct"] == 1  # mlm-mix was wrong at the first try
    assert summary["topics"]["nsp"] == {**summary["topics"]["nsp"], "answered": 1, "correct": 1}
    assert summary["topics"]["mlm"]["notebook"] == 2 and summary["topics"]["mlm"]["questions"] >= 5
    assert summary["boxes"] == {1: 11, 2: 0, 3: 1, 4: 0, 5: 0}
    assert summary["cards_reviewed"] == 1
    fig = plot_progress(summary, exercises=EXERCISES.values())
    titles = [ax.get_title() for ax in fig.axes]
    assert all(titles) and all(ax.get_xlabel() for ax in fig.axes)
    assert fig.axes[1].get_ylabel() == "number of flashcards"


def _files(folder):
    return sorted(p.name for p in folder.iterdir() if not p.name.endswith(".lock"))


def test_malformed_entries_are_set_aside_and_valid_ones_kept(store):
    """Wrong value types used to break the widgets (AttributeError / KeyError); box 9 was never due again."""
    good_answer = {"attempts": 1, "first_try_correct": True, "correct": True, "topic": "mlm",
                   "kind": "multiple_choice", "answer": "B", "updated": 1.0}
    original = {"version": 1, "practice_rounds": 3,
                "answers": {"mlm-mix": good_answer, "as-text": "B", "attempts-text": {**good_answer, "attempts": "2"}},
                "cards": {"nsp": {"box": 2, "reviews": 1, "knew": 1}, "box-nine": {"box": 9, "reviews": 9, "knew": 9},
                          "knew-too-many": {"box": 2, "reviews": 1, "knew": 5}}}
    store.path.parent.mkdir(parents=True)
    raw = json.dumps(original).encode()
    store.path.write_bytes(raw)
    with pytest.warns(RuntimeWarning, match=r"cannot be used \(answers\['as-text'\] is str.*attempts='2'.*"
                                            r"box=9.*The valid ones were kept; the original file was copied to"):
        data = store.load()
    assert data["answers"] == {"mlm-mix": good_answer}
    assert data["cards"] == {"nsp": {"box": 2, "reviews": 1, "knew": 1}} and data["practice_rounds"] == 3
    backups = [p for p in store.path.parent.iterdir() if ".invalid-" in p.name]
    assert len(backups) == 1 and backups[0].read_bytes() == raw  # nothing silently lost
    assert json.loads(store.path.read_text()) == data  # the file was cleaned, so it warns only once
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert store.load() == data
    # the card that sat in box 9 is due again (box 1), and the summary no longer breaks
    from helpers.course.flashcards import practice_queue
    assert "box-nine" in practice_queue(["nsp", "box-nine"], card_boxes(store=store), round_number=1)
    assert progress_summary(store=store)["topics"]["mlm"]["answered"] == 1


def test_a_file_from_a_newer_version_is_left_in_place(store):
    store.path.parent.mkdir(parents=True)
    raw = json.dumps({"version": 2, "answers": {"q": {"new": "format"}}, "cards": [], "streak": 4}).encode()
    store.path.write_bytes(raw)
    for attempt in (store.load, lambda: record_answer("q", "mlm", "self_check", True, store=store)):
        with pytest.raises(ProgressError, match="written by a newer version of the course.*version 2.*left untouched"):
            attempt()
    assert store.path.read_bytes() == raw and _files(store.path.parent) == ["progress.json"]
    assert isinstance(ProgressError("x"), OSError)  # so the widgets say "Progress not saved: ..."


def test_a_symlinked_progress_file_is_written_through(tmp_path):
    real = tmp_path / "synced" / "real-progress.json"
    real.parent.mkdir()
    record_answer("a", "mlm", "self_check", True, store=ProgressStore(real))
    link = tmp_path / "progress.json"
    link.symlink_to(real)
    record_answer("b", "mlm", "self_check", False, store=ProgressStore(link))
    assert link.is_symlink() and link.resolve() == real  # the link stays a link
    assert set(json.loads(real.read_text())["answers"]) == {"a", "b"}  # and the target is current
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".tmp"] == []


def test_a_read_only_progress_file_is_not_overwritten(store):
    record_answer("a", "mlm", "self_check", True, store=store)
    os.chmod(store.path, 0o444)
    before = store.path.read_bytes()
    try:
        with pytest.raises(ProgressError, match="is read-only, so progress cannot be saved"):
            record_answer("b", "mlm", "self_check", True, store=store)
        assert store.path.read_bytes() == before
        assert os.stat(store.path).st_mode & 0o777 == 0o444  # its mode is unchanged
        assert set(store.load()["answers"]) == {"a"}  # reading still works
    finally:
        os.chmod(store.path, 0o644)


def test_an_existing_file_keeps_its_permissions(store):
    record_answer("a", "mlm", "self_check", True, store=store)
    assert os.stat(store.path).st_mode & 0o777 == 0o600  # a new file is private
    os.chmod(store.path, 0o640)
    record_answer("b", "mlm", "self_check", True, store=store)
    assert os.stat(store.path).st_mode & 0o777 == 0o640


def test_a_folder_or_a_path_under_a_file_is_a_clear_error(tmp_path):
    folder = tmp_path / "progress.json"
    folder.mkdir()
    for attempt in (ProgressStore(folder).load, lambda: record_card("c", True, store=ProgressStore(folder))):
        with pytest.raises(ProgressError, match="is a folder, not a file"):
            attempt()
    (tmp_path / "file").write_text("x")
    with pytest.raises(ProgressError, match="is a file, not a folder"):
        record_card("c", True, store=ProgressStore(tmp_path / "file" / "progress.json"))
    assert (tmp_path / "file").read_text() == "x"
