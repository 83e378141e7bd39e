"""BERT-style WordPiece tokenizer, written out so every step can be read.

Turning text into ids happens in three stages, exactly as in the original (uncased) BERT:

1. **Normalise** the text: drop control characters, turn every kind of white space into a plain
   space, put spaces around CJK ideographs (each one becomes its own word), and for an uncased
   model strip accents (``café`` -> ``cafe``) and lower-case.
2. **Pre-tokenise** into words: split at white space, and make every punctuation character a word
   of its own (``don't`` -> ``don ' t``).
3. **WordPiece** each word: greedily take the longest vocabulary entry that starts the word, then
   the longest ``##``-entry that continues it, and so on (``playing`` -> ``play ##ing``). A word that
   cannot be pieced together from the vocabulary becomes ``[UNK]`` as a whole.

Special tokens typed literally in the text (``"the [MASK] sat"``) are kept as single tokens, as
Hugging Face does, so fill-in-the-blank prompts can be written as plain strings.

The test suite checks this file token for token against ``transformers.BertTokenizerFast`` loaded
with the same ``vocab.txt``.
"""
from __future__ import annotations

import functools
import heapq
import os
import re
import unicodedata
from collections import Counter, defaultdict
from typing import Iterable, Sequence

import torch

from helpers.constants import CLS_ID, IGNORE_INDEX, MASK_ID, PAD_ID, SEP_ID, SPECIAL_TOKENS, UNK_ID
from helpers.errors import show, check_choice, check_positive_int, check_text

# The course-wide special tokens; their ids are their positions in this list.
PAD, UNK, CLS, SEP, MASK = SPECIAL_TOKENS
CONTINUATION = "##"  # prefix of a piece that continues a word
MAX_INPUT_CHARS_PER_WORD = 100  # longer "words" (URLs, junk) become [UNK] without trying

_SPECIAL_SET = frozenset(SPECIAL_TOKENS)
_SPECIAL_RE = re.compile("(" + "|".join(re.escape(t) for t in SPECIAL_TOKENS) + ")")


# ----------------------------------------------------------------------------------------------
# 1. Normalisation


def _is_control(ch: str) -> bool:
    """Control and other invisible characters (Unicode category C*), except tab and newlines."""
    if ch in "\t\n\r":
        return False
    return unicodedata.category(ch).startswith("C")


def _is_cjk(cp: int) -> bool:
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
    return f" {ch} " if _is_cjk(cp) else ch


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
        if part in _SPECIAL_SET:
            words.append(part)
        elif part:
            words.extend(split_words(normalize(part, lowercase)))
    return words


# ----------------------------------------------------------------------------------------------
# Truncation rule shared with helpers.objectives.nsp


