"""The experiments layer: each claim's function on tiny models (structure, determinism), and the
claims themselves where they are cheap enough to check."""
from __future__ import annotations

import copy
import dataclasses
from types import SimpleNamespace

import pytest
import torch

from helpers import experiments as ex
from helpers.constants import IS_NEXT, IS_RANDOM
from helpers.modeling.bert import BertConfig
from helpers.modeling.checkpoints import save_checkpoint
from helpers.training.pretraining import PRESETS, pretrain


def test_spread_formats_mean_and_spread():
    s = ex.Spread([0.70, 0.74, 0.78])
    assert s.mean == pytest.approx(0.74) and s.std == pytest.approx(0.0326598, rel=1e-4)
    assert f"{s:.1%}" == "74.0% ± 3.3"
    assert ex.Spread([0.5]).std == 0.0

def test_comparison_summary_reads_each_arm_against_the_spread():
    scores = {"a": {"test": ex.Spread([0.60, 0.64])}, "b": {"test": ex.Spread([0.50, 0.50])},
              "c": {"test": ex.Spread([0.55, 0.61])}}
    result = ex.Comparison(task="paraphrase", metric="accuracy", scores=scores, seconds={}, trainable_parameters={},
                           baseline={"test": None}, num_train_examples=512, seeds=[0, 1], steps=150, test_size=300)
    assert result.spreads("test") == pytest.approx({"a": 0.02, "b": 0.0, "c": 0.03})
    assert result.summary("test").splitlines() == [
        "paraphrase (accuracy on 300 test examples, mean ± spread over seeds [0, 1]):",
        "  a                62.0% ± 2.0",
        "  b                50.0% ± 0.0",
        "  c                58.0% ± 3.0",
        "best minus worst: +12.0%; the largest spread over seeds: 3.0%",
    ]
    whole = ex.Comparison(**{**result.__dict__, "test_size": None})
    assert whole.summary("test").startswith("paraphrase (accuracy on test, mean")



def test_copy_collapse_experiment_structure_and_causal_invariance():
    r = ex.copy_collapse_experiment(steps=5, num_documents=60, vocab_size=300, hidden_size=16, eval_size=20,
                                    progress=False)
    for arm in (r.bidirectional, r.causal):
        assert len(arm.train_loss) == 5
        assert 0 <= arm.accuracy_future_hidden <= 1
    # a causal model cannot see the future anyway: hiding it changes nothing
    assert r.causal.loss_future_visible == pytest.approx(r.causal.loss_future_hidden)
    assert r.bidirectional.model.config.is_causal is False
    assert 0 < r.most_frequent_token_accuracy < 1
    assert set(r.accuracies()["future hidden (generating text)"]) == {"bidirectional", "causal"}


@pytest.mark.slow
def test_copy_collapse_shows_the_effect():
    """The claim itself, at the default size: the bidirectional model copies (low loss, high accuracy
    with the future visible) and is far worse than the causal model once the future is hidden."""
    r = ex.copy_collapse_experiment(seed=0, progress=False)
    bi, causal = r.bidirectional, r.causal
    assert sum(bi.train_loss[-10:]) / 10 < 0.5 * sum(causal.train_loss[-10:]) / 10
    assert bi.accuracy_future_visible > 0.9
    assert bi.accuracy_future_hidden < causal.accuracy_future_hidden - 0.15


def test_accuracy_by_position_is_deterministic_and_restores_the_mode(tiny_model, story_tokenizer):
    tiny_model.train()
    a = ex.accuracy_by_position(tiny_model, story_tokenizer, num_documents=40, size=48)
    assert tiny_model.training
    b = ex.accuracy_by_position(tiny_model, story_tokenizer, num_documents=40, size=48)
    assert a == b and a.positions > 20
    for value in (a.masked, a.random, a.kept, a.unselected):
        assert 0 <= value <= 1


