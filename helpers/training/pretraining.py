"""Pre-training: masked language modelling (MLM) plus a sentence objective (NSP, SOP or none).

What :func:`pretrain` does, step by step (the loop itself is :func:`helpers.training.loop.train`):

1. cut the corpus into segment pairs ``[CLS] A [SEP] B [SEP]``: next-sentence pairs (half with the
   true continuation, half with a random segment of another document), or sentence-order pairs
   (two consecutive segments, half of them swapped); every pass over the corpus cuts fresh pairs;
2. corrupt each batch for MLM as it is drawn: about 15% of the ordinary tokens are selected, and
   each becomes [MASK] (80%), a random token (10%) or stays as it is (10%);
3. the loss is MLM cross-entropy at the selected positions plus the sentence head's cross-entropy
   on [CLS]; AdamW with a linear warm-up, then a linear decay to zero.

Masking here is *dynamic*: a fresh draw every time a pair is used. Original BERT masked
*statically*: Google's ``create_pretraining_data.py`` wrote each sequence out with its masks
already chosen, ``dupe_factor`` = 10 differently-masked copies, and training read those files
for 40 epochs, so each masking was seen about four times. Dynamic masking is RoBERTa's change
(Liu et al., 2019, section 4.1 and Table 1: about as good or slightly better, and no copies to
store). It costs nothing here because our corpus is generated in memory.

Every so often the model is scored on held-out text (other documents, a masking drawn once with a
fixed seed, so the points of a curve are comparable): MLM accuracy split by what the corruption did
to the position (masked / random / kept), and the sentence head's accuracy.
"""
from __future__ import annotations

import dataclasses
import hashlib
import os
from dataclasses import dataclass, field
from typing import Any, Callable

import torch
import torch.nn.functional as F

from helpers.constants import IGNORE_INDEX
from helpers.errors import check_choice, check_device, show
from helpers.modeling.bert import BertForPreTraining, count_parameters
from helpers.objectives.mlm import KEPT, MASKED, RANDOMISED, mask_tokens
from helpers.objectives.nsp import collate, make_nsp_pairs
from helpers.objectives.sop import make_sop_pairs
from helpers.text.corpus import make_storybook
from helpers.text.tokenizer import WordPieceTokenizer
from helpers.training.loop import Evaluation, Schedule, train
# The settings live in helpers.training.configs; importing them from here keeps working.
from helpers.training.configs import MAX_BATCH_SIZE, PRESETS, SENTENCE_OBJECTIVES, PretrainConfig, preset  # noqa: F401

EVAL_MASKING_SEED = 1234      # the held-out set is masked with this seed, every evaluation, every run
HELD_OUT_SEED_OFFSET = 10_000  # held-out documents come from the generator with seed + this offset


# ----------------------------------------------------------------------------------------------
# Data


def pick_device(device: str | torch.device | None = None) -> torch.device:
    """The device to train on: the one asked for, else the GPU of this rank if there is one, else CPU."""
    if device is not None:
        return check_device("device", device)
    if torch.cuda.is_available():
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
    return torch.device("cpu")


def corpus_hash(documents: list[list[str]]) -> str:
    """A SHA-256 of the documents' text: two corpora with the same hash are the same text."""
    h = hashlib.sha256()
    for document in documents:
        for sentence in document:
            h.update(sentence.encode() + b"\n")
        h.update(b"\n")
    return h.hexdigest()


def build_tokenizer(documents: list[list[str]], vocab_size: int, min_freq: int = 2) -> WordPieceTokenizer:
    """A WordPiece vocabulary learnt from the training documents' sentences."""
    texts = [sentence for document in documents for sentence in document]
    return WordPieceTokenizer.from_corpus(texts, vocab_size=vocab_size, min_freq=min_freq)


def cut_pairs(documents, tokenizer, *, max_length: int, seed: int, short_seq_prob: float = 0.0,
              sentence_objective: str = "nsp", sop_start: str = "document",
              token_cache: dict | None = None) -> dict[str, torch.Tensor]:
    """Segment pairs of the documents as padded LongTensors, one row per pair. The pair label is
    under ``sentence_label``: NSP's ``next_sentence_label``, or SOP's ``sentence_order_label``.
    With no sentence objective the pairs are NSP's and their labels go unused. ``token_cache``
    keeps the sentences' token ids from one call to the next (same tokenizer only)."""
    if sentence_objective == "sop":
        pairs = make_sop_pairs(documents, tokenizer=tokenizer, max_length=max_length, seed=seed,
                               short_seq_prob=short_seq_prob, start=sop_start, progress=False,
                               token_cache=token_cache)
        batch = collate(pairs, label_key="sentence_order_label")
        batch["sentence_label"] = batch.pop("sentence_order_label")
    else:
        pairs = make_nsp_pairs(documents, tokenizer=tokenizer, max_length=max_length, seed=seed,
                               short_seq_prob=short_seq_prob, progress=False, token_cache=token_cache)
        batch = collate(pairs)
        batch["sentence_label"] = batch.pop("next_sentence_label")
    return {k: v for k, v in batch.items() if isinstance(v, torch.Tensor)}


