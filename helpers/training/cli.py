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
import json
import os
import shlex
import sys
from pathlib import Path

import torch


def load_corpus(corpus: str, num_documents: int, seed: int) -> list[list[str]]:
    """``storybook`` (the course's generated corpus), ``python-docs`` (Python's reference text) or a
    path to a text file in Google's pre-training format (one sentence per line, blank line between
    documents)."""
    from helpers.text import corpus as corpora

    if corpus == "storybook":
        return corpora.make_storybook(num_documents=num_documents, seed=seed)
    if corpus == "python-docs":
        return corpora.python_reference_corpus()
    if not Path(corpus).exists():
        raise ValueError(f"--corpus={corpus!r} is not allowed: use storybook, python-docs or a path to a text file.")
    return corpora.read_pretraining_text(corpus)


def build_parser() -> argparse.ArgumentParser:
    from helpers.training.pretraining import PRESETS

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
    p.add_argument("--no-nsp", action="store_true", help="MLM only")
    p.add_argument("--eval-every", type=int)
    p.add_argument("--float32", action="store_true", help="store weights as float32 (default float16)")
    p.add_argument("--device", help="cpu, cuda, cuda:1 ... (default: GPU if there is one)")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--hash-dir", help=argparse.SUPPRESS)  # tests: each rank writes a hash of its weights here
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser().parse_args(argv)
    from helpers.training.pretraining import corpus_hash, evaluate, pick_device, pretrain, resolve_settings
    from helpers.modeling.checkpoints import parameter_hash, save_checkpoint

    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size > 1:
        device = pick_device(args.device)
        if device.type == "cuda":
            torch.cuda.set_device(device)
        torch.distributed.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    rank = torch.distributed.get_rank() if world_size > 1 else 0
    try:
        model_overrides = {k: v for k, v in dict(
            hidden_size=args.hidden_size, num_hidden_layers=args.num_hidden_layers,
            num_attention_heads=args.num_attention_heads, intermediate_size=args.intermediate_size).items()
            if v is not None}
        num_documents = args.num_documents or resolve_settings(args.preset)["num_documents"]
        documents = load_corpus(args.corpus, num_documents, args.seed)
        result = pretrain(
            documents, preset=args.preset, model_config=model_overrides or None, steps=args.steps,
            time_budget=args.time_budget, batch_size=args.batch_size, max_length=args.max_length,
            learning_rate=args.learning_rate, warmup_steps=args.warmup_steps, num_documents=num_documents,
            vocab_size=args.vocab_size, nsp=not args.no_nsp, mask_prob=args.mask_prob,
            random_prob=args.random_prob, eval_every=args.eval_every, seed=args.seed, device=args.device,
            progress=not args.no_progress,
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
                corpus_sha256=corpus_hash(documents),
                seed=args.seed,
                device=str(next(result.model.parameters()).device),
                history=result.history,
            )
            if not args.float32:  # check that storing float16 weights costs no accuracy
                rounded = copy.deepcopy(result.model)
                for tensor in rounded.state_dict().values():
                    if tensor.is_floating_point():
                        tensor.copy_(tensor.half().float())
                metadata["metrics_float16"] = evaluate(rounded, result.held_out)
            save_checkpoint(args.out, result.model, result.tokenizer, metadata,
                            dtype=torch.float32 if args.float32 else torch.float16)
            m = result.final
            print(f"steps={result.steps} seconds={result.seconds:.1f} world_size={world_size} "
                  f"mlm_accuracy={m.get('mlm_accuracy', float('nan')):.3f} "
                  f"nsp_accuracy={m.get('nsp_accuracy', float('nan')):.3f} -> {args.out}")
    finally:
        if world_size > 1:
            torch.distributed.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
