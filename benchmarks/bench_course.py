"""Benchmark: how long the learner waits for the course's own work (what unit tests no longer time).

    python benchmarks/bench_course.py            # each measurement once per repeat (about a minute on 2 cores)
    python benchmarks/bench_course.py --quick    # one repeat, the payoff run left out

Measured, each as the median wall-clock seconds over ``--repeats`` runs:

* generating the default storybook (``make_storybook()``, 20,000 documents, over a million tokens);
* checking each coding exercise's reference solution (``run_check``: what a learner's "Check"
  button costs; the exercises' own notebook cells are timed by ``notebooks/timings.md``);
* the payoff run of notebook 2 (``pretrain_with_your_masking`` with the reference solutions: two
  short pre-training runs).

Wall-clock times depend on the machine and on what else runs on it: the CPU, the torch threads and
the load average at the start are printed with the numbers. Nothing here asserts a time; it prints
what it measured.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from helpers.course import exercises as ex  # noqa: E402
from helpers.course import solutions  # noqa: E402
from helpers.text.corpus import corpus_stats, make_storybook  # noqa: E402


def timed(function, repeats: int) -> tuple[float, object]:
    """Median seconds of ``repeats`` calls, and the last call's result."""
    seconds, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), result


def cpu_name() -> str:
    """The CPU's model name (from /proc/cpuinfo on Linux), else what the platform module knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="one repeat, no payoff run")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    args = parser.parse_args(argv)
    repeats = 1 if args.quick else args.repeats
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    print(f"CPU: {cpu_name()}, {os.cpu_count()} logical cores; torch "
          f"{torch.__version__}, {torch.get_num_threads()} threads; load average {os.getloadavg()[0]:.1f} at start; "
          f"median of {repeats} run(s).\n")
    print("| what | seconds | note |\n|---|---:|---|")
    seconds, documents = timed(make_storybook, repeats)
    stats = corpus_stats(documents)
    print(f"| make_storybook() | {seconds:.2f} | {stats['documents']} documents, {stats['tokens']} tokens |")
    for exercise_id, exercise in ex.EXERCISES.items():
        seconds, result = timed(lambda: ex.run_check(exercise_id, *exercise.solutions), repeats)
        print(f"| check of exercise {exercise.number} ({exercise_id}), reference solution | {seconds:.2f} | "
              f"{'passed' if result.passed else 'FAILED'}, {len(result.findings)} findings |")
    if not args.quick:
        seconds, run = timed(lambda: ex.pretrain_with_your_masking(solutions.choose_positions, solutions.corrupt),
                             repeats)
        print(f"| notebook 2's payoff run (two pre-training runs of {run.steps[-1]} steps) | {seconds:.1f} | "
              f"final held-out MLM loss: {', '.join(f'{k} {v[-1]:.2f}' for k, v in run.curves.items())} |")
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end.")


if __name__ == "__main__":
    main()
