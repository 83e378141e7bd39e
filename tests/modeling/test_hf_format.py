"""Export to and import from the Hugging Face folder format (helpers.modeling.hf_format, helpers.export).

The tests marked ``needs transformers`` load what we write with ``transformers`` itself (a test
extra) and compare logits; the others need nothing beyond torch.
"""
from __future__ import annotations

import hashlib
import json
import struct
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from helpers.constants import SPECIAL_TOKENS
from helpers.export import main as export_main
from helpers.modeling.bert import BertConfig, BertForPreTraining
from helpers.modeling.checkpoints import (course_checkpoint_path, load_checkpoint, parameter_hash,
                                          save_checkpoint)
from helpers.modeling.fill_mask import fill_mask
from helpers.modeling.heads import (BertForQuestionAnswering, BertForSequenceClassification,
                                    BertForTokenClassification)
from helpers.modeling.hf_format import (EXPORT_INFO, export_pretrained, load_hf_pretrained, read_safetensors,
                                        write_safetensors)
from helpers.paths import REPOSITORY_DIR
from helpers.text.tokenizer import WordPieceTokenizer

WORDS = ["the", "small", "dog", "barks", "at", "mailman", ".", "cat", "sat", "on", "mat", "a", "big",
         "##s", "##ing", "runs", "park", ",", "and", "she"]
TINY = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
            max_position_embeddings=24)
COURSE_SENTENCE = "the small dog [MASK] at the mailman ."
TOL = 1e-5


@pytest.fixture
def hf():
    return pytest.importorskip("transformers")  # heavy optional dependency, a test extra


def tiny_tokenizer() -> WordPieceTokenizer:
    filler = [f"w{i}" for i in range(60 - len(SPECIAL_TOKENS) - len(WORDS))]
    return WordPieceTokenizer(SPECIAL_TOKENS + WORDS + filler)


def tiny_model(seed: int = 0) -> BertForPreTraining:
    torch.manual_seed(seed)
    model = BertForPreTraining(BertConfig(vocab_size=60, **TINY)).eval()
    with torch.no_grad():  # non-trivial biases and LayerNorms, so a swapped name would show
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    return model


def batch(tokenizer, texts=("the small dog barks at the mailman .", ("a cat sat", "on the big mat , and she runs"))):
    return tokenizer.encode_batch(list(texts), max_length=24)


# ------------------------------------------------------------------ safetensors, no transformers

def test_safetensors_round_trip_keeps_every_dtype_and_shape(tmp_path):
    g = torch.Generator().manual_seed(0)
    tensors = {"b.f32": torch.randn(3, 5, generator=g), "a.bf16": torch.randn(7, generator=g).bfloat16(),
               "c.f16": torch.randn(2, 2, 2, generator=g).half(), "d.i64": torch.arange(5),
               "e.scalar": torch.tensor(3.5), "f.empty": torch.zeros(0, 4), "g.bool": torch.tensor([True, False])}
    path = write_safetensors(tmp_path / "x.safetensors", tensors)
    raw = path.read_bytes()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + length])
    assert length % 8 == 0 and header["__metadata__"] == {"format": "pt"}
    assert header["b.f32"]["dtype"] == "F32" and header["a.bf16"]["dtype"] == "BF16"
    ends = sorted(tuple(v["data_offsets"]) for k, v in header.items() if k != "__metadata__")
    assert ends[0][0] == 0 and all(a[1] == b[0] for a, b in zip(ends, ends[1:]))   # back to back, no holes
    assert ends[-1][1] == len(raw) - 8 - length
    back = read_safetensors(path)
    assert sorted(back) == sorted(tensors)
    for name, tensor in tensors.items():
        assert back[name].dtype == tensor.dtype and back[name].shape == tensor.shape
        assert torch.equal(back[name], tensor), name


