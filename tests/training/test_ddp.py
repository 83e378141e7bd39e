"""Data-parallel pre-training: two CPU ranks under torchrun end with identical weights."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_two_ranks_end_with_identical_parameters(tmp_path):
    out = tmp_path / "ddp.pt"
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
               "-m", "helpers.pretrain", "--preset", "tiny", "--steps", "4", "--num-documents", "80",
               "--eval-every", "4", "--float32", "--out", str(out), "--hash-dir", str(tmp_path / "ranks"), "--no-progress"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    ranks = [json.loads((tmp_path / "ranks" / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert [r["world_size"] for r in ranks] == [2, 2]
    assert ranks[0]["steps"] == ranks[1]["steps"] == 4
    # each rank trained on its own batches (different first losses) ...
    assert ranks[0]["first_loss"] != ranks[1]["first_loss"]
    # ... yet after every all-reduced step the weights are the same on both
    assert ranks[0]["hash"] == ranks[1]["hash"]
    # only rank 0 wrote the checkpoint, and it holds those weights
    assert out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["ddp.pt", "ranks"]
    from helpers.modeling.checkpoints import load_checkpoint, parameter_hash
    ckpt = load_checkpoint(out)
    assert ckpt.metadata["world_size"] == 2
    assert parameter_hash(ckpt.model) == ranks[0]["hash"]
    assert "world_size=2" in done.stdout
