"""Coding exercises: the learner writes a function in the notebook, a check tests it on the spot.

An exercise is two cells. The first holds a skeleton (signature, docstring, and a body that
raises ``NotImplementedError``) for the learner to fill in; the second calls a check::

    check_choose_positions(choose_positions)

The check runs the function on small, fixed inputs and tests readable properties ("special tokens
are never selected", "about 15% of the ordinary tokens are selected", ...). For each property it
shows a tick, or what the function did and what is required. It never shows a solution: a
reference solution (``helpers.course.solutions``) can be revealed with a button once the learner
has tried at least once, and a saved copy of the notebook (no kernel) shows it folded away, as the
quizzes do. A skeleton that still raises ``NotImplementedError`` gets a friendly "not yet".

Checks are deterministic: every input comes from a fixed seed, the global random state is forked
(a learner's ``torch.rand`` without a generator still gives the same numbers every run, and the
caller's random state is left alone), and statistical properties have tolerances that a correct
function meets every time. Each check takes well under 2 seconds.

Every checked attempt is saved with the learner's progress (``record_exercise``) and shows in
notebook 0's progress plot.

The payoff: :func:`as_mask_fn` turns the learner's two masking functions (exercises 1 and 2) into
the ``mask_fn`` that :func:`helpers.training.pretraining.pretrain` accepts, and
:func:`pretrain_with_your_masking` pre-trains a small model with it.
"""
from __future__ import annotations

import dataclasses
import html
import inspect
import math
import os
import time
import traceback
from dataclasses import dataclass, field
from typing import Callable, Iterator

import ipywidgets as widgets
import torch
import torch.nn.functional as F

from helpers.constants import CLS_ID, IGNORE_INDEX, IS_NEXT, IS_RANDOM, MASK_ID, PAD_ID, SEP_ID
from helpers.course import solutions
from helpers.course.progress import ProgressStore, record_exercise
from helpers.course.quiz import StaticFallback, save_or_report
from helpers.errors import show
from helpers.training.pretraining import PRESETS, pretrain

VOCAB_SIZE = 1000        # the vocabulary of the check inputs; ids 0..4 are the special tokens
FIRST_ORDINARY_ID = 5
CHECK_SEED = 0           # the global torch seed inside a check (for learner code that uses no generator)


# ---------------------------------------------------------------- the exercises


@dataclass(frozen=True)
class Exercise:
    id: str
    number: int                         # 1..5, the order through the course
    notebook: int
    title: str
    short: str                          # a few words, for the progress plot
    functions: tuple[str, ...]          # the names of the learner's functions, in the check's order
    solutions: tuple[Callable, ...]     # the reference implementations (revealed after a try)


EXERCISES: dict[str, Exercise] = {e.id: e for e in (
    Exercise("mlm-choose-positions", 1, 2, "Choose the positions to predict", "choose positions",
             ("choose_positions",),
             (solutions.choose_positions,)),
    Exercise("mlm-corrupt", 2, 2, "Corrupt the selected tokens 80/10/10 and make the labels",
             "80/10/10 and labels", ("corrupt",),
             (solutions.corrupt,)),
    Exercise("mlm-loss", 3, 2, "The MLM loss, at the selected positions only", "MLM loss",
             ("mlm_loss",),
             (solutions.mlm_loss,)),
    Exercise("nsp-example", 4, 3, "Build one NSP example", "NSP example", ("nsp_example",), (solutions.nsp_example,)),
    Exercise("heads", 5, 5, "A [CLS] head and a per-token head", "two heads",
             ("sequence_head", "token_head"),
             (solutions.sequence_head, solutions.token_head)),
)}


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class Finding:
    """One tested property: the rule in words, whether it held, and (if not) what was observed."""
    requirement: str
    passed: bool
    observed: str = ""
    fatal: bool = False  # a failure here makes the later properties meaningless (wrong shape, ...)


def _finding(requirement: str, problem: str | None, *, fatal: bool = False) -> Finding:
    return Finding(requirement, problem is None, problem or "", fatal)


@dataclass
class SectionResult:
    function: str                      # the learner's function this part tested
    findings: list[Finding] = field(default_factory=list)
    not_yet: bool = False              # it still raises NotImplementedError
    unchecked: bool = False            # later properties were skipped after a fatal failure or an error

    @property
    def passed(self) -> bool:
        return not self.not_yet and bool(self.findings) and all(f.passed for f in self.findings)