def _take(data: dict[str, torch.Tensor], index: torch.Tensor, device: torch.device) -> dict[str, torch.Tensor]:
    """Rows ``index`` of every tensor, trimmed to the longest real sequence among them (less padding = less work)."""
    rows = {k: v[index] for k, v in data.items()}
    length = int(rows["attention_mask"].sum(dim=1).max())
    return {k: (v[:, :length] if v.dim() == 2 else v).to(device) for k, v in rows.items()}



def mask_batch(batch, tokenizer, *, generator: torch.Generator, mlm_probability: float = 0.15,
               mask_prob: float = 0.8, random_prob: float = 0.1):
    """The MLM corruption of a batch (on CPU, where the generator lives): a ``MaskedBatch``."""
    return mask_tokens(batch["input_ids"].cpu(), batch["special_tokens_mask"].cpu(),
                       vocab_size=tokenizer.vocab_size, mask_token_id=tokenizer.mask_token_id,
                       mlm_probability=mlm_probability, mask_prob=mask_prob, random_prob=random_prob,
                       generator=generator)


class PairStream:
    """Batches of pairs, in a seeded random order; each new pass over the corpus cuts new pairs
    (new split points, new random B segments): BERT's ``dupe_factor``, computed on the fly."""

    def __init__(self, documents, tokenizer, config: PretrainConfig, generator: torch.Generator):
        self.documents, self.tokenizer, self.config, self.generator = documents, tokenizer, config, generator
        self.epoch = 0
        self.token_cache: dict[str, list[int]] = {}  # each sentence is tokenized once, not once per pass
        self._cut()

    def _cut(self) -> None:
        c = self.config
        self.data = cut_pairs(self.documents, self.tokenizer, max_length=c.max_length, seed=c.seed + self.epoch,
                              short_seq_prob=c.short_seq_prob, sentence_objective=c.sentence_objective,
                              sop_start=c.sop_start,
                              token_cache=self.token_cache)
        self.num_pairs = self.data["input_ids"].shape[0]
        self.order, self.cursor = torch.randperm(self.num_pairs, generator=self.generator), 0

    def next(self) -> dict[str, torch.Tensor]:
        size = self.config.batch_size
        if self.cursor + size > self.num_pairs:  # a new pass: new pairs, new order
            self.epoch += 1
            self._cut()
        index = self.order[self.cursor:self.cursor + size]
        self.cursor += size
        return _take(self.data, index, torch.device("cpu"))

    @property
    def epochs(self) -> float:
        return self.epoch + self.cursor / self.num_pairs


# ----------------------------------------------------------------------------------------------
# Evaluation


@dataclass
class HeldOutSet:
    """A held-out set with its masking fixed once, so every evaluation sees the same problem."""

    input_ids: torch.Tensor        # corrupted inputs
    original_ids: torch.Tensor
    labels: torch.Tensor           # original id at selected positions, IGNORE_INDEX elsewhere
    operations: torch.Tensor       # helpers.objectives.mlm.NOT_SELECTED / MASKED / RANDOMISED / KEPT
    token_type_ids: torch.Tensor
    attention_mask: torch.Tensor
    sentence_label: torch.Tensor   # the pair label of the set's sentence objective
    sentence_objective: str = "nsp"


def make_held_out_set(documents, tokenizer, *, max_length: int = 64, size: int = 256, seed: int = 0,
                      sentence_objective: str = "nsp", sop_start: str = "document") -> HeldOutSet:
    """Pairs from ``documents`` (keep them apart from the training text), masked with a fixed seed.

    The masking is always the standard 80/10/10 mix, even when the model was trained another way,
    so the per-operation accuracies exist for every model and can be compared.
    """
    check_choice("sentence_objective", sentence_objective, SENTENCE_OBJECTIVES)
    data = cut_pairs(documents, tokenizer, max_length=max_length, seed=seed, sentence_objective=sentence_objective,
                     sop_start=sop_start)
    data = _take(data, torch.arange(min(size, data["input_ids"].shape[0])), torch.device("cpu"))
    generator = torch.Generator().manual_seed(EVAL_MASKING_SEED + seed)
    masked = mask_batch(data, tokenizer, generator=generator)  # always 80/10/10
    return HeldOutSet(masked.input_ids, data["input_ids"], masked.labels, masked.operations,
                      data["token_type_ids"], data["attention_mask"], data["sentence_label"], sentence_objective)


