"""Fine-tuning: put a small head on the pre-trained encoder and train on a few labeled examples.

The second stage of the workflow, in four steps:

1. **encode** each labeled example into the same kind of input the encoder saw in pre-training,
   minus the [MASK]s, and its label into the head's target (:mod:`helpers.training.task_inputs`);
2. put the task's **head** on the encoder (:func:`build_model`);
3. **train** with AdamW, a short linear warm-up and a linear decay, either end to end or with the
   encoder frozen (only the head learns): :func:`finetune`, whose settings are a
   :class:`~helpers.training.configs.FinetuneConfig`;
4. **evaluate** with the task's metric (``helpers.training.metrics``).

``finetune`` does 1-3 and records a validation curve; ``evaluate`` scores any split; ``predict``
shows what the model says about a text you type.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import torch
from torch import nn

from helpers.errors import check_choice, show
from helpers.modeling.bert import BertModel
from helpers.modeling.heads import HEADS, BertForQuestionAnswering
from helpers.training import metrics
from helpers.training.configs import FinetuneConfig
from helpers.training.loop import Evaluation, Schedule, train
# Encoding lives in task_inputs; importing these from here keeps working (notebook 5a shows encode_example).
from helpers.training.task_inputs import (KINDS, SPLITS, _encode_question_context, _label_id, check_examples,  # noqa: F401
                                          check_task, collate, encode_example, encode_examples, num_labels_of,
                                          task_examples, to_device)

MAX_ANSWER_TOKENS = 12  # longest answer span (in word-pieces) the QA decoder considers


# --------------------------------------------------------------------------- building a model

def build_model(task, encoder: nn.Module | None = None, *, config=None, seed: int = 0) -> nn.Module:
    """The right head for ``task.kind`` on a copy of ``encoder`` (pre-trained), or, with
    ``encoder=None`` and a ``config``, on a freshly initialised encoder (from scratch)."""
    head_class = HEADS[check_choice("task.kind", task.kind, KINDS)]
    if encoder is not None:
        return head_class.from_pretrained_encoder(encoder, num_labels_of(task), seed=seed)
    if config is None:
        raise ValueError("encoder=None and config=None is not allowed: give a pre-trained encoder, "
                         "or a BertConfig to start from scratch.")
    return head_class.from_scratch(config, num_labels_of(task), seed=seed)


# --------------------------------------------------------------------------- predicting / scoring

@torch.no_grad()
def _forward_all(model: nn.Module, encoded: list[dict], batch_size: int) -> list:
    """Run the model over encoded examples; per example, its logits (trimmed to its length)."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    outputs = []
    for i in range(0, len(encoded), batch_size):
        chunk = encoded[i:i + batch_size]
        batch = to_device(collate([{k: e[k] for k in ("input_ids", "token_type_ids", "attention_mask")}
                             for e in chunk]), device)
        out = model(**batch)
        for j, e in enumerate(chunk):
            n = len(e["input_ids"])
            if isinstance(model, BertForQuestionAnswering):
                outputs.append((out.start_logits[j, :n].cpu(), out.end_logits[j, :n].cpu()))
            else:
                outputs.append(out.logits[j, :n].cpu() if out.logits.dim() == 3 else out.logits[j].cpu())
    model.train(was_training)
    return outputs


def _best_span(start_logits, end_logits, token_type_ids, word_ids, max_tokens=MAX_ANSWER_TOKENS):
    """The (start, end) token pair inside the context with the highest start + end score."""
    allowed = torch.tensor([t == 1 and w is not None for t, w in zip(token_type_ids, word_ids)])
    neg = torch.finfo(start_logits.dtype).min / 4
    s = start_logits.masked_fill(~allowed, neg)
    e = end_logits.masked_fill(~allowed, neg)
    n = len(s)
    scores = s[:, None] + e[None, :]
    valid = torch.ones(n, n, dtype=torch.bool).triu() & ~torch.ones(n, n, dtype=torch.bool).triu(max_tokens)
    scores = scores.masked_fill(~valid, neg * 4)
    best = int(scores.argmax())
    return best // n, best % n