@dataclass
class CheckResult:
    exercise: Exercise
    sections: list[SectionResult]
    seconds: float

    @property
    def not_yet(self) -> bool:
        """Nothing attempted: every function still raises NotImplementedError."""
        return all(s.not_yet for s in self.sections)

    @property
    def passed(self) -> bool:
        return all(s.passed for s in self.sections)

    @property
    def findings(self) -> list[Finding]:
        return [f for s in self.sections for f in s.findings]

    @property
    def failures(self) -> list[Finding]:
        return [f for f in self.findings if not f.passed]

    def headline(self) -> str:
        e = self.exercise
        head = f"Exercise {e.number}: {e.title}"
        if self.not_yet:
            return (f"{head}. Not yet: replace the line raise NotImplementedError(...) with your code, run that "
                    f"cell, then run this check again.")
        if self.passed:
            return f"{head}. ✓ Passed: all {len(self.findings)} checks hold (checked in {self.seconds:.2f} s)."
        waiting = [s.function for s in self.sections if s.not_yet]
        if not self.failures:
            done = [s.function for s in self.sections if s.passed]
            return (f"{head}. Half way: {', '.join(done)} passes its checks; {', '.join(waiting)} is not written "
                    f"yet (checked in {self.seconds:.2f} s).")
        more = f"; {', '.join(waiting)} not written yet" if waiting else ""
        return (f"{head}. ✗ Not there yet: {len(self.failures)} of {len(self.findings)} checks fail{more} "
                f"(checked in {self.seconds:.2f} s).")

    def lines(self) -> list[tuple[str, str, str]]:
        """(mark, text, observed) rows for display; mark is ✓, ✗, or … (not written / not checked)."""
        rows = []
        if self.not_yet:
            return rows
        for s in self.sections:
            if s.not_yet:
                rows.append(("…", f"{s.function}: not written yet (it still raises NotImplementedError)", ""))
                continue
            prefix = f"{s.function}: " if len(self.sections) > 1 else ""
            for f in s.findings:
                rows.append(("✓" if f.passed else "✗", prefix + f.requirement, f.observed))
            if s.unchecked:
                rows.append(("…", prefix + "the remaining checks wait until the ones above pass.", ""))
        return rows

    def text(self) -> str:
        out = [self.headline()]
        for mark, text, observed in self.lines():
            out.append(f"  {mark} {text}")
            if observed:
                out.append(f"      observed: {observed}")
        return "\n".join(out)


# ---------------------------------------------------------------- running a check


class _Stop(Exception):
    """Raised inside a section to stop it (after yielding a fatal failure)."""


