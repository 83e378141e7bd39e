"""The stored downstream comparisons of notebook 5c: what each one runs (:class:`ComparisonSpec`,
:data:`COMPARISON_SPECS`), the facts that identify the machine and the checkpoints of a run, and the
results file that ``make comparisons`` writes and :func:`load_comparisons` reads
(:class:`StoredComparison`, read with :mod:`helpers.statistics`).

Reading the stored results needs no training code. One run of a comparison,
:func:`helpers.experiments.run_comparison_job`, fine-tunes with claim 4's recipe, so it lives beside
that recipe. Everything here is importable from :mod:`helpers.experiments` too.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import platform
from dataclasses import dataclass
from pathlib import Path

import torch

from helpers.modeling.checkpoints import course_checkpoint_path, read_checkpoint_metadata
from helpers.paths import REPOSITORY_DIR
from helpers.statistics import PairedComparison, PairedDifference

# ============================================================================ the stored comparisons
#
# The downstream comparisons of notebook 5c take longer than a notebook may (tens of fine-tuning runs
# each), so `make comparisons` (benchmarks/comparisons.py) runs them once and stores every run's score
# in one results file; the notebook, benchmarks/claims.py and the README read that file, and the
# notebook re-runs one arm and seed live with the stored settings to show that it lands among them.

COMPARISONS_PATH = REPOSITORY_DIR / "benchmarks" / "results" / "comparisons.json"
PLATEAU_POINTS = 0.02   # twice the steps must move the best arm by less than this


@dataclass(frozen=True)
class ComparisonSpec:
    """One downstream comparison: the arms (names of :data:`FAMILY`) fine-tuned with one recipe."""

    name: str                          # a short id: "mask-sentiment"
    question: str                      # what it asks, in words
    task: str
    arms: tuple[str, ...]
    num_train_examples: int
    steps: int
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    learning_rate: float | None = None  # None: finetune's default (5e-4, or 3e-3 with a frozen encoder)
    freeze_encoder: bool = False
    splits: tuple[str, ...] = ("test",)
    test_size: int | None = None         # test examples scored per split (None: the whole split)

    def settings(self) -> dict:
        """The keyword arguments of :func:`finetune_and_score` that every run of this comparison shares."""
        return dict(num_train_examples=self.num_train_examples, steps=self.steps, learning_rate=self.learning_rate,
                    freeze_encoder=self.freeze_encoder, splits=self.splits)


MASK_ARMS = ("80/10/10 + NSP", "always [MASK] + NSP")
SENTENCE_ARMS = ("80/10/10 + NSP", "MLM + SOP", "MLM only")
MASK_QUESTION = "80/10/10 versus always [MASK]"
SENTENCE_QUESTION = "NSP versus SOP versus no sentence objective"

# Settings measured so that the best arm is near its plateau (twice the steps moves it by less than 2
# points; every stored comparison re-checks it) and every arm is far above the majority class.
COMPARISON_SPECS = (
    ComparisonSpec("mask-sentiment", MASK_QUESTION, "sentiment", MASK_ARMS, num_train_examples=128, steps=600,
                   splits=("test", "test_heldout")),
    ComparisonSpec("mask-ner", MASK_QUESTION, "ner", MASK_ARMS, num_train_examples=128, steps=300,
                   splits=("test", "test_heldout")),
    ComparisonSpec("mask-ner-frozen", MASK_QUESTION + ", feature-based (encoder frozen)", "ner", MASK_ARMS,
                   num_train_examples=128, steps=600, freeze_encoder=True, splits=("test", "test_heldout")),
    ComparisonSpec("sentence-paraphrase", SENTENCE_QUESTION, "paraphrase", SENTENCE_ARMS, num_train_examples=1000,
                   steps=400),
    ComparisonSpec("sentence-qa", SENTENCE_QUESTION, "qa", SENTENCE_ARMS, num_train_examples=1000, steps=1000,
                   learning_rate=2e-3),
)
# Rough seconds per fine-tuning step, relative: only used to start the longest runs first.
TASK_COST = {"sentiment": 1.0, "ner": 1.1, "paraphrase": 1.6, "qa": 4.0}


def machine_facts() -> dict:
    """The machine a result was measured on: CPU model, logical cores, Python, torch, system."""
    cpu = platform.processor() or "unknown"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return dict(cpu=cpu, logical_cpus=os.cpu_count(), python=platform.python_version(), torch=torch.__version__,
                system=platform.platform())


def checkpoint_facts(name: str) -> dict:
    """What identifies a shipped checkpoint in a results file: its bytes' SHA-256 and how it was made."""
    path = course_checkpoint_path(name)
    meta = read_checkpoint_metadata(path)
    settings = meta.get("settings", {})
    return dict(file=path.name, sha256=hashlib.sha256(path.read_bytes()).hexdigest(), command=meta.get("command"),
                corpus_version=meta.get("corpus_version"), sentence_objective=meta.get("sentence_objective"),
                sop_start=settings.get("sop_start", "document"), steps=meta.get("steps"))


