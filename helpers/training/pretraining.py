"""Pre-training: masked language modelling (MLM) and next sentence prediction (NSP), together.

The loop is the one from the BERT paper, shrunk to fit a laptop:

1. cut the corpus into sentence pairs ``[CLS] A [SEP] B [SEP]`` (half with the true next
   sentence, half with a random one: that is the NSP label);
2. for every batch draw a *fresh* MLM corruption (dynamic masking): about 15% of the ordinary
   tokens are selected, and each selected token becomes [MASK] (80%), a random token (10%) or stays
   as it is (10%);
3. the loss is MLM cross-entropy at the selected positions plus NSP cross-entropy on [CLS];
4. AdamW with a linear warm-up followed by a linear decay to zero.

Every so often the model is scored on held-out text (other documents, a fixed masking drawn with
the same seed every time, so the points of a curve are comparable): loss, MLM accuracy at the
selected positions split by what happened to them (masked / random / kept), and NSP accuracy.

This module also saves and loads checkpoints (:func:`save_checkpoint`, :func:`load_checkpoint`) and
fills blanks for demos (:func:`fill_mask`). The command line lives in ``helpers/pretrain.py``.
"""
from __future__ import annotations

import copy
import hashlib
import math
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from helpers.errors import check_choice, check_positive_int, check_probability
from helpers.modeling.bert import count_parameters

# ----------------------------------------------------------------------------------------------
# Presets
#
# A preset is a plain dict of the arguments of `pretrain`. Numbers were calibrated by *steps* on a
# 2-core CPU (see checkpoints/README.md for the measured seconds). Dropout is off in both presets:
# at this size it costs about a third of the step time, and with a corpus this regular and runs
# this short the model under-fits rather than over-fits, so dropout buys nothing.

_SMALL_MODEL = dict(hidden_size=128, num_hidden_layers=2, num_attention_heads=2, intermediate_size=512,
                    hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, max_position_embeddings=64)

PRESETS: dict[str, dict[str, Any]] = {
    # For tests: a few seconds.
    "tiny": dict(
        model=dict(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64,
                   hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, max_position_embeddings=64),
        vocab_size=600, num_documents=300, steps=30, batch_size=16, max_length=48,
        learning_rate=2e-3, warmup_steps=5, eval_every=10, eval_size=64,
    ),
    # Trained live in the pre-training notebook: <= 90 s on 2 cores, MLM >= 60%, NSP >= 70%. Pairs of
    # up to 48 tokens: in the same time, 2,000 short steps learn more than 1,500 steps of 64 tokens
    # (measured on the storybook: MLM 0.665 / NSP 0.727 in 72 s, against 0.484 / 0.738 in 71 s).
    "live": dict(
        model=_SMALL_MODEL, vocab_size=3000, num_documents=6000, steps=2000, batch_size=32,
        max_length=48, learning_rate=2e-3, warmup_steps=100, eval_every=250, eval_size=256,
    ),
    # Makes checkpoints/course.pt: <= 15 min on 2 cores, MLM >= 70%, NSP >= 85%. Some pairs are
    # cut short (short_seq_prob, as in BERT) so the model also sees inputs as short as fine-tuning's.
    "course": dict(
        model=dict(_SMALL_MODEL, num_hidden_layers=4, num_attention_heads=4),
        vocab_size=3000, num_documents=20000, steps=7000, batch_size=32, max_length=64, short_seq_prob=0.1,
        learning_rate=2e-3, warmup_steps=300, eval_every=250, eval_size=512,
    ),
}

# Everything else `pretrain` accepts, with its default when no preset supplies it.
_DEFAULTS: dict[str, Any] = dict(
    model={}, vocab_size=1000, num_documents=2000, steps=300, batch_size=32, max_length=64,
    learning_rate=1e-3, warmup_steps=None, weight_decay=0.01, eval_every=100, eval_size=256,
    min_freq=2, short_seq_prob=0.0,
)

EVAL_MASKING_SEED = 1234      # the held-out set is masked with this seed, every evaluation, every run
HELD_OUT_SEED_OFFSET = 10_000  # held-out documents come from the generator with seed + this offset


# ----------------------------------------------------------------------------------------------
# Small utilities


