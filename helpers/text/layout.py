"""BERT's input layout: ``[CLS] A [SEP] B [SEP]`` with segments, truncation and padding.

* :func:`prepare_for_model` lays out one text (``[CLS] A [SEP]``) or a pair from token ids, with
  ``token_type_ids`` (segment 0 for [CLS], A and the first [SEP]; 1 for B and the last [SEP]),
  ``attention_mask`` and ``special_tokens_mask``; too long a pair is cut by
  :func:`truncation_lengths`, the longest-first rule of Hugging Face's fast tokenizers;
* :func:`pad_batch` pads such dicts to one length and stacks them into tensors.
"""
from __future__ import annotations

from typing import Sequence

import torch

from helpers.constants import CLS_ID, IGNORE_INDEX, PAD_ID, SEP_ID
from helpers.errors import show


def truncation_lengths(len_a: int, len_b: int, budget: int) -> tuple[int, int]:
    """How many tokens of A and of B to keep so that together they fit in ``budget``.

    The "longest first" rule of Hugging Face's fast tokenizers: when both are too long, each side
    gets half the budget (the longer side gets the odd token; B on a tie); a side shorter than its
    half keeps everything and the other side gets the rest. So the longer text is always the one
    that loses tokens first.
    """
    if len_a + len_b <= budget:
        return len_a, len_b
    keep_short = min(len_a, len_b)  # the shorter side first tries to keep everything
    keep_long = max(keep_short, budget - keep_short)  # the longer side gets what is left
    if keep_short + keep_long > budget:  # the short side is more than half: halve both
        keep_short = budget // 2
        keep_long = keep_short + budget % 2
    if len_a > len_b:
        keep_a, keep_b = keep_long, keep_short
    else:
        keep_a, keep_b = keep_short, keep_long
    return min(keep_a, len_a), min(keep_b, len_b)


def prepare_for_model(ids_a: list[int], ids_b: list[int] | None = None, max_length: int = 128,
                      word_ids_a: list | None = None, word_ids_b: list | None = None) -> dict:
    """Lay out ``[CLS] A [SEP]`` or ``[CLS] A [SEP] B [SEP]`` from token ids, truncating
    longest-first (see ``truncation_lengths``) so that the result has at most ``max_length``
    tokens. Segment (token type) 0 covers [CLS], A and the first [SEP]; 1 covers B and the last
    [SEP]. ``special_tokens_mask`` is 1 on the added [CLS]/[SEP]."""
    n_special = 2 if ids_b is None else 3
    minimum = n_special + (1 if ids_b is None else 2)
    if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < minimum:
        what = "[CLS] A [SEP]" if ids_b is None else "[CLS] A [SEP] B [SEP]"
        raise ValueError(f"max_length={show(max_length)} is not allowed: {what} needs at least {minimum} "
                         f"positions ({n_special} special tokens plus one token per text).")
    word_ids_a = list(word_ids_a) if word_ids_a is not None else [None] * len(ids_a)
    budget = max_length - n_special
    if ids_b is None:
        keep_a, keep_b = min(len(ids_a), budget), 0
        ids_b, word_ids_b = [], []
    else:
        keep_a, keep_b = truncation_lengths(len(ids_a), len(ids_b), budget)
        word_ids_b = list(word_ids_b) if word_ids_b is not None else [None] * len(ids_b)
    a, b = list(ids_a[:keep_a]), list(ids_b[:keep_b])
    input_ids = [CLS_ID] + a + [SEP_ID]
    token_type_ids = [0] * len(input_ids)
    word_ids = [None] + word_ids_a[:keep_a] + [None]
    if n_special == 3:
        input_ids += b + [SEP_ID]
        token_type_ids += [1] * (len(b) + 1)
        word_ids += word_ids_b[:keep_b] + [None]
    special = [0] * len(input_ids)
    for i in (0, len(a) + 1, len(input_ids) - 1):  # [CLS], first [SEP], last [SEP]
        special[i] = 1
    return {
        "input_ids": input_ids,
        "token_type_ids": token_type_ids,
        "attention_mask": [1] * len(input_ids),
        "special_tokens_mask": special,
        "word_ids": word_ids,
    }


def pad_batch(items: Sequence[dict], length: int | None = None, return_tensors: str | None = "pt",
              pad_token_id: int = PAD_ID) -> dict:
    """Pad dicts of equal-keyed lists to ``length`` (default: the longest). ``input_ids`` gets
    ``pad_token_id``, ``special_tokens_mask`` 1, ``labels`` -100 (ignored by the loss),
    ``word_ids`` None, every other list 0. Int scalars (such as ``next_sentence_label``) are
    stacked; other keys are dropped. ``word_ids`` is kept only when lists are returned."""
    if not items:
        raise ValueError("items=[] is not allowed: there must be at least one item to pad.")
    longest = max(len(it["input_ids"]) for it in items)
    if length is None:
        length = longest
    elif length < longest:
        raise ValueError(f"length={show(length)} is not allowed: an item has {longest} tokens; it must be >= that.")
    fill = {"input_ids": pad_token_id, "special_tokens_mask": 1, "labels": IGNORE_INDEX, "word_ids": None}
    out: dict = {}
    for key, value in items[0].items():
        if isinstance(value, list):
            out[key] = [it[key] + [fill.get(key, 0)] * (length - len(it[key])) for it in items]
        elif isinstance(value, int) and not isinstance(value, bool):
            out[key] = [it[key] for it in items]
    if return_tensors == "pt":
        out = {k: torch.tensor(v, dtype=torch.long) for k, v in out.items() if k != "word_ids"}
    return out