@pytest.mark.parametrize("answer", [IS_NEXT, IS_RANDOM])
def test_sentence_head_breakdown_scores_each_kind_against_its_own_label(tiny_model, story_tokenizer, answer):
    """A head made to give one answer for every pair is right on exactly the kinds whose label that is:
    "true next" is IS_NEXT (0); the two random kinds and the swapped pairs are 1."""
    head = copy.deepcopy(tiny_model)
    with torch.no_grad():
        head.cls.seq_relationship.weight.zero_()
        head.cls.seq_relationship.bias.copy_(torch.tensor([10.0, -10.0] if answer == IS_NEXT else [-10.0, 10.0]))
    result = ex.sentence_head_breakdown(head, story_tokenizer, num_documents=60)
    assert list(result) == list(ex.PAIR_KINDS)
    expected = 1.0 if answer == IS_NEXT else 0.0
    assert result == {"true next": expected, "random, other topic": 1 - expected,
                      "random, same topic": 1 - expected, "swapped order": 1 - expected}


def test_compare_finetuning_and_learning_curve_repeat_exactly(tiny_model, story_tokenizer, tiny_config):
    arms = {"pre-trained": {"encoder": tiny_model}, "from scratch": {"encoder": None, "config": tiny_config},
            "frozen": {"encoder": tiny_model, "freeze_encoder": True}}
    kwargs = dict(num_train_examples=8, seeds=(0, 1), steps=3, test_size=20, progress=False)
    a = ex.compare_finetuning("sentiment", story_tokenizer, arms, **kwargs)
    b = ex.compare_finetuning("sentiment", story_tokenizer, arms, **kwargs)
    assert a.scores == b.scores
    assert set(a.scores) == set(arms) and set(a.scores["frozen"]) == {"test", "test_heldout"}
    assert all(len(s.values) == 2 and 0 <= s.mean <= 1 for arm in a.scores.values() for s in arm.values())
    assert a.trainable_parameters["frozen"] < a.trainable_parameters["pre-trained"]
    assert 0 < a.baseline["test"] < 1 and a.metric == "accuracy"
    checkpoint = SimpleNamespace(model=tiny_model, tokenizer=story_tokenizer)
    curve = ex.learning_curve("ner", checkpoint, label_counts=(8, 16), seeds=(0,), steps=3, test_size=20,
                              progress=False)
    assert list(curve.curve("pre-trained")) == [8, 16] and curve.metric == "entity_f1"


def test_family_names_the_four_arms():
    assert set(ex.FAMILY.values()) == {"course", "course-always-mask", "course-mlm-only", "course-sop"}
    with pytest.raises(ValueError, match="arm"):
        ex.load_family(["no such arm"])


def test_training_flops_formula():
    config = BertConfig(vocab_size=1000, hidden_size=128, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=512)
    H, I, L, T = 128, 512, 2, 64
    per_token = L * (8 * H * H + 4 * H * I + 4 * T * H)
    assert ex.training_flops(config, 1000, seq_len=T) == 3 * 1000 * per_token
    # the encoder part is "6 x (encoder matmul parameters) x tokens" plus attention
    matmul_params = L * (4 * H * H + 2 * H * I)
    assert ex.training_flops(config, 1000, seq_len=T) == 6 * matmul_params * 1000 + 3 * 1000 * L * 4 * T * H
    with_heads = ex.training_flops(config, 1000, seq_len=T, num_selected=150, num_sequences=16, num_labels=2)
    assert with_heads == 3 * 1000 * per_token + 3 * (150 * 2 * (H * H + H * 1000) + 16 * 2 * (H * H + 2 * H))
    assert ex.training_flops(config, 1000, seq_len=T, freeze_encoder=True) == 1000 * per_token


def test_pretraining_cost_reads_the_checkpoint(tmp_path):
    run = pretrain(dataclasses.replace(PRESETS["tiny"], num_documents=120, steps=12, eval_size=32), progress=False)
    path = save_checkpoint(tmp_path / "c.pt", run.model, run.tokenizer, run.metadata())
    fake_finetune = SimpleNamespace(seconds=0.5, steps=10, settings=dict(batch_size=8, max_length=32,
                                                                          freeze_encoder=False))
    cost = ex.pretraining_cost(path, fake_finetune)
    pre, fine = cost["pretraining"], cost["finetuning"]
    assert pre["steps"] == 12 and pre["tokens"] == run.tokens_seen
    assert pre["positions"] == run.positions_processed >= run.tokens_seen
    assert fine["positions"] == 10 * 8 * 32
    assert cost["ratio_flops"] == pytest.approx(pre["flops"] / fine["flops"])
    assert cost["ratio_seconds"] == pytest.approx(pre["seconds"] / 0.5)


