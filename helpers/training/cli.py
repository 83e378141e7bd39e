"""Command line for pre-training: ``python -m helpers.pretrain --preset course --out checkpoints/course.pt``.

The same entry point runs data-parallel on several processes::

    torchrun --nproc_per_node=2 -m helpers.pretrain --preset live --out /tmp/live.pt

torchrun starts one process per rank and sets RANK / WORLD_SIZE / LOCAL_RANK; we then join the
process group (gloo on CPU, nccl on GPU) and `pretrain` wraps the model in
DistributedDataParallel. Each rank draws its own batches and masks; gradients are averaged, so
every rank holds the same weights after every step. Only rank 0 evaluates, shows the progress
bar and writes the checkpoint. A rank that waits longer than ``--join-timeout`` seconds for the
others gives up with one line.

Every setting of ``PretrainConfig`` is a flag (``--learning-rate``, ``--mask-prob``...), made from the
field's own declaration (type, help, allowed range); a flag that is not given leaves the preset's
value. ``--resume CHECKPOINT`` continues a run with the checkpoint's own settings and corpus: only
``--steps`` (the new total), ``--time-budget``, ``--precision`` and ``--eval-every`` may change, and
a flag that contradicts the checkpoint is refused.

Mistakes cost one line, not a file or a training run: every argument (and ``--out``, the device
and the torchrun environment) is checked before training starts; an error prints one line naming
the argument, its value and what is allowed, and exits with status 2 (argparse's convention;
``--debug`` adds the traceback). A run that trains 0 steps writes nothing. An existing checkpoint
at ``--out`` is never replaced by one with worse held-out accuracy, nor (having no accuracy to
compare) by anything, unless ``--force``. Ctrl-C saves what was trained next to ``--out`` without
replacing a finished checkpoint or an interrupted one with more steps; a second Ctrl-C while that
is being written is ignored until the file is complete.
"""
from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import math
import os
import shlex
import signal
import sys
import threading
import traceback
from pathlib import Path

import torch

from helpers.files import atomic_write, describe
from helpers.modeling.checkpoints import Checkpoint, parameter_hash, read_checkpoint_metadata, save_checkpoint
from helpers.text import corpus as corpora
from helpers.training.cli_checks import (PROG, SETTINGS, Plan, UsageError, flag_name, given_settings,  # noqa: F401
                                         plan_run, split_held_out)
from helpers.training.configs import PRESETS, PretrainConfig, field_types, rule_of
from helpers.training.pretraining import PretrainResult, corpus_hash, evaluate_pretraining, pick_device, pretrain


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line (argparse also prints the whole usage)
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


# ---------------------------------------------------------------- the parser


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog=PROG, description=__doc__.split("\n\n")[0],
                formatter_class=argparse.RawDescriptionHelpFormatter)
    suppress = argparse.SUPPRESS  # a flag not given is absent: the preset (or the resumed run) decides
    p.add_argument("--preset", default=suppress, choices=sorted(PRESETS), help="starting settings (default: course)")
    p.add_argument("--out", required=True, help="where to write the checkpoint (.pt)")
    p.add_argument("--corpus", default=suppress,
                   help="storybook | python-docs | PATH (default: storybook; with --resume, the checkpoint's corpus)")
    p.add_argument("--force", action="store_true",
                   help="replace the checkpoint at --out even if its held-out accuracy is better or unknown, "
                        "or a file there that is not a checkpoint")
    p.add_argument("--resume", metavar="CHECKPOINT",
                   help="continue training this checkpoint: its vocabulary, settings and corpus, its optimizer "
                        "state if it was saved (an interrupted run), steps counted on (--steps is the new total)")
    p.add_argument("--no-nsp", action="store_true", help="the same as --sentence-objective none")
    p.add_argument("--float32", action="store_true", help="store weights as float32 (default float16)")
    p.add_argument("--device", help="cpu, cuda, cuda:1 ... (default: GPU if there is one)")
    p.add_argument("--join-timeout", type=float, default=60.0, metavar="SECONDS",
                   help="under torchrun: give up if the other ranks have not joined after this long (default 60)")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--debug", action="store_true", help="on an error, show the full traceback")
    p.add_argument("--hash-dir", help=argparse.SUPPRESS)  # tests: each rank writes a hash of its weights here
    group = p.add_argument_group("settings (PretrainConfig; a flag given overrides the preset)")
    for field in SETTINGS:
        _add_setting(group, field)
    return p


def _add_setting(group, field: dataclasses.Field) -> None:
    rule, (kind, _) = rule_of(field), field_types(PretrainConfig)[field.name]
    presets = ", ".join(f"{name} {getattr(config, field.name)}" for name, config in PRESETS.items())
    common = dict(dest=field.name, default=argparse.SUPPRESS, help=f"{rule.help} [{presets}]")
    if kind is bool:
        group.add_argument(flag_name(field.name), action=argparse.BooleanOptionalAction, **common)
    else:
        metavar = None if rule.choices else {int: "N", float: "X"}.get(kind, "TEXT")
        group.add_argument(flag_name(field.name), type=kind, choices=rule.choices, metavar=metavar, **common)


