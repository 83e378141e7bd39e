"""Checks of notebook 5 (fine-tuning heads): exercise 5, a [CLS] head and a per-token head.

Both heads get the encoder's output (``last_hidden_state``), an ``nn.Linear`` classifier and the
labels. Beyond "the loss is the cross-entropy of your logits" (which wrong logits also pass), the
checks compare the logits with the classifier applied at the right positions, and follow the
gradient back to the classifier's weights and to the encoder's output.
"""
from __future__ import annotations

from typing import Iterator

import torch
import torch.nn.functional as F

from helpers.constants import IGNORE_INDEX
from helpers.course.exercises.inputs import close, generator, loss_problem, same_number
from helpers.course.exercises.results import Finding, finding

BATCH, SEQ, HIDDEN, LABELS = 4, 9, 16, 3

HINT_RAW = ("The logits are the classifier's output itself: classifier(vectors). The classifier adds its bias; "
            "cross-entropy applies the softmax, so the head must not.")
HINT_GRADIENT = ("Fine-tuning trains the head and the encoder through this loss: compute it from the logits with "
                 "torch operations, without torch.no_grad(), .detach() or .item().")
HINT_DROPOUT = ("Call only the classifier you are given: no dropout (it draws new random numbers every call) and "
                "no new layers inside the function.")


def head_inputs(seed: int):
    """(generator, last_hidden_state (4, 9, 16), classifier nn.Linear(16, 3) with fixed weights and bias)."""
    g = generator(seed)
    hidden = torch.randn(BATCH, SEQ, HIDDEN, generator=g)
    classifier = torch.nn.Linear(HIDDEN, LABELS)
    with torch.no_grad():
        classifier.weight.copy_(torch.randn(LABELS, HIDDEN, generator=g) * 0.5)
        classifier.bias.copy_(torch.randn(LABELS, generator=g) * 0.3)
    return g, hidden, classifier


def pair_problem(out, name: str, logits_shape: tuple) -> str | None:
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        return f"{name} returned {type(out).__name__}, not a pair (logits, loss)"
    logits, loss = out
    if not isinstance(logits, torch.Tensor) or tuple(logits.shape) != logits_shape:
        shape = tuple(logits.shape) if isinstance(logits, torch.Tensor) else type(logits).__name__
        return f"the logits have shape {shape}, not {logits_shape}"
    return loss_problem(loss) and "the loss: " + loss_problem(loss)


def _repeatable(head, hidden, classifier, labels, logits) -> Finding:
    with torch.no_grad():
        again = head(hidden.clone(), classifier, labels.clone())[0]
    return finding("the same input gives the same logits", None if close(again, logits.detach()) else
                   "the same input gave different logits twice: is dropout on, or is a new layer made inside "
                   "your function?", fatal=True, hint=HINT_DROPOUT)


def logits_problem(logits: torch.Tensor, vectors: torch.Tensor, classifier, where: str) -> str | None:
    """None if ``logits`` are ``classifier(vectors)``; else what they are instead, if it is a known mistake."""
    with torch.no_grad():
        want = classifier(vectors)
        known = {"the classifier's output without its bias": vectors @ classifier.weight.T,
                 "probabilities (the softmax of the classifier's output): return the raw scores": want.softmax(-1),
                 "log-probabilities (log_softmax of the classifier's output): return the raw scores":
                     want.log_softmax(-1)}
    if close(logits, want, tol=1e-4):
        return None
    what = next((name for name, value in known.items() if close(logits, value, tol=1e-4)), None)
    if what:
        return f"your logits are {what}"
    gap = float((logits - want).abs().max())
    return f"your logits differ from the classifier applied to {where} by up to {gap:.3g}"


def gradient_problem(head, hidden, classifier, labels) -> str | None:
    """None if the loss sends gradient to the classifier's weights and to the encoder's output."""
    hidden = hidden.clone().requires_grad_()
    loss = head(hidden, classifier, labels.clone())[1]
    if not loss.requires_grad:
        return ("your loss carries no gradient at all (computed under torch.no_grad(), or from .detach() or "
                ".item()?)")
    weight, vectors = torch.autograd.grad(loss, [classifier.weight, hidden], allow_unused=True)
    missing = [name for name, g in (("the classifier's weights", weight), ("the encoder's output", vectors))
               if g is None or float(g.abs().sum()) == 0]
    if missing:
        return f"no gradient reaches {' or '.join(missing)} (a .detach() or torch.no_grad() on the way?)"
    return None