@torch.no_grad()
def evaluate_pretraining(model, held_out: HeldOutSet, *, batch_size: int = 64) -> dict[str, float]:
    """Loss and accuracies of ``model`` on a held-out set.

    Returns ``mlm_loss``, ``mlm_accuracy`` (all selected positions), ``mlm_accuracy_masked`` /
    ``_random`` / ``_kept`` (split by what the corruption did), the position counts, and for the
    set's sentence objective ``nsp_loss`` / ``nsp_accuracy`` or ``sop_loss`` / ``sop_accuracy``
    (nothing for "none"); ``loss`` is the sum of the two losses.
    """
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    correct = {MASKED: 0, RANDOMISED: 0, KEPT: 0}
    count = {MASKED: 0, RANDOMISED: 0, KEPT: 0}
    mlm_loss_sum, pair_loss_sum, pair_correct, n_pairs = 0.0, 0.0, 0, 0
    for start in range(0, held_out.input_ids.shape[0], batch_size):
        rows = slice(start, start + batch_size)
        out = model(held_out.input_ids[rows].to(device), token_type_ids=held_out.token_type_ids[rows].to(device),
                    attention_mask=held_out.attention_mask[rows].to(device))
        logits = out.prediction_logits.float().cpu()
        labels, ops = held_out.labels[rows], held_out.operations[rows]
        selected = labels != IGNORE_INDEX
        mlm_loss_sum += F.cross_entropy(logits[selected], labels[selected], reduction="sum").item()
        hits = logits.argmax(-1) == labels
        for op in correct:
            where = selected & (ops == op)
            correct[op] += int(hits[where].sum())
            count[op] += int(where.sum())
        pair_logits = out.seq_relationship_logits.float().cpu()
        pair_labels = held_out.sentence_label[rows]
        pair_loss_sum += F.cross_entropy(pair_logits, pair_labels, reduction="sum").item()
        pair_correct += int((pair_logits.argmax(-1) == pair_labels).sum())
        n_pairs += pair_labels.shape[0]
    model.train(was_training)
    n_selected = sum(count.values())
    safe = lambda c, n: c / n if n else float("nan")  # noqa: E731
    metrics = dict(
        loss=mlm_loss_sum / max(1, n_selected), mlm_loss=mlm_loss_sum / max(1, n_selected),
        mlm_accuracy=safe(sum(correct.values()), n_selected),
        mlm_accuracy_masked=safe(correct[MASKED], count[MASKED]),
        mlm_accuracy_random=safe(correct[RANDOMISED], count[RANDOMISED]),
        mlm_accuracy_kept=safe(correct[KEPT], count[KEPT]),
        num_selected=n_selected, num_masked=count[MASKED], num_random=count[RANDOMISED],
        num_kept=count[KEPT], num_pairs=n_pairs,
    )
    if held_out.sentence_objective != "none":
        name = held_out.sentence_objective
        metrics[f"{name}_loss"] = pair_loss_sum / max(1, n_pairs)
        metrics[f"{name}_accuracy"] = safe(pair_correct, n_pairs)
        metrics["loss"] += metrics[f"{name}_loss"]
    return metrics


# ----------------------------------------------------------------------------------------------
# Training