# ---------------------------------------------------------------- Ctrl-C and torchrun


class CtrlC:
    """SIGINT while the command runs: the first Ctrl-C stops training (``KeyboardInterrupt``, which the
    loop turns into a clean stop); once training has stopped, or from the second Ctrl-C on, it is
    noted and ignored, so the checkpoint being written is never cut short."""

    def __init__(self) -> None:
        self.count, self.saving, self._previous = 0, False, None

    def __enter__(self) -> "CtrlC":
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)

    def _handle(self, signum, frame) -> None:
        self.count += 1
        if self.saving or self.count > 1:
            print(f"\n{PROG}: Ctrl-C noted: what was trained is being saved; wait for it to finish.",
                  file=sys.stderr, flush=True)
            return
        raise KeyboardInterrupt


def join_process_group(world_size: int, device: str | None, timeout: float) -> int:
    """Join torchrun's process group; give up with one line after ``timeout`` seconds. Returns the rank."""
    device = pick_device(device)
    if device.type == "cuda":
        torch.cuda.set_device(device)

    def give_up() -> None:  # a rank never came: nothing was written yet, so leave at once
        print(f"{PROG}: error: gave up after {timeout:g} s waiting for the other {world_size - 1} rank(s) to join "
              f"(WORLD_SIZE={world_size}, MASTER_ADDR={os.environ.get('MASTER_ADDR')}, MASTER_PORT="
              f"{os.environ.get('MASTER_PORT')}): start every rank with torchrun (torchrun --nproc_per_node="
              f"{world_size} -m helpers.pretrain ...), or unset WORLD_SIZE to train in one process.",
              file=sys.stderr, flush=True)
        os._exit(2)

    timer = threading.Timer(timeout, give_up)
    timer.daemon = True
    timer.start()
    try:
        torch.distributed.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    except (RuntimeError, ValueError) as error:  # an address in use, a refused connection...
        raise UsageError(f"could not join the torchrun process group: {' '.join(str(error).split())[:200]}") from None
    finally:
        timer.cancel()
    return torch.distributed.get_rank()


# ---------------------------------------------------------------- after training


def worse_than_existing(existing: dict, metrics: dict, nsp: bool) -> str | None:
    """Why the new model is worse than the checkpoint already at ``--out`` (None if it is not)."""
    names = ["mlm_accuracy"]
    if nsp and existing.get("sentence_objective", "nsp") == "nsp":
        names.append("nsp_accuracy")
    old_metrics = existing.get("metrics") or {}
    for name in names:
        old, new = old_metrics.get(name), metrics.get(name)
        if all(isinstance(v, (int, float)) and math.isfinite(v) for v in (old, new)) and new < old:
            return f"held-out {name} {new:.3f} now against {old:.3f} there"
    return None


def interrupted_target(out: Path, steps: int) -> Path:
    """Where an interrupted run of ``steps`` steps is saved: ``--out`` if it is free, else ``NAME.interrupted.pt``,
    ``NAME.interrupted-2.pt``...: the first that is free or holds an interrupted run with fewer steps.
    A finished checkpoint, an interrupted one with as many steps or more, or a foreign file is never replaced."""
    names = [out, out.with_name(f"{out.stem}.interrupted{out.suffix}")]
    names += [out.with_name(f"{out.stem}.interrupted-{n}{out.suffix}") for n in range(2, 1000)]
    for path in names:
        if not path.exists():
            return path
        try:
            metadata = read_checkpoint_metadata(path)
        except ValueError:
            continue
        if metadata.get("interrupted") and metadata.get("steps", 0) < steps:
            return path
    raise UsageError(f"no free name for the interrupted run next to {str(out)!r}: move some *.interrupted files away.")


def optimizer_state_of(checkpoint: Checkpoint) -> dict | None:
    """AdamW's state from a checkpoint, with the integer parameter keys torch expects."""
    state = checkpoint.metadata.get("optimizer_state")
    if state is None:
        return None
    return {"state": {int(k): v for k, v in state["state"].items()}, "param_groups": state["param_groups"]}