def _out(output: Any, name: str) -> Any:
    """Read a field of the model's output whether it is a dict or an object with attributes."""
    if isinstance(output, dict):
        return output.get(name)
    return getattr(output, name, None)


def _dist_info() -> tuple[int, int]:
    """(rank, world size); (0, 1) when not running under torch.distributed."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    return 0, 1


def pick_device(device: str | torch.device | None = None) -> torch.device:
    """The device to train on: the one asked for, else the GPU of this rank if there is one, else CPU."""
    if device is not None:
        return torch.device(device)
    if torch.cuda.is_available():
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
    return torch.device("cpu")


def corpus_hash(documents: list[list[str]]) -> str:
    """A SHA-256 of the documents' text: a checkpoint records it, so a changed corpus is detectable."""
    h = hashlib.sha256()
    for document in documents:
        for sentence in document:
            h.update(sentence.encode() + b"\n")
        h.update(b"\n")
    return h.hexdigest()


def lr_lambda(step: int, *, warmup_steps: int, total_steps: int) -> float:
    """Learning-rate multiplier: linear warm-up from 0 to 1, then linear decay to 0 (as in BERT).

    Warm-up matters here: with the full rate from step 0, Adam's first updates are large and noisy
    and the MLM head settles on "always predict the most frequent token" for longer.
    """
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    return max(0.0, (total_steps - step) / max(1, total_steps - warmup_steps))


# ----------------------------------------------------------------------------------------------
# Data


def default_documents(num_documents: int, seed: int) -> list[list[str]]:
    """The course's storybook corpus (documents of on-topic sentences)."""
    from helpers.text.corpus import make_storybook

    return make_storybook(num_documents=num_documents, seed=seed)


def build_tokenizer(documents: list[list[str]], vocab_size: int, min_freq: int = 2):
    """A WordPiece vocabulary learnt from the training documents' sentences."""
    from helpers.text.tokenizer import WordPieceTokenizer

    texts = [sentence for document in documents for sentence in document]
    return WordPieceTokenizer.from_corpus(texts, vocab_size=vocab_size, min_freq=min_freq)


def make_pair_tensors(documents, tokenizer, max_length: int, seed: int,
                      short_seq_prob: float = 0.0) -> dict[str, torch.Tensor]:
    """NSP pairs of the documents, collated into padded LongTensors (one row per pair)."""
    from helpers.objectives.nsp import collate, make_nsp_pairs

    pairs = make_nsp_pairs(documents, tokenizer=tokenizer, max_length=max_length, seed=seed,
                           short_seq_prob=short_seq_prob, progress=False)
    batch = collate(pairs)
    return {k: v for k, v in batch.items() if isinstance(v, torch.Tensor)}


def _take(data: dict[str, torch.Tensor], index: torch.Tensor, device: torch.device) -> dict[str, torch.Tensor]:
    """Rows ``index`` of every tensor, trimmed to the longest real sequence among them (less padding = less work)."""
    rows = {k: v[index] for k, v in data.items()}
    length = int(rows["attention_mask"].sum(dim=1).max())
    return {k: (v[:, :length] if v.dim() == 2 else v).to(device) for k, v in rows.items()}


def mask_batch(batch, tokenizer, *, mlm_probability, mask_prob, random_prob, generator):
    """Apply the MLM corruption to a batch (on CPU, where the generator lives)."""
    from helpers.objectives.mlm import mask_tokens

    return mask_tokens(batch["input_ids"].cpu(), batch["special_tokens_mask"].cpu(),
                       vocab_size=tokenizer.vocab_size, mask_token_id=tokenizer.mask_token_id,
                       mlm_probability=mlm_probability, mask_prob=mask_prob, random_prob=random_prob,
                       generator=generator)


# ----------------------------------------------------------------------------------------------
# Evaluation


@dataclass
class HeldOutSet:
    """A held-out set with its masking fixed once, so every evaluation sees the same problem."""

    input_ids: torch.Tensor        # corrupted inputs
    original_ids: torch.Tensor
    labels: torch.Tensor           # original id at selected positions, -100 elsewhere
    operations: torch.Tensor       # helpers.objectives.mlm.NOT_SELECTED / MASKED / RANDOMISED / KEPT
    token_type_ids: torch.Tensor
    attention_mask: torch.Tensor
    next_sentence_label: torch.Tensor