def _decode_predictions(task, encoded: list[dict], outputs: list) -> list:
    """Model outputs -> human-level predictions: a label name, a tag per word, or an answer string."""
    names = list(getattr(task, "label_names", []))
    predictions = []
    for e, out in zip(encoded, outputs):
        if task.kind in ("sequence", "pair"):
            predictions.append(names[int(out.argmax())])
        elif task.kind == "token":
            ids = out.argmax(-1).tolist()
            tags, previous = {}, None
            for pos, word in enumerate(e["word_ids"]):
                if word is not None and word != previous:
                    tags[word] = names[ids[pos]]  # the first word-piece speaks for the word
                previous = word
            n_words = e.get("num_words", max(tags) + 1 if tags else 0)
            predictions.append([tags.get(w, metrics.OUTSIDE) for w in range(n_words)])
        else:
            start, end = _best_span(out[0], out[1], e["token_type_ids"], e["word_ids"])
            first, last = e["word_ids"][start], e["word_ids"][end]
            # Cut the answer out of the original passage, from the first word's start to the last's end.
            predictions.append(e["context"][e["word_spans"][first][0]:e["word_spans"][last][1]])
    return predictions


def predict_examples(model: nn.Module, task, examples: Sequence[dict], tokenizer, *,
                     max_length: int = 64, batch_size: int = 64) -> list:
    """Predictions for a list of task examples (labels in them, if any, are not used)."""
    encoded = [_encode_for_prediction(task, ex, tokenizer, max_length) for ex in examples]
    return _decode_predictions(task, encoded, _forward_all(model, encoded, batch_size))


def _encode_for_prediction(task, example, tokenizer, max_length):
    if task.kind == "token":
        example = dict(example, labels=[task.label_names[0]] * len(example["words"]))
        enc = encode_example(task, example, tokenizer, max_length)
        enc["num_words"] = len(example["words"])
        return enc
    if task.kind == "span":
        return _encode_question_context({k: v for k, v in example.items() if k != "answer_text"},
                                        tokenizer, max_length)
    example = dict(example, label=0)
    return encode_example(task, example, tokenizer, max_length)


def _references(task, examples: Sequence[dict]) -> list:
    names = list(getattr(task, "label_names", []))
    if task.kind in ("sequence", "pair"):
        return [names[_label_id(task, ex["label"], "label")] for ex in examples]
    if task.kind == "token":
        return [[names[_label_id(task, t, "labels[i]")] for t in ex["labels"]] for ex in examples]
    return [ex["answer_text"] for ex in examples]


def score(task, predictions: Sequence, references: Sequence) -> dict[str, float]:
    """The task's metrics for predictions against references (see ``helpers.training.metrics``)."""
    if task.kind in ("sequence", "pair"):
        return {"accuracy": metrics.accuracy(predictions, references),
                "macro_f1": metrics.macro_f1(predictions, references, labels=list(task.label_names))}
    if task.kind == "token":
        scores = metrics.entity_scores(predictions, references)
        flat_p = [t for sent in predictions for t in sent]
        flat_r = [t for sent in references for t in sent]
        return {"entity_f1": scores["f1"], "precision": scores["precision"], "recall": scores["recall"],
                "tag_accuracy": metrics.accuracy(flat_p, flat_r)}
    return {"exact_match": metrics.exact_match(predictions, references),
            "token_f1": metrics.token_f1(predictions, references)}


MAIN_METRIC = {"sequence": "accuracy", "pair": "accuracy", "token": "entity_f1", "span": "token_f1"}


def main_metric(task) -> str:
    """The one number each task is judged by: accuracy, entity F1, or answer token F1."""
    return MAIN_METRIC[task.kind]


def evaluate(model: nn.Module, task, split: str = "test", *, tokenizer, examples: Sequence[dict] | None = None,
             max_length: int = 64, batch_size: int = 64) -> dict[str, float]:
    """Score ``model`` on one split of ``task`` (or on the given ``examples``) with the task's metrics."""
    if examples is None:
        examples = task_examples(task, split)
    examples = list(examples)
    if not examples:
        raise ValueError("examples=[] is not allowed: there must be something to evaluate on.")
    predictions = predict_examples(model, task, examples, tokenizer, max_length=max_length, batch_size=batch_size)
    return score(task, predictions, _references(task, examples))


# --------------------------------------------------------------------------- training

@dataclass
class FinetuneResult:
    """What ``finetune`` returns: the trained model and how training went.

    ``history`` has ``step``, ``loss`` (training loss, every step) and ``eval_step`` / ``eval``
    (the validation metric at intervals). ``final`` holds the validation metrics at the end.
    """
    model: nn.Module
    tokenizer: Any
    task: Any
    history: dict[str, list]
    seconds: float
    steps: int
    trainable_parameters: int
    tokens_seen: int = 0       # real (non-padding) tokens trained on
    positions_seen: int = 0    # positions computed, padding included (batches pad to their longest)
    sequences_seen: int = 0
    settings: dict = field(default_factory=dict)
    final: dict = field(default_factory=dict)
    config: FinetuneConfig | None = None

    def evaluate(self, split: str = "test", **kwargs) -> dict[str, float]:
        """``evaluate(self.model, self.task, split, tokenizer=self.tokenizer)``."""
        kwargs.setdefault("max_length", self.settings.get("max_length", 64))
        return evaluate(self.model, self.task, split, tokenizer=self.tokenizer, **kwargs)