def run_metadata(plan: Plan, result: PretrainResult, args: argparse.Namespace, argv: list[str]) -> dict:
    """What the checkpoint records about the run (settings, corpus, history, float16 check...)."""
    metadata = result.metadata()
    metadata.update(command=f"{PROG} " + shlex.join(argv), corpus=plan.corpus,
                    corpus_version=corpora.CORPUS_VERSION if plan.corpus == "storybook" else None,
                    corpus_sha256=corpus_hash(plan.documents), seed=plan.config.seed,
                    device=str(next(result.model.parameters()).device), history=result.history)
    if result.interrupted:  # AdamW's moments make a resumed run continue exactly (they triple the file)
        metadata["optimizer_state"] = result.optimizer_state
    if plan.resumed is not None:
        metadata["resumed_from"] = {"path": str(args.resume), "steps": plan.start_step}
    if not args.float32:  # check that storing float16 weights costs no accuracy
        rounded = copy.deepcopy(result.model)
        for tensor in rounded.state_dict().values():
            if tensor.is_floating_point():
                tensor.copy_(tensor.half().float())
        metadata["metrics_float16"] = evaluate_pretraining(rounded, result.held_out)
    return metadata


def finish(plan: Plan, result: PretrainResult, args: argparse.Namespace, argv: list[str]) -> int:
    """Rank 0 after training: refuse to replace a better checkpoint, else save and report."""
    if result.steps == plan.start_step:  # the time budget ran out during the first evaluation, or Ctrl-C came at once
        if result.interrupted:
            print(f"{PROG}: interrupted before training; nothing written.", file=sys.stderr)
            return 130
        print(f"{PROG}: error: trained 0 steps, so no checkpoint was written and --out={args.out!r} was left as it "
              "was.", file=sys.stderr)
        return 1
    existing = plan.existing
    worse = (worse_than_existing(existing, result.final, nsp=plan.config.sentence_objective == "nsp")
             if existing and not args.force and not result.interrupted else None)
    if worse:
        print(f"{PROG}: error: --out={args.out!r} already holds a better checkpoint ({worse}; it came from "
              f"{existing.get('command', 'an earlier run')!r}, {existing.get('steps', '?')} steps), so it was left "
              "as it was and the new model was not saved. Pass --force to replace it, or choose another --out.",
              file=sys.stderr)
        return 1
    out = interrupted_target(Path(args.out), result.steps) if result.interrupted else Path(args.out)
    save_checkpoint(out, result.model, result.tokenizer, run_metadata(plan, result, args, argv),
                    dtype=torch.float32 if args.float32 else torch.float16)
    m = result.final
    sentence = next((k for k in ("nsp_accuracy", "sop_accuracy") if k in m), None)
    print(f"steps={result.steps} seconds={result.seconds:.1f} world_size={plan.world_size} "
          f"mlm_accuracy={m.get('mlm_accuracy', float('nan')):.3f}"
          + (f" {sentence}={m[sentence]:.3f}" if sentence else "") + f" -> {out}")
    if result.interrupted:
        print(f"{PROG}: interrupted (Ctrl-C) after step {result.steps} of {plan.config.steps}: what was trained so "
              f"far is saved in {str(out)!r}, marked as interrupted. Continue with: {PROG} --resume "
              f"{shlex.quote(str(out))} --out {shlex.quote(str(out))}", file=sys.stderr)
        return 130
    return 0


# ---------------------------------------------------------------- the command


def _report(debug: bool, message: str) -> None:
    if debug:
        traceback.print_exc()
    print(f"{PROG}: error: {' '.join(message.split())}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser().parse_args(argv)
    with CtrlC() as ctrl_c:
        try:
            return _run(args, argv, ctrl_c)
        except KeyboardInterrupt:  # before the loop started (corpus, vocabulary, model...)
            print(f"\n{PROG}: interrupted before training; nothing written.", file=sys.stderr)
            return 130
        except ValueError as err:  # bad arguments, corpus or settings (UsageError included): one line
            _report(args.debug, str(err))
            return 2
        except OSError as err:  # the disk refused (full, permissions changed during training...)
            _report(args.debug, describe(err))
            return 1


def _run(args: argparse.Namespace, argv: list[str], ctrl_c: CtrlC) -> int:
    plan = plan_run(args)  # everything that can be wrong is checked before the (long) training starts
    rank = join_process_group(plan.world_size, args.device, args.join_timeout) if plan.world_size > 1 else 0
    resumed = plan.resumed
    try:
        result = pretrain(
            plan.config, documents=plan.documents, eval_documents=plan.held_out,
            tokenizer=resumed.tokenizer if resumed else None, model=resumed.model if resumed else None,
            optimizer_state=optimizer_state_of(resumed) if resumed else None, start_step=plan.start_step,
            device=args.device, progress=not args.no_progress)
        ctrl_c.saving = True
        if args.hash_dir:
            facts = {"rank": rank, "world_size": plan.world_size, "hash": parameter_hash(result.model),
                     "first_loss": result.history["train"]["loss"][0], "steps": result.steps}
            atomic_write(Path(args.hash_dir, f"rank{rank}.json"), json.dumps(facts) + "\n")
        return finish(plan, result, args, argv) if rank == 0 else 0
    finally:
        if plan.world_size > 1:
            torch.distributed.destroy_process_group()


if __name__ == "__main__":
    sys.exit(main())