@dataclass
class StoredComparison:
    """A comparison as the results file holds it: every run's score, the baseline, the plateau check."""

    spec: ComparisonSpec
    metric: str
    baseline: dict[str, float | None]              # split -> majority-class accuracy (classification only)
    scores: dict[str, dict[str, list[float]]]      # arm -> split -> one score per seed, in spec.seeds order
    seconds: dict[str, list[float]]                # arm -> training seconds per seed
    plateau_arm: str                               # the best arm, re-run with twice the steps
    plateau_scores: list[float]                    # its scores at 2 x steps (first split), per seed

    def paired(self, split: str | None = None) -> PairedComparison:
        split = split or self.spec.splits[0]
        return PairedComparison({arm: self.scores[arm][split] for arm in self.spec.arms}, list(self.spec.seeds))

    def plateau(self) -> PairedDifference:
        """The best arm at twice the steps minus the same arm at the comparison's steps, seed by seed."""
        first = self.scores[self.plateau_arm][self.spec.splits[0]]
        return PairedDifference(f"{self.plateau_arm}, {2 * self.spec.steps} steps",
                                f"{self.spec.steps} steps", [b - a for a, b in zip(first, self.plateau_scores)])

    def report(self) -> list[str]:
        """The lines a notebook prints: the recipe and the baseline, each arm's mean ± standard error,
        every paired difference with its interval and verdict, and the plateau check."""
        spec, split = self.spec, self.spec.splits[0]
        rate = f", learning rate {spec.learning_rate:g}" if spec.learning_rate else ""
        frozen = ", encoder frozen" if spec.freeze_encoder else ""
        size = f"{spec.test_size} {split} examples" if spec.test_size else f"the {split} split"
        lines = [f"{spec.task}: {self.metric.replace('_', ' ')} on {size}; {spec.num_train_examples} labels, "
                 f"{spec.steps} steps{rate}{frozen}; seeds {list(spec.seeds)} shared by every arm"]
        base = self.baseline.get(split)
        if base is not None:
            lines.append(f"  always answering the most frequent label: {base:.1%}")
        lines += self.paired().lines()
        change, (low, high) = self.plateau().mean, self.plateau().interval
        lines.append(f"  plateau check: {self.plateau_arm} with {2 * spec.steps} steps moved by {100 * change:+.1f} points "
                     f"(95% interval {100 * low:+.1f} to {100 * high:+.1f}): "
                     + ("near its plateau (less than 2 points)" if self.at_plateau else "NOT near its plateau"))
        return lines

    @property
    def at_plateau(self) -> bool:
        """Twice the steps moved the best arm's mean score by less than 2 points."""
        return abs(self.plateau().mean) < PLATEAU_POINTS

    @classmethod
    def from_dict(cls, data: dict) -> "StoredComparison":
        spec = data["spec"]
        spec = ComparisonSpec(**{**spec, **{k: tuple(spec[k]) for k in ("arms", "seeds", "splits")}})
        return cls(spec=spec, metric=data["metric"], baseline=data["baseline"], scores=data["scores"],
                   seconds=data["seconds"], plateau_arm=data["plateau_arm"], plateau_scores=data["plateau_scores"])

    def to_dict(self) -> dict:
        return dict(spec=dataclasses.asdict(self.spec), metric=self.metric, baseline=self.baseline,
                    scores=self.scores, seconds=self.seconds, plateau_arm=self.plateau_arm,
                    plateau_scores=self.plateau_scores)


def load_comparisons(path=None) -> tuple[dict[str, StoredComparison], dict]:
    """The stored comparisons ({name: StoredComparison}) and the facts of the run that made them
    (command, settings, machine, time), from ``path`` (default: the repository's results file)."""
    path = Path(path) if path is not None else COMPARISONS_PATH
    if not path.is_file():
        raise ValueError(f"path={str(path)!r} is not allowed: no such results file; make it with "
                         "`make comparisons` (benchmarks/comparisons.py).")
    data = json.loads(path.read_text(encoding="utf-8"))
    return {c["spec"]["name"]: StoredComparison.from_dict(c) for c in data["comparisons"]}, data["run"]
