"""BERT's WordPiece tokenizer, written out so every step can be read.

Turning text into ids happens in three stages, exactly as in the original (uncased) BERT:

1. **normalise** the text and 2. **pre-tokenise** it into words (:mod:`helpers.text.normalize`);
3. **WordPiece** each word: greedily take the longest vocabulary entry that starts the word, then
   the longest ``##``-entry that continues it, and so on (``playing`` -> ``play ##ing``). A word that
   cannot be pieced together from the vocabulary becomes ``[UNK]`` as a whole.

The vocabulary is learnt by :func:`helpers.text.vocab.build_vocab`; the input layout ``[CLS] A [SEP]
B [SEP]`` and padding are :mod:`helpers.text.layout`. The test suite checks this file token for
token against ``transformers.BertTokenizerFast`` loaded with the same ``vocab.txt``.
"""
from __future__ import annotations

import os
from typing import Iterable, Sequence

import torch

from helpers.constants import CLS_ID, MASK_ID, PAD_ID, SEP_ID, SPECIAL_TOKENS, UNK_ID
from helpers.errors import check_choice, check_text, show
from helpers.text.layout import pad_batch, prepare_for_model, truncation_lengths
from helpers.text.normalize import SPECIAL_SET, is_punctuation, normalize, pre_tokenize, split_words
from helpers.text.vocab import (CONTINUATION, MAX_INPUT_CHARS_PER_WORD, build_vocab, check_vocab, read_vocab_file,
                                write_vocab_file)

# The course-wide special tokens; their ids are their positions in this list.
PAD, UNK, CLS, SEP, MASK = SPECIAL_TOKENS

# Re-exported: each lives in the module named above; importing them from here keeps working.
__all__ = ["WordPieceTokenizer", "PAD", "UNK", "CLS", "SEP", "MASK", "SPECIAL_TOKENS", "CONTINUATION",
           "build_vocab", "is_punctuation", "normalize", "pad_batch", "pre_tokenize", "prepare_for_model",
           "split_words", "truncation_lengths"]


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
        check_vocab(vocab, "vocab", "index")
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
        return cls(read_vocab_file(path), lowercase=lowercase)

    def save(self, path: str | os.PathLike) -> str:
        """Write ``vocab.txt`` (one token per line, atomically) and return its path."""
        write_vocab_file(self._vocab, path)
        return os.fspath(path)

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
        if word in SPECIAL_SET:
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
        """:func:`helpers.text.layout.prepare_for_model`: ``[CLS] A [SEP] B [SEP]`` from token ids."""
        return prepare_for_model(ids_a, ids_b, max_length, word_ids_a, word_ids_b)

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
            tokens = [t for t in tokens if t not in SPECIAL_SET]
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
