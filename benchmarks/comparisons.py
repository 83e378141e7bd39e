"""Every downstream comparison of the optional notebook 5c, computed once and stored in one file.

    python benchmarks/comparisons.py                  # `make comparisons`: every comparison (about 45 min, 2 cores)
    python benchmarks/comparisons.py --quick --out /tmp/quick.json    # a smoke run: tiny budgets, a minute
    python benchmarks/comparisons.py --only mask-ner --out /tmp/ner.json

Each comparison (``helpers.experiments.COMPARISON_SPECS``) fine-tunes its arms, encoders of the shipped
checkpoint family, with one recipe and the same seeds: a seed fixes the labeled examples, their order,
the head's initial weights and dropout, so the arms' scores are paired seed by seed. The best arm is
then re-run with twice the steps, to show the recipe is near its plateau. Runs go to ``--workers``
processes of one torch thread each. The file records every run's score, the settings, the command,
the machine, the time and the load average while it ran; notebook 5c, ``benchmarks/claims.py`` and the
README's claims table read it. A partial or quick run must name another ``--out``: the stored file
always holds every comparison from one run.
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import multiprocessing
import os
import resource
import shlex
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from helpers import experiments as ex  # noqa: E402
from helpers.modeling.checkpoints import course_checkpoint_path  # noqa: E402

class LoadSampler(threading.Thread):
    """The 1-minute load average every ``every`` seconds, while the comparisons run."""

    def __init__(self, every: float = 30.0):
        super().__init__(daemon=True)
        self.every, self.samples, self.stopped = every, [], threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            self.samples.append(round(os.getloadavg()[0], 2))
            self.stopped.wait(self.every)


def quick_specs(specs):
    """Tiny budgets for a smoke run: two seeds, 10 steps, 32 labels, 50 test examples."""
    return [dataclasses.replace(s, seeds=(0, 1), steps=10, num_train_examples=32, test_size=50) for s in specs]


def run_all(specs, *, workers: int, threads: int, progress=print) -> list[ex.StoredComparison]:
    """Every run of every spec, then the plateau runs of each spec's best arm."""
    jobs = [(spec, arm, seed, spec.steps) for spec in specs for arm in spec.arms for seed in spec.seeds]
    jobs.sort(key=lambda job: -job[0].steps * ex.TASK_COST.get(job[0].task, 1))  # longest first: even loads
    results: dict = {}
    context = multiprocessing.get_context("spawn")
    with context.Pool(workers, initializer=torch.set_num_threads, initargs=(threads,)) as pool:
        def collect(batch, label):
            for i, (name, arm, seed, steps, scores, seconds) in enumerate(pool.imap_unordered(ex.run_comparison_job, batch), 1):
                results[(name, arm, seed, steps)] = (scores, seconds)
                progress(f"  [{label} {i}/{len(batch)}] {name}: {arm}, seed {seed}, {steps} steps: "
                         + ", ".join(f"{k} {v:.3f}" for k, v in scores.items()) + f" ({seconds:.0f} s)")
        collect(jobs, "run")
        best = {}
        for spec in specs:
            split = spec.splits[0]
            means = {arm: sum(results[(spec.name, arm, s, spec.steps)][0][split] for s in spec.seeds) / len(spec.seeds)
                     for arm in spec.arms}
            best[spec.name] = max(means, key=means.get)
        plateau_jobs = [(spec, best[spec.name], seed, 2 * spec.steps) for spec in specs for seed in spec.seeds]
        plateau_jobs.sort(key=lambda job: -job[0].steps * ex.TASK_COST.get(job[0].task, 1))
        collect(plateau_jobs, "plateau")
        pool.close()
        pool.join()
    stored = []
    for spec in specs:
        task = ex.get_task(spec.task)
        stored.append(ex.StoredComparison(
            spec=spec, metric=ex.main_metric(task), baseline={s: ex.majority_baseline(task, s) for s in spec.splits},
            scores={arm: {split: [results[(spec.name, arm, s, spec.steps)][0][split] for s in spec.seeds]
                          for split in spec.splits} for arm in spec.arms},
            seconds={arm: [round(results[(spec.name, arm, s, spec.steps)][1], 2) for s in spec.seeds]
                     for arm in spec.arms},
            plateau_arm=best[spec.name],
            plateau_scores=[results[(spec.name, best[spec.name], s, 2 * spec.steps)][0][spec.splits[0]]
                            for s in spec.seeds]))
    return stored


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def print_summary(stored) -> None:
    for comparison in stored:
        print(f"\n{comparison.spec.name} ({comparison.spec.question})")
        print("\n".join(comparison.report()))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny budgets (a smoke run); needs --out")
    parser.add_argument("--only", help="comma-separated comparison names (a partial run); needs --out")
    parser.add_argument("--out", help=f"where to write the results (default {ex.COMPARISONS_PATH.relative_to(ROOT)})")
    parser.add_argument("--workers", type=int, default=2, help="processes running fine-tuning runs (default 2)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per process (default 1)")
    args = parser.parse_args(argv)
    names = [s.name for s in ex.COMPARISON_SPECS]
    only = args.only.split(",") if args.only else names
    unknown = [n for n in only if n not in names]
    out = Path(args.out).resolve() if args.out else ex.COMPARISONS_PATH
    problem = (f"--only={args.only} is not allowed: {unknown} are not comparisons; choose from {names}" if unknown else
               f"--workers={args.workers} is not allowed: it must be 1 to 8" if not 1 <= args.workers <= 8 else
               f"--threads={args.threads} is not allowed: it must be 1 to 8" if not 1 <= args.threads <= 8 else
               "--quick and --only make a partial result: give --out another path than the stored results file"
               if (args.quick or args.only) and out == ex.COMPARISONS_PATH else None)
    missing = [n for n in ex.FAMILY.values() if not course_checkpoint_path(n).exists()]
    if missing and not problem:
        problem = f"checkpoints {missing} not found: make them with `make checkpoints` (checkpoints/README.md)"
    if problem:
        print(f"comparisons.py: error: {problem}", file=sys.stderr)
        return 2
    specs = [s for s in ex.COMPARISON_SPECS if s.name in only]
    specs = quick_specs(specs) if args.quick else specs
    sampler = LoadSampler()
    sampler.start()
    started, wall = datetime.datetime.now(datetime.timezone.utc), time.perf_counter()
    stored = run_all(specs, workers=args.workers, threads=args.threads, progress=lambda line: print(line, flush=True))
    sampler.stopped.set()
    seconds = time.perf_counter() - wall
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    run = dict(command="python benchmarks/comparisons.py" + "".join(f" {shlex.quote(a)}" for a in (argv or sys.argv[1:])),
               started=started.isoformat(timespec="seconds"), wall_seconds=round(seconds, 1),
               cpu_seconds_workers=round(children.ru_utime + children.ru_stime, 1), workers=args.workers,
               threads_per_worker=args.threads, load_average_1min=sampler.samples,
               machine=ex.machine_facts(),
               checkpoints={arm: ex.checkpoint_facts(name) for arm, name in ex.FAMILY.items()}, quick=args.quick)
    write_atomically(out, json.dumps(dict(run=run, comparisons=[c.to_dict() for c in stored]), indent=1) + "\n")
    print_summary(stored)
    print(f"\nwrote {out} ({seconds / 60:.1f} min wall, {run['cpu_seconds_workers'] / 60:.1f} min CPU in the workers, "
          f"load average {min(sampler.samples):.1f}-{max(sampler.samples):.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
