"""Checks of notebook 2 (masked language modelling): exercises 1 to 3 and stretch A.

Each check is a generator of findings, one per property, over fixed seeded inputs. The properties
are about behaviour, never about the learner's code: "no special token is ever selected", "the
80/10/10 outcome is drawn for each token on its own" (two selected tokens of one sequence share an
outcome about as often as the shares predict, not always), "changing the logits at unselected
positions leaves the loss alone", ...
"""
from __future__ import annotations

import math
from typing import Iterator

import torch
import torch.nn.functional as F

from helpers.constants import IGNORE_INDEX, MASK_ID, PAD_ID, SEP_ID
from helpers.course import solutions
from helpers.course.exercises.inputs import (VOCAB_SIZE, generator, loss_problem, pair_batch, percent,
                                             same_number, tensor_problem)
from helpers.course.exercises.properties import randomness_findings
from helpers.course.exercises.results import Finding, finding

HINT_SPECIALS = ("special_tokens_mask is 1 exactly where selection is forbidden: a position can be selected only "
                 "where it is 0.")
HINT_RATE = ("Compare each position's uniform draw in [0, 1) with mlm_probability itself (not a fixed number): "
             "a draw falls below p with probability p.")
HINT_PER_TOKEN = ("Draw one random number per position (the full (batch, seq) shape), not one per sequence or "
                  "one per column: each token's fate must be its own.")
HINT_LABELS = ("The labels come from the input before any change: the original id where selected, -100 "
               "everywhere else (torch.where, or a tensor full of -100 that you fill in).")
HINT_COPY = "Clone input_ids first and change only the clone; the caller still needs the original."
HINT_MEAN = ("Keep only the rows of logits whose label is not -100, then take the mean cross-entropy over those "
             "rows: F.cross_entropy averages for you, and ignore_index=-100 does the selecting too.")


# ---------------------------------------------------------------- exercise 1: choose the positions


def _selection_spread(choose) -> Iterator[Finding]:
    """Different sequences get different positions, and every ordinary position can be chosen.

    ``choose(input_ids, special_tokens_mask, generator)`` calls the learner's selection function.
    """
    same_ids, same_special = pair_batch(200, 40, seed=2, same_layout=True)
    chosen = torch.as_tensor(choose(same_ids, same_special.clone(), generator(13))).bool()
    patterns = len({tuple(row.nonzero().flatten().tolist()) for row in chosen})
    yield finding("sequences get different random positions (at least 180 different selections among 200 "
                  "sequences of the same layout)",
                  None if patterns >= 180 else f"200 sequences with the same layout got only {patterns} different "
                                               f"selections", hint=HINT_PER_TOKEN)
    positions = (same_special[0] == 0).nonzero().flatten().tolist()
    per_position = chosen.sum(0)
    never = [p for p in positions if int(per_position[p]) < 10]
    yield finding("every ordinary position is a candidate (each is selected in at least 10 of 200 sequences)",
                  None if not never else
                  f"ordinary position(s) {', '.join(map(str, never[:8]))}{' ...' if len(never) > 8 else ''} "
                  f"were selected in fewer than 10 of 200 sequences", hint=HINT_RATE)


def check_choose_positions(choose) -> Iterator[Finding]:
    ids, special = pair_batch(200, 48, seed=1)
    ordinary = special == 0
    selected = choose(special.clone(), mlm_probability=0.15, generator=generator(11))
    yield finding("returns a True/False tensor shaped like special_tokens_mask (batch, seq)",
                  tensor_problem(selected, "your selection", special.shape, kind="bool"), fatal=True)
    selected = selected.bool()

    is_cls = torch.zeros_like(ordinary)
    is_cls[:, 0] = True  # [CLS] is position 0; a [SEP] or [PAD] is any other special position
    counts = {"[CLS]": int((selected & is_cls).any(1).sum()),
              "a [SEP]": int((selected & (ids == SEP_ID)).any(1).sum()),
              "a [PAD]": int((selected & (ids == PAD_ID)).any(1).sum())}
    bad = [f"{n} of {ids.shape[0]} sequences had {name} selected" for name, n in counts.items() if n]
    yield finding("special tokens ([CLS], [SEP], [PAD]) are never selected",
                  "; ".join(bad) + "; special tokens must never be selected" if bad else None, hint=HINT_SPECIALS)

    n_ordinary, n_chosen = int(ordinary.sum()), int((selected & ordinary).sum())
    yield finding("about 15% of the ordinary tokens are selected (13% to 17% over 200 sequences)",
                  None if 0.13 <= n_chosen / n_ordinary <= 0.17 else
                  f"{n_chosen} of {n_ordinary} ordinary tokens were selected ({percent(n_chosen, n_ordinary)})",
                  hint=HINT_RATE)
    other = choose(special.clone(), mlm_probability=0.4, generator=generator(12))
    rate = int((torch.as_tensor(other).bool() & ordinary).sum()) / n_ordinary
    yield finding("the rate follows mlm_probability (0.4 selects 37% to 43% of the ordinary tokens)",
                  None if 0.37 <= rate <= 0.43 else
                  f"with mlm_probability=0.4, {100 * rate:.1f}% of the ordinary tokens were selected", hint=HINT_RATE)
    yield from _selection_spread(lambda _ids, s, g: choose(s, mlm_probability=0.15, generator=g))
    yield from randomness_findings(
        lambda g: torch.as_tensor(choose(special.clone(), mlm_probability=0.15, generator=g)).bool(), "selection")


