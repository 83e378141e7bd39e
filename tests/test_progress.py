"""Progress survives crashes, corruption, two writers at once, and lives where the env var says."""
import json
import multiprocessing
import os

import pytest

from helpers.course import progress
from helpers.course.progress import LEITNER_BOXES, ProgressStore, card_boxes, leitner_update, progress_path, progress_summary, record_answer, record_card, start_practice_round
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


@pytest.mark.parametrize("garbage", [b"{not json", b"[1, 2, 3]", b'{"version": 99}', b"\xff\xfe\x00"])
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
    fig = plot_progress(summary)
    titles = [ax.get_title() for ax in fig.axes]
    assert all(titles) and all(ax.get_xlabel() for ax in fig.axes)
    assert fig.axes[1].get_ylabel() == "number of flashcards"
