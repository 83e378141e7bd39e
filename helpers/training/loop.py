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


def _distributed_world() -> int:
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_world_size()
    return 1


def train(model: torch.nn.Module, next_batch: Callable[[int], dict], *, steps: int, learning_rate: float,
          warmup_steps: int, weight_decay: float = 0.01, max_grad_norm: float = 1.0,
          time_budget: float | None = None, evaluate: Callable[[int], dict] | None = None,
          eval_every: int | None = None, eval_at_start: bool = False,
          log_step: Callable[[Any, dict], dict] | None = None, set_train_mode: Callable[[], None] | None = None,
          forward_model: torch.nn.Module | None = None, start_step: int = 0,
          optimizer_state: dict | None = None, precision: str = "fp32", progress: bool = True,
          description: str = "training", is_main: bool = True) -> LoopResult:
    """Train ``model`` for steps ``start_step + 1 .. steps``; see the module docstring.

    ``next_batch(step)`` returns the keyword arguments of the forward call (tensors on the right
    device, labels included). ``evaluate(step)`` returns a dict of numbers; it runs every
    ``eval_every`` steps, at the last step, and at the start if ``eval_at_start``. ``log_step(output,
    batch)`` returns extra numbers to record for the step (the parts of a combined loss, say).
    ``set_train_mode()`` puts the model back in training mode after an evaluation (default:
    ``model.train()``). ``forward_model`` is what the forward pass calls (a DistributedDataParallel
    wrapper of ``model``, say). ``optimizer_state`` resumes AdamW where an earlier run left it.
    ``is_main``: only the main process shows the bar and evaluates.
    """
    set_train_mode = set_train_mode or model.train
    forward_model = forward_model or model
    optimizer = make_optimizer(model, learning_rate=learning_rate, weight_decay=weight_decay)
    if optimizer_state is not None:
        optimizer.load_state_dict(optimizer_state)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: warmup_then_decay(s + start_step, warmup_steps=warmup_steps, total_steps=steps))
    trainable = [p for p in model.parameters() if p.requires_grad]
    device = next(model.parameters()).device
    world_size = _distributed_world()

    history_train: dict[str, list] = {"step": [], "loss": [], "lr": []}
    history_eval: dict[str, list] = {"step": [], "seconds": []}
    eval_seconds = 0.0
    start = time.perf_counter()

    def run_evaluation(step: int) -> dict:
        nonlocal eval_seconds
        t0 = time.perf_counter()
        metrics = evaluate(step)
        eval_seconds += time.perf_counter() - t0
        history_eval["step"].append(step)
        history_eval["seconds"].append(round(time.perf_counter() - start, 3))
        for key, value in metrics.items():
            history_eval.setdefault(key, []).append(value)
        set_train_mode()
        return metrics

    set_train_mode()
    if evaluate is not None and is_main and eval_at_start:
        run_evaluation(start_step)
    bar = tqdm(total=steps - start_step, desc=description, disable=not (progress and is_main), leave=True)
    step, interrupted, out_of_time = start_step, False, False
    try:
        while step < steps:
            if time_budget is not None:
                # Every rank must stop at the same step, so the main process's clock decides.
                stop = torch.tensor([float(time.perf_counter() - start >= time_budget)], device=device)
                if world_size > 1:
                    torch.distributed.broadcast(stop, src=0)
                if stop.item():
                    out_of_time = True
                    break
            batch = next_batch(step)
            with autocast_context(precision, device):
                output = forward_model(**batch)
            loss = output.loss
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(trainable, max_grad_norm)
            optimizer.step()
            scheduler.step()
            step += 1
            history_train["step"].append(step)
            history_train["loss"].append(loss.item())
            history_train["lr"].append(scheduler.get_last_lr()[0])
            for key, value in (log_step(output, batch) if log_step else {}).items():
                history_train.setdefault(key, []).append(value)
            if evaluate is not None and is_main and eval_every and (step % eval_every == 0 or step == steps):
                metrics = run_evaluation(step)
                bar.set_postfix({k: f"{v:.3f}" for k, v in list(metrics.items())[:2]})
            bar.update(1)
    except KeyboardInterrupt:
        interrupted = True  # the step in flight is lost or complete; the weights are consistent
    if evaluate is not None and is_main and step > start_step and (not history_eval["step"]
                                                                   or history_eval["step"][-1] != step):
        run_evaluation(step)
    bar.close()
    return LoopResult(steps=step, seconds=time.perf_counter() - start, eval_seconds=eval_seconds,
                      train=history_train, eval=history_eval, interrupted=interrupted,
                      stopped_by_time_budget=out_of_time, optimizer_state=optimizer.state_dict())
