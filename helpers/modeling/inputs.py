"""Input checks for the BERT models: a clear ``ValueError`` instead of a traceback from inside torch.

Every forward pass of :mod:`helpers.modeling.bert` calls :func:`check_inputs` (and, with labels,
:func:`check_pretraining_labels`) before any arithmetic. The checks are cheap (a dtype and shape
test and one min/max pass per tensor), so they run on every step; they live here so the model file
reads like the architecture diagram.

What is allowed (the conventions of Hugging Face ``transformers``):

* ``input_ids``, ``token_type_ids``: 2-D (batch, sequence) integer tensors, ``torch.long`` (int64)
  or ``torch.int32`` (what ``nn.Embedding`` takes), with values below ``vocab_size`` /
  ``type_vocab_size``;
* ``attention_mask``: the shape of ``input_ids``, 1 for real tokens and 0 for padding (any dtype);
* ``labels``: ``torch.long``, the original token id at selected positions and -100 elsewhere, never
  a prediction at padding;
* ``next_sentence_label``: ``torch.long`` of shape (batch,), 0 (B follows A) or 1 (B is random).
"""
from __future__ import annotations

from typing import Any

import torch

from helpers.constants import IGNORE_INDEX
from helpers.errors import show
from helpers.modeling.config import BertConfig

# The dtypes an embedding lookup takes, and the one cross_entropy takes for class targets.
ID_DTYPES = (torch.long, torch.int32)
LABEL_DTYPES = (torch.long,)


def _dtype_names(dtypes: tuple[torch.dtype, ...]) -> str:
    names = {torch.long: "torch.long (int64)", torch.int32: "torch.int32"}
    return " or ".join(names[d] for d in dtypes)


def check_ids(name: str, tensor: Any, shape: torch.Size | None, high: int | None, what: str,
              dtypes: tuple[torch.dtype, ...] = ID_DTYPES) -> None:
    """Type, dtype, rank, shape, and (with ``high``) one min/max pass: values in [0, high)."""
    if not isinstance(tensor, torch.Tensor):
        raise ValueError(f"{name}={show(tensor)} is not allowed: it must be a torch.Tensor of {what}.")
    if tensor.dtype not in dtypes:
        hint = " (convert with .long())" if not (tensor.is_floating_point() or tensor.is_complex()) else ""
        raise ValueError(f"{name} has dtype {tensor.dtype}, which is not allowed: it must be "
                         f"{_dtype_names(dtypes)}, an integer tensor of {what}{hint}.")
    if shape is None:
        if tensor.ndim != 2:
            raise ValueError(f"{name} has shape {tuple(tensor.shape)}, which is not allowed: it must be "
                             f"2-D (batch, sequence). For one sequence use {name}.unsqueeze(0).")
        if tensor.numel() == 0:
            raise ValueError(f"{name} has shape {tuple(tensor.shape)}, which is not allowed: it must "
                             f"hold at least one token.")
    elif tensor.shape != shape:
        raise ValueError(f"{name} has shape {tuple(tensor.shape)}, which is not allowed: it must have "
                         f"the same shape as input_ids, {tuple(shape)}.")
    if high is not None:
        low_value, high_value = (int(v) for v in torch.aminmax(tensor))
        if low_value < 0 or high_value >= high:
            bad = low_value if low_value < 0 else high_value
            raise ValueError(f"{name} contains {bad}, which is not allowed: values must be in [0, {high}) "
                             f"({what}).")


def check_inputs(config: BertConfig, input_ids: Any, token_type_ids: Any = None,
                 attention_mask: Any = None) -> None:
    """Raise a clear ``ValueError`` for inputs the model cannot take (called by every forward)."""
    check_ids("input_ids", input_ids, None, config.vocab_size, f"token ids below vocab_size={config.vocab_size}")
    if input_ids.shape[1] > config.max_position_embeddings:
        raise ValueError(f"input_ids has sequence length {input_ids.shape[1]}, which is not allowed: the "
                         f"model has only max_position_embeddings={config.max_position_embeddings} positions.")
    if token_type_ids is not None:
        check_ids("token_type_ids", token_type_ids, input_ids.shape, config.type_vocab_size,
                  f"segment ids below type_vocab_size={config.type_vocab_size}")
    if attention_mask is not None:
        check_attention_mask(attention_mask, input_ids.shape)


