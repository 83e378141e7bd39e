"""The payoff of exercises 1 and 2: pre-train a small BERT with the learner's own masking.

:func:`as_mask_fn` turns the learner's ``choose_positions`` and ``corrupt`` into the ``mask_fn`` that
:func:`helpers.training.pretraining.pretrain` accepts; :func:`pretrain_with_your_masking` pre-trains
with it (MLM only) long enough for held-out accuracy to rise well past what word frequencies give,
and sets the curve beside two stored ones, measured once with the same settings: the course's
``mask_tokens``, and a masking with a mistake (:data:`BROKEN_MASKINGS`) the checks catch.
``python -m helpers.course.exercises.payoff`` measures and stores those curves again.
"""
from __future__ import annotations

import dataclasses
import json
import os
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch

from helpers.constants import IGNORE_INDEX, PAD_ID
from helpers.course import solutions
from helpers.course.exercises.inputs import tensor_problem
from helpers.course.exercises.runner import learner_location, run_check
from helpers.errors import show
from helpers.training.pretraining import PretrainConfig, pretrain

# MLM only (no NSP: every step goes to the objective the exercises build), pairs of up to 32 tokens.
# Chosen by measurement (1 thread, AMD EPYC, held-out MLM accuracy at the last step): at 48 tokens, 600
# steps reach 0.28 (lr 1.5e-3) / 0.29 (lr 2e-3), and lr 3e-3 is worse (0.25 at 800); at 32 tokens with
# lr 2e-3, 700 / 900 steps reach 0.37 / 0.49. A vocabulary of 1,000 learns slower (0.19 at 600 steps).
# CURVES_FILE holds the curves of the chosen settings with their seconds and conditions.
PAYOFF_SETTINGS = PretrainConfig(
    name="payoff", hidden_size=128, num_hidden_layers=2, num_attention_heads=2, intermediate_size=512,
    vocab_size=3000, num_documents=6000, max_length=32, sentence_objective="none", steps=800, batch_size=32,
    learning_rate=2e-3, warmup_steps=60, eval_every=100, eval_size=256, seed=0)
CURVES_FILE = Path(__file__).resolve().parents[1] / "data" / "payoff_curves.json"
COURSE = "the course's mask_tokens"
YOURS = "your masking"
STAND_IN = "the reference solution (yours once it passes)"


# ---------------------------------------------------------------- the learner's functions as a mask_fn


class MaskingError(ValueError):
    """The learner's masking returned something training cannot use, or raised, on a real batch."""


def _check_selection(selected, input_ids) -> torch.Tensor:
    problem = tensor_problem(selected, "the selection from choose_positions", input_ids.shape, kind="bool")
    if problem:
        raise MaskingError(f"{problem}, which is not allowed: it must be a bool tensor shaped like input_ids.")
    return selected.bool()


