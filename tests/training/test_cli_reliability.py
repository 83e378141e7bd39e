"""The pre-training command under the mistakes and faults of issue 22: no work lost (hashes of every file
before and after), no setting changed without a word, no hang, one line for each mistake."""
from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys

import pytest
import torch

from helpers.modeling.checkpoints import load_checkpoint, read_checkpoint_metadata, save_checkpoint
from helpers.paths import REPOSITORY_DIR
from helpers.text import corpus
from helpers.training import cli, pretraining

from cli_interrupts import interrupt_after  # tests/ is on sys.path (conftest.py)

FAST = ["--preset", "tiny", "--steps", "2", "--num-documents", "40", "--eval-every", "2", "--no-progress"]


def run(capsys, *args, fast=FAST):
    status = cli.main([*fast, *map(str, args)])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def one_line(err: str, *fragments: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def digests(folder) -> dict[str, str]:
    """SHA-256 of every file in ``folder`` (symlinks followed)."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture
def no_training(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("pretrain() was called: the mistake was not caught before training")
    monkeypatch.setattr(cli, "pretrain", refuse)


def fake_checkpoint(path, story_tokenizer, tiny_model, **metadata):
    return save_checkpoint(path, tiny_model, story_tokenizer, metadata)


# ---------------------------------------------------------------- work lost


def test_a_second_interrupted_run_never_replaces_one_with_more_steps(capsys, tmp_path, monkeypatch,
                                                                     story_tokenizer, tiny_model):
    out = tmp_path / "run.pt"
    assert run(capsys, "--out", out)[0] == 0                        # a finished checkpoint
    fake_checkpoint(tmp_path / "run.interrupted.pt", story_tokenizer, tiny_model, interrupted=True, steps=100,
                    metrics={"mlm_accuracy": 0.5})                  # an earlier Ctrl-C, 100 steps in
    before = digests(tmp_path)
    interrupt_after(1, monkeypatch)
    status, _, err = run(capsys, "--steps", "50", "--out", out)
    assert status == 130 and "run.interrupted-2.pt" in err
    after = digests(tmp_path)
    assert {k: after[k] for k in before} == before                   # both earlier files untouched
    assert read_checkpoint_metadata(tmp_path / "run.interrupted-2.pt")["steps"] == 1


def test_an_interrupted_run_with_more_steps_replaces_an_interrupted_one_with_fewer(capsys, tmp_path, monkeypatch,
                                                                                   story_tokenizer, tiny_model):
    out = tmp_path / "run.pt"
    fake_checkpoint(out, story_tokenizer, tiny_model, interrupted=True, steps=1, metrics={"mlm_accuracy": 0.1})
    interrupt_after(3, monkeypatch)
    status, _, err = run(capsys, "--steps", "50", "--out", out)
    assert status == 130 and sorted(p.name for p in tmp_path.iterdir()) == ["run.pt"]
    assert read_checkpoint_metadata(out)["steps"] == 3


def test_a_second_ctrl_c_while_saving_is_ignored_until_the_file_is_written(capsys, tmp_path, monkeypatch):
    real_save = cli.save_checkpoint

    def save_with_ctrl_c(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)  # the learner presses Ctrl-C again, mid-save
        return real_save(*args, **kwargs)

    monkeypatch.setattr(cli, "save_checkpoint", save_with_ctrl_c)
    interrupt_after(2, monkeypatch)
    status, _, err = run(capsys, "--steps", "50", "--out", tmp_path / "run.pt")
    assert status == 130 and "Ctrl-C noted" in err and "interrupted (Ctrl-C) after step 2 of 50" in err
    assert load_checkpoint(tmp_path / "run.pt").metadata["steps"] == 2
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # the command put the handler back


def test_ctrl_c_before_the_first_step_writes_nothing(capsys, tmp_path, monkeypatch):
    def ctrl_c(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(corpus, "make_storybook", ctrl_c)  # while the corpus is being generated
    status, _, err = run(capsys, "--out", tmp_path / "m.pt")
    assert status == 130 and "Traceback" not in err
    assert err.strip() == "python -m helpers.pretrain: interrupted before training; nothing written."
    monkeypatch.undo()
    interrupt_after(0, monkeypatch)  # at the first batch
    status, _, err = run(capsys, "--out", tmp_path / "m.pt")
    assert status == 130 and err.strip().endswith("interrupted before training; nothing written.")
    assert list(tmp_path.iterdir()) == []


def test_an_imported_checkpoint_without_metrics_is_not_replaced_without_force(capsys, tmp_path, no_training,
                                                                             story_tokenizer, tiny_model):
    imported = fake_checkpoint(tmp_path / "bert.pt", story_tokenizer, tiny_model,
                               imported_from="/models/bert-base-uncased", newly_initialised=[])
    before = digests(tmp_path)
    status, _, err = run(capsys, "--out", imported)
    assert status == 2
    one_line(err, "no recorded held-out accuracy", "imported with --from-hf", "--force")
    assert digests(tmp_path) == before


def test_force_replaces_an_imported_checkpoint(capsys, tmp_path, story_tokenizer, tiny_model):
    imported = fake_checkpoint(tmp_path / "bert.pt", story_tokenizer, tiny_model, imported_from="x")
    assert run(capsys, "--out", imported, "--force")[0] == 0
    assert read_checkpoint_metadata(imported)["steps"] == 2


def test_a_symlinked_out_writes_through_to_its_target(capsys, tmp_path):
    target = tmp_path / "real" / "model.pt"
    target.parent.mkdir()
    link = tmp_path / "link.pt"
    link.symlink_to(target)  # dangling: the target does not exist yet
    assert run(capsys, "--out", link)[0] == 0
    assert link.is_symlink() and read_checkpoint_metadata(target)["steps"] == 2
    assert run(capsys, "--out", link, "--steps", "3")[0] == 0       # and again, over the first one
    assert link.is_symlink() and read_checkpoint_metadata(target)["steps"] == 3


def test_a_full_disk_during_the_save_is_one_line_and_the_old_checkpoint_stays(tmp_path, story_tokenizer, tiny_model):
    """A real write failure: the command runs with a file-size limit smaller than the new checkpoint."""
    resource = pytest.importorskip("resource")
    old = fake_checkpoint(tmp_path / "m.pt", story_tokenizer, tiny_model, steps=1, metrics={"mlm_accuracy": 0.0})
    before = digests(tmp_path)
    limit = 4096

    def limit_file_size():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails instead of killing
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    done = subprocess.run([sys.executable, "-m", "helpers.pretrain", *FAST, "--out", str(old)],
                          capture_output=True, text=True, cwd=REPOSITORY_DIR, preexec_fn=limit_file_size,
                          env={**os.environ, "PYTHONPATH": str(REPOSITORY_DIR)}, timeout=300)
    assert done.returncode == 1, done.stderr
    one_line(done.stderr, "python -m helpers.pretrain: error: could not write", "the file there was left as it was")
    assert digests(tmp_path) == before


# ---------------------------------------------------------------- settings changed without a word


def test_contradictory_flags_are_refused(capsys, tmp_path, no_training):
    status, _, err = run(capsys, "--out", tmp_path / "m.pt", "--no-nsp", "--sentence-objective", "sop")
    assert status == 2
    one_line(err, "--no-nsp with --sentence-objective=sop is not allowed")
    agreeing = cli.build_parser().parse_args(["--out", "m.pt", "--no-nsp", "--sentence-objective", "none"])
    assert cli.given_settings(agreeing) == {"sentence_objective": "none"}


def test_a_flag_not_given_leaves_the_presets_value(capsys, tmp_path, monkeypatch):
    """--seed, --mask-prob, --random-prob and --precision used to override every preset with their defaults."""
    seen = {}
    real = cli.pretrain

    def spy(config, **kwargs):
        seen["config"] = config
        return real(config, **kwargs)
    monkeypatch.setattr(cli, "pretrain", spy)
    monkeypatch.setitem(cli.PRESETS, "tiny", cli.PRESETS["tiny"].__class__(
        **{**cli.PRESETS["tiny"].__dict__, "seed": 7, "mask_prob": 0.6, "random_prob": 0.2}))
    assert run(capsys, "--out", tmp_path / "m.pt")[0] == 0
    assert (seen["config"].seed, seen["config"].mask_prob, seen["config"].random_prob) == (7, 0.6, 0.2)
    assert run(capsys, "--out", tmp_path / "n.pt", "--seed", "3")[0] == 0 and seen["config"].seed == 3


@pytest.fixture
def resumable(capsys, tmp_path, monkeypatch):
    """An interrupted tiny run on a text corpus of our own, 2 steps in."""
    text = corpus.write_pretraining_text(corpus.make_storybook(60, seed=4), tmp_path / "mine.txt")
    interrupt_after(2, monkeypatch)
    status, _, err = run(capsys, "--corpus", text, "--batch-size", "8", "--steps", "20", "--out", tmp_path / "r.pt")
    assert status == 130, err
    monkeypatch.undo()
    return tmp_path / "r.pt", text


@pytest.mark.parametrize("args, fragment", [
    (["--mask-prob", "0.5"], "--mask-prob=0.5 is not allowed with --resume: the checkpoint was trained with "
                             "mask_prob=0.8"),
    (["--preset", "live"], "--preset=live is not allowed with --resume"),
    (["--hidden-size", "64"], "--hidden-size=64 is not allowed with --resume"),
])
def test_resume_refuses_settings_that_differ_from_the_checkpoint(capsys, tmp_path, resumable, no_training, args,
                                                                fragment):
    checkpoint, _ = resumable
    before = digests(tmp_path)
    status, _, err = run(capsys, "--resume", checkpoint, "--out", checkpoint, "--steps", "4", *args, fast=[])
    assert status == 2
    one_line(err, fragment)
    assert digests(tmp_path) == before


def test_resume_trains_on_the_recorded_corpus_and_says_what_it_kept(capsys, tmp_path, resumable, monkeypatch):
    checkpoint, text = resumable
    seen = {}
    real = cli.pretrain

    def spy(config, *, documents, **kwargs):
        seen.update(config=config, documents=documents)
        return real(config, documents=documents, **kwargs)
    monkeypatch.setattr(cli, "pretrain", spy)
    status, _, err = run(capsys, "--resume", checkpoint, "--steps", "4", "--out", checkpoint, "--no-progress", fast=[])
    assert status == 0, err
    assert seen["documents"] == cli.split_held_out(corpus.read_pretraining_text(text))[0]  # not the storybook
    assert seen["config"].batch_size == 8 and seen["config"].name == "tiny"
    assert "resuming" in err and "with its own settings (preset 'tiny') on --corpus=" in err and "training to step 4" in err


def test_resume_refuses_a_recorded_corpus_that_changed(capsys, tmp_path, resumable, no_training):
    checkpoint, text = resumable
    text.write_text(text.read_text() + "\nA new sentence.\nAnd another one.\n")
    status, _, err = run(capsys, "--resume", checkpoint, "--steps", "4", "--out", checkpoint, fast=[])
    assert status == 2
    one_line(err, "is not the text the checkpoint was trained on", "--corpus")


@pytest.mark.parametrize("args, fragment", [
    (["--num-documents", "1000000000"], "--num-documents=1000000000 is not allowed: it must be an integer from 1 to"),
    (["--hidden-size", "100000"], "--hidden-size=100000 is not allowed"),
    (["--eval-size", "10000000"], "--eval-size=10000000 is not allowed"),
    (["--weight-decay", "nan"], "--weight-decay=nan is not allowed: it must be a finite number"),
    (["--mask-prob", "nan"], "--mask-prob=nan is not allowed"),
    (["--time-budget", "inf"], "--time-budget=inf is not allowed"),
    (["--device", "gpu"], "--device='gpu' is not allowed: use cpu, cuda or cuda:N"),
    (["--join-timeout", "0"], "--join-timeout=0.0 is not allowed"),
])
def test_sizes_that_would_exhaust_memory_and_non_finite_numbers_are_refused(capsys, tmp_path, no_training, args,
                                                                            fragment):
    status, _, err = run(capsys, "--out", tmp_path / "m.pt", *args)
    assert status == 2
    one_line(err, fragment)


# ---------------------------------------------------------------- no hang


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_stray_world_size_gives_up_after_the_join_timeout(tmp_path):
    """WORLD_SIZE=2 with MASTER_ADDR/PORT set but no second rank used to wait forever."""
    env = {**os.environ, "PYTHONPATH": str(REPOSITORY_DIR), "WORLD_SIZE": "2", "RANK": "0", "LOCAL_RANK": "0",
           "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(free_port())}
    done = subprocess.run([sys.executable, "-m", "helpers.pretrain", *FAST, "--out", str(tmp_path / "m.pt"),
                           "--join-timeout", "3", "--device", "cpu"],
                          capture_output=True, text=True, cwd=REPOSITORY_DIR, env=env, timeout=240)
    assert done.returncode == 2, done.stderr
    one_line(done.stderr, "gave up after 3 s waiting for the other 1 rank(s) to join", "unset WORLD_SIZE")
    assert not (tmp_path / "m.pt").exists()


# ---------------------------------------------------------------- tracebacks for user mistakes


@pytest.mark.parametrize("device, fragment", [("cuda", "device='cuda' is not allowed: this machine has no CUDA GPU"),
                                              ("gpu", "device='gpu' is not allowed: use cpu, cuda or cuda:N")])
def test_pretrain_on_a_device_the_machine_lacks_is_one_clear_error(monkeypatch, device, fragment):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match=fragment):
        pretraining.pretrain("tiny", device=device, progress=False)


def test_a_mask_fn_that_returns_none_is_one_clear_error():
    config = pretraining.PRESETS["tiny"].__class__(**{**pretraining.PRESETS["tiny"].__dict__, "num_documents": 40,
                                                      "steps": 2})
    with pytest.raises(ValueError, match=r"mask_fn returned None, which is not allowed: it must return "
                                         r"\(corrupted_input_ids, labels\)"):
        pretraining.pretrain(config, mask_fn=lambda *a, **k: None, progress=False)
