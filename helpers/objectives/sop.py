"""Sentence-order prediction (SOP): ALBERT's replacement for next sentence prediction.

NSP's negative pairs take B from another document, so a model can often answer from the topic
alone ("A is about a dog, B about a train: random"). ALBERT (Lan et al., 2019, section 4.2) keeps
both segments in ONE document and makes the negative the same two segments in the wrong order:

* ``IN_ORDER`` (0): ``[CLS] A [SEP] B [SEP]`` with B the text that follows A;
* ``SWAPPED`` (1): ``[CLS] B [SEP] A [SEP]``: the same text, the order reversed.

Both kinds share topic, names and vocabulary, so the only way to tell them apart is how the text
flows: who was introduced first, what happened before what. The head is NSP's: a linear layer on
the pooled [CLS] output with two outputs, and the labels use the same convention (0 = the pair is
as written, 1 = it is not).

Pairs are cut like NSP's (``helpers.objectives.nsp``): whole sentences fill a chunk of up to
``max_length - 3`` tokens, the chunk is split after a random sentence into A and B, and a coin
decides whether they are swapped. There is no "put back" step, because no text is wasted.

Where chunks start (``start``):

* ``"document"`` (ALBERT's way, the default): chunks are packed from the start of each document,
  so the first chunk of every document holds its first sentence;
* ``"random"``: one chunk per document, starting at a random sentence. When every document opens
  and closes with a few fixed sentences, as the course's storybook does, chunks packed from the
  start let a head find the order by spotting those sentences alone; chunks from random places put
  many pairs in the middle of a story, where only the text itself tells the order.
"""
from __future__ import annotations

import random
from typing import Sequence

from helpers.progress_bars import tqdm

from helpers.constants import IN_ORDER, SWAPPED
from helpers.errors import check_choice, check_positive_int, check_probability, check_seed
from helpers.objectives.nsp import check_documents, fit_pair, tokenize_documents

LABEL_NAMES = {IN_ORDER: "IN_ORDER (A then B, as written)", SWAPPED: "SWAPPED (B then A)"}
STARTS = ("document", "random")   # where chunks start: packed from the document's start, or one at random


def make_sop_pairs(documents: Sequence[Sequence[str]], *, tokenizer, max_length: int = 64, seed: int = 0,
                   short_seq_prob: float = 0.0, swap_prob: float = 0.5, start: str = "document",
                   progress: bool = True, token_cache: dict[str, list[int]] | None = None) -> list[dict]:
    """Cut sentence-order pairs out of ``documents`` (a list of documents, each a list of sentences).

    Returns the pairs in shuffled order, each a dict with the model inputs ``input_ids``,
    ``token_type_ids``, ``attention_mask``, ``special_tokens_mask`` (lists, at most ``max_length``
    long), the int ``sentence_order_label`` (``IN_ORDER`` or ``SWAPPED``), the texts ``a`` and
    ``b`` in the order they were WRITTEN (so ``a`` comes first in the document even when the pair
    shows it second), ``doc`` and the sentence indices ``a_sentences`` / ``b_sentences``.
    ``start``: ``"document"`` packs chunks from each document's start; ``"random"`` cuts one chunk per
    document, from a random sentence (see the module's docstring). ``token_cache``: see
    :func:`helpers.objectives.nsp.tokenize_documents`.
    """
    check_documents(documents, need_two_documents=False)
    if not any(len(doc) >= 2 for doc in documents):
        raise ValueError("documents is not allowed: no document has two sentences, so no pair can be cut.")
    max_length = check_positive_int("max_length", max_length, minimum=5)
    short_seq_prob = check_probability("short_seq_prob", short_seq_prob, allow_zero=True)
    swap_prob = check_probability("swap_prob", swap_prob, allow_zero=True)
    check_choice("start", start, STARTS)
    check_seed("seed", seed)

    tokenized = tokenize_documents(documents, tokenizer, progress=progress, cache=token_cache)
    rng = random.Random(seed)
    budget = max_length - 3

    def pick_target() -> int:
        return rng.randint(2, budget) if rng.random() < short_seq_prob else budget

    pairs = []
    for d, sents in enumerate(tqdm(tokenized, desc="cutting pairs", disable=not progress)):
        chunk: list[int] = []
        n_tokens, target = 0, pick_target()
        begin = rng.randint(0, len(sents) - 2) if start == "random" and len(sents) >= 2 else 0
        for i in range(begin, len(sents)):
            chunk.append(i)
            n_tokens += len(sents[i])
            if i + 1 < len(sents) and (len(chunk) < 2 or n_tokens + len(sents[i + 1]) <= target):
                continue  # keep filling the chunk
            if len(chunk) < 2:
                break  # a lone last sentence: nothing to order
            n_a = rng.randint(1, len(chunk) - 1)
            a_sents, b_sents = chunk[:n_a], chunk[n_a:]
            ids_a = [t for s in a_sents for t in sents[s]]
            ids_b = [t for s in b_sents for t in sents[s]]
            label = SWAPPED if rng.random() < swap_prob else IN_ORDER
            first, second = (ids_b, ids_a) if label == SWAPPED else (ids_a, ids_b)
            pair = fit_pair(tokenizer, first, second, max_length)
            pair.update(sentence_order_label=label, doc=d, a_sentences=list(a_sents), b_sentences=list(b_sents),
                        a=" ".join(documents[d][s] for s in a_sents), b=" ".join(documents[d][s] for s in b_sents))
            pairs.append(pair)
            if start == "random":
                break  # one chunk per document
            chunk, n_tokens, target = [], 0, pick_target()
    rng.shuffle(pairs)
    return pairs
