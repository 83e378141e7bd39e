"""Every figure behind the lesson's claims, in one table.

    python benchmarks/claims.py            # the full run (fits in ~15 minutes on 2 CPU cores)
    python benchmarks/claims.py --quick    # a smoke run: tiny budgets, one seed, about a minute

Claims (see ``helpers/experiments.py``, one function each):

1. bidirectional attention turns next-token prediction into copying; a causal model learns it;
2. the 80/10/10 mix versus always-[MASK], from the shipped checkpoints (predicting the original token
   where the input shows [MASK], a random token, the token itself; and after fine-tuning);
3. the sentence objective, NSP versus SOP versus none, from the shipped checkpoints (what each head
   learned; and after fine-tuning on the pair tasks, paraphrase and QA);
4. pre-trained (course checkpoint) versus from-scratch fine-tuning with 32 / 128 / 512 labels, on the
   normal and the held-out-vocabulary test splits;
5. frozen encoder versus end-to-end fine-tuning;
6. the cost of the course pre-training next to one fine-tuning run.

Where training is involved, figures are "mean ± standard deviation over seeds" (the seeds are in the
last column). The pre-trained arms are the course's checkpoint family (one pre-training seed each,
made by ``make checkpoints``); their fine-tuning uses three seeds. Timings depend on the machine and on
whatever else runs on it.
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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny budgets and one seed: a smoke run")
    parser.add_argument("--only", default="123456", help="which claims to run, e.g. --only 45")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (default 1: at this model size a second thread gains little, and "
                             "on a busy machine several threads per process slow everything down)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    quick = args.quick
    seeds = (0,) if quick else (0, 1, 2)
    seed_note = f"seeds {','.join(map(str, seeds))}"
    ft_steps = 20 if quick else ex.FINETUNE_STEPS
    test_size = 100 if quick else None
    label_counts = (32, 128) if quick else (32, 128, 512)
    started = time.perf_counter()
    timings: dict[str, float] = {}
    missing = [name for name in ex.FAMILY.values() if not course_checkpoint_path(name).exists()]
    if missing and any(c in args.only for c in "23456"):
        print(f"checkpoints {missing} not found: make them with `make checkpoints` (checkpoints/README.md)",
              file=sys.stderr)
        return 2

    if "1" in args.only:
        t = time.perf_counter()
        print("claim 1: next-token prediction, bidirectional vs causal", flush=True)
        runs = [ex.copy_collapse_experiment(steps=30 if quick else 300, seed=s, progress=False) for s in seeds]
        for kind in ("bidirectional", "causal"):
            arms = [getattr(r, kind) for r in runs]
            add("1", f"{kind}: final training loss", pm(ex.Spread([a.train_loss[-1] for a in arms]), 1, 3), seed_note)
            add("1", f"{kind}: next-token accuracy, future visible (%)",
                pm(ex.Spread([a.accuracy_future_visible for a in arms])), seed_note)
            add("1", f"{kind}: next-token accuracy, future hidden (%)",
                pm(ex.Spread([a.accuracy_future_hidden for a in arms])), seed_note)
        add("1", "most-frequent-token accuracy (%)", pm(ex.Spread([r.most_frequent_token_accuracy for r in runs])),
            "reference")
        timings["1"] = time.perf_counter() - t

    family = ex.load_family() if any(c in args.only for c in "23456") else {}
    tokenizer = family["80/10/10 + NSP"].tokenizer if family else None
    if "2" in args.only:
        t = time.perf_counter()
        print("claim 2: 80/10/10 vs always [MASK] (shipped checkpoints)", flush=True)
        arms = {"80/10/10": family["80/10/10 + NSP"], "always [MASK]": family["always [MASK] + NSP"]}
        for name, ckpt in arms.items():
            acc = ex.accuracy_by_position(ckpt.model, ckpt.tokenizer)
            for cond in ("masked", "random", "kept", "unselected"):
                add("2", f"{name}: MLM accuracy at {cond} positions (%)", f"{getattr(acc, cond) * 100:.1f}",
                    f"{acc.positions} positions, held-out text")
        for task in ("sentiment", "ner"):
            c = ex.compare_finetuning(task, tokenizer, {n: {"encoder": k.model} for n, k in arms.items()},
                                      num_train_examples=128, seeds=seeds, steps=ft_steps, test_size=test_size, progress=False)
            for name in arms:
                add("2", f"{name}: fine-tuned {task} {c.metric.replace('_', ' ')}, 128 labels: test / held-out (%)",
                    f"{pm(c.scores[name]['test'])} / {pm(c.scores[name]['test_heldout'])}", seed_note)
        # BERT's Table 8 also has a feature-based column: the encoder frozen, only the head trained.
        c = ex.compare_finetuning("ner", tokenizer, {n: {"encoder": k.model, "freeze_encoder": True}
                                                     for n, k in arms.items()},
                                  num_train_examples=128, seeds=seeds, steps=ft_steps, test_size=test_size, progress=False)
        for name in arms:
            add("2", f"{name}: feature-based (frozen encoder) ner entity f1, 128 labels: test / held-out (%)",
                f"{pm(c.scores[name]['test'])} / {pm(c.scores[name]['test_heldout'])}", seed_note)
        timings["2"] = time.perf_counter() - t

    if "3" in args.only:
        t = time.perf_counter()
        print("claim 3: NSP vs SOP vs none (shipped checkpoints)", flush=True)
        arms = {name: family[name] for name in ("80/10/10 + NSP", "MLM + SOP", "MLM only")}
        for name, ckpt in arms.items():
            heads = ex.sentence_head_breakdown(ckpt.model, ckpt.tokenizer)
            add("3", f"{name}: sentence head right on true next / other topic / same topic / swapped (%)",
                " / ".join(f"{heads[k] * 100:.1f}" for k in ex.PAIR_KINDS), "600 new documents")
        n3 = 64 if quick else 512
        for task in ("paraphrase", "qa"):
            c = ex.compare_finetuning(task, tokenizer, {n: {"encoder": k.model} for n, k in arms.items()},
                                      num_train_examples=n3, seeds=seeds, steps=ft_steps, splits=("test",),
                                      test_size=test_size or 300, progress=False)
            for name in arms:
                add("3", f"{name}: fine-tuned {task} {c.metric.replace('_', ' ')}, {n3} labels (%)",
                    pm(c.scores[name]["test"]), seed_note)
        timings["3"] = time.perf_counter() - t

    curves = {}
    course = family.get("80/10/10 + NSP")
    if "4" in args.only:
        t = time.perf_counter()
        print("claim 4: pre-trained vs from scratch, 32/128/512 labels", flush=True)
        for task in ("sentiment", "ner"):
            curve = curves[task] = ex.learning_curve(task, course, label_counts=label_counts, seeds=seeds,
                                                     steps=ft_steps, test_size=test_size, progress=False)
            for n, c in curve.points.items():
                for split, label in (("test", "test"), ("test_heldout", "held-out vocabulary")):
                    p, s = c.scores["pre-trained"][split], c.scores["from scratch"][split]
                    add("4", f"{task} {c.metric.replace('_', ' ')}, {n} labels, {label}: pre-trained / scratch (%)",
                        f"{pm(p)} / {pm(s)}", f"gap {(p.mean - s.mean) * 100:+.1f}; {seed_note}")
            base = curve.points[label_counts[0]].baseline
            if base.get("test") is not None:
                add("4", f"{task}: majority-class accuracy test / held-out (%)",
                    f"{base['test'] * 100:.1f} / {base['test_heldout'] * 100:.1f}", "reference")
        timings["4"] = time.perf_counter() - t

    if "5" in args.only:
        t = time.perf_counter()
        print("claim 5: frozen encoder vs end-to-end", flush=True)
        n5 = 128 if quick else 512
        for task in ("sentiment", "ner"):
            c = ex.compare_finetuning(task, course.tokenizer, {
                "frozen": {"encoder": course.model, "freeze_encoder": True},
                "end-to-end": {"encoder": course.model}}, num_train_examples=n5, seeds=seeds, steps=ft_steps,
                test_size=test_size, progress=False)
            for name in ("frozen", "end-to-end"):
                add("5", f"{task} {c.metric.replace('_', ' ')}, {n5} labels, {name}: test / held-out (%)",
                    f"{pm(c.scores[name]['test'])} / {pm(c.scores[name]['test_heldout'])}",
                    f"{c.trainable_parameters[name]:,} trained params, {c.seconds[name].mean:.1f} s/run; {seed_note}")
        timings["5"] = time.perf_counter() - t

    if "6" in args.only:
        t = time.perf_counter()
        print("claim 6: cost of pre-training vs one fine-tuning run", flush=True)
        task = ex.get_task("sentiment")
        run = finetune(build_model(task, course.model, seed=0), task, tokenizer=course.tokenizer,
                       train_examples=subsample(task, 128, seed=0), steps=ft_steps, seed=0, eval_examples=[],
                       progress=False)
        cost = ex.pretraining_cost(course_checkpoint_path(), run, finetune_tokens=run.positions_seen)
        pre, fine = cost["pretraining"], cost["finetuning"]
        add("6", "course pre-training: seconds / steps", f"{pre['seconds']:.0f} s / {pre['steps']}",
            "from the checkpoint's metadata")
        add("6", "course pre-training: model FLOPs", f"{pre['flops']:.2e}")
        add("6", f"one fine-tuning run (sentiment, 128 labels, {run.steps} steps): seconds",
            f"{fine['seconds']:.1f} s", "measured now")
        add("6", "one fine-tuning run: model FLOPs", f"{fine['flops']:.2e}")
        add("6", "pre-training / fine-tuning: seconds, FLOPs",
            f"{cost['ratio_seconds']:.0f}x, {cost['ratio_flops']:.0f}x")
        timings["6"] = time.perf_counter() - t

    total = time.perf_counter() - started
    print_table()
    print("\nwall time per claim: " + ", ".join(f"{k}: {v:.0f} s" for k, v in timings.items())
          + f"; total {total:.0f} s ({torch.get_num_threads()} threads)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
