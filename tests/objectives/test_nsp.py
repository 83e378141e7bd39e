"""helpers.objectives.nsp: next-sentence-prediction pairs."""
import random

import pytest
import torch

from helpers.objectives.nsp import IS_NEXT, IS_RANDOM, collate, describe_pair, make_nsp_pairs
from helpers.text.tokenizer import WordPieceTokenizer

WORDS = ("the cat dog bird fox saw ran jumped over under a big small red blue happy sad tree river "
         "house garden quickly slowly found lost ball kite and then").split()


def _documents(n_docs=30, n_sents=(3, 12), seed=0):
    rng = random.Random(seed)
    docs = []
    for _ in range(n_docs):
        docs.append([" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 14))).capitalize() + "."
                     for _ in range(rng.randint(*n_sents))])
    return docs


DOCS = _documents()


@pytest.fixture(scope="module")
def tok():
    return WordPieceTokenizer.from_corpus([s for d in DOCS for s in d], vocab_size=120)


def _pairs(tok, docs=DOCS, **kw):
    kw.setdefault("max_length", 48)
    return make_nsp_pairs(docs, tokenizer=tok, progress=False, **kw)


def _segments(pair):
    """(A ids, B ids) read back from the [CLS] A [SEP] B [SEP] layout."""
    ids, types = pair["input_ids"], pair["token_type_ids"]
    first_sep = types.index(1) - 1
    return ids[1:first_sep], ids[first_sep + 1:-1]


def test_labels_are_balanced(tok):
    pairs = _pairs(tok, dupe_factor=8, max_length=32)
    assert len(pairs) > 700
    share = sum(p["next_sentence_label"] == IS_RANDOM for p in pairs) / len(pairs)
    assert abs(share - 0.5) < 0.06, share  # one standard deviation is about 0.018 here
    assert {p["next_sentence_label"] for p in _pairs(tok, random_next_prob=0.0)} == {IS_NEXT}
    assert {p["next_sentence_label"] for p in _pairs(tok, random_next_prob=1.0)} == {IS_RANDOM}


def test_is_next_pairs_are_consecutive_in_one_document(tok):
    pairs = [p for p in _pairs(tok, max_length=24, dupe_factor=3)
             if p["next_sentence_label"] == IS_NEXT]
    assert len(pairs) > 50
    for p in pairs:
        a, b = p["a_sentences"], p["b_sentences"]
        assert p["a_doc"] == p["b_doc"]
        assert a == list(range(a[0], a[0] + len(a))) and b == list(range(a[-1] + 1, a[-1] + 1 + len(b)))
        assert p["a"] == " ".join(DOCS[p["a_doc"]][s] for s in a)
        assert p["b"] == " ".join(DOCS[p["b_doc"]][s] for s in b)
        # the ids really are the end of A's text and the start of B's: the seam is intact
        ids_a, ids_b = _segments(p)
        full_a, full_b = tok.encode(p["a"]), tok.encode(p["b"])
        assert len(ids_a) >= 1 and full_a[len(full_a) - len(ids_a):] == ids_a
        assert len(ids_b) >= 1 and full_b[:len(ids_b)] == ids_b


def test_is_random_pairs_take_b_from_another_document(tok):
    pairs = [p for p in _pairs(tok, max_length=24, dupe_factor=3)
             if p["next_sentence_label"] == IS_RANDOM]
    assert len(pairs) > 50
    for p in pairs:
        assert p["b_doc"] != p["a_doc"]
        b = p["b_sentences"]
        assert b == list(range(b[0], b[0] + len(b))) and b[-1] < len(DOCS[p["b_doc"]])
        _, ids_b = _segments(p)
        full_b = tok.encode(p["b"])
        assert full_b[:len(ids_b)] == ids_b


def test_layout_segments_and_lengths(tok):
    max_length = 24  # short enough that many pairs need truncating
    pairs = _pairs(tok, max_length=max_length)
    assert any(len(p["input_ids"]) == max_length for p in pairs)
    for p in pairs:
        ids, types = p["input_ids"], p["token_type_ids"]
        assert 5 <= len(ids) <= max_length
        assert all(len(p[k]) == len(ids) for k in ("token_type_ids", "attention_mask", "special_tokens_mask"))
        seps = [i for i, t in enumerate(ids) if t == tok.sep_token_id]
        assert ids[0] == tok.cls_token_id and len(seps) == 2 and seps[1] == len(ids) - 1
        # segment 0 on [CLS] A [SEP], segment 1 on B [SEP]
        assert types == [0] * (seps[0] + 1) + [1] * (len(ids) - seps[0] - 1)
        assert p["special_tokens_mask"] == [1 if i in (0, seps[0], seps[1]) else 0 for i in range(len(ids))]
        assert p["attention_mask"] == [1] * len(ids)
        assert seps[0] >= 2 and seps[1] - seps[0] >= 2  # both sides keep at least one token