def truncation_lengths(len_a: int, len_b: int, budget: int) -> tuple[int, int]:
    """How many tokens of A and of B to keep so that together they fit in ``budget``.

    The "longest first" rule of Hugging Face's fast tokenizers: when both are too long, each side
    gets half the budget (the longer side gets the odd token; B on a tie); a side shorter than its
    half keeps everything and the other side gets the rest. So the longer text is always the one
    that loses tokens first.
    """
    if len_a + len_b <= budget:
        return len_a, len_b
    keep_short = min(len_a, len_b)  # the shorter side first tries to keep everything
    keep_long = max(keep_short, budget - keep_short)  # the longer side gets what is left
    if keep_short + keep_long > budget:  # the short side is more than half: halve both
        keep_short = budget // 2
        keep_long = keep_short + budget % 2
    if len_a > len_b:
        keep_a, keep_b = keep_long, keep_short
    else:
        keep_a, keep_b = keep_short, keep_long
    return min(keep_a, len_a), min(keep_b, len_b)


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
        word_counts.update(w for w in pre_tokenize(text, lowercase) if w not in _SPECIAL_SET)
    if not word_counts:
        raise ValueError("texts is not allowed: it contains no words to learn a vocabulary from.")

    char_counts: Counter[str] = Counter()
    for word, count in word_counts.items():
        for ch in word:
            char_counts[ch] += count
    alphabet = sorted(char_counts, key=lambda ch: (-char_counts[ch], ch))
    alphabet = alphabet[: (size - len(SPECIAL_TOKENS)) // 2]  # a tiny size keeps the frequent ones
    # Punctuation and CJK characters are always words of their own, so they never need a ## form.
    continuations = [CONTINUATION + ch for ch in alphabet if not (is_punctuation(ch) or _is_cjk(ord(ch)))]
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
# The tokenizer


def _check_vocab(tokens: list[str], source: str, where: str) -> None:
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


class WordPieceTokenizer:
    """BERT's uncased WordPiece tokenizer over a given vocabulary (``vocab[i]`` has id ``i``).

    >>> tok = WordPieceTokenizer.from_corpus(["The cat sat.", "The cats sat on the mat."] * 5, 60)
    >>> tok.tokenize("The cats sat on the mats!")  # "!" never occurred in the corpus
    ['the', 'cats', 'sat', 'on', 'the', 'mat', '##s', '[UNK]']
    """

    def __init__(self, vocab: Sequence[str], lowercase: bool = True):
        if isinstance(vocab, str) or not isinstance(vocab, Sequence):
            raise ValueError(f"vocab={show(vocab)} is not allowed: it must be a list of token strings.")
        vocab = list(vocab)
        _check_vocab(vocab, "vocab", "index")
        self._vocab = vocab
        self._ids = {tok: i for i, tok in enumerate(vocab)}
        self.lowercase = bool(lowercase)
        self.max_input_chars_per_word = MAX_INPUT_CHARS_PER_WORD
        self._longest = max(len(t) for t in vocab)
        self._cache: dict[str, list[int]] = {}  # word -> piece ids (words repeat a lot)
        self._continuation_table: torch.Tensor | None = None

    # ---- construction and saving ----

    @classmethod
    def from_file(cls, path: str | os.PathLike, lowercase: bool = True) -> "WordPieceTokenizer":
        """Load a ``vocab.txt``: one token per line, line number - 1 = id."""
        path = os.fspath(path)
        if not os.path.isfile(path):
            raise ValueError(f"path={path!r} is not allowed: no such file.")
        with open(path, encoding="utf-8") as f:
            text = f.read()
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()  # the newline that ends the last line
        lines = [line[:-1] if line.endswith("\r") else line for line in lines]
        _check_vocab(lines, f"vocabulary file {path!r}", "line")
        return cls(lines, lowercase=lowercase)

    def save(self, path: str | os.PathLike) -> str:
        """Write ``vocab.txt`` (one token per line) and return its path."""
        path = os.fspath(path)
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(self._vocab) + "\n")
        return path

    @classmethod
    def from_corpus(cls, texts: Iterable[str], vocab_size: int, min_freq: int = 2,
                    lowercase: bool = True) -> "WordPieceTokenizer":
        """Learn a vocabulary with ``build_vocab`` and return a tokenizer that uses it."""
        return cls(build_vocab(texts, vocab_size, min_freq, lowercase=lowercase), lowercase=lowercase)

    def __repr__(self) -> str:
        return f"WordPieceTokenizer(vocab_size={self.vocab_size}, lowercase={self.lowercase})"

    def __len__(self) -> int:
        return len(self._vocab)

    # ---- vocabulary facts ----

    @property
    def vocab(self) -> list[str]:
        return list(self._vocab)

    @property
    def vocab_size(self) -> int:
        return len(self._vocab)

    def get_vocab(self) -> dict[str, int]:
        return dict(self._ids)

    pad_token_id = property(lambda self: PAD_ID)
    unk_token_id = property(lambda self: UNK_ID)
    cls_token_id = property(lambda self: CLS_ID)
    sep_token_id = property(lambda self: SEP_ID)
    mask_token_id = property(lambda self: MASK_ID)
    all_special_ids = property(lambda self: list(range(len(SPECIAL_TOKENS))))
    all_special_tokens = property(lambda self: list(SPECIAL_TOKENS))

    # ---- text -> tokens ----

    def _word_to_ids(self, word: str) -> list[int]:
        """Stage 3, greedy longest-match-first WordPiece for one word."""
        if word in _SPECIAL_SET:
            return [self._ids[word]]
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        ids: list[int] = []
        start = 0
        if len(word) > self.max_input_chars_per_word:
            start, ids = len(word), [UNK_ID]  # too long: do not even try
        while start < len(word):
            prefix = CONTINUATION if start > 0 else ""
            end = min(len(word), start + self._longest)
            while end > start and prefix + word[start:end] not in self._ids:
                end -= 1  # shrink until the piece is in the vocabulary
            if end == start:  # no piece fits here: the whole word is unknown
                ids = [UNK_ID]
                break
            ids.append(self._ids[prefix + word[start:end]])
            start = end
        if len(self._cache) > 200_000:
            self._cache.clear()
        self._cache[word] = ids
        return ids

    def _encode_words(self, words: list[str]) -> tuple[list[int], list[int]]:
        """ids and, for each id, the index of the word it came from."""
        ids, word_ids = [], []
        for wi, word in enumerate(words):
            pieces = self._word_to_ids(word)
            ids.extend(pieces)
            word_ids.extend([wi] * len(pieces))
        return ids, word_ids

    def _text_ids(self, name: str, text: str) -> tuple[list[int], list[int]]:
        check_text(name, text)
        return self._encode_words(pre_tokenize(text, self.lowercase))

    def tokenize(self, text: str) -> list[str]:
        """Text -> WordPiece token strings (no special tokens added)."""
        return self.convert_ids_to_tokens(self._text_ids("text", text)[0])

    def encode(self, text: str) -> list[int]:
        """Text -> token ids (no special tokens added)."""
        return self._text_ids("text", text)[0]

    def convert_tokens_to_ids(self, tokens: str | Sequence[str]) -> int | list[int]:
        """Token string(s) -> id(s); a string that is not in the vocabulary gives ``[UNK]``'s id."""
        if isinstance(tokens, str):
            return self._ids.get(tokens, UNK_ID)
        return [self._ids.get(t, UNK_ID) for t in tokens]

    def convert_ids_to_tokens(self, ids: int | Sequence[int] | torch.Tensor) -> str | list[str]:
        """Id(s) -> token string(s)."""
        if isinstance(ids, torch.Tensor):
            ids = ids.tolist()
        if isinstance(ids, int):
            return self._vocab[self._check_id(ids)]
        return [self._vocab[self._check_id(i)] for i in ids]

    def _check_id(self, i: int) -> int:
        if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < len(self._vocab):
            raise ValueError(f"id={show(i)} is not allowed: ids must be integers in [0, {len(self._vocab) - 1}].")
        return i

    # ---- model inputs ----

    def prepare_for_model(self, ids_a: list[int], ids_b: list[int] | None = None, max_length: int = 128,
                          word_ids_a: list | None = None, word_ids_b: list | None = None) -> dict:
        """Lay out ``[CLS] A [SEP]`` or ``[CLS] A [SEP] B [SEP]`` from token ids, truncating
        longest-first (see ``truncation_lengths``) so that the result has at most ``max_length``
        tokens. Segment (token type) 0 covers [CLS], A and the first [SEP]; 1 covers B and the last
        [SEP]. ``special_tokens_mask`` is 1 on the added [CLS]/[SEP]."""
        n_special = 2 if ids_b is None else 3
        minimum = n_special + (1 if ids_b is None else 2)
        if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < minimum:
            what = "[CLS] A [SEP]" if ids_b is None else "[CLS] A [SEP] B [SEP]"
            raise ValueError(f"max_length={show(max_length)} is not allowed: {what} needs at least {minimum} "
                             f"positions ({n_special} special tokens plus one token per text).")
        word_ids_a = list(word_ids_a) if word_ids_a is not None else [None] * len(ids_a)
        budget = max_length - n_special
        if ids_b is None:
            keep_a, keep_b = min(len(ids_a), budget), 0
            ids_b, word_ids_b = [], []
        else:
            keep_a, keep_b = truncation_lengths(len(ids_a), len(ids_b), budget)
            word_ids_b = list(word_ids_b) if word_ids_b is not None else [None] * len(ids_b)
        a, b = list(ids_a[:keep_a]), list(ids_b[:keep_b])
        input_ids = [CLS_ID] + a + [SEP_ID]
        token_type_ids = [0] * len(input_ids)
        word_ids = [None] + word_ids_a[:keep_a] + [None]
        if n_special == 3:
            input_ids += b + [SEP_ID]
            token_type_ids += [1] * (len(b) + 1)
            word_ids += word_ids_b[:keep_b] + [None]
        special = [0] * len(input_ids)
        for i in (0, len(a) + 1, len(input_ids) - 1):  # [CLS], first [SEP], last [SEP]
            special[i] = 1
        return {
            "input_ids": input_ids,
            "token_type_ids": token_type_ids,
            "attention_mask": [1] * len(input_ids),
            "special_tokens_mask": special,
            "word_ids": word_ids,
        }

    def encode_pair(self, a: str, b: str | None = None, max_length: int = 128) -> dict:
        """One text or a pair -> dict of lists ``input_ids``, ``token_type_ids``,
        ``attention_mask``, ``special_tokens_mask`` in BERT's layout ``[CLS] A [SEP] B [SEP]``."""
        out = self._encode_with_word_ids(a, b, max_length)
        del out["word_ids"]
        return out

    def _encode_with_word_ids(self, a: str, b: str | None, max_length: int) -> dict:
        ids_a, words_a = self._text_ids("a", a)
        ids_b, words_b = self._text_ids("b", b) if b is not None else (None, None)
        return self.prepare_for_model(ids_a, ids_b, max_length, words_a, words_b)

    def word_ids(self, a: str, b: str | None = None, max_length: int = 128) -> list[int | None]:
        """For each position of ``encode_pair(a, b, max_length)``, the index of the word (as
        split by the pre-tokeniser: punctuation counts as a word) that the token came from;
        ``None`` for [CLS]/[SEP]. Words of B are counted from 0 again, like Hugging Face's
        ``BatchEncoding.word_ids()``."""
        return self._encode_with_word_ids(a, b, max_length)["word_ids"]

    def encode_words(self, words: Sequence[str], max_length: int = 128) -> dict:
        """Already-split words (as in NER data) -> the ``encode_pair`` dict plus ``word_ids``: the
        index in ``words`` of the word each token came from (``None`` for [CLS]/[SEP]). A word may
        give several tokens (``tokyo`` -> ``tok ##yo``; ``U.S.`` -> ``u . s .``)."""
        if isinstance(words, str) or not isinstance(words, Sequence) or not words:
            raise ValueError(f"words={show(words)} is not allowed: it must be a non-empty list of strings.")
        ids, word_ids = [], []
        for wi, word in enumerate(words):
            check_text(f"words[{wi}]", word)
            pieces = self._encode_words(pre_tokenize(word, self.lowercase))[0]
            ids.extend(pieces)
            word_ids.extend([wi] * len(pieces))
        return self.prepare_for_model(ids, None, max_length, word_ids)

    def encode_batch(self, texts_or_pairs: Sequence[str | tuple[str, str]], max_length: int = 128,
                     padding: str = "longest", return_tensors: str | None = "pt") -> dict:
        """Encode several texts or (a, b) pairs and pad them to one length with [PAD]
        (``attention_mask`` 0 and ``special_tokens_mask`` 1 on padding). ``padding="longest"`` pads
        to the longest item, ``"max_length"`` to ``max_length``. Returns ``torch.long`` tensors of
        shape (batch, length), or lists with ``return_tensors=None``."""
        check_choice("padding", padding, ("longest", "max_length"))
        check_choice("return_tensors", return_tensors, ("pt", None))
        if isinstance(texts_or_pairs, str) or not isinstance(texts_or_pairs, Sequence) or not texts_or_pairs:
            raise ValueError(f"texts_or_pairs={show(texts_or_pairs)} is not allowed: it must be a non-empty list "
                             "of strings or of (a, b) pairs of strings.")
        items = []
        for i, item in enumerate(texts_or_pairs):
            if isinstance(item, str):
                items.append(self.encode_pair(item, None, max_length))
            elif isinstance(item, (tuple, list)) and len(item) == 2:
                items.append(self.encode_pair(item[0], item[1], max_length))
            else:
                raise ValueError(f"texts_or_pairs[{i}]={show(item)} is not allowed: it must be a string or "
                                 "an (a, b) pair of strings.")
        return pad_batch(items, max_length if padding == "max_length" else None, return_tensors)

    # ---- ids -> text ----

    def decode(self, ids: Sequence[int] | torch.Tensor, skip_special_tokens: bool = True) -> str:
        """Ids -> text. ``##`` pieces are glued to the token before them, other tokens are joined
        with a space, and no space is left before ``.``, ``,``, ``?`` or ``!`` (the same tidying as
        Hugging Face). Lower-casing and stripped accents cannot be undone. With
        ``skip_special_tokens`` all five special tokens are dropped, [UNK] and [MASK] included."""
        tokens = self.convert_ids_to_tokens(ids)
        if isinstance(tokens, str):
            tokens = [tokens]
        if skip_special_tokens:
            tokens = [t for t in tokens if t not in _SPECIAL_SET]
        parts = []
        for i, tok in enumerate(tokens):
            if i > 0:
                tok = tok[len(CONTINUATION):] if tok.startswith(CONTINUATION) else " " + tok
            if tok in (" .", " ,", " ?", " !"):
                tok = tok[1:]
            parts.append(tok)
        return "".join(parts)

    def is_continuation(self, ids: Sequence[int] | torch.Tensor) -> list[bool] | torch.Tensor:
        """True where the token is a ``##`` piece, i.e. continues the word before it (whole-word
        masking masks such pieces together with their word). A tensor gives a bool tensor of the
        same shape."""
        if isinstance(ids, torch.Tensor):
            if self._continuation_table is None:  # one lookup table, built on first use
                self._continuation_table = torch.tensor([t.startswith(CONTINUATION) for t in self._vocab])
            return self._continuation_table[ids.long()]
        return [tok.startswith(CONTINUATION) for tok in self.convert_ids_to_tokens(list(ids))]


