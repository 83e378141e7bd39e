"""The pre-training command line: every mistake is one line and exit status 2, checked before
training, and no run ever replaces a file it should not (the corpus, a better checkpoint...)."""
from __future__ import annotations

import os

import pytest
import torch

from helpers.modeling.checkpoints import load_checkpoint, read_checkpoint_metadata, save_checkpoint
from helpers.text import corpus
from helpers.training.cli import split_held_out
from helpers.training import cli, pretraining

from cli_interrupts import interrupt_after  # tests/ is on sys.path (conftest.py)

FAST = ["--preset", "tiny", "--steps", "2", "--num-documents", "40", "--eval-every", "2", "--no-progress"]


def run(capsys, *args):
    """``main([...])`` in this process: (exit status, stdout, stderr)."""
    status = cli.main([*FAST, *map(str, args)])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def one_line(err: str, *fragments: str) -> None:
    lines = err.splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("python -m helpers.pretrain: error: "), err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


@pytest.fixture
def no_training(monkeypatch):
    """Fail the test if training starts: these mistakes must be caught before it."""
    def refuse(*args, **kwargs):
        raise AssertionError("pretrain() was called: the mistake was not caught before training")
    monkeypatch.setattr(pretraining, "pretrain", refuse)
    monkeypatch.setattr(cli, "pretrain", refuse)  # the name the command line actually calls


@pytest.fixture
def text_corpus(tmp_path):
    return corpus.write_pretraining_text(corpus.make_storybook(30, seed=1), tmp_path / "my.txt")


def test_a_good_run_writes_the_checkpoint(capsys, tmp_path):
    status, out, err = run(capsys, "--out", tmp_path / "ok.pt")
    assert status == 0 and "steps=2" in out and err == ""
    assert load_checkpoint(tmp_path / "ok.pt").metadata["steps"] == 2


def test_out_equal_to_the_corpus_is_refused(capsys, tmp_path, text_corpus, no_training):
    """`--corpus my.txt --out my.txt` used to overwrite the corpus with the checkpoint and exit 0."""
    before = text_corpus.read_bytes()
    (tmp_path / "sub").mkdir()
    link = tmp_path / "link.txt"
    link.symlink_to(text_corpus)
    for out in (text_corpus, tmp_path / "sub" / ".." / "my.txt", link):
        status, _, err = run(capsys, "--corpus", text_corpus, "--out", out)
        assert status == 2
        one_line(err, f"--out={str(out)!r}", "is the corpus", "--corpus=")
    assert text_corpus.read_bytes() == before


def test_out_that_cannot_be_written_is_refused_before_training(capsys, tmp_path, no_training):
    (tmp_path / "folder").mkdir()
    status, _, err = run(capsys, "--out", tmp_path / "folder")
    assert status == 2
    one_line(err, "is a folder")
    (tmp_path / "file.txt").write_text("mine")
    status, _, err = run(capsys, "--out", tmp_path / "file.txt" / "model.pt")
    assert status == 2
    one_line(err, "is a file, so nothing can be written under it")
    locked = tmp_path / "locked"
    locked.mkdir()
    os.chmod(locked, 0o555)
    try:
        status, _, err = run(capsys, "--out", locked / "deeper" / "model.pt")
        assert status == 2
        one_line(err, f"the folder {str(locked)!r} is not writable")
    finally:
        os.chmod(locked, 0o755)
    assert (tmp_path / "file.txt").read_text() == "mine"


def test_an_unrelated_or_read_only_file_at_out_is_left_alone(capsys, tmp_path, no_training):
    notes = tmp_path / "notes.pt"
    notes.write_text("not a checkpoint")
    status, _, err = run(capsys, "--out", notes)
    assert status == 2
    one_line(err, "is not a checkpoint of this course", "--force")
    assert notes.read_text() == "not a checkpoint"
    os.chmod(notes, 0o444)
    try:
        status, _, err = run(capsys, "--out", notes, "--force")
        assert status == 2
        one_line(err, "read-only")
    finally:
        os.chmod(notes, 0o644)


