"""Character offsets of word pieces: answer spans in characters <-> token positions."""
import pytest

from helpers.text.offsets import char_span_to_token_span, token_offsets, token_span_to_text
from helpers.text.tokenizer import WordPieceTokenizer

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "mia", "lives", "in", "thorn", "##bury", ".", "gave",
         "the", "kite", "to", "tom", "##s", ","]
TOK = WordPieceTokenizer(VOCAB)


def test_each_piece_gets_its_own_characters():
    text = "Mia lives in  Thornbury."
    offsets = token_offsets(TOK, text)
    assert [t for t, _, _ in offsets] == TOK.tokenize(text)  # the same tokens the model sees
    assert [(t, text[s:e]) for t, s, e in offsets] == [
        ("mia", "Mia"), ("lives", "lives"), ("in", "in"), ("thorn", "Thorn"), ("##bury", "bury"), (".", ".")]


def test_unknown_words_keep_the_whole_word_span():
    text = "mia gave zorblax the kite ."
    offsets = token_offsets(TOK, text)
    unk = [(s, e) for t, s, e in offsets if t == "[UNK]"]
    assert unk == [(9, 16)] and text[9:16] == "zorblax"


def test_char_span_round_trip_on_answers():
    text = "tom gave the kite to mia, in thornbury."
    offsets = token_offsets(TOK, text)
    for answer in ("thornbury", "the kite", "mia", "tom"):
        start = text.index(answer)
        first, last = char_span_to_token_span(offsets, start, start + len(answer))
        assert first <= last
        assert token_span_to_text(text, offsets, first, last) == answer
    # a span that starts inside a piece still maps to the piece that holds it
    start = text.index("bury")
    assert char_span_to_token_span(offsets, start, start + 4) == (len(offsets) - 2,) * 2


def test_bad_spans_give_clear_errors():
    offsets = token_offsets(TOK, "mia lives in thornbury .")
    with pytest.raises(ValueError, match="0 <= char_start < char_end"):
        char_span_to_token_span(offsets, 5, 5)
    with pytest.raises(ValueError, match="no token covers the characters"):
        char_span_to_token_span(offsets, 100, 104)
    with pytest.raises(ValueError, match="0 <= start <= end"):
        token_span_to_text("x", offsets, 3, 1)
    with pytest.raises(ValueError, match="text=None is not allowed"):
        token_offsets(TOK, None)
