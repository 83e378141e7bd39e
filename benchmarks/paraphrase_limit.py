"""How far the course's encoder gets on paraphrase, by kind of pair: learning curves over labels and
steps, and what pre-training adds.

    python benchmarks/paraphrase_limit.py                      # about 25 minutes on 2 cores
    python benchmarks/paraphrase_limit.py --quick --out /tmp/p.json
    python benchmarks/paraphrase_limit.py --encoder more.pt --grid 1000x400,4000x3200 --out more.json

Every run fine-tunes a [CLS] head on the paraphrase task (``helpers.text.tasks``, its training split
generated with 4,000 pairs so that the label counts can grow) and scores the 500 test pairs, split by
kind: paraphrases, and negatives that are another event, the same event with two parts changed, or
with one part changed. Arms: the shipped 80/10/10 + NSP encoder (``course.pt``) at every point of the
grid; the same architecture from random weights at the largest point, to show what pre-training adds.
Writes ``benchmarks/results/paraphrase_limit.json`` (notebook 5c reads it). ``--encoder`` runs another
pre-trained checkpoint instead (one pre-trained for longer, say) on the points of ``--grid``.
"""
from __future__ import annotations

import argparse
import datetime
import json
import multiprocessing
import os
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from helpers import experiments as ex  # noqa: E402
from helpers.modeling.checkpoints import course_checkpoint_path, load_checkpoint, read_checkpoint_metadata  # noqa: E402
from helpers.text.tasks import load_task, subsample  # noqa: E402
from helpers.training.finetuning import build_model, finetune, predict_examples  # noqa: E402

OUT = ROOT / "benchmarks" / "results" / "paraphrase_limit.json"
TRAIN_PAIRS = 4000
LEARNING_RATE = 5e-4
GRID = [(labels, steps) for labels in (250, 1000, 4000) for steps in (200, 800, 3200)]
KINDS = ("paraphrase", "other event", "two parts", "one part")
_CHECKPOINT: dict = {}


def one_run(job: tuple) -> dict:
    """``(encoder, labels, steps, seed, path)`` -> accuracy overall and by kind on the test pairs."""
    encoder, labels, steps, seed, path = job
    if path not in _CHECKPOINT:
        _CHECKPOINT[path] = load_checkpoint(path)
    checkpoint = _CHECKPOINT[path]
    task = load_task("paraphrase", 0, train=TRAIN_PAIRS)
    model = (build_model(task, checkpoint.model, seed=seed) if encoder == "pre-trained"
             else build_model(task, None, config=checkpoint.model.config, seed=seed))
    result = finetune(model, task, tokenizer=checkpoint.tokenizer, train_examples=subsample(task, labels, seed=seed),
                      steps=steps, learning_rate=LEARNING_RATE, seed=seed, eval_examples=[], progress=False)
    said = predict_examples(result.model, task, task.test, checkpoint.tokenizer)
    right: dict = {kind: [] for kind in KINDS}
    for example, label in zip(task.test, said):
        right[example["negative"] or "paraphrase"].append(label == task.label_names[example["label"]])
    return dict(encoder=encoder, labels=labels, steps=steps, seed=seed, seconds=round(result.seconds, 1),
                accuracy=sum(map(sum, right.values())) / len(task.test),
                by_kind={kind: sum(r) / len(r) for kind, r in right.items()}, pairs={k: len(r) for k, r in right.items()})


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="two tiny runs (a smoke test); needs --out")
    parser.add_argument("--out", help=f"results file (default {OUT.relative_to(ROOT)})")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--encoder", help="another pre-trained checkpoint to fine-tune (default: course.pt); needs --out")
    parser.add_argument("--grid", help="labels x steps points, e.g. 1000x400,4000x3200 (default: the full grid)")
    args = parser.parse_args(argv)
    out = Path(args.out).resolve() if args.out else OUT
    path = str(Path(args.encoder).resolve()) if args.encoder else str(course_checkpoint_path())
    try:
        grid = [tuple(int(n) for n in point.split("x")) for point in args.grid.split(",")] if args.grid else GRID
        assert all(len(point) == 2 and min(point) > 0 for point in grid)
    except (ValueError, AssertionError):
        grid = None
    problem = ("--quick, --encoder and --grid make a partial result: give --out another path"
               if (args.quick or args.encoder or args.grid) and out == OUT else
               f"--grid={args.grid} is not allowed: give labels x steps points such as 1000x400,4000x3200"
               if grid is None else
               f"--encoder={args.encoder} is not allowed: no such file" if not Path(path).is_file() else None)
    if problem:
        print(f"paraphrase_limit.py: error: {problem}", file=sys.stderr)
        return 2
    jobs = ([("pre-trained", 32, 5, 0, path), ("from scratch", 32, 5, 0, path)] if args.quick else
            [("pre-trained", labels, steps, 0, path) for labels, steps in grid]
            + ([("from scratch", 4000, 3200, 0, path)] if not (args.encoder or args.grid) else []))
    jobs.sort(key=lambda job: -job[2])
    started, wall = datetime.datetime.now(datetime.timezone.utc), time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(args.workers, initializer=torch.set_num_threads, initargs=(1,)) as pool:
        runs = []
        for run in pool.imap_unordered(one_run, jobs):
            runs.append(run)
            print(f"  {run['encoder']:12s} {run['labels']:5d} labels {run['steps']:5d} steps: {run['accuracy']:.1%}  "
                  + "  ".join(f"{k} {v:.0%}" for k, v in run["by_kind"].items()) + f"  ({run['seconds']:.0f} s)", flush=True)
        pool.close()
        pool.join()
    runs.sort(key=lambda r: (r["encoder"] != "pre-trained", r["labels"], r["steps"]))
    facts = dict(command="python benchmarks/paraphrase_limit.py" + "".join(f" {a}" for a in (argv or sys.argv[1:])),
                 started=started.isoformat(timespec="seconds"), wall_seconds=round(time.perf_counter() - wall, 1),
                 workers=args.workers, learning_rate=LEARNING_RATE, train_pairs=TRAIN_PAIRS, batch_size=16,
                 load_average_at_end=os.getloadavg()[0], machine=ex.machine_facts(),
                 encoder=dict(file=Path(path).name, **{k: read_checkpoint_metadata(path).get(k)
                                                         for k in ("command", "steps", "corpus_version")}))
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(dict(run=facts, runs=runs), indent=1) + "\n", encoding="utf-8")
    os.replace(temporary, out)
    print(f"wrote {out} ({facts['wall_seconds'] / 60:.1f} min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