@pytest.mark.parametrize("args, fragments", [
    (["--device", "banana"], ["--device='banana' is not allowed", "cpu, cuda or cuda:N"]),
    (["--batch-size", "1000000"], ["--batch-size=1000000 is not allowed", "from 1 to 4096"]),
    (["--batch-size", "0"], ["--batch-size=0 is not allowed"]),
    (["--warmup-steps", "-5"], ["--warmup-steps=-5 is not allowed", "from 0 to"]),
    (["--steps", "0"], ["--steps=0 is not allowed", "from 1 to"]),
    (["--time-budget", "-1"], ["--time-budget=-1.0 is not allowed", "in (0, "]),
    (["--learning-rate", "nan"], ["--learning-rate=nan is not allowed"]),
    (["--max-length", "500"], ["--max-length=500 is not allowed", "5 to 64"]),
    (["--mask-prob", "0.9", "--random-prob", "0.2"], ["sum must be <= 1"]),
    (["--mask-prob", "2"], ["--mask-prob=2.0 is not allowed"]),
])
def test_bad_values_are_one_line_naming_the_argument(capsys, tmp_path, no_training, args, fragments):
    status, _, err = run(capsys, "--out", tmp_path / "m.pt", *args)
    assert status == 2
    one_line(err, *fragments)
    assert not (tmp_path / "m.pt").exists()


def test_cuda_without_a_gpu_is_one_line(capsys, tmp_path, monkeypatch, no_training):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    for device in ("cuda", "cuda:1"):
        status, _, err = run(capsys, "--out", tmp_path / "m.pt", "--device", device)
        assert status == 2
        one_line(err, f"--device={device!r} is not allowed", "no CUDA GPU")


