"""helpers.text.tokenizer against Hugging Face's BertTokenizerFast loaded with the same vocab.txt."""
import random
import re

import pytest
import torch
from pydoc_data.topics import topics

from helpers.text.tokenizer import (
    SPECIAL_TOKENS,
    WordPieceTokenizer,
    build_vocab,
    is_punctuation,
    pad_batch,
    truncation_lengths,
)

# Strings that exercise every corner of BERT's normalisation and pre-tokenisation.
TRICKY = [
    "Héllo, Wörld! Ça va? Ñandú — señor’s “quotes” … «guillemets»",
    "Numbers: 3.14159, 1,000,000 and the 42nd item; 1e-10 0x1F 007.",
    "Punctuation runs?!?... ((nested)) [brackets] {braces} <tags> @#$%^&*~`|\\ _under_score_",
    "tabs\tand\nnewlines\r\nand  multiple   spaces   ",
    "control\x00chars\x07bell\u200bzero\u200dwidth\ufeffbom\ufffdreplacement\x7fdel",
    "a" * 150 + " " + "x" * 100 + " " + "y" * 101 + " " + "the" * 34,
    "日本語のテキスト 中文分词很有趣 한국어 텍스트",
    "ΟΔΟΣ Σίσυφος ΣΣ σ ς",
    "İstanbul ǅemal ﬁne ligature ½ ² Ⅻ",
    "I ❤️ 🤖 tokenizers 👍🏽 ☃",
    "the [MASK] sat on [CLS][SEP] the [mask] [PAD]x [UNK]y [MASK",
    "a\u00a0b\u2003c\u2028d\u3000e\u0085f\x0bg\x1ch",
    "नमस्ते दुनिया مرحبا بالعالم",
    "e\u0301 a\u0308 n\u0303o C\u0327",
    "Mr. O'Neil's co-op costs $5.99 (approx.) -- isn't it?",
    "UPPER lower MiXeD CamelCase snake_case kebab-case dotted.name",
    "def f(x): return x**2 + y[0] // 3 % 4 if a != b else {'k': v}",
]


def _sentences(n=400):
    """Real English with punctuation: lines of Python's own reference text."""
    lines = []
    for key in sorted(topics):
        for line in topics[key].split("\n"):
            line = line.strip()
            if len(line) > 3:
                lines.append(line)
    random.Random(0).shuffle(lines)
    return lines[:n]


SENTENCES = _sentences() + TRICKY


@pytest.fixture(scope="module")
def tok():
    # Learn on the reference text plus half the tricky strings, so that some rare characters are
    # in the vocabulary and others are not ([UNK]).
    texts = [topics[k] for k in sorted(topics)] + TRICKY[::2]
    return WordPieceTokenizer.from_corpus(texts, vocab_size=1500, min_freq=2)


@pytest.fixture(scope="module")
def hf(tok, tmp_path_factory):
    import logging

    logging.getLogger("transformers").setLevel(logging.ERROR)
    folder = tmp_path_factory.mktemp("vocab")
    tok.save(folder / "vocab.txt")
    # transformers 5 ignores vocab_file=...; a folder holding vocab.txt is the way to load one.
    transformers = pytest.importorskip("transformers")  # the reference: only the parity tests need it
    ref = transformers.BertTokenizerFast.from_pretrained(str(folder), do_lower_case=True)
    assert ref.convert_ids_to_tokens(list(range(tok.vocab_size))) == tok.vocab
    return ref


def test_tokens_and_ids_match_hugging_face(tok, hf):
    assert len(SENTENCES) > 400
    n_unk = n_pieces = 0
    for text in SENTENCES:
        ours = tok.tokenize(text)
        assert ours == hf.tokenize(text), text
        assert tok.encode(text) == hf(text, add_special_tokens=False)["input_ids"]
        n_unk += ours.count("[UNK]")
        n_pieces += sum(t.startswith("##") for t in ours)
    # the comparison really covered unknown words and ## pieces
    assert n_unk > 10 and n_pieces > 100