@dataclass
class PretrainResult:
    """What :func:`pretrain` returns.

    ``history["train"]`` has one entry per step (``step``, ``loss``, ``mlm_loss``,
    ``sentence_loss``, ``lr``); ``history["eval"]`` one entry per evaluation (``step``, ``seconds``
    and everything :func:`evaluate_pretraining` returns). Both are dicts of equal-length lists.
    """

    model: torch.nn.Module
    tokenizer: WordPieceTokenizer
    config: PretrainConfig
    history: dict[str, dict[str, list]]
    steps: int = 0
    seconds: float = 0.0           # wall clock of the loop, evaluations included
    eval_seconds: float = 0.0      # of which spent on held-out evaluation
    tokens_seen: int = 0           # real (non-padding) tokens, all ranks
    positions_processed: int = 0   # positions the model computed (padding included), all ranks
    selected_seen: int = 0         # MLM-selected positions, all ranks
    epochs: float = 0.0            # passes over the corpus
    final: dict[str, float] = field(default_factory=dict)
    held_out: HeldOutSet | None = None  # the fixed held-out set the curves were measured on
    interrupted: bool = False      # Ctrl-C stopped it before its last step
    world_size: int = 1            # processes that trained together (torchrun)
    optimizer_state: dict | None = None

    def metadata(self) -> dict[str, Any]:
        """Plain-type facts about the run, for the checkpoint."""
        return dict(settings=dataclasses.asdict(self.config), sentence_objective=self.config.sentence_objective,
                    steps=self.steps, seconds=round(self.seconds, 2),
                    train_seconds=round(self.seconds - self.eval_seconds, 2), epochs=round(self.epochs, 3),
                    tokens_seen=self.tokens_seen, positions_processed=self.positions_processed,
                    selected_seen=self.selected_seen, interrupted=self.interrupted, world_size=self.world_size,
                    metrics={k: float(v) for k, v in self.final.items()},
                    num_parameters=count_parameters(self.model))


MaskFunction = Callable[..., tuple[torch.Tensor, torch.Tensor]]


def pretrain(config: str | PretrainConfig = "live", *, documents: list[list[str]] | None = None,
             eval_documents: list[list[str]] | None = None, tokenizer: WordPieceTokenizer | None = None,
             model: BertForPreTraining | None = None, mask_fn: MaskFunction | None = None,
             optimizer_state: dict | None = None, start_step: int = 0,
             device: str | torch.device | None = None, progress: bool = True) -> PretrainResult:
    """Pre-train a small BERT; return the model, its tokenizer and the training history.

    ``config`` is a preset name ("tiny", "live", "course") or a :class:`PretrainConfig`.
    ``documents`` default to the storybook corpus; ``eval_documents`` to other storybook documents
    that training never sees. A ``model`` (with its ``tokenizer``) continues training from its
    weights; ``optimizer_state`` and ``start_step`` resume a run where it stopped. ``mask_fn``
    replaces the course's MLM corruption: ``mask_fn(input_ids, special_tokens_mask, *, vocab_size,
    mask_token_id, generator) -> (corrupted_input_ids, labels)``. Under ``torchrun`` the model is
    wrapped in DistributedDataParallel; each rank draws its own batches and masks (seed + rank).
    """
    config = preset(config)
    rank, world_size = _distributed_rank_and_size()
    device = pick_device(device)
    documents = documents if documents is not None else make_storybook(config.num_documents, seed=config.seed)
    if eval_documents is None:
        eval_documents = make_storybook(max(50, config.eval_size), seed=config.seed + HELD_OUT_SEED_OFFSET)
    tokenizer = tokenizer or build_tokenizer(documents, config.vocab_size, config.min_freq)
    model = _model_for(config, tokenizer, model).to(device).train()
    # One generator per rank for batches and masks: the same seed gives the same run.
    generator = torch.Generator().manual_seed(config.seed * 1_000_003 + rank)
    pairs = PairStream(documents, tokenizer, config, generator)
    held_out = make_held_out_set(eval_documents, tokenizer, max_length=config.max_length, size=config.eval_size,
                                 seed=config.seed, sentence_objective=config.sentence_objective)
    next_batch, counts = _masked_batches(pairs, tokenizer, config, generator, mask_fn, device, world_size)

    def log_step(output, batch) -> dict:
        return {"mlm_loss": _item(output.mlm_loss), "sentence_loss": _item(output.nsp_loss)}

    schedule = Schedule(steps=config.steps, learning_rate=config.learning_rate, warmup_steps=config.warmup,
                        weight_decay=config.weight_decay, time_budget=config.time_budget, start_step=start_step,
                        optimizer_state=optimizer_state)
    evaluation = Evaluation(lambda step: evaluate_pretraining(model, held_out), every=config.eval_every,
                            at_start=start_step == 0)
    loop = train(model, next_batch, schedule, evaluation=evaluation, log_step=log_step,
                 forward_model=_maybe_distributed(model, config), precision=config.precision, progress=progress,
                 description=f"pre-training ({config.name})", is_main=rank == 0)
    model.eval()
    final = {k: v[-1] for k, v in loop.eval.items() if k not in ("step", "seconds")} if loop.eval["step"] else {}
    return PretrainResult(model=model, tokenizer=tokenizer, config=config, history={"train": loop.train, "eval": loop.eval},
                          steps=loop.steps, seconds=loop.seconds, eval_seconds=loop.eval_seconds,
                          tokens_seen=counts["tokens"], positions_processed=counts["positions"],
                          selected_seen=counts["selected"], epochs=pairs.epochs, final=final,
                          held_out=held_out if rank == 0 else None, interrupted=loop.interrupted,
                          optimizer_state=loop.optimizer_state, world_size=world_size)