def pad_batch(items: Sequence[dict], length: int | None = None, return_tensors: str | None = "pt",
              pad_token_id: int = PAD_ID) -> dict:
    """Pad dicts of equal-keyed lists to ``length`` (default: the longest). ``input_ids`` gets
    ``pad_token_id``, ``special_tokens_mask`` 1, ``labels`` -100 (ignored by the loss),
    ``word_ids`` None, every other list 0. Int scalars (such as ``next_sentence_label``) are
    stacked; other keys are dropped. ``word_ids`` is kept only when lists are returned."""
    if not items:
        raise ValueError("items=[] is not allowed: there must be at least one item to pad.")
    longest = max(len(it["input_ids"]) for it in items)
    if length is None:
        length = longest
    elif length < longest:
        raise ValueError(f"length={show(length)} is not allowed: an item has {longest} tokens; it must be >= that.")
    fill = {"input_ids": pad_token_id, "special_tokens_mask": 1, "labels": IGNORE_INDEX, "word_ids": None}
    out: dict = {}
    for key, value in items[0].items():
        if isinstance(value, list):
            out[key] = [it[key] + [fill.get(key, 0)] * (length - len(it[key])) for it in items]
        elif isinstance(value, int) and not isinstance(value, bool):
            out[key] = [it[key] for it in items]
    if return_tensors == "pt":
        out = {k: torch.tensor(v, dtype=torch.long) for k, v in out.items() if k != "word_ids"}
    return out