def test_specific_normalisation_examples(tok):
    tokens = tok.tokenize("Café, DON'T!")
    comma = tokens.index(",")
    assert "".join(t.removeprefix("##") for t in tokens[:comma]) == "cafe"  # accent stripped, lower-cased
    assert tokens[comma:] == [",", "don", "'", "t", "!"]  # each punctuation character is a word
    assert tok.tokenize("the [MASK] cat")[1] == "[MASK]"
    assert tok.tokenize("x" * 101) == ["[UNK]"]
    assert tok.tokenize("中文") == tok.tokenize("中 文")


def test_pairs_with_truncation_match_hugging_face(tok, hf):
    rng = random.Random(1)
    keys = ["input_ids", "token_type_ids", "attention_mask", "special_tokens_mask"]
    for _ in range(300):
        a, b = rng.choice(SENTENCES), rng.choice(SENTENCES)
        max_length = rng.randint(5, 40)
        ours = tok.encode_pair(a, b, max_length=max_length)
        ref = hf(a, b, truncation="longest_first", max_length=max_length, return_special_tokens_mask=True)
        assert {k: ours[k] for k in keys} == {k: ref[k] for k in keys}, (a, b, max_length)
        assert tok.word_ids(a, b, max_length) == ref.word_ids()
        single = tok.encode_pair(a, max_length=max_length)
        ref = hf(a, truncation=True, max_length=max_length, return_special_tokens_mask=True)
        assert {k: single[k] for k in keys} == {k: ref[k] for k in keys}
        assert tok.word_ids(a, None, max_length) == ref.word_ids()


def test_truncation_rule_matches_hugging_face_for_all_small_lengths(tok, hf):
    """Every (len A, len B, max_length) combination up to 14 tokens, ties included."""
    cases = [(la, lb) for la in range(1, 15) for lb in range(1, 15)]
    word = "the"
    assert tok.tokenize(word) == [word]
    for max_length in range(5, 25):
        ref = hf([" ".join([word] * la) for la, _ in cases], [" ".join([word] * lb) for _, lb in cases],
                 truncation="longest_first", max_length=max_length)
        for (la, lb), types in zip(cases, ref["token_type_ids"]):
            kept_b = sum(types) - 1
            kept_a = len(types) - 3 - kept_b
            assert truncation_lengths(la, lb, max_length - 3) == (kept_a, kept_b), (la, lb, max_length)


def test_split_words_match_hugging_face(tok, hf):
    rng = random.Random(2)
    for text in SENTENCES[:150] + TRICKY:
        words = [w for w in re.split(r"\s+", text) if w.strip() and any(tok.tokenize(w) for _ in [0])]
        if not words:
            continue
        rng.shuffle(words)
        ours = tok.encode_words(words, max_length=64)
        ref = hf(words, is_split_into_words=True, truncation=True, max_length=64)
        assert ours["input_ids"] == ref["input_ids"], words
        assert ours["word_ids"] == ref.word_ids(), words


def test_batch_padding_matches_hugging_face(tok, hf):
    a, b = SENTENCES[:6], SENTENCES[6:12]
    keys = ["input_ids", "token_type_ids", "attention_mask", "special_tokens_mask"]
    for padding in ("longest", "max_length"):
        ours = tok.encode_batch(list(zip(a, b)), max_length=24, padding=padding)
        ref = hf(a, b, truncation="longest_first", max_length=24, padding=padding, return_tensors="pt",
                 return_special_tokens_mask=True)
        for k in keys:
            assert ours[k].dtype == torch.long
            assert torch.equal(ours[k], ref[k]), (padding, k)
    singles = tok.encode_batch(a, max_length=16)
    ref = hf(a, truncation=True, max_length=16, padding="longest", return_tensors="pt")
    assert torch.equal(singles["input_ids"], ref["input_ids"])
    # padding really happened, and is marked as it should be
    pad = singles["input_ids"] == tok.pad_token_id
    assert pad.any()
    assert (singles["attention_mask"][pad] == 0).all() and (singles["special_tokens_mask"][pad] == 1).all()


