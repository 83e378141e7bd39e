"""The WordPiece vocabulary: learning one from a corpus, checking it, and its ``vocab.txt`` file.

A vocabulary is a list of token strings; a token's id is its position. The five special tokens come
first (``[PAD] [UNK] [CLS] [SEP] [MASK]`` = ids 0-4, :mod:`helpers.constants`), every token appears
once, and a ``##`` token continues the word before it. ``vocab.txt`` holds one token per line, so
line ``n`` is id ``n - 1``, the format Google's and Hugging Face's BERT tokenizers read.
"""
from __future__ import annotations

import heapq
import os
from collections import Counter, defaultdict
from pathlib import Path
from typing import Iterable

from helpers.constants import SPECIAL_TOKENS
from helpers.errors import check_positive_int, show
from helpers.files import atomic_write
from helpers.text.normalize import SPECIAL_SET, is_cjk, is_punctuation, pre_tokenize

CONTINUATION = "##"  # prefix of a piece that continues a word
MAX_INPUT_CHARS_PER_WORD = 100  # longer "words" (URLs, junk) become [UNK] without trying


# ----------------------------------------------------------------------------------------------
# Learning a vocabulary


def build_vocab(texts: Iterable[str], size: int, min_freq: int = 2, *, lowercase: bool = True) -> list[str]:
    """Learn a WordPiece vocabulary of at most ``size`` entries from a corpus of strings.

    The idea, in three steps (this is also what Hugging Face's ``WordPieceTrainer`` does):

    1. the five special tokens, ids 0-4;
    2. every character seen in the corpus, both as a word start (``e``) and as a continuation
       (``##e``), most frequent first, so that any word made of known characters can be pieced
       (punctuation and CJK characters only as themselves: they are always words of their own);
    3. **merges**: write every word as its characters (``p ##l ##a ##y``), count how often each
       pair of neighbouring symbols occurs in the corpus (a word counts as often as it occurs),
       glue the most frequent pair into one new symbol (``p ##l`` -> ``pl``) and add it to the
       vocabulary; recount and repeat until the vocabulary is full or no pair occurs ``min_freq``
       times. Frequent words end up as one token, rarer words as a few frequent pieces
       (``play ##ing``), and suffixes such as ``##ing`` or ``##s`` appear on their own.

    Ties are broken alphabetically, so the result is deterministic. Only the counts of the pairs in
    the words touched by a merge are updated, which keeps a million-word corpus to a few seconds.
    """
    size = check_positive_int("size", size, minimum=len(SPECIAL_TOKENS) + 2)
    min_freq = check_positive_int("min_freq", min_freq)
    if isinstance(texts, str):
        raise ValueError(f"texts={show(texts)} is not allowed: it must be an iterable of strings, not one string.")
    word_counts: Counter[str] = Counter()
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise ValueError(f"texts[{i}]={show(text)} is not allowed: every text must be a string.")
        word_counts.update(w for w in pre_tokenize(text, lowercase) if w not in SPECIAL_SET)
    if not word_counts:
        raise ValueError("texts is not allowed: it contains no words to learn a vocabulary from.")

    char_counts: Counter[str] = Counter()
    for word, count in word_counts.items():
        for ch in word:
            char_counts[ch] += count
    alphabet = sorted(char_counts, key=lambda ch: (-char_counts[ch], ch))
    alphabet = alphabet[: (size - len(SPECIAL_TOKENS)) // 2]  # a tiny size keeps the frequent ones
    # Punctuation and CJK characters are always words of their own, so they never need a ## form.
    continuations = [CONTINUATION + ch for ch in alphabet if not (is_punctuation(ch) or is_cjk(ord(ch)))]
    vocab = SPECIAL_TOKENS + alphabet + continuations

    known_chars = set(alphabet)
    learnable = {
        w: c for w, c in word_counts.items()
        if len(w) <= MAX_INPUT_CHARS_PER_WORD and all(ch in known_chars for ch in w)
    }
    vocab += _learn_merges(learnable, size - len(vocab), min_freq, set(vocab))
    return vocab


def _learn_merges(word_counts: dict[str, int], budget: int, min_freq: int, known: set[str]) -> list[str]:
    """Step 3 of ``build_vocab``: up to ``budget`` new tokens from greedy pair merges."""
    words = [[w[0]] + [CONTINUATION + ch for ch in w[1:]] for w in word_counts]
    counts = list(word_counts.values())
    pair_counts: Counter[tuple[str, str]] = Counter()
    where: defaultdict[tuple[str, str], set[int]] = defaultdict(set)  # pair -> words holding it
    for wi, symbols in enumerate(words):
        for pair in zip(symbols, symbols[1:]):
            pair_counts[pair] += counts[wi]
            where[pair].add(wi)
    # A max-heap by count (then alphabetical); entries whose count changed are stale and skipped.
    heap = [(-c, a, b) for (a, b), c in pair_counts.items()]
    heapq.heapify(heap)
    new_tokens: list[str] = []
    while heap and len(new_tokens) < budget:
        neg_count, a, b = heapq.heappop(heap)
        if pair_counts.get((a, b), 0) != -neg_count:
            continue  # stale entry
        if -neg_count < min_freq:
            break
        merged = a + b[len(CONTINUATION):]  # "p" + "##l" -> "pl", "##i" + "##ng" -> "##ing"
        touched = set()
        for wi in sorted(where.pop((a, b))):
            symbols, c = words[wi], counts[wi]
            for pair in zip(symbols, symbols[1:]):
                pair_counts[pair] -= c
                where[pair].discard(wi)
                touched.add(pair)
            glued, j = [], 0
            while j < len(symbols):
                if j + 1 < len(symbols) and symbols[j] == a and symbols[j + 1] == b:
                    glued.append(merged)
                    j += 2
                else:
                    glued.append(symbols[j])
                    j += 1
            words[wi] = glued
            for pair in zip(glued, glued[1:]):
                pair_counts[pair] += c
                where[pair].add(wi)
                touched.add(pair)
        for pair in touched:
            if pair_counts[pair] > 0:
                heapq.heappush(heap, (-pair_counts[pair], *pair))
            else:
                del pair_counts[pair]
                where.pop(pair, None)
        if merged not in known:
            known.add(merged)
            new_tokens.append(merged)
    return new_tokens

# ----------------------------------------------------------------------------------------------
# Checking a vocabulary and its file


def check_vocab(tokens: list[str], source: str, where: str) -> None:
    """Raise a ValueError naming ``source`` and the offending line/index if ``tokens`` is unusable.
    ``where`` is "line" (1-based, for files) or "index" (0-based, for lists)."""
    base = 1 if where == "line" else 0
    if not tokens:
        raise ValueError(f"{source} is not allowed: the vocabulary is empty (it needs at least {SPECIAL_TOKENS}).")
    seen: dict[str, int] = {}
    for i, tok in enumerate(tokens):
        if not isinstance(tok, str) or not tok or tok != tok.strip() or any(ch.isspace() for ch in tok):
            raise ValueError(f"{source}, {where} {i + base}: token {show(tok)} is not allowed: a token must be "
                             "a non-empty string without white space.")
        if tok in seen:
            raise ValueError(f"{source}, {where} {i + base}: token {tok!r} is a duplicate of {where} "
                             f"{seen[tok] + base}; every token must appear once.")
        seen[tok] = i
    for i, special in enumerate(SPECIAL_TOKENS):
        if i >= len(tokens) or tokens[i] != special:
            found = repr(tokens[i]) if i < len(tokens) else "nothing"
            raise ValueError(f"{source}, {where} {i + base}: expected the special token {special!r} (id {i}), "
                             f"found {found}; a vocabulary must start with {SPECIAL_TOKENS}.")


def read_vocab_file(path: str | os.PathLike, *, check: bool = True) -> list[str]:
    """The tokens of a ``vocab.txt`` (one per line; a final newline and Windows line ends are fine).

    With ``check`` the list must be a course vocabulary (:func:`check_vocab`); without it, only
    the lines are returned (a Hugging Face vocabulary puts its special tokens elsewhere).
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ValueError(f"path={path!r} is not allowed: no such file.")
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the newline that ends the last line
    lines = [line[:-1] if line.endswith("\r") else line for line in lines]
    if check:
        check_vocab(lines, f"vocabulary file {path!r}", "line")
    return lines


def write_vocab_file(tokens: list[str], path: str | os.PathLike) -> Path:
    """Write ``vocab.txt``: one token per line (atomically, :func:`helpers.files.atomic_write`)."""
    return atomic_write(Path(path), "\n".join(tokens) + "\n")