def finetune(model: nn.Module, task, *, tokenizer, train_examples: Sequence[dict] | None = None,
             eval_examples: Sequence[dict] | None = None, config: FinetuneConfig | None = None,
             **settings: Any) -> FinetuneResult:
    """Fine-tune ``model`` on ``task``'s labeled ``train_examples`` (default: the whole train split).

    ``model`` is a head from ``helpers.modeling.heads`` (or ``build_model``); a bare pre-trained encoder
    (``BertModel`` / ``BertForPreTraining``) gets the right head for the task first (on a copy).
    The settings are a :class:`~helpers.training.configs.FinetuneConfig`, given as ``config`` or as
    keyword arguments (``steps=200, learning_rate=1e-3, freeze_encoder=True`` ...; keywords override
    ``config``); every one is checked before training starts.

    * ``freeze_encoder=True`` trains only the head: the encoder's weights stay exactly as
      pre-training left them (cheap, but the features cannot adapt to the task).
    * Every ``eval_every`` steps the main metric on ``eval_examples`` (default: the first
      ``eval_size`` validation examples; ``[]`` for none) is recorded in ``history``.
    * Dropout, if the model has any, is on during training and off for evaluation; batches are
      drawn from a shuffled order seeded by ``seed``.

    The loop itself is the course's one loop, :func:`helpers.training.loop.train`.
    """
    config = FinetuneConfig.from_settings(config, settings)
    check_task(task)
    _check_tokenizer(tokenizer)
    model = _head_for(model, task, config.seed)
    train_examples = check_examples(task, task_examples(task, "train") if train_examples is None else train_examples,
                                    "train_examples")
    if not train_examples:
        raise ValueError("train_examples=[] is not allowed: fine-tuning needs at least one labeled example.")
    if eval_examples is None:
        eval_examples = task_examples(task, "validation")[:config.eval_size]
    eval_examples = check_examples(task, eval_examples, "eval_examples")
    encoded = encode_examples(task, train_examples, tokenizer, config.max_length)
    steps = config.budget(len(encoded))
    trainable = _prepare(model, config)
    metric = main_metric(task)
    batches, seen = _batches(encoded, config, next(model.parameters()).device)

    def evaluate_now(step: int) -> dict:
        return {metric: evaluate(model, task, tokenizer=tokenizer, examples=eval_examples,
                                 max_length=config.max_length)[metric]}

    def set_train_mode() -> None:
        model.train()
        if config.freeze_encoder:
            model.bert.eval()  # a frozen encoder also keeps its dropout off: its features stay fixed

    schedule = Schedule(steps=steps, learning_rate=config.learning_rate_used(),
                        warmup_steps=max(1, int(config.warmup_fraction * steps)), weight_decay=config.weight_decay)
    with torch.random.fork_rng(devices=[]):  # dropout draws from a seeded stream, not the caller's
        torch.manual_seed(config.seed)
        evaluation = Evaluation(evaluate_now, every=config.eval_every or max(1, steps // 5)) if eval_examples else None
        loop = train(model, batches, schedule, evaluation=evaluation, set_train_mode=set_train_mode,
                     precision=config.precision, progress=config.progress,
                     description=f"fine-tune {getattr(task, 'name', task.kind)}")
    return _result(model, task, tokenizer, config, loop, schedule, eval_examples,
                   dict(seen, trainable=trainable, examples=len(train_examples)))


def _check_tokenizer(tokenizer: Any) -> None:
    if not (hasattr(tokenizer, "encode") and hasattr(tokenizer, "prepare_for_model")):
        raise ValueError(f"tokenizer={show(tokenizer)} is not allowed: pass the tokenizer the model was trained "
                         "with (checkpoint.tokenizer, a WordPieceTokenizer).")


def _head_for(model: nn.Module, task, seed: int) -> nn.Module:
    """``model`` if it is a head; a pre-trained encoder gets the task's head (on a copy)."""
    if hasattr(model, "head_parameters"):
        return model
    if isinstance(getattr(model, "bert", model), BertModel):
        return build_model(task, model, seed=seed)
    raise ValueError(f"model={show(model)} is not allowed: it must be a head from helpers.modeling.heads or a "
                     "pre-trained BertModel / BertForPreTraining.")


def _prepare(model: nn.Module, config: FinetuneConfig) -> int:
    """Dropout, device and (for a frozen encoder) no gradients for the encoder, as the config says;
    returns how many parameters will train."""
    if config.dropout is not None:
        for module in model.modules():
            if isinstance(module, nn.Dropout):
                module.p = config.dropout
    if config.device is not None:
        model.to(config.device)
    # Freezing = no gradients for the encoder; the optimizer then only sees the head.
    for p in model.bert.parameters():
        p.requires_grad_(not config.freeze_encoder)
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def _batches(encoded: list[dict], config: FinetuneConfig, device) -> tuple:
    """``next_batch(step)`` over the encoded examples (reshuffled every epoch, seeded), and the counts it keeps."""
    generator = torch.Generator().manual_seed(config.seed)
    state = {"order": torch.randperm(len(encoded), generator=generator).tolist(), "cursor": 0}
    seen = dict(tokens=0, positions=0, sequences=0)

    def next_batch(step: int) -> dict:
        size = config.batch_size
        if state["cursor"] + size > len(state["order"]) and state["cursor"] > 0:  # new epoch: reshuffle
            state["order"], state["cursor"] = torch.randperm(len(encoded), generator=generator).tolist(), 0
        batch = collate([encoded[i] for i in state["order"][state["cursor"]:state["cursor"] + size]])
        state["cursor"] += size
        seen["tokens"] += int(batch["attention_mask"].sum())
        seen["sequences"] += batch["input_ids"].shape[0]
        seen["positions"] += batch["input_ids"].numel()
        return to_device(batch, device)

    return next_batch, seen


def _result(model, task, tokenizer, config: FinetuneConfig, loop, schedule: Schedule, eval_examples,
            counts: dict) -> FinetuneResult:
    metric = main_metric(task)
    history = {"step": loop.train["step"], "loss": loop.train["loss"], "eval_step": loop.eval["step"],
               "eval": loop.eval.get(metric, [])}
    model.eval()
    for p in model.parameters():
        p.requires_grad_(True)
    final = (evaluate(model, task, tokenizer=tokenizer, examples=eval_examples, max_length=config.max_length)
             if eval_examples else {})
    settings = dict(freeze_encoder=config.freeze_encoder, steps=schedule.steps, learning_rate=schedule.learning_rate,
                    batch_size=config.batch_size, dropout=config.dropout, warmup_steps=schedule.warmup_steps,
                    weight_decay=config.weight_decay, max_length=config.max_length, seed=config.seed,
                    precision=config.precision, num_train_examples=counts["examples"])
    return FinetuneResult(model=model, tokenizer=tokenizer, task=task, history=history, seconds=loop.seconds,
                          steps=loop.steps, trainable_parameters=counts["trainable"], tokens_seen=counts["tokens"],
                          positions_seen=counts["positions"], sequences_seen=counts["sequences"], settings=settings,
                          final=final, config=config)


# --------------------------------------------------------------------------- demos

def predict(model: nn.Module, tokenizer, task, text: str | Sequence[str] | None = None, *,
            text_b: str | None = None, question: str | None = None, context: str | None = None,
            max_length: int = 64):
    """What the fine-tuned model says about one input you type.

    * sequence task: ``predict(model, tok, task, "the teddy bear is so cute .")`` -> label name;
    * pair task: ``predict(model, tok, task, "sentence a", text_b="sentence b")`` -> label name;
    * token task: ``predict(model, tok, task, "anna visits the red fox inn")`` -> [(word, tag), ...];
    * span task: ``predict(model, tok, task, question="...", context="...")`` -> answer string.
    """
    kind = task.kind
    if kind == "span":
        if not (isinstance(question, str) and isinstance(context, str)):
            raise ValueError("question and context are required (strings) for a question-answering task.")
        return predict_examples(model, task, [{"question": question, "context": context}], tokenizer,
                                max_length=max_length)[0]
    if kind == "token":
        words = text.split() if isinstance(text, str) else list(text or [])
        tags = predict_examples(model, task, [{"words": words}], tokenizer, max_length=max_length)[0]
        return list(zip(words, tags))
    if kind == "pair":
        if not (isinstance(text, str) and isinstance(text_b, str)):
            raise ValueError("text and text_b are required (strings) for a sentence-pair task.")
        return predict_examples(model, task, [{"text_a": text, "text_b": text_b}], tokenizer,
                                max_length=max_length)[0]
    return predict_examples(model, task, [{"text": text}], tokenizer, max_length=max_length)[0]