def _model_for(config: PretrainConfig, tokenizer, model: BertForPreTraining | None) -> BertForPreTraining:
    """A new model for ``config`` (the same initial weights on every rank), or ``model`` checked against the tokenizer."""
    if model is None:
        torch.manual_seed(config.seed)
        return BertForPreTraining(config.model_config(tokenizer.vocab_size))
    if model.config.vocab_size != tokenizer.vocab_size:
        raise ValueError(f"model has vocab_size={model.config.vocab_size} but the tokenizer has "
                         f"{tokenizer.vocab_size} tokens: pass the tokenizer the model was trained with.")
    return model


def _masked_batches(pairs: "PairStream", tokenizer, config: PretrainConfig, generator: torch.Generator,
                    mask_fn: MaskFunction | None, device: torch.device, world_size: int):
    """``next_batch(step)``: the next pairs, corrupted for MLM (by ``mask_fn`` if given), on ``device``;
    and the counts it keeps (tokens, positions, selected positions, all ranks)."""
    counts = dict(tokens=0, positions=0, selected=0)

    def next_batch(step: int) -> dict:
        batch = pairs.next()
        if mask_fn is None:
            masked = mask_batch(batch, tokenizer, generator=generator, mlm_probability=config.mlm_probability,
                                mask_prob=config.mask_prob, random_prob=config.random_prob)
            corrupted, labels = masked.input_ids, masked.labels
        else:
            corrupted, labels = check_mask_fn_output(mask_fn(
                batch["input_ids"], batch["special_tokens_mask"], vocab_size=tokenizer.vocab_size,
                mask_token_id=tokenizer.mask_token_id, generator=generator), batch["input_ids"])
        counts["tokens"] += int(batch["attention_mask"].sum()) * world_size
        counts["positions"] += batch["input_ids"].numel() * world_size
        counts["selected"] += int((labels != IGNORE_INDEX).sum()) * world_size
        return dict(input_ids=(corrupted if config.mlm else batch["input_ids"]).to(device),
                    token_type_ids=batch["token_type_ids"].to(device),
                    attention_mask=batch["attention_mask"].to(device),
                    labels=labels.to(device) if config.mlm else None,
                    next_sentence_label=(batch["sentence_label"].to(device)
                                         if config.sentence_objective != "none" else None))

    return next_batch, counts


def check_mask_fn_output(output: Any, input_ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """What a ``mask_fn`` returned, if it is ``(corrupted_input_ids, labels)``: two integer tensors shaped
    like ``input_ids``; else one line saying what came back."""
    shape = tuple(input_ids.shape)
    ok = isinstance(output, (tuple, list)) and len(output) == 2 and all(
        isinstance(t, torch.Tensor) and tuple(t.shape) == shape and not t.is_floating_point() for t in output)
    if not ok:
        got = (f"{type(output).__name__} of {len(output)}" if isinstance(output, (tuple, list)) else show(output))
        raise ValueError(f"mask_fn returned {got}, which is not allowed: it must return (corrupted_input_ids, "
                         f"labels), two integer tensors of shape {shape} like input_ids.")
    return output[0], output[1]


def _item(value: torch.Tensor | None) -> float:
    return value.item() if value is not None else float("nan")


def _distributed_rank_and_size() -> tuple[int, int]:
    """(rank, world size); (0, 1) when not running under torch.distributed."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    return 0, 1


def _maybe_distributed(model: torch.nn.Module, config: PretrainConfig) -> torch.nn.Module:
    """Under torchrun: DistributedDataParallel, which averages gradients across ranks."""
    if _distributed_rank_and_size()[1] == 1:
        return model
    device = next(model.parameters()).device
    ddp_args = dict(device_ids=[device.index]) if device.type == "cuda" else {}
    # A head that gets no loss (sentence objective off, or MLM off) has no gradients: DDP must be told.
    unused = not (config.mlm and config.sentence_objective != "none")
    return torch.nn.parallel.DistributedDataParallel(model, find_unused_parameters=unused, **ddp_args)
