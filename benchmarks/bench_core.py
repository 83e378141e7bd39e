"""Benchmark: our BERT training step and MLM masking against Hugging Face `transformers`.

    python benchmarks/bench_core.py            # full run (a few minutes on 2 cores)
    python benchmarks/bench_core.py --quick    # smoke run (well under a minute)
    python benchmarks/bench_core.py --threads 1   # steadier numbers on a busy machine

What is timed, for both implementations on the SAME config, batch, initial weights, optimizer
(AdamW, lr 1e-4) and dropout (0.1):

* one full training step: forward with MLM labels (~15% of the tokens, Bernoulli) and NSP labels,
  backward, AdamW step. Steps alternate ours / theirs after a warm-up, and medians are reported,
  so slow drifts of a shared machine hit both sides alike;
* masking: ``helpers.objectives.mlm.mask_tokens`` versus ``DataCollatorForLanguageModeling.torch_mask_tokens``
  on the same batch (tokens per second). Both clone the input (theirs edits in place).

* the same training step in bfloat16 autocast (fp32 master weights: ``helpers.training.precision``),
  ours and ``transformers`` both in bf16 in the same run; the CPU's bf16 support (AMX, AVX512-BF16)
  is read from /proc/cpuinfo and printed. ``--no-bf16`` leaves these rows out.

Why ours is faster: with labels, our MLM head runs only on the selected ~15% of positions (as in
Google's original code) instead of all of them; q/k/v are one matmul; attention uses PyTorch's
fused ``scaled_dot_product_attention``.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import transformers  # noqa: E402

from helpers.objectives.mlm import mask_tokens  # noqa: E402
from helpers.modeling.bert import BertConfig, BertForPreTraining  # noqa: E402
from helpers.training.precision import autocast_context, cpu_bf16_support  # noqa: E402

CONFIGS = {
    "a": dict(vocab_size=2000, hidden_size=128, num_hidden_layers=2, num_attention_heads=2,
              intermediate_size=512, seq_len=64, batch_size=32),
    "b": dict(vocab_size=8000, hidden_size=256, num_hidden_layers=4, num_attention_heads=4,
              intermediate_size=1024, seq_len=128, batch_size=32),
}
CLS, SEP, PAD, MASK = 2, 3, 0, 4


def make_batch(vocab_size: int, seq_len: int, batch_size: int, seed: int = 0) -> dict[str, torch.Tensor]:
    """A pre-training batch shaped like the real ones: [CLS] A [SEP] B [SEP] [PAD]..., lengths vary."""
    g = torch.Generator().manual_seed(seed)
    input_ids = torch.randint(5, vocab_size, (batch_size, seq_len), generator=g)
    lengths = torch.randint(seq_len // 2, seq_len + 1, (batch_size,), generator=g)
    positions = torch.arange(seq_len)
    real = positions[None, :] < lengths[:, None]
    split = lengths // 2
    input_ids[:, 0] = CLS
    input_ids[torch.arange(batch_size), split] = SEP
    input_ids[torch.arange(batch_size), lengths - 1] = SEP
    input_ids[~real] = PAD
    token_type_ids = ((positions[None, :] > split[:, None]) & real).long()
    special = (input_ids == CLS) | (input_ids == SEP) | (input_ids == PAD)
    masked = mask_tokens(input_ids, special, vocab_size=vocab_size, mask_token_id=MASK, generator=g)
    return dict(input_ids=masked.input_ids, token_type_ids=token_type_ids, attention_mask=real.long(),
                labels=masked.labels, next_sentence_label=torch.randint(0, 2, (batch_size,), generator=g),
                special_tokens_mask=special.long(), original_ids=input_ids)


def bench_training(name: str, spec: dict, repeats: int, warmup: int, precision: str = "fp32") -> dict:
    shape = {k: spec[k] for k in spec if k not in ("seq_len", "batch_size")}
    config = BertConfig(**shape, max_position_embeddings=max(128, spec["seq_len"]))
    torch.manual_seed(0)
    ours = BertForPreTraining(config)
    theirs = transformers.BertForPreTraining(transformers.BertConfig(**config.to_transformers_config()))
    theirs.load_state_dict(ours.state_dict(), strict=True)       # same starting weights
    ours.train(), theirs.train()
    batch = make_batch(spec["vocab_size"], spec["seq_len"], spec["batch_size"])
    inputs = {k: batch[k] for k in ("input_ids", "token_type_ids", "attention_mask", "labels",
                                    "next_sentence_label")}
    optimizers = {id(m): torch.optim.AdamW(m.parameters(), lr=1e-4) for m in (ours, theirs)}

    def step(model) -> tuple[float, float]:
        opt = optimizers[id(model)]
        wall, cpu = time.perf_counter(), time.process_time()
        opt.zero_grad(set_to_none=True)
        with autocast_context(precision, "cpu"):   # fp32: no-op; bf16: autocast, fp32 master weights
            loss = model(**inputs).loss
        loss.backward()
        opt.step()
        return time.perf_counter() - wall, time.process_time() - cpu

    for _ in range(warmup):
        step(ours), step(theirs)
    times = {"ours": [], "theirs": []}
    for i in range(repeats):                       # interleaved, order flipped every repeat
        pair = (("ours", ours), ("theirs", theirs)) if i % 2 == 0 else (("theirs", theirs), ("ours", ours))
        for label, model in pair:
            times[label].append(step(model))
    def median_ms(label: str, which: int) -> float:
        return statistics.median(t[which] for t in times[label]) * 1e3

    ours_ms, theirs_ms = median_ms("ours", 0), median_ms("theirs", 0)
    ours_cpu, theirs_cpu = median_ms("ours", 1), median_ms("theirs", 1)
    selected = int((inputs["labels"] != -100).sum())
    return dict(config=name, precision=precision, ours_ms=ours_ms, theirs_ms=theirs_ms, ratio=theirs_ms / ours_ms,
                cpu_ratio=theirs_cpu / ours_cpu, ours_cpu=ours_cpu, theirs_cpu=theirs_cpu,
                selected=selected, tokens=int(inputs["attention_mask"].sum()),
                attn=theirs.config._attn_implementation)


def hf_collator(vocab_size: int):
    """Hugging Face's collator needs a tokenizer only for the [MASK] id and the vocabulary size."""
    folder = Path(tempfile.mkdtemp())
    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + [f"w{i}" for i in range(vocab_size - 5)]
    (folder / "vocab.txt").write_text("\n".join(words) + "\n")
    tokenizer = transformers.BertTokenizer(str(folder / "vocab.txt"))
    assert len(tokenizer) == vocab_size and tokenizer.mask_token_id == MASK
    return transformers.DataCollatorForLanguageModeling(tokenizer=tokenizer, mlm_probability=0.15)


