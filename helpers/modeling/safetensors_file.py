"""The safetensors file format, read and written without the ``safetensors`` package.

safetensors is a deliberately simple format (what Hugging Face folders hold as ``model.safetensors``)::

    8 bytes      N, the length of the header (unsigned, little-endian)
    N bytes      a JSON header: {name: {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}}
    the rest     the raw bytes of every tensor, back to back (offsets count from here)

Unlike a pickle (``pytorch_model.bin``), reading it cannot run code.
"""
from __future__ import annotations

import json
import math
import os
import struct
import sys
from pathlib import Path
from typing import Any, Mapping

import torch

from helpers.errors import show
from helpers.files import atomic_write

# safetensors dtype codes <-> torch dtypes (the ones a BERT checkpoint can hold).
_DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8,
    "U8": torch.uint8, "BOOL": torch.bool,
}
_CODES = {dtype: code for code, dtype in _DTYPES.items()}


def _check_little_endian() -> None:
    # safetensors stores little-endian bytes; torch tensors are in the machine's order.
    if sys.byteorder != "little":
        raise ValueError("this machine is big-endian; the safetensors reader/writer here handles "
                         "little-endian machines only.")


def _itemsize(tensor: Any) -> int:
    return tensor.element_size() if isinstance(tensor, torch.Tensor) else 0


def write_safetensors(path: str | os.PathLike, tensors: Mapping[str, torch.Tensor],
                      metadata: Mapping[str, str] | None = None) -> Path:
    """Write ``tensors`` (name -> tensor) to ``path`` in the safetensors format.

    Tensors are written back to back, the widest dtypes first (then by name), and the header is
    padded with spaces to a multiple of 8 bytes: so every tensor starts at a multiple of its own
    element size, and :func:`read_safetensors` can hand out views instead of copies. Tensors must not
    share memory (drop tied copies first).
    """
    _check_little_endian()
    header: dict[str, Any] = {"__metadata__": dict(metadata or {"format": "pt"})}
    blobs, offset = [], 0
    for name in sorted(tensors, key=lambda n: (-_itemsize(tensors[n]), n)):
        tensor = tensors[name]
        if not isinstance(tensor, torch.Tensor) or tensor.dtype not in _CODES:
            raise ValueError(f"tensors[{name!r}]={show(tensor)} is not allowed: it must be a tensor with one of "
                             f"the dtypes {sorted(str(d) for d in _CODES)}.")
        data = tensor.detach().to("cpu").contiguous()
        # A byte view of the tensor's memory: works for every dtype, bfloat16 included.
        raw = data.reshape(-1).view(torch.uint8).numpy().tobytes() if data.numel() else b""
        header[name] = {"dtype": _CODES[data.dtype], "shape": list(data.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)

    def write(f) -> None:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)

    return atomic_write(path, write)


def read_safetensors(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """Read every tensor of a safetensors file (name -> tensor, on the CPU).

    The file is read once into one buffer and every tensor is a view of its bytes, so the peak
    memory is about the size of the file (a tensor whose bytes are not aligned for its dtype, which
    neither our writer nor Hugging Face's produces, is copied).
    """
    _check_little_endian()
    path = Path(path)
    where = f"path={str(path)!r}"
    data = bytearray(path.stat().st_size)  # writable, so torch.frombuffer shares it without a warning
    with path.open("rb") as f:
        if f.readinto(data) != len(data):
            raise ValueError(f"{where} changed while it was being read; read it again.")
    header, start = _safetensors_header(data, where)
    body_size = len(data) - start
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        dtype, shape, (begin, end) = _header_entry(name, entry, where)
        count = math.prod(shape)
        itemsize = torch.empty((), dtype=dtype).element_size()
        if not (0 <= begin <= end <= body_size) or end - begin != count * itemsize:
            raise ValueError(f"{where}: tensor {name!r} has data_offsets [{begin}, {end}], which do not fit its "
                             f"shape {shape} of {entry['dtype']} or the file ({body_size} data bytes): "
                             "the file is truncated or corrupted.")
        tensors[name] = _view(data, start + begin, count * itemsize, dtype, shape)
    return tensors


def _safetensors_header(data: bytearray, where: str) -> tuple[dict, int]:
    """The JSON header of a safetensors file and where its data starts."""
    if len(data) < 8:
        raise ValueError(f"{where} is not a safetensors file: it is shorter than its 8-byte header length.")
    (length,) = struct.unpack("<Q", data[:8])
    if length > len(data) - 8:
        raise ValueError(f"{where} is not a safetensors file (or is truncated): its header claims {length} "
                         f"bytes, the file has {len(data) - 8} after the length.")
    try:
        header = json.loads(bytes(data[8:8 + length]).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{where} is not a safetensors file: its header is not JSON ({error}).") from None
    if not isinstance(header, dict):
        raise ValueError(f"{where} is not a safetensors file: its header is not a JSON object.")
    return header, 8 + length


def _header_entry(name: str, entry: Any, where: str) -> tuple[torch.dtype, list[int], tuple[int, int]]:
    try:
        dtype, shape = _DTYPES[entry["dtype"]], [int(n) for n in entry["shape"]]
        begin, end = (int(n) for n in entry["data_offsets"])
    except (KeyError, TypeError, ValueError):
        raise ValueError(f"{where}: the header entry for {name!r} is not allowed: it needs a dtype among "
                         f"{sorted(_DTYPES)}, a shape and two data_offsets; found {entry!r:.120}.") from None
    if any(n < 0 for n in shape):
        raise ValueError(f"{where}: tensor {name!r} has shape {shape}, which is not allowed: sizes must be >= 0.")
    return dtype, shape, (begin, end)


def _view(data: bytearray, offset: int, size: int, dtype: torch.dtype, shape: list[int]) -> torch.Tensor:
    """The ``size`` bytes of ``data`` at ``offset`` as a tensor of ``dtype`` and ``shape``, sharing memory."""
    if size == 0:
        return torch.empty(shape, dtype=dtype)
    raw = torch.frombuffer(data, dtype=torch.uint8, count=size, offset=offset)
    if offset % raw.new_empty((), dtype=dtype).element_size():
        raw = raw.clone()  # misaligned for its dtype: this one tensor is copied
    return raw.view(dtype).reshape(shape)
