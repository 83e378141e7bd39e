"""Masked-language-model corruption: choose ~15% of the tokens, then mask / randomise / keep them.

For every sequence in a batch:

1. **select** positions to predict: every ordinary token independently with probability
   ``mlm_probability`` (what Hugging Face's ``DataCollatorForLanguageModeling`` does). Structural
   tokens ([CLS], [SEP], [PAD]: ``special_tokens_mask`` = 1) are never selected;
2. **corrupt** each selected token: ``[MASK]`` with probability ``mask_prob`` (0.8), a random
   vocabulary token with probability ``random_prob`` (0.1), otherwise unchanged (0.1);
3. **label** it: ``labels`` holds the ORIGINAL id at every selected position, whichever of the
   three happened, and -100 (ignored by the loss) everywhere else.

Everything is vectorised over the batch: no Python loop over tokens or sequences. (Google's
``create_pretraining_data.py`` selects a fixed count per sequence, and later whole words; the
tests hold those variants, ``tests/objectives/test_selection_variants.py``, since the course
trains with the rule above.)
"""
from __future__ import annotations

import functools
from typing import Any, NamedTuple

import torch

from helpers.constants import IGNORE_INDEX, MASK_ID, SPECIAL_TOKEN_IDS
from helpers.errors import check_positive_int, check_probability, show

# What happened at each position (the ``operations`` tensor).
NOT_SELECTED = 0
MASKED = 1
RANDOMISED = 2
KEPT = 3
OPERATION_NAMES = {NOT_SELECTED: "not selected", MASKED: "masked", RANDOMISED: "randomised", KEPT: "kept"}

class MaskedBatch(NamedTuple):
    input_ids: torch.Tensor    # corrupted ids, what the model reads
    labels: torch.Tensor       # original id at selected positions, -100 elsewhere
    operations: torch.Tensor   # NOT_SELECTED / MASKED / RANDOMISED / KEPT per position


def mask_tokens(input_ids: torch.Tensor, special_tokens_mask: torch.Tensor, *, vocab_size: int,
                mask_token_id: int = MASK_ID, mlm_probability: float = 0.15, mask_prob: float = 0.8,
                random_prob: float = 0.1, generator: torch.Generator | int | None = None) -> MaskedBatch:
    """Corrupt a batch for MLM training. Returns ``MaskedBatch(input_ids, labels, operations)``.

    Args:
        input_ids: (batch, seq) or (seq,) integer token ids. Not modified.
        special_tokens_mask: same shape, 1 at [CLS]/[SEP]/[PAD] (never selected).
        vocab_size, mask_token_id: size of the vocabulary and the id of [MASK].
        mlm_probability: fraction of candidate tokens to select (BERT: 0.15).
        mask_prob, random_prob: of the selected tokens, fraction replaced by [MASK] and by a
            random token; the rest (1 - mask_prob - random_prob) stay unchanged.
        generator: a ``torch.Generator`` or an int seed; the same seed gives the same result.

    Random replacements never draw a special token. This differs on purpose from Google's
    original code and from Hugging Face's collator, which both draw any id of the vocabulary
    (so a "random" token could be [CLS] or [PAD], which the model never sees in that role).
    """
    one_sequence = isinstance(input_ids, torch.Tensor) and input_ids.ndim == 1
    input_ids, special, generator = _check_arguments(input_ids, special_tokens_mask, vocab_size, mask_token_id,
                                                     mlm_probability, mask_prob, random_prob, generator)
    replacement_pool = _replacement_pool(vocab_size)

    # ---- 1. select: every ordinary token independently, with probability mlm_probability
    candidate = ~special
    selected = candidate & (_rand(input_ids.shape, generator, input_ids.device) < mlm_probability)

    # ---- 2. corrupt: one uniform draw per position decides mask / random / keep
    u = _rand(input_ids.shape, generator, input_ids.device)
    operations = torch.where(u < mask_prob, MASKED, torch.where(u < mask_prob + random_prob, RANDOMISED, KEPT))
    operations = torch.where(selected, operations, NOT_SELECTED)

    corrupted = torch.where(operations == MASKED, mask_token_id, input_ids)   # a new tensor
    randomised = operations == RANDOMISED
    how_many = int(randomised.sum())
    if how_many:
        draws = torch.randint(replacement_pool.numel(), (how_many,), generator=generator)
        corrupted[randomised] = replacement_pool[draws].to(device=corrupted.device, dtype=corrupted.dtype)

    # ---- 3. labels: the original token wherever a prediction is asked for
    labels = torch.where(selected, input_ids, torch.full_like(input_ids, IGNORE_INDEX))

    if one_sequence:
        return MaskedBatch(corrupted[0], labels[0], operations[0])
    return MaskedBatch(corrupted, labels, operations)


def _check_arguments(input_ids, special_tokens_mask, vocab_size, mask_token_id, mlm_probability, mask_prob,
                     random_prob, generator) -> tuple[torch.Tensor, torch.Tensor, torch.Generator | None]:
    """Every argument of :func:`mask_tokens`, checked before any work: (ids, special mask, generator) as a batch."""
    one_sequence = isinstance(input_ids, torch.Tensor) and input_ids.ndim == 1
    input_ids = _as_batch("input_ids", input_ids)
    check_positive_int("vocab_size", vocab_size)
    _check_id("mask_token_id", mask_token_id, vocab_size)
    _check_id_range("input_ids", input_ids, vocab_size)
    check_probability("mlm_probability", mlm_probability)
    check_probability("mask_prob", mask_prob, allow_zero=True)
    check_probability("random_prob", random_prob, allow_zero=True)
    if mask_prob + random_prob > 1 + 1e-9:
        raise ValueError(f"mask_prob={mask_prob} and random_prob={random_prob} are not allowed together: "
                         f"their sum {mask_prob + random_prob:g} must be at most 1 (the rest are kept).")
    special = _as_mask("special_tokens_mask", special_tokens_mask, input_ids.shape, one_sequence)
    if random_prob > 0 and _replacement_pool(vocab_size).numel() == 0:
        raise ValueError(f"random_prob={random_prob} is not allowed: every id of vocab_size={vocab_size} "
                         f"is special, so there is no token to draw a random replacement from.")
    if isinstance(generator, int) and not isinstance(generator, bool):
        generator = torch.Generator().manual_seed(generator)
    elif generator is not None and not isinstance(generator, torch.Generator):
        raise ValueError(f"generator={show(generator)} is not allowed: it must be a torch.Generator, "
                         f"an int seed, or None.")
    return input_ids, special, generator


