"""A small BERT encoder in one readable file, with Hugging Face's parameter names.

The picture to keep in mind (post-LN, as in the 2018 paper)::

    input_ids, token_type_ids
        │  word + position + segment embeddings → LayerNorm → dropout
        ▼
    ┌── BertLayer ×N ──────────────────────────────────────────────────────┐
    │   x ─► self-attention ─► dense ─► dropout ─► (+x) ─► LayerNorm ─► a  │
    │   a ─► dense ─► GELU ─► dense ─► dropout ─► (+a) ─► LayerNorm ─► out │
    └──────────────────────────────────────────────────────────────────────┘
        ▼
    last_hidden_state (batch, seq, hidden)
        ├─► [CLS] row ─► dense ─► tanh ─► pooler_output ─► NSP head (2 logits)
        └─► every selected row ─► dense ─► GELU ─► LayerNorm ─► decoder (tied
            to the word embeddings) + bias ─► MLM logits over the vocabulary

Every parameter is named exactly as in ``transformers.BertForPreTraining``
(``bert.encoder.layer.0.attention.self.query.weight`` ...), so a state dict loads
strictly in both directions and the course can check its model against the reference.

Three things differ from the reference on purpose:

* with ``labels``, the MLM head runs only at the selected positions (labels != -100),
  as Google's original code does: the vocabulary-sized matmul is the most expensive part of
  the step, and 85% of its rows would be thrown away by the loss;
* in training (labels given) the per-token layers skip padding rows: only attention needs
  the padded (batch, seq) grid, so everything else runs on the real tokens alone;
* ``BertConfig.is_causal`` switches on a causal (left-to-right) attention mask. BERT never
  uses it; the course uses it to show why next-token prediction needs one.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from helpers.constants import IGNORE_INDEX
from helpers.errors import show
# The config lives in its own module (inputs.py needs it too); importing it from here keeps working.
from helpers.modeling.config import ACTIVATIONS, BertConfig  # noqa: F401
from helpers.modeling.inputs import check_inputs, check_pretraining_labels

# ----------------------------------------------------------------------------- outputs

@dataclass
class BertModelOutput:
    last_hidden_state: torch.Tensor          # (batch, seq, hidden)
    pooler_output: torch.Tensor | None       # (batch, hidden): tanh(dense([CLS] row)); None without a pooler
    attentions: tuple[torch.Tensor, ...] | None = None  # per layer (batch, heads, seq, seq)


@dataclass
class BertForPreTrainingOutput:
    loss: torch.Tensor | None                # mlm_loss + nsp_loss (whichever were computed)
    mlm_loss: torch.Tensor | None
    nsp_loss: torch.Tensor | None
    prediction_logits: torch.Tensor          # (batch, seq, vocab), or (num_selected, vocab) with labels
    seq_relationship_logits: torch.Tensor    # (batch, 2): 0 = B follows A, 1 = B is random
    mlm_labels: torch.Tensor | None = None   # (num_selected,) original ids, rows of prediction_logits
    attentions: tuple[torch.Tensor, ...] | None = None
    last_hidden_state: torch.Tensor | None = None


# ----------------------------------------------------------------------------- embeddings

class BertEmbeddings(nn.Module):
    """token embedding + position embedding + segment (token type) embedding, then LayerNorm."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.word_embeddings = nn.Embedding(config.vocab_size, config.hidden_size, padding_idx=config.pad_token_id)
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, config.hidden_size)
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, input_ids: torch.Tensor, token_type_ids: torch.Tensor | None) -> torch.Tensor:
        seq_len = input_ids.shape[1]
        x = self.word_embeddings(input_ids)
        if token_type_ids is None:           # everything is segment A
            x = x + self.token_type_embeddings.weight[0]
        else:
            x = x + self.token_type_embeddings(token_type_ids)
        x = x + self.position_embeddings.weight[:seq_len]   # positions 0..seq_len-1, broadcast over batch
        return self.dropout(self.LayerNorm(x))


