"""Labeled examples -> model inputs: what fine-tuning feeds the encoder, task kind by task kind.

Each labeled example becomes the same kind of input the encoder saw in pre-training, minus the
[MASK]s: ``[CLS] text [SEP]`` (sentiment, topic, NER), ``[CLS] A [SEP] B [SEP]`` with segments
(paraphrase), ``[CLS] question [SEP] passage [SEP]`` (QA); and its label becomes the head's target:
one class id per input, one tag id per word (on the word's first word-piece; the other pieces and
the specials get -100), or the start/end token of the answer.

A task is a :class:`helpers.text.tasks.TaskData` (``load_task("sentiment")``); :func:`check_task`
and :func:`check_examples` refuse anything else with one line before any work starts.
"""
from __future__ import annotations

from typing import Any, Sequence

import torch

from helpers.constants import IGNORE_INDEX
from helpers.errors import check_choice, show
from helpers.text.layout import pad_batch
from helpers.text.offsets import words_with_spans

KINDS = ("sequence", "pair", "token", "span")
SPLITS = ("train", "validation", "test", "test_heldout")
# What an example of each kind holds (QA's answer is optional when predicting).
EXAMPLE_KEYS = {"sequence": ("text", "label"), "pair": ("text_a", "text_b", "label"), "token": ("words", "labels"),
                "span": ("question", "context", "answer_text", "answer_start")}


# --------------------------------------------------------------------------- tasks and examples

def check_task(task: Any, name: str = "task") -> Any:
    """``task`` if it is a labeled task (``kind``, ``label_names`` and splits), else one line saying so."""
    if isinstance(task, str):
        raise ValueError(f"{name}={task!r} is not allowed: pass the task itself, not its name "
                         f"(task = load_task({task!r}) from helpers.text.tasks).")
    if getattr(task, "kind", None) not in KINDS or not hasattr(task, "label_names"):
        raise ValueError(f"{name}={show(task)} is not allowed: it must be a labeled task with a kind among "
                         f"{KINDS} and label_names, such as load_task('sentiment') from helpers.text.tasks.")
    return task


def check_examples(task: Any, examples: Any, name: str, *, labeled: bool = True) -> list[dict]:
    """``examples`` as a list if each is a dict holding what ``task.kind`` needs, else one line naming the first bad one."""
    if isinstance(examples, (str, dict)) or not isinstance(examples, Sequence):
        raise ValueError(f"{name}={show(examples)} is not allowed: it must be a list of example dicts.")
    needed = EXAMPLE_KEYS[task.kind]
    if not labeled:
        needed = tuple(k for k in needed if k not in ("label", "labels", "answer_text", "answer_start"))
    elif task.kind == "span":
        needed = needed[:2]  # an example without an answer is allowed: its positions are ignored
    for i, example in enumerate(examples):
        missing = [k for k in needed if k not in example] if isinstance(example, dict) else list(needed)
        if missing:
            raise ValueError(f"{name}[{i}]={show(example)} is not allowed: an example of a {task.kind!r} task is a "
                             f"dict with {', '.join(repr(k) for k in needed)} (missing: {', '.join(missing)}).")
    return list(examples)


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
    words = words_with_spans(context)
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


def to_device(batch: dict, device) -> dict:
    """Every tensor of ``batch`` on ``device``."""
    return {k: v.to(device) for k, v in batch.items()}

