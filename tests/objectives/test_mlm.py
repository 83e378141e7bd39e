"""MLM corruption: rates, the 80/10/10 split, determinism, errors (other selection rules: test_selection_variants.py)."""
from __future__ import annotations

import math

import pytest
import torch

from helpers.objectives.mlm import (KEPT, MASKED, NOT_SELECTED, RANDOMISED, MaskedBatch, mask_statistics,
                         mask_tokens)

from mlm_batches import MASK_ID, VOCAB, make_batch  # tests/ is on sys.path (conftest.py)


@pytest.fixture(scope="module")
def big():
    ids, special = make_batch(1500)
    out = mask_tokens(ids, special, vocab_size=VOCAB, mask_token_id=MASK_ID, generator=123)
    return ids, special, out


def test_returns_named_tuple_and_leaves_input_alone(big):
    ids, special, out = big
    again, _ = make_batch(1500)
    assert torch.equal(ids, again)                       # not modified in place
    assert isinstance(out, MaskedBatch) and out.input_ids.shape == ids.shape
    assert out.input_ids.dtype == ids.dtype and out.labels.dtype == ids.dtype


def test_selected_fraction_is_fifteen_percent(big):
    ids, special, out = big
    candidates = int((~special).sum())
    assert candidates >= 100_000
    selected = int((out.operations != NOT_SELECTED).sum())
    sd = math.sqrt(0.15 * 0.85 / candidates)
    assert abs(selected / candidates - 0.15) < 4 * sd


def test_eighty_ten_ten_split(big):
    _, _, out = big
    ops = out.operations[out.operations != NOT_SELECTED]
    n = ops.numel()
    for code, p in ((MASKED, 0.8), (RANDOMISED, 0.1), (KEPT, 0.1)):
        fraction = (ops == code).float().mean().item()
        assert abs(fraction - p) < 4 * math.sqrt(p * (1 - p) / n), (code, fraction)


def test_special_and_padding_never_selected(big):
    _, special, out = big
    assert (out.operations[special] == NOT_SELECTED).all()
    assert (out.labels[special] == -100).all()


def test_each_operation_does_what_it_says(big):
    ids, _, out = big
    ops, new = out.operations, out.input_ids
    assert (new[ops == MASKED] == MASK_ID).all()
    assert torch.equal(new[ops == KEPT], ids[ops == KEPT])
    assert torch.equal(new[ops == NOT_SELECTED], ids[ops == NOT_SELECTED])
    random_ids = new[ops == RANDOMISED]
    assert random_ids.min() >= 5 and random_ids.max() < VOCAB     # never a special token


def test_labels_are_original_exactly_where_selected(big):
    ids, _, out = big
    selected = out.operations != NOT_SELECTED
    assert torch.equal(out.labels[selected], ids[selected])
    assert (out.labels[~selected] == -100).all()


def test_random_replacements_cover_the_non_special_vocabulary():
    ids, special = make_batch(200, 64, seed=1)
    out = mask_tokens(ids, special, vocab_size=VOCAB, mask_token_id=MASK_ID, mask_prob=0.0,
                      random_prob=1.0, generator=0)
    drawn = out.input_ids[out.operations == RANDOMISED]
    assert (out.operations[out.operations != NOT_SELECTED] == RANDOMISED).all()
    assert set(drawn.unique().tolist()) == set(range(5, VOCAB))


def test_same_seed_same_result_different_seed_different():
    ids, special = make_batch(50, 64, seed=11)
    kwargs = dict(vocab_size=VOCAB, mask_token_id=MASK_ID)
    a = mask_tokens(ids, special, **kwargs, generator=torch.Generator().manual_seed(5))
    b = mask_tokens(ids, special, **kwargs, generator=5)
    c = mask_tokens(ids, special, **kwargs, generator=6)
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    assert not torch.equal(a.operations, c.operations)


def test_one_sequence_gives_one_sequence():
    ids = torch.tensor([2, 10, 11, 12, 13, 14, 15, 16, 3, 0, 0])
    special = torch.tensor([1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1])
    out = mask_tokens(ids, special, vocab_size=VOCAB, mlm_probability=0.5, generator=0)
    assert out.input_ids.shape == out.labels.shape == out.operations.shape == ids.shape
    assert (out.operations[[0, 8, 9, 10]] == NOT_SELECTED).all() and (out.operations != NOT_SELECTED).any()


def test_mask_statistics(big):
    _, special, out = big
    stats = mask_statistics(out.operations, special)
    assert stats["candidates"] == int((~special).sum())
    assert stats["selected"] == stats["masked"] + stats["randomised"] + stats["kept"]
    assert stats["selected"] == int((out.labels != -100).sum())
    assert abs(stats["masked_fraction"] + stats["randomised_fraction"] + stats["kept_fraction"] - 1) < 1e-9
    assert mask_statistics(torch.zeros(2, 3, dtype=torch.long))["selected_fraction"] == 0.0
    with pytest.raises(ValueError, match="operations"):
        mask_statistics(torch.tensor([0, 7]))


ID = torch.tensor([[2, 10, 11, 3]])
SP = torch.tensor([[1, 0, 0, 1]])


@pytest.mark.parametrize("kwargs, pattern", [
    (dict(mlm_probability=0.0), r"mlm_probability=0.0.*\(0, 1\]"),
    (dict(mlm_probability=1.5), r"mlm_probability=1.5"),
    (dict(mask_prob=-0.1), r"mask_prob=-0.1"),
    (dict(random_prob=1.1), r"random_prob=1.1"),
    (dict(mask_prob=0.8, random_prob=0.3), r"sum 1.1 must be at most 1"),
    (dict(mask_token_id=50), r"mask_token_id=50.*\[0, vocab_size=50\)"),
    (dict(vocab_size=0), r"vocab_size=0"),
    (dict(input_ids=torch.tensor([[2, 50, 3, 3]])), r"input_ids contains 50"),
    (dict(input_ids=torch.tensor([[2.0, 5.0]])), r"input_ids="),
    (dict(special_tokens_mask=torch.tensor([[1, 0, 0]])), r"special_tokens_mask has shape \(1, 3\)"),
    (dict(special_tokens_mask=torch.tensor([[1, 0, 2, 1]])), r"special_tokens_mask contains values"),
    (dict(generator="seed"), r"generator='seed'"),
    (dict(vocab_size=5, input_ids=torch.tensor([[2, 4, 3]]), special_tokens_mask=torch.tensor([[1, 0, 1]])),
     r"random_prob=0.1.*every id"),
    (dict(special_tokens_mask=None), r"special_tokens_mask=None is not allowed"),
])
def test_bad_arguments_raise_clear_errors(kwargs, pattern):
    args = dict(input_ids=ID, special_tokens_mask=SP, vocab_size=VOCAB, mask_token_id=MASK_ID)
    args.update(kwargs)
    with pytest.raises(ValueError, match=pattern):
        mask_tokens(args.pop("input_ids"), args.pop("special_tokens_mask"), **args)