def test_decode_matches_hugging_face_and_round_trips(tok, hf):
    for text in SENTENCES:
        ids = hf(text)["input_ids"]
        for skip in (True, False):
            assert tok.decode(ids, skip_special_tokens=skip) == hf.decode(ids, skip_special_tokens=skip), text
        if tok.unk_token_id not in ids:
            # decoding loses case and accents, but tokenising the decoded text gives the same tokens
            assert tok.tokenize(tok.decode(ids)) == tok.tokenize(text), text
    assert tok.decode(torch.tensor(tok.encode("the cat."))) == "the cat."


def test_continuation_flags_and_word_ids(tok):
    ids = tok.encode("tokenization isn't unbelievable")
    tokens = tok.convert_ids_to_tokens(ids)
    assert any(t.startswith("##") for t in tokens)
    assert tok.is_continuation(ids) == [t.startswith("##") for t in tokens]
    as_tensor = tok.is_continuation(torch.tensor([ids, ids]))
    assert as_tensor.dtype == torch.bool and as_tensor[1].tolist() == tok.is_continuation(ids)
    word_ids = tok.word_ids("tokenization isn't unbelievable")
    assert word_ids[0] is None and word_ids[-1] is None
    # a ## piece always belongs to the same word as the token before it
    for pos, (t, w) in enumerate(zip(tokens, word_ids[1:-1])):
        if t.startswith("##"):
            assert w == word_ids[pos]


def test_vocab_layout_and_properties(tok):
    vocab = tok.vocab
    assert vocab[:5] == SPECIAL_TOKENS == ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    assert (tok.pad_token_id, tok.unk_token_id, tok.cls_token_id, tok.sep_token_id, tok.mask_token_id) == (0, 1, 2, 3, 4)
    assert tok.all_special_ids == [0, 1, 2, 3, 4]
    assert tok.vocab_size == len(vocab) == len(set(vocab)) == 1500
    assert tok.convert_tokens_to_ids(["the", "no-such-token"]) == [vocab.index("the"), 1]
    assert tok.convert_ids_to_tokens(tok.convert_tokens_to_ids(vocab)) == vocab


def test_build_vocab_is_deterministic_and_covers_the_corpus():
    texts = [topics[k] for k in sorted(topics)][:30]
    vocab = build_vocab(texts, 800)
    shuffled = texts[:]
    random.Random(3).shuffle(shuffled)
    assert build_vocab(shuffled, 800) == vocab  # same counts -> same vocabulary, whatever the order
    assert len(vocab) == 800 and len(set(vocab)) == 800
    tok = WordPieceTokenizer(vocab)
    chars = {ch for t in texts for w in tok.tokenize(t) if w != "[UNK]" for ch in w.removeprefix("##")}
    assert len(chars) > 40
    for ch in chars:  # every character seen is there, alone and (unless punctuation) as a continuation
        assert ch in vocab
        assert ("##" + ch in vocab) == (not is_punctuation(ch))
    # every corpus word short enough can be pieced: no [UNK] at all on the training text
    assert all("[UNK]" not in tok.tokenize(t) for t in texts if max(map(len, t.split()), default=0) <= 100)
    # frequent words became single tokens; a bigger budget only adds entries at the end
    assert {"the", "and", "of"} <= set(vocab)
    assert build_vocab(texts, 1200)[:800] == vocab


def test_build_vocab_min_freq_and_cap():
    texts = ["aaa bbb aaa bbb aaa ccc"]
    only_chars = build_vocab(texts, 100, min_freq=100)  # no pair is that frequent: no merges
    assert only_chars == SPECIAL_TOKENS + ["a", "b", "c", "##a", "##b", "##c"]
    assert build_vocab(["a.b, a"], 100) == SPECIAL_TOKENS + ["a", ",", ".", "b", "##a", "##b"]  # no "##."
    merged = build_vocab(texts, 100, min_freq=2)
    assert "aaa" in merged and "bbb" in merged and "ccc" not in merged  # ccc occurs once
    assert build_vocab(texts, 9) == SPECIAL_TOKENS + ["a", "b", "##a", "##b"]  # cap keeps the frequent chars