def test_sentence_order_breakdown_sorts_every_window_by_region(tiny_model, story_tokenizer):
    from helpers.text.corpus import make_storybook

    result = ex.sentence_order_breakdown(tiny_model, story_tokenizer, num_documents=30, seed=77)
    documents = make_storybook(30, seed=77)
    for k, m in ex.SEGMENT_SIZES:   # every window of k + m consecutive sentences, each region counted once
        windows = sum(max(0, len(d) - k - m + 1) for d in documents)
        assert sum(result.count(region, (k, m)) for region in ex.STORY_REGIONS) == windows
        middle = sum(max(0, len(d) - 2 - k - m + 1) for d in documents)   # neither first nor last sentence
        assert result.count("middle", (k, m)) == middle
    for region in ex.STORY_REGIONS:
        if result.count(region):
            # an untrained head answers (almost) the same whatever the order: the two accuracies add to ~1
            assert 0 <= result.accuracy(region, "swapped") <= 1
            assert result.balanced(region) == pytest.approx(
                (result.accuracy(region, "in order") + result.accuracy(region, "swapped")) / 2)
    with pytest.raises(ValueError, match="is not allowed"):
        result.accuracy("beginning", "swapped")


def test_sentence_order_breakdown_labels(story_tokenizer):
    """A stand-in head that always answers 0 ("as written") is right on every in-order pair and wrong on
    every swapped one; one that always answers 1, the reverse."""
    import torch

    class Constant(torch.nn.Module):
        def __init__(self, answer: int):
            super().__init__()
            self.answer = answer

        def forward(self, input_ids, token_type_ids, attention_mask):
            logits = torch.zeros(input_ids.shape[0], 2)
            logits[:, self.answer] = 1.0
            return SimpleNamespace(seq_relationship_logits=logits)

    for answer in (0, 1):
        result = ex.sentence_order_breakdown(Constant(answer), story_tokenizer, num_documents=10, seed=3)
        for region in ex.STORY_REGIONS:
            if result.count(region):
                assert result.accuracy(region, "in order") == (1.0 if answer == 0 else 0.0)
                assert result.accuracy(region, "swapped") == (1.0 if answer == 1 else 0.0)
                assert result.balanced(region) == 0.5


def test_count_order_cues_on_hand_made_stories():
    tied = ["opening", "meeting", "consequence", "animal", "closing"]
    loose = ["opening", "animal", "social", "place", "closing"]
    # windows of one and one sentence in the middle: (1, 2) cut inside the episode, (2, 3) starts with its
    # consequence; the loose story has nothing that fixes an order
    assert ex.count_order_cues([tied], sizes=((1, 1),))[(1, 1)] == {"windows": 2, "share": 1.0, "best": 1.0}
    assert ex.count_order_cues([loose], sizes=((1, 1),))["all"] == {"windows": 2, "share": 0.0, "best": 0.5}
    # a second segment that ends with a question whose answer lies outside the window gives it away too
    asked = ["opening", "animal", "question", "answer", "closing"]
    cues = ex.count_order_cues([asked], sizes=((1, 1),))[(1, 1)]
    assert cues["windows"] == 2 and cues["share"] == 1.0   # (1, 2): ends mid-dialogue; (2, 3): cut inside it


def test_middle_order_cues_reads_the_storybook():
    result = ex.middle_order_cues(num_documents=200, seed=3)
    assert set(result) == set(ex.SEGMENT_SIZES) | {"all"}
    assert 0.3 < result["all"]["share"] < 0.9 and result["all"]["best"] == 0.5 + result["all"]["share"] / 2
