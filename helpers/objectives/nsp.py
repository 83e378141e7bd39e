"""Next-sentence-prediction (NSP) pairs: BERT's second pre-training objective.

Each example is a pair of text segments laid out as ``[CLS] A [SEP] B [SEP]``. Half of the time
B is the text that really follows A in the same document (label ``IS_NEXT``); the other half B is
taken from a different document (label ``IS_RANDOM``). A small head on the [CLS] output learns to
tell the two apart.

How the pairs are cut (the idea of Google's ``create_pretraining_data.py``, re-written):

* walk through each document, collecting whole sentences into a *chunk* of up to
  ``max_length - 3`` tokens (3 = [CLS] and two [SEP]); a chunk always gets at least two sentences,
  so both labels are possible for every chunk;
* split the chunk after a random sentence: the first part is A;
* flip a coin (``random_next_prob``): IS_NEXT keeps the rest of the chunk as B; IS_RANDOM takes
  consecutive sentences of a random *other* document instead, about as many tokens as the true
  rest would have had (so B's length gives nothing away), and the unused sentences of the chunk
  are "put back" so they start the next chunk instead of being wasted;
* if the pair is still too long (a single long sentence), cut it with the longest-first rule (the
  longer side loses tokens first). A loses tokens at its *start* and B at its *end*, so the seam
  where B follows A stays intact: that seam is exactly what the model must judge.

Because the label is a coin flip that does not depend on the text, the labels are balanced, and
an IS_NEXT pair is always two consecutive stretches of one document.

Differences from Google's script, on purpose: a chunk stops *before* the sentence that would
overflow it (Google's stops after, so nearly every pair there is truncated); a one-sentence chunk
takes one more sentence rather than forcing an IS_RANDOM pair (which would skew the labels); and
a random B aims at the length of the true continuation rather than at the free room.
"""
from __future__ import annotations

import itertools
import random
from typing import Sequence

import torch
from helpers.progress_bars import tqdm

from helpers.constants import IS_NEXT, IS_RANDOM, PAD_ID
from helpers.errors import check_positive_int, check_probability, check_seed, show
from helpers.text.layout import pad_batch, truncation_lengths

LABEL_NAMES = {IS_NEXT: "IS_NEXT (B follows A)", IS_RANDOM: "IS_RANDOM (B is random)"}

BATCH_KEYS = ("input_ids", "token_type_ids", "attention_mask", "special_tokens_mask")


def check_documents(documents, *, need_two_documents: bool = True) -> None:
    """Refuse anything that is not a list of documents, each a list of non-empty sentence strings."""
    if isinstance(documents, str) or not isinstance(documents, Sequence):
        raise ValueError(f"documents={show(documents)} is not allowed: it must be a list of documents, "
                         "each a list of sentence strings.")
    for d, doc in enumerate(documents):
        if isinstance(doc, str) or not isinstance(doc, Sequence):
            raise ValueError(f"documents[{d}]={show(doc)} is not allowed: a document must be a list of "
                             "sentence strings.")
        for s, sentence in enumerate(doc):
            if not isinstance(sentence, str) or not sentence.strip():
                raise ValueError(f"documents[{d}][{s}]={show(sentence)} is not allowed: a sentence must be "
                                 "a non-empty string.")
    non_empty = sum(1 for doc in documents if doc)
    if need_two_documents and non_empty < 2:
        raise ValueError(f"documents has {non_empty} non-empty document(s), which is not allowed: NSP needs at "
                         "least 2, because an IS_RANDOM pair takes B from a different document.")
    if not any(len(doc) >= 2 for doc in documents):
        raise ValueError("documents is not allowed: no document has two sentences, so no IS_NEXT pair "
                         "(A followed by B in one document) can be made.")


def tokenize_documents(documents, tokenizer, *, progress: bool = True,
                       cache: dict[str, list[int]] | None = None) -> list[list[list[int]]]:
    """Token ids of every sentence of every document; each distinct sentence is tokenized once
    (stories repeat sentences). ``cache`` (sentence -> ids, for this ``tokenizer`` only) carries the
    work over to the next call: a training run that cuts new pairs every pass tokenizes once."""
    cache = {} if cache is None else cache

    def encode(sentence: str) -> list[int]:
        if sentence not in cache:
            cache[sentence] = tokenizer.encode(sentence)
        return cache[sentence]

    return [[encode(s) for s in doc] for doc in tqdm(documents, desc="tokenizing", disable=not progress)]


