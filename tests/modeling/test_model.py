"""Our encoder against Hugging Face's reference implementation, plus its own contracts."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from helpers.modeling.bert import BertConfig, BertForPreTraining, BertModel
from helpers.modeling.inputs import check_inputs

TINY = dict(vocab_size=60, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
            intermediate_size=64, max_position_embeddings=24)
TOL = 1e-5


@pytest.fixture(scope="module")
def transformers():
    """Hugging Face's reference implementation: only the parity tests need it (a test extra)."""
    return pytest.importorskip("transformers")


def hf_model(transformers, config: BertConfig, attn: str = "eager"):
    hf_config = transformers.BertConfig(**config.to_transformers_config(), attn_implementation=attn)
    return transformers.BertForPreTraining(hf_config)


def padded_batch(vocab_size: int = 60, seed: int = 0):
    """Three pairs of different lengths: padding present, two segments."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(5, vocab_size, (3, 16), generator=g)
    lengths = torch.tensor([16, 11, 6])
    attention_mask = (torch.arange(16)[None, :] < lengths[:, None]).long()
    ids[:, 0] = 2
    ids[torch.arange(3), lengths - 1] = 3
    ids[attention_mask == 0] = 0
    token_type_ids = ((torch.arange(16)[None, :] >= (lengths // 2)[:, None]) & (attention_mask == 1)).long()
    labels = torch.full_like(ids, -100)
    for row, positions in enumerate(([1, 4, 9, 13], [2, 7], [3])):
        labels[row, positions] = ids[row, positions]
    return dict(input_ids=ids, token_type_ids=token_type_ids, attention_mask=attention_mask,
                labels=labels, next_sentence_label=torch.tensor([0, 1, 1]))


@pytest.fixture(scope="module")
def pair(transformers):
    torch.manual_seed(0)
    ours = BertForPreTraining(BertConfig(**TINY)).eval()
    theirs = hf_model(transformers, ours.config).eval()
    theirs.load_state_dict(ours.state_dict(), strict=True)
    return ours, theirs


# ------------------------------------------------------------------ names and loading

def test_state_dict_keys_and_shapes_equal_hugging_face(pair):
    ours, theirs = pair
    a, b = ours.state_dict(), theirs.state_dict()
    assert sorted(a) == sorted(b)
    assert all(a[k].shape == b[k].shape for k in a)
    assert "cls.predictions.decoder.bias" in a and "bert.pooler.dense.weight" in a


def test_strict_load_from_hugging_face_then_same_outputs(transformers):
    torch.manual_seed(1)
    theirs = hf_model(transformers, BertConfig(**TINY)).eval()
    ours = BertForPreTraining(BertConfig(**TINY)).eval()
    ours.load_state_dict(theirs.state_dict(), strict=True)
    batch = padded_batch()
    inputs = {k: batch[k] for k in ("input_ids", "token_type_ids", "attention_mask")}
    with torch.no_grad():
        a, b = ours(**inputs), theirs(**inputs)
    assert (a.prediction_logits - b.prediction_logits).abs().max() <= TOL
    assert (a.seq_relationship_logits - b.seq_relationship_logits).abs().max() <= TOL


def test_weights_are_tied_like_hugging_face(pair):
    ours, _ = pair
    assert ours.cls.predictions.decoder.weight is ours.bert.embeddings.word_embeddings.weight
    assert ours.cls.predictions.decoder.bias is ours.cls.predictions.bias


def test_initialisation_follows_initializer_range():
    config = BertConfig(**{**TINY, "hidden_size": 64, "intermediate_size": 256}, initializer_range=0.05)
    model = BertForPreTraining(config)
    w = model.bert.encoder.layer[0].intermediate.dense.weight
    assert abs(w.std().item() - 0.05) < 0.005
    assert model.bert.encoder.layer[0].intermediate.dense.bias.abs().max() == 0
    assert torch.all(model.bert.embeddings.LayerNorm.weight == 1)
    assert model.bert.embeddings.word_embeddings.weight[config.pad_token_id].abs().max() == 0


# ------------------------------------------------------------------ numerical parity

@pytest.mark.parametrize("attn", ["eager", "sdpa"])
def test_logits_match_hugging_face_with_padding(transformers, pair, attn):
    ours, _ = pair
    theirs = hf_model(transformers, ours.config, attn).eval()
    theirs.load_state_dict(ours.state_dict(), strict=True)
    batch = padded_batch()
    inputs = {k: batch[k] for k in ("input_ids", "token_type_ids", "attention_mask")}
    with torch.no_grad():
        a, b = ours(**inputs), theirs(**inputs)
    assert a.prediction_logits.shape == (3, 16, TINY["vocab_size"])
    assert (a.prediction_logits - b.prediction_logits).abs().max() <= TOL
    assert (a.seq_relationship_logits - b.seq_relationship_logits).abs().max() <= TOL


def test_encoder_alone_matches_hugging_face_bert_model(pair):
    ours, theirs = pair
    batch = padded_batch()
    inputs = {k: batch[k] for k in ("input_ids", "token_type_ids", "attention_mask")}
    with torch.no_grad():
        a, b = ours.bert(**inputs), theirs.bert(**inputs)
    real = batch["attention_mask"].bool()
    assert (a.last_hidden_state[real] - b.last_hidden_state[real]).abs().max() <= TOL
    assert (a.pooler_output - b.pooler_output).abs().max() <= TOL


def test_losses_match_hugging_face_and_logits_are_gathered(pair):
    ours, theirs = pair
    batch = padded_batch()
    with torch.no_grad():
        a = ours(**batch)
        b = theirs(**batch)
    selected = batch["labels"] != -100
    # Only the selected rows are computed, and they equal the reference's rows there.
    assert a.prediction_logits.shape == (int(selected.sum()), TINY["vocab_size"])
    assert torch.equal(a.mlm_labels, batch["labels"][selected])
    assert (a.prediction_logits - b.prediction_logits[selected]).abs().max() <= TOL
    hf_mlm = F.cross_entropy(b.prediction_logits.reshape(-1, TINY["vocab_size"]), batch["labels"].reshape(-1))
    hf_nsp = F.cross_entropy(b.seq_relationship_logits, batch["next_sentence_label"])
    assert abs(a.mlm_loss.item() - hf_mlm.item()) <= TOL
    assert abs(a.nsp_loss.item() - hf_nsp.item()) <= TOL
    assert abs(a.loss.item() - b.loss.item()) <= TOL


def test_gradients_match_hugging_face(transformers):
    torch.manual_seed(2)
    ours = BertForPreTraining(BertConfig(**TINY, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0))
    theirs = hf_model(transformers, ours.config, "sdpa")
    theirs.load_state_dict(ours.state_dict(), strict=True)
    batch = padded_batch()
    ours(**batch).loss.backward()
    theirs(**batch).loss.backward()
    hf_grads = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        assert (p.grad - hf_grads[name].grad).abs().max() <= 1e-5, name


def test_partial_labels():
    torch.manual_seed(3)
    model = BertForPreTraining(BertConfig(**TINY)).eval()
    batch = padded_batch()
    nsp_only = model(batch["input_ids"], batch["token_type_ids"], batch["attention_mask"],
                     next_sentence_label=batch["next_sentence_label"])
    assert nsp_only.mlm_loss is None and torch.equal(nsp_only.loss, nsp_only.nsp_loss)
    assert nsp_only.prediction_logits.shape == (3, 16, TINY["vocab_size"])
    mlm_only = model(batch["input_ids"], batch["token_type_ids"], batch["attention_mask"], labels=batch["labels"])
    assert mlm_only.nsp_loss is None and torch.equal(mlm_only.loss, mlm_only.mlm_loss)
    nothing = model(batch["input_ids"])
    assert nothing.loss is None and nothing.seq_relationship_logits.shape == (3, 2)
    # No selected position at all: a zero (not NaN) MLM loss that still backpropagates.
    empty = model(batch["input_ids"], labels=torch.full_like(batch["input_ids"], -100))
    assert empty.mlm_loss.item() == 0.0 and empty.prediction_logits.shape == (0, TINY["vocab_size"])


@pytest.mark.parametrize("is_causal", [False, True])
def test_skip_padding_changes_nothing_at_real_positions(is_causal):
    torch.manual_seed(8)
    model = BertModel(BertConfig(**TINY, is_causal=is_causal)).eval()
    batch = padded_batch()
    inputs = {k: batch[k] for k in ("input_ids", "token_type_ids", "attention_mask")}
    with torch.no_grad():
        full = model(**inputs)
        skipped = model(**inputs, skip_padding=True)
    real = batch["attention_mask"].bool()
    assert (full.last_hidden_state[real] - skipped.last_hidden_state[real]).abs().max() <= TOL
    assert skipped.last_hidden_state[~real].abs().max() == 0        # padding rows were never computed
    assert full.last_hidden_state[~real].abs().max() > 0
    assert (full.pooler_output - skipped.pooler_output).abs().max() <= TOL


# ------------------------------------------------------------------ attention weights

def test_attention_weights_rows_sum_to_one_and_ignore_padding(pair):
    ours, theirs = pair
    batch = padded_batch()
    inputs = {k: batch[k] for k in ("input_ids", "token_type_ids", "attention_mask")}
    with torch.no_grad():
        out = ours.bert(**inputs, output_attentions=True)
        plain = ours.bert(**inputs)
        reference = theirs.bert(**inputs, output_attentions=True)
    assert len(out.attentions) == TINY["num_hidden_layers"]
    padded_keys = batch["attention_mask"] == 0
    for weights, ref in zip(out.attentions, reference.attentions):
        assert weights.shape == (3, TINY["num_attention_heads"], 16, 16)
        assert torch.allclose(weights.sum(-1), torch.ones(3, TINY["num_attention_heads"], 16), atol=1e-6)
        assert weights.permute(0, 1, 3, 2)[padded_keys[:, None, :].expand(-1, TINY["num_attention_heads"], -1)].abs().max() == 0
        assert (weights - ref).abs().max() <= TOL
    # The explicit path (which returns the weights) computes the same hidden states as SDPA.
    assert (out.last_hidden_state - plain.last_hidden_state).abs().max() <= TOL


# ------------------------------------------------------------------ causal variant

def _changes_by_position(model: BertModel, ids: torch.Tensor, j: int, attention_mask=None) -> torch.Tensor:
    """Max change of each position's output when only the token at position j changes."""
    other = ids.clone()
    other[:, j] = 5 + (other[:, j] - 5 + 7) % (TINY["vocab_size"] - 5)
    with torch.no_grad():
        a = model(ids, attention_mask=attention_mask).last_hidden_state
        b = model(other, attention_mask=attention_mask).last_hidden_state
    return (a - b).abs().amax(dim=(0, 2))