# ---------------------------------------------------------------- exercise 2: corrupt and label


def _fates(before: torch.Tensor, after: torch.Tensor) -> torch.Tensor:
    """0 = became [MASK], 1 = became another token, 2 = kept, per position."""
    return torch.where(after == MASK_ID, 0, torch.where(after == before, 2, 1))


def _same_fate_share(fates: torch.Tensor, selected: torch.Tensor, dim: int) -> float:
    """Among pairs of selected positions in one row (dim=1) or one column (dim=0): the share with the same fate."""
    counts = torch.stack([((fates == f) & selected).sum(dim) for f in range(3)]).double()
    pairs = lambda n: n * (n - 1) / 2  # noqa: E731
    total = float(pairs(counts.sum(0)).sum())
    return float(pairs(counts).sum()) / total if total else float("nan")


def _equal_pairs(values: torch.Tensor, where: torch.Tensor) -> tuple[int, int]:
    """Over the rows of ``values``: (pairs of ``where`` positions holding the same id, all such pairs)."""
    equal = total = 0
    for row, keep in zip(values, where):
        ids = row[keep]
        equal += int((ids[:, None] == ids[None, :]).triu(1).sum())
        total += ids.numel() * (ids.numel() - 1) // 2
    return equal, total


def _independence(original, corrupted, selected) -> Iterator[Finding]:
    """The 80/10/10 outcome and the random ids are drawn per token, not per sequence or per column."""
    fates = _fates(original, corrupted)
    shares = torch.stack([((fates == f) & selected).sum() for f in range(3)]).double() / selected.sum()
    expected = float((shares ** 2).sum())
    problems = []
    for dim, where in ((1, "sequence"), (0, "position")):
        share = _same_fate_share(fates, selected, dim)
        if share > expected + 0.05:
            problems.append(f"two selected tokens of the same {where} got the same outcome {share:.0%} of the time; "
                            f"independent draws give about {expected:.0%}")
    yield finding("the 80/10/10 outcome is drawn for each token on its own (not once per sequence or per position)",
                  "; ".join(problems) or None, hint=HINT_PER_TOKEN)

    randomised = selected & (fates == 1)
    problems = []
    for values, where, name in ((corrupted, randomised, "sequence"), (corrupted.T, randomised.T, "position")):
        equal, total = _equal_pairs(values, where)
        if total and equal / total > 0.05:
            problems.append(f"{equal} of {total} pairs of random replacements in the same {name} are the same id")
    yield finding("each random replacement is its own draw (not one random id per sequence or per position)",
                  "; ".join(problems) or None, hint=HINT_PER_TOKEN)


