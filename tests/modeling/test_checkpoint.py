"""Checkpoints: round trip, and a clear error for every kind of bad file."""
from __future__ import annotations

import errno
import hashlib

import pytest
import torch

from helpers import files
from helpers.modeling.bert import BertConfig, BertForPreTraining
from helpers.modeling.fill_mask import fill_mask
from helpers.modeling.checkpoints import load_checkpoint, parameter_hash, save_checkpoint
from helpers.text.tokenizer import WordPieceTokenizer

from scripts_as_modules import load_script  # tests/ is on sys.path (conftest.py)

TEXTS = ["the small dog barks at the mailman .", "this teddy bear is so cute .",
         "the cat sleeps on the warm mat .", "a big dog runs in the park ."] * 5


def tiny(vocab_size: int, **overrides) -> BertForPreTraining:
    torch.manual_seed(0)
    config = dict(vocab_size=vocab_size, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                  intermediate_size=32, max_position_embeddings=32)
    return BertForPreTraining(BertConfig(**{**config, **overrides}))


@pytest.fixture()
def saved(tmp_path):
    tokenizer = WordPieceTokenizer.from_corpus(TEXTS, vocab_size=60, min_freq=1)
    model = tiny(tokenizer.vocab_size).eval()
    path = save_checkpoint(tmp_path / "ckpt.pt", model, tokenizer, {"seed": 3, "steps": 7, "command": "test"},
                           dtype=torch.float32)
    return path, model, tokenizer


def test_round_trip_restores_weights_vocab_and_metadata(saved):
    path, model, tokenizer = saved
    ckpt = load_checkpoint(path)
    assert ckpt.tokenizer.vocab == tokenizer.vocab
    assert ckpt.config == model.config.to_dict()
    assert ckpt.metadata == {"seed": 3, "steps": 7, "command": "test"}
    for name, tensor in model.state_dict().items():
        assert torch.equal(ckpt.model.state_dict()[name], tensor), name
    # the decoder is still tied to the word embeddings after loading
    assert ckpt.model.cls.predictions.decoder.weight.data_ptr() == \
        ckpt.model.bert.embeddings.word_embeddings.weight.data_ptr()
    ids = torch.tensor([tokenizer.encode_pair("the small dog barks .")["input_ids"]])
    with torch.no_grad():
        assert torch.equal(model(ids).prediction_logits, ckpt.model(ids).prediction_logits)


def test_float16_storage_is_smaller_and_close(saved, tmp_path):
    path, model, tokenizer = saved
    half = save_checkpoint(tmp_path / "half.pt", model, tokenizer, {})
    assert half.stat().st_size < 0.75 * path.stat().st_size
    loaded = load_checkpoint(half).model
    for name, tensor in model.state_dict().items():
        assert loaded.state_dict()[name].dtype == torch.float32
        torch.testing.assert_close(loaded.state_dict()[name], tensor, atol=1e-3, rtol=1e-3)


def test_load_into_a_matching_model_and_tokenizer(saved):
    path, model, tokenizer = saved
    target = tiny(tokenizer.vocab_size)
    torch.nn.init.zeros_(target.bert.pooler.dense.weight)
    ckpt = load_checkpoint(path, model=target, tokenizer=tokenizer)
    assert ckpt.model is target
    assert torch.equal(target.bert.pooler.dense.weight, model.bert.pooler.dense.weight)


def test_no_temporary_files_are_left(saved):
    path, _, _ = saved
    assert sorted(p.name for p in path.parent.iterdir()) == ["ckpt.pt"]


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such checkpoint"):
        load_checkpoint(tmp_path / "nope.pt")


def test_truncated_file(saved, tmp_path):
    path, _, _ = saved
    cut = tmp_path / "cut.pt"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(ValueError, match="not a readable checkpoint"):
        load_checkpoint(cut)


def test_text_file_and_foreign_torch_file(tmp_path):
    text = tmp_path / "notes.pt"
    text.write_text("hello, I am not a checkpoint\n")
    with pytest.raises(ValueError, match="not a readable checkpoint"):
        load_checkpoint(text)
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(3)}, foreign)
    with pytest.raises(ValueError, match="not a pre-training checkpoint"):
        load_checkpoint(foreign)
    with pytest.raises(ValueError, match="directory"):
        load_checkpoint(tmp_path)


def test_other_vocabulary_is_a_clear_error(saved):
    path, _, tokenizer = saved
    other = WordPieceTokenizer.from_corpus(TEXTS + ["zebras gallop across the savanna ."] * 3,
                                           vocab_size=70, min_freq=1)
    assert other.vocab != tokenizer.vocab
    with pytest.raises(ValueError, match="tokenizer does not match the checkpoint's vocabulary"):
        load_checkpoint(path, tokenizer=other)


def test_other_config_is_a_clear_error_not_a_shape_traceback(saved):
    path, _, tokenizer = saved
    with pytest.raises(ValueError, match=r"model does not match the checkpoint's config \(hidden_size: model 32"):
        load_checkpoint(path, model=tiny(tokenizer.vocab_size, hidden_size=32))
    with pytest.raises(ValueError, match="vocab_size: model 99"):
        load_checkpoint(path, model=tiny(99))