def _learner_location(err: BaseException) -> str:
    """Where in the learner's code an error happened: the last frame outside this package and torch."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    torch_dir = os.path.dirname(os.path.abspath(torch.__file__))
    frames = [f for f in traceback.extract_tb(err.__traceback__)
              if not os.path.abspath(f.filename).startswith((package, torch_dir))]
    if not frames:
        return ""
    frame = frames[-1]
    code = f": {frame.line.strip()}" if frame.line else ""
    return f" (in {frame.name}, line {frame.lineno}{code})"


def run_check(exercise_id: str, *functions: Callable) -> CheckResult:
    """Run an exercise's checks on the learner's function(s); save nothing, display nothing."""
    if exercise_id not in EXERCISES:
        raise ValueError(f"exercise_id={exercise_id!r} is not allowed: it must be one of {', '.join(EXERCISES)}.")
    exercise = EXERCISES[exercise_id]
    if len(functions) != len(exercise.functions):
        raise ValueError(f"check of exercise {exercise.number} got {len(functions)} function(s), which is not "
                         f"allowed: pass {len(exercise.functions)} ({', '.join(exercise.functions)}).")
    for name, fn in zip(exercise.functions, functions):
        if not callable(fn):
            raise ValueError(f"{name}={show(fn)} is not allowed: pass the function itself (its name, without "
                             f"parentheses), for example check(..., {name}).")
    start = time.perf_counter()
    sections = []
    for name, fn, section in zip(exercise.functions, functions, _SECTIONS[exercise_id]):
        result = SectionResult(name)
        with torch.random.fork_rng(devices=[]):  # the learner's own random state is left alone
            torch.manual_seed(CHECK_SEED)
            steps: Iterator[Finding] = section(fn)
            while True:
                try:
                    finding = next(steps)
                except StopIteration:
                    break
                except NotImplementedError:
                    result = SectionResult(name, not_yet=True)
                    break
                except _Stop:
                    result.unchecked = True
                    break
                except Exception as err:  # the learner's code (or its output) broke the test: say how
                    message = str(err).strip().splitlines()[0] if str(err).strip() else ""
                    result.findings.append(Finding(
                        f"{name} runs on the test inputs without an error", False,
                        f"it raised {type(err).__name__}{': ' + message[:300] if message else ''}"
                        f"{_learner_location(err)}", fatal=True))
                    result.unchecked = True
                    break
                result.findings.append(finding)
                if finding.fatal and not finding.passed:
                    result.unchecked = True
                    break
        sections.append(result)
    return CheckResult(exercise, sections, time.perf_counter() - start)


# ---------------------------------------------------------------- test inputs


def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def pair_batch(rows: int, seq_len: int, seed: int, *, same_layout: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """A padded batch of ``[CLS] A [SEP] B [SEP] [PAD]...`` rows of random ordinary ids.

    Returns ``(input_ids, special_tokens_mask)``, LongTensors of shape (rows, seq_len);
    ``special_tokens_mask`` is 1 on [CLS], [SEP] and [PAD]. With ``same_layout`` every row has the
    same lengths (only the ids differ).
    """
    g = _generator(seed)
    ids = torch.randint(FIRST_ORDINARY_ID, VOCAB_SIZE, (rows, seq_len), generator=g)
    special = torch.zeros(rows, seq_len, dtype=torch.long)
    def draw_layout() -> tuple[int, int]:  # (real length, length of A)
        length = int(torch.randint(seq_len // 2, seq_len + 1, (1,), generator=g))
        return length, int(torch.randint(1, length - 3, (1,), generator=g))

    shared = draw_layout()
    for r in range(rows):
        length, len_a = shared if same_layout or r == 0 else draw_layout()
        ids[r, 0] = CLS_ID
        ids[r, 1 + len_a] = SEP_ID
        ids[r, length - 1] = SEP_ID
        ids[r, length:] = PAD_ID
        special[r, [0, 1 + len_a, length - 1]] = 1
        special[r, length:] = 1
    return ids, special


def _shape_problem(value, what: str, shape: tuple, *, kinds: str) -> str | None:
    """None if ``value`` is a tensor of ``shape`` of the right kind ("bool" or "long"), else the problem."""
    if not isinstance(value, torch.Tensor):
        return f"{what} is a {type(value).__name__}, not a torch.Tensor"
    if tuple(value.shape) != tuple(shape):
        return f"{what} has shape {tuple(value.shape)}, not {tuple(shape)}"
    if kinds == "bool":
        if value.dtype != torch.bool and (value.is_floating_point() or not bool(((value == 0) | (value == 1)).all())):
            return f"{what} has dtype {value.dtype} with values other than True/False (or 0/1)"
    elif value.dtype != torch.long:
        return f"{what} has dtype {value.dtype}, not torch.long (token ids are integers)"
    return None


def _percent(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "n/a"


# ---------------------------------------------------------------- exercise 1: choose the positions


def _check_choose_positions(choose) -> Iterator[Finding]:
    ids, special = pair_batch(200, 48, seed=1)
    ordinary = special == 0
    selected = choose(special.clone(), mlm_probability=0.15, generator=_generator(11))
    yield _finding("returns a True/False tensor shaped like special_tokens_mask (batch, seq)",
                   _shape_problem(selected, "your selection", special.shape, kinds="bool"), fatal=True)
    selected = selected.bool()

    # [CLS] is position 0; a [SEP] or [PAD] is any other special position.
    is_cls = torch.zeros_like(ordinary)
    is_cls[:, 0] = True
    counts = {"[CLS]": int((selected & is_cls).any(1).sum()),
              "a [SEP]": int((selected & (ids == SEP_ID)).any(1).sum()),
              "a [PAD]": int((selected & (ids == PAD_ID)).any(1).sum())}
    bad = [f"{n} of {ids.shape[0]} sequences had {name} selected" for name, n in counts.items() if n]
    yield _finding("special tokens ([CLS], [SEP], [PAD]) are never selected",
                   "; ".join(bad) + "; special tokens must never be selected" if bad else None)

    n_ordinary, n_chosen = int(ordinary.sum()), int((selected & ordinary).sum())
    rate = n_chosen / n_ordinary
    yield _finding("about 15% of the ordinary tokens are selected (13% to 17% over 200 sequences)",
                   None if 0.13 <= rate <= 0.17 else
                   f"{n_chosen} of {n_ordinary} ordinary tokens were selected ({_percent(n_chosen, n_ordinary)})")

    other = choose(special.clone(), mlm_probability=0.4, generator=_generator(12))
    rate = int((other.bool() & ordinary).sum()) / n_ordinary
    yield _finding("the rate follows mlm_probability (0.4 selects 37% to 43% of the ordinary tokens)",
                   None if 0.37 <= rate <= 0.43 else
                   f"with mlm_probability=0.4, {100 * rate:.1f}% of the ordinary tokens were selected")

    same_ids, same_special = pair_batch(200, 40, seed=2, same_layout=True)
    chosen = choose(same_special.clone(), mlm_probability=0.15, generator=_generator(13)).bool()
    patterns = len({tuple(row.nonzero().flatten().tolist()) for row in chosen})
    yield _finding("sequences get different random positions (at least 180 different selections among 200 "
                   "sequences of the same layout)",
                   None if patterns >= 180 else
                   f"200 sequences with the same layout got only {patterns} different selections")

    positions = (same_special[0] == 0).nonzero().flatten().tolist()
    per_position = chosen.sum(0)
    never = [p for p in positions if int(per_position[p]) < 10]
    yield _finding("every ordinary position is a candidate (each is selected in at least 10 of 200 sequences)",
                   None if not never else
                   f"ordinary position(s) {', '.join(map(str, never[:8]))}{' ...' if len(never) > 8 else ''} "
                   f"were selected in fewer than 10 of 200 sequences")

    again = [choose(special.clone(), mlm_probability=0.15, generator=_generator(14)).bool() for _ in range(2)]
    yield _finding("the same generator seed gives the same selection (draw every random number from generator)",
                   None if torch.equal(again[0], again[1]) else
                   "two calls with torch.Generator().manual_seed(14) selected different positions")


# ---------------------------------------------------------------- exercise 2: corrupt and label


def _check_corrupt(corrupt) -> Iterator[Finding]:
    ids, special = pair_batch(400, 48, seed=3)
    selected = solutions.choose_positions(special, mlm_probability=0.5, generator=_generator(21))
    original = ids.clone()
    out = corrupt(ids, selected.clone(), vocab_size=VOCAB_SIZE, mask_token_id=MASK_ID, generator=_generator(22))
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        yield _finding("returns two tensors: (corrupted_input_ids, labels)",
                       f"it returned {type(out).__name__}" + (f" of length {len(out)}" if isinstance(out, (tuple, list)) else ""),
                       fatal=True)
    corrupted, labels = out
    problem = (_shape_problem(corrupted, "corrupted_input_ids", ids.shape, kinds="long")
               or _shape_problem(labels, "labels", ids.shape, kinds="long"))
    yield _finding("returns two LongTensors shaped like input_ids: (corrupted_input_ids, labels)", problem, fatal=True)

    changed = int((ids != original).sum())
    yield _finding("input_ids itself is left unchanged (work on a copy)",
                   None if not changed else f"{changed} positions of the input_ids you were given were changed in place")

    unselected, n_sel = ~selected, int(selected.sum())
    moved = int((corrupted[unselected] != original[unselected]).sum())
    yield _finding("unselected positions keep their token",
                   None if not moved else f"{moved} of {int(unselected.sum())} unselected positions were changed")

    wrong = labels[unselected] != IGNORE_INDEX
    example = f" (for example {int(labels[unselected][wrong][0])})" if bool(wrong.any()) else ""
    yield _finding(f"labels are {IGNORE_INDEX} (IGNORE_INDEX) at every unselected position, so the loss skips them",
                   None if not bool(wrong.any()) else
                   f"{int(wrong.sum())} of {int(unselected.sum())} unselected positions have a label other than "
                   f"{IGNORE_INDEX}{example}")

    wrong = labels[selected] != original[selected]
    hint = ""
    if bool(wrong.any()) and bool((labels[selected] == corrupted[selected])[wrong].all()):
        hint = "; their label is the corrupted token, but it must be the original one"
    yield _finding("labels hold the original token at every selected position",
                   None if not bool(wrong.any()) else
                   f"{int(wrong.sum())} of {n_sel} selected positions have a label that is not the original token{hint}")

    after, before = corrupted[selected], original[selected]
    masked = int((after == MASK_ID).sum())
    kept = int((after == before).sum())
    randomised = n_sel - masked - kept
    fractions = (masked / n_sel, randomised / n_sel, kept / n_sel)
    ok = all(abs(f - t) <= 0.025 for f, t in zip(fractions, (0.8, 0.1, 0.1)))
    yield _finding("of the selected tokens about 80% become [MASK], 10% a random token, 10% stay unchanged "
                   "(each within 2.5 points)",
                   None if ok else f"{_percent(masked, n_sel)} [MASK], {_percent(randomised, n_sel)} random token, "
                                   f"{_percent(kept, n_sel)} unchanged (of {n_sel} selected)")

    random_ids = after[(after != MASK_ID) & (after != before)]
    if random_ids.numel() == 0:
        problem = "no selected token was replaced by a random one"
    elif int(random_ids.min()) < 0 or int(random_ids.max()) >= VOCAB_SIZE:
        problem = f"a random replacement was {int(random_ids.min()) if int(random_ids.min()) < 0 else int(random_ids.max())}"
    elif random_ids.unique().numel() < max(20, random_ids.numel() // 4):
        problem = (f"the {random_ids.numel()} random replacements used only {random_ids.unique().numel()} "
                   f"different ids")
    else:
        problem = None
    yield _finding(f"random replacements are drawn from the whole vocabulary (ids 0 to vocab_size - 1 = {VOCAB_SIZE - 1})",
                   problem)

    runs = [corrupt(original.clone(), selected.clone(), vocab_size=VOCAB_SIZE, mask_token_id=MASK_ID,
                    generator=_generator(23))[0] for _ in range(2)]
    yield _finding("the same generator seed gives the same corruption (draw every random number from generator)",
                   None if torch.equal(runs[0], runs[1]) else
                   "two calls with torch.Generator().manual_seed(23) corrupted differently")


# ---------------------------------------------------------------- exercise 3: the MLM loss


def _loss_inputs(seed: int):
    """logits (4, 12, 50) and labels with 5, 1, 0 and 3 selected positions in the four rows."""
    g = _generator(seed)
    logits = (torch.randn(4, 12, 50, generator=g) * 2).requires_grad_()
    labels = torch.full((4, 12), IGNORE_INDEX)
    for row, positions in enumerate(([1, 3, 4, 7, 9], [5], [], [2, 6, 10])):
        labels[row, positions] = torch.randint(50, (len(positions),), generator=g)
    return logits, labels


def _loss_problem(loss) -> str | None:
    if not isinstance(loss, torch.Tensor):
        return f"it returned a {type(loss).__name__}, not a torch.Tensor"
    if loss.dim() != 0:
        return f"it returned a tensor of shape {tuple(loss.shape)}; a loss is one number, a 0-dim tensor"
    if not loss.is_floating_point():
        return f"it returned a tensor of dtype {loss.dtype}; a loss is a float"
    return None


def _check_mlm_loss(mlm_loss) -> Iterator[Finding]:
    logits, labels = _loss_inputs(31)
    loss = mlm_loss(logits, labels.clone())
    yield _finding("returns the loss as a 0-dim float tensor", _loss_problem(loss), fatal=True)

    value = float(loss.detach())
    yield _finding("the loss is a finite number, even when a sequence has no selected position",
                   None if math.isfinite(value) else f"your loss is {value} on a batch where row 2 selects nothing")

    selected = labels != IGNORE_INDEX
    n = int(selected.sum())
    expected = float(F.cross_entropy(logits.detach()[selected], labels[selected]))
    yield _finding("the loss is the mean cross-entropy over the batch's selected positions (each counts once)",
                   None if abs(value - expected) <= 1e-4 * max(1.0, abs(expected)) else
                   f"your loss is {value:.4f}; the mean cross-entropy over the {n} selected positions is {expected:.4f}")

    noisy = logits.detach().clone()
    noisy[~selected] += torch.randn(noisy[~selected].shape, generator=_generator(32)) * 5
    changed = float(mlm_loss(noisy, labels.clone()))
    yield _finding("only the selected positions count: changing the logits anywhere else leaves the loss unchanged",
                   None if abs(changed - value) <= 1e-4 * max(1.0, abs(value)) else
                   f"changing the logits at unselected positions (label {IGNORE_INDEX}) changed your loss "
                   f"from {value:.4f} to {changed:.4f}")

    doubled = float(mlm_loss(torch.cat([logits.detach()] * 2), torch.cat([labels, labels])))
    yield _finding("the loss is a mean, not a sum: the same batch twice gives the same loss",
                   None if abs(doubled - value) <= 1e-4 * max(1.0, abs(value)) else
                   f"repeating the batch twice changed your loss from {value:.4f} to {doubled:.4f}")

    if not loss.requires_grad:
        problem = "your loss carries no gradient (.item(), .detach(), argmax or a Python number break the graph)"
    else:
        grad, = torch.autograd.grad(loss, logits, allow_unused=True)
        if grad is None or float(grad[selected].abs().sum()) == 0:
            problem = "the gradient of your loss is zero at the selected positions"
        elif float(grad[~selected].abs().sum()) != 0:
            problem = "your loss sends gradient to unselected positions"
        else:
            problem = None
    yield _finding("gradient flows back to the logits at the selected positions (and only there)", problem)


# ---------------------------------------------------------------- exercise 4: one NSP example


NSP_CASES = (([11, 12, 13], [21, 22], True), ([31], [41, 42, 43, 44], False), ([51, 52], [61], True))


def _token_names(case) -> dict[int, str]:
    a, b, _ = case
    names = {CLS_ID: "[CLS]", SEP_ID: "[SEP]", PAD_ID: "[PAD]", MASK_ID: "[MASK]"}
    names.update({t: f"a{i}" for i, t in enumerate(a, 1)})
    names.update({t: f"b{i}" for i, t in enumerate(b, 1)})
    return names


def _as_int_list(value, what: str) -> list[int]:
    if isinstance(value, torch.Tensor):
        value = value.tolist()
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise TypeError(f"{what} must be a list of ints (or a 1-D LongTensor), not {show(value)}")
    return list(value)


def _check_nsp_example(nsp_example) -> Iterator[Finding]:
    keys = ("input_ids", "token_type_ids", "next_sentence_label")
    outputs = []
    for a, b, is_next in NSP_CASES:
        tokens_a, tokens_b = list(a), list(b)
        out = nsp_example(tokens_a, tokens_b, is_next)
        if not isinstance(out, dict) or any(k not in out for k in keys):
            found = sorted(out) if isinstance(out, dict) else type(out).__name__
            yield _finding("returns a dict with input_ids, token_type_ids and next_sentence_label",
                           f"it returned {found}", fatal=True)
        outputs.append((out, tokens_a == a and tokens_b == b))
    yield _finding("returns a dict with input_ids, token_type_ids and next_sentence_label", None)

    problems = []
    for case, (out, _) in zip(NSP_CASES, outputs):
        names = _token_names(case)
        got = _as_int_list(out["input_ids"], "input_ids")
        want = solutions.nsp_example(*case)["input_ids"]
        if got != want:
            read = " ".join(names.get(t, str(t)) for t in got)
            problems.append(f"for A = {' '.join(names[t] for t in case[0])} and B = "
                            f"{' '.join(names[t] for t in case[1])} your input_ids read: {read}")
    yield _finding("input_ids are laid out [CLS] A [SEP] B [SEP]", "; ".join(problems) or None)

    problems = []
    for case, (out, _) in zip(NSP_CASES, outputs):
        names = _token_names(case)
        got = _as_int_list(out["token_type_ids"], "token_type_ids")
        want = solutions.nsp_example(*case)
        if got != want["token_type_ids"]:
            layout = [names[t] for t in want["input_ids"]]
            if len(got) != len(layout):
                problems.append(f"{len(got)} segment ids for {len(layout)} tokens ({' '.join(layout)})")
            else:
                problems.append(" ".join(f"{t}:{s}" for t, s in zip(layout, got)))
    yield _finding("token_type_ids are 0 on [CLS], A and the [SEP] that closes A, then 1 on B and the final [SEP]",
                   ("your segment ids (token:segment): " + "; ".join(problems)) if problems else None)

    problems = []
    for (a, b, is_next), (out, _) in zip(NSP_CASES, outputs):
        label = out["next_sentence_label"]
        want, name = (IS_NEXT, "IS_NEXT") if is_next else (IS_RANDOM, "IS_RANDOM")
        if isinstance(label, torch.Tensor) and label.numel() == 1 and not label.is_floating_point():
            label = int(label)
        if isinstance(label, bool) or not isinstance(label, int):
            problems.append(f"for is_next={is_next} the label is {show(label)}, not an int")
        elif label != want:
            problems.append(f"for is_next={is_next} the label is {label}, but {name} = {want}")
    yield _finding(f"next_sentence_label follows the course's convention: IS_NEXT = {IS_NEXT} (B follows A), "
                   f"IS_RANDOM = {IS_RANDOM} (B is random)", "; ".join(problems) or None)

    changed = sum(1 for _, unchanged in outputs if not unchanged)
    yield _finding("tokens_a and tokens_b are left unchanged (build a new list)",
                   None if not changed else f"your function changed its input lists in {changed} of {len(outputs)} calls")


# ---------------------------------------------------------------- exercise 5: heads on encoder outputs


BATCH, SEQ, HIDDEN, LABELS = 4, 9, 16, 3


def _head_inputs(seed: int):
    g = _generator(seed)
    hidden = torch.randn(BATCH, SEQ, HIDDEN, generator=g)
    classifier = torch.nn.Linear(HIDDEN, LABELS)
    with torch.no_grad():
        classifier.weight.copy_(torch.randn(LABELS, HIDDEN, generator=g) * 0.5)
        classifier.bias.copy_(torch.randn(LABELS, generator=g) * 0.1)
    return g, hidden, classifier


def _pair_out(out, name: str, logits_shape: tuple) -> str | None:
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        return f"{name} returned {type(out).__name__}, not a pair (logits, loss)"
    logits, loss = out
    if not isinstance(logits, torch.Tensor) or tuple(logits.shape) != logits_shape:
        shape = tuple(logits.shape) if isinstance(logits, torch.Tensor) else type(logits).__name__
        return f"the logits have shape {shape}, not {logits_shape}"
    return _loss_problem(loss) and "the loss: " + _loss_problem(loss)


def _close(x: torch.Tensor, y: torch.Tensor) -> bool:
    return torch.allclose(x, y, atol=1e-5, rtol=1e-5)


def _check_sequence_head(sequence_head) -> Iterator[Finding]:
    g, hidden, classifier = _head_inputs(51)
    labels = torch.randint(LABELS, (BATCH,), generator=g)
    out = sequence_head(hidden.clone(), classifier, labels.clone())
    yield _finding(f"returns (logits, loss): logits (batch, num_labels) = {(BATCH, LABELS)}, one row per input",
                   _pair_out(out, "sequence_head", (BATCH, LABELS)), fatal=True)
    logits, loss = out

    others = hidden.clone()
    others[:, 1:] += torch.randn(others[:, 1:].shape, generator=g)
    first = hidden.clone()
    first[:, 0] += torch.randn(first[:, 0].shape, generator=g)
    with torch.no_grad():
        moved_others = not _close(sequence_head(others, classifier, labels.clone())[0], logits)
        moved_first = not _close(sequence_head(first, classifier, labels.clone())[0], logits)
    problems = []
    if moved_others:
        problems.append(f"changing only the vectors at positions 1 to {SEQ - 1} changed your logits")
    if not moved_first:
        problems.append("changing the vector at position 0 ([CLS]) did not change your logits")
    yield _finding("the logits are read from the [CLS] vector (position 0) only", "; ".join(problems) or None)

    expected = float(F.cross_entropy(logits.detach(), labels))
    yield _finding("the loss is the cross-entropy of the logits against the labels (mean over the batch)",
                   None if abs(float(loss.detach()) - expected) <= 1e-4 * max(1.0, expected) else
                   f"your loss is {float(loss.detach()):.4f}; the cross-entropy of your logits against labels is {expected:.4f}")


def _check_token_head(token_head) -> Iterator[Finding]:
    g, hidden, classifier = _head_inputs(52)
    labels = torch.randint(LABELS, (BATCH, SEQ), generator=g)
    labels[:, 0] = labels[:, -1] = IGNORE_INDEX      # [CLS] and [SEP] carry no tag
    labels[1, 3:5] = labels[3, 6] = IGNORE_INDEX     # later word-pieces of a word, say
    out = token_head(hidden.clone(), classifier, labels.clone())
    yield _finding(f"returns (logits, loss): logits (batch, seq, num_labels) = {(BATCH, SEQ, LABELS)}, "
                   f"one row per token", _pair_out(out, "token_head", (BATCH, SEQ, LABELS)), fatal=True)
    logits, loss = out

    moved = hidden.clone()
    moved[:, 4] += torch.randn(moved[:, 4].shape, generator=g)
    with torch.no_grad():
        new = token_head(moved, classifier, labels.clone())[0]
    changed = sorted({int(p) for p in (~torch.isclose(new, logits.detach(), atol=1e-5)).any(-1).nonzero()[:, 1]})
    yield _finding("each position's logits are read from that position's vector",
                   None if changed == [4] else
                   f"changing only the vectors at position 4 changed your logits at position(s) "
                   f"{', '.join(map(str, changed)) or 'none'}")

    ignored = labels == IGNORE_INDEX
    moved = hidden.clone()
    moved[ignored] += torch.randn(moved[ignored].shape, generator=g) * 3
    with torch.no_grad():
        changed_loss = float(token_head(moved, classifier, labels.clone())[1])
    yield _finding(f"positions labelled {IGNORE_INDEX} are left out of the loss",
                   None if abs(changed_loss - float(loss.detach())) <= 1e-4 * max(1.0, float(loss.detach())) else
                   f"changing only the vectors at positions labelled {IGNORE_INDEX} changed your loss from "
                   f"{float(loss.detach()):.4f} to {changed_loss:.4f}")

    kept = ~ignored
    expected = float(F.cross_entropy(logits.detach()[kept], labels[kept]))
    yield _finding("the loss is the mean cross-entropy over the labelled positions",
                   None if abs(float(loss.detach()) - expected) <= 1e-4 * max(1.0, expected) else
                   f"your loss is {float(loss.detach()):.4f}; the mean cross-entropy of your logits over the "
                   f"{int(kept.sum())} labelled positions is {expected:.4f}")


_SECTIONS: dict[str, tuple[Callable[[Callable], Iterator[Finding]], ...]] = {
    "mlm-choose-positions": (_check_choose_positions,),
    "mlm-corrupt": (_check_corrupt,),
    "mlm-loss": (_check_mlm_loss,),
    "nsp-example": (_check_nsp_example,),
    "heads": (_check_sequence_head, _check_token_head),
}


# ---------------------------------------------------------------- what the learner sees


def solution_source(exercise_id: str) -> str:
    """The reference solution of an exercise, as Python source."""
    return "\n\n".join(inspect.getsource(fn) for fn in EXERCISES[exercise_id].solutions)


class ExerciseFeedback(StaticFallback, widgets.VBox):
    """The check's verdict as a widget: one line per property, and a "Show a solution" button.

    The button works once the learner has tried at least once (this attempt or a saved one). A
    saved notebook without a kernel shows the same verdict, with the solution folded away.
    """

    def __init__(self, result: CheckResult, *, attempts: int = 0, status: str = ""):
        self.result, self.attempts = result, attempts
        self.verdict = widgets.HTML(self._verdict_html())
        self.solution = widgets.HTML(layout=widgets.Layout(display="none"))
        can_reveal = attempts > 0
        self.reveal_button = widgets.Button(
            description="Show a solution", icon="eye", disabled=not can_reveal,
            tooltip=("Show a reference solution to compare with yours" if can_reveal else
                     "Try first: a solution can be shown after your first attempt"),
            layout=widgets.Layout(width="auto", align_self="flex-start"))
        self.reveal_button.on_click(lambda _b: self.reveal())
        self.status = widgets.HTML(status)
        super().__init__([self.verdict, self.reveal_button, self.solution, self.status],
                         layout=widgets.Layout(margin="0 0 14px 0"))
        self.add_class("bert-exercise")

    def reveal(self) -> None:
        """Show the reference solution (only after a first attempt)."""
        if self.attempts == 0:
            return
        self.solution.value = self._solution_html()
        self.solution.layout.display = None
        self.reveal_button.disabled = True

    def _verdict_html(self) -> str:
        r = self.result
        colour = "#31a354" if r.passed else ("#999999" if r.not_yet else "#de2d26")
        rows = []
        for mark, text, observed in r.lines():
            detail = f'<br><span style="margin-left:1.4em">observed: {html.escape(observed)}</span>' if observed else ""
            rows.append(f'<li style="list-style:none">{mark} {html.escape(text)}{detail}</li>')
        return (f'<div style="border-left: 3px solid {colour}; padding-left: 8px">'
                f"<p><strong>{html.escape(r.headline())}</strong></p>"
                f'<ul style="padding-left:0.5em;margin:0">{"".join(rows)}</ul></div>')

    def _solution_html(self) -> str:
        return ("<p><strong>A solution</strong> (yours may differ and still pass):</p>"
                f"<pre>{html.escape(solution_source(self.result.exercise.id))}</pre>")

    def fallback_html(self) -> str:
        return (self._verdict_html() + "<details><summary>Show a solution</summary>"
                f"{self._solution_html()}</details>")

    def fallback_text(self) -> str:
        return self.result.text()


def check(exercise_id: str, *functions: Callable, store: ProgressStore | None = None,
          save: bool = True) -> ExerciseFeedback:
    """Check the learner's function(s) for one exercise, save the attempt, and return the feedback."""
    result = run_check(exercise_id, *functions)
    status = widgets.HTML()
    attempts = 0
    if save:
        if result.not_yet:  # nothing tried now; an earlier saved attempt still unlocks the solution
            try:
                attempts = saved_attempts(exercise_id, store=store)
            except OSError:
                attempts = 0
        else:
            entry = {}
            save_or_report(lambda: entry.update(record_exercise(
                exercise_id, result.passed, notebook=result.exercise.notebook, store=store)), status)
            attempts = entry.get("attempts", 1)
    elif not result.not_yet:
        attempts = 1
    return ExerciseFeedback(result, attempts=attempts, status=status.value)


