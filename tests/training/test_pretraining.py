"""Pre-training: the typed config and presets, the loop's curves, switches and determinism."""
from __future__ import annotations

import dataclasses
import itertools
import math
import types

import pytest
import torch

from helpers.constants import IN_ORDER, SWAPPED
from helpers.modeling.bert import BertForPreTraining
from helpers.text.corpus import make_storybook
from helpers.training import loop
from helpers.training.loop import warmup_then_decay
from helpers.training.pretraining import (PRESETS, PretrainConfig, evaluate_pretraining, make_held_out_set, pretrain)

TINY = dataclasses.replace(PRESETS["tiny"], num_documents=120, steps=12, eval_every=6, eval_size=32)


def run(**changes):
    return pretrain(dataclasses.replace(TINY, **changes), progress=False)


@pytest.fixture(scope="module")
def tiny_run():
    return run()


def test_history_has_every_curve(tiny_run):
    train, held_out = tiny_run.history["train"], tiny_run.history["eval"]
    assert train["step"] == list(range(1, 13))
    assert all(len(train[k]) == 12 for k in ("loss", "mlm_loss", "sentence_loss", "lr"))
    assert held_out["step"] == [0, 6, 12]
    for key in ("loss", "mlm_accuracy", "mlm_accuracy_masked", "mlm_accuracy_random", "mlm_accuracy_kept",
                "nsp_accuracy"):
        assert len(held_out[key]) == 3
        assert all(0 <= v <= 1 for v in held_out[key]) or key == "loss"
    # the split by operation adds up to the overall count
    final = tiny_run.final
    assert final["num_masked"] + final["num_random"] + final["num_kept"] == final["num_selected"] > 0
    assert tiny_run.tokenizer.vocab_size == tiny_run.model.config.vocab_size
    # train loss is MLM + NSP
    assert train["loss"][0] == pytest.approx(train["mlm_loss"][0] + train["sentence_loss"][0], rel=1e-5)
    assert not tiny_run.interrupted and tiny_run.steps == 12


def test_same_seed_same_curve_other_seed_other_curve(tiny_run):
    again = run()
    assert again.history["train"]["loss"] == tiny_run.history["train"]["loss"]
    assert again.history["eval"]["mlm_accuracy"] == tiny_run.history["eval"]["mlm_accuracy"]
    other = run(seed=1)
    assert other.history["train"]["loss"] != tiny_run.history["train"]["loss"]


def test_loss_goes_down():
    result = run(num_documents=200, steps=60, eval_every=60, eval_size=64)
    losses = result.history["train"]["loss"]
    first, last = sum(losses[:10]) / 10, sum(losses[-10:]) / 10
    assert last < first - 0.5, (first, last)
    assert result.history["eval"]["mlm_loss"][-1] < result.history["eval"]["mlm_loss"][0] - 0.5


def test_switches_always_mask_mlm_only_and_sop(tiny_run):
    always = run(mask_prob=1.0, random_prob=0.0)
    assert always.config.mask_prob == 1.0
    assert always.history["train"]["loss"] != tiny_run.history["train"]["loss"]
    mlm_only = run(sentence_objective="none")
    assert all(math.isnan(v) for v in mlm_only.history["train"]["sentence_loss"])
    assert mlm_only.history["train"]["loss"] == mlm_only.history["train"]["mlm_loss"]
    assert "nsp_accuracy" not in mlm_only.final and "sop_accuracy" not in mlm_only.final
    # the sentence head never got a gradient: its weights are still the initial ones
    torch.manual_seed(0)
    fresh = BertForPreTraining(TINY.model_config(mlm_only.tokenizer.vocab_size))
    assert torch.equal(fresh.cls.seq_relationship.weight, mlm_only.model.cls.seq_relationship.weight)
    nsp_only = run(mlm=False)
    assert all(math.isnan(v) for v in nsp_only.history["train"]["mlm_loss"])
    sop = run(sentence_objective="sop")
    assert "sop_accuracy" in sop.final and "nsp_accuracy" not in sop.final
    assert sop.held_out.sentence_objective == "sop"
    assert set(sop.held_out.sentence_label.tolist()) == {IN_ORDER, SWAPPED}
    assert sop.history["train"]["loss"] != tiny_run.history["train"]["loss"]