@pytest.mark.parametrize("with_padding", [False, True])
def test_causal_position_cannot_see_the_future(with_padding):
    torch.manual_seed(4)
    ids = torch.randint(5, TINY["vocab_size"], (2, 12))
    mask = torch.ones_like(ids)
    if with_padding:
        mask[:, 10:] = 0
    causal = BertModel(BertConfig(**TINY, is_causal=True)).eval()
    bidirectional = BertModel(BertConfig(**TINY)).eval()
    bidirectional.load_state_dict(causal.state_dict())
    for j in (3, 7):
        change = _changes_by_position(causal, ids, j, mask)
        assert change[:j].max() == 0            # nothing before j moved
        assert change[j:10].min() > 0            # j and later real positions did
        # The same weights without the causal mask: earlier positions DO see position j.
        assert _changes_by_position(bidirectional, ids, j, mask)[:j].min() > 0


def test_causal_attention_weights_are_lower_triangular():
    model = BertModel(BertConfig(**TINY, is_causal=True)).eval()
    ids = torch.randint(5, TINY["vocab_size"], (2, 9), generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        out = model(ids, output_attentions=True)
        plain = model(ids)
    for weights in out.attentions:
        assert weights.triu(diagonal=1).abs().max() == 0
    assert (out.last_hidden_state - plain.last_hidden_state).abs().max() <= TOL


def test_causal_variant_matches_hugging_face_decoder_mask(transformers):
    torch.manual_seed(6)
    ours = BertForPreTraining(BertConfig(**TINY, is_causal=True)).eval()
    theirs = hf_model(transformers, ours.config, "eager").eval()
    assert theirs.config.is_decoder
    theirs.load_state_dict(ours.state_dict(), strict=True)
    batch = padded_batch()
    inputs = {k: batch[k] for k in ("input_ids", "token_type_ids", "attention_mask")}
    with torch.no_grad():
        a, b = ours(**inputs), theirs(**inputs, use_cache=False)
    real = batch["attention_mask"].bool()
    assert (a.prediction_logits[real] - b.prediction_logits[real]).abs().max() <= TOL


# ------------------------------------------------------------------ config

def test_config_round_trip_and_transformers_kwargs(transformers):
    config = BertConfig(**TINY, is_causal=True, hidden_dropout_prob=0.0)
    assert BertConfig.from_dict(config.to_dict()) == config
    kwargs = config.to_transformers_config()
    assert "is_causal" not in kwargs and kwargs["is_decoder"] is True
    hf = transformers.BertConfig(**kwargs)
    assert hf.hidden_size == 32 and hf.hidden_dropout_prob == 0.0
    assert "is_decoder" not in BertConfig(**TINY).to_transformers_config()


@pytest.mark.parametrize("changes, word", [
    (dict(hidden_size=30), "divisible"),
    (dict(num_hidden_layers=0), "num_hidden_layers"),
    (dict(vocab_size=-3), "vocab_size"),
    (dict(hidden_dropout_prob=1.0), "hidden_dropout_prob"),
    (dict(attention_probs_dropout_prob=-0.1), "attention_probs_dropout_prob"),
    (dict(hidden_act="swish"), "hidden_act"),
    (dict(layer_norm_eps=0.0), "layer_norm_eps"),
    (dict(pad_token_id=60), "pad_token_id"),
    (dict(is_causal="yes"), "is_causal"),
])
def test_config_rejects_bad_values(changes, word):
    with pytest.raises(ValueError, match=word):
        BertConfig(**{**TINY, **changes})


def test_from_dict_rejects_unknown_keys():
    with pytest.raises(ValueError, match="hiden_size"):
        BertConfig.from_dict({**TINY, "hiden_size": 3})


# ------------------------------------------------------------------ input validation

@pytest.fixture(scope="module")
def small():
    return BertForPreTraining(BertConfig(**TINY)).eval()


def _ids(*shape):
    return torch.randint(5, TINY["vocab_size"], shape, generator=torch.Generator().manual_seed(7))


@pytest.mark.parametrize("kwargs, pattern", [
    (dict(input_ids=_ids(2, 25)), r"sequence length 25.*max_position_embeddings=24"),
    (dict(input_ids=torch.tensor([[2, 60, 3]])), r"input_ids contains 60.*\[0, 60\)"),
    (dict(input_ids=torch.tensor([[2, -1, 3]])), r"input_ids contains -1"),
    (dict(input_ids=_ids(2, 5).float()), r"input_ids has dtype torch.float32"),
    (dict(input_ids=_ids(2, 5).to(torch.uint8)), r"input_ids has dtype torch.uint8, which is not allowed: it must "
                                                 r"be torch.long \(int64\) or torch.int32"),
    (dict(input_ids=_ids(2, 5).to(torch.int16)), r"input_ids has dtype torch.int16.*\.long\(\)"),
    (dict(input_ids=_ids(2, 5) > 30), r"input_ids has dtype torch.bool"),
    (dict(input_ids=_ids(2, 5), token_type_ids=torch.zeros(2, 5, dtype=torch.uint8)), r"token_type_ids has dtype torch.uint8"),
    (dict(input_ids=_ids(2, 5), labels=torch.full((2, 5), -100, dtype=torch.int32)), r"labels has dtype torch.int32.*torch.long"),
    (dict(input_ids=_ids(2, 5), next_sentence_label=torch.tensor([0, 1], dtype=torch.int32)), r"next_sentence_label="),
    (dict(input_ids=_ids(5)), r"input_ids has shape \(5,\).*2-D"),
    (dict(input_ids=[[2, 5, 3]]), r"input_ids=.*torch.Tensor"),
    (dict(input_ids=_ids(2, 5), token_type_ids=torch.full((2, 5), 2)), r"token_type_ids contains 2.*\[0, 2\)"),
    (dict(input_ids=_ids(2, 5), token_type_ids=torch.zeros(2, 4, dtype=torch.long)), r"token_type_ids has shape \(2, 4\)"),
    (dict(input_ids=_ids(2, 5), attention_mask=torch.ones(1, 5, dtype=torch.long)), r"attention_mask has shape \(1, 5\)"),
    (dict(input_ids=_ids(2, 5), attention_mask=torch.full((2, 5), 2)), r"attention_mask contains 2"),
    (dict(input_ids=_ids(2, 5), labels=torch.zeros(2, 6, dtype=torch.long)), r"labels has shape \(2, 6\)"),
    (dict(input_ids=_ids(2, 5), labels=torch.full((2, 5), 60)), r"labels contains 60"),
    (dict(input_ids=_ids(2, 5), labels=torch.full((2, 5), -5)), r"labels contains -5"),
    (dict(input_ids=_ids(2, 5), attention_mask=torch.tensor([[1, 1, 1, 0, 0]] * 2),
          labels=torch.tensor([[-100, 7, -100, 9, -100]] * 2)), r"labels asks for a prediction at a padding"),
    (dict(input_ids=_ids(2, 5), next_sentence_label=torch.tensor([0, 2])), r"next_sentence_label contains 2"),
    (dict(input_ids=_ids(2, 5), next_sentence_label=torch.tensor([0, 1, 1])), r"next_sentence_label has shape \(3,\)"),
    (dict(input_ids=_ids(2, 5), next_sentence_label=torch.tensor([0.0, 1.0])), r"next_sentence_label="),
])
def test_forward_rejects_bad_input_with_clear_message(small, kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        small(**kwargs)


def test_check_inputs_accepts_good_input():
    config = BertConfig(**TINY)
    check_inputs(config, _ids(2, 24), torch.ones(2, 24, dtype=torch.long), torch.ones(2, 24, dtype=torch.bool))
    with pytest.raises(ValueError, match="config="):
        BertModel(TINY)


def test_int32_ids_are_accepted_and_give_the_same_output(small):
    ids = _ids(2, 9)
    with torch.no_grad():
        as_long = small(ids, token_type_ids=torch.zeros_like(ids))
        as_int32 = small(ids.int(), token_type_ids=torch.zeros_like(ids).int())
    assert torch.equal(as_long.prediction_logits, as_int32.prediction_logits)


# ------------------------------------------------------------------ add_pooling_layer

def test_without_pooling_layer_there_is_no_pooler_and_no_pooler_output():
    torch.manual_seed(0)
    encoder = BertModel(BertConfig(**TINY), add_pooling_layer=False).eval()
    assert encoder.pooler is None
    assert not any(name.startswith("pooler.") for name in encoder.state_dict())
    out = encoder(_ids(2, 7))
    assert out.pooler_output is None and out.last_hidden_state.shape == (2, 7, 32)
    assert BertModel(BertConfig(**TINY)).pooler is not None     # the default keeps it, as in transformers
    with pytest.raises(ValueError, match="add_pooling_layer"):
        BertModel(BertConfig(**TINY), add_pooling_layer="no")


def test_without_pooling_layer_loads_strictly_into_transformers_and_matches(transformers):
    torch.manual_seed(2)
    ours = BertModel(BertConfig(**TINY), add_pooling_layer=False).eval()
    hf_config = transformers.BertConfig(**ours.config.to_transformers_config(), attn_implementation="eager")
    theirs = transformers.BertModel(hf_config, add_pooling_layer=False).eval()
    theirs.load_state_dict(ours.state_dict(), strict=True)
    ids = _ids(2, 7)
    with torch.no_grad():
        a, b = ours(ids), theirs(input_ids=ids)
    assert b.pooler_output is None
    assert (a.last_hidden_state - b.last_hidden_state).abs().max() <= TOL
