"""Command line for pre-training: ``python -m helpers.pretrain --preset course --out checkpoints/course.pt``.

The same entry point runs data-parallel on several processes::

    torchrun --nproc_per_node=2 -m helpers.pretrain --preset live --out /tmp/live.pt

torchrun starts one process per rank and sets RANK / WORLD_SIZE / LOCAL_RANK; we then join the
process group (gloo on CPU, nccl on GPU) and `pretrain` wraps the model in
DistributedDataParallel. Each rank draws its own batches and masks; gradients are averaged, so
every rank holds the same weights after every step. Only rank 0 evaluates, shows the progress
bar and writes the checkpoint.
"""
from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import os
import shlex
import sys
from pathlib import Path

import torch

from helpers.modeling.checkpoints import load_checkpoint, parameter_hash, save_checkpoint
from helpers.text import corpus as corpora
from helpers.training.pretraining import (HELD_OUT_SEED_OFFSET, PRESETS, SENTENCE_OBJECTIVES, PretrainConfig,
                                          corpus_hash, evaluate_pretraining, pick_device, pretrain)
from helpers.training.precision import PRECISIONS


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
    p = argparse.ArgumentParser(prog="python -m helpers.pretrain", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", default="course", choices=sorted(PRESETS), help="starting settings (default: course)")
    p.add_argument("--out", required=True, help="where to write the checkpoint (.pt)")
    p.add_argument("--corpus", default="storybook", help="storybook | python-docs | PATH (default: storybook)")
    p.add_argument("--steps", type=int, help="optimizer steps (overrides the preset)")
    p.add_argument("--time-budget", type=float, help="stop after this many seconds even if steps remain")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch-size", type=int, help="pairs per step (per rank under torchrun)")
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
    p.add_argument("--precision", choices=PRECISIONS, default="fp32",
                   help="fp32, or bf16 autocast with float32 master weights (CPUs with AMX, recent GPUs)")
    p.add_argument("--resume", metavar="CHECKPOINT",
                   help="continue training this checkpoint: same vocabulary and settings, its optimizer "
                        "state if saved, steps counted on (--steps is then the new total)")
    p.add_argument("--eval-every", type=int)
    p.add_argument("--float32", action="store_true", help="store weights as float32 (default float16)")
    p.add_argument("--device", help="cpu, cuda, cuda:1 ... (default: GPU if there is one)")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--hash-dir", help=argparse.SUPPRESS)  # tests: each rank writes a hash of its weights here
    return p




def config_from_args(args) -> PretrainConfig:
    """The preset, with every option the user gave applied on top."""
    config = PRESETS[args.preset]
    objective = "none" if args.no_nsp else args.sentence_objective
    overrides = dict(steps=args.steps, time_budget=args.time_budget, seed=args.seed, batch_size=args.batch_size,
                     max_length=args.max_length, learning_rate=args.learning_rate, warmup_steps=args.warmup_steps,
                     num_documents=args.num_documents, vocab_size=args.vocab_size, hidden_size=args.hidden_size,
                     num_hidden_layers=args.num_hidden_layers, num_attention_heads=args.num_attention_heads,
                     intermediate_size=args.intermediate_size, mask_prob=args.mask_prob,
                     random_prob=args.random_prob, sentence_objective=objective, eval_every=args.eval_every,
                     precision=args.precision)
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


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser().parse_args(argv)

    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size > 1:
        device = pick_device(args.device)
        if device.type == "cuda":
            torch.cuda.set_device(device)
        torch.distributed.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    rank = torch.distributed.get_rank() if world_size > 1 else 0
    try:
        resumed = load_checkpoint(args.resume) if args.resume else None
        config = config_from_args(args)
        if resumed is not None:  # the checkpoint's own settings, with the new step total
            saved = settings_of(resumed, args.resume)
            config = dataclasses.replace(saved, steps=args.steps or saved.steps, time_budget=args.time_budget,
                                         precision=args.precision)
        documents, held_out_documents = load_corpus(args.corpus, config.num_documents, config.seed)
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
        if rank == 0:
            metadata = result.metadata()
            metadata.update(
                command="python -m helpers.pretrain " + shlex.join(argv),
                corpus=args.corpus,
                corpus_version=corpora.CORPUS_VERSION if args.corpus == "storybook" else None,
                corpus_sha256=corpus_hash(documents),
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
            save_checkpoint(args.out, result.model, result.tokenizer, metadata,
                            dtype=torch.float32 if args.float32 else torch.float16)
            m = result.final
            sentence = next((k for k in ("nsp_accuracy", "sop_accuracy") if k in m), None)
            print(f"steps={result.steps} seconds={result.seconds:.1f} world_size={world_size} "
                  f"mlm_accuracy={m.get('mlm_accuracy', float('nan')):.3f}"
                  + (f" {sentence}={m[sentence]:.3f}" if sentence else "")
                  + (" INTERRUPTED (Ctrl-C): saved what was trained so far" if result.interrupted else "")
                  + f" -> {args.out}")
            if result.interrupted:
                print(f"resume with: python -m helpers.pretrain --resume {shlex.quote(str(args.out))} "
                      f"--out {shlex.quote(str(args.out))}", file=sys.stderr)
                return 130
    finally:
        if world_size > 1:
            torch.distributed.destroy_process_group()
    return 0