def test_batch_larger_than_the_corpus_yields_is_refused(capsys, tmp_path, text_corpus):
    """--batch-size 1000000 used to take the whole corpus each step ("728.7 epochs after 2 steps")."""
    training, held_out = split_held_out(corpus.read_pretraining_text(text_corpus))
    capacity = sum(len(d) // 2 for d in training)  # the held-out tenth is not trained on
    status, _, err = run(capsys, "--corpus", text_corpus, "--out", tmp_path / "m.pt", "--batch-size", capacity + 1)
    assert status == 2
    one_line(err, f"--batch-size={capacity + 1} is not allowed", f"yields at most {capacity} sentence pairs")
    assert not (tmp_path / "m.pt").exists()


@pytest.mark.parametrize("env, fragment", [
    ({"WORLD_SIZE": "2"}, "WORLD_SIZE=2 is set but RANK, MASTER_ADDR, MASTER_PORT are not"),
    ({"WORLD_SIZE": "2", "MASTER_ADDR": "localhost", "MASTER_PORT": "29500"}, "RANK is not"),
    ({"WORLD_SIZE": "two"}, "WORLD_SIZE='two' is not allowed"),
    ({"WORLD_SIZE": "2", "RANK": "5", "MASTER_ADDR": "localhost", "MASTER_PORT": "1"}, "RANK='5' is not allowed"),
])
def test_stray_world_size_is_one_line_not_a_hang(capsys, tmp_path, monkeypatch, no_training, env, fragment):
    for name in ("WORLD_SIZE", "RANK", "MASTER_ADDR", "MASTER_PORT", "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    status, _, err = run(capsys, "--out", tmp_path / "m.pt")
    assert status == 2
    one_line(err, fragment)


def test_a_corpus_that_is_not_utf8_is_one_line_naming_the_file(capsys, tmp_path):
    latin = tmp_path / "latin.txt"
    latin.write_bytes("Le café est chaud.\nIl fait beau.\n\nUne autre histoire.\nFin.\n".encode("latin-1"))
    status, _, err = run(capsys, "--corpus", latin, "--out", tmp_path / "m.pt")
    assert status == 2
    one_line(err, str(latin), "not valid UTF-8", "UTF-8 text, one sentence per line")


def test_debug_shows_the_traceback(capsys, tmp_path):
    status, _, err = run(capsys, "--out", tmp_path / "m.pt", "--device", "banana", "--debug")
    assert status == 2 and "Traceback" in err and err.rstrip().splitlines()[-1].startswith("python -m helpers.pretrain")


def test_argparse_errors_are_one_line_too(capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--out", str(tmp_path / "m.pt"), "--steps", "many"])
    assert exit_.value.code == 2
    one_line(capsys.readouterr().err, "argument --steps: invalid int value: 'many'")


@pytest.fixture
def fake_checkpoint(story_tokenizer, tiny_model):
    """Save the tiny model as a checkpoint that claims the given held-out accuracies."""
    def save(path, mlm_accuracy, nsp_accuracy):
        return save_checkpoint(path, tiny_model, story_tokenizer, {
            "metrics": {"mlm_accuracy": mlm_accuracy, "nsp_accuracy": nsp_accuracy}, "steps": 7000,
            "settings": {"nsp": True}, "command": "python -m helpers.pretrain --preset course"})
    return save


def test_zero_steps_writes_nothing(capsys, tmp_path, fake_checkpoint):
    """--time-budget 0.001 used to train 0 steps, exit 0 and replace a trained checkpoint with an untrained one."""
    good = fake_checkpoint(tmp_path / "good.pt", 0.1, 0.5)
    before = good.read_bytes()
    status, _, err = run(capsys, "--out", good, "--time-budget", "0.001")
    assert status == 1
    one_line(err, "trained 0 steps", "no checkpoint was written")
    assert good.read_bytes() == before
    status, _, err = run(capsys, "--out", tmp_path / "new.pt", "--time-budget", "0.001")
    assert status == 1 and not (tmp_path / "new.pt").exists()


def test_a_better_checkpoint_is_not_replaced_without_force(capsys, tmp_path, fake_checkpoint):
    better = fake_checkpoint(tmp_path / "course.pt", 0.95, 0.99)
    before = better.read_bytes()
    status, _, err = run(capsys, "--out", better)
    assert status == 1
    one_line(err, "already holds a better checkpoint", "held-out mlm_accuracy", "0.950 there",
             "--preset course", "7000 steps", "--force")
    assert better.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["course.pt"]
    status, _, _ = run(capsys, "--out", better, "--force")
    assert status == 0 and read_checkpoint_metadata(better)["steps"] == 2
    # a worse checkpoint there is simply replaced
    worse = fake_checkpoint(tmp_path / "worse.pt", 0.0, 0.0)
    assert run(capsys, "--out", worse)[0] == 0 and read_checkpoint_metadata(worse)["steps"] == 2


def test_ctrl_c_saves_what_was_trained_and_resume_counts_on(capsys, tmp_path, monkeypatch):
    out = tmp_path / "run.pt"
    interrupt_after(5, monkeypatch)
    status, stdout, err = run(capsys, "--steps", "50", "--out", out)
    assert status == 130, (stdout, err)
    assert "interrupted (Ctrl-C) after step 5 of 50" in err and "--resume" in err
    meta = load_checkpoint(out).metadata
    assert meta["interrupted"] and meta["steps"] == 5 and "optimizer_state" in meta
    monkeypatch.undo()
    resumed = tmp_path / "more.pt"
    status, stdout, err = run(capsys, "--resume", out, "--steps", "9", "--out", resumed)
    assert status == 0, err
    again = load_checkpoint(resumed)
    assert again.metadata["steps"] == 9 and again.metadata["resumed_from"]["steps"] == 5
    assert again.metadata["history"]["train"]["step"] == [6, 7, 8, 9]
    assert again.tokenizer.vocab == load_checkpoint(out).tokenizer.vocab  # the same vocabulary, not a new one


def test_ctrl_c_never_replaces_a_finished_checkpoint(capsys, tmp_path, monkeypatch):
    out = tmp_path / "done.pt"
    assert run(capsys, "--out", out)[0] == 0
    before = out.read_bytes()
    interrupt_after(1, monkeypatch)
    status, _, err = run(capsys, "--steps", "50", "--out", out)
    assert status == 130 and out.read_bytes() == before
    assert load_checkpoint(tmp_path / "done.interrupted.pt").metadata["interrupted"]


def test_resume_needs_more_steps_than_the_checkpoint_has(capsys, tmp_path):
    out = tmp_path / "r.pt"
    assert run(capsys, "--out", out)[0] == 0
    status, _, err = run(capsys, "--resume", out, "--steps", "2", "--out", tmp_path / "r2.pt")
    assert status == 2
    one_line(err, "--steps=2 is not allowed with --resume")


def test_held_out_text_comes_from_the_users_own_corpus(capsys, tmp_path, text_corpus, monkeypatch):
    """A run on your own text measures on your own text (every tenth document held out), not storybook."""
    seen = {}
    real = cli.pretrain

    def spy(config, *, documents, eval_documents, **kwargs):
        seen.update(documents=documents, eval_documents=eval_documents)
        return real(config, documents=documents, eval_documents=eval_documents, **kwargs)
    monkeypatch.setattr(cli, "pretrain", spy)
    status, _, err = run(capsys, "--corpus", text_corpus, "--batch-size", "8", "--out", tmp_path / "mine.pt")
    assert status == 0, err
    documents = corpus.read_pretraining_text(text_corpus)
    assert seen["eval_documents"] == documents[9::10]
    assert all(d not in seen["documents"] for d in seen["eval_documents"])
    assert len(seen["documents"]) + len(seen["eval_documents"]) == len(documents)