def test_safetensors_file_is_read_by_the_reference_library(tmp_path):
    safetensors_torch = pytest.importorskip("safetensors.torch")  # comes with transformers
    tensors = {"w": torch.randn(4, 3), "h": torch.randn(5).bfloat16()}
    write_safetensors(tmp_path / "x.safetensors", tensors)
    theirs = safetensors_torch.load_file(str(tmp_path / "x.safetensors"))
    assert all(torch.equal(theirs[k], tensors[k]) for k in tensors)
    safetensors_torch.save_file(tensors, str(tmp_path / "y.safetensors"))
    ours = read_safetensors(tmp_path / "y.safetensors")
    assert all(torch.equal(ours[k], tensors[k]) for k in tensors)


def test_truncated_safetensors_is_a_clear_error(tmp_path):
    path = write_safetensors(tmp_path / "x.safetensors", {"w": torch.randn(100)})
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(ValueError, match="truncated or corrupted"):
        read_safetensors(path)
    path.write_bytes(b"\x05\x00")
    with pytest.raises(ValueError, match="not a safetensors file"):
        read_safetensors(path)


# ------------------------------------------------------------------ export folder, no transformers

def test_export_writes_the_hugging_face_files_and_imports_back_identically(tmp_path):
    model, tokenizer = tiny_model(), tiny_tokenizer()
    out = export_pretrained(model, tokenizer, tmp_path / "hf")
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json",
         EXPORT_INFO])
    config = json.loads((out / "config.json").read_text())
    assert config["model_type"] == "bert" and config["architectures"] == ["BertForPreTraining"]
    assert config["hidden_size"] == 32 and config["vocab_size"] == 60
    tok = json.loads((out / "tokenizer_config.json").read_text())
    assert tok["do_lower_case"] is True and tok["mask_token"] == "[MASK]" and tok["cls_token"] == "[CLS]"
    assert (out / "vocab.txt").read_text().split("\n")[:6] == SPECIAL_TOKENS + ["the"]
    weights = read_safetensors(out / "model.safetensors")
    assert "cls.predictions.decoder.weight" not in weights   # tied to the word embeddings: stored once
    back = load_hf_pretrained(out)
    assert parameter_hash(back.model) == parameter_hash(model)
    assert back.tokenizer.vocab == tokenizer.vocab
    assert back.model.cls.predictions.decoder.weight is back.model.bert.embeddings.word_embeddings.weight
    assert back.metadata["newly_initialised"] == [] and back.metadata["vocab_order"] == list(range(60))


