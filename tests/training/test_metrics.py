"""Metrics checked against cases computed by hand."""
import pytest

from helpers.training import metrics


def test_accuracy_by_hand():
    assert metrics.accuracy([0, 1, 2, 1], [0, 1, 1, 1]) == pytest.approx(0.75)


def test_macro_f1_by_hand():
    refs = [0, 0, 0, 1, 1, 2]
    preds = [0, 0, 1, 1, 2, 2]
    # class 0: tp=2 fp=0 fn=1 -> 4/5 ; class 1: tp=1 fp=1 fn=1 -> 2/4 ; class 2: tp=1 fp=1 fn=0 -> 2/3
    expected = (4 / 5 + 2 / 4 + 2 / 3) / 3
    assert metrics.macro_f1(preds, refs) == pytest.approx(expected)
    # A class in `labels` that nobody predicts or has scores 0 and drags the mean down.
    assert metrics.macro_f1(preds, refs, labels=[0, 1, 2, 3]) == pytest.approx(expected * 3 / 4)


def test_macro_f1_punishes_majority_guessing_more_than_accuracy():
    refs = [0] * 8 + [1, 2]
    preds = [0] * 10
    assert metrics.accuracy(preds, refs) == pytest.approx(0.8)
    assert metrics.macro_f1(preds, refs) == pytest.approx((2 * 8 / (16 + 2)) / 3)


def test_get_entities_conll_rules():
    tags = ["B-PER", "I-PER", "O", "I-LOC", "B-LOC", "I-ORG", "O"]
    assert metrics.get_entities(tags) == [("PER", 0, 1), ("LOC", 3, 3), ("LOC", 4, 4), ("ORG", 5, 5)]
    # IO tags (no prefix): consecutive words of one type form one entity.
    assert metrics.get_entities(["PER", "PER", "O", "LOC"]) == [("PER", 0, 1), ("LOC", 3, 3)]
    assert metrics.get_entities(["O", "O"]) == []


def test_entity_f1_needs_exact_spans():
    refs = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "I-ORG", "I-ORG"]]
    preds = [["B-PER", "O", "O", "B-LOC"], ["B-ORG", "I-ORG", "I-ORG"]]
    # reference entities: PER(0-1), LOC(3), ORG(0-2) = 3; predicted: PER(0), LOC(3), ORG(0-2) = 3;
    # correct: LOC and ORG -> P = R = 2/3.
    scores = metrics.entity_scores(preds, refs)
    assert scores["precision"] == pytest.approx(2 / 3)
    assert scores["recall"] == pytest.approx(2 / 3)
    assert metrics.entity_f1(preds, refs) == pytest.approx(2 / 3)
    # Predicting nothing scores 0 even though most words (the O's) are right.
    assert metrics.entity_f1([["O"] * 4, ["O"] * 3], refs) == 0.0


def test_entity_f1_wrong_type_counts_as_miss():
    assert metrics.entity_f1([["B-ORG"]], [["B-PER"]]) == 0.0
    assert metrics.entity_f1([["B-PER", "O"]], [["B-PER", "O"]]) == 1.0


def test_squad_normalisation_and_span_scores():
    assert metrics.normalize_answer("The  Red Fox-Inn!") == "red foxinn"
    assert metrics.span_exact_match("the red ball", "Red ball.") == 1.0
    assert metrics.span_exact_match("red ball", "ball") == 0.0
    # prediction "red ball in garden" vs "ball": shared 1, P=1/4, R=1 -> F1 = 2/5
    assert metrics.span_token_f1("red ball in the garden", "ball") == pytest.approx(0.4)
    assert metrics.span_token_f1("", "ball") == 0.0
    assert metrics.span_token_f1("the", "a") == 1.0  # both normalise to nothing
    assert metrics.exact_match(["a ball", "cat"], ["ball", "dog"]) == 0.5
    assert metrics.token_f1(["red ball", "cat"], ["ball", "cat"]) == pytest.approx((2 / 3 + 1) / 2)


def test_bad_input_is_a_clear_error():
    with pytest.raises(ValueError, match="same length"):
        metrics.accuracy([1, 2], [1])
    with pytest.raises(ValueError, match="predictions"):
        metrics.accuracy([], [])
    with pytest.raises(ValueError, match=r"predictions\[0\]"):
        metrics.entity_f1([["O"]], [["O", "B-PER"]])