def saved_attempts(exercise_id: str, *, store: ProgressStore | None = None) -> int:
    """How many checked attempts at an exercise the progress file holds."""
    data = (store or ProgressStore()).load()
    return int(data.get("exercises", {}).get(exercise_id, {}).get("attempts", 0))


def check_choose_positions(choose_positions: Callable, **kwargs) -> ExerciseFeedback:
    """Exercise 1 (notebook 2): test ``choose_positions(special_tokens_mask, *, mlm_probability, generator)``."""
    return check("mlm-choose-positions", choose_positions, **kwargs)


def check_corrupt(corrupt: Callable, **kwargs) -> ExerciseFeedback:
    """Exercise 2 (notebook 2): test ``corrupt(input_ids, selected, *, vocab_size, mask_token_id, generator)``."""
    return check("mlm-corrupt", corrupt, **kwargs)


def check_mlm_loss(mlm_loss: Callable, **kwargs) -> ExerciseFeedback:
    """Exercise 3 (notebook 2): test ``mlm_loss(logits, labels)``."""
    return check("mlm-loss", mlm_loss, **kwargs)


def check_nsp_example(nsp_example: Callable, **kwargs) -> ExerciseFeedback:
    """Exercise 4 (notebook 3): test ``nsp_example(tokens_a, tokens_b, is_next)``."""
    return check("nsp-example", nsp_example, **kwargs)


