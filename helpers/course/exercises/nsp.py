"""Checks of notebook 3 (next sentence prediction): exercise 4 and stretch B (the MLM + NSP loss)."""
from __future__ import annotations

import math
from typing import Iterator

import torch
import torch.nn.functional as F

from helpers.constants import CLS_ID, IGNORE_INDEX, IS_NEXT, IS_RANDOM, MASK_ID, PAD_ID, SEP_ID
from helpers.course import solutions
from helpers.course.exercises.inputs import generator, int_list, loss_problem, numpy_problem, same_number
from helpers.course.exercises.results import Finding, finding

NSP_CASES = (([11, 12, 13], [21, 22], True), ([31], [41, 42, 43, 44], False), ([51, 52], [61], True))
KEYS = ("input_ids", "token_type_ids", "next_sentence_label")

HINT_LAYOUT = "Join five pieces in this order: [CLS], the tokens of A, [SEP], the tokens of B, [SEP]."
HINT_SEGMENTS = ("Segment 0 covers [CLS], A and the [SEP] right after A: len(tokens_a) + 2 zeros. Segment 1 "
                 "covers B and the last [SEP]: len(tokens_b) + 1 ones.")
HINT_SUM = ("Two means, added: the cross-entropy of the MLM logits over the positions whose label is not -100, "
            "plus the cross-entropy of the (batch, 2) NSP logits against next_sentence_label.")
HINT_LABEL = f"Use the course's constants, not True/False: IS_NEXT (= {IS_NEXT}) when B follows A, IS_RANDOM otherwise."


# ---------------------------------------------------------------- exercise 4: one NSP example


def _token_names(case) -> dict[int, str]:
    a, b, _ = case
    names = {CLS_ID: "[CLS]", SEP_ID: "[SEP]", PAD_ID: "[PAD]", MASK_ID: "[MASK]"}
    names.update({t: f"a{i}" for i, t in enumerate(a, 1)})
    names.update({t: f"b{i}" for i, t in enumerate(b, 1)})
    return names


def _layout_problems(outputs, key: str) -> Iterator[str]:
    """What is wrong with ``key`` (input_ids or token_type_ids) in each case, in token names."""
    for case, out in zip(NSP_CASES, outputs):
        names, want = _token_names(case), solutions.nsp_example(*case)
        got, problem = int_list(out[key], key)
        if problem:
            yield problem
        elif key == "input_ids" and got != want["input_ids"]:
            read = " ".join(names.get(t, str(t)) for t in got)
            yield (f"for A = {' '.join(names[t] for t in case[0])} and B = {' '.join(names[t] for t in case[1])} "
                   f"your input_ids read: {read}")
        elif key == "token_type_ids" and got != want["token_type_ids"]:
            layout = [names[t] for t in want["input_ids"]]
            if len(got) != len(layout):
                yield f"{len(got)} segment ids for {len(layout)} tokens ({' '.join(layout)})"
            else:
                yield "your segment ids (token:segment): " + " ".join(f"{t}:{s}" for t, s in zip(layout, got))


def _label_problems(outputs) -> Iterator[str]:
    for (_, _, is_next), out in zip(NSP_CASES, outputs):
        label = out["next_sentence_label"]
        want, name = (IS_NEXT, "IS_NEXT") if is_next else (IS_RANDOM, "IS_RANDOM")
        if numpy_problem(label, "next_sentence_label"):
            yield numpy_problem(label, "next_sentence_label")
            continue
        if isinstance(label, torch.Tensor) and label.numel() == 1 and not label.is_floating_point():
            label = int(label)
        if isinstance(label, bool) or not isinstance(label, int):
            yield f"for is_next={is_next} the label is {label!r}, not an int"
        elif label != want:
            yield f"for is_next={is_next} the label is {label}, but {name} = {want}"


def check_nsp_example(nsp_example) -> Iterator[Finding]:
    outputs, unchanged = [], 0
    for a, b, is_next in NSP_CASES:
        tokens_a, tokens_b = list(a), list(b)
        out = nsp_example(tokens_a, tokens_b, is_next)
        if not isinstance(out, dict) or any(k not in out for k in KEYS):
            found = sorted(out) if isinstance(out, dict) else type(out).__name__
            yield finding("returns a dict with input_ids, token_type_ids and next_sentence_label",
                          f"it returned {found}", fatal=True)
        outputs.append(out)
        unchanged += tokens_a == a and tokens_b == b
    yield finding("returns a dict with input_ids, token_type_ids and next_sentence_label", None)
    yield finding("input_ids are laid out [CLS] A [SEP] B [SEP]",
                  "; ".join(dict.fromkeys(_layout_problems(outputs, "input_ids"))) or None, hint=HINT_LAYOUT)
    yield finding("token_type_ids are 0 on [CLS], A and the [SEP] that closes A, then 1 on B and the final [SEP]",
                  "; ".join(dict.fromkeys(_layout_problems(outputs, "token_type_ids"))) or None, hint=HINT_SEGMENTS)
    yield finding(f"next_sentence_label follows the course's convention: IS_NEXT = {IS_NEXT} (B follows A), "
                  f"IS_RANDOM = {IS_RANDOM} (B is random)", "; ".join(dict.fromkeys(_label_problems(outputs))) or None,
                  hint=HINT_LABEL)
    changed = len(NSP_CASES) - unchanged
    yield finding("tokens_a and tokens_b are left unchanged (build a new list)",
                  None if not changed else
                  f"your function changed its input lists in {changed} of {len(NSP_CASES)} calls",
                  hint="Build a new list with + (or list(...)); insert and append change the caller's list.")


