"""Every figure behind the lesson's claims, in one table.

    python benchmarks/claims.py            # the full run (about 15 minutes on 2 CPU cores)
    python benchmarks/claims.py --quick    # a smoke run: tiny budgets, one seed, about a minute
    python benchmarks/claims.py --only 23  # some claims only

Claims (see ``helpers/experiments.py``, one function each):

1. bidirectional attention turns next-token prediction into copying; a causal model learns it;
2. the 80/10/10 mix versus always-[MASK], from the shipped checkpoints: predicting the original token
   where the input shows [MASK], a random token, the token itself; and downstream;
3. the sentence objective, NSP versus SOP versus none, from the shipped checkpoints: what each head
   learned (with and without the stories' fixed opening and closing sentences); and downstream;
4. pre-trained (course checkpoint) versus from-scratch fine-tuning with 32 / 128 / 512 labels, on the
   normal and the held-out-vocabulary test splits;
5. frozen encoder versus end-to-end fine-tuning;
6. the cost of the course pre-training next to one fine-tuning run.

The downstream rows of claims 2 and 3 are not re-run here: they are read from the stored results of
``make comparisons`` (``benchmarks/results/comparisons.json``: 5 paired seeds per arm, mean ± standard
error, each pair's difference with its 95% interval), the file notebook 5c reads too. Elsewhere,
figures over seeds are "mean ± standard deviation" (the seeds are in the last column). Timings depend on
the machine and on whatever else runs on it.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from helpers import experiments as ex  # noqa: E402
from helpers.modeling.checkpoints import course_checkpoint_path  # noqa: E402
from helpers.text.tasks import subsample  # noqa: E402
from helpers.training.finetuning import build_model, finetune  # noqa: E402

ROWS: list[tuple[str, str, str, str]] = []


def add(claim: str, what: str, value: str, note: str = "") -> None:
    ROWS.append((claim, what, value, note))
    print(f"  [{claim}] {what}: {value} {note}", flush=True)


def pm(s: ex.Spread, scale: float = 100.0, digits: int = 1) -> str:
    """'mean ± std' of a Spread (as percentages by default)."""
    if len(s.values) == 1:
        return f"{s.mean * scale:.{digits}f}"
    return f"{s.mean * scale:.{digits}f} ± {s.std * scale:.{digits}f}"


def print_table() -> None:
    headers = ("claim", "measurement", "value", "note")
    widths = [max(len(h), *(len(r[i]) for r in ROWS)) for i, h in enumerate(headers)]
    line = " | ".join(h.ljust(w) for h, w in zip(headers, widths))
    print("\n" + line + "\n" + "-+-".join("-" * w for w in widths))
    for row in ROWS:
        print(" | ".join(c.ljust(w) for c, w in zip(row, widths)))


class Setup:
    """What every claim shares: the budgets (full or quick), the seeds and the checkpoint family."""

    def __init__(self, quick: bool, need_family: bool):
        self.quick = quick
        self.seeds = (0,) if quick else (0, 1, 2)
        self.seed_note = f"seeds {','.join(map(str, self.seeds))}"
        self.steps = 20 if quick else ex.FINETUNE_STEPS
        self.test_size = 100 if quick else None
        self.label_counts = (32, 128) if quick else (32, 128, 512)
        self.family = ex.load_family() if need_family else {}
        self.course = self.family.get("80/10/10 + NSP")


def claim_1(s: Setup) -> None:
    print("claim 1: next-token prediction, bidirectional vs causal", flush=True)
    runs = [ex.copy_collapse_experiment(steps=30 if s.quick else 300, seed=seed, progress=False) for seed in s.seeds]
    for kind in ("bidirectional", "causal"):
        arms = [getattr(r, kind) for r in runs]
        add("1", f"{kind}: final training loss", pm(ex.Spread([a.train_loss[-1] for a in arms]), 1, 3), s.seed_note)
        for where in ("visible", "hidden"):
            add("1", f"{kind}: next-token accuracy, future {where} (%)",
                pm(ex.Spread([getattr(a, f"accuracy_future_{where}") for a in arms])), s.seed_note)
    add("1", "most-frequent-token accuracy (%)", pm(ex.Spread([r.most_frequent_token_accuracy for r in runs])),
        "reference")


def stored_comparison_rows(claim: str, names: list[str], path=None) -> None:
    """The downstream rows of a claim, from the results file of `make comparisons`."""
    comparisons, run = ex.load_comparisons(path)
    note = f"{run['started'][:10]}, `make comparisons`"
    for name in names:
        c = comparisons[name]
        spec, paired = c.spec, c.paired()
        label = f"{name}: {spec.task} {c.metric.replace('_', ' ')}, {spec.num_train_examples} labels, {spec.steps} steps"
        add(claim, label + " (%)", " / ".join(f"{a} {100 * paired.mean(a):.1f} ± {100 * paired.standard_error(a):.1f}"
                                             for a in spec.arms), f"{len(spec.seeds)} seeds, ± standard error; {note}")
        for d in paired.differences():
            add(claim, f"{name}: paired difference", d.verdict(), "95% t interval")
        low, high = c.plateau().interval
        add(claim, f"{name}: plateau check, best arm {c.plateau_arm} with {2 * spec.steps} steps",
            f"{100 * c.plateau().mean:+.1f} points ({100 * low:+.1f} to {100 * high:+.1f}): "
            + ("near its plateau" if c.at_plateau else "NOT near its plateau"), "same seeds; < 2 points")


def claim_2(s: Setup) -> None:
    print("claim 2: 80/10/10 vs always [MASK] (shipped checkpoints)", flush=True)
    for arm in ex.MASK_ARMS:
        ckpt = s.family[arm]
        acc = ex.accuracy_by_position(ckpt.model, ckpt.tokenizer)
        add("2", f"{arm}: MLM accuracy at [MASK] / random / kept / unselected positions (%)",
            " / ".join(f"{100 * getattr(acc, c):.1f}" for c in ("masked", "random", "kept", "unselected")),
            f"{acc.positions} positions, held-out text")
    stored_comparison_rows("2", ["mask-sentiment", "mask-ner", "mask-ner-frozen"])


def claim_3(s: Setup) -> None:
    print("claim 3: NSP vs SOP vs none (shipped checkpoints)", flush=True)
    documents = 100 if s.quick else 600
    for arm in ex.SENTENCE_ARMS:
        ckpt = s.family[arm]
        heads = ex.sentence_head_breakdown(ckpt.model, ckpt.tokenizer, num_documents=documents)
        add("3", f"{arm}: sentence head right on true next / other topic / same topic / swapped (%)",
            " / ".join(f"{heads[k] * 100:.1f}" for k in ex.PAIR_KINDS), f"{documents} new documents")
        order = ex.sentence_order_breakdown(ckpt.model, ckpt.tokenizer, num_documents=documents)
        add("3", f"{arm}: consecutive segments, in order / swapped: with the opening; with the closing; middle (%)",
            "; ".join(f"{100 * order.accuracy(r, 'in order'):.1f} / {100 * order.accuracy(r, 'swapped'):.1f}"
                      for r in ("opening", "closing", "middle")), f"{documents} new documents")
    stored_comparison_rows("3", ["sentence-paraphrase", "sentence-qa"])


def claim_4(s: Setup) -> None:
    print("claim 4: pre-trained vs from scratch, 32/128/512 labels", flush=True)
    for task in ("sentiment", "ner"):
        curve = ex.learning_curve(task, s.course, label_counts=s.label_counts, seeds=s.seeds, steps=s.steps,
                                  test_size=s.test_size, progress=False)
        for n, c in curve.points.items():
            for split, label in (("test", "test"), ("test_heldout", "held-out vocabulary")):
                p, r = c.scores["pre-trained"][split], c.scores["from scratch"][split]
                add("4", f"{task} {c.metric.replace('_', ' ')}, {n} labels, {label}: pre-trained / scratch (%)",
                    f"{pm(p)} / {pm(r)}", f"gap {(p.mean - r.mean) * 100:+.1f}; {s.seed_note}")
        base = curve.points[s.label_counts[0]].baseline
        if base.get("test") is not None:
            add("4", f"{task}: majority-class accuracy test / held-out (%)",
                f"{base['test'] * 100:.1f} / {base['test_heldout'] * 100:.1f}", "reference")


def claim_5(s: Setup) -> None:
    print("claim 5: frozen encoder vs end-to-end", flush=True)
    n = 128 if s.quick else 512
    for task in ("sentiment", "ner"):
        c = ex.compare_finetuning(task, s.course.tokenizer, {
            "frozen": {"encoder": s.course.model, "freeze_encoder": True}, "end-to-end": {"encoder": s.course.model}},
            num_train_examples=n, seeds=s.seeds, steps=s.steps, test_size=s.test_size, progress=False)
        for name in ("frozen", "end-to-end"):
            add("5", f"{task} {c.metric.replace('_', ' ')}, {n} labels, {name}: test / held-out (%)",
                f"{pm(c.scores[name]['test'])} / {pm(c.scores[name]['test_heldout'])}",
                f"{c.trainable_parameters[name]:,} trained params, {c.seconds[name].mean:.1f} s/run; {s.seed_note}")


def claim_6(s: Setup) -> None:
    print("claim 6: cost of pre-training vs one fine-tuning run", flush=True)
    task = ex.get_task("sentiment")
    run = finetune(build_model(task, s.course.model, seed=0), task, tokenizer=s.course.tokenizer,
                   train_examples=subsample(task, 128, seed=0), steps=s.steps, seed=0, eval_examples=[], progress=False)
    cost = ex.pretraining_cost(course_checkpoint_path(), run, finetune_tokens=run.positions_seen)
    pre, fine = cost["pretraining"], cost["finetuning"]
    add("6", "course pre-training: seconds / steps", f"{pre['seconds']:.0f} s / {pre['steps']}",
        "from the checkpoint's metadata")
    add("6", "course pre-training: model FLOPs", f"{pre['flops']:.2e}")
    add("6", f"one fine-tuning run (sentiment, 128 labels, {run.steps} steps): seconds", f"{fine['seconds']:.1f} s",
        "measured now")
    add("6", "one fine-tuning run: model FLOPs", f"{fine['flops']:.2e}")
    add("6", "pre-training / fine-tuning: seconds, FLOPs", f"{cost['ratio_seconds']:.0f}x, {cost['ratio_flops']:.0f}x")


CLAIMS = {"1": claim_1, "2": claim_2, "3": claim_3, "4": claim_4, "5": claim_5, "6": claim_6}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny budgets and one seed: a smoke run")
    parser.add_argument("--only", default="123456", help="which claims to run, e.g. --only 45")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (default 1: at this model size a second thread gains little, and "
                             "on a busy machine several threads per process slow everything down)")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.only) - set(CLAIMS))
    missing = [name for name in ex.FAMILY.values() if not course_checkpoint_path(name).exists()]
    problem = (f"--only={args.only} is not allowed: claims are numbered {''.join(CLAIMS)}" if unknown else
               f"checkpoints {missing} not found: make them with `make checkpoints` (checkpoints/README.md)"
               if missing and set(args.only) & set("23456") else None)
    if problem is None and set(args.only) & set("23") and not ex.COMPARISONS_PATH.is_file():
        problem = f"{ex.COMPARISONS_PATH} not found: make it with `make comparisons` (claims 2 and 3 read it)"
    if problem:
        print(f"claims.py: error: {problem}", file=sys.stderr)
        return 2
    torch.set_num_threads(args.threads)
    setup = Setup(args.quick, need_family=bool(set(args.only) & set("23456")))
    started, timings = time.perf_counter(), {}
    for claim in sorted(set(args.only)):
        t = time.perf_counter()
        CLAIMS[claim](setup)
        timings[claim] = time.perf_counter() - t
    print_table()
    print("\nwall time per claim: " + ", ".join(f"{k}: {v:.0f} s" for k, v in timings.items())
          + f"; total {time.perf_counter() - started:.0f} s ({torch.get_num_threads()} threads)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
