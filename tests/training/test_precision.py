"""helpers.training.precision: the fp32 / bf16 switch the training loop uses."""
from __future__ import annotations

import dataclasses

import pytest
import torch

from helpers.constants import IGNORE_INDEX
from helpers.training import precision
from helpers.training.precision import autocast_context, cpu_bf16_support
from helpers.training.pretraining import PRESETS, pretrain


def test_fp32_changes_nothing():
    a, b = torch.randn(4, 8), torch.randn(8, 3)
    with autocast_context("fp32", "cpu"):
        assert not torch.is_autocast_enabled("cpu")
        assert (a @ b).dtype == torch.float32


@pytest.mark.parametrize("bad", ["fp16", "BF16", "", None, 16])
def test_unknown_precision_is_a_clear_error(bad):
    with pytest.raises(ValueError, match=r"must be one of \['fp32', 'bf16'\]"):
        autocast_context(bad, "cpu")


def test_bad_device_is_a_clear_error():
    with pytest.raises(ValueError, match="must be a torch device"):
        autocast_context("fp32", "gpu0")


def test_bf16_on_a_cpu_that_supports_it_runs_matmuls_in_bfloat16(monkeypatch):
    monkeypatch.setattr(precision, "cpu_bf16_support", lambda: "AMX")
    a = torch.randn(4, 8, requires_grad=True)
    with autocast_context("bf16", torch.device("cpu")):
        out = a @ torch.randn(8, 3)
    assert out.dtype == torch.bfloat16
    out.float().sum().backward()
    assert a.grad.dtype == torch.float32            # master weights and their gradients stay float32


def test_bf16_is_refused_on_a_cpu_without_it(monkeypatch):
    monkeypatch.setattr(precision, "cpu_bf16_support", lambda: None)
    with pytest.raises(ValueError, match="neither AMX nor AVX512-BF16"):
        autocast_context("bf16", "cpu")


def test_bf16_elsewhere_is_refused_with_a_reason():
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA GPU is available"):
            autocast_context("bf16", "cuda")
    with pytest.raises(ValueError, match="'cpu' and 'cuda' only"):
        autocast_context("bf16", "meta")


def test_cpu_detection_reads_the_flags(tmp_path, monkeypatch):
    info = tmp_path / "cpuinfo"
    monkeypatch.setattr(precision, "CPUINFO", info)
    for flags, expected in (("fpu sse avx512f avx512_bf16", "AVX512-BF16"),
                            ("fpu amx_tile amx_bf16 avx512_bf16", "AMX"), ("fpu sse avx2", None)):
        info.write_text(f"processor : 0\nflags : {flags}\n")
        cpu_bf16_support.cache_clear()  # it is read once per process
        assert cpu_bf16_support() == expected
    cpu_bf16_support.cache_clear()


def test_a_bf16_training_step_stays_close_to_fp32(monkeypatch, tiny_model):
    # bfloat16 autocast runs on every CPU (slowly without AMX / AVX512-BF16): the maths is checked anywhere.
    monkeypatch.setattr(precision, "cpu_bf16_support", lambda: "AMX")
    model = tiny_model.train()   # no dropout in the tiny config: train mode changes nothing but the mode
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(5, model.config.vocab_size, (4, 16), generator=g)
    labels = torch.where(torch.rand(4, 16, generator=g) < 0.3, ids, torch.full_like(ids, IGNORE_INDEX))
    with autocast_context("fp32", "cpu"):
        full = model(ids, labels=labels).loss
    with autocast_context("bf16", "cpu"):
        half = model(ids, labels=labels).loss
    half.backward()
    assert half.dtype == torch.float32 and abs(half.item() - full.item()) < 0.02 * full.item()
    assert all(p.grad is None or p.grad.dtype == torch.float32 for p in model.parameters())


def test_a_bf16_pre_training_run_stays_close_to_fp32():
    """The loop's switch end to end: same data and seed, the loss curves agree to a few percent (on a
    CPU without fast bfloat16 the switch is refused with a clear error instead)."""
    config = dataclasses.replace(PRESETS["tiny"], num_documents=120, steps=20, eval_size=32)
    fp32 = pretrain(config, progress=False)
    if cpu_bf16_support() is None:
        with pytest.raises(ValueError, match="bf16"):
            pretrain(dataclasses.replace(config, precision="bf16"), progress=False)
        return
    bf16 = pretrain(dataclasses.replace(config, precision="bf16"), progress=False)
    a, b = fp32.history["train"]["loss"], bf16.history["train"]["loss"]
    assert a != b  # it really ran in another precision
    assert abs(sum(a[-5:]) - sum(b[-5:])) / sum(a[-5:]) < 0.03, (a[-5:], b[-5:])
    assert all(p.dtype == torch.float32 for p in bf16.model.parameters())  # float32 master weights