def test_fill_mask_shapes_and_errors(saved):
    _, model, tokenizer = saved
    out = fill_mask(model, tokenizer, "the small dog [MASK] at the [MASK] .", top_k=3)
    assert len(out) == 2 and all(len(choices) == 3 for choices in out)
    for choices in out:
        probs = [p for _, p in choices]
        assert probs == sorted(probs, reverse=True) and all(0 <= p <= 1 for p in probs)
        assert all(token in tokenizer.vocab for token, _ in choices)
    with pytest.raises(ValueError, match=r"must contain at least one \[MASK\]"):
        fill_mask(model, tokenizer, "no blank here .")
    with pytest.raises(ValueError, match="top_k"):
        fill_mask(model, tokenizer, "a [MASK] .", top_k=0)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_weights_are_refused_at_load(saved, bad):
    """A checkpoint with NaN/inf weights used to load, and fill_mask returned ('[PAD]', nan)."""
    path, _, _ = saved
    payload = torch.load(path, weights_only=True)
    name = "bert.encoder.layer.0.attention.self.query.weight"
    assert name in payload["state_dict"]
    payload["state_dict"][name][1, 2] = bad
    del payload["weights_sha256"]  # as in a checkpoint from before checksums (a changed one fails its checksum)
    torch.save(payload, path)
    with pytest.raises(ValueError, match=rf"ckpt\.pt.*non-finite weights \(first: {name}\[1, 2\] = {bad}\)"):
        load_checkpoint(path)


def test_save_refuses_a_diverged_model_and_float16_overflow(saved, tmp_path):
    _, model, tokenizer = saved
    with torch.no_grad():
        model.cls.seq_relationship.bias[0] = 1e6  # finite, but float16 tops out at 65504
    with pytest.raises(ValueError, match="too large.*float32"):
        save_checkpoint(tmp_path / "big.pt", model, tokenizer)
    save_checkpoint(tmp_path / "big.pt", model, tokenizer, dtype=torch.float32)  # float32 holds it
    with torch.no_grad():
        model.cls.seq_relationship.bias[0] = float("nan")
    with pytest.raises(ValueError, match="non-finite weight.*cls.seq_relationship.bias\\[0\\] = nan.*diverged"):
        save_checkpoint(tmp_path / "nan.pt", model, tokenizer)
    assert not (tmp_path / "nan.pt").exists()


def file_digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_flipped_bits_in_the_weights_are_refused(saved):
    """A checkpoint whose weight bytes changed on the disk used to load and predict something else."""
    path, model, _ = saved
    assert load_checkpoint(path).verified
    data = bytearray(path.read_bytes())
    raw = model.bert.embeddings.word_embeddings.weight.detach()[7].numpy().tobytes()  # saved as float32
    at = data.find(raw)
    assert at > 0 and data.find(raw, at + 1) == -1  # the row's bytes, found once in the file
    data[at + 3] ^= 0x10
    path.write_bytes(bytes(data))
    before = file_digest(path)
    with pytest.raises(ValueError, match=r"ckpt\.pt' is damaged: its weights do not match the SHA-256"):
        load_checkpoint(path)
    assert file_digest(path) == before  # loading never writes


def test_a_checkpoint_from_before_checksums_loads_unverified(saved):
    path, model, _ = saved
    payload = torch.load(path, weights_only=True)
    del payload["weights_sha256"]
    torch.save(payload, path)
    loaded = load_checkpoint(path)
    assert not loaded.verified and parameter_hash(loaded.model) == parameter_hash(load_checkpoint(path).model)


@pytest.mark.parametrize("path, fragment", [(None, "path=None is not allowed"), (3, "path=3 is not allowed"),
                                            ("", "path='' is not allowed")])
def test_a_path_that_is_not_a_path_is_one_clear_error(path, fragment):
    with pytest.raises(ValueError, match=fragment):
        load_checkpoint(path)


@pytest.mark.parametrize("device, fragment", [("gpu", "device='gpu' is not allowed: use cpu, cuda or cuda:N"),
                                              ("cuda", "device='cuda' is not allowed: this machine has no CUDA GPU")])
def test_a_device_this_machine_lacks_is_one_clear_error(saved, monkeypatch, device, fragment):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match=fragment):
        load_checkpoint(saved[0], device=device)


def test_the_script_adds_a_checksum_and_changes_nothing_else(saved):
    script = load_script("scripts/add_checkpoint_checksum.py")
    path, model, _ = saved
    payload = torch.load(path, weights_only=True)
    del payload["weights_sha256"]
    torch.save(payload, path)
    before = load_checkpoint(path)
    assert "checksum added" in script.add_checksum(path)
    after = load_checkpoint(path)
    assert after.verified and after.metadata == before.metadata
    assert parameter_hash(after.model) == parameter_hash(before.model) == parameter_hash(model)
    digest = file_digest(path)
    assert "left as it is" in script.add_checksum(path) and file_digest(path) == digest


def test_a_full_disk_during_a_save_is_one_line_and_the_old_checkpoint_stays(saved, monkeypatch):
    path, model, tokenizer = saved
    before = file_digest(path)

    def disk_full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", disk_full)
    with pytest.raises(OSError) as caught:
        save_checkpoint(path, tiny(tokenizer.vocab_size, hidden_size=32), tokenizer)
    assert str(caught.value) == (f"[Errno {errno.ENOSPC}] could not write {str(path)!r}: the disk is full; the file "
                                 "there was left as it was")
    assert file_digest(path) == before and [p.name for p in path.parent.iterdir()] == ["ckpt.pt"]


def test_fill_mask_refuses_what_is_not_a_model_or_a_tokenizer(saved):
    _, model, tokenizer = saved
    with pytest.raises(ValueError, match=r"model=None is not allowed: it must be a model with an MLM head"):
        fill_mask(None, tokenizer, "a [MASK] .")
    with pytest.raises(ValueError, match=r"tokenizer=None is not allowed"):
        fill_mask(model, None, "a [MASK] .")