def make_nsp_pairs(documents: Sequence[Sequence[str]], *, tokenizer, max_length: int = 64, seed: int = 0,
                   short_seq_prob: float = 0.0, random_next_prob: float = 0.5, dupe_factor: int = 1,
                   progress: bool = True, token_cache: dict[str, list[int]] | None = None) -> list[dict]:
    """Cut NSP pairs out of ``documents`` (a list of documents, each a list of sentences).

    ``short_seq_prob``: chance that a chunk aims at a random shorter length (2 to
    ``max_length - 3`` tokens), so the model also sees short inputs, as fine-tuning inputs often
    are. ``dupe_factor``: how many passes over the corpus (each pass cuts differently).
    ``token_cache``: see :func:`tokenize_documents`.

    Returns the pairs in shuffled order. Each pair is a dict with the model inputs
    ``input_ids``, ``token_type_ids``, ``attention_mask``, ``special_tokens_mask`` (lists, at most
    ``max_length`` long), the int ``next_sentence_label`` (``IS_NEXT`` or ``IS_RANDOM``), the texts
    ``a`` and ``b`` (whole sentences; the ids may have been cut to fit) and where they came from:
    ``a_doc``, ``a_sentences``, ``b_doc``, ``b_sentences`` (document and sentence indices).
    """
    check_documents(documents)
    max_length = check_positive_int("max_length", max_length, minimum=5)
    short_seq_prob = check_probability("short_seq_prob", short_seq_prob, allow_zero=True)
    random_next_prob = check_probability("random_next_prob", random_next_prob, allow_zero=True)
    dupe_factor = check_positive_int("dupe_factor", dupe_factor)
    check_seed("seed", seed)

    tokenized = tokenize_documents(documents, tokenizer, progress=progress, cache=token_cache)
    # remaining[d][j]: tokens in document d from sentence j to its end
    remaining = [list(itertools.accumulate(map(len, reversed(doc))))[::-1] for doc in tokenized]
    non_empty = [d for d, doc in enumerate(documents) if doc]
    position = {d: k for k, d in enumerate(non_empty)}
    rng = random.Random(seed)
    budget = max_length - 3  # room left by [CLS], [SEP], [SEP]

    def pick_target() -> int:
        return rng.randint(2, budget) if rng.random() < short_seq_prob else budget

    pairs = []
    for _ in range(dupe_factor):
        for d, sents in enumerate(tqdm(tokenized, desc="cutting pairs", disable=not progress)):
            chunk: list[int] = []  # sentence indices of the current chunk
            n_tokens, target, i = 0, pick_target(), 0
            while i < len(sents):
                chunk.append(i)
                n_tokens += len(sents[i])
                i += 1
                if i < len(sents) and (len(chunk) < 2 or n_tokens + len(sents[i]) <= target):
                    continue  # keep filling the chunk
                if len(chunk) < 2:
                    break  # a lone last sentence: no pair (whatever the coin would say)
                n_a = rng.randint(1, len(chunk) - 1)  # sentences that go to A
                a_sents = chunk[:n_a]
                if rng.random() < random_next_prob:
                    label = IS_RANDOM
                    # Aim at the length the true continuation has, so that B's length gives
                    # nothing away about the label.
                    b_target = sum(len(sents[s]) for s in chunk[n_a:])
                    b_doc, b_sents = _random_continuation(rng, tokenized, remaining, non_empty, position[d], b_target)
                    i -= len(chunk) - n_a  # put the unused sentences back
                else:
                    label, b_doc, b_sents = IS_NEXT, d, chunk[n_a:]
                pairs.append(_make_pair(tokenizer, documents, tokenized, d, a_sents, b_doc, b_sents, label,
                                        max_length))
                chunk, n_tokens, target = [], 0, pick_target()
    rng.shuffle(pairs)
    return pairs