# ----------------------------------------------------------------------------- attention

@dataclass
class AttentionSetup:
    """What every attention layer needs to know, built once per forward pass."""

    mask: torch.Tensor | None      # additive mask (batch, 1, 1 or seq, seq), or None: attend everywhere
    is_causal: bool                # also hide later positions (see BertConfig.is_causal)
    output_attentions: bool        # return the attention weights (explicit softmax path)
    batch: int
    seq_len: int
    real_rows: torch.Tensor | None = None   # flat indices of real tokens when padding is skipped

    # Skipping padding: the per-token layers (projections, feed-forward, LayerNorm) see only the
    # rows of real tokens, (num_real, hidden). Attention needs the (batch, seq) grid, so it
    # scatters its input onto the grid (zeros at padding, masked out anyway) and gathers back.
    def to_grid(self, rows: torch.Tensor) -> torch.Tensor:
        if self.real_rows is None:
            return rows
        grid = rows.new_zeros(self.batch * self.seq_len, rows.shape[-1]).index_copy(0, self.real_rows, rows)
        return grid.view(self.batch, self.seq_len, -1)

    def to_rows(self, grid: torch.Tensor) -> torch.Tensor:
        if self.real_rows is None:
            return grid
        return grid.reshape(-1, grid.shape[-1]).index_select(0, self.real_rows)


class BertSelfAttention(nn.Module):
    """Multi-head scaled dot-product attention: softmax(q kᵀ / √d + mask) v, per head."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.num_heads = config.num_attention_heads
        self.head_size = config.head_size
        self.query = nn.Linear(config.hidden_size, config.hidden_size)
        self.key = nn.Linear(config.hidden_size, config.hidden_size)
        self.value = nn.Linear(config.hidden_size, config.hidden_size)
        self.dropout = nn.Dropout(config.attention_probs_dropout_prob)

    def forward(self, x: torch.Tensor, setup: AttentionSetup) -> tuple[torch.Tensor, torch.Tensor | None]:
        batch, seq_len, hidden = setup.batch, setup.seq_len, x.shape[-1]

        def split_heads(t: torch.Tensor) -> torch.Tensor:    # → (batch, heads, seq, head_size)
            return setup.to_grid(t).view(batch, seq_len, self.num_heads, self.head_size).transpose(1, 2)

        # (Fusing q, k, v into one matmul was measured: no gain at the course's sizes on CPU.)
        q, k, v = split_heads(self.query(x)), split_heads(self.key(x)), split_heads(self.value(x))

        mask = setup.mask
        if setup.output_attentions:
            # The explicit path, step by step, so the attention weights can be returned.
            scores = q @ k.transpose(-2, -1) / math.sqrt(self.head_size)
            if mask is not None:
                scores = scores + mask
            elif setup.is_causal:
                scores = scores + causal_mask(seq_len, x.dtype, x.device)
            weights = scores.softmax(dim=-1)                      # each row sums to 1
            context = self.dropout(weights) @ v
        else:
            # Fused kernel: the same maths without materialising the (seq, seq) weights.
            weights = None
            context = F.scaled_dot_product_attention(
                q, k, v, attn_mask=mask, is_causal=setup.is_causal and mask is None,
                dropout_p=self.dropout.p if self.training else 0.0)
        context = context.transpose(1, 2).reshape(batch, seq_len, hidden)   # heads side by side
        return setup.to_rows(context), weights


class BertSelfOutput(nn.Module):
    """Project the attention result back, then residual + LayerNorm."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, context: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.dropout(self.dense(context)) + residual)


class BertAttention(nn.Module):
    def __init__(self, config: BertConfig):
        super().__init__()
        self.self = BertSelfAttention(config)
        self.output = BertSelfOutput(config)

    def forward(self, x: torch.Tensor, setup: AttentionSetup):
        context, weights = self.self(x, setup)
        return self.output(context, x), weights


