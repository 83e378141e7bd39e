"""The shape of a BERT model: :class:`BertConfig`, with the field names of ``transformers.BertConfig``.

Its own module because both the model (:mod:`helpers.modeling.bert`) and the input checks
(:mod:`helpers.modeling.inputs`) read it, and the model imports the checks.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

import torch.nn.functional as F

from helpers.errors import (check_choice, check_flag, check_integer, check_number, check_positive_int,
                            check_probability, show)

ACTIVATIONS = {"gelu": F.gelu, "relu": F.relu}


@dataclass
class BertConfig:
    """The shape of the model. Field names match ``transformers.BertConfig``.

    ``is_causal`` is ours: ``True`` lets position *i* attend only to positions <= *i*
    (a decoder-style mask); BERT itself is always ``False``.
    """

    vocab_size: int = 8000
    hidden_size: int = 256
    num_hidden_layers: int = 4
    num_attention_heads: int = 4
    intermediate_size: int = 1024
    hidden_act: str = "gelu"
    hidden_dropout_prob: float = 0.1
    attention_probs_dropout_prob: float = 0.1
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    initializer_range: float = 0.02
    layer_norm_eps: float = 1e-12
    pad_token_id: int = 0
    is_causal: bool = False

    def __post_init__(self) -> None:
        for name in ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
                     "intermediate_size", "max_position_embeddings", "type_vocab_size"):
            check_positive_int(name, getattr(self, name))
        if self.hidden_size % self.num_attention_heads != 0:
            raise ValueError(
                f"hidden_size={self.hidden_size} is not allowed with num_attention_heads="
                f"{self.num_attention_heads}: hidden_size must be divisible by the number of heads "
                f"(each head gets hidden_size / num_attention_heads dimensions).")
        check_choice("hidden_act", self.hidden_act, tuple(ACTIVATIONS))
        for name in ("hidden_dropout_prob", "attention_probs_dropout_prob"):
            check_probability(name, getattr(self, name), allow_zero=True, allow_one=False)
        for name in ("initializer_range", "layer_norm_eps"):
            check_number(name, getattr(self, name), minimum=0, open_minimum=True)
        check_integer("pad_token_id", self.pad_token_id, minimum=0, maximum=self.vocab_size - 1)
        check_flag("is_causal", self.is_causal)

    @property
    def head_size(self) -> int:
        return self.hidden_size // self.num_attention_heads

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (JSON-friendly) for checkpoints."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "BertConfig":
        """Inverse of :meth:`to_dict`. Unknown keys are an error, so typos do not pass silently."""
        if not isinstance(values, dict):
            raise ValueError(f"values={show(values)} is not allowed: it must be a dict of config fields.")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"values has unknown keys {unknown}: allowed keys are {sorted(known)}.")
        return cls(**values)

    def to_transformers_config(self) -> dict[str, Any]:
        """Keyword arguments for ``transformers.BertConfig(**kwargs)`` describing the same model.

        ``is_causal`` has no field of its own there: a causal model maps to ``is_decoder=True``,
        which makes ``transformers`` apply the same left-to-right mask.
        """
        kwargs = self.to_dict()
        is_causal = kwargs.pop("is_causal")
        if is_causal:
            kwargs["is_decoder"] = True
        return kwargs
