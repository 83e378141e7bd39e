"""What training costs: model FLOPs of a run, and the course's pre-training next to one fine-tuning run.

The lessons' claim that "the cost of training BERT" means pre-training, measured on our own runs:
:func:`training_flops` counts the matrix multiplies of training on a number of tokens, and
:func:`pretraining_cost` puts the course checkpoint's recorded seconds and FLOPs next to those of one
``finetune`` run.
"""
from __future__ import annotations

from typing import Any

from helpers.modeling.checkpoints import course_checkpoint_path, load_checkpoint


def training_flops(config, num_tokens: int, *, seq_len: int, num_selected: int = 0, num_sequences: int = 0,
                   num_labels: int = 0, freeze_encoder: bool = False) -> int:
    """Model FLOPs of training (forward + backward) on ``num_tokens`` tokens.

    Counted per matrix multiply (a multiply-add = 2 FLOPs), per token and layer, with
    H = hidden_size, I = intermediate_size, T = ``seq_len`` (the attention span):

    - Q, K, V and output projections: 2 * 4 * H * H
    - feed-forward: 2 * 2 * H * I
    - attention scores and the weighted sum of values: 2 * 2 * T * H

    plus the heads: the MLM head (dense H*H, then the vocabulary decoder H*V) on ``num_selected``
    positions only; the pooler (H*H) and a classifier with ``num_labels`` outputs once per
    sequence (``num_sequences``; NSP is ``num_labels=2``). Embedding look-ups, LayerNorm, softmax
    and GELU are left out (a few percent at this size).

    Backward costs about twice the forward, so training = 3 x forward — the source of the familiar
    "6 x parameters x tokens". With ``freeze_encoder=True`` (fine-tuning only the head) the encoder
    needs its forward pass only: 1 x encoder + 3 x head.
    """
    cfg = config.to_dict() if hasattr(config, "to_dict") else dict(config)
    H, I, L, V = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"], cfg["vocab_size"]
    per_token_layer = 2 * 4 * H * H + 2 * 2 * H * I + 2 * 2 * seq_len * H
    encoder = num_tokens * L * per_token_layer
    mlm_head = num_selected * 2 * (H * H + H * V)
    sequence_heads = num_sequences * 2 * (H * H + H * num_labels) if num_labels else 0
    heads = mlm_head + sequence_heads
    return int((1 if freeze_encoder else 3) * encoder + 3 * heads)


def pretraining_cost(checkpoint=None, finetune_result: Any = None, *,
                     finetune_tokens: int | None = None, finetune_num_labels: int = 3) -> dict[str, Any]:
    """Seconds and model FLOPs of the course pre-training (read from the checkpoint's metadata)
    next to one fine-tuning run (``finetune_result``: what ``helpers.training.finetuning.finetune`` returns;
    its ``seconds``, ``steps`` and ``settings`` are read).

    FLOPs count every position the model computed, padding included (that is the work done). For
    fine-tuning, unless ``finetune_tokens`` is given, the positions are estimated as
    steps x batch_size x max_length, an upper bound (batches are padded to their longest example,
    which may be shorter). The head is counted as a ``finetune_num_labels``-way classifier per
    sequence; any head is tiny next to the encoder, so the task barely changes the number.

    Returns ``{"pretraining": {...}, "finetuning": {...}, "ratio_seconds", "ratio_flops"}``.
    """
    ckpt = load_checkpoint(checkpoint or course_checkpoint_path())
    meta = ckpt.metadata
    settings = meta.get("settings", {})
    pairs = meta["steps"] * settings.get("batch_size", 32) * settings.get("world_size", 1)
    positions = meta.get("positions_processed", meta["tokens_seen"])
    pre = {
        "seconds": meta.get("train_seconds", meta["seconds"]), "steps": meta["steps"], "tokens": meta["tokens_seen"], "positions": positions,
        "flops": training_flops(ckpt.config, positions, seq_len=settings.get("max_length", 64),
                                num_selected=meta["selected_seen"], num_sequences=pairs, num_labels=2),
        "parameters": meta.get("num_parameters"),
    }
    result: dict[str, Any] = {"pretraining": pre}
    if finetune_result is not None:
        fs = finetune_result.settings
        sequences = finetune_result.steps * fs["batch_size"]
        positions = finetune_tokens if finetune_tokens is not None else sequences * fs["max_length"]
        fine = {
            "seconds": finetune_result.seconds, "steps": finetune_result.steps, "positions": positions,
            "freeze_encoder": fs["freeze_encoder"],
            "flops": training_flops(ckpt.config, positions, seq_len=fs["max_length"], num_sequences=sequences,
                                    num_labels=finetune_num_labels, freeze_encoder=fs["freeze_encoder"]),
        }
        result["finetuning"] = fine
        result["ratio_flops"] = pre["flops"] / max(1, fine["flops"])
        result["ratio_seconds"] = pre["seconds"] / max(1e-9, fine["seconds"])
    return result