def test_save_and_load_round_trip(tok, tmp_path):
    path = tok.save(tmp_path / "vocab.txt")
    again = WordPieceTokenizer.from_file(path)
    assert again.vocab == tok.vocab
    text = SENTENCES[5]
    assert again.encode_pair(text, text) == tok.encode_pair(text, text)


def _write(tmp_path, lines, name="vocab.txt"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + ("\n" if lines else ""), encoding="utf-8")
    return path


def test_vocab_file_errors_name_file_and_line(tmp_path):
    with pytest.raises(ValueError, match=r"empty\.txt.*empty"):
        WordPieceTokenizer.from_file(_write(tmp_path, [], "empty.txt"))
    with pytest.raises(ValueError, match=r"dup\.txt.*line 8.*'cat'.*duplicate of line 7"):
        WordPieceTokenizer.from_file(_write(tmp_path, SPECIAL_TOKENS + ["the", "cat", "cat"], "dup.txt"))
    with pytest.raises(ValueError, match=r"nospecial\.txt.*line 4.*\[SEP\]"):
        WordPieceTokenizer.from_file(_write(tmp_path, ["[PAD]", "[UNK]", "[CLS]", "the"], "nospecial.txt"))
    with pytest.raises(ValueError, match=r"blank\.txt.*line 6"):
        WordPieceTokenizer.from_file(_write(tmp_path, SPECIAL_TOKENS + ["", "x"], "blank.txt"))
    with pytest.raises(ValueError, match=r"missing\.txt.*no such file"):
        WordPieceTokenizer.from_file(tmp_path / "missing.txt")
    with pytest.raises(ValueError, match=r"vocab.*index 0"):
        WordPieceTokenizer(["the"] + SPECIAL_TOKENS)


def test_argument_errors(tok):
    for bad in ("", "   ", None, 5, ["a list"]):
        with pytest.raises(ValueError, match=r"text="):
            tok.tokenize(bad)
    with pytest.raises(ValueError, match=r"b=''"):
        tok.encode_pair("fine", "")
    with pytest.raises(ValueError, match=r"max_length=4.*at least 5"):
        tok.encode_pair("a", "b", max_length=4)
    with pytest.raises(ValueError, match=r"max_length=2.*at least 3"):
        tok.encode_pair("a", max_length=2)
    with pytest.raises(ValueError, match=r"padding='left'.*'longest'"):
        tok.encode_batch(["a"], padding="left")
    with pytest.raises(ValueError, match=r"texts_or_pairs\[1\]"):
        tok.encode_batch(["a", ("b", "c", "d")])
    with pytest.raises(ValueError, match=r"words\[1\]"):
        tok.encode_words(["fine", ""])
    with pytest.raises(ValueError, match=r"id=99999"):
        tok.convert_ids_to_tokens([0, 99999])
    with pytest.raises(ValueError, match=r"texts=.*not one string"):
        build_vocab("a single string", 100)
    with pytest.raises(ValueError, match=r"size=3"):
        build_vocab(["a b"], 3)
    with pytest.raises(ValueError, match=r"texts\[1\]"):
        build_vocab(["a b", 7], 100)


def test_pad_batch_fills_each_key_with_its_neutral_value(tok):
    a = tok.encode_words(["Tokyo", "is", "big"])
    b = tok.encode_words(["Paris"])
    a["labels"] = [-100 if w is None else 1 for w in a["word_ids"]]
    b["labels"] = [-100 if w is None else 2 for w in b["word_ids"]]
    a["next_sentence_label"], b["next_sentence_label"] = 0, 1
    lists = pad_batch([a, b], return_tensors=None)
    n = len(b["input_ids"])
    assert len(lists["input_ids"][1]) == len(a["input_ids"]) > n
    assert lists["labels"][1][n:] == [-100] * (len(a["input_ids"]) - n)
    assert lists["word_ids"][1][n:] == [None] * (len(a["input_ids"]) - n)
    assert lists["next_sentence_label"] == [0, 1]
    tensors = pad_batch([a, b], length=20)
    assert tensors["input_ids"].shape == (2, 20) and "word_ids" not in tensors
    with pytest.raises(ValueError, match="length=2"):
        pad_batch([a, b], length=2)
