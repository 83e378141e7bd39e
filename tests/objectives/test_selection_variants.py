"""Selection rules the course does not train with, kept here with their tests.

:func:`helpers.objectives.mlm.mask_tokens` selects each ordinary token independently (Hugging Face's
rule). Google's ``create_pretraining_data.py`` selects a fixed number per sequence,
``max(1, round(n * mlm_probability))`` capped at ``max_predictions`` ("exact"), and its later
release selects whole words (every ``##`` piece with its word). Those rules live here: they select
positions, and ``mask_tokens`` then corrupts exactly those (``special_tokens_mask = ~selected`` with
``mlm_probability=1``), so the 80/10/10 step is the course's own.
"""
from __future__ import annotations

import math

import pytest
import torch

from helpers.objectives.mlm import NOT_SELECTED, MaskedBatch, mask_tokens

from mlm_batches import MASK_ID, VOCAB, make_batch  # tests/ is on sys.path (conftest.py)


def _rand(shape, generator, device):
    return torch.rand(shape, generator=generator).to(device)


def select_units(unit_start: torch.Tensor, unit_length: torch.Tensor, p: float, scheme: str,
                  max_predictions: int | None, generator) -> torch.Tensor:
    """Choose units (tokens, or words by their first piece). Returns a bool mask of chosen starts.

    ``unit_start``: True where a unit begins; ``unit_length``: its number of tokens there.
    """
    if scheme == "bernoulli":
        chosen = unit_start & (_rand(unit_start.shape, generator, unit_start.device) < p)
        if max_predictions is None:
            return chosen
        # Over the cap: keep a random subset of the chosen units that fits.
        cap = torch.full((chosen.shape[0],), max_predictions, device=chosen.device)
        return take_in_random_order(chosen, unit_length, cap, generator)
    # exact: budget = max(1, round(n * p)) tokens over the n candidate tokens of each row
    n_tokens = (unit_length * unit_start).sum(dim=1)
    budget = torch.round(n_tokens.double() * p).long().clamp(min=1)
    budget = torch.where(n_tokens > 0, budget, torch.zeros_like(budget))
    if max_predictions is not None:
        budget = budget.clamp(max=max_predictions)
    return take_in_random_order(unit_start, unit_length, budget, generator)


def take_in_random_order(unit_start, unit_length, budget, generator) -> torch.Tensor:
    """Shuffle each row's units, then walk them in that order taking every unit that still fits.

    This is Google's greedy rule (a word that would overflow the budget is skipped and shorter
    ones after it are still tried), done for the whole batch at once: each round takes, in
    order, the longest run of fitting units whose running total stays within the budget; the
    next round retries with what is left. Single tokens (length 1) finish in one round with
    exactly ``budget`` taken.
    """
    scores = _rand(unit_start.shape, generator, unit_start.device).masked_fill(~unit_start, 2.0)
    order = scores.argsort(dim=1)                       # real units first, in random order
    available = unit_start.gather(1, order)
    length = unit_length.gather(1, order)
    taken = torch.zeros_like(available)
    remaining = budget.clone()
    while True:
        fits = available & ~taken & (length <= remaining[:, None])
        running_total = (length * fits).cumsum(dim=1)
        new = fits & (running_total <= remaining[:, None])
        if not bool(new.any()):
            break
        taken |= new
        remaining = remaining - (length * new).sum(dim=1)
    return torch.zeros_like(unit_start).scatter(1, order, taken)


def select_whole_words(candidate, continuation, p, scheme, max_predictions, generator) -> torch.Tensor:
    """Select words, then spread each choice from the word's first piece to its ``##`` pieces."""
    seq_len = candidate.shape[1]
    previous_candidate = torch.nn.functional.pad(candidate[:, :-1], (1, 0), value=False)
    # A word starts at a candidate that is not a ## piece (or a stray ## piece with nothing before it).
    word_start = candidate & (~continuation | ~previous_candidate)
    positions = torch.arange(seq_len, device=candidate.device).expand_as(candidate)
    # For every position, the index of the latest word start at or before it (its word's first piece).
    start_of_word = torch.where(word_start, positions, torch.zeros_like(positions)).cummax(dim=1).values
    word_length = torch.zeros_like(positions).scatter_add(1, start_of_word, candidate.long())
    chosen_starts = select_units(word_start, word_length, p, scheme, max_predictions, generator)
    return candidate & chosen_starts.gather(1, start_of_word)


