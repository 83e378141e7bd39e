"""Progress survives crashes, corruption, two writers at once, and lives where the env var says;
old files are upgraded without loss; files that are not progress files are never touched."""
import hashlib
import json
import multiprocessing
import os

import pytest

from helpers.course import progress, progress_store, progress_upgrade
from helpers.course.content import load_quiz
from helpers.course.exercises import EXERCISES
from helpers.course.leitner import LEITNER_BOXES, leitner_update
from helpers.course.plots import plot_progress
from helpers.course.progress import (LearnerState, apply_answer, card_boxes, counts_as_correct, needs_review,
                                     progress_summary, record_answer, record_card, review_ids, start_practice_round)
from helpers.course.progress_store import ProgressError, ProgressStore, classify, progress_path
from helpers.course.progress_upgrade import v1_choice_order


@pytest.fixture
def store(tmp_path, monkeypatch):
    path = tmp_path / "sub" / "progress.json"
    monkeypatch.setenv("BERT_COURSE_PROGRESS", str(path))
    return ProgressStore()


def test_env_var_overrides_default_location(tmp_path, monkeypatch):
    monkeypatch.delenv("BERT_COURSE_PROGRESS", raising=False)
    assert progress_path() == (progress_store.DEFAULT_PATH).expanduser()
    assert str(progress_path()).endswith(os.path.join(".bert_course", "progress.json"))
    monkeypatch.setenv("BERT_COURSE_PROGRESS", str(tmp_path / "elsewhere.json"))
    assert progress_path() == tmp_path / "elsewhere.json"
    record_answer("q", "mlm", "multiple_choice", True)  # no store given: uses the env var
    assert json.loads((tmp_path / "elsewhere.json").read_text())["answers"]["q"]["correct"] is True


def test_answers_persist_across_sessions_by_choice_id(store):
    record_answer("mlm-mix", "mlm", "multiple_choice", False, choice_ids=["it-is-always-replaced-by"], store=store)
    record_answer("mlm-mix", "mlm", "multiple_choice", True, choice_ids=["80-mask-10-a-random"],
                  first_in_showing=False, store=store)
    later = ProgressStore(store.path)  # a new session reads the same file
    entry = later.load()["answers"]["mlm-mix"]
    assert entry["attempts"] == 2 and entry["first_try_correct"] is False and entry["correct"] is True
    assert entry["choice_ids"] == ["80-mask-10-a-random"] and "answer" not in entry
    assert entry["latest_first_try_correct"] is False  # the first answer of that showing was wrong
    assert later.load()["version"] == 2
    with pytest.raises(ValueError, match=r"choice_ids=\['A', ''\] is not allowed"):
        record_answer("mlm-mix", "mlm", "multiple_choice", True, choice_ids=["A", ""], store=store)


def test_one_rule_for_the_score_and_one_for_the_review():
    mc = apply_answer(None, topic="mlm", kind="multiple_choice", correct=False, choice_ids=["a"])
    mc = apply_answer(mc, topic="mlm", kind="multiple_choice", correct=True, choice_ids=["b"], first_in_showing=False)
    assert not counts_as_correct(mc) and needs_review(mc)  # wrong first, right after the feedback
    mc = apply_answer(mc, topic="mlm", kind="multiple_choice", correct=True, choice_ids=["b"])  # a later showing
    assert not counts_as_correct(mc) and not needs_review(mc)  # the score keeps the first answer ever
    sc = apply_answer(None, topic="mlm", kind="self_check", correct=False, text="hmm")
    assert not counts_as_correct(sc) and needs_review(sc)
    sc = apply_answer(sc, topic="mlm", kind="self_check", correct=True, text=None)
    assert counts_as_correct(sc) and not needs_review(sc) and sc["text"] is None


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
        monkeypatch.setattr(os, name, crash)
        with pytest.raises(OSError, match="simulated power cut"):
            record_answer("b", "mlm", "multiple_choice", True, store=store)
        monkeypatch.undo()
        assert store.path.read_bytes() == before
        assert [p.name for p in store.path.parent.iterdir() if p.suffix == ".tmp"] == []  # no litter
    assert set(store.load()["answers"]) == {"a"}