def _random_range(before, after) -> str | None:
    random_ids = after[(after != MASK_ID) & (after != before)]
    if random_ids.numel() == 0:
        return "no selected token was replaced by a random one"
    low, high = int(random_ids.min()), int(random_ids.max())
    if low < 0 or high >= VOCAB_SIZE:
        return f"a random replacement was {low if low < 0 else high}"
    if random_ids.unique().numel() < max(20, random_ids.numel() // 4):
        return f"the {random_ids.numel()} random replacements used only {random_ids.unique().numel()} different ids"
    return None


def _corrupt_output(out, shape) -> Finding:
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        length = f" of length {len(out)}" if isinstance(out, (tuple, list)) else ""
        return finding("returns two tensors: (corrupted_input_ids, labels)",
                       f"it returned {type(out).__name__}{length}", fatal=True)
    problem = (tensor_problem(out[0], "corrupted_input_ids", shape, kind="long")
               or tensor_problem(out[1], "labels", shape, kind="long"))
    return finding("returns two LongTensors shaped like input_ids: (corrupted_input_ids, labels)", problem, fatal=True)


def _labels_findings(original, corrupted, labels, selected) -> Iterator[Finding]:
    unselected, n_sel = ~selected, int(selected.sum())
    moved = int((corrupted[unselected] != original[unselected]).sum())
    yield finding("unselected positions keep their token",
                  None if not moved else f"{moved} of {int(unselected.sum())} unselected positions were changed")
    wrong = labels[unselected] != IGNORE_INDEX
    example = f" (for example {int(labels[unselected][wrong][0])})" if bool(wrong.any()) else ""
    yield finding(f"labels are {IGNORE_INDEX} (IGNORE_INDEX) at every unselected position, so the loss skips them",
                  None if not bool(wrong.any()) else
                  f"{int(wrong.sum())} of {int(unselected.sum())} unselected positions have a label other than "
                  f"{IGNORE_INDEX}{example}", hint=HINT_LABELS)
    wrong = labels[selected] != original[selected]
    why = ("; their label is the corrupted token, but it must be the original one"
           if bool(wrong.any()) and bool((labels[selected] == corrupted[selected])[wrong].all()) else "")
    yield finding("labels hold the original token at every selected position",
                  None if not bool(wrong.any()) else
                  f"{int(wrong.sum())} of {n_sel} selected positions have a label that is not the original token{why}",
                  hint=HINT_LABELS)


def check_corrupt(corrupt) -> Iterator[Finding]:
    ids, special = pair_batch(400, 48, seed=3)
    selected = solutions.choose_positions(special, mlm_probability=0.5, generator=generator(21))
    original = ids.clone()
    out = corrupt(ids, selected.clone(), vocab_size=VOCAB_SIZE, mask_token_id=MASK_ID, generator=generator(22))
    yield _corrupt_output(out, ids.shape)
    corrupted, labels = out
    changed = int((ids != original).sum())
    yield finding("input_ids itself is left unchanged (work on a copy)",
                  None if not changed else f"{changed} positions of the input_ids you were given were changed in place",
                  hint=HINT_COPY)
    yield from _labels_findings(original, corrupted, labels, selected)

    after, before, n_sel = corrupted[selected], original[selected], int(selected.sum())
    masked, kept = int((after == MASK_ID).sum()), int((after == before).sum())
    shares = (masked / n_sel, (n_sel - masked - kept) / n_sel, kept / n_sel)
    yield finding("of the selected tokens about 80% become [MASK], 10% a random token, 10% stay unchanged "
                  "(each within 2.5 points)",
                  None if all(abs(s - t) <= 0.025 for s, t in zip(shares, (0.8, 0.1, 0.1))) else
                  f"{percent(masked, n_sel)} [MASK], {percent(n_sel - masked - kept, n_sel)} random token, "
                  f"{percent(kept, n_sel)} unchanged (of {n_sel} selected)",
                  hint="One uniform draw per position decides: below 0.8 [MASK], from 0.8 to 0.9 random, the rest "
                       "kept.")
    yield finding(f"random replacements are drawn from the whole vocabulary (ids 0 to vocab_size - 1 = "
                  f"{VOCAB_SIZE - 1})",
                  _random_range(before, after), hint="torch.randint(vocab_size, shape, generator=generator) draws "
                                                     "ids over the whole vocabulary.")
    yield from _independence(original, corrupted, selected)
    yield from randomness_findings(
        lambda g: corrupt(original.clone(), selected.clone(), vocab_size=VOCAB_SIZE, mask_token_id=MASK_ID,
                          generator=g)[0], "corruption")


# ---------------------------------------------------------------- exercise 3: the MLM loss


def loss_inputs(seed: int):
    """logits (4, 12, 50) and labels with 5, 1, 0 and 3 selected positions in the four rows."""
    g = generator(seed)
    logits = (torch.randn(4, 12, 50, generator=g) * 2).requires_grad_()
    labels = torch.full((4, 12), IGNORE_INDEX)
    for row, positions in enumerate(([1, 3, 4, 7, 9], [5], [], [2, 6, 10])):
        labels[row, positions] = torch.randint(50, (len(positions),), generator=g)
    return logits, labels


def _gradient_problem(loss, logits, selected) -> str | None:
    if not loss.requires_grad:
        return "your loss carries no gradient (.item(), .detach(), argmax or a Python number break the graph)"
    grad, = torch.autograd.grad(loss, logits, allow_unused=True)
    if grad is None or float(grad[selected].abs().sum()) == 0:
        return "the gradient of your loss is zero at the selected positions"
    if float(grad[~selected].abs().sum()) != 0:
        return "your loss sends gradient to unselected positions"
    return None


def check_mlm_loss(mlm_loss) -> Iterator[Finding]:
    logits, labels = loss_inputs(31)
    loss = mlm_loss(logits, labels.clone())
    yield finding("returns the loss as a 0-dim float tensor", loss_problem(loss), fatal=True)
    value = float(loss.detach())
    yield finding("the loss is a finite number, even when a sequence has no selected position",
                  None if math.isfinite(value) else f"your loss is {value} on a batch where row 2 selects nothing",
                  hint="Average over all the batch's selected positions at once, not per sequence: a sequence "
                       "with none selected would divide by zero.")
    selected = labels != IGNORE_INDEX
    expected = float(F.cross_entropy(logits.detach()[selected], labels[selected]))
    yield finding("the loss is the mean cross-entropy over the batch's selected positions (each counts once)",
                  None if same_number(value, expected) else
                  f"your loss is {value:.4f}; the mean cross-entropy over the {int(selected.sum())} selected "
                  f"positions is {expected:.4f}", hint=HINT_MEAN)
    noisy = logits.detach().clone()
    noisy[~selected] += torch.randn(noisy[~selected].shape, generator=generator(32)) * 5
    changed = float(mlm_loss(noisy, labels.clone()))
    yield finding("only the selected positions count: changing the logits anywhere else leaves the loss unchanged",
                  None if same_number(changed, value) else
                  f"changing the logits at unselected positions (label {IGNORE_INDEX}) changed your loss "
                  f"from {value:.4f} to {changed:.4f}", hint=HINT_MEAN)
    doubled = float(mlm_loss(torch.cat([logits.detach()] * 2), torch.cat([labels, labels])))
    yield finding("the loss is a mean, not a sum: the same batch twice gives the same loss",
                  None if same_number(doubled, value) else
                  f"repeating the batch twice changed your loss from {value:.4f} to {doubled:.4f}", hint=HINT_MEAN)
    yield finding("gradient flows back to the logits at the selected positions (and only there)",
                  _gradient_problem(loss, logits, selected),
                  hint="Compute the loss with torch operations on logits all the way: no .item(), .detach(), "
                       "torch.no_grad() or torch.tensor(...) around a number.")


# ---------------------------------------------------------------- stretch A: a fixed count per sequence


HINT_COUNT = ("n counts the real tokens of a row, [CLS] and [SEP] included and [PAD] not: attention_mask.sum(-1). "
              "The count is min(max_predictions, max(1, round(mlm_probability * n))).")


def fixed_count(n: int, mlm_probability: float, max_predictions: int) -> set[int]:
    """The counts Google's create_pretraining_data.py allows for n real tokens (both roundings at an exact half)."""
    x = n * mlm_probability
    rounded = {math.floor(x), math.ceil(x)} if abs(x - math.floor(x) - 0.5) < 1e-4 else {round(x)}
    return {min(max_predictions, max(1, k)) for k in rounded}


def _count_problems(choose, special, attention) -> list[str]:
    problems = []
    for p, cap in ((0.15, 20), (0.5, 10), (0.01, 20)):
        chosen = torch.as_tensor(choose(special.clone(), attention.clone(), mlm_probability=p, max_predictions=cap,
                                        generator=generator(41))).bool()
        for row in range(special.shape[0]):
            n, got = int(attention[row].sum()), int(chosen[row].sum())
            allowed = fixed_count(n, p, cap)
            if got not in allowed:
                problems.append(f"with mlm_probability={p} and max_predictions={cap}, a row of {n} real tokens "
                                f"needs {min(allowed)} selected positions; yours selected {got}")
                break
    return problems


def check_fixed_count(choose) -> Iterator[Finding]:
    ids, special = pair_batch(200, 48, seed=4)
    attention = (ids != PAD_ID).long()
    selected = choose(special.clone(), attention.clone(), mlm_probability=0.15, max_predictions=20,
                      generator=generator(40))
    yield finding("returns a True/False tensor shaped like special_tokens_mask (batch, seq)",
                  tensor_problem(selected, "your selection", special.shape, kind="bool"), fatal=True)
    on_special = int((selected.bool() & (special == 1)).any(1).sum())
    yield finding("special tokens ([CLS], [SEP], [PAD]) are never selected",
                  None if not on_special else f"{on_special} of 200 sequences had a special token selected",
                  hint=HINT_SPECIALS)
    yield finding("each sequence gets exactly min(max_predictions, max(1, round(mlm_probability x n))) positions, "
                  "n = its real tokens with [CLS] and [SEP]",
                  "; ".join(_count_problems(choose, special, attention)) or None, hint=HINT_COUNT)
    yield from _selection_spread(lambda i, s, g: choose(s, (i != PAD_ID).long(), mlm_probability=0.15,
                                                        max_predictions=20, generator=g))
    yield from randomness_findings(
        lambda g: torch.as_tensor(choose(special.clone(), attention.clone(), mlm_probability=0.15,
                                         max_predictions=20, generator=g)).bool(), "selection")


SECTIONS = {
    "mlm-choose-positions": (check_choose_positions,),
    "mlm-corrupt": (check_corrupt,),
    "mlm-loss": (check_mlm_loss,),
    "mlm-fixed-count": (check_fixed_count,),
}
