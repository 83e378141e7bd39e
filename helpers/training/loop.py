"""The one training loop: pre-training, fine-tuning and the copy-collapse experiment all use it.

Every step is the same five lines, whatever is being trained::

    batch = next_batch(step)             # the caller decides what a batch is
    loss = model(**batch).loss           # forward, the model computes its own loss
    loss.backward()                      # gradients
    clip the gradient norm to 1.0        # one bad batch cannot throw the weights far
    optimizer.step(); scheduler.step()   # AdamW, learning rate warmed up then decayed

Around it: BERT's optimizer (AdamW, no weight decay on biases and LayerNorm weights), a linear
warm-up followed by a linear decay to zero, an optional time budget, evaluation every so often, a
progress bar, a history of every step, and Ctrl-C: an interrupted run stops cleanly after the step
in flight and says so in its result, so the caller can still save what was trained.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

import torch
from helpers.progress_bars import tqdm
from helpers.training.precision import autocast_context


def warmup_then_decay(step: int, *, warmup_steps: int, total_steps: int) -> float:
    """Learning-rate multiplier: linear warm-up from 0 to 1, then linear decay to 0 (as in BERT).

    Warm-up matters here: with the full rate from step 0, Adam's first updates are large and noisy
    and the MLM head settles on "always predict the most frequent token" for longer.
    """
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    return max(0.0, (total_steps - step) / max(1, total_steps - warmup_steps))


def make_optimizer(model: torch.nn.Module, *, learning_rate: float, weight_decay: float) -> torch.optim.AdamW:
    """AdamW over the trainable parameters; matrices decay, biases and LayerNorm weights do not
    (BERT's choice: shrinking a bias or a norm's scale towards 0 is not regularisation)."""
    trainable = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in trainable if p.dim() >= 2]
    no_decay = [p for p in trainable if p.dim() < 2]
    return torch.optim.AdamW([{"params": decay, "weight_decay": weight_decay},
                              {"params": no_decay, "weight_decay": 0.0}], lr=learning_rate)


@dataclass
class LoopResult:
    """What :func:`train` returns.

    ``train`` holds one entry per step (``step``, ``loss``, ``lr`` and whatever ``log_step``
    added); ``eval`` one entry per evaluation (``step``, ``seconds`` and what ``evaluate``
    returned). Both are dicts of equal-length lists, ready to plot.
    """

    steps: int                      # the last step trained (counting from the start of the run)
    seconds: float                  # wall clock, evaluations included
    eval_seconds: float             # of which spent evaluating
    train: dict[str, list] = field(default_factory=dict)
    eval: dict[str, list] = field(default_factory=dict)
    interrupted: bool = False       # True if Ctrl-C stopped the run early
    stopped_by_time_budget: bool = False
    optimizer_state: dict | None = None   # for resuming: AdamW's moments and the step count


@dataclass(frozen=True)
class Schedule:
    """How long and how fast a run trains: the optimizer's settings, and where a resumed run starts."""

    steps: int                          # the last step to train (counting from the start of the run)
    learning_rate: float                # peak, after warm-up
    warmup_steps: int
    weight_decay: float = 0.01
    max_grad_norm: float = 1.0          # the gradient norm is clipped to this
    time_budget: float | None = None    # seconds; stop early when they run out
    start_step: int = 0                 # resuming: steps already trained
    optimizer_state: dict | None = None  # resuming: AdamW's moments and step counts


@dataclass(frozen=True)
class Evaluation:
    """Measuring during training: ``evaluate(step)`` returns a dict of numbers; it runs every ``every``
    steps, at the last step, and at the start if ``at_start``."""

    evaluate: Callable[[int], dict]
    every: int | None = None
    at_start: bool = False


def _distributed_world() -> int:
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_world_size()
    return 1


