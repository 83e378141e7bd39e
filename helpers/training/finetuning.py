"""Fine-tuning: put a small head on the pre-trained encoder and train on a few labeled examples.

The second stage of the workflow, in four steps:

1. **encode** each labeled example into the same kind of input the encoder saw in pre-training,
   minus the [MASK]s: ``[CLS] text [SEP]`` (sentiment, topic, NER), ``[CLS] A [SEP] B [SEP]``
   with segments (paraphrase), ``[CLS] question [SEP] passage [SEP]`` (QA);
2. turn the labels into targets for the head: one class id per input, one tag id per word (on the
   word's first word-piece; the other pieces and the specials get -100), or the start/end token of
   the answer;
3. **train** with AdamW, a short linear warm-up and a linear decay, either end to end or with the
   encoder frozen (only the head learns);
4. **evaluate** with the task's metric (``helpers.training.metrics``).

``finetune`` does 1-3 and records a validation curve; ``evaluate`` scores any split; ``predict``
shows what the model says about a text you type.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Sequence

import torch
from torch import nn

from helpers.constants import IGNORE_INDEX
from helpers.errors import show, check_choice, check_positive_int, check_probability
from helpers.modeling.bert import BertModel
from helpers.modeling.heads import HEADS, BertForQuestionAnswering
from helpers.text.layout import pad_batch
from helpers.text.normalize import is_punctuation
from helpers.training import metrics
from helpers.training.loop import train

KINDS = ("sequence", "pair", "token", "span")
SPLITS = ("train", "validation", "test", "test_heldout")
MAX_ANSWER_TOKENS = 12  # longest answer span (in word-pieces) the QA decoder considers


# --------------------------------------------------------------------------- task access

def task_examples(task, split: str) -> list[dict]:
    """The list of examples of one split of a task (``"train"``, ``"validation"``, ``"test"``,
    ``"test_heldout"``: the test split whose key words never occur in the labeled training set)."""
    check_choice("split", split, SPLITS)
    examples = getattr(task, split, None)
    if examples is None and isinstance(getattr(task, "splits", None), dict):
        examples = task.splits.get(split)
    if examples is None:
        raise ValueError(f"split={split!r} is not available for task {getattr(task, 'name', task)!r}.")
    return list(examples)


def num_labels_of(task) -> int:
    """How many classes the head needs (2 — start and end — for QA)."""
    return 2 if task.kind == "span" else len(task.label_names)


def _label_id(task, label, where: str) -> int:
    names = list(task.label_names)
    if isinstance(label, str):
        if label not in names:
            raise ValueError(f"{where}={label!r} is not allowed: it must be one of {names}.")
        return names.index(label)
    if isinstance(label, bool) or not isinstance(label, int) or not 0 <= label < len(names):
        raise ValueError(f"{where}={show(label)} is not allowed: it must be a label id in 0..{len(names) - 1} "
                         f"or a label name from {names}.")
    return label


# --------------------------------------------------------------------------- encoding

def _context_words(text: str) -> list[tuple[str, int, int]]:
    """The words of ``text`` as BERT's pre-tokeniser sees them (split at spaces, every punctuation
    character a word of its own), each with its character span [start, end) in ``text``.

    Keeping the character spans lets a predicted token span be cut out of the ORIGINAL passage.
    """
    words = []
    for m in re.finditer(r"\S+", text):
        start = m.start()
        for i, ch in enumerate(m.group()):
            if is_punctuation(ch):
                if m.start() + i > start:
                    words.append((text[start:m.start() + i], start, m.start() + i))
                words.append((ch, m.start() + i, m.start() + i + 1))
                start = m.start() + i + 1
        if m.end() > start:
            words.append((text[start:m.end()], start, m.end()))
    return words


def encode_example(task, example: dict, tokenizer, max_length: int = 64) -> dict:
    """One labeled example -> a dict of lists (model inputs, targets, and what decoding needs).

    * sequence: ``[CLS] text [SEP]`` and ``labels`` (one id);
    * pair: ``[CLS] text_a [SEP] text_b [SEP]`` (segment 0 / 1) and ``labels``;
    * token: ``[CLS] words [SEP]``; ``labels`` has the word's tag on the FIRST word-piece of every
      word and -100 on later pieces and on [CLS]/[SEP] (so each word is scored once);
    * span: ``[CLS] question [SEP] context [SEP]``; ``start_positions`` / ``end_positions`` are the
      first and last token of the answer (``len(input_ids)``, i.e. ignored, if truncation cut it off).
    """
    kind = task.kind
    if kind == "sequence":
        enc = tokenizer.encode_pair(example["text"], None, max_length)
        enc["labels"] = _label_id(task, example["label"], "label")
    elif kind == "pair":
        enc = tokenizer.encode_pair(example["text_a"], example["text_b"], max_length)
        enc["labels"] = _label_id(task, example["label"], "label")
    elif kind == "token":
        words, tags = list(example["words"]), list(example["labels"])
        if len(words) != len(tags):
            raise ValueError(f"example has {len(words)} words but {len(tags)} labels: they must match.")
        enc = tokenizer.encode_words(words, max_length)
        labels, previous = [], None
        for word in enc["word_ids"]:
            first_piece = word is not None and word != previous
            labels.append(_label_id(task, tags[word], "labels[i]") if first_piece else IGNORE_INDEX)
            previous = word
        enc["labels"] = labels
    elif kind == "span":
        enc = _encode_question_context(example, tokenizer, max_length)
    else:
        raise ValueError(f"task.kind={kind!r} is not allowed: it must be one of {KINDS}.")
    return enc


def _encode_question_context(example: dict, tokenizer, max_length: int) -> dict:
    context, question = example["context"], example["question"]
    words = _context_words(context)
    ids, word_ids = [], []
    for wi, (word, _, _) in enumerate(words):
        pieces = tokenizer.encode(word)
        ids.extend(pieces)
        word_ids.extend([wi] * len(pieces))
    enc = tokenizer.prepare_for_model(tokenizer.encode(question), ids, max_length, None, word_ids)
    enc["context"], enc["word_spans"] = context, [(s, e) for _, s, e in words]
    # Which context words does the answer cover? Those whose characters overlap its span.
    ignored = len(enc["input_ids"])
    enc["start_positions"] = enc["end_positions"] = ignored
    answer = example.get("answer_text")
    if answer is not None:
        a_start = example["answer_start"]
        a_end = a_start + len(answer)
        if context[a_start:a_end] != answer:
            raise ValueError(f"answer_start={a_start} does not point at answer_text={answer!r} in the context.")
        covered = [wi for wi, (_, s, e) in enumerate(words) if s < a_end and e > a_start]
        in_context = [i for i, t in enumerate(enc["token_type_ids"]) if t == 1 and enc["word_ids"][i] is not None]
        starts = [i for i in in_context if enc["word_ids"][i] == covered[0]]
        ends = [i for i in in_context if enc["word_ids"][i] == covered[-1]]
        if starts and ends:  # else truncation removed the answer: leave the positions ignored
            enc["start_positions"], enc["end_positions"] = starts[0], ends[-1]
    return enc


def encode_examples(task, examples: Sequence[dict], tokenizer, max_length: int = 64) -> list[dict]:
    """``encode_example`` for every example (lists, unpadded: batches are padded when drawn)."""
    return [encode_example(task, ex, tokenizer, max_length) for ex in examples]


_TENSOR_KEYS = ("input_ids", "token_type_ids", "attention_mask", "labels", "start_positions", "end_positions")


def collate(encoded: Sequence[dict]) -> dict[str, torch.Tensor]:
    """Pad a batch of encoded examples to its longest member; -100 pads token labels."""
    length = max(len(e["input_ids"]) for e in encoded)
    items = []
    for e in encoded:
        item = {k: e[k] for k in _TENSOR_KEYS if k in e}
        if isinstance(item.get("labels"), list):
            item["labels"] = item["labels"] + [IGNORE_INDEX] * (length - len(item["labels"]))
        items.append(item)
    return pad_batch(items, length)


def _to(batch: dict, device) -> dict:
    return {k: v.to(device) for k, v in batch.items()}


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
        batch = _to(collate([{k: e[k] for k in ("input_ids", "token_type_ids", "attention_mask")}
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

    def evaluate(self, split: str = "test", **kwargs) -> dict[str, float]:
        """``evaluate(self.model, self.task, split, tokenizer=self.tokenizer)``."""
        kwargs.setdefault("max_length", self.settings.get("max_length", 64))
        return evaluate(self.model, self.task, split, tokenizer=self.tokenizer, **kwargs)


def finetune(model: nn.Module, task, *, tokenizer, train_examples: Sequence[dict] | None = None,
             freeze_encoder: bool = False, steps: int | None = None, epochs: int | None = None,
             learning_rate: float | None = None, batch_size: int = 16, warmup_fraction: float = 0.1,
             weight_decay: float = 0.01, dropout: float | None = 0.1, max_length: int = 64,
             eval_every: int | None = None, eval_examples: Sequence[dict] | None = None, eval_size: int = 200,
             seed: int = 0, device: str | torch.device | None = None, precision: str = "fp32",
             progress: bool = True) -> FinetuneResult:
    """Fine-tune ``model`` on ``task``'s labeled ``train_examples`` (default: the whole train split).

    ``model`` is a head from ``helpers.modeling.heads`` (or ``build_model``); a bare pre-trained encoder
    (``BertModel`` / ``BertForPreTraining``) gets the right head for the task first (on a copy).

    * ``freeze_encoder=True`` trains only the head: the encoder's weights stay exactly as
      pre-training left them (cheap, but the features cannot adapt to the task).
    * The budget is ``steps`` optimizer steps, or ``epochs`` passes over the training examples;
      by default ``max(100, 4 epochs)``. Batches are drawn from a shuffled order seeded by ``seed``.
    * ``learning_rate`` defaults to 5e-4 end to end and 3e-3 for a frozen encoder (a lone linear
      layer on fixed features needs larger steps).
    * ``dropout`` sets every dropout layer of the model for this run (BERT fine-tunes with 0.1; the
      course pre-trains without dropout to save time, so the checkpoint's own setting is 0).
      ``None`` keeps the model's setting. With few labels, dropout is what stops the model from
      simply memorising them.
    * Every ``eval_every`` steps (default: 5 points per run) the main metric on ``eval_size``
      validation examples is recorded in ``history``.

    * ``precision="bf16"`` runs the forward pass in bfloat16 autocast (float32 master weights).

    Dropout, if the model has any, is on during training (``model.train()``) and off for evaluation.
    The loop itself is the course's one loop, :func:`helpers.training.loop.train`.
    """
    if freeze_encoder not in (True, False):
        raise ValueError(f"freeze_encoder={show(freeze_encoder)} is not allowed: it must be True or False.")
    check_positive_int("batch_size", batch_size)
    check_positive_int("max_length", max_length, minimum=4)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"seed={show(seed)} is not allowed: it must be an integer.")
    if not hasattr(model, "head_parameters"):
        if isinstance(getattr(model, "bert", model), BertModel):
            model = build_model(task, model, seed=seed)
        else:
            raise ValueError(f"model of type {type(model).__name__} is not allowed: it must be a head from "
                             "helpers.modeling.heads or a pre-trained BertModel / BertForPreTraining.")
    if train_examples is None:
        train_examples = task_examples(task, "train")
    train_examples = list(train_examples)
    if not train_examples:
        raise ValueError("train_examples=[] is not allowed: fine-tuning needs at least one labeled example.")
    if eval_examples is None:
        eval_examples = task_examples(task, "validation")[:eval_size]
    eval_examples = list(eval_examples)

    batches_per_epoch = math.ceil(len(train_examples) / batch_size)
    if steps is None:
        steps = batches_per_epoch * epochs if epochs is not None else max(100, 4 * batches_per_epoch)
    check_positive_int("steps", steps)
    if learning_rate is None:
        learning_rate = 3e-3 if freeze_encoder else 5e-4
    if not (isinstance(learning_rate, (int, float)) and math.isfinite(learning_rate) and learning_rate > 0):
        raise ValueError(f"learning_rate={show(learning_rate)} is not allowed: it must be a positive number.")
    eval_every = eval_every or max(1, steps // 5)

    if dropout is not None:
        p = check_probability("dropout", dropout, allow_zero=True, allow_one=False)
        for module in model.modules():
            if isinstance(module, nn.Dropout):
                module.p = p
    if device is None:
        device = next(model.parameters()).device
    model.to(device)
    encoded = encode_examples(task, train_examples, tokenizer, max_length)

    # Freezing = no gradients for the encoder; the optimizer then only sees the head.
    for p in model.bert.parameters():
        p.requires_grad_(not freeze_encoder)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    warmup = max(1, int(warmup_fraction * steps))
    generator = torch.Generator().manual_seed(seed)
    metric = main_metric(task)
    order, cursor = torch.randperm(len(encoded), generator=generator).tolist(), 0
    seen = dict(tokens=0, positions=0, sequences=0)

    def next_batch(step: int) -> dict:
        nonlocal order, cursor
        if cursor + batch_size > len(order) and cursor > 0:  # new epoch: reshuffle
            order, cursor = torch.randperm(len(encoded), generator=generator).tolist(), 0
        batch = collate([encoded[i] for i in order[cursor:cursor + batch_size]])
        cursor += batch_size
        seen["tokens"] += int(batch["attention_mask"].sum())
        seen["sequences"] += batch["input_ids"].shape[0]
        seen["positions"] += batch["input_ids"].numel()
        return _to(batch, device)

    def set_train_mode() -> None:
        model.train()
        if freeze_encoder:
            model.bert.eval()  # a frozen encoder also keeps its dropout off: its features stay fixed

    def evaluate_now(step: int) -> dict:
        return {metric: evaluate(model, task, tokenizer=tokenizer, examples=eval_examples,
                                 max_length=max_length)[metric]}

    with torch.random.fork_rng(devices=[]):  # dropout draws from a seeded stream, not the caller's
        torch.manual_seed(seed)
        loop = train(model, next_batch, steps=steps, learning_rate=learning_rate, warmup_steps=warmup,
                     weight_decay=weight_decay, evaluate=evaluate_now if eval_examples else None,
                     eval_every=eval_every, set_train_mode=set_train_mode, precision=precision, progress=progress,
                     description=f"fine-tune {getattr(task, 'name', task.kind)}")
    history = {"step": loop.train["step"], "loss": loop.train["loss"], "eval_step": loop.eval["step"],
               "eval": loop.eval.get(metric, [])}
    seconds = loop.seconds
    model.eval()
    for p in model.parameters():
        p.requires_grad_(True)
    final = evaluate(model, task, tokenizer=tokenizer, examples=eval_examples, max_length=max_length) \
        if eval_examples else {}
    settings = dict(freeze_encoder=freeze_encoder, steps=steps, learning_rate=learning_rate, batch_size=batch_size,
                    dropout=dropout,
                    warmup_steps=warmup, weight_decay=weight_decay, max_length=max_length, seed=seed, precision=precision,
                    num_train_examples=len(train_examples))
    return FinetuneResult(model=model, tokenizer=tokenizer, task=task, history=history, seconds=seconds,
                          steps=loop.steps, trainable_parameters=trainable,
                          tokens_seen=seen["tokens"], positions_seen=seen["positions"],
                          sequences_seen=seen["sequences"],
                          settings=settings, final=final)


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
