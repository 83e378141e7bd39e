"""Character offsets of word pieces: where in the original text each token came from.

Extractive QA data gives an answer as characters of the passage (``answer_start`` and the length of
``answer_text``); the model predicts token positions. Offsets connect the two, as Hugging Face's
``return_offsets_mapping=True`` does:

* :func:`token_offsets` -- each token of a text with its character span ``[start, end)``;
* :func:`char_span_to_token_span` -- a character span -> the first and last token that overlap it;
* :func:`token_span_to_text` -- a token span -> the text it covers, cut from the ORIGINAL string.

>>> from helpers.text.tokenizer import WordPieceTokenizer
>>> tok = WordPieceTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "mia", "lives", "in", "thorn", "##bury", "."])
>>> token_offsets(tok, "Mia lives in Thornbury.")
[('mia', 0, 3), ('lives', 4, 9), ('in', 10, 12), ('thorn', 13, 18), ('##bury', 18, 22), ('.', 22, 23)]
>>> char_span_to_token_span(token_offsets(tok, "Mia lives in Thornbury."), 13, 22)
(3, 4)
"""
from __future__ import annotations

import re
from typing import Sequence

from helpers.text.normalize import is_punctuation
from helpers.text.tokenizer import UNK

Offsets = list[tuple[str, int, int]]


def words_with_spans(text: str) -> list[tuple[str, int, int]]:
    """Words as BERT's pre-tokeniser splits them (at white space; each punctuation mark on its own)."""
    words = []
    for match in re.finditer(r"\S+", text):
        start = match.start()
        for i, ch in enumerate(match.group()):
            here = match.start() + i
            if is_punctuation(ch):
                if here > start:
                    words.append((text[start:here], start, here))
                words.append((ch, here, here + 1))
                start = here + 1
        if match.end() > start:
            words.append((text[start:match.end()], start, match.end()))
    return words


def token_offsets(tokenizer, text: str) -> Offsets:
    """Every token of ``text`` (no [CLS]/[SEP]) with its character span ``[start, end)`` in ``text``.

    A piece's span is its own characters (``##`` excluded). If a word's pieces do not spell it out
    character for character (``[UNK]``, or accents removed by normalisation), each of its pieces gets
    the whole word's span: the answer can still be cut out of the original text.
    """
    if not isinstance(text, str):
        raise ValueError(f"text={text!r} is not allowed: it must be a string.")
    offsets: Offsets = []
    for word, start, end in words_with_spans(text):
        pieces = tokenizer.tokenize(word)
        lengths = [len(p[2:] if p.startswith("##") else p) for p in pieces]
        if UNK in pieces or sum(lengths) != end - start:
            offsets.extend((p, start, end) for p in pieces)
            continue
        position = start
        for piece, length in zip(pieces, lengths):
            offsets.append((piece, position, position + length))
            position += length
    return offsets


def char_span_to_token_span(offsets: Sequence[tuple[str, int, int]], char_start: int, char_end: int) -> tuple[int, int]:
    """The first and last token (indices into ``offsets``) whose characters overlap ``[char_start, char_end)``.

    Raises ``ValueError`` for an empty span or one that no token covers (for example, white space only).
    """
    if not (isinstance(char_start, int) and isinstance(char_end, int)) or not 0 <= char_start < char_end:
        raise ValueError(f"char_start={char_start!r}, char_end={char_end!r} is not allowed: "
                         "they must be whole numbers with 0 <= char_start < char_end.")
    covered = [i for i, (_, s, e) in enumerate(offsets) if s < char_end and e > char_start]
    if not covered:
        raise ValueError(f"no token covers the characters [{char_start}, {char_end}): "
                         "the span is outside the text or covers only white space.")
    return covered[0], covered[-1]


def token_span_to_text(text: str, offsets: Sequence[tuple[str, int, int]], start: int, end: int) -> str:
    """The original characters from token ``start``'s first character to token ``end``'s last."""
    if not 0 <= start <= end < len(offsets):
        raise ValueError(f"start={start!r}, end={end!r} is not allowed: they must satisfy "
                         f"0 <= start <= end < {len(offsets)} (the number of tokens).")
    return text[offsets[start][1]:offsets[end][2]]
