"""Command line for pre-training: ``python -m helpers.pretrain --preset course --out checkpoints/course.pt``.

The same entry point runs data-parallel on several processes::

    torchrun --nproc_per_node=2 -m helpers.pretrain --preset live --out /tmp/live.pt

torchrun starts one process per rank and sets RANK / WORLD_SIZE / LOCAL_RANK; we then join the
process group (gloo on CPU, nccl on GPU) and `pretrain` wraps the model in
DistributedDataParallel. Each rank draws its own batches and masks; gradients are averaged, so
every rank holds the same weights after every step. Only rank 0 evaluates, shows the progress
bar and writes the checkpoint.

Mistakes cost one line, not a file or a training run: every argument (and ``--out``, the device
and the torchrun environment) is checked before training starts; an error prints one line naming
the argument, its value and what is allowed, and exits with status 2 (argparse's convention;
``--debug`` adds the traceback). A run that trains 0 steps writes nothing, and an existing
checkpoint at ``--out`` is never replaced by one with worse held-out accuracy unless ``--force``.
"""
from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import math
import os
import shlex
import stat
import sys
import traceback
from pathlib import Path

import torch

from helpers.errors import check_positive_int, check_probability
from helpers.modeling.checkpoints import (load_checkpoint, parameter_hash, read_checkpoint_metadata,
                                          save_checkpoint)
from helpers.text import corpus as corpora
from helpers.training.precision import PRECISIONS
from helpers.training.pretraining import (HELD_OUT_SEED_OFFSET, MAX_BATCH_SIZE, PRESETS, SENTENCE_OBJECTIVES,
                                          SOP_STARTS, PretrainConfig, corpus_hash, evaluate_pretraining, pick_device, pretrain)

PROG = "python -m helpers.pretrain"