def make_held_out_set(documents, tokenizer, *, max_length=64, size=256, seed=0,
                      mlm_probability=0.15, mask_prob=0.8, random_prob=0.1) -> HeldOutSet:
    """Pairs from ``documents`` (keep them apart from the training text), masked with a fixed seed.

    The held-out masking always uses the same ``seed``; by default it uses the standard 80/10/10
    mix even when the model was trained another way, so the per-operation accuracies exist for
    every model and can be compared.
    """
    data = make_pair_tensors(documents, tokenizer, max_length, seed)
    n = min(size, data["input_ids"].shape[0])
    data = _take(data, torch.arange(n), torch.device("cpu"))
    generator = torch.Generator().manual_seed(EVAL_MASKING_SEED + seed)
    masked = mask_batch(data, tokenizer, mlm_probability=mlm_probability, mask_prob=mask_prob,
                        random_prob=random_prob, generator=generator)
    return HeldOutSet(masked.input_ids, data["input_ids"], masked.labels, masked.operations,
                      data["token_type_ids"], data["attention_mask"], data["next_sentence_label"])


@torch.no_grad()
def evaluate(model, held_out: HeldOutSet, *, batch_size: int = 64) -> dict[str, float]:
    """Loss and accuracies of ``model`` on a held-out set.

    Returns ``mlm_loss``, ``nsp_loss``, ``loss`` (their sum), ``mlm_accuracy`` (all selected
    positions), ``mlm_accuracy_masked`` / ``_random`` / ``_kept`` (split by what the corruption
    did), ``nsp_accuracy``, and the position counts.
    """
    from helpers.objectives.mlm import KEPT, MASKED, RANDOMISED

    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    correct = {MASKED: 0, RANDOMISED: 0, KEPT: 0}
    count = {MASKED: 0, RANDOMISED: 0, KEPT: 0}
    mlm_loss_sum, nsp_loss_sum, nsp_correct, n_pairs = 0.0, 0.0, 0, 0
    for start in range(0, held_out.input_ids.shape[0], batch_size):
        sl = slice(start, start + batch_size)
        out = model(held_out.input_ids[sl].to(device), token_type_ids=held_out.token_type_ids[sl].to(device),
                    attention_mask=held_out.attention_mask[sl].to(device))
        logits = _out(out, "prediction_logits").float().cpu()
        labels, ops = held_out.labels[sl], held_out.operations[sl]
        selected = labels != -100
        mlm_loss_sum += F.cross_entropy(logits[selected], labels[selected], reduction="sum").item()
        hits = logits.argmax(-1) == labels
        for op in correct:
            where = selected & (ops == op)
            correct[op] += int(hits[where].sum())
            count[op] += int(where.sum())
        nsp_logits = _out(out, "seq_relationship_logits").float().cpu()
        nsp_labels = held_out.next_sentence_label[sl]
        nsp_loss_sum += F.cross_entropy(nsp_logits, nsp_labels, reduction="sum").item()
        nsp_correct += int((nsp_logits.argmax(-1) == nsp_labels).sum())
        n_pairs += nsp_labels.shape[0]
    model.train(was_training)
    n_selected = sum(count.values())
    mlm_loss = mlm_loss_sum / max(1, n_selected)
    nsp_loss = nsp_loss_sum / max(1, n_pairs)
    safe = lambda c, n: c / n if n else float("nan")  # noqa: E731
    return dict(
        loss=mlm_loss + nsp_loss, mlm_loss=mlm_loss, nsp_loss=nsp_loss,
        mlm_accuracy=safe(sum(correct.values()), n_selected),
        mlm_accuracy_masked=safe(correct[MASKED], count[MASKED]),
        mlm_accuracy_random=safe(correct[RANDOMISED], count[RANDOMISED]),
        mlm_accuracy_kept=safe(correct[KEPT], count[KEPT]),
        nsp_accuracy=safe(nsp_correct, n_pairs),
        num_selected=n_selected, num_masked=count[MASKED], num_random=count[RANDOMISED],
        num_kept=count[KEPT], num_pairs=n_pairs,
    )


# ----------------------------------------------------------------------------------------------
# Training