def bench_masking(repeats: int, batch_size: int = 256, seq_len: int = 128, vocab_size: int = 8000) -> dict:
    batch = make_batch(vocab_size, seq_len, batch_size, seed=1)
    ids, special = batch["original_ids"], batch["special_tokens_mask"]
    collator = hf_collator(vocab_size)
    generator = torch.Generator().manual_seed(0)

    def ours() -> float:
        start = time.perf_counter()
        mask_tokens(ids, special, vocab_size=vocab_size, mask_token_id=MASK, generator=generator)
        return time.perf_counter() - start

    def theirs() -> float:
        start = time.perf_counter()
        collator.torch_mask_tokens(ids.clone(), special_tokens_mask=special)
        return time.perf_counter() - start

    for _ in range(3):
        ours(), theirs()
    times = {"ours": [], "theirs": []}
    for i in range(repeats):
        for label, fn in ((("ours", ours), ("theirs", theirs)) if i % 2 == 0 else (("theirs", theirs), ("ours", ours))):
            times[label].append(fn())
    tokens = ids.numel()
    ours_tps = tokens / statistics.median(times["ours"])
    theirs_tps = tokens / statistics.median(times["theirs"])
    return dict(ours_tps=ours_tps, theirs_tps=theirs_tps, ratio=ours_tps / theirs_tps, tokens=tokens)