DAMAGED = [b'{\n "answers": {\n  "mlm-mix": {\n   "attem',  # cut short
           b'{"version": 2, "answers": {"mlm-mix": {"attempts": 1\xff, "correct": true}}}',  # a flipped bit
           b'{"version": 2, "cards": {}, "answers": {}' + b"\x00" * 300,  # zero-filled tail after a crash
           b"", b"  \n", b"\x00" * 4096,  # emptied by a crash
           b'{"version": 0}', b'{"version": "1"}', b'{"answers": {}}', b'{"version": true, "answers": {}}',
           b'\xef\xbb\xbf{"version": 2, "answers": [}']  # a BOM and a bad hand edit


@pytest.mark.parametrize("garbage", DAMAGED)
def test_a_damaged_progress_file_is_moved_aside_with_a_warning(store, garbage):
    store.path.parent.mkdir(parents=True, exist_ok=True)
    store.path.write_bytes(garbage)
    with pytest.warns(RuntimeWarning, match="could not be read.*moved to"):
        data = store.load()
    assert data == progress_store.empty_progress()
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
                   "kind": "multiple_choice", "choice_ids": ["80-mask-10-a-random"], "updated": 1.0}
    original = {"version": 2, "practice_rounds": 3, "shuffle_seed": 11,
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
    raw = json.dumps({"version": 3, "answers": {"q": {"new": "format"}}, "cards": [], "streak": 4}).encode()
    store.path.write_bytes(raw)
    for attempt in (store.load, lambda: record_answer("q", "mlm", "self_check", True, store=store)):
        with pytest.raises(ProgressError, match="written by a newer version of the course.*version 3.*left untouched"):
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


# ---------------------------------------------------------------- not a progress file (issue 22)


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _foreign_files(folder):
    import torch

    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    torch.save({"model": torch.zeros(3), "metadata": {"steps": 5}}, folder / "run.pt")  # a zip archive
    files["checkpoint"] = folder / "run.pt"
    torch.save({"w": torch.ones(2)}, folder / "old.pt", _use_new_zipfile_serialization=False)  # a pickle
    files["old checkpoint"] = folder / "old.pt"
    (folder / "notebook.ipynb").write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4}))
    files["notebook"] = folder / "notebook.ipynb"
    (folder / "list.json").write_text("[1, 2, 3]")
    files["JSON list"] = folder / "list.json"
    (folder / "scores.csv").write_text("step,loss\n1,2.5\n")
    files["CSV"] = folder / "scores.csv"
    (folder / "notes.txt").write_text("{ this is my note about answers }")
    files["text starting with a brace"] = folder / "notes.txt"
    (folder / "noise.bin").write_bytes(bytes(range(256)) * 8)
    files["binary"] = folder / "noise.bin"
    (folder / "picture.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    files["image"] = folder / "picture.png"
    return files


def test_a_file_that_is_not_a_progress_file_is_refused_and_left_exactly_as_it_was(tmp_path, monkeypatch):
    from helpers.course.quiz import quiz

    files = _foreign_files(tmp_path / "work")
    for name, path in files.items():
        before = (_sha(path), os.stat(path).st_mode, sorted(p.name for p in path.parent.iterdir()))
        monkeypatch.setenv("BERT_COURSE_PROGRESS", str(path))
        store = ProgressStore()
        for attempt in (store.load, lambda: record_answer("q", "mlm", "self_check", True, store=store),
                        lambda: record_card("nsp", True, store=store), lambda: progress_summary(store=store)):
            with pytest.raises(ProgressError) as err:
                attempt()
            message = str(err.value)
            assert "\n" not in message and "is not a progress file" in message and "left untouched" in message, name
            assert "BERT_COURSE_PROGRESS" in message
        qz = quiz("mlm")  # a quiz still shows, says why nothing is saved, and saves nothing
        assert "is not a progress file" in qz.problem.value
        qz.items[0].choose(qz.items[0].question.choices[0].id)
        assert "Progress not saved" in qz.items[0].status.value and qz.score[1] == 1
        after = (_sha(path), os.stat(path).st_mode, sorted(p.name for p in path.parent.iterdir()))
        assert after == before, name  # same bytes, same mode, no lock file, no copy, nothing moved
    assert "zip archive" in str(pytest.raises(ProgressError, ProgressStore(files["checkpoint"]).load).value)


def test_a_huge_file_is_refused_without_being_read(tmp_path):
    path = tmp_path / "big.bin"
    with open(path, "wb") as f:
        f.truncate(64 * 2**20)  # sparse: 64 MB of zeros on paper
    with pytest.raises(ProgressError, match="it is 64 MB, far more than any progress file"):
        ProgressStore(path).load()
    assert path.stat().st_size == 64 * 2**20 and sorted(p.name for p in tmp_path.iterdir()) == ["big.bin"]


def test_classify_tells_damaged_progress_from_foreign_files():
    for raw in DAMAGED:
        kind, _ = classify(raw)
        assert kind in ("damaged", "progress"), raw  # "progress" with a bad version is damaged later
    assert classify(b'{"version": 2, "answers": {}}')[0] == "progress"
    for raw in (b"PK\x03\x04...", b"\x80\x02}q\x00.", b'{"cells": []}', b"[]", b"null", b"hello", b"{ x }"):
        assert classify(raw)[0] == "foreign", raw


# ---------------------------------------------------------------- version 1 -> version 2


def _v1_entry(answer, kind="multiple_choice", first=True, correct=True, attempts=1, topic="mlm"):
    return {"attempts": attempts, "first_try_correct": first, "correct": correct, "topic": topic,
            "kind": kind, "answer": answer, "updated": 1700000000.0}


def _position_now(qid, choice_id):
    q = next(q for q in load_quiz() if q.id == qid)
    return [c.id for c in q.choices].index(choice_id)


V1_FILE = {
    "version": 1, "practice_rounds": 4, "my_note": "kept",
    "answers": {
        "attention-no-causal-mask": _v1_entry("C", topic="next_token"),  # right, and C is not where it is now
        "mlm-mix": _v1_entry("A", first=False, correct=False, attempts=1),  # a wrong answer
        "mlm-structural-tokens": _v1_entry("ABC"),  # select-all
        "predict-copy-collapse": _v1_entry("B", kind="prediction", correct=False, topic="next_token"),
        "self-check-mlm": _v1_entry("mask 15%, predict the originals", kind="self_check"),
        "self-check-nsp": _v1_entry("A", kind="self_check", topic="nsp"),  # text that looks like a letter
        "a-question-since-removed": _v1_entry("B"),
        "workflow-cost": _v1_entry("E"),  # past its last choice
        "workflow-pretraining": _v1_entry(None),
    },
    "cards": {"nsp": {"box": 3, "reviews": 4, "knew": 3, "updated": 1.0}},
    "exercises": {"mlm-corrupt": {"attempts": 2, "passed": True, "first_pass_attempt": 2}},
}


def test_a_version_1_file_is_upgraded_once_by_the_order_its_letters_meant(store):
    # The letters point at choices that have moved since: reading them in today's order would be wrong.
    v1 = v1_choice_order()
    assert v1["attention-no-causal-mask"][2] == "every-position-in-the-input"
    assert _position_now("attention-no-causal-mask", "every-position-in-the-input") != 2
    assert v1["mlm-mix"][0] == "it-is-always-replaced-by" and _position_now("mlm-mix", "it-is-always-replaced-by") != 0
    store.path.parent.mkdir(parents=True)
    raw = json.dumps(V1_FILE).encode()
    store.path.write_bytes(raw)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an upgrade is not a problem: no warning
        data = store.load()
    answers = data["answers"]
    assert data["version"] == 2 and isinstance(data["shuffle_seed"], int)
    assert answers["attention-no-causal-mask"]["choice_ids"] == ["every-position-in-the-input"]
    assert answers["mlm-mix"]["choice_ids"] == ["it-is-always-replaced-by"]
    assert answers["mlm-structural-tokens"]["choice_ids"] == ["cls", "sep", "pad"]
    assert answers["predict-copy-collapse"]["choice_ids"] == ["the-bidirectional-model-is-better"]
    assert answers["self-check-mlm"]["text"] == "mask 15%, predict the originals"
    assert answers["self-check-nsp"]["text"] == "A"
    assert answers["a-question-since-removed"]["v1_answer"] == "B"  # kept, not guessed
    assert answers["workflow-cost"]["v1_answer"] == "E"
    assert "choice_ids" not in answers["workflow-pretraining"] and answers["workflow-pretraining"]["attempts"] == 1
    assert all("answer" not in e for e in answers.values())
    for qid, entry in V1_FILE["answers"].items():  # nothing else about an answer changed
        for key in ("attempts", "first_try_correct", "correct", "topic", "kind", "updated"):
            assert answers[qid][key] == entry[key], (qid, key)
    assert data["cards"] == V1_FILE["cards"] and data["exercises"] == V1_FILE["exercises"]
    assert data["practice_rounds"] == 4 and data["my_note"] == "kept"
    # Written once; the original stays beside it, byte for byte.
    backups = [p for p in store.path.parent.iterdir() if ".v1-" in p.name]
    assert len(backups) == 1 and backups[0].read_bytes() == raw
    assert json.loads(store.path.read_text()) == data
    assert store.load() == data and len([p for p in store.path.parent.iterdir() if ".v1-" in p.name]) == 1
    # The scores are the same before and after.
    summary = progress_summary(store=store)["topics"]
    assert summary["next_token"]["correct"] == 1 and summary["mlm"]["answered"] == 3


def test_an_upgraded_answer_is_shown_on_the_right_choice_whatever_the_order(store, monkeypatch):
    from helpers.course.quiz import choice_order, quiz

    monkeypatch.setenv("BERT_COURSE_PROGRESS", str(store.path))
    store.path.parent.mkdir(parents=True)
    store.path.write_text(json.dumps(V1_FILE))
    for seed in (1, 2, 3):
        data = json.loads(store.path.read_text()) if store.path.exists() else None
        if data and data.get("version") == 2:
            data["shuffle_seed"] = seed
            store.path.write_text(json.dumps(data))
        w = quiz("next_token", kind="multiple_choice").items[0]
        right = _position_now("attention-no-causal-mask", "every-position-in-the-input")
        assert w.buttons[w.order.index(right)].button_style == "success"
        assert "Every position in the input, before and after it (✓ right)" in w.previous.value
        assert w.order == choice_order(w.question, json.loads(store.path.read_text())["shuffle_seed"])


def test_a_read_only_version_1_file_is_upgraded_in_memory_and_never_written(store):
    store.path.parent.mkdir(parents=True)
    store.path.write_text(json.dumps(V1_FILE))
    os.chmod(store.path, 0o444)
    before = _sha(store.path)
    try:
        data = store.load()
        assert data["answers"]["attention-no-causal-mask"]["choice_ids"] == ["every-position-in-the-input"]
        state = LearnerState.load(store)  # a seed fixed for this path, not saved
        assert state.seed == LearnerState.load(store).seed and state.problem is None
        with pytest.raises(ProgressError, match="is read-only"):
            record_answer("mlm-mix", "mlm", "multiple_choice", True, choice_ids=["80-mask-10-a-random"], store=store)
        assert _sha(store.path) == before and _files(store.path.parent) == ["progress.json"]
    finally:
        os.chmod(store.path, 0o644)


def test_a_version_1_file_with_a_bad_entry_keeps_the_rest_and_is_upgraded(store):
    bad = {**V1_FILE, "answers": {**V1_FILE["answers"], "broken": {"attempts": "many"}}}
    store.path.parent.mkdir(parents=True)
    raw = json.dumps(bad).encode()
    store.path.write_bytes(raw)
    with pytest.warns(RuntimeWarning, match=r"answers\['broken'\].*copied to"):
        data = store.load()
    assert "broken" not in data["answers"] and data["version"] == 2
    assert data["answers"]["mlm-structural-tokens"]["choice_ids"] == ["cls", "sep", "pad"]
    backups = [p for p in store.path.parent.iterdir() if ".invalid-" in p.name]
    assert len(backups) == 1 and backups[0].read_bytes() == raw


FROZEN_V1_DIGEST = "631a8f3c15a62ef9b3238d64f4683c88ab4433341330295e1568ad691f190eed"


def test_the_frozen_version_1_order_is_never_edited():
    """Old letters refer to it: changing it would silently move every old answer."""
    raw = (progress_upgrade.V1_CHOICE_ORDER_PATH).read_text()
    questions = json.loads(raw)["questions"]
    digest = hashlib.sha256(json.dumps(questions, sort_keys=True).encode()).hexdigest()
    assert len(questions) == 49 and digest == FROZEN_V1_DIGEST
    for qid, ids in questions.items():
        assert len(set(ids)) == len(ids) >= 2, qid


# ---------------------------------------------------------------- the learner's shuffle seed


def test_a_fresh_file_gets_a_seed_that_stays(store):
    assert "shuffle_seed" not in store.load() and not store.path.exists()  # reading writes nothing
    state = LearnerState.load(store)
    seed = json.loads(store.path.read_text())["shuffle_seed"]
    assert state.seed == seed and 0 <= seed < 2**32
    record_answer("q", "mlm", "self_check", True, store=store)
    record_card("nsp", True, store=store)
    assert json.loads(store.path.read_text())["shuffle_seed"] == seed == LearnerState.load(store).seed
    other = ProgressStore(store.path.with_name("other.json"))
    record_card("nsp", True, store=other)
    assert isinstance(json.loads(other.path.read_text())["shuffle_seed"], int)


def test_a_bad_seed_is_replaced_with_a_warning(store):
    store.path.parent.mkdir(parents=True)
    store.path.write_text(json.dumps({"version": 2, "answers": {}, "cards": {}, "shuffle_seed": "lucky"}))
    with pytest.warns(RuntimeWarning, match="shuffle_seed='lucky'.*a new one is drawn"):
        data = store.load()
    assert isinstance(data["shuffle_seed"], int) and json.loads(store.path.read_text())["shuffle_seed"] == data[
        "shuffle_seed"]


def test_review_ids_follow_the_course_order_and_leave_predictions_out(store):
    record_answer("practice-generation", "practice", "multiple_choice", False, choice_ids=["bert-more-context"],
                  store=store)
    record_answer("mlm-mix", "mlm", "multiple_choice", False, choice_ids=["it-is-always-replaced-by"], store=store)
    record_answer("predict-copy-collapse", "next_token", "prediction", False,
                  choice_ids=["the-two-models-score-about"], store=store)
    record_answer("removed-long-ago", "mlm", "multiple_choice", False, choice_ids=["x"], store=store)
    assert review_ids(store.load()["answers"]) == ["mlm-mix", "practice-generation"]


def test_the_store_and_upgrade_names_still_import_from_the_progress_module():
    for module in (progress_store, progress_upgrade):
        names = [n for n, v in vars(module).items() if not n.startswith("_")
                 and (getattr(v, "__module__", None) == module.__name__
                      or n in ("ENV_VAR", "DEFAULT_PATH", "VERSION", "V1_CHOICE_ORDER_PATH"))]
        assert names and all(getattr(progress, n) is getattr(module, n) for n in names), module.__name__
    assert progress.LEITNER_BOXES == LEITNER_BOXES and progress.leitner_update is leitner_update