@dataclass
class PretrainResult:
    """What :func:`pretrain` returns.

    ``history["train"]`` has one entry per step (``step``, ``loss``, ``mlm_loss``, ``nsp_loss``,
    ``lr``); ``history["eval"]`` one entry per evaluation (``step``, ``seconds`` and everything
    :func:`evaluate` returns). Both are dicts of equal-length lists, ready to plot.
    """

    model: torch.nn.Module
    tokenizer: Any
    history: dict[str, dict[str, list]]
    settings: dict[str, Any]
    steps: int = 0
    seconds: float = 0.0           # wall clock of the loop, evaluations included
    eval_seconds: float = 0.0      # of which spent on held-out evaluation
    tokens_seen: int = 0           # real (non-padding) tokens, all ranks
    positions_processed: int = 0   # positions the model computed (padding included), all ranks
    selected_seen: int = 0         # MLM-selected positions, all ranks
    final: dict[str, float] = field(default_factory=dict)
    held_out: HeldOutSet | None = None  # the fixed held-out set the curves were measured on

    def metadata(self) -> dict[str, Any]:
        """Plain-type facts about the run, for the checkpoint."""
        return dict(settings=copy.deepcopy(self.settings), steps=self.steps, seconds=round(self.seconds, 2),
                    train_seconds=round(self.seconds - self.eval_seconds, 2),
                    tokens_seen=self.tokens_seen, positions_processed=self.positions_processed,
                    selected_seen=self.selected_seen,
                    metrics={k: float(v) for k, v in self.final.items()},
                    num_parameters=count_parameters(self.model))


