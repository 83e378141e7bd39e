"""Stages 1 and 2 of BERT's tokenizer: normalise the text, then split it into words.

1. **Normalise**: drop control characters, turn every kind of white space into a plain space, put
   spaces around CJK ideographs (each one becomes its own word), and for an uncased model strip
   accents (``café`` -> ``cafe``) and lower-case.
2. **Pre-tokenise** into words: split at white space, and make every punctuation character a word
   of its own (``don't`` -> ``don ' t``). Special tokens typed literally in the text (``"the [MASK]
   sat"``) are kept as single words, as Hugging Face does.

Stage 3, WordPiece, is :class:`helpers.text.tokenizer.WordPieceTokenizer`.
"""
from __future__ import annotations

import functools
import re
import unicodedata

from helpers.constants import SPECIAL_TOKENS

SPECIAL_SET = frozenset(SPECIAL_TOKENS)
_SPECIAL_RE = re.compile("(" + "|".join(re.escape(t) for t in SPECIAL_TOKENS) + ")")


# ----------------------------------------------------------------------------------------------
# 1. Normalisation


def _is_control(ch: str) -> bool:
    """Control and other invisible characters (Unicode category C*), except tab and newlines."""
    if ch in "\t\n\r":
        return False
    return unicodedata.category(ch).startswith("C")


def is_cjk(cp: int) -> bool:
    """CJK ideographs (the same blocks as BERT). Chinese/Japanese text has no spaces between
    words, so BERT treats each ideograph as a word. Hangul, hiragana and katakana are not here."""
    return (
        0x4E00 <= cp <= 0x9FFF
        or 0x3400 <= cp <= 0x4DBF
        or 0x20000 <= cp <= 0x2A6DF
        or 0x2A700 <= cp <= 0x2B73F
        or 0x2B740 <= cp <= 0x2B81F
        or 0x2B820 <= cp <= 0x2CEAF
        or 0xF900 <= cp <= 0xFAFF
        or 0x2F800 <= cp <= 0x2FA1F
    )


def is_punctuation(ch: str) -> bool:
    """BERT's punctuation: all non-letter/digit ASCII symbols (so ``$``, ``+``, ``^`` count too)
    plus every Unicode punctuation character (category P*)."""
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


# Stage-1 rules for one character: delete control characters, map every kind of white space to a
# plain space, surround CJK ideographs with spaces. Regular expressions find the few characters
# that need work, so that a whole text is not walked character by character in Python.
_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # control, but not \t \n \r
_ASCII_SPACE = re.compile(r"[\t\n\r]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


@functools.lru_cache(maxsize=None)
def _clean_char(ch: str) -> str:
    cp = ord(ch)
    if cp == 0 or cp == 0xFFFD or _is_control(ch):
        return ""
    if ch.isspace():
        return " "
    return f" {ch} " if is_cjk(cp) else ch


@functools.lru_cache(maxsize=None)
def _drop_mark(ch: str) -> str:
    return "" if unicodedata.category(ch) == "Mn" else ch


def normalize(text: str, lowercase: bool = True) -> str:
    """Stage 1: clean the text; for an uncased model also strip accents and lower-case."""
    text = _ASCII_SPACE.sub(" ", _ASCII_CONTROL.sub("", text))
    if not text.isascii():
        text = _NON_ASCII.sub(lambda m: _clean_char(m.group()), text)
        if lowercase:
            # NFD splits "é" into "e" + a combining accent (category Mn), which we then drop.
            text = unicodedata.normalize("NFD", text)
            text = _NON_ASCII.sub(lambda m: _drop_mark(m.group()), text)
            # The Rust tokenizer lower-cases character by character; Python's str.lower() would
            # turn a word-final Greek capital sigma into "ς" where Rust gives "σ".
            text = text.replace("\u03a3", "\u03c3")
    return text.lower() if lowercase else text


# ----------------------------------------------------------------------------------------------
# 2. Pre-tokenisation

_ASCII_PUNCT = "".join(chr(i) for i in range(33, 127) if is_punctuation(chr(i)))


def split_words(text: str) -> list[str]:
    """Stage 2: split normalised text at spaces, and make each punctuation character a word.

    One regular expression does it: "a punctuation character, or a run of characters that are
    neither punctuation nor space". Normalisation has already turned all white space into " "."""
    others = set(_NON_ASCII.findall(text)) if not text.isascii() else ()
    punct = _ASCII_PUNCT + "".join(sorted(ch for ch in others if is_punctuation(ch)))
    cls = re.escape(punct)
    return re.findall(f"[{cls}]|[^{cls} ]+", text)


def pre_tokenize(text: str, lowercase: bool = True) -> list[str]:
    """Stages 1 + 2: the list of words, with literal special tokens (``[MASK]``) kept whole."""
    if "[" not in text:
        return split_words(normalize(text, lowercase))
    words = []
    for part in _SPECIAL_RE.split(text):  # the capturing group keeps the specials in the list
        if part in SPECIAL_SET:
            words.append(part)
        elif part:
            words.extend(split_words(normalize(part, lowercase)))
    return words