def _random_continuation(rng: random.Random, tokenized, remaining, non_empty: list[int], here: int,
                         b_target: int) -> tuple[int, list[int]]:
    """A random B for an IS_RANDOM pair: consecutive sentences of another non-empty document (not the
    one at index ``here`` of ``non_empty``), about ``b_target`` tokens long."""
    r = rng.randrange(len(non_empty) - 1)  # any non-empty document but this one
    b_doc = non_empty[r + 1 if r >= here else r]
    other = tokenized[b_doc]
    # start anywhere that leaves enough text to reach the target (else at the top)
    starts = sum(1 for left in remaining[b_doc] if left >= b_target) or 1
    j = rng.randrange(starts)
    b_sents, b_len = [], 0
    while j < len(other) and (not b_sents or b_len < b_target):
        # stop before a sentence that overshoots the target more than it helps
        if b_sents and b_len + len(other[j]) - b_target > b_target - b_len:
            break
        b_sents.append(j)
        b_len += len(other[j])
        j += 1
    return b_doc, b_sents


def _make_pair(tokenizer, documents, tokenized, a_doc, a_sents, b_doc, b_sents, label, max_length) -> dict:
    pair = fit_pair(tokenizer, [t for s in a_sents for t in tokenized[a_doc][s]],
                    [t for s in b_sents for t in tokenized[b_doc][s]], max_length)
    pair.update(
        next_sentence_label=label,
        a=" ".join(documents[a_doc][s] for s in a_sents),
        b=" ".join(documents[b_doc][s] for s in b_sents),
        a_doc=a_doc, a_sentences=list(a_sents), b_doc=b_doc, b_sentences=list(b_sents),
    )
    return pair


def fit_pair(tokenizer, ids_a: list[int], ids_b: list[int], max_length: int) -> dict:
    """``[CLS] A [SEP] B [SEP]`` with segment ids, cut to ``max_length`` by the longest-first rule.
    A loses tokens at its start and B at its end: the seam between them is what is judged."""
    keep_a, keep_b = truncation_lengths(len(ids_a), len(ids_b), max_length - 3)
    pair = tokenizer.prepare_for_model(ids_a[len(ids_a) - keep_a:], ids_b[:keep_b], max_length)
    del pair["word_ids"]
    return pair


def collate(pairs: Sequence[dict], pad_token_id: int = PAD_ID, label_key: str = "next_sentence_label"
            ) -> dict[str, torch.Tensor]:
    """Stack pairs into a batch of ``torch.long`` tensors, padded to the longest pair:
    ``input_ids`` with ``pad_token_id``, ``attention_mask`` and ``token_type_ids`` with 0,
    ``special_tokens_mask`` with 1; the pair label (``label_key``: ``next_sentence_label``, or
    ``sentence_order_label`` for sentence-order pairs) has shape (batch,)."""
    if isinstance(pairs, dict) or not isinstance(pairs, Sequence) or not pairs:
        raise ValueError(f"pairs={show(pairs)} is not allowed: it must be a non-empty list of pairs "
                         "from make_nsp_pairs.")
    keys = BATCH_KEYS + (label_key,)
    for i, pair in enumerate(pairs):
        missing = [k for k in keys if k not in pair]
        if missing:
            raise ValueError(f"pairs[{i}] is not allowed: it lacks {missing}; pairs come from make_nsp_pairs or make_sop_pairs.")
    return pad_batch([{k: p[k] for k in keys} for p in pairs], pad_token_id=pad_token_id)


def describe_pair(pair: dict, tokenizer) -> list[dict]:
    """One row per position, for a table in the notebook: ``position``, ``token``, ``segment``
    (the token type id: 0 = sentence A, 1 = sentence B) and ``special`` (1 on [CLS]/[SEP])."""
    tokens = tokenizer.convert_ids_to_tokens(pair["input_ids"])
    return [
        {"position": i, "token": tok, "segment": seg, "special": sp}
        for i, (tok, seg, sp) in enumerate(zip(tokens, pair["token_type_ids"], pair["special_tokens_mask"]))
    ]