def check_sequence_head(sequence_head) -> Iterator[Finding]:
    g, hidden, classifier = head_inputs(51)
    labels = torch.randint(LABELS, (BATCH,), generator=g)
    out = sequence_head(hidden.clone(), classifier, labels.clone())
    yield finding(f"returns (logits, loss): logits (batch, num_labels) = {(BATCH, LABELS)}, one row per input",
                  pair_problem(out, "sequence_head", (BATCH, LABELS)), fatal=True)
    logits, loss = out
    yield _repeatable(sequence_head, hidden, classifier, labels, logits)

    others, first = hidden.clone(), hidden.clone()
    others[:, 1:] += torch.randn(others[:, 1:].shape, generator=g)
    first[:, 0] += torch.randn(first[:, 0].shape, generator=g)
    with torch.no_grad():
        moved_others = not close(sequence_head(others, classifier, labels.clone())[0], logits.detach())
        moved_first = not close(sequence_head(first, classifier, labels.clone())[0], logits.detach())
    problems = []
    if moved_others:
        problems.append(f"changing only the vectors at positions 1 to {SEQ - 1} changed your logits")
    if not moved_first:
        problems.append("changing the vector at position 0 ([CLS]) did not change your logits")
    yield finding("the logits are read from the [CLS] vector (position 0) only", "; ".join(problems) or None,
                  hint="Position 0 of every row is [CLS]: last_hidden_state[:, 0] is the (batch, hidden) matrix "
                       "of those vectors.")
    yield finding("the logits are the classifier's output on the [CLS] vectors",
                  logits_problem(logits.detach(), hidden[:, 0], classifier, "the [CLS] vectors"), hint=HINT_RAW)
    expected = float(F.cross_entropy(logits.detach(), labels))
    yield finding("the loss is the cross-entropy of the logits against the labels (mean over the batch)",
                  None if same_number(float(loss.detach()), expected) else
                  f"your loss is {float(loss.detach()):.4f}; the cross-entropy of your logits against labels is "
                  f"{expected:.4f}", hint="F.cross_entropy takes the raw logits and the class ids and averages.")
    yield finding("the loss sends gradient to the classifier's weights and to the encoder's output",
                  gradient_problem(sequence_head, hidden, classifier, labels), hint=HINT_GRADIENT)


def _token_labels(g: torch.Generator) -> torch.Tensor:
    labels = torch.randint(LABELS, (BATCH, SEQ), generator=g)
    labels[:, 0] = labels[:, -1] = IGNORE_INDEX      # [CLS] and [SEP] carry no tag
    labels[1, 3:5] = labels[3, 6] = IGNORE_INDEX     # later word-pieces of a word, say
    return labels


def _position_findings(token_head, hidden, classifier, labels, logits, loss, g) -> Iterator[Finding]:
    moved = hidden.clone()
    moved[:, 4] += torch.randn(moved[:, 4].shape, generator=g)
    with torch.no_grad():
        new = token_head(moved, classifier, labels.clone())[0]
    changed = sorted({int(p) for p in (~torch.isclose(new, logits, atol=1e-5)).any(-1).nonzero()[:, 1]})
    yield finding("each position's logits are read from that position's vector",
                  None if changed == [4] else
                  f"changing only the vectors at position 4 changed your logits at position(s) "
                  f"{', '.join(map(str, changed)) or 'none'}",
                  hint="Apply the classifier to the whole (batch, seq, hidden) tensor: nn.Linear works on the last "
                       "dimension and keeps the others.")
    ignored = labels == IGNORE_INDEX
    moved = hidden.clone()
    moved[ignored] += torch.randn(moved[ignored].shape, generator=g) * 3
    with torch.no_grad():
        changed_loss = float(token_head(moved, classifier, labels.clone())[1])
    yield finding(f"positions labelled {IGNORE_INDEX} are left out of the loss",
                  None if same_number(changed_loss, loss) else
                  f"changing only the vectors at positions labelled {IGNORE_INDEX} changed your loss from "
                  f"{loss:.4f} to {changed_loss:.4f}",
                  hint="cross-entropy skips the targets equal to ignore_index (-100 by default) when the logits are "
                       "flattened to (batch x seq, num_labels) and the labels to (batch x seq).")


def check_token_head(token_head) -> Iterator[Finding]:
    g, hidden, classifier = head_inputs(52)
    labels = _token_labels(g)
    out = token_head(hidden.clone(), classifier, labels.clone())
    yield finding(f"returns (logits, loss): logits (batch, seq, num_labels) = {(BATCH, SEQ, LABELS)}, "
                  f"one row per token", pair_problem(out, "token_head", (BATCH, SEQ, LABELS)), fatal=True)
    logits, loss = out[0].detach(), float(out[1].detach())
    yield _repeatable(token_head, hidden, classifier, labels, logits)
    yield from _position_findings(token_head, hidden, classifier, labels, logits, loss, g)
    yield finding("the logits are the classifier's output at every position",
                  logits_problem(logits, hidden, classifier, "every position"), hint=HINT_RAW)
    kept = labels != IGNORE_INDEX
    expected = float(F.cross_entropy(logits[kept], labels[kept]))
    yield finding("the loss is the mean cross-entropy over the labelled positions",
                  None if same_number(loss, expected) else
                  f"your loss is {loss:.4f}; the mean cross-entropy of your logits over the {int(kept.sum())} "
                  f"labelled positions is {expected:.4f}",
                  hint="One mean over all labelled positions of the batch (not a sum, not a mean of row means).")
    yield finding("the loss sends gradient to the classifier's weights and to the encoder's output",
                  gradient_problem(token_head, hidden, classifier, labels), hint=HINT_GRADIENT)


SECTIONS = {"heads": (check_sequence_head, check_token_head)}