# ---------------------------------------------------------------- stretch B: the loss of one pre-training step


def pretraining_inputs(seed: int):
    """MLM logits (4, 10, 30) with 4, 2, 0 and 3 selected positions per row, NSP logits (4, 2) and their labels."""
    g = generator(seed)
    prediction = (torch.randn(4, 10, 30, generator=g) * 2).requires_grad_()
    relationship = torch.randn(4, 2, generator=g).requires_grad_()
    labels = torch.full((4, 10), IGNORE_INDEX)
    for row, positions in enumerate(([1, 2, 5, 8], [3, 7], [], [1, 4, 6])):
        labels[row, positions] = torch.randint(30, (len(positions),), generator=g)
    return prediction, relationship, labels, torch.tensor([IS_NEXT, IS_RANDOM, IS_RANDOM, IS_NEXT])


def _parts(prediction, relationship, labels, next_label) -> tuple[float, float]:
    selected = labels != IGNORE_INDEX
    return (float(F.cross_entropy(prediction.detach()[selected], labels[selected])),
            float(F.cross_entropy(relationship.detach(), next_label)))


def _sum_problem(value: float, mlm: float, nsp: float) -> str | None:
    if same_number(value, mlm + nsp):
        return None
    known = {"the MLM loss alone (the NSP part is missing)": mlm, "the NSP loss alone (the MLM part is missing)": nsp,
             "half the sum (the two losses are added, not averaged)": (mlm + nsp) / 2}
    why = next((f": that is {name}" for name, v in known.items() if same_number(value, v)), "")
    return f"your loss is {value:.4f}; MLM {mlm:.4f} + NSP {nsp:.4f} = {mlm + nsp:.4f}{why}"


def _both_gradients(loss, prediction, relationship) -> str | None:
    if not loss.requires_grad:
        return "your loss carries no gradient (.item(), .detach() or torch.no_grad() break the graph)"
    grads = torch.autograd.grad(loss, [prediction, relationship], allow_unused=True)
    missing = [name for name, g in zip(("the MLM logits", "the NSP logits"), grads)
               if g is None or float(g.abs().sum()) == 0]
    return f"no gradient reaches {' or '.join(missing)}" if missing else None


def check_pretraining_loss(pretraining_loss) -> Iterator[Finding]:
    prediction, relationship, labels, next_label = pretraining_inputs(61)
    loss = pretraining_loss(prediction, relationship, labels.clone(), next_label.clone())
    yield finding("returns the loss as a 0-dim float tensor", loss_problem(loss), fatal=True)
    value, (mlm, nsp) = float(loss.detach()), _parts(prediction, relationship, labels, next_label)
    yield finding("the loss is a finite number, even when a sequence has no selected position",
                  None if math.isfinite(value) else f"your loss is {value} on a batch where row 2 selects nothing")
    yield finding("the loss is the MLM loss (mean over the selected positions) plus the NSP loss (mean over the pairs)",
                  _sum_problem(value, mlm, nsp), hint=HINT_SUM)
    noisy = prediction.detach().clone()
    noisy[labels == IGNORE_INDEX] += torch.randn(noisy[labels == IGNORE_INDEX].shape, generator=generator(62)) * 5
    changed = float(pretraining_loss(noisy, relationship.detach(), labels.clone(), next_label.clone()))
    yield finding("changing the MLM logits at unselected positions leaves the loss unchanged",
                  None if same_number(changed, value) else
                  f"changing the MLM logits at positions labelled {IGNORE_INDEX} changed your loss from {value:.4f} "
                  f"to {changed:.4f}", hint=HINT_SUM)
    flipped = float(pretraining_loss(prediction.detach(), relationship.detach().flip(-1), labels.clone(),
                                     next_label.clone()))
    yield finding("the NSP part reads the pair labels (swapping the two NSP logits changes the loss)",
                  None if not same_number(flipped, value) else "swapping the two NSP logits of every pair left your "
                                                               "loss unchanged")
    yield finding("gradient flows back to both the MLM logits and the NSP logits",
                  _both_gradients(loss, prediction, relationship))


SECTIONS = {
    "nsp-example": (check_nsp_example,),
    "pretraining-loss": (check_pretraining_loss,),
}