def check_heads(sequence_head: Callable, token_head: Callable, **kwargs) -> ExerciseFeedback:
    """Exercise 5 (notebook 5): test ``sequence_head`` and ``token_head(last_hidden_state, classifier, labels)``."""
    return check("heads", sequence_head, token_head, **kwargs)


# ---------------------------------------------------------------- the payoff: your masking, real training


def as_mask_fn(choose_positions: Callable, corrupt: Callable, *, mlm_probability: float = 0.15) -> Callable:
    """The learner's exercises 1 and 2 as a ``mask_fn`` for :func:`helpers.training.pretraining.pretrain`.

    ``mask_fn(input_ids, special_tokens_mask, *, vocab_size, mask_token_id, generator)`` returns
    ``(corrupted_input_ids, labels)``, LongTensors of shape (batch, seq), labels -100 at unselected
    positions. Every call checks what the learner's functions returned, so a mistake stops training
    with a clear message instead of an error deep inside the model.
    """
    for name, fn in (("choose_positions", choose_positions), ("corrupt", corrupt)):
        if not callable(fn):
            raise ValueError(f"{name}={show(fn)} is not allowed: it must be your function.")

    def mask_fn(input_ids, special_tokens_mask, *, vocab_size, mask_token_id, generator):
        selected = choose_positions(special_tokens_mask, mlm_probability=mlm_probability, generator=generator)
        problem = _shape_problem(selected, "the selection from choose_positions", input_ids.shape, kinds="bool")
        if problem:
            raise ValueError(f"{problem}, which is not allowed: it must be a bool tensor shaped like input_ids.")
        out = corrupt(input_ids, selected.bool(), vocab_size=vocab_size, mask_token_id=mask_token_id,
                      generator=generator)
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise ValueError(f"corrupt returned {show(out)}, which is not allowed: it must return "
                             f"(corrupted_input_ids, labels).")
        corrupted, labels = out
        for what, value in (("corrupted_input_ids", corrupted), ("labels", labels)):
            problem = _shape_problem(value, what, input_ids.shape, kinds="long")
            if problem:
                raise ValueError(f"{problem}, which is not allowed: corrupt must return LongTensors shaped "
                                 f"like input_ids.")
        if corrupted.numel() and (int(corrupted.min()) < 0 or int(corrupted.max()) >= vocab_size):
            raise ValueError(f"corrupted_input_ids holds ids outside [0, {vocab_size}), which is not allowed: "
                             f"the model has no embedding for them.")
        bad = (labels != IGNORE_INDEX) & ((labels < 0) | (labels >= vocab_size))
        if bool(bad.any()):
            raise ValueError(f"labels contains {int(labels[bad][0])}, which is not allowed: a label is a token id "
                             f"in [0, {vocab_size}) or {IGNORE_INDEX} (not predicted).")
        return corrupted, labels

    return mask_fn