# ----------------------------------------------------------------------------- feed-forward

class BertIntermediate(nn.Module):
    """Widen to intermediate_size and apply the non-linearity."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.intermediate_size)
        self.act = ACTIVATIONS[config.hidden_act]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.dense(x))


class BertOutput(nn.Module):
    """Narrow back to hidden_size, then residual + LayerNorm."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.dense = nn.Linear(config.intermediate_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, h: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.dropout(self.dense(h)) + residual)


class BertLayer(nn.Module):
    """One encoder block: attention sub-layer, then feed-forward sub-layer."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.attention = BertAttention(config)
        self.intermediate = BertIntermediate(config)
        self.output = BertOutput(config)

    def forward(self, x: torch.Tensor, setup: AttentionSetup):
        a, weights = self.attention(x, setup)
        return self.output(self.intermediate(a), a), weights


class BertEncoder(nn.Module):
    def __init__(self, config: BertConfig):
        super().__init__()
        self.layer = nn.ModuleList(BertLayer(config) for _ in range(config.num_hidden_layers))


class BertPooler(nn.Module):
    """The [CLS] row through dense + tanh: the sentence-level summary the NSP head reads."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.dense(hidden[:, 0]))


# ----------------------------------------------------------------------------- masks

def causal_mask(seq_len: int, dtype: torch.dtype, device: torch.device | str | None = None) -> torch.Tensor:
    """(seq, seq) additive mask: 0 where key j <= query i, a huge negative number above the diagonal."""
    allowed = torch.ones(seq_len, seq_len, dtype=torch.bool, device=device).tril()
    return additive_mask(allowed, dtype)


def additive_mask(allowed: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """True/False "may attend" → 0 / most negative float, added to the scores before softmax.

    The most negative finite float (not -inf) keeps a row finite even if it had no allowed key;
    after softmax a blocked key gets exactly zero weight.
    """
    zero = torch.zeros((), dtype=dtype, device=allowed.device)
    return torch.where(allowed, zero, torch.finfo(dtype).min)


def build_attention_mask(attention_mask: torch.Tensor | None, is_causal: bool, dtype: torch.dtype,
                         ) -> torch.Tensor | None:
    """Once per forward: (batch, seq) 1/0 padding mask → additive mask every layer adds to its scores.

    Shape (batch, 1, 1, seq) (the same for every head and every query), or (batch, 1, seq, seq)
    when the causal mask is combined with padding. ``None`` means "no mask needed": no padding,
    and for a causal model the attention kernel's own ``is_causal`` flag does the rest.
    """
    if attention_mask is None or bool(attention_mask.all()):
        return None
    allowed = attention_mask.bool()[:, None, None, :]            # keys that are real tokens
    if is_causal:
        seq_len = attention_mask.shape[1]
        allowed = allowed & torch.ones(seq_len, seq_len, dtype=torch.bool, device=allowed.device).tril()
    return additive_mask(allowed, dtype)


# ----------------------------------------------------------------------------- models

class BertPreTrainedModel(nn.Module):
    """Shared weight initialisation (the same scheme as Hugging Face and Google)."""

    def _init_weights(self, module: nn.Module) -> None:
        std = self.config.initializer_range
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=std)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=std)
            if module.padding_idx is not None:
                with torch.no_grad():
                    module.weight[module.padding_idx].zero_()
        elif isinstance(module, nn.LayerNorm):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)


