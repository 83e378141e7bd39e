"""Training precision: full float32, or bfloat16 autocast with float32 master weights.

``bf16`` runs the matrix multiplications in bfloat16 (8 bits of mantissa, float32's exponent range,
so no loss scaling is needed) while the weights, their gradients and the optimizer state stay in
float32: ``torch.autocast`` casts on the fly inside the forward pass. It pays only where the hardware
multiplies bfloat16 natively: recent GPUs, and CPUs with AMX or AVX512-BF16; elsewhere it is slower,
so it is refused rather than silently made slow.

    with autocast_context("bf16", "cpu"):
        loss = model(**batch).loss
    loss.backward()          # outside the context, as PyTorch recommends
"""
from __future__ import annotations

import contextlib
import functools
from pathlib import Path
from typing import ContextManager

import torch

from helpers.errors import show

PRECISIONS = ("fp32", "bf16")
CPUINFO = Path("/proc/cpuinfo")


@functools.lru_cache(maxsize=1)  # the loop asks every step; the CPU does not change
def cpu_bf16_support() -> str | None:
    """The CPU feature that makes bfloat16 fast here ("AMX" or "AVX512-BF16"), or None."""
    try:
        flags = set()
        for line in CPUINFO.read_text().splitlines():
            if line.startswith("flags"):
                flags.update(line.split(":", 1)[1].split())
                break
    except OSError:  # not Linux: ask PyTorch's own CPU probe
        flags = {name for name, probe in (("amx_bf16", "_is_amx_tile_supported"),
                                          ("avx512_bf16", "_is_avx512_bf16_supported"))
                 if getattr(torch.cpu, probe, lambda: False)()}
    if "amx_bf16" in flags:
        return "AMX"
    if "avx512_bf16" in flags:
        return "AVX512-BF16"
    return None


def autocast_context(precision: str, device: str | torch.device) -> ContextManager:
    """The context to run a forward pass in: a no-op for ``"fp32"``, bfloat16 autocast for ``"bf16"``.

    A ``ValueError`` names what is allowed for an unknown precision, and says why for ``"bf16"``
    on a device that cannot run it fast.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision={show(precision)} is not allowed: it must be one of {list(PRECISIONS)}.")
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(f"device={show(device)} is not allowed: it must be a torch device such as 'cpu' "
                         "or 'cuda'.") from None
    if precision == "fp32":
        return contextlib.nullcontext()
    if device.type == "cpu":
        if cpu_bf16_support() is None:
            raise ValueError("precision='bf16' is not allowed on this CPU: it has neither AMX nor AVX512-BF16 "
                             "(see the flags in /proc/cpuinfo), so bfloat16 would be slower than float32. "
                             "Use precision='fp32'.")
    elif device.type == "cuda":
        if not torch.cuda.is_available() or not torch.cuda.is_bf16_supported():
            raise ValueError(f"precision='bf16' is not allowed on device={str(device)!r}: "
                             + ("no CUDA GPU is available." if not torch.cuda.is_available()
                                else "this GPU has no bfloat16 support.") + " Use precision='fp32'.")
    else:
        raise ValueError(f"precision='bf16' is not allowed on device={str(device)!r}: bfloat16 autocast is "
                         "supported here on 'cpu' and 'cuda' only. Use precision='fp32'.")
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