def test_bad_settings_are_refused_when_the_config_is_made():
    with pytest.raises(ValueError, match="preset"):
        pretrain("huge", progress=False)
    for changes, message in ((dict(mask_prob=0.9, random_prob=0.2), "mask_prob=0.9 with random_prob=0.2"),
                             (dict(mlm=False, sentence_objective="none"), "at least one objective"),
                             (dict(steps=0), "steps=0"), (dict(time_budget=-1), "time_budget"),
                             (dict(sentence_objective="order"), "sentence_objective"),
                             (dict(batch_size=1_000_000), "batch_size"), (dict(warmup_steps=-5), "warmup_steps"),
                             (dict(learning_rate=0), "learning_rate"),
                             (dict(max_length=100), "max_position_embeddings"), (dict(precision="fp8"), "precision")):
        with pytest.raises(ValueError, match=message):
            dataclasses.replace(TINY, **changes)


def test_time_budget_stops_early(monkeypatch):
    """A clock that advances 10 ms each time it is read: the 0.5 s budget runs out after a few dozen
    steps whatever the machine's speed (the real seconds are for benchmarks, not unit tests)."""
    ticks = itertools.count()
    monkeypatch.setattr(loop, "time", types.SimpleNamespace(perf_counter=lambda: next(ticks) * 0.01))
    result = run(time_budget=0.5, steps=100_000)
    assert 10 < result.steps < 50
    assert result.history["eval"]["step"][-1] == result.steps


def test_a_custom_mask_function_is_used():
    """The hook the learner's own masking plugs into: its labels are what the loss sees."""
    calls = []

    def mask_first_word(input_ids, special_tokens_mask, *, vocab_size, mask_token_id, generator):
        calls.append(input_ids.shape)
        labels = torch.full_like(input_ids, -100)
        labels[:, 1] = input_ids[:, 1]
        corrupted = input_ids.clone()
        corrupted[:, 1] = mask_token_id
        return corrupted, labels

    result = pretrain(TINY, mask_fn=mask_first_word, progress=False)
    assert len(calls) == TINY.steps
    assert result.selected_seen == TINY.steps * TINY.batch_size


def test_resume_counts_steps_on_and_keeps_the_vocabulary(tiny_run):
    more = pretrain(dataclasses.replace(TINY, steps=18), model=tiny_run.model, tokenizer=tiny_run.tokenizer,
                    optimizer_state=tiny_run.optimizer_state, start_step=12, progress=False)
    assert more.history["train"]["step"] == list(range(13, 19))
    assert more.tokenizer is tiny_run.tokenizer
    with pytest.raises(ValueError, match="vocab_size"):
        small = run(vocab_size=200)
        pretrain(TINY, model=small.model, tokenizer=tiny_run.tokenizer, progress=False)


def test_learning_rate_schedule():
    values = [warmup_then_decay(s, warmup_steps=10, total_steps=100) for s in range(100)]
    assert values[0] == pytest.approx(0.1) and values[9] == pytest.approx(1.0)
    assert values == sorted(values[:10]) + sorted(values[10:], reverse=True)
    assert values[-1] < 0.02


def test_presets_are_typed_configs():
    assert {"tiny", "live", "course"} <= set(PRESETS)
    for name, config in PRESETS.items():
        assert isinstance(config, PretrainConfig) and config.name == name
        assert 0 < config.warmup < config.steps
        assert config.max_length <= config.max_position_embeddings


def test_held_out_masking_is_fixed(tiny_run):
    docs = make_storybook(num_documents=40, seed=99)
    a = make_held_out_set(docs, tiny_run.tokenizer, max_length=48, size=32, seed=0)
    b = make_held_out_set(docs, tiny_run.tokenizer, max_length=48, size=32, seed=0)
    assert torch.equal(a.input_ids, b.input_ids) and torch.equal(a.operations, b.operations)
    assert evaluate_pretraining(tiny_run.model, a) == evaluate_pretraining(tiny_run.model, b)
