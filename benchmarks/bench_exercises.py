"""Benchmark: how long each exercise check takes, against its time limit.

    python benchmarks/bench_exercises.py              # 1 thread, median of 5 runs per check
    python benchmarks/bench_exercises.py --repeats 9

For every exercise, the check is run on the reference solution (whole-tensor code, what most
learners write); for exercises 1 and 2 also on a slow but correct solution that loops over every
token in Python (a common first attempt), to show the margin under ``TIME_LIMIT_SECONDS``. Prints
the CPU, the thread count and the load average, since a shared machine slows every number.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from helpers.course.exercises import ALL_EXERCISES, TIME_LIMIT_SECONDS, reference_solutions, run_check  # noqa: E402
from helpers.course.exercises.payoff import _cpu  # noqa: E402


def choose_one_token_at_a_time(special_tokens_mask, *, mlm_probability=0.15, generator=None):
    selected = torch.zeros(special_tokens_mask.shape, dtype=torch.bool)
    for i in range(special_tokens_mask.shape[0]):
        for j in range(special_tokens_mask.shape[1]):
            draw = torch.rand(1, generator=generator).item()
            selected[i, j] = bool(special_tokens_mask[i, j] == 0) and draw < mlm_probability
    return selected


def corrupt_one_token_at_a_time(input_ids, selected, *, vocab_size, mask_token_id, generator=None):
    corrupted, labels = input_ids.clone(), torch.full_like(input_ids, -100)
    for i in range(input_ids.shape[0]):
        for j in range(input_ids.shape[1]):
            if selected[i, j]:
                labels[i, j] = input_ids[i, j]
                draw = torch.rand(1, generator=generator).item()
                if draw < 0.8:
                    corrupted[i, j] = mask_token_id
                elif draw < 0.9:
                    corrupted[i, j] = int(torch.randint(vocab_size, (1,), generator=generator))
    return corrupted, labels


def seconds_of(exercise_id: str, functions, repeats: int) -> tuple[float, bool]:
    times, passed = [], True
    for _ in range(repeats):
        start = time.perf_counter()
        result = run_check(exercise_id, *functions, seconds=60)
        times.append(time.perf_counter() - start)
        passed = passed and result.passed
    return statistics.median(times), passed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.threads < 1:
        print("error: --repeats and --threads must be at least 1", file=sys.stderr)
        return 2
    torch.set_num_threads(args.threads)
    print(f"{_cpu()}, {args.threads} thread(s), load average {os.getloadavg()[0]:.1f} at the start; "
          f"time limit {TIME_LIMIT_SECONDS:g} s per check; median of {args.repeats}")
    rows = [(e.label, e.id, reference_solutions(e.id), "reference") for e in ALL_EXERCISES.values()]
    rows += [("Exercise 1", "mlm-choose-positions", [choose_one_token_at_a_time], "a loop over every token"),
             ("Exercise 2", "mlm-corrupt", [corrupt_one_token_at_a_time], "a loop over every token")]
    for label, exercise_id, functions, kind in rows:
        seconds, passed = seconds_of(exercise_id, functions, args.repeats)
        print(f"{label:11s} {exercise_id:22s} {kind:25s} {seconds:6.3f} s  {'passes' if passed else 'FAILS'}")
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
