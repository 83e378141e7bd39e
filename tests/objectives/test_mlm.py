"""MLM corruption: rates, the 80/10/10 split, schemes, whole words, determinism, errors."""
from __future__ import annotations

import math

import pytest
import torch

from helpers.objectives.mlm import (KEPT, MASKED, NOT_SELECTED, RANDOMISED, MaskedBatch, mask_statistics,
                         mask_tokens)

VOCAB = 50
MASK_ID = 4


def make_batch(batch: int = 1000, seq: int = 128, seed: int = 0):
    """[CLS] A [SEP] B [SEP] [PAD]... with varying lengths; ids of real words are >= 5."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(5, VOCAB, (batch, seq), generator=g)
    lengths = torch.randint(seq // 4, seq + 1, (batch,), generator=g)
    rows = torch.arange(batch)
    real = torch.arange(seq)[None, :] < lengths[:, None]
    ids[:, 0] = 2
    ids[rows, lengths // 2] = 3
    ids[rows, lengths - 1] = 3
    ids[~real] = 0
    special = (ids == 0) | (ids == 2) | (ids == 3)
    return ids, special


def words_of(continuation: torch.Tensor, candidate: torch.Tensor):
    """Python reference for the word grouping: list of (row, [positions]) for every word."""
    words = []
    for r in range(candidate.shape[0]):
        current: list[int] = []
        for i in range(candidate.shape[1]):
            if not candidate[r, i]:
                if current:
                    words.append((r, current))
                current = []
            elif continuation[r, i] and current:
                current.append(i)
            else:
                if current:
                    words.append((r, current))
                current = [i]
        if current:
            words.append((r, current))
    return words


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
    # Custom special ids are avoided too.
    out = mask_tokens(ids, special, vocab_size=VOCAB, mask_token_id=MASK_ID, mask_prob=0.0, random_prob=1.0,
                      generator=0, special_token_ids=[0, 1, 2, 3, 4] + list(range(10, VOCAB)))
    assert set(out.input_ids[out.operations == RANDOMISED].unique().tolist()) == set(range(5, 10))


def test_exact_scheme_counts_and_cap():
    ids, special = make_batch(300, 128, seed=2)
    n = (~special).sum(dim=1).tolist()
    out = mask_tokens(ids, special, vocab_size=VOCAB, mask_token_id=MASK_ID, scheme="exact", generator=1)
    counts = (out.operations != NOT_SELECTED).sum(dim=1).tolist()
    assert counts == [max(1, round(k * 0.15)) for k in n]
    capped = mask_tokens(ids, special, vocab_size=VOCAB, mask_token_id=MASK_ID, scheme="exact",
                         max_predictions=10, generator=1)
    counts = (capped.operations != NOT_SELECTED).sum(dim=1).tolist()
    assert counts == [min(10, max(1, round(k * 0.15))) for k in n]
    assert (capped.operations[special] == NOT_SELECTED).all()


def test_exact_scheme_positions_are_uniform():
    """Every candidate position is equally likely to be picked (no bias towards the start)."""
    ids = torch.randint(5, VOCAB, (20_000, 10), generator=torch.Generator().manual_seed(3))
    special = torch.zeros_like(ids, dtype=torch.bool)
    out = mask_tokens(ids, special, vocab_size=VOCAB, mask_token_id=MASK_ID, scheme="exact",
                      mlm_probability=0.2, generator=2)
    per_position = (out.operations != NOT_SELECTED).float().mean(dim=0)
    assert ((out.operations != NOT_SELECTED).sum(dim=1) == 2).all()
    assert (per_position - 0.2).abs().max() < 4 * math.sqrt(0.2 * 0.8 / 20_000)


def test_bernoulli_with_max_predictions_is_capped():
    ids, special = make_batch(300, 128, seed=4)
    out = mask_tokens(ids, special, vocab_size=VOCAB, mask_token_id=MASK_ID, mlm_probability=0.5,
                      max_predictions=5, generator=3)
    counts = (out.operations != NOT_SELECTED).sum(dim=1)
    assert counts.max() == 5 and (out.operations[special] == NOT_SELECTED).all()


@pytest.mark.parametrize("scheme", ["bernoulli", "exact"])
def test_whole_word_masking_selects_whole_words(scheme):
    ids, special = make_batch(150, 48, seed=5)
    continuation = torch.rand(ids.shape, generator=torch.Generator().manual_seed(6)) < 0.4
    out = mask_tokens(ids, special, vocab_size=VOCAB, mask_token_id=MASK_ID, scheme=scheme,
                      whole_word_mask=True, continuation_mask=continuation, mlm_probability=0.2,
                      max_predictions=8, generator=7)
    selected = out.operations != NOT_SELECTED
    assert not selected[special].any()
    words = words_of(continuation, ~special)
    lengths = {}
    for row, positions in words:
        picked = selected[row, positions]
        assert picked.all() or not picked.any(), (row, positions)   # all pieces or none
        lengths.setdefault(row, []).append((len(positions), bool(picked.all())))
    counts = selected.sum(dim=1)
    assert counts.max() <= 8
    if scheme == "exact":
        n = (~special).sum(dim=1)
        budget = [min(8, max(1, round(k * 0.2))) for k in n.tolist()]
        for row, items in lengths.items():
            used = sum(length for length, picked in items if picked)
            assert used <= budget[row]
            # Greedy: no word left out would still have fitted in the remaining budget.
            assert all(length > budget[row] - used for length, picked in items if not picked)


def test_whole_word_bernoulli_rate_is_per_token():
    ids, special = make_batch(1000, 128, seed=8)
    continuation = torch.rand(ids.shape, generator=torch.Generator().manual_seed(9)) < 0.3
    out = mask_tokens(ids, special, vocab_size=VOCAB, mask_token_id=MASK_ID, whole_word_mask=True,
                      continuation_mask=continuation, generator=10)
    fraction = (out.operations != NOT_SELECTED).sum().item() / (~special).sum().item()
    assert abs(fraction - 0.15) < 0.006     # words are selected together, so a looser bound


def test_same_seed_same_result_different_seed_different():
    ids, special = make_batch(50, 64, seed=11)
    kwargs = dict(vocab_size=VOCAB, mask_token_id=MASK_ID)
    for scheme in ("bernoulli", "exact"):
        a = mask_tokens(ids, special, **kwargs, scheme=scheme, generator=torch.Generator().manual_seed(5))
        b = mask_tokens(ids, special, **kwargs, scheme=scheme, generator=5)
        c = mask_tokens(ids, special, **kwargs, scheme=scheme, generator=6)
        assert all(torch.equal(x, y) for x, y in zip(a, b))
        assert not torch.equal(a.operations, c.operations)


def test_one_sequence_and_special_mask_from_ids():
    ids = torch.tensor([2, 10, 11, 12, 13, 14, 15, 16, 3, 0, 0])
    out = mask_tokens(ids, None, vocab_size=VOCAB, scheme="exact", mlm_probability=0.3, generator=0)
    assert out.input_ids.shape == ids.shape
    assert (out.operations[[0, 8, 9, 10]] == NOT_SELECTED).all()
    assert int((out.operations != NOT_SELECTED).sum()) == round(7 * 0.3)


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
    (dict(scheme="topk"), r"scheme='topk'.*'bernoulli', 'exact'"),
    (dict(max_predictions=0), r"max_predictions=0"),
    (dict(mask_token_id=50), r"mask_token_id=50.*\[0, vocab_size=50\)"),
    (dict(vocab_size=0), r"vocab_size=0"),
    (dict(input_ids=torch.tensor([[2, 50, 3, 3]])), r"input_ids contains 50"),
    (dict(input_ids=torch.tensor([[2.0, 5.0]])), r"input_ids="),
    (dict(special_tokens_mask=torch.tensor([[1, 0, 0]])), r"special_tokens_mask has shape \(1, 3\)"),
    (dict(special_tokens_mask=torch.tensor([[1, 0, 2, 1]])), r"special_tokens_mask contains values"),
    (dict(whole_word_mask=True), r"continuation_mask=None"),
    (dict(whole_word_mask=True, continuation_mask=torch.zeros(1, 5)), r"continuation_mask has shape"),
    (dict(continuation_mask=torch.zeros(1, 4)), r"whole_word_mask=True"),
    (dict(special_token_ids=[0, 99]), r"special_token_ids item=99"),
    (dict(generator="seed"), r"generator='seed'"),
    (dict(vocab_size=5, input_ids=torch.tensor([[2, 4, 3]]), special_tokens_mask=None),
     r"random_prob=0.1.*every id"),
])
def test_bad_arguments_raise_clear_errors(kwargs, pattern):
    args = dict(input_ids=ID, special_tokens_mask=SP, vocab_size=VOCAB, mask_token_id=MASK_ID)
    args.update(kwargs)
    with pytest.raises(ValueError, match=pattern):
        mask_tokens(args.pop("input_ids"), args.pop("special_tokens_mask"), **args)
