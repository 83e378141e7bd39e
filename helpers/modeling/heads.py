"""Fine-tuning heads: a pre-trained encoder plus one small task-specific layer.

The head decides the task. All three classes below wrap the same ``BertModel``; they differ only in
WHICH of the encoder's outputs they read and what they predict from it:

* ``BertForSequenceClassification`` reads the pooled ``[CLS]`` output (one vector per input) and
  predicts one label for the whole input: sentiment, topic, paraphrase or not.
* ``BertForTokenClassification`` reads every position's output and predicts one label per token:
  named-entity tags. Positions labeled -100 (padding, ``[CLS]``/``[SEP]``, the second and later
  word-pieces of a word) are left out of the loss.
* ``BertForQuestionAnswering`` reads every position's output and gives each token two scores: "the
  answer starts here" and "the answer ends here".

Names, shapes and losses follow Hugging Face ``transformers`` (``bert.`` prefix, ``classifier``,
``qa_outputs``, ``num_labels``), so ``transformers.BertForSequenceClassification(...)
.load_state_dict(ours.state_dict())`` loads strictly and gives the same logits. Like Hugging Face,
the per-token heads build their encoder without the pooler, which they never use.

Build a head from a pre-trained encoder (``from_pretrained_encoder`` / ``from_checkpoint``) or from
random weights (``from_scratch``) — the two starting points that experiment 4 compares.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

from helpers.constants import IGNORE_INDEX
from helpers.errors import check_positive_int
from helpers.modeling.bert import BertConfig, BertModel
from helpers.modeling.checkpoints import load_checkpoint



@dataclass
class ClassifierOutput:
    """What a classification head returns (the fields of HF's ``SequenceClassifierOutput``)."""
    loss: Optional[torch.Tensor]
    logits: torch.Tensor
    attentions: Optional[tuple] = None


@dataclass
class QuestionAnsweringOutput:
    """What the QA head returns (the fields of HF's ``QuestionAnsweringModelOutput``)."""
    loss: Optional[torch.Tensor]
    start_logits: torch.Tensor
    end_logits: torch.Tensor
    attentions: Optional[tuple] = None


# --------------------------------------------------------------------------- label checks

def _check_label_tensor(name: str, labels, expected_shape: tuple, num_labels: int, allow_ignore: bool):
    """Raise a clear error for labels of the wrong type, shape or range."""
    if not isinstance(labels, torch.Tensor) or labels.dtype != torch.long:
        kind = labels.dtype if isinstance(labels, torch.Tensor) else type(labels).__name__
        raise ValueError(f"{name} of type {kind} is not allowed: it must be a torch.long tensor.")
    if tuple(labels.shape) != tuple(expected_shape):
        raise ValueError(
            f"{name} has shape {tuple(labels.shape)}, which is not allowed: it must be "
            f"{tuple(expected_shape)} to match input_ids."
        )
    valid = (labels >= 0) & (labels < num_labels)
    if allow_ignore:
        valid |= labels == IGNORE_INDEX
    if not bool(valid.all()):
        bad = labels[~valid][0].item()
        allowed = f"0..{num_labels - 1}" + (f" or {IGNORE_INDEX} (ignored)" if allow_ignore else "")
        raise ValueError(f"{name} contains {bad}, which is not allowed: label ids must be {allowed}.")


def _check_positions(name: str, positions, batch_size: int):
    if not isinstance(positions, torch.Tensor) or positions.dtype != torch.long:
        raise ValueError(f"{name} is not allowed: it must be a torch.long tensor of shape ({batch_size},).")
    if positions.dim() == 2 and positions.size(-1) == 1:  # HF accepts (batch, 1) too
        positions = positions.squeeze(-1)
    if tuple(positions.shape) != (batch_size,):
        raise ValueError(
            f"{name} has shape {tuple(positions.shape)}, which is not allowed: it must be ({batch_size},), "
            "one token position per example."
        )
    return positions


# --------------------------------------------------------------------------- shared plumbing

class _HeadModel(nn.Module):
    """Common construction for the three heads. Subclasses set ``uses_pooler`` and ``_build_head``."""

    uses_pooler = True

    def __init__(self, config: BertConfig, num_labels: int):
        super().__init__()
        self.config = config
        self.num_labels = check_positive_int("num_labels", num_labels, minimum=self._min_labels)
        # Per-token heads build the encoder without the pooler they never read, as Hugging Face does,
        # so the state dicts match transformers' BertForTokenClassification / BertForQuestionAnswering.
        self.bert = BertModel(config, add_pooling_layer=self.uses_pooler)
        self._build_head()
        self.init_head_weights(seed=0)

    _min_labels = 2

    def _build_head(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def head_parameters(self):
        """The parameters that are NOT the encoder's: what a frozen-encoder run trains."""
        return [p for name, p in self.named_parameters() if not name.startswith("bert.")]

    @torch.no_grad()
    def init_head_weights(self, seed: int = 0) -> None:
        """Initialise the head like BERT does (normal(0, initializer_range), zero bias), from ``seed``."""
        generator = torch.Generator().manual_seed(seed)
        std = getattr(self.config, "initializer_range", 0.02)
        for name, module in self.named_modules():
            if isinstance(module, nn.Linear) and not name.startswith("bert."):
                module.weight.copy_(torch.randn(module.weight.shape, generator=generator) * std)
                module.bias.zero_()

    def _build_classifier(self) -> None:
        """dropout -> linear ``classifier`` (HF's names), shared by the sequence and token heads."""
        p = getattr(self.config, "classifier_dropout", None)
        self.dropout = nn.Dropout(self.config.hidden_dropout_prob if p is None else p)
        self.classifier = nn.Linear(self.config.hidden_size, self.num_labels)

    def _encode(self, input_ids, token_type_ids, attention_mask, output_attentions):
        return self.bert(
            input_ids,
            token_type_ids=token_type_ids,
            attention_mask=attention_mask,
            output_attentions=output_attentions,
        )

    # ----- the two starting points of fine-tuning

    @classmethod
    def from_pretrained_encoder(cls, encoder: nn.Module, num_labels: int, *, seed: int = 0):
        """A head on a COPY of a pre-trained encoder (``BertModel``, or anything with ``.bert``).

        The encoder is copied, so fine-tuning never changes the pre-trained model you passed in and
        several runs can start from the same weights. Only the new head layer is random (from ``seed``).
        """
        bert = getattr(encoder, "bert", encoder)
        if not isinstance(bert, BertModel):
            raise ValueError(
                f"encoder of type {type(encoder).__name__} is not allowed: it must be a BertModel or a "
                "model with a .bert BertModel (for example BertForPreTraining)."
            )
        model = cls(bert.config, num_labels)
        state = {k: v for k, v in bert.state_dict().items() if model.uses_pooler or not k.startswith("pooler.")}
        model.bert.load_state_dict(state, strict=True)
        model.init_head_weights(seed)
        return model.to(next(bert.parameters()).device)

    @classmethod
    def from_checkpoint(cls, path, num_labels: int, *, seed: int = 0):
        """A head on the encoder of a pre-training checkpoint file (see ``helpers.training.pretraining``)."""
        loaded = load_checkpoint(path)
        model = loaded[0] if isinstance(loaded, tuple) else getattr(loaded, "model", loaded)
        return cls.from_pretrained_encoder(model, num_labels, seed=seed)

    @classmethod
    def from_scratch(cls, config: BertConfig, num_labels: int, *, seed: int = 0):
        """The same architecture with every weight random (from ``seed``): nothing pre-trained."""
        with torch.random.fork_rng(devices=[]):  # leave the caller's global random state alone
            torch.manual_seed(seed)
            model = cls(config, num_labels)
        model.init_head_weights(seed)
        return model


# --------------------------------------------------------------------------- the three heads

class BertForSequenceClassification(_HeadModel):
    """One label per input: pooled [CLS] output -> dropout -> linear ``classifier``."""

    uses_pooler = True

    def _build_head(self) -> None:
        self._build_classifier()

    def forward(self, input_ids, token_type_ids=None, attention_mask=None, labels=None,
                output_attentions: bool = False) -> ClassifierOutput:
        out = self._encode(input_ids, token_type_ids, attention_mask, output_attentions)
        logits = self.classifier(self.dropout(out.pooler_output))  # (batch, num_labels)
        loss = None
        if labels is not None:
            _check_label_tensor("labels", labels, (input_ids.size(0),), self.num_labels, allow_ignore=False)
            loss = F.cross_entropy(logits, labels)
        return ClassifierOutput(loss, logits, getattr(out, "attentions", None))


class BertForTokenClassification(_HeadModel):
    """One label per token: every position's output -> dropout -> linear ``classifier``."""

    uses_pooler = False

    def _build_head(self) -> None:
        self._build_classifier()

    def forward(self, input_ids, token_type_ids=None, attention_mask=None, labels=None,
                output_attentions: bool = False) -> ClassifierOutput:
        out = self._encode(input_ids, token_type_ids, attention_mask, output_attentions)
        logits = self.classifier(self.dropout(out.last_hidden_state))  # (batch, seq, num_labels)
        loss = None
        if labels is not None:
            _check_label_tensor("labels", labels, tuple(input_ids.shape), self.num_labels, allow_ignore=True)
            # Mean over the labeled positions only; -100 (padding, specials, later word-pieces) is skipped.
            loss = F.cross_entropy(logits.view(-1, self.num_labels), labels.view(-1), ignore_index=IGNORE_INDEX)
        return ClassifierOutput(loss, logits, getattr(out, "attentions", None))


class BertForQuestionAnswering(_HeadModel):
    """Answer span: every position's output -> linear ``qa_outputs`` -> (start score, end score)."""

    uses_pooler = False

    def __init__(self, config: BertConfig, num_labels: int = 2):
        super().__init__(config, num_labels)

    _min_labels = 2

    def _build_head(self) -> None:
        if self.num_labels != 2:
            raise ValueError(
                f"num_labels={self.num_labels} is not allowed for question answering: it must be 2 "
                "(a start score and an end score per token)."
            )
        self.qa_outputs = nn.Linear(self.config.hidden_size, 2)

    @classmethod
    def from_pretrained_encoder(cls, encoder, num_labels: int = 2, *, seed: int = 0):
        return super().from_pretrained_encoder(encoder, num_labels, seed=seed)

    @classmethod
    def from_checkpoint(cls, path, num_labels: int = 2, *, seed: int = 0):
        return super().from_checkpoint(path, num_labels, seed=seed)

    @classmethod
    def from_scratch(cls, config, num_labels: int = 2, *, seed: int = 0):
        return super().from_scratch(config, num_labels, seed=seed)

    def forward(self, input_ids, token_type_ids=None, attention_mask=None, start_positions=None,
                end_positions=None, output_attentions: bool = False) -> QuestionAnsweringOutput:
        out = self._encode(input_ids, token_type_ids, attention_mask, output_attentions)
        logits = self.qa_outputs(out.last_hidden_state)  # (batch, seq, 2)
        start_logits, end_logits = (t.squeeze(-1).contiguous() for t in logits.split(1, dim=-1))
        loss = None
        if start_positions is not None and end_positions is not None:
            batch, seq_len = input_ids.shape
            start_positions = _check_positions("start_positions", start_positions, batch)
            end_positions = _check_positions("end_positions", end_positions, batch)
            # As Hugging Face: a position past the end of the sequence (an answer truncated away)
            # becomes `seq_len` and is ignored; a negative one is clamped to 0, the [CLS] position.
            start_positions = start_positions.clamp(0, seq_len)
            end_positions = end_positions.clamp(0, seq_len)
            start_loss = F.cross_entropy(start_logits, start_positions, ignore_index=seq_len)
            end_loss = F.cross_entropy(end_logits, end_positions, ignore_index=seq_len)
            loss = (start_loss + end_loss) / 2
        return QuestionAnsweringOutput(loss, start_logits, end_logits, getattr(out, "attentions", None))


HEADS = {
    "sequence": BertForSequenceClassification,
    "pair": BertForSequenceClassification,
    "token": BertForTokenClassification,
    "span": BertForQuestionAnswering,
}
