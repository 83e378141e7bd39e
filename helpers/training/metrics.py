"""Evaluation metrics for the fine-tuning tasks.

Each task is scored the way its field usually scores it:

* whole-input classification (sentiment, topic, paraphrase): ``accuracy`` and ``macro_f1``
  (the F1 of every class, averaged with equal weight, so a rare class counts as much as a common one);
* named-entity recognition: ``entity_f1`` — an entity counts as found only if its type AND its exact
  word span match (the rule of the CoNLL evaluation script and of ``seqeval``'s default mode), so
  tagging most words of "red fox inn" right earns nothing;
* extractive question answering: ``exact_match`` and ``token_f1`` after SQuAD's answer
  normalisation (lower case, no punctuation, no articles, single spaces).

Everything here is plain Python over lists, so the functions are easy to read and to check by hand.
"""
from __future__ import annotations

import re
import string
from collections import Counter
from typing import Sequence

OUTSIDE = "O"  # the NER tag for "not part of any entity"


def _check_same_length(name_a: str, a: Sequence, name_b: str, b: Sequence) -> None:
    if len(a) != len(b):
        raise ValueError(
            f"{name_a} has {len(a)} items but {name_b} has {len(b)}: they must have the same length."
        )
    if len(a) == 0:
        raise ValueError(f"{name_a}=[] is not allowed: it must contain at least one item.")


# --------------------------------------------------------------------------- classification

def accuracy(predictions: Sequence, references: Sequence) -> float:
    """Fraction of predictions equal to their reference."""
    _check_same_length("predictions", predictions, "references", references)
    return sum(p == r for p, r in zip(predictions, references)) / len(references)


def f1_per_class(predictions: Sequence, references: Sequence, labels: Sequence | None = None) -> dict:
    """F1 of each class, as ``{label: f1}``.

    ``labels`` fixes which classes are scored; by default every class that occurs in the references
    or the predictions. A class that is never predicted and never present scores 0 (it has no
    true positives), the same convention as scikit-learn's ``zero_division=0``.
    """
    _check_same_length("predictions", predictions, "references", references)
    if labels is None:
        labels = sorted(set(references) | set(predictions), key=repr)
    scores = {}
    for label in labels:
        tp = sum(p == label and r == label for p, r in zip(predictions, references))
        fp = sum(p == label and r != label for p, r in zip(predictions, references))
        fn = sum(p != label and r == label for p, r in zip(predictions, references))
        scores[label] = _f1(tp, fp, fn)
    return scores


def macro_f1(predictions: Sequence, references: Sequence, labels: Sequence | None = None) -> float:
    """Unweighted mean of the per-class F1 scores (see ``f1_per_class``)."""
    scores = f1_per_class(predictions, references, labels)
    return sum(scores.values()) / len(scores)


def _f1(tp: int, fp: int, fn: int) -> float:
    # F1 = 2PR / (P + R) = 2TP / (2TP + FP + FN); defined as 0 when there is nothing to count.
    return 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)


# --------------------------------------------------------------------------- NER

def _split_tag(tag: str) -> tuple[str, str]:
    """'B-PER' -> ('B', 'PER'); 'I-LOC' -> ('I', 'LOC'); 'O' -> ('O', ''); 'PER' -> ('I', 'PER').

    A tag with no B-/I- prefix is read as inside-tagging (IO scheme): consecutive words with the same
    type form one entity.
    """
    if tag == OUTSIDE:
        return "O", ""
    if len(tag) > 2 and tag[1] == "-" and tag[0] in "BI":
        return tag[0], tag[2:]
    return "I", tag


def get_entities(tags: Sequence[str]) -> list[tuple[str, int, int]]:
    """The entities in one tag sequence, as ``(type, first_word, last_word)`` (inclusive).

    CoNLL rules: an entity starts at a ``B-`` tag, or at an ``I-`` tag whose type differs from the
    previous word's (a stray ``I-`` is forgiven, not dropped); it ends before an ``O``, a ``B-``, or
    a change of type.
    """
    entities = []
    start, current = None, ""
    for i, tag in enumerate(list(tags) + [OUTSIDE]):  # the sentinel closes a final entity
        prefix, kind = _split_tag(tag)
        starts_new = prefix == "B" or (prefix == "I" and kind != current)
        if current and (prefix == "O" or starts_new):
            entities.append((current, start, i - 1))
            current = ""
        if prefix != "O" and starts_new:
            start, current = i, kind
    return entities


def entity_scores(predictions: Sequence[Sequence[str]], references: Sequence[Sequence[str]]) -> dict:
    """Entity-level precision, recall and F1 over a list of sentences (lists of word tags)."""
    _check_same_length("predictions", predictions, "references", references)
    tp = n_pred = n_ref = 0
    for i, (pred, ref) in enumerate(zip(predictions, references)):
        if len(pred) != len(ref):
            raise ValueError(
                f"predictions[{i}] has {len(pred)} tags but references[{i}] has {len(ref)}: "
                "each sentence needs one predicted tag per word."
            )
        pred_entities, ref_entities = set(get_entities(pred)), set(get_entities(ref))
        tp += len(pred_entities & ref_entities)
        n_pred += len(pred_entities)
        n_ref += len(ref_entities)
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_ref if n_ref else 0.0
    return {"precision": precision, "recall": recall, "f1": _f1(tp, n_pred - tp, n_ref - tp)}


def entity_f1(predictions: Sequence[Sequence[str]], references: Sequence[Sequence[str]]) -> float:
    """Entity-level F1 (micro-averaged over all entities of all sentences)."""
    return entity_scores(predictions, references)["f1"]


# --------------------------------------------------------------------------- spans (QA)

def normalize_answer(text: str) -> str:
    """SQuAD's normalisation: lower case, drop punctuation and the articles a/an/the, squash spaces."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def span_exact_match(prediction: str, reference: str) -> float:
    """1.0 if the normalised strings are equal, else 0.0."""
    return float(normalize_answer(prediction) == normalize_answer(reference))


def span_token_f1(prediction: str, reference: str) -> float:
    """F1 over the bag of normalised words shared by prediction and reference.

    If either side normalises to nothing, the score is 1.0 when both do and 0.0 otherwise.
    """
    pred_tokens = normalize_answer(prediction).split()
    ref_tokens = normalize_answer(reference).split()
    if not pred_tokens or not ref_tokens:
        return float(pred_tokens == ref_tokens)
    shared = sum((Counter(pred_tokens) & Counter(ref_tokens)).values())
    return _f1(shared, len(pred_tokens) - shared, len(ref_tokens) - shared)


def exact_match(predictions: Sequence[str], references: Sequence[str]) -> float:
    """Mean exact match over answers."""
    _check_same_length("predictions", predictions, "references", references)
    return sum(span_exact_match(p, r) for p, r in zip(predictions, references)) / len(references)


def token_f1(predictions: Sequence[str], references: Sequence[str]) -> float:
    """Mean token F1 over answers."""
    _check_same_length("predictions", predictions, "references", references)
    return sum(span_token_f1(p, r) for p, r in zip(predictions, references)) / len(references)