class BertModel(BertPreTrainedModel):
    """The encoder: embeddings → N post-LN blocks → (last_hidden_state, pooler_output).

    Fine-tuning heads take this module and read ``last_hidden_state`` (per-token tasks) or
    ``pooler_output`` / the [CLS] row (whole-input tasks). ``add_pooling_layer=False`` leaves the
    pooler out (``pooler`` is None, and so is ``pooler_output``), as in ``transformers``: the
    per-token heads never read it.
    """

    def __init__(self, config: BertConfig, add_pooling_layer: bool = True):
        super().__init__()
        if not isinstance(config, BertConfig):
            raise ValueError(f"config={show(config)} is not allowed: it must be a helpers.modeling.bert.BertConfig.")
        if not isinstance(add_pooling_layer, bool):
            raise ValueError(f"add_pooling_layer={show(add_pooling_layer)} is not allowed: it must be True or False.")
        self.config = config
        self.embeddings = BertEmbeddings(config)
        self.encoder = BertEncoder(config)
        self.pooler = BertPooler(config) if add_pooling_layer else None
        self.apply(self._init_weights)

    def forward(self, input_ids: torch.Tensor, token_type_ids: torch.Tensor | None = None,
                attention_mask: torch.Tensor | None = None, output_attentions: bool = False,
                skip_padding: bool = False, *, _checked: bool = False) -> BertModelOutput:
        """Encode a batch. ``skip_padding=True`` runs the per-token layers on real tokens only
        (faster when the batch has padding); the outputs at padding positions are then zeros
        instead of the (meaningless) numbers a padded position would otherwise get."""
        if not _checked:
            check_inputs(self.config, input_ids, token_type_ids, attention_mask)
        x = self.embeddings(input_ids, token_type_ids)          # word + position + segment
        setup = self.attention_setup(x, attention_mask, output_attentions, skip_padding)
        x = setup.to_rows(x)
        attentions = []
        for layer in self.encoder.layer:                        # N × (attention, feed-forward)
            x, weights = layer(x, setup)
            attentions.append(weights)
        x = setup.to_grid(x)                                    # last_hidden_state
        pooled = self.pooler(x) if self.pooler is not None else None   # [CLS] row → dense → tanh
        return BertModelOutput(last_hidden_state=x, pooler_output=pooled,
                               attentions=tuple(attentions) if output_attentions else None)

    def attention_setup(self, x: torch.Tensor, attention_mask: torch.Tensor | None, output_attentions: bool,
                        skip_padding: bool) -> AttentionSetup:
        """The mask every layer adds, and (``skip_padding``) the rows of real tokens."""
        batch, seq_len = x.shape[:2]
        setup = AttentionSetup(mask=build_attention_mask(attention_mask, self.config.is_causal, x.dtype),
                               is_causal=self.config.is_causal, output_attentions=output_attentions,
                               batch=batch, seq_len=seq_len)
        # Skip padding only if position 0 (the [CLS] row the pooler reads) is real in every row.
        if skip_padding and setup.mask is not None and bool(attention_mask[:, 0].all()):
            setup.real_rows = attention_mask.reshape(-1).nonzero().squeeze(1)
        return setup


class BertPredictionHeadTransform(nn.Module):
    def __init__(self, config: BertConfig):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.act = ACTIVATIONS[config.hidden_act]
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.act(self.dense(h)))


class BertLMPredictionHead(nn.Module):
    """hidden → transform → scores over the vocabulary.

    The decoder's weight is the word-embedding matrix (tied in ``BertForPreTraining``) and its
    bias is ``self.bias``: the same tensor appears under both names, as in Hugging Face.
    """

    def __init__(self, config: BertConfig):
        super().__init__()
        self.transform = BertPredictionHeadTransform(config)
        self.decoder = nn.Linear(config.hidden_size, config.vocab_size, bias=False)
        self.bias = nn.Parameter(torch.zeros(config.vocab_size))
        self.decoder.bias = self.bias

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.transform(h))


class BertPreTrainingHeads(nn.Module):
    def __init__(self, config: BertConfig):
        super().__init__()
        self.predictions = BertLMPredictionHead(config)   # MLM: one score per vocabulary token
        self.seq_relationship = nn.Linear(config.hidden_size, 2)   # NSP: IsNext / NotNext