class UsageError(ValueError):
    """A bad argument or environment, found before training: one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line (argparse also prints the whole usage)
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def load_corpus(corpus: str, num_documents: int, seed: int) -> tuple[list[list[str]], list[list[str]] | None]:
    """The training documents and the held-out documents to measure on.

    ``storybook`` (the course's generated corpus; held-out text is other storybook documents),
    ``python-docs`` (Python's reference text) or a path to a text file in Google's pre-training
    format (one sentence per line, blank line between documents). For the last two, every tenth
    document is held out, so the reported accuracy is measured on the kind of text you trained on.
    """
    if corpus == "storybook":
        return (corpora.make_storybook(num_documents=num_documents, seed=seed),
                corpora.make_storybook(num_documents=512, seed=seed + HELD_OUT_SEED_OFFSET))
    if corpus == "python-docs":
        documents = corpora.python_reference_corpus()
    elif Path(corpus).exists():
        documents = corpora.read_pretraining_text(corpus)
    else:
        raise ValueError(f"--corpus={corpus!r} is not allowed: use storybook, python-docs or a path to a text file.")
    return split_held_out(documents)


def split_held_out(documents: list[list[str]], every: int = 10) -> tuple[list[list[str]], list[list[str]]]:
    """Every ``every``-th document held out (at least two, so pairs can be cut from them)."""
    if len(documents) < 4:
        raise ValueError(f"the corpus has {len(documents)} documents, which is not allowed: at least 4 are "
                         "needed (two to train on, two held out to measure on).")
    held = set(range(every - 1, len(documents), every)) or {len(documents) - 1}
    if len(held) < 2:
        held = {len(documents) - 1, len(documents) - 2}
    return ([d for i, d in enumerate(documents) if i not in held], [d for i, d in enumerate(documents) if i in held])


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog=PROG, description=__doc__.split("\n\n")[0],
                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", default="course", choices=sorted(PRESETS), help="starting settings (default: course)")
    p.add_argument("--out", required=True, help="where to write the checkpoint (.pt)")
    p.add_argument("--corpus", default="storybook", help="storybook | python-docs | PATH (default: storybook)")
    p.add_argument("--force", action="store_true",
                   help="replace the checkpoint at --out even if its held-out accuracy is better, or a file "
                        "there that is not a checkpoint")
    p.add_argument("--steps", type=int, help="optimizer steps (overrides the preset)")
    p.add_argument("--time-budget", type=float, help="stop after this many seconds even if steps remain")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch-size", type=int,
                   help=f"pairs per step (per rank under torchrun), 1 to {MAX_BATCH_SIZE} and at most the "
                        "pairs one pass over the corpus yields")
    p.add_argument("--max-length", type=int, help="tokens per pair, [CLS] and [SEP]s included")
    p.add_argument("--learning-rate", type=float)
    p.add_argument("--warmup-steps", type=int)
    p.add_argument("--num-documents", type=int, help="storybook documents to generate")
    p.add_argument("--vocab-size", type=int)
    p.add_argument("--hidden-size", type=int)
    p.add_argument("--num-hidden-layers", type=int)
    p.add_argument("--num-attention-heads", type=int)
    p.add_argument("--intermediate-size", type=int)
    p.add_argument("--mask-prob", type=float, default=0.8, help="share of selected tokens replaced by [MASK]")
    p.add_argument("--random-prob", type=float, default=0.1, help="share of selected tokens replaced by a random token")
    p.add_argument("--sentence-objective", choices=SENTENCE_OBJECTIVES,
                   help="nsp (BERT), sop (ALBERT's sentence order) or none (MLM only); default nsp")
    p.add_argument("--no-nsp", action="store_true", help="the same as --sentence-objective none")
    p.add_argument("--sop-start", choices=SOP_STARTS,
                   help="with --sentence-objective sop: document (chunks packed from each document's start, "
                        "ALBERT's way; default) or random (one chunk per document, from a random sentence)")
    p.add_argument("--precision", choices=PRECISIONS, default="fp32",
                   help="fp32, or bf16 autocast with float32 master weights (CPUs with AMX, recent GPUs)")
    p.add_argument("--resume", metavar="CHECKPOINT",
                   help="continue training this checkpoint: same vocabulary and settings, its optimizer "
                        "state if it was saved (an interrupted run), steps counted on (--steps is the new total)")
    p.add_argument("--eval-every", type=int)
    p.add_argument("--float32", action="store_true", help="store weights as float32 (default float16)")
    p.add_argument("--device", help="cpu, cuda, cuda:1 ... (default: GPU if there is one)")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--debug", action="store_true", help="on an error, show the full traceback")
    p.add_argument("--hash-dir", help=argparse.SUPPRESS)  # tests: each rank writes a hash of its weights here
    return p


# ---------------------------------------------------------------- checks before training


def check_numbers(args: argparse.Namespace) -> None:
    """Every numeric option in its allowed range (named as on the command line)."""
    for name in ("steps", "eval_every", "num_documents", "vocab_size", "hidden_size", "num_hidden_layers",
                 "num_attention_heads", "intermediate_size"):
        if getattr(args, name) is not None:
            check_positive_int("--" + name.replace("_", "-"), getattr(args, name))
    if args.warmup_steps is not None:
        check_positive_int("--warmup-steps", args.warmup_steps, minimum=0)
    if args.batch_size is not None and not 1 <= args.batch_size <= MAX_BATCH_SIZE:
        raise UsageError(f"--batch-size={args.batch_size} is not allowed: it must be an integer from 1 to "
                         f"{MAX_BATCH_SIZE} (pairs per step).")
    for name in ("time_budget", "learning_rate"):
        value = getattr(args, name)
        if value is not None and not (math.isfinite(value) and value > 0):
            raise UsageError(f"--{name.replace('_', '-')}={value!r} is not allowed: it must be a number > 0.")
    check_probability("--mask-prob", args.mask_prob, allow_zero=True)
    check_probability("--random-prob", args.random_prob, allow_zero=True)
    if args.mask_prob + args.random_prob > 1 + 1e-9:
        raise UsageError(f"--mask-prob={args.mask_prob} with --random-prob={args.random_prob} is not allowed: "
                         "their sum must be <= 1 (the rest of the selected tokens are kept).")
    positions = PRESETS[args.preset].max_position_embeddings
    if args.max_length is not None and not 5 <= args.max_length <= positions:
        raise UsageError(f"--max-length={args.max_length} is not allowed: it must be from 5 to {positions} "
                         f"(the {args.preset} model's max_position_embeddings).")


def check_device(device: str | None) -> None:
    """``--device``: cpu, or a GPU that this machine has."""
    if device is None:
        return
    gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    here = f"this machine has {gpus} CUDA GPU(s)" if gpus else "this machine has no CUDA GPU, so use cpu"
    try:
        parsed = torch.device(device)
    except (RuntimeError, ValueError):
        raise UsageError(f"--device={device!r} is not allowed: use cpu, cuda or cuda:N ({here}).") from None
    if parsed.type == "cpu":
        return
    if parsed.type == "cuda" and gpus and (parsed.index is None or parsed.index < gpus):
        return
    if parsed.type == "mps" and torch.backends.mps.is_available():
        return
    raise UsageError(f"--device={device!r} is not allowed: {here} (use cpu, cuda or cuda:0..{max(gpus - 1, 0)}).")


def check_distributed_environment(env=os.environ) -> int:
    """The world size torchrun asked for (1 when not under torchrun); a stray ``WORLD_SIZE`` is an error.

    ``init_process_group`` needs RANK, MASTER_ADDR and MASTER_PORT as well; without them it fails
    with a raw error or waits forever for ranks that will never come.
    """
    raw = env.get("WORLD_SIZE")
    if raw is None or raw.strip() in ("", "1"):
        return 1
    try:
        world_size = int(raw)
    except ValueError:
        world_size = 0
    if world_size < 1:
        raise UsageError(f"WORLD_SIZE={raw!r} is not allowed: it must be a whole number >= 1 (torchrun sets it; "
                         "unset it to train in one process).")
    missing = [k for k in ("RANK", "MASTER_ADDR", "MASTER_PORT") if not env.get(k, "").strip()]
    if missing:
        raise UsageError(f"WORLD_SIZE={raw} is set but {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} "
                         f"not: start the ranks with torchrun (torchrun --nproc_per_node={world_size} -m "
                         "helpers.pretrain ...), or unset WORLD_SIZE to train in one process.")
    rank = env["RANK"].strip()
    if not (rank.isdigit() and int(rank) < world_size):
        raise UsageError(f"RANK={rank!r} is not allowed: with WORLD_SIZE={world_size} it must be 0 to {world_size - 1}.")
    return world_size


def _writable(path: Path) -> bool:
    # root may write anywhere; a path with no write bit at all is still treated as read-only
    return os.access(path, os.W_OK) and bool(stat.S_IMODE(path.stat().st_mode) & 0o222)


def check_out(out: str, corpus: str, force: bool) -> dict | None:
    """``--out`` can take a checkpoint, checked before training; the metadata of a checkpoint already there.

    Refused: a folder, a path under a file, a folder without write permission, a read-only file,
    the corpus itself, and (unless ``force``) an existing file that is not a checkpoint.
    """
    path = Path(out).expanduser()
    if path.is_dir():
        raise UsageError(f"--out={out!r} is not allowed: it is a folder; name the checkpoint file "
                         f"(for example {str(path / 'model.pt')!r}).")
    ancestor = next(p for p in path.absolute().parents if p.exists())
    if not ancestor.is_dir():
        raise UsageError(f"--out={out!r} is not allowed: {str(ancestor)!r} is a file, so nothing can be written "
                         "under it.")
    if not _writable(ancestor):
        raise UsageError(f"--out={out!r} is not allowed: the folder {str(ancestor)!r} is not writable.")
    corpus_path = Path(corpus).expanduser()
    if corpus_path.exists() and path.exists() and os.path.samefile(path, corpus_path) \
            or path.resolve() == corpus_path.resolve():
        raise UsageError(f"--out={out!r} is not allowed: it is the corpus (--corpus={corpus!r}), which the "
                         "checkpoint would overwrite. Choose another --out.")
    if not path.exists():
        return None
    if not _writable(path):
        raise UsageError(f"--out={out!r} is not allowed: the file there is read-only, so it was left untouched.")
    try:
        return read_checkpoint_metadata(path)
    except ValueError:
        if force:
            return None
        raise UsageError(f"--out={out!r} is not allowed: that file exists and is not a checkpoint of this course, "
                         "so it was left untouched. Choose another --out (or pass --force to replace it).") from None


def check_batch_size(batch_size: int, documents: list[list[str]], corpus: str) -> None:
    """At most the pairs one pass over the corpus can yield: each pair takes two or more sentences of a document."""
    capacity = sum(len(document) // 2 for document in documents)
    if batch_size > capacity:
        raise UsageError(f"--batch-size={batch_size} is not allowed: the corpus {corpus!r} yields at most "
                         f"{capacity} sentence pairs per pass (each pair takes at least two sentences of a "
                         f"document), and a step cannot use more. Use --batch-size {max(1, capacity)} or less, "
                         "or a larger corpus.")


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


def config_from_args(args) -> PretrainConfig:
    """The preset, with every option the user gave applied on top."""
    config = PRESETS[args.preset]
    objective = "none" if args.no_nsp else args.sentence_objective
    if args.sop_start is not None and objective != "sop":
        raise UsageError(f"--sop-start={args.sop_start} is not allowed without --sentence-objective sop: it says "
                         "where sentence-order pairs are cut, and this run makes none.")
    overrides = dict(steps=args.steps, time_budget=args.time_budget, seed=args.seed, batch_size=args.batch_size,
                     max_length=args.max_length, learning_rate=args.learning_rate, warmup_steps=args.warmup_steps,
                     num_documents=args.num_documents, vocab_size=args.vocab_size, hidden_size=args.hidden_size,
                     num_hidden_layers=args.num_hidden_layers, num_attention_heads=args.num_attention_heads,
                     intermediate_size=args.intermediate_size, mask_prob=args.mask_prob,
                     random_prob=args.random_prob, sentence_objective=objective, eval_every=args.eval_every,
                     precision=args.precision, sop_start=args.sop_start)
    return dataclasses.replace(config, **{k: v for k, v in overrides.items() if v is not None})


def settings_of(checkpoint, path: str) -> PretrainConfig:
    """The PretrainConfig a checkpoint was trained with."""
    settings = checkpoint.metadata.get("settings", {})
    names = {f.name for f in dataclasses.fields(PretrainConfig)}
    if not isinstance(settings, dict) or not names.issuperset(settings) or "steps" not in settings:
        raise ValueError(f"--resume={path!r} is not allowed: the checkpoint does not record its settings in this "
                         "course's format (re-save it with this version, or start a new run).")
    return PretrainConfig(**settings)


def optimizer_state_of(checkpoint) -> dict | None:
    """AdamW's state from a checkpoint, with the integer parameter keys torch expects."""
    state = checkpoint.metadata.get("optimizer_state")
    if state is None:
        return None
    return {"state": {int(k): v for k, v in state["state"].items()}, "param_groups": state["param_groups"]}


def _report(args_debug: bool, message: str) -> None:
    if args_debug:
        traceback.print_exc()
    print(f"{PROG}: error: {' '.join(message.split())}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser().parse_args(argv)
    try:
        return _run(args, argv)
    except ValueError as err:  # bad arguments, corpus or settings (UsageError included): one line
        _report(args.debug, str(err))
        return 2
    except OSError as err:  # the disk refused (full, permissions changed during training...)
        _report(args.debug, f"{type(err).__name__}: {err}")
        return 1


def _run(args: argparse.Namespace, argv: list[str]) -> int:
    # Everything that can be wrong is checked before the (long) training starts.
    check_numbers(args)
    check_device(args.device)
    world_size = check_distributed_environment()
    existing = check_out(args.out, args.corpus, args.force)
    resumed = load_checkpoint(args.resume) if args.resume else None
    config = config_from_args(args)
    if resumed is not None:  # the checkpoint's own settings, with the new step total
        saved = settings_of(resumed, args.resume)
        config = dataclasses.replace(saved, steps=args.steps or saved.steps, time_budget=args.time_budget,
                                     precision=args.precision)
        if config.steps <= resumed.metadata["steps"]:
            raise UsageError(f"--steps={config.steps} is not allowed with --resume: the checkpoint has trained "
                             f"{resumed.metadata['steps']} steps already; give a larger total.")
    documents, held_out_documents = load_corpus(args.corpus, config.num_documents, config.seed)
    check_batch_size(config.batch_size, documents, args.corpus)

    if world_size > 1:
        device = pick_device(args.device)
        if device.type == "cuda":
            torch.cuda.set_device(device)
        torch.distributed.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    rank = torch.distributed.get_rank() if world_size > 1 else 0
    try:
        result = pretrain(
            config, documents=documents, eval_documents=held_out_documents,
            tokenizer=resumed.tokenizer if resumed else None, model=resumed.model if resumed else None,
            optimizer_state=optimizer_state_of(resumed) if resumed else None,
            start_step=resumed.metadata["steps"] if resumed else 0,
            device=args.device, progress=not args.no_progress,
        )
        if args.hash_dir:
            Path(args.hash_dir).mkdir(parents=True, exist_ok=True)
            facts = {"rank": rank, "world_size": world_size, "hash": parameter_hash(result.model),
                     "first_loss": result.history["train"]["loss"][0], "steps": result.steps}
            Path(args.hash_dir, f"rank{rank}.json").write_text(json.dumps(facts) + "\n")
        trained = result.steps - (resumed.metadata["steps"] if resumed else 0)
        if trained == 0:  # the time budget ran out during the first evaluation, or Ctrl-C came at once
            if rank == 0:
                print(f"{PROG}: error: trained 0 steps, so no checkpoint was written and --out={args.out!r} was "
                      "left as it was.", file=sys.stderr)
            return 1
        objective = config.sentence_objective
        worse = (worse_than_existing(existing, result.final, nsp=objective == "nsp")
                 if existing and not args.force and not result.interrupted else None)
        if worse:
            if rank == 0:
                print(f"{PROG}: error: --out={args.out!r} already holds a better checkpoint ({worse}; it came from "
                      f"{existing.get('command', 'an earlier run')!r}, {existing.get('steps', '?')} steps), so it "
                      "was left as it was and the new model was not saved. Pass --force to replace it, or "
                      "choose another --out.", file=sys.stderr)
            return 1
        if rank == 0:
            out = Path(args.out)
            if result.interrupted and existing:  # never replace a finished checkpoint with a half-trained one
                out = out.with_name(out.stem + ".interrupted" + out.suffix)
            metadata = result.metadata()
            metadata.update(
                command=f"{PROG} " + shlex.join(argv),
                corpus=args.corpus,
                corpus_version=corpora.CORPUS_VERSION if args.corpus == "storybook" else None,
                corpus_sha256=corpus_hash(documents),
                seed=config.seed,
                device=str(next(result.model.parameters()).device),
                history=result.history,
            )
            if result.interrupted:  # AdamW's moments make a resumed run continue exactly (they triple the file)
                metadata["optimizer_state"] = result.optimizer_state
            if resumed is not None:
                metadata["resumed_from"] = {"path": str(args.resume), "steps": resumed.metadata["steps"]}
            if not args.float32:  # check that storing float16 weights costs no accuracy
                rounded = copy.deepcopy(result.model)
                for tensor in rounded.state_dict().values():
                    if tensor.is_floating_point():
                        tensor.copy_(tensor.half().float())
                metadata["metrics_float16"] = evaluate_pretraining(rounded, result.held_out)
            save_checkpoint(out, result.model, result.tokenizer, metadata,
                            dtype=torch.float32 if args.float32 else torch.float16)
            m = result.final
            sentence = next((k for k in ("nsp_accuracy", "sop_accuracy") if k in m), None)
            print(f"steps={result.steps} seconds={result.seconds:.1f} world_size={world_size} "
                  f"mlm_accuracy={m.get('mlm_accuracy', float('nan')):.3f}"
                  + (f" {sentence}={m[sentence]:.3f}" if sentence else "") + f" -> {out}")
            if result.interrupted:
                print(f"{PROG}: interrupted (Ctrl-C) after step {result.steps} of {config.steps}: what was trained "
                      f"so far is saved in {str(out)!r}, marked as interrupted. Continue with: {PROG} --resume "
                      f"{shlex.quote(str(out))} --out {shlex.quote(str(out))}", file=sys.stderr)
                return 130
    finally:
        if world_size > 1:
            torch.distributed.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