@dataclass
class PayoffRun:
    """Two short pre-training runs, the learner's masking and the course's, on the same data."""
    used_yours: bool           # False: your functions do not pass the checks yet; the reference ran instead
    message: str
    steps: list[int]           # evaluation steps
    curves: dict[str, list[float]]   # held-out MLM loss per evaluation, one curve per run
    accuracy: dict[str, float]       # final held-out MLM accuracy per run
    seconds: float


PAYOFF_SETTINGS = dataclasses.replace(PRESETS["tiny"], steps=150, num_documents=2000, eval_every=25, seed=0)


def pretrain_with_your_masking(choose_positions: Callable, corrupt: Callable, *, progress: bool = False,
                               **overrides) -> PayoffRun:
    """Pre-train a tiny BERT for 150 steps with YOUR masking, and once with the course's, and compare.

    Your functions are used when they pass the checks of exercises 1 and 2; until then the run uses
    the reference solutions and says so (so this cell always shows a curve). Both runs share the
    corpus, vocabulary, pairs, initial weights and held-out set (masked the course's way), so their
    held-out MLM losses are directly comparable. About 5 seconds on a laptop CPU.
    """
    choose_ok = run_check("mlm-choose-positions", choose_positions).passed
    corrupt_ok = run_check("mlm-corrupt", corrupt).passed
    used_yours = choose_ok and corrupt_ok
    if used_yours:
        mask_fn = as_mask_fn(choose_positions, corrupt)
        label, message = "your masking", "Your choose_positions and corrupt pass their checks: this run trains with them."
    else:
        mask_fn = as_mask_fn(solutions.choose_positions, solutions.corrupt)
        waiting = [f"exercise {n}" for n, ok in ((1, choose_ok), (2, corrupt_ok)) if not ok]
        label = "reference masking (yours once it passes)"
        message = (f"Your functions do not pass the checks of {' and '.join(waiting)} yet, so this run uses the "
                   f"reference solution in their place. Solve them, run their checks, then run this cell again "
                   f"to train with your own code.")
    settings = dataclasses.replace(PAYOFF_SETTINGS, **overrides)
    start = time.perf_counter()
    runs = {label: pretrain(settings, mask_fn=mask_fn, progress=progress),
            "the course's mask_tokens": pretrain(settings, progress=progress)}
    first = next(iter(runs.values()))
    return PayoffRun(used_yours=used_yours, message=message, steps=list(first.history["eval"]["step"]),
                     curves={k: list(r.history["eval"]["mlm_loss"]) for k, r in runs.items()},
                     accuracy={k: float(r.final["mlm_accuracy"]) for k, r in runs.items()},
                     seconds=time.perf_counter() - start)