class BertForPreTraining(BertPreTrainedModel):
    """BERT with its two pre-training heads: masked LM and next-sentence prediction.

    ``model.bert`` is the encoder that fine-tuning reuses; ``model.cls`` holds the heads
    that are thrown away after pre-training.
    """

    def __init__(self, config: BertConfig):
        super().__init__()
        if not isinstance(config, BertConfig):
            raise ValueError(f"config={show(config)} is not allowed: it must be a helpers.modeling.bert.BertConfig.")
        self.config = config
        self.bert = BertModel(config)
        self.cls = BertPreTrainingHeads(config)
        self.apply(self._init_weights)
        # Tie the output projection to the input embeddings (BERT does; fewer parameters).
        self.cls.predictions.decoder.weight = self.bert.embeddings.word_embeddings.weight

    def forward(self, input_ids: torch.Tensor, token_type_ids: torch.Tensor | None = None,
                attention_mask: torch.Tensor | None = None, labels: torch.Tensor | None = None,
                next_sentence_label: torch.Tensor | None = None,
                output_attentions: bool = False) -> BertForPreTrainingOutput:
        """Run the encoder and both heads; with labels, also the losses.

        * ``labels`` (batch, seq): the original id at selected positions, -100 elsewhere. The MLM
          head then runs only at the selected positions: ``prediction_logits`` is
          (num_selected, vocab) and ``mlm_labels`` holds the matching targets. Without labels
          it runs everywhere: (batch, seq, vocab).
        * ``next_sentence_label`` (batch,): 0 = B follows A, 1 = B is random.
        * ``loss`` = ``mlm_loss`` + ``nsp_loss``, each present only when its labels were given.
        """
        check_inputs(self.config, input_ids, token_type_ids, attention_mask)
        check_pretraining_labels(self.config, input_ids, attention_mask, labels, next_sentence_label)

        # Training (labels given): skip padding rows, nobody reads their outputs.
        out = self.bert(input_ids, token_type_ids, attention_mask, output_attentions,
                        skip_padding=labels is not None, _checked=True)
        hidden = out.last_hidden_state
        seq_relationship_logits = self.cls.seq_relationship(out.pooler_output)   # NSP: 2 logits

        mlm_labels = mlm_loss = nsp_loss = None
        if labels is None:
            prediction_logits = self.cls.predictions(hidden)                      # (batch, seq, vocab)
        else:
            # Gather the selected rows first: the vocabulary matmul then costs num_selected rows
            # instead of batch*seq rows. The loss is identical (unselected rows were ignored anyway).
            selected = (labels != IGNORE_INDEX).reshape(-1).nonzero().squeeze(1)
            mlm_labels = labels.reshape(-1)[selected]
            prediction_logits = self.cls.predictions(hidden.reshape(-1, hidden.shape[-1])[selected])
            if mlm_labels.numel():
                mlm_loss = F.cross_entropy(prediction_logits, mlm_labels)
            else:  # nothing selected: nothing to learn (plain mean would give NaN)
                mlm_loss = prediction_logits.sum() * 0.0
        if next_sentence_label is not None:
            nsp_loss = F.cross_entropy(seq_relationship_logits, next_sentence_label)

        parts = [part for part in (mlm_loss, nsp_loss) if part is not None]
        loss = sum(parts) if parts else None
        return BertForPreTrainingOutput(
            loss=loss, mlm_loss=mlm_loss, nsp_loss=nsp_loss, prediction_logits=prediction_logits,
            seq_relationship_logits=seq_relationship_logits, mlm_labels=mlm_labels,
            attentions=out.attentions, last_hidden_state=hidden)


def count_parameters(model: nn.Module, *, trainable_only: bool = False) -> int:
    """How many numbers the model holds; tied weights count once (``parameters()`` yields each
    shared tensor once). ``trainable_only`` leaves out frozen ones (``requires_grad=False``)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)
