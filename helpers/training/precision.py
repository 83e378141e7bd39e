"""Numeric precision of a training step: float32, or bfloat16 autocast with float32 master weights."""
from __future__ import annotations

import contextlib

import torch

PRECISIONS = ("fp32", "bf16")


def autocast_context(precision: str, device: torch.device | str):
    """A context for the forward pass: nothing for ``"fp32"``; for ``"bf16"``, autocast to
    bfloat16 (matrix products in bf16, the weights and their updates stay float32)."""
    if precision == "fp32":
        return contextlib.nullcontext()
    if precision != "bf16":
        raise ValueError(f"precision={precision!r} is not allowed: use one of {list(PRECISIONS)}.")
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_bf16_supported():
        raise ValueError(f"precision='bf16' is not allowed on {device}: this GPU has no bfloat16 support; use 'fp32'.")
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