def bench_bf16(fp32_rows: list[dict], names: list[str], repeats: int, warmup: int) -> None:
    """The bf16 autocast rows, compared with transformers in bf16 and with the fp32 rows of this run."""
    support = cpu_bf16_support()
    print(f"\nbfloat16: this CPU {'has ' + support if support else 'has neither AMX nor AVX512-BF16'} "
          f"(/proc/cpuinfo flags), so bf16 matmuls {'run natively' if support else 'would be emulated (slow)'}.")
    if support is None:
        print("bf16 rows left out: autocast_context refuses bf16 on this CPU.")
        return
    fp32 = {row["config"]: row for row in fp32_rows}
    rows = [bench_training(name, CONFIGS[name], repeats, warmup, precision="bf16") for name in names]
    print("| config | precision | ours ms/step | transformers ms/step | ours vs transformers (wall) | "
          "ours bf16 vs ours fp32 | transformers bf16 vs transformers fp32 |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        base = fp32[row["config"]]
        print(f"| {row['config']} | bf16 autocast, fp32 master weights | {row['ours_ms']:.1f} | "
              f"{row['theirs_ms']:.1f} (attn={row['attn']}) | {row['ratio']:.2f}× | "
              f"{base['ours_ms'] / row['ours_ms']:.2f}× | {base['theirs_ms'] / row['theirs_ms']:.2f}× |")
    print("Speed-ups > 1 mean bf16 (or ours) is faster. All rows come from this one run; on a shared "
          "machine they are noisy.")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="few repeats: a smoke run, noisy numbers")
    parser.add_argument("--configs", default="a,b", help="comma-separated subset of: a,b")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads (default: torch's choice). On a busy shared machine 1 gives "
                             "steadier numbers: oversubscribed threads spin and wait on each other")
    parser.add_argument("--no-bf16", action="store_true", help="leave out the bfloat16 autocast rows")
    args = parser.parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    repeats, warmup, mask_repeats = (5, 1, 20) if args.quick else (20, 3, 100)

    print(f"torch {torch.__version__}, transformers {transformers.__version__}, "
          f"torch threads = {torch.get_num_threads()}, repeats = {repeats} (warm-up {warmup})")
    print(f"CPU: {os.cpu_count()} logical cores; load average {os.getloadavg()[0]:.1f} at start.")
    print("Note: the machine may be shared with other jobs; ours and theirs are interleaved so that "
          "contention hits both, but absolute times are inflated and the ratio is noisy.\n")

    rows = [bench_training(name, CONFIGS[name], repeats, warmup) for name in args.configs.split(",")]
    print("| config | shape (vocab/hidden/layers/heads/ff, seq×batch) | MLM positions | ours ms/step | "
          "transformers ms/step | speed-up (wall) | speed-up (CPU time) |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        s = CONFIGS[row["config"]]
        shape = (f"{s['vocab_size']}/{s['hidden_size']}/{s['num_hidden_layers']}/{s['num_attention_heads']}/"
                 f"{s['intermediate_size']}, {s['seq_len']}×{s['batch_size']}")
        print(f"| {row['config']} | {shape} | {row['selected']} of {row['tokens']} real tokens | "
              f"{row['ours_ms']:.1f} | {row['theirs_ms']:.1f} (attn={row['attn']}) | {row['ratio']:.2f}× | "
              f"{row['cpu_ratio']:.2f}× |")
    print("\nms/step = median wall-clock time of forward + backward + AdamW step. CPU time (all threads of "
          "this process) is less affected by other jobs on a shared machine.")

    if not args.no_bf16:
        bench_bf16(rows, args.configs.split(","), repeats, warmup)

    m = bench_masking(mask_repeats)
    print(f"\n| masking ({m['tokens']} tokens per call) | ours | transformers collator | ratio |")
    print("|---|---|---|---|")
    print(f"| tokens/s (median) | {m['ours_tps']:.3g} | {m['theirs_tps']:.3g} | {m['ratio']:.2f}× |")


if __name__ == "__main__":
    main()
