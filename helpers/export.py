"""Move a model between the course and Hugging Face ``transformers``.

    python -m helpers.export CHECKPOINT OUT_DIR          # course checkpoint -> Hugging Face folder
    python -m helpers.export --from-hf HF_DIR OUT.pt     # Hugging Face folder -> course checkpoint

The first writes ``config.json``, ``model.safetensors`` and the tokenizer files, which
``transformers.AutoModelForMaskedLM.from_pretrained(OUT_DIR)`` or ``pipeline("fill-mask",
model=OUT_DIR)`` load. The second lets the notebooks run on a real BERT you already have on disk
(``BERT_COURSE_CHECKPOINT=OUT.pt``). Neither needs ``transformers`` installed. A thin command: the
conversion itself is :mod:`helpers.modeling.hf_format`.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from helpers.files import describe
from helpers.modeling.checkpoints import load_checkpoint, save_checkpoint
from helpers.modeling.hf_format import export_pretrained, load_hf_pretrained


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m helpers.export",
        description="Export a course checkpoint as a Hugging Face folder, or (--from-hf) the reverse.")
    parser.add_argument("source", help="a course checkpoint (.pt), or with --from-hf a Hugging Face BERT folder")
    parser.add_argument("out", help="the folder to write (new, empty or an earlier export), or with --from-hf "
                                    "the checkpoint file to write (must not exist)")
    parser.add_argument("--from-hf", action="store_true", help="convert a Hugging Face folder into a course checkpoint")
    args = parser.parse_args(argv)
    try:
        if args.from_hf:
            out = Path(args.out)
            if out.exists():
                raise ValueError(f"out={str(out)!r} already exists: choose a new file name (nothing is overwritten).")
            loaded = load_hf_pretrained(args.source)
            # float32: a real BERT is compared against transformers, so keep its weights exactly.
            save_checkpoint(out, loaded.model, loaded.tokenizer,
                            {"imported_from": str(Path(args.source).resolve()),
                             "newly_initialised": loaded.metadata["newly_initialised"]}, dtype=torch.float32)
            size = sum(p.numel() for p in loaded.model.parameters())
            print(f"wrote {out} ({size / 1e6:.1f}M parameters, vocab {loaded.model.config.vocab_size}); "
                  f"use it with BERT_COURSE_CHECKPOINT={out}")
        else:
            loaded = load_checkpoint(args.source)
            out = export_pretrained(loaded.model, loaded.tokenizer, args.out, source=str(Path(args.source).resolve()))
            print(f"wrote {out}: load it with transformers.AutoModelForMaskedLM.from_pretrained({str(out)!r})")
    except (ValueError, OSError) as error:
        print(f"error: {describe(error) if isinstance(error, OSError) else error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