def test_export_refuses_a_folder_with_other_files_and_replaces_an_earlier_export(tmp_path, capsys):
    checkpoint = save_checkpoint(tmp_path / "tiny.pt", tiny_model(), tiny_tokenizer(), dtype=torch.float32)
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    assert export_main([str(checkpoint), str(busy)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not an earlier export" in err
    assert [p.name for p in busy.iterdir()] == ["notes.txt"] and (busy / "notes.txt").read_text() == "mine"
    assert export_main([str(checkpoint), str(checkpoint)]) == 2          # a file, not a folder
    assert "not a folder" in capsys.readouterr().err
    out = tmp_path / "hf"
    assert export_main([str(checkpoint), str(out)]) == 0
    first = (out / "model.safetensors").read_bytes()
    other = save_checkpoint(tmp_path / "other.pt", tiny_model(seed=1), tiny_tokenizer(), dtype=torch.float32)
    assert export_main([str(other), str(out)]) == 0                       # an earlier export: replaced
    assert (out / "model.safetensors").read_bytes() != first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["busy", "hf", "other.pt", "tiny.pt"]  # no temp left
    empty = tmp_path / "empty"
    empty.mkdir()
    assert export_main([str(checkpoint), str(empty)]) == 0
    assert export_main(["no/such.pt", str(tmp_path / "x")]) == 2
    assert not (tmp_path / "x").exists()


def test_read_safetensors_makes_views_of_one_buffer_not_copies(tmp_path):
    """Peak memory about one file: every tensor points into the one buffer the file was read into,
    at its own offset (the writer puts the widest dtypes first, so each one is aligned)."""
    tensors = {"a": torch.arange(10.0), "b": torch.ones(3, dtype=torch.float16), "c": torch.arange(5),
               "d": torch.ones(2, 2, dtype=torch.bfloat16), "e": torch.tensor([True, False, True])}
    path = write_safetensors(tmp_path / "t.safetensors", tensors)
    back = read_safetensors(path)
    raw = path.read_bytes()
    header = json.loads(raw[8:8 + struct.unpack("<Q", raw[:8])[0]])
    base = {name: back[name].data_ptr() - header[name]["data_offsets"][0] for name in tensors}
    assert len(set(base.values())) == 1, base  # one buffer, each tensor at its offset in it
    assert all(torch.equal(back[name], tensors[name]) for name in tensors)


def digests(folder) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("added", ["notes.txt", "subfolder"])
def test_an_earlier_export_with_a_file_you_added_is_left_alone(tmp_path, capsys, added):
    """Re-exporting into an earlier export folder used to delete a file the user had added to it."""
    checkpoint = save_checkpoint(tmp_path / "tiny.pt", tiny_model(), tiny_tokenizer(), dtype=torch.float32)
    out = tmp_path / "hf"
    assert export_main([str(checkpoint), str(out)]) == 0
    if added == "subfolder":
        (out / added).mkdir()
        (out / added / "inside.txt").write_text("mine")
    else:
        (out / added).write_text("my notes on this model")
    before = digests(out) if added != "subfolder" else digests(out / added)
    capsys.readouterr()
    assert export_main([str(checkpoint), str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"also holds {added}" in err and "left as it is" in err
    assert (digests(out) if added != "subfolder" else digests(out / added)) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hf", "tiny.pt"]  # nothing half-written beside it


def test_an_export_records_its_files_and_an_older_export_without_the_list_is_still_replaceable(tmp_path):
    checkpoint = load_checkpoint(save_checkpoint(tmp_path / "tiny.pt", tiny_model(), tiny_tokenizer(),
                                                 dtype=torch.float32))
    out = export_pretrained(checkpoint.model, checkpoint.tokenizer, tmp_path / "hf")
    info = json.loads((out / "export_info.json").read_text())
    assert sorted(info["files"]) == sorted(p.name for p in out.iterdir())
    del info["files"]  # as an export from before the list
    (out / "export_info.json").write_text(json.dumps(info))
    export_pretrained(checkpoint.model, checkpoint.tokenizer, out)
    assert "files" in json.loads((out / "export_info.json").read_text())


def test_export_command_runs_as_a_module(tmp_path):
    checkpoint = save_checkpoint(tmp_path / "tiny.pt", tiny_model(), tiny_tokenizer(), dtype=torch.float32)
    done = subprocess.run([sys.executable, "-m", "helpers.export", str(checkpoint), str(tmp_path / "hf")],
                          capture_output=True, text=True, cwd=REPOSITORY_DIR, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("wrote ") and (tmp_path / "hf" / "model.safetensors").is_file()


def test_head_export_needs_matching_labels(tmp_path):
    head = BertForSequenceClassification.from_scratch(BertConfig(vocab_size=60, **TINY), 3)
    with pytest.raises(ValueError, match="num_labels=3"):
        export_pretrained(head, tiny_tokenizer(), tmp_path / "a", id2label=["neg", "pos"])
    with pytest.raises(ValueError, match="only classification heads"):
        export_pretrained(tiny_model(), tiny_tokenizer(), tmp_path / "b", id2label=["x", "y"])
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


# ------------------------------------------------------------------ loaded by transformers

def test_transformers_loads_the_export_with_equal_logits(tmp_path, hf):
    model, tokenizer = tiny_model(), tiny_tokenizer()
    out = export_pretrained(model, tokenizer, tmp_path / "hf")
    inputs = batch(tokenizer)
    inputs = {k: inputs[k] for k in ("input_ids", "token_type_ids", "attention_mask")}
    with torch.no_grad():
        ours = model(**inputs)
        pre, info = hf.BertForPreTraining.from_pretrained(out, output_loading_info=True)
        assert not info["missing_keys"] and not info["unexpected_keys"] and not info["mismatched_keys"]
        theirs = pre.eval()(**inputs)
        mlm = hf.BertForMaskedLM.from_pretrained(out).eval()(**inputs)
    real = inputs["attention_mask"].bool()
    assert (ours.prediction_logits - theirs.prediction_logits)[real].abs().max() <= TOL
    assert (ours.seq_relationship_logits - theirs.seq_relationship_logits).abs().max() <= TOL
    assert (ours.prediction_logits - mlm.logits)[real].abs().max() <= TOL
    # The exported tokenizer files give the same ids as ours.
    hf_tok = hf.AutoTokenizer.from_pretrained(out)
    text = "The small DOG barks, at the mailman."
    assert hf_tok(text)["input_ids"] == tokenizer.encode_pair(text)["input_ids"]


def test_fill_mask_pipeline_on_the_exported_course_checkpoint_matches_ours(tmp_path, hf):
    course = load_checkpoint(course_checkpoint_path())
    out = export_pretrained(course.model, course.tokenizer, tmp_path / "course")
    ours = fill_mask(course.model, course.tokenizer, COURSE_SENTENCE, top_k=5)[0]
    theirs = hf.pipeline("fill-mask", model=str(out), top_k=5)(COURSE_SENTENCE)
    assert [t for t, _ in ours] == [r["token_str"] for r in theirs]
    assert all(abs(p - r["score"]) <= 1e-4 for (_, p), r in zip(ours, theirs))


@pytest.mark.parametrize("cls, hf_name, labels", [
    (BertForSequenceClassification, "BertForSequenceClassification", ["negative", "neutral", "positive"]),
    (BertForTokenClassification, "BertForTokenClassification", ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]),
    (BertForQuestionAnswering, "BertForQuestionAnswering", None),
])
def test_fine_tuned_heads_export_with_equal_logits(tmp_path, hf, cls, hf_name, labels):
    tokenizer = tiny_tokenizer()
    head = cls.from_pretrained_encoder(tiny_model(), len(labels) if labels else 2, seed=3).eval()
    with torch.no_grad():
        for p in head.head_parameters():
            p.add_(torch.randn_like(p) * 0.1)   # a non-zero bias, as after fine-tuning
    out = export_pretrained(head, tokenizer, tmp_path / "head", id2label=labels)
    theirs, info = getattr(hf, hf_name).from_pretrained(out, output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"]
    theirs.eval()
    if labels:
        assert theirs.config.num_labels == len(labels)
        assert [theirs.config.id2label[i] for i in range(len(labels))] == labels
    inputs = batch(tokenizer)
    inputs = {k: inputs[k] for k in ("input_ids", "token_type_ids", "attention_mask")}
    with torch.no_grad():
        a, b = head(**inputs), theirs(**inputs)
    real = inputs["attention_mask"].bool()
    if cls is BertForQuestionAnswering:
        assert (a.start_logits - b.start_logits)[real].abs().max() <= TOL
        assert (a.end_logits - b.end_logits)[real].abs().max() <= TOL
    elif cls is BertForTokenClassification:
        assert (a.logits - b.logits)[real].abs().max() <= TOL
    else:
        assert (a.logits - b.logits).abs().max() <= TOL


# ------------------------------------------------------------------ import a folder saved by transformers

def google_layout_vocab(size: int = 30522) -> list[str]:
    """A vocabulary laid out like Google's: [PAD], 99 unused slots, [UNK] [CLS] [SEP] [MASK], ..."""
    vocab = ["[PAD]"] + [f"[unused{i}]" for i in range(99)] + ["[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    vocab += WORDS
    vocab += [f"tok{i}" for i in range(size - len(vocab))]
    return vocab


def save_random_hf_bert(hf, folder: Path, *, seed: int, pickle: bool = False, cls_name: str = "BertForPreTraining"):
    torch.manual_seed(seed)
    config = hf.BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                           intermediate_size=37, max_position_embeddings=512)
    model = getattr(hf, cls_name)(config).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    if pickle:  # the older layout: pytorch_model.bin next to config.json
        folder.mkdir()
        model.config.save_pretrained(folder)
        torch.save(model.state_dict(), folder / "pytorch_model.bin")
    else:
        model.save_pretrained(folder)
    (folder / "vocab.txt").write_text("\n".join(google_layout_vocab()) + "\n")
    hf.BertTokenizer(str(folder / "vocab.txt"), do_lower_case=True).save_pretrained(folder)
    return model


@pytest.mark.parametrize("pickle", [False, True], ids=["safetensors", "pytorch_model.bin"])
def test_import_a_random_bert_saved_by_transformers(tmp_path, hf, pickle):
    theirs = save_random_hf_bert(hf, tmp_path / "bert", seed=4, pickle=pickle)
    loaded = load_hf_pretrained(tmp_path / "bert")
    ours, tokenizer = loaded.model, loaded.tokenizer
    assert ours.config.vocab_size == 30522 and ours.config.max_position_embeddings == 512
    assert tokenizer.vocab[:5] == SPECIAL_TOKENS and loaded.metadata["newly_initialised"] == []
    order = torch.tensor(loaded.metadata["vocab_order"])

    hf_tok = hf.BertTokenizer.from_pretrained(tmp_path / "bert")
    a_text, b_text = "The small dog barks at the mailman.", "A cat sat on the mat, and she runs."
    ours_enc, theirs_enc = tokenizer.encode_pair(a_text, b_text), hf_tok(a_text, b_text)
    assert ours_enc["token_type_ids"] == theirs_enc["token_type_ids"]
    assert tokenizer.convert_ids_to_tokens(ours_enc["input_ids"]) == \
        hf_tok.convert_ids_to_tokens(theirs_enc["input_ids"])
    with torch.no_grad():
        a = ours(input_ids=torch.tensor([ours_enc["input_ids"]]),
                 token_type_ids=torch.tensor([ours_enc["token_type_ids"]]))
        b = theirs(input_ids=torch.tensor([theirs_enc["input_ids"]]),
                   token_type_ids=torch.tensor([theirs_enc["token_type_ids"]]))
    # Our id j is their id order[j]: the same scores, renumbered.
    assert (a.prediction_logits - b.prediction_logits[..., order]).abs().max() <= TOL
    assert (a.seq_relationship_logits - b.seq_relationship_logits).abs().max() <= TOL
    top_ours = fill_mask(ours, tokenizer, COURSE_SENTENCE, top_k=3)[0]
    top_theirs = hf.pipeline("fill-mask", model=str(tmp_path / "bert"), top_k=3)(COURSE_SENTENCE)
    assert [t for t, _ in top_ours] == [r["token_str"] for r in top_theirs]


def test_import_a_masked_lm_save_initialises_the_missing_nsp_head(tmp_path, hf):
    save_random_hf_bert(hf, tmp_path / "mlm", seed=5, cls_name="BertForMaskedLM")
    loaded = load_hf_pretrained(tmp_path / "mlm")
    assert sorted(loaded.metadata["newly_initialised"]) == [
        "bert.pooler.dense.bias", "bert.pooler.dense.weight", "cls.seq_relationship.bias",
        "cls.seq_relationship.weight"]
    # A bare encoder has no MLM head: refused rather than filling blanks with noise.
    save_random_hf_bert(hf, tmp_path / "bare", seed=5, cls_name="BertModel")
    with pytest.raises(ValueError, match="lacks weights the course needs"):
        load_hf_pretrained(tmp_path / "bare")


def test_from_hf_command_writes_a_course_checkpoint(tmp_path, hf, capsys):
    save_random_hf_bert(hf, tmp_path / "bert", seed=6)
    out = tmp_path / "real.pt"
    assert export_main(["--from-hf", str(tmp_path / "bert"), str(out)]) == 0
    assert "BERT_COURSE_CHECKPOINT" in capsys.readouterr().out
    back = load_checkpoint(out)
    assert parameter_hash(back.model) == parameter_hash(load_hf_pretrained(tmp_path / "bert").model)
    assert export_main(["--from-hf", str(tmp_path / "bert"), str(out)]) == 2   # never overwritten
    assert "already exists" in capsys.readouterr().err
