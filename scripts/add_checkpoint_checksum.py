"""Add the weights' checksum to checkpoints saved before checksums existed; change nothing else.

    python scripts/add_checkpoint_checksum.py checkpoints/*.pt

``load_checkpoint`` verifies the SHA-256 of the weights that ``save_checkpoint`` now stores; an older
checkpoint has none and loads unverified (``Checkpoint.verified`` is False). This computes the
checksum of the weights AS STORED, adds it, and rewrites the file atomically; the weights, the
vocabulary and the metadata stay exactly as they were (a file that already has a checksum is left
alone, one whose weights are not finite is refused).
"""
from __future__ import annotations

import io
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from helpers.files import atomic_write  # noqa: E402
from helpers.modeling.checkpoints import _read_payload, load_checkpoint, weights_checksum  # noqa: E402


def add_checksum(path: Path) -> str:
    payload = _read_payload(path)
    if "weights_sha256" in payload:
        return f"{path}: has a checksum already, left as it is"
    load_checkpoint(path)  # refuses a file that does not load (non-finite weights, wrong shapes...)
    payload["weights_sha256"] = weights_checksum(payload["state_dict"], payload["tied"])
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    atomic_write(path, buffer.getbuffer())
    assert load_checkpoint(path).verified
    return f"{path}: checksum added ({payload['weights_sha256'][:12]}...), weights unchanged"


if __name__ == "__main__":
    for argument in sys.argv[1:]:
        print(add_checksum(Path(argument)))