class _History:
    """The per-step and per-evaluation records, and the time spent evaluating."""

    def __init__(self, evaluation: Evaluation | None, set_train_mode: Callable[[], None], is_main: bool):
        self.evaluation, self.set_train_mode, self.is_main = evaluation, set_train_mode, is_main
        self.train: dict[str, list] = {"step": [], "loss": [], "lr": []}
        self.eval: dict[str, list] = {"step": [], "seconds": []}
        self.eval_seconds, self.start = 0.0, time.perf_counter()

    def record_step(self, step: int, loss: float, lr: float, extra: dict) -> None:
        for key, value in {"step": step, "loss": loss, "lr": lr, **extra}.items():
            self.train.setdefault(key, []).append(value)

    def due(self, step: int, last: int) -> bool:
        every = self.evaluation.every if self.evaluation else None
        return bool(self.evaluation and self.is_main and every and (step % every == 0 or step == last))

    def evaluate(self, step: int) -> dict:
        t0 = time.perf_counter()
        metrics = self.evaluation.evaluate(step)
        self.eval_seconds += time.perf_counter() - t0
        self.eval["step"].append(step)
        self.eval["seconds"].append(round(time.perf_counter() - self.start, 3))
        for key, value in metrics.items():
            self.eval.setdefault(key, []).append(value)
        self.set_train_mode()
        return metrics

    def evaluate_last(self, step: int, start_step: int) -> None:
        """The final evaluation, unless the last step was just evaluated (or nothing was trained)."""
        if self.evaluation and self.is_main and step > start_step and (not self.eval["step"]
                                                                         or self.eval["step"][-1] != step):
            self.evaluate(step)


def _out_of_time(budget: float | None, start: float, device: torch.device, world_size: int) -> bool:
    """Whether the time budget is spent. Every rank must stop at the same step, so rank 0's clock decides."""
    if budget is None:
        return False
    stop = torch.tensor([float(time.perf_counter() - start >= budget)], device=device)
    if world_size > 1:
        torch.distributed.broadcast(stop, src=0)
    return bool(stop.item())


def train(model: torch.nn.Module, next_batch: Callable[[int], dict], schedule: Schedule, *,
          evaluation: Evaluation | None = None, log_step: Callable[[Any, dict], dict] | None = None,
          set_train_mode: Callable[[], None] | None = None, forward_model: torch.nn.Module | None = None,
          precision: str = "fp32", progress: bool = True, description: str = "training",
          is_main: bool = True) -> LoopResult:
    """Train ``model`` for steps ``schedule.start_step + 1 .. schedule.steps``; see the module docstring.

    ``next_batch(step)`` returns the keyword arguments of the forward call (tensors on the right
    device, labels included). ``log_step(output, batch)`` returns extra numbers to record for the
    step (the parts of a combined loss, say). ``set_train_mode()`` puts the model back in training
    mode after an evaluation (default: ``model.train()``). ``forward_model`` is what the forward pass
    calls (a DistributedDataParallel wrapper of ``model``, say). ``is_main``: only the main process
    shows the bar and evaluates.
    """
    s = schedule
    forward_model = forward_model or model
    optimizer = make_optimizer(model, learning_rate=s.learning_rate, weight_decay=s.weight_decay)
    if s.optimizer_state is not None:
        optimizer.load_state_dict(s.optimizer_state)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda k: warmup_then_decay(k + s.start_step, warmup_steps=s.warmup_steps, total_steps=s.steps))
    trainable = [p for p in model.parameters() if p.requires_grad]
    device, world_size = next(model.parameters()).device, _distributed_world()
    history = _History(evaluation, set_train_mode or model.train, is_main)
    history.set_train_mode()
    if evaluation is not None and evaluation.at_start and is_main:
        history.evaluate(s.start_step)
    bar = tqdm(total=s.steps - s.start_step, desc=description, disable=not (progress and is_main), leave=True)
    step, interrupted, out_of_time = s.start_step, False, False
    try:
        while step < s.steps:
            if _out_of_time(s.time_budget, history.start, device, world_size):
                out_of_time = True
                break
            batch = next_batch(step)
            with autocast_context(precision, device):
                output = forward_model(**batch)
            optimizer.zero_grad(set_to_none=True)
            output.loss.backward()
            torch.nn.utils.clip_grad_norm_(trainable, s.max_grad_norm)
            optimizer.step()
            scheduler.step()
            step += 1
            history.record_step(step, output.loss.item(), scheduler.get_last_lr()[0],
                                log_step(output, batch) if log_step else {})
            if history.due(step, s.steps):
                bar.set_postfix({k: f"{v:.3f}" for k, v in list(history.evaluate(step).items())[:2]})
            bar.update(1)
    except KeyboardInterrupt:
        interrupted = True  # the step in flight is lost or complete; the weights are consistent
    history.evaluate_last(step, s.start_step)
    bar.close()
    return LoopResult(steps=step, seconds=time.perf_counter() - history.start, eval_seconds=history.eval_seconds,
                      train=history.train, eval=history.eval, interrupted=interrupted,
                      stopped_by_time_budget=out_of_time, optimizer_state=optimizer.state_dict())