# ----------------------------------------------------------------------------- statistics

def mask_statistics(operations: torch.Tensor, special_tokens_mask: torch.Tensor | None = None) -> dict[str, Any]:
    """Counts and fractions of each operation, for plots and sanity checks.

    ``selected_fraction`` is over candidate positions (all positions, or those with
    ``special_tokens_mask`` = 0); ``masked_fraction`` etc. are over the selected positions.
    """
    if not isinstance(operations, torch.Tensor):
        raise ValueError(f"operations={show(operations)} is not allowed: it must be the operations "
                         f"tensor returned by mask_tokens.")
    if special_tokens_mask is not None and (not isinstance(special_tokens_mask, torch.Tensor)
                                            or special_tokens_mask.shape != operations.shape):
        raise ValueError(f"special_tokens_mask={show(special_tokens_mask)} is not allowed: it must be a "
                         f"tensor with the shape of operations, {tuple(operations.shape)}.")
    if operations.numel() and (int(operations.min()) < NOT_SELECTED or int(operations.max()) > KEPT):
        raise ValueError("operations contains values outside 0..3, which is not allowed: it must hold "
                         "NOT_SELECTED=0, MASKED=1, RANDOMISED=2 or KEPT=3.")
    counts = torch.bincount(operations.reshape(-1).long(), minlength=4).tolist()
    candidates = operations.numel() if special_tokens_mask is None else int((special_tokens_mask == 0).sum())
    selected = counts[MASKED] + counts[RANDOMISED] + counts[KEPT]
    stats: dict[str, Any] = {"tokens": operations.numel(), "candidates": candidates, "selected": selected,
                             "selected_fraction": selected / candidates if candidates else 0.0}
    for code, name in ((MASKED, "masked"), (RANDOMISED, "randomised"), (KEPT, "kept")):
        stats[name] = counts[code]
        stats[f"{name}_fraction"] = counts[code] / selected if selected else 0.0
    return stats


# ----------------------------------------------------------------------------- argument helpers

def _rand(shape: torch.Size, generator: torch.Generator | None, device: torch.device) -> torch.Tensor:
    """Uniform [0, 1) numbers drawn on the CPU generator (reproducible), then moved to ``device``."""
    return torch.rand(shape, generator=generator).to(device)


def _as_batch(name: str, tensor: Any) -> torch.Tensor:
    if not isinstance(tensor, torch.Tensor) or tensor.dtype == torch.bool or tensor.is_floating_point() \
            or tensor.is_complex():
        raise ValueError(f"{name}={show(tensor)} is not allowed: it must be an integer torch.Tensor of "
                         f"token ids, shape (batch, seq) or (seq,).")
    if tensor.ndim not in (1, 2) or tensor.numel() == 0:
        raise ValueError(f"{name} has shape {tuple(tensor.shape)}, which is not allowed: it must be a "
                         f"non-empty (batch, seq) or (seq,) tensor.")
    return tensor.unsqueeze(0) if tensor.ndim == 1 else tensor


def _as_mask(name: str, mask: Any, shape: torch.Size, one_sequence: bool) -> torch.Tensor:
    if not isinstance(mask, torch.Tensor):
        raise ValueError(f"{name}={show(mask)} is not allowed: it must be a tensor of 0/1 (or bool) "
                         f"shaped like input_ids.")
    if one_sequence and mask.ndim == 1:
        mask = mask.unsqueeze(0)
    if mask.shape != shape:
        raise ValueError(f"{name} has shape {tuple(mask.shape)}, which is not allowed: it must have the "
                         f"shape of input_ids, {tuple(shape)}.")
    if mask.dtype != torch.bool:
        if not bool(((mask == 0) | (mask == 1)).all()):
            raise ValueError(f"{name} contains values other than 0 and 1, which is not allowed: "
                             f"1 marks a position, 0 leaves it alone.")
        mask = mask.bool()
    return mask


def _check_id(name: str, value: Any, vocab_size: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < vocab_size:
        raise ValueError(f"{name}={show(value)} is not allowed: it must be an integer in "
                         f"[0, vocab_size={vocab_size}).")


def _check_id_range(name: str, ids: torch.Tensor, vocab_size: int) -> None:
    low, high = (int(v) for v in torch.aminmax(ids))
    if low < 0 or high >= vocab_size:
        raise ValueError(f"{name} contains {low if low < 0 else high}, which is not allowed: token ids "
                         f"must be in [0, vocab_size={vocab_size}).")


@functools.lru_cache(maxsize=16)
def _replacement_pool(vocab_size: int) -> torch.Tensor:
    """The ids a random replacement may draw: every id except the special ones ([PAD] ... [MASK])."""
    allowed = torch.ones(vocab_size, dtype=torch.bool)
    allowed[[i for i in SPECIAL_TOKEN_IDS if i < vocab_size]] = False
    return allowed.nonzero().squeeze(1)