def _check_output(out, input_ids, vocab_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise MaskingError(f"corrupt returned {show(out)}, which is not allowed: it must return "
                         f"(corrupted_input_ids, labels).")
    corrupted, labels = out
    for what, value in (("corrupted_input_ids", corrupted), ("labels", labels)):
        problem = tensor_problem(value, what, input_ids.shape, kind="long")
        if problem:
            raise MaskingError(f"{problem}, which is not allowed: corrupt must return LongTensors shaped like "
                               f"input_ids.")
    if corrupted.numel() and (int(corrupted.min()) < 0 or int(corrupted.max()) >= vocab_size):
        raise MaskingError(f"corrupted_input_ids holds ids outside [0, {vocab_size}), which is not allowed: the model "
                         f"has no embedding for them.")
    bad = (labels != IGNORE_INDEX) & ((labels < 0) | (labels >= vocab_size))
    if bool(bad.any()):
        raise MaskingError(f"labels contains {int(labels[bad][0])}, which is not allowed: a label is a token id in "
                         f"[0, {vocab_size}) or {IGNORE_INDEX} (not predicted).")
    return corrupted, labels


def as_mask_fn(choose_positions: Callable, corrupt: Callable, *, mlm_probability: float = 0.15) -> Callable:
    """The learner's exercises 1 and 2 as a ``mask_fn`` for :func:`helpers.training.pretraining.pretrain`.

    ``mask_fn(input_ids, special_tokens_mask, *, vocab_size, mask_token_id, generator)`` returns
    ``(corrupted_input_ids, labels)``. Every call checks what the learner's functions returned, so a
    mistake stops training with a clear message instead of an error deep inside the model.
    """
    for name, fn in (("choose_positions", choose_positions), ("corrupt", corrupt)):
        if not callable(fn):
            raise ValueError(f"{name}={show(fn)} is not allowed: it must be your function.")

    def learner(fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as err:  # one line naming the learner's line, instead of a traceback through training
            first = str(err).strip().splitlines()[0] if str(err).strip() else ""
            name = getattr(fn, "__name__", "your function")
            raise MaskingError(f"{name} raised {type(err).__name__}{': ' + first if first else ''}"
                               f"{learner_location(err)} on a pre-training batch") from None

    def mask_fn(input_ids, special_tokens_mask, *, vocab_size, mask_token_id, generator):
        selected = _check_selection(learner(choose_positions, special_tokens_mask, mlm_probability=mlm_probability,
                                            generator=generator), input_ids)
        out = learner(corrupt, input_ids, selected, vocab_size=vocab_size, mask_token_id=mask_token_id,
                      generator=generator)
        return _check_output(out, input_ids, vocab_size)

    return mask_fn


# ---------------------------------------------------------------- maskings with one mistake each


def _labels_on_every_token(input_ids, selected, *, vocab_size, mask_token_id, generator=None):
    corrupted, labels = solutions.corrupt(input_ids, selected, vocab_size=vocab_size, mask_token_id=mask_token_id,
                                          generator=generator)
    # -100 only at padding (the model refuses targets there): every other token is a target, seen or not
    return corrupted, torch.where(input_ids != PAD_ID, input_ids, IGNORE_INDEX)


def _labels_corrupted(input_ids, selected, *, vocab_size, mask_token_id, generator=None):
    corrupted, _ = solutions.corrupt(input_ids, selected, vocab_size=vocab_size, mask_token_id=mask_token_id,
                                     generator=generator)
    return corrupted, torch.where(selected, corrupted, IGNORE_INDEX)  # the label is what the model sees


def _decided_per_sequence(input_ids, selected, *, vocab_size, mask_token_id, generator=None):
    draw = torch.rand(input_ids.shape[0], 1, generator=generator).expand_as(input_ids)  # one fate per sequence
    random_ids = torch.randint(vocab_size, input_ids.shape, generator=generator)
    corrupted = torch.where(selected & (draw < 0.8), mask_token_id,
                            torch.where(selected & (draw < 0.9), random_ids, input_ids))
    return corrupted, torch.where(selected, input_ids, IGNORE_INDEX)


def _not_corrupted(input_ids, selected, *, vocab_size, mask_token_id, generator=None):
    _, labels = solutions.corrupt(input_ids, selected, vocab_size=vocab_size, mask_token_id=mask_token_id,
                                  generator=generator)
    return input_ids.clone(), labels  # the corrupted copy is made, then the original returned


def choose_with_specials(special_tokens_mask, *, mlm_probability=0.15, generator=None):
    """Selects [CLS], [SEP] and [PAD] too: training stops at the first batch (no target at padding)."""
    return torch.rand(special_tokens_mask.shape, generator=generator) < mlm_probability


BROKEN_MASKINGS: dict[str, tuple[Callable, Callable]] = {
    "labels on every token, not only the selected ones": (solutions.choose_positions, _labels_on_every_token),
    "labels are the corrupted tokens": (solutions.choose_positions, _labels_corrupted),
    "80/10/10 decided once per sequence": (solutions.choose_positions, _decided_per_sequence),
    "inputs left uncorrupted": (solutions.choose_positions, _not_corrupted),
}


# ---------------------------------------------------------------- the run


@dataclass
class PayoffRun:
    """The learner's pre-training run beside the stored curves of the same settings."""
    used_yours: bool                     # False: the functions do not pass their checks yet; the reference ran
    message: str
    steps: list[int]                     # evaluation steps
    accuracy_curves: dict[str, list[float]]  # held-out MLM accuracy per evaluation, one curve per masking
    loss_curves: dict[str, list[float]]  # held-out MLM loss, same layout (NaN after an interrupt)
    frequency_baseline: float            # the best held-out accuracy from word frequencies alone
    seconds: float                       # the live run
    stored: str = ""                     # where the stored curves come from ("" if none matched)
    interrupted: bool = False            # Ctrl-C stopped the live run early

    @property
    def accuracy(self) -> dict[str, float]:
        """Each curve's last measured held-out MLM accuracy."""
        return {name: next((v for v in reversed(curve) if v == v), float("nan"))
                for name, curve in self.accuracy_curves.items()}

    @property
    def curves(self) -> dict[str, list[float]]:
        """The held-out MLM loss curves (what the earlier payoff plotted)."""
        return self.loss_curves

    def curves_for_plot(self) -> dict[str, list[float]]:
        """The accuracy curves and, as a flat line, what word frequencies alone reach."""
        return {**self.accuracy_curves, "word frequencies alone (always the commonest word)":
                [self.frequency_baseline] * len(self.steps)}


def frequency_baseline(result) -> float:
    """The held-out accuracy of always predicting the one most frequent label token (no context used)."""
    labels = result.held_out.labels
    chosen = labels[labels != IGNORE_INDEX]
    return float(torch.bincount(chosen).max()) / max(1, chosen.numel())


def stored_curves(settings: PretrainConfig = PAYOFF_SETTINGS) -> dict | None:
    """The stored curves, if they were measured with exactly these settings."""
    try:
        data = json.loads(CURVES_FILE.read_text())
    except (OSError, ValueError):
        return None
    return data if data.get("settings") == dataclasses.asdict(settings) else None


def _learner_or_reference(choose_positions, corrupt) -> tuple[bool, Callable, str]:
    choose_ok = run_check("mlm-choose-positions", choose_positions).passed
    corrupt_ok = run_check("mlm-corrupt", corrupt).passed
    if choose_ok and corrupt_ok:
        return True, as_mask_fn(choose_positions, corrupt), (
            "Your choose_positions and corrupt pass their checks: this run trains with them.")
    waiting = " and ".join(f"exercise {n}" for n, ok in ((1, choose_ok), (2, corrupt_ok)) if not ok)
    return False, as_mask_fn(solutions.choose_positions, solutions.corrupt), (
        f"Your functions do not pass the checks of {waiting} yet, so this run uses the reference solution in their "
        f"place. Solve them, run their checks, then run this cell again to train with your own code.")


def _padded(values: list[float], length: int) -> list[float]:
    return list(values) + [float("nan")] * (length - len(values))


def pretrain_with_your_masking(choose_positions: Callable, corrupt: Callable, *, progress: bool = True,
                               compare_live: bool = False, **overrides) -> PayoffRun:
    """Pre-train a small BERT (MLM only) with YOUR masking; set it beside the course's and broken ones.

    Your functions are used when they pass the checks of exercises 1 and 2; until then the run uses
    the reference solutions and says so (so the cell always shows a curve). The other curves are
    stored measurements with the same settings (corpus, vocabulary, initial weights, held-out set
    masked the course's way); with ``overrides`` of the settings, or ``compare_live``, the course's
    masking is trained here too and no stored curve is shown.
    """
    used_yours, mask_fn, message = _learner_or_reference(choose_positions, corrupt)
    settings = dataclasses.replace(PAYOFF_SETTINGS, **overrides)
    stored = None if compare_live else stored_curves(settings)
    start = time.perf_counter()
    try:
        result = pretrain(settings, mask_fn=mask_fn, progress=progress)
    except MaskingError as err:  # passed the checks, yet broke on a real batch: say so, train the reference
        used_yours, message = False, f"Your masking stopped training: {err}. This run uses the reference solution."
        result = pretrain(settings, mask_fn=as_mask_fn(solutions.choose_positions, solutions.corrupt),
                          progress=progress)
    seconds = time.perf_counter() - start
    runs = {YOURS if used_yours else STAND_IN: result.history["eval"]}
    if result.interrupted:
        message += f" Training was interrupted at step {result.steps}: the curve stops there."
    elif stored is None:
        runs[COURSE] = pretrain(settings, progress=progress).history["eval"]
    if stored is not None:
        runs.update(stored["runs"])
    steps = list(range(0, settings.steps, settings.eval_every)) + [settings.steps]
    return PayoffRun(used_yours=used_yours, message=message, steps=steps,
                     accuracy_curves={k: _padded(v["mlm_accuracy"], len(steps)) for k, v in runs.items()},
                     loss_curves={k: _padded(v["mlm_loss"], len(steps)) for k, v in runs.items()},
                     frequency_baseline=frequency_baseline(result), seconds=seconds,
                     stored=stored["measured"]["summary"] if stored else "", interrupted=result.interrupted)


# ---------------------------------------------------------------- measuring the stored curves


def measure_stored_curves(settings: PretrainConfig = PAYOFF_SETTINGS) -> dict:
    """Train the course's masking and every broken one with ``settings``; the curves, seconds and conditions."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    maskings = [(COURSE, None), *((name, as_mask_fn(*functions)) for name, functions in BROKEN_MASKINGS.items())]
    runs = {}
    for name, mask_fn in maskings:
        start = time.perf_counter()
        evaluation = pretrain(settings, mask_fn=mask_fn, progress=False).history["eval"]
        runs[name] = {"step": list(evaluation["step"]),
                      "mlm_accuracy": [round(a, 4) for a in evaluation["mlm_accuracy"]],
                      "mlm_loss": [round(v, 4) for v in evaluation["mlm_loss"]],
                      "final_by_operation": {op: round(evaluation[f"mlm_accuracy_{op}"][-1], 4)
                                             for op in ("masked", "random", "kept")},
                      "seconds": round(time.perf_counter() - start, 1)}
    threads = torch.get_num_threads()
    summary = (f"measured with python -m helpers.course.exercises.payoff on {_cpu()}, {threads} thread(s), load "
               f"average {load:.1f} at the start; the course's masking took {runs[COURSE]['seconds']:.0f} s")
    return {"settings": dataclasses.asdict(settings), "runs": runs,
            "measured": {"summary": summary, "threads": threads, "load_average": round(load, 2),
                         "python": sys.version.split()[0], "torch": torch.__version__,
                         "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}}


def _cpu() -> str:
    try:
        names = [line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                 if line.startswith("model name")]
    except OSError:
        names = []
    return f"{names[0] if names else platform.processor() or platform.machine()} ({os.cpu_count()} cores)"


def write_stored_curves(data: dict, path: Path = CURVES_FILE) -> None:
    """Write the curves file atomically (a temporary file renamed over the old one)."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(data, indent=1) + "\n")
    os.replace(temporary, path)


if __name__ == "__main__":
    write_stored_curves(measure_stored_curves())
    print(f"wrote {CURVES_FILE}")
