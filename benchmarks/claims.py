"""Every figure behind the lesson's claims, in one table.

    python benchmarks/claims.py            # the full run (fits in ~15 minutes on 2 CPU cores)
    python benchmarks/claims.py --quick    # a smoke run: tiny budgets, one seed, about a minute

Claims (see ``helpers/experiments.py``, one function each):

1. bidirectional attention turns next-token prediction into copying; a causal model learns it;
2. the 80/10/10 mix versus always-[MASK] (tokens seen unmasked; and after fine-tuning);
3. NSP's weight: MLM + NSP versus MLM-only pre-training, fine-tuned on paraphrase detection;
4. pre-trained (course checkpoint) versus from-scratch fine-tuning with 32 / 128 / 512 labels, on the
   normal and the held-out-vocabulary test splits;
5. frozen encoder versus end-to-end fine-tuning;
6. the cost of the course pre-training next to one fine-tuning run.

Where training is involved, figures are "mean ± standard deviation over seeds" (the seeds are in the
last column). Pre-training runs (claims 2 and 3) use one pre-training seed; their fine-tuning uses
three. Timings depend on the machine and on whatever else runs on it.
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

ROWS: list[tuple[str, str, str, str]] = []


def add(claim: str, what: str, value: str, note: str = "") -> None:
    ROWS.append((claim, what, value, note))
    print(f"  [{claim}] {what}: {value} {note}", flush=True)


def pm(s: dict, scale: float = 100.0, digits: int = 1) -> str:
    """'mean ± std' of a spread dict (as percentages by default)."""
    if len(s["values"]) == 1:
        return f"{s['mean'] * scale:.{digits}f}"
    return f"{s['mean'] * scale:.{digits}f} ± {s['std'] * scale:.{digits}f}"


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
    parser.add_argument("--checkpoint", default=str(ROOT / "checkpoints" / "course.pt"),
                        help="the course checkpoint (claims 4-6)")
    parser.add_argument("--only", default="123456", help="which claims to run, e.g. --only 45")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (default 1: at this model size a second thread gains little, and "
                             "on a busy machine several threads per process slow everything down)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    quick = args.quick
    seeds = (0,) if quick else (0, 1, 2)
    seed_note = f"seeds {','.join(map(str, seeds))}"
    preset = "tiny" if quick else "live"
    ft_steps = 20 if quick else ex.FINETUNE_STEPS
    test_size = 100 if quick else None
    label_counts = (32, 128) if quick else (32, 128, 512)
    started = time.perf_counter()
    timings: dict[str, float] = {}

    checkpoint = Path(args.checkpoint)
    if any(c in args.only for c in "456") and not checkpoint.exists():
        print(f"checkpoint {checkpoint} not found: make it first (see checkpoints/README.md) or pass --checkpoint",
              file=sys.stderr)
        return 2

    if "1" in args.only:
        t = time.perf_counter()
        print("claim 1: next-token prediction, bidirectional vs causal", flush=True)
        runs = [ex.copy_collapse_experiment(steps=30 if quick else 300, seed=s, progress=False) for s in seeds]
        for kind in ("bidirectional", "causal"):
            loss = ex.spread([r[kind]["train_loss"][-1] for r in runs])
            visible = ex.spread([r[kind]["accuracy_future_visible"] for r in runs])
            hidden = ex.spread([r[kind]["accuracy_future_hidden"] for r in runs])
            add("1", f"{kind}: final training loss", pm(loss, 1, 3), seed_note)
            add("1", f"{kind}: next-token accuracy, future visible (%)", pm(visible), seed_note)
            add("1", f"{kind}: next-token accuracy, future hidden (%)", pm(hidden), seed_note)
        ref = ex.spread([r["reference"]["most_frequent_token_accuracy"] for r in runs])
        add("1", "most-frequent-token accuracy (%)", pm(ref), "reference")
        timings["1"] = time.perf_counter() - t

    mask_mix = None
    if "2" in args.only or "3" in args.only:
        t = time.perf_counter()
        print(f"claim 2: 80/10/10 vs always [MASK] (pre-training, preset {preset!r})", flush=True)
        mask_mix = ex.mask_mix_experiment(preset=preset, seed=0, eval_size=128 if quick else 512, progress=False)
        if "2" in args.only:
            for name in ("80/10/10", "always [MASK]"):
                r = mask_mix[name]
                for cond in ("masked", "random", "kept", "unselected"):
                    add("2", f"{name}: MLM accuracy at {cond} positions (%)", f"{r[f'accuracy_{cond}'] * 100:.1f}",
                        f"pre-training seed 0, {r['steps']} steps")
            down = ex.mask_mix_downstream_experiment(mask_mix, tasks=("sentiment", "ner"), num_labels=128,
                                                     seeds=seeds, steps=ft_steps, test_size=test_size, progress=False)
            for task, arms in down["results"].items():
                metric = down["metric"][task].replace("_", " ")
                for name in ("80/10/10", "always [MASK]"):
                    r = arms[name]
                    add("2", f"{name}: fine-tuned {task} {metric}, 128 labels: test / held-out (%)",
                        f"{pm(r['test'])} / {pm(r['test_heldout'])}", seed_note)
        timings["2"] = time.perf_counter() - t

    if "3" in args.only:
        t = time.perf_counter()
        print("claim 3: MLM + NSP vs MLM only, fine-tuned on paraphrase detection", flush=True)
        # Claim 2's 80/10/10 model IS the MLM + NSP model (same preset, data and seed): reuse it.
        with_nsp = (mask_mix["80/10/10"]["model"], mask_mix["80/10/10"]["tokenizer"])
        n3 = 64 if quick else 512
        nsp = ex.nsp_experiment(preset=preset, pretrain_seed=0, with_nsp=with_nsp, num_labels=n3,
                                seeds=seeds, steps=ft_steps, test_size=test_size, progress=False)
        for name in ("mlm+nsp", "mlm only"):
            add("3", f"{name}: paraphrase accuracy (%)", pm(nsp[name]["test"]), f"{seed_note}, {n3} labels")
            add("3", f"{name}: paraphrase accuracy, held-out vocabulary (%)", pm(nsp[name]["test_heldout"]), seed_note)
        add("3", "majority-class paraphrase accuracy (%)", f"{nsp['baseline']['test'] * 100:.1f}", "reference")
        timings["3"] = time.perf_counter() - t

    curve = None
    if "4" in args.only:
        t = time.perf_counter()
        print("claim 4: pre-trained vs from scratch, 32/128/512 labels", flush=True)
        curve = ex.pretrained_vs_scratch_experiment(str(checkpoint), tasks=("sentiment", "ner"),
                                                    label_counts=label_counts, seeds=seeds, steps=ft_steps,
                                                    test_size=test_size, progress=False)
        for task, by_n in curve["results"].items():
            metric = curve["metric"][task].replace("_", " ")
            for n, arms in by_n.items():
                for split, label in (("test", "test"), ("test_heldout", "held-out vocabulary")):
                    p, s = arms["pretrained"][split], arms["scratch"][split]
                    gap = p["mean"] - s["mean"]
                    add("4", f"{task} {metric}, {n} labels, {label}: pre-trained / scratch (%)",
                        f"{pm(p)} / {pm(s)}", f"gap {gap * 100:+.1f}; {seed_note}")
            base = curve["baseline"][task]
            if base.get("test") is not None:
                add("4", f"{task}: majority-class accuracy test / held-out (%)",
                    f"{base['test'] * 100:.1f} / {base['test_heldout'] * 100:.1f}", "reference")
        timings["4"] = time.perf_counter() - t

    if "5" in args.only:
        t = time.perf_counter()
        print("claim 5: frozen encoder vs end-to-end", flush=True)
        n5 = 128 if quick else 512
        # Claim 4's pre-trained arm at n5 labels IS the end-to-end arm (same settings): reuse it.
        reuse = {t: by_n[n5]["pretrained"] for t, by_n in curve["results"].items()} if curve and n5 in label_counts \
            else None
        fz = ex.frozen_vs_end_to_end_experiment(str(checkpoint), tasks=("sentiment", "ner"), num_labels=n5,
                                                seeds=seeds, steps=ft_steps, test_size=test_size,
                                                end_to_end_results=reuse, progress=False)
        for task, arms in fz["results"].items():
            metric = fz["metric"][task].replace("_", " ")
            for name in ("frozen", "end_to_end"):
                r = arms[name]
                add("5", f"{task} {metric}, {n5} labels, {name.replace('_', '-')}: test / held-out (%)",
                    f"{pm(r['test'])} / {pm(r['test_heldout'])}",
                    f"{r['trainable_parameters']:,} trained params, {r['seconds']['mean']:.1f} s/run; {seed_note}")
        timings["5"] = time.perf_counter() - t

    if "6" in args.only:
        t = time.perf_counter()
        print("claim 6: cost of pre-training vs one fine-tuning run", flush=True)
        from helpers.training.finetuning import build_model, finetune
        from helpers.text.tasks import subsample

        model, tokenizer = ex.load_encoder(str(checkpoint))
        task = ex.get_task("sentiment")
        run = finetune(build_model(task, model, seed=0), task, tokenizer=tokenizer,
                       train_examples=subsample(task, 128, seed=0), steps=ft_steps, seed=0, eval_examples=[],
                       progress=False)
        cost = ex.pretraining_cost(str(checkpoint), run, finetune_tokens=run.positions_seen)
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