def test_unused_sentences_are_put_back(tok):
    # All-random pairs: every sentence except a document's last still starts or continues some A.
    pairs = _pairs(tok, random_next_prob=1.0)
    used = {(p["a_doc"], s) for p in pairs for s in p["a_sentences"]}
    for d, doc in enumerate(DOCS):
        assert {(d, s) for s in range(len(doc) - 1)} <= used


def test_short_seq_prob_makes_shorter_pairs(tok):
    long_ = _pairs(tok, max_length=64)
    short = _pairs(tok, max_length=64, short_seq_prob=1.0)
    mean = lambda ps: sum(len(p["input_ids"]) for p in ps) / len(ps)
    assert mean(short) < 0.8 * mean(long_)


def test_same_seed_same_pairs(tok):
    assert _pairs(tok, seed=3) == _pairs(tok, seed=3)
    assert _pairs(tok, seed=3) != _pairs(tok, seed=4)


def test_token_cache_changes_nothing_but_the_work(tok):
    """A cache shared across calls (as a training run shares it across passes) gives the same pairs
    as no cache, holds each distinct sentence once, and is read, not re-filled, on the next call."""
    cache: dict[str, list[int]] = {}
    assert _pairs(tok, seed=5, token_cache=cache) == _pairs(tok, seed=5)
    assert set(cache) == {s for d in DOCS for s in d}
    assert all(cache[s] == tok.encode(s) for s in cache)
    cache[DOCS[0][0]] = [tok.unk_token_id] * 3  # a planted wrong entry must be used, proving the cache is read
    assert _pairs(tok, seed=6, token_cache=cache) != _pairs(tok, seed=6)


def test_bad_corpora_raise(tok):
    with pytest.raises(ValueError, match="1 non-empty document"):
        _pairs(tok, docs=[DOCS[0]])
    with pytest.raises(ValueError, match="1 non-empty document"):
        _pairs(tok, docs=[DOCS[0], [], []])
    with pytest.raises(ValueError, match="0 non-empty document"):
        _pairs(tok, docs=[[], []])
    with pytest.raises(ValueError, match="no document has two sentences"):
        _pairs(tok, docs=[["The cat ran."], ["The dog sat."]])
    with pytest.raises(ValueError, match=r"documents\[1\]\[0\]=''"):
        _pairs(tok, docs=[DOCS[0], [""]])
    with pytest.raises(ValueError, match=r"documents\[0\]='The cat'"):
        _pairs(tok, docs=["The cat", "The dog"])
    with pytest.raises(ValueError, match=r"max_length=4"):
        _pairs(tok, max_length=4)
    with pytest.raises(ValueError, match=r"random_next_prob=1.5"):
        _pairs(tok, random_next_prob=1.5)
    # empty documents among others are simply skipped
    assert _pairs(tok, docs=[[], DOCS[0], [], DOCS[1]])


def test_collate_pads_to_the_longest(tok):
    pairs = _pairs(tok, max_length=32)[:8]
    batch = collate(pairs)
    longest = max(len(p["input_ids"]) for p in pairs)
    assert set(batch) == {"input_ids", "token_type_ids", "attention_mask", "special_tokens_mask",
                          "next_sentence_label"}
    assert batch["input_ids"].shape == (8, longest) and batch["input_ids"].dtype == torch.long
    assert batch["next_sentence_label"].tolist() == [p["next_sentence_label"] for p in pairs]
    for row, p in enumerate(pairs):
        n = len(p["input_ids"])
        assert batch["input_ids"][row, :n].tolist() == p["input_ids"]
        assert (batch["input_ids"][row, n:] == tok.pad_token_id).all()
        assert (batch["attention_mask"][row, n:] == 0).all() and (batch["token_type_ids"][row, n:] == 0).all()
        assert (batch["special_tokens_mask"][row, n:] == 1).all()
    assert len({len(p["input_ids"]) for p in pairs}) > 1  # padding was really needed
    assert (collate(pairs, pad_token_id=7)["input_ids"] == 7).sum() == (batch["attention_mask"] == 0).sum()
    with pytest.raises(ValueError, match="pairs="):
        collate([])


def test_describe_pair_rows(tok):
    pair = _pairs(tok)[0]
    rows = describe_pair(pair, tok)
    assert [r["position"] for r in rows] == list(range(len(pair["input_ids"])))
    assert rows[0]["token"] == "[CLS]" and rows[-1]["token"] == "[SEP]"
    assert [r["segment"] for r in rows] == pair["token_type_ids"]
    assert [r["token"] for r in rows] == tok.convert_ids_to_tokens(pair["input_ids"])


def test_length_gives_the_label_away_as_little_as_possible(tok):
    """If IS_RANDOM pairs were systematically longer or shorter, the model could answer NSP by
    counting padding. Random B's aim at the true continuation's length, so the means stay close."""
    pairs = _pairs(tok, dupe_factor=4, max_length=48)
    for side in (0, 1):  # length of A, then of B
        means = []
        for label in (IS_NEXT, IS_RANDOM):
            lengths = [len(_segments(p)[side]) for p in pairs if p["next_sentence_label"] == label]
            means.append(sum(lengths) / len(lengths))
        assert abs(means[0] - means[1]) < 0.1 * max(means), (side, means)
