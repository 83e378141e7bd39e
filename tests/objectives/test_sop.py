"""Sentence-order pairs: two consecutive segments of one document, in order or swapped; chunks packed
from each document's start (ALBERT's way) or one per document from a random sentence."""
from __future__ import annotations

import pytest

from helpers.constants import IN_ORDER, SWAPPED
from helpers.objectives.nsp import fit_pair
from helpers.objectives.sop import make_sop_pairs
from helpers.text.corpus import make_storybook


@pytest.fixture(scope="module")
def documents():
    return make_storybook(200, seed=11)


@pytest.mark.parametrize("start", ["document", "random"])
def test_pairs_are_consecutive_segments_of_one_document(documents, story_tokenizer, start):
    pairs = make_sop_pairs(documents, tokenizer=story_tokenizer, seed=3, start=start, progress=False)
    for pair in pairs:
        a, b = pair["a_sentences"], pair["b_sentences"]
        assert a and b and a + b == list(range(a[0], b[-1] + 1))   # A then B, no gap
        assert pair["a"] == " ".join(documents[pair["doc"]][s] for s in a)
        # the input is [CLS] A [SEP] B [SEP], or [CLS] B [SEP] A [SEP] when swapped
        ids_a, ids_b = ([t for s in part for t in story_tokenizer.encode(documents[pair["doc"]][s])] for part in (a, b))
        shown = (ids_b, ids_a) if pair["sentence_order_label"] == SWAPPED else (ids_a, ids_b)
        assert pair["input_ids"] == fit_pair(story_tokenizer, *shown, 64)["input_ids"]
    labels = [p["sentence_order_label"] for p in pairs]
    assert 0.4 < labels.count(SWAPPED) / len(labels) < 0.6 and set(labels) == {IN_ORDER, SWAPPED}


def test_document_start_packs_every_document_from_its_first_sentence(documents, story_tokenizer):
    """The property that lets a head read the order off a story's fixed opening: every document's
    first chunk starts at its first sentence."""
    pairs = make_sop_pairs(documents, tokenizer=story_tokenizer, seed=3, progress=False)
    starts = {}
    for pair in pairs:
        starts.setdefault(pair["doc"], []).append(pair["a_sentences"][0])
    assert all(min(s) == 0 for s in starts.values()) and len(starts) == len(documents)
    assert pairs == make_sop_pairs(documents, tokenizer=story_tokenizer, seed=3, start="document", progress=False)


def test_random_start_cuts_one_chunk_per_document_from_anywhere(documents, story_tokenizer):
    pairs = make_sop_pairs(documents, tokenizer=story_tokenizer, seed=3, start="random", progress=False)
    assert sorted(p["doc"] for p in pairs) == list(range(len(documents)))   # every document has >= 5 sentences
    opening = sum(p["a_sentences"][0] == 0 for p in pairs) / len(pairs)
    expected = sum(1 / (len(d) - 1) for d in documents) / len(documents)    # the start is uniform over n - 1
    assert abs(opening - expected) < 0.07, (opening, expected)
    middle = [p for p in pairs if p["a_sentences"][0] > 0 and p["b_sentences"][-1] < len(documents[p["doc"]]) - 1]
    assert len(middle) > 0.15 * len(pairs)                                   # neither the opening nor the closing
    assert pairs == make_sop_pairs(documents, tokenizer=story_tokenizer, seed=3, start="random", progress=False)


def test_an_unknown_start_is_refused(documents, story_tokenizer):
    with pytest.raises(ValueError, match="start='middle' is not allowed"):
        make_sop_pairs(documents, tokenizer=story_tokenizer, start="middle", progress=False)