def resolve_settings(preset: str | None, **overrides) -> dict[str, Any]:
    """The preset's settings, with every override that is not None applied on top."""
    if preset is not None:
        check_choice("preset", preset, list(PRESETS))
    settings = copy.deepcopy(_DEFAULTS)
    settings.update(copy.deepcopy(PRESETS[preset]) if preset else {})
    for key, value in overrides.items():
        if value is None:
            continue
        if key == "model":
            settings["model"] = {**settings["model"], **value}
        else:
            settings[key] = value
    settings["preset"] = preset
    if settings.get("warmup_steps") is None:
        settings["warmup_steps"] = max(1, settings["steps"] // 10)
    return settings


def pretrain(
    documents: list[list[str]] | None = None,
    *,
    preset: str | None = "live",
    tokenizer=None,
    model=None,
    model_config: dict | None = None,
    steps: int | None = None,
    time_budget: float | None = None,
    batch_size: int | None = None,
    max_length: int | None = None,
    learning_rate: float | None = None,
    warmup_steps: int | None = None,
    weight_decay: float | None = None,
    mlm: bool = True,
    nsp: bool = True,
    mlm_probability: float = 0.15,
    short_seq_prob: float | None = None,
    mask_prob: float = 0.8,
    random_prob: float = 0.1,
    eval_documents: list[list[str]] | None = None,
    eval_every: int | None = None,
    eval_size: int | None = None,
    num_documents: int | None = None,
    vocab_size: int | None = None,
    seed: int = 0,
    device: str | torch.device | None = None,
    progress: bool = True,
) -> PretrainResult:
    """Pre-train a small BERT with MLM and NSP; return the model, tokenizer and training history.

    Start from a ``preset`` ("tiny", "live", "course"; see ``PRESETS``) and override any setting by
    passing it. The switches of the lesson's experiments are one argument each:

    - ``mask_prob=1.0, random_prob=0.0``: selected tokens always become [MASK] (no 10/10);
    - ``nsp=False``: MLM only (RoBERTa's choice); ``mlm=False``: NSP only.

    ``documents`` defaults to the storybook corpus (``num_documents`` of them, from ``seed``);
    ``eval_documents`` defaults to other storybook documents (seed + 10000) that training never
    sees. ``tokenizer`` is built from the training documents if not given (``vocab_size``); a
    ``model`` may be passed to continue training it. ``steps`` is the budget; ``time_budget``
    (seconds) optionally stops earlier. The same ``seed`` gives the same vocabulary, pairs, masks,
    initial weights and hence the same loss curve.

    Pairs are cut BERT's way (``helpers.objectives.nsp.make_nsp_pairs``): segments of whole sentences filling
    ``max_length``, a fraction ``short_seq_prob`` of them cut shorter; every pass over the corpus
    cuts fresh pairs (new random B segments). Masking is dynamic: a new draw for every batch.

    Under ``torchrun`` (torch.distributed initialised), the model is wrapped in
    DistributedDataParallel: each rank draws its own batches and masks (seed + rank) from the same
    pairs, ``batch_size`` is per rank, and only rank 0 evaluates and shows the progress bar.
    """
    from helpers.modeling.bert import BertConfig, BertForPreTraining

    if not (mlm or nsp):
        raise ValueError("mlm=False and nsp=False is not allowed: at least one objective must be on.")
    check_probability("mlm_probability", mlm_probability)
    check_probability("mask_prob", mask_prob, allow_zero=True)
    check_probability("random_prob", random_prob, allow_zero=True)
    if mask_prob + random_prob > 1 + 1e-9:
        raise ValueError(f"mask_prob + random_prob = {mask_prob + random_prob!r} is not allowed: "
                         "it must be <= 1 (the rest of the selected tokens are kept).")
    if time_budget is not None and not (isinstance(time_budget, (int, float)) and time_budget > 0):
        raise ValueError(f"time_budget={time_budget!r} is not allowed: it must be a positive number of seconds or None.")
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ValueError(f"seed={seed!r} is not allowed: it must be an integer.")

    s = resolve_settings(preset, model=model_config, steps=steps, batch_size=batch_size, max_length=max_length,
                         learning_rate=learning_rate, warmup_steps=warmup_steps, weight_decay=weight_decay,
                         eval_every=eval_every, eval_size=eval_size, num_documents=num_documents,
                         vocab_size=vocab_size, short_seq_prob=short_seq_prob)
    for name in ("steps", "batch_size", "max_length", "eval_every", "eval_size", "num_documents", "vocab_size"):
        check_positive_int(name, s[name])
    s.update(mlm=mlm, nsp=nsp, mlm_probability=mlm_probability, mask_prob=mask_prob, random_prob=random_prob,
             seed=seed, time_budget=time_budget)

    rank, world_size = _dist_info()
    device = pick_device(device)
    is_main = rank == 0

    # --- data: same documents, vocabulary and pairs on every rank (everything is seeded)
    if documents is None:
        documents = default_documents(s["num_documents"], seed)
        s["corpus"] = s.get("corpus", "storybook")
    if eval_documents is None:
        eval_documents = default_documents(max(50, s["eval_size"]), seed + HELD_OUT_SEED_OFFSET)
    if tokenizer is None:
        tokenizer = build_tokenizer(documents, s["vocab_size"], s.get("min_freq", 2))
    s["vocab_size"] = tokenizer.vocab_size
    # Each pass over the corpus (epoch) cuts fresh pairs, with new random B segments for NSP:
    # like BERT's "dupe factor", but computed on the fly.
    epoch = 0
    data = make_pair_tensors(documents, tokenizer, s["max_length"], seed, s["short_seq_prob"])
    num_pairs = data["input_ids"].shape[0]
    held_out = make_held_out_set(eval_documents, tokenizer, max_length=s["max_length"], size=s["eval_size"],
                                 seed=seed) if is_main else None

    # --- model: the same initial weights on every rank (DDP also broadcasts rank 0's)
    if model is None:
        torch.manual_seed(seed)
        config = BertConfig(**{"vocab_size": tokenizer.vocab_size, **s["model"]})
        model = BertForPreTraining(config)
    elif model.config.vocab_size != tokenizer.vocab_size:
        raise ValueError(f"model has vocab_size={model.config.vocab_size} but the tokenizer has "
                         f"{tokenizer.vocab_size} tokens: they must match.")
    s["model"] = {k: v for k, v in model.config.to_dict().items()}
    model.to(device).train()
    trained = model
    if world_size > 1:
        ddp_args = dict(device_ids=[device.index]) if device.type == "cuda" else {}
        # Heads that get no loss (NSP off, or MLM off) have no gradients: DDP must be told.
        trained = torch.nn.parallel.DistributedDataParallel(model, find_unused_parameters=not (mlm and nsp),
                                                            **ddp_args)

    # --- optimiser: AdamW, no weight decay on biases and LayerNorm weights (as in BERT)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": s["weight_decay"]},
                                   {"params": no_decay, "weight_decay": 0.0}], lr=s["learning_rate"])
    total = s["steps"]
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: lr_lambda(step, warmup_steps=s["warmup_steps"], total_steps=total))

    # Batches and masks come from one generator per rank: the same seed gives the same run.
    generator = torch.Generator().manual_seed(seed * 1_000_003 + rank)
    order, cursor = torch.randperm(num_pairs, generator=generator), 0

    history: dict[str, dict[str, list]] = {
        "train": {"step": [], "loss": [], "mlm_loss": [], "nsp_loss": [], "lr": []},
        "eval": {"step": [], "seconds": []},
    }

    eval_seconds = 0.0

    def record_eval(step: int, seconds: float) -> dict[str, float]:
        nonlocal eval_seconds
        t0 = time.perf_counter()
        metrics = evaluate(model, held_out)
        eval_seconds += time.perf_counter() - t0
        history["eval"]["step"].append(step)
        history["eval"]["seconds"].append(round(seconds, 3))
        for key, value in metrics.items():
            history["eval"].setdefault(key, []).append(value)
        return metrics

    from helpers.progress_bars import tqdm

    bar = tqdm(total=total, desc=f"pre-training ({s.get('preset') or 'custom'})", disable=not (progress and is_main),
               leave=True)
    start, step, tokens_seen, positions, selected_seen = time.perf_counter(), 0, 0, 0, 0
    metrics: dict[str, float] = {}
    if is_main:
        metrics = record_eval(0, 0.0)
    while step < total:
        # time budget: every rank must stop at the same step, so rank 0's clock decides
        if time_budget is not None:
            stop = torch.tensor([float(time.perf_counter() - start >= time_budget)], device=device)
            if world_size > 1:
                torch.distributed.broadcast(stop, src=0)
            if stop.item():
                break
        if cursor + s["batch_size"] > num_pairs:  # new epoch: new pairs, new order
            epoch += 1
            data = make_pair_tensors(documents, tokenizer, s["max_length"], seed + epoch, s["short_seq_prob"])
            num_pairs = data["input_ids"].shape[0]
            order, cursor = torch.randperm(num_pairs, generator=generator), 0
        index = order[cursor:cursor + s["batch_size"]]
        cursor += s["batch_size"]
        batch = _take(data, index, torch.device("cpu"))
        masked = mask_batch(batch, tokenizer, mlm_probability=mlm_probability, mask_prob=mask_prob,
                            random_prob=random_prob, generator=generator)
        out = trained(
            (masked.input_ids if mlm else batch["input_ids"]).to(device),
            token_type_ids=batch["token_type_ids"].to(device),
            attention_mask=batch["attention_mask"].to(device),
            labels=masked.labels.to(device) if mlm else None,
            next_sentence_label=batch["next_sentence_label"].to(device) if nsp else None,
        )
        loss = _out(out, "loss")
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        step += 1
        tokens_seen += int(batch["attention_mask"].sum()) * world_size
        positions += batch["input_ids"].numel() * world_size
        selected_seen += int((masked.labels != -100).sum()) * world_size

        train = history["train"]
        train["step"].append(step)
        train["loss"].append(loss.item())
        for part in ("mlm_loss", "nsp_loss"):
            value = _out(out, part)
            train[part].append(value.item() if value is not None else float("nan"))
        train["lr"].append(scheduler.get_last_lr()[0])
        if is_main and (step % s["eval_every"] == 0 or step == total):
            metrics = record_eval(step, time.perf_counter() - start)
            bar.set_postfix(mlm=f"{metrics['mlm_accuracy']:.2f}", nsp=f"{metrics['nsp_accuracy']:.2f}")
        bar.update(1)
    if is_main and history["eval"]["step"][-1] != step:
        metrics = record_eval(step, time.perf_counter() - start)
    bar.close()
    seconds = time.perf_counter() - start
    model.eval()
    s["num_pairs"] = num_pairs
    s["epochs"] = epoch + cursor / num_pairs
    s["world_size"] = world_size
    return PretrainResult(model=model, tokenizer=tokenizer, history=history, settings=s, steps=step,
                          seconds=seconds, eval_seconds=eval_seconds, tokens_seen=tokens_seen, positions_processed=positions,
                          selected_seen=selected_seen, final=metrics, held_out=held_out)