def mask_with(ids: torch.Tensor, special: torch.Tensor, *, scheme: str = "bernoulli", mlm_probability: float = 0.15,
              max_predictions: int | None = None, continuation: torch.Tensor | None = None,
              generator: int = 0) -> MaskedBatch:
    """Select with one of the rules above, then let the course's ``mask_tokens`` corrupt those positions."""
    generator = torch.Generator().manual_seed(generator)
    candidate = ~special.bool()
    if continuation is not None:
        selected = select_whole_words(candidate, continuation, mlm_probability, scheme, max_predictions, generator)
    else:
        selected = select_units(candidate, torch.ones_like(ids), mlm_probability, scheme, max_predictions, generator)
    return mask_tokens(ids, ~selected, vocab_size=VOCAB, mask_token_id=MASK_ID, mlm_probability=1.0,
                       generator=generator)


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


def test_exact_scheme_counts_and_cap():
    ids, special = make_batch(300, 128, seed=2)
    n = (~special).sum(dim=1).tolist()
    out = mask_with(ids, special, scheme="exact", generator=1)
    counts = (out.operations != NOT_SELECTED).sum(dim=1).tolist()
    assert counts == [max(1, round(k * 0.15)) for k in n]
    capped = mask_with(ids, special, scheme="exact",
                         max_predictions=10, generator=1)
    counts = (capped.operations != NOT_SELECTED).sum(dim=1).tolist()
    assert counts == [min(10, max(1, round(k * 0.15))) for k in n]
    assert (capped.operations[special] == NOT_SELECTED).all()


def test_exact_scheme_positions_are_uniform():
    """Every candidate position is equally likely to be picked (no bias towards the start)."""
    ids = torch.randint(5, VOCAB, (20_000, 10), generator=torch.Generator().manual_seed(3))
    special = torch.zeros_like(ids, dtype=torch.bool)
    out = mask_with(ids, special, scheme="exact",
                      mlm_probability=0.2, generator=2)
    per_position = (out.operations != NOT_SELECTED).float().mean(dim=0)
    assert ((out.operations != NOT_SELECTED).sum(dim=1) == 2).all()
    assert (per_position - 0.2).abs().max() < 4 * math.sqrt(0.2 * 0.8 / 20_000)


def test_bernoulli_with_max_predictions_is_capped():
    ids, special = make_batch(300, 128, seed=4)
    out = mask_with(ids, special, mlm_probability=0.5,
                      max_predictions=5, generator=3)
    counts = (out.operations != NOT_SELECTED).sum(dim=1)
    assert counts.max() == 5 and (out.operations[special] == NOT_SELECTED).all()


@pytest.mark.parametrize("scheme", ["bernoulli", "exact"])
def test_whole_word_masking_selects_whole_words(scheme):
    ids, special = make_batch(150, 48, seed=5)
    continuation = torch.rand(ids.shape, generator=torch.Generator().manual_seed(6)) < 0.4
    out = mask_with(ids, special, scheme=scheme,
                      continuation=continuation, mlm_probability=0.2,
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
    out = mask_with(ids, special, continuation=continuation, generator=10)
    fraction = (out.operations != NOT_SELECTED).sum().item() / (~special).sum().item()
    assert abs(fraction - 0.15) < 0.006     # words are selected together, so a looser bound


def test_same_seed_same_result_different_seed_different():
    ids, special = make_batch(50, 64, seed=11)
    for scheme in ("bernoulli", "exact"):
        a = mask_with(ids, special, scheme=scheme, generator=5)
        b = mask_with(ids, special, scheme=scheme, generator=5)
        c = mask_with(ids, special, scheme=scheme, generator=6)
        assert all(torch.equal(x, y) for x, y in zip(a, b))
        assert not torch.equal(a.operations, c.operations)


def test_exact_scheme_on_a_short_sequence():
    ids = torch.tensor([[2, 10, 11, 12, 13, 14, 15, 16, 3, 0, 0]])
    out = mask_with(ids, (ids == 0) | (ids == 2) | (ids == 3), scheme="exact", mlm_probability=0.3)
    assert out.input_ids.shape == ids.shape
    assert (out.operations[0, [0, 8, 9, 10]] == NOT_SELECTED).all()
    assert int((out.operations != NOT_SELECTED).sum()) == round(7 * 0.3)