def check_attention_mask(attention_mask: Any, shape: torch.Size) -> None:
    """A tensor of the shape of ``input_ids`` holding only 1 (real token) and 0 (padding)."""
    if not isinstance(attention_mask, torch.Tensor) or attention_mask.is_complex():
        raise ValueError(f"attention_mask={show(attention_mask)} is not allowed: it must be a "
                         f"torch.Tensor with 1 for real tokens and 0 for padding.")
    if attention_mask.shape != shape:
        raise ValueError(f"attention_mask has shape {tuple(attention_mask.shape)}, which is not allowed: "
                         f"it must have the same shape as input_ids, {tuple(shape)}.")
    if attention_mask.dtype != torch.bool and not bool(((attention_mask == 0) | (attention_mask == 1)).all()):
        bad = attention_mask[(attention_mask != 0) & (attention_mask != 1)][0].item()
        raise ValueError(f"attention_mask contains {bad}, which is not allowed: values must be "
                         f"1 (real token) or 0 (padding).")


def check_pretraining_labels(config: BertConfig, input_ids: torch.Tensor, attention_mask: Any,
                             labels: Any, next_sentence_label: Any) -> None:
    """The MLM ``labels`` and the NSP ``next_sentence_label`` of ``BertForPreTraining`` (either may be None)."""
    if labels is not None:
        check_mlm_labels(labels, input_ids.shape, config.vocab_size, attention_mask)
    if next_sentence_label is not None:
        check_next_sentence_label(next_sentence_label, input_ids.shape[0])


def check_mlm_labels(labels: Any, shape: torch.Size, vocab_size: int, attention_mask: Any = None) -> None:
    """-100 (ignored) or a token id below ``vocab_size`` at each position; never a prediction at padding."""
    check_ids("labels", labels, shape, None, f"token ids, or {IGNORE_INDEX} for ignored positions", LABEL_DTYPES)
    ignored = labels == IGNORE_INDEX
    low, high = (int(v) for v in torch.aminmax(labels.masked_fill(ignored, 0)))
    if low < 0 or high >= vocab_size:
        raise ValueError(f"labels contains {low if low < 0 else high}, which is not allowed: values "
                         f"must be {IGNORE_INDEX} (ignored) or a token id in [0, {vocab_size}).")
    if attention_mask is not None and bool((~ignored & (attention_mask == 0)).any()):
        raise ValueError(f"labels asks for a prediction at a padding position (attention_mask=0), "
                         f"which is not allowed: labels must be {IGNORE_INDEX} wherever attention_mask is 0.")


def check_next_sentence_label(label: Any, batch: int) -> None:
    """A ``torch.long`` tensor of shape (batch,) holding 0 (B follows A) or 1 (B is random)."""
    if not isinstance(label, torch.Tensor) or label.dtype not in LABEL_DTYPES:
        raise ValueError(f"next_sentence_label={show(label)} is not allowed: it must be a torch.long "
                         f"tensor of shape ({batch},) with 0 (B follows A) or 1 (B is random).")
    if label.shape != (batch,):
        raise ValueError(f"next_sentence_label has shape {tuple(label.shape)}, which is not allowed: it "
                         f"must have shape ({batch},), one label per sequence pair.")
    low, high = (int(v) for v in torch.aminmax(label))
    if low < 0 or high > 1:
        raise ValueError(f"next_sentence_label contains {low if low < 0 else high}, which is not allowed: "
                         f"values must be 0 (B follows A) or 1 (B is random).")
