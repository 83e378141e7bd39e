"""Claim 3: what a sentence head learned (NSP, SOP or no sentence objective).

:func:`sentence_head_breakdown` scores a head on true next, random (other topic / same topic) and
swapped-order pairs; :func:`sentence_order_breakdown` scores it on consecutive segments with and
without the stories' fixed opening and closing sentences; :func:`middle_order_cues` measures how much
order the middle of a story gives away at all. Importable from :mod:`helpers.experiments` too.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch

from helpers.constants import IN_ORDER, IS_NEXT, SWAPPED
from helpers.errors import check_choice, check_positive_int
from helpers.objectives.nsp import collate, fit_pair, make_nsp_pairs, tokenize_documents
from helpers.objectives.sop import make_sop_pairs
from helpers.text.corpus import FOLLOWS_THE_PREVIOUS, make_storybook


PAIR_KINDS = ("true next", "random, other topic", "random, same topic", "swapped order")


def sentence_head_breakdown(model, tokenizer, *, num_documents: int = 600, seed: int = 10001, max_length: int = 64,
                            batch_size: int = 100) -> dict[str, float]:
    """The sentence head's accuracy on four kinds of fresh pairs (documents from ``seed``).

    The convention of NSP and SOP alike is 0 = "the pair is as written", 1 = "it is not". Right
    answers: 0 for a true next segment; 1 for a random segment from a document about another topic,
    for one about the same topic, and for the two consecutive segments of one document swapped. A
    head that compares topics gets the first two right and the last two at chance or worse; telling
    order apart needs the story's flow (who was introduced, what happened first).
    """
    check_positive_int("num_documents", num_documents, minimum=2)
    documents, topics = make_storybook(num_documents, seed=seed, with_topics=True)
    nsp_pairs = make_nsp_pairs(documents, tokenizer=tokenizer, max_length=max_length, seed=seed, progress=False)
    sop_pairs = [p for p in make_sop_pairs(documents, tokenizer=tokenizer, max_length=max_length, seed=seed,
                                           progress=False) if p["sentence_order_label"] == SWAPPED]

    def kind_of(pair: dict) -> str:
        if "sentence_order_label" in pair:
            return "swapped order"
        if pair["next_sentence_label"] == IS_NEXT:
            return "true next"
        return "random, same topic" if topics[pair["a_doc"]] == topics[pair["b_doc"]] else "random, other topic"

    right: dict[str, list[bool]] = {kind: [] for kind in PAIR_KINDS}
    was_training = model.training
    model.eval()
    with torch.no_grad():
        for pairs, key in ((nsp_pairs, "next_sentence_label"), (sop_pairs, "sentence_order_label")):
            for start in range(0, len(pairs), batch_size):
                chunk = pairs[start:start + batch_size]
                batch = collate(chunk, label_key=key)
                logits = model(batch["input_ids"], token_type_ids=batch["token_type_ids"],
                               attention_mask=batch["attention_mask"]).seq_relationship_logits
                for pair, predicted in zip(chunk, logits.argmax(-1).tolist()):
                    right[kind_of(pair)].append(predicted == pair[key])
    model.train(was_training)
    return {kind: sum(r) / max(1, len(r)) for kind, r in right.items()}


# The storybook frames every story: it opens with one of five fixed sentences ("on a warm day in <town>,
# <a> met <b> at the <scene> .") and closes with one of four ("after a long day at the <scene> , <a> and
# <b> were very tired ."). A sentence head can solve most order pairs by spotting those two, so what it
# knows of order is measured apart for windows that hold the opening, the closing, both, or neither
# (the middle of a story).
STORY_REGIONS = ("opening", "closing", "opening and closing", "middle")
SEGMENT_SIZES = ((1, 1), (1, 2), (2, 2), (3, 3))   # sentences in the first and the second segment
ORDERS = ("in order", "swapped")


@dataclass
class OrderBreakdown:
    """How often a sentence head is right on consecutive segments of held-out stories, shown in order
    (right answer 0, "as written") or swapped (right answer 1), by where in the story they were cut."""

    right: dict[tuple[str, tuple[int, int], str], list[bool]] = field(repr=False)   # (region, size, order)

    def _pooled(self, region: str, order: str, size: tuple[int, int] | None) -> list[bool]:
        check_choice("region", region, STORY_REGIONS)
        check_choice("order", order, ORDERS)
        sizes = [size] if size is not None else list(SEGMENT_SIZES)
        return [r for s in sizes for r in self.right.get((region, tuple(s), order), [])]

    def accuracy(self, region: str, order: str, size: tuple[int, int] | None = None) -> float:
        """Share right on ``region``'s pairs shown in ``order`` (all segment sizes pooled, or one)."""
        pooled = self._pooled(region, order, size)
        return sum(pooled) / len(pooled) if pooled else float("nan")

    def balanced(self, region: str, size: tuple[int, int] | None = None) -> float:
        """The mean of the in-order and the swapped accuracy: 0.5 for a head that cannot tell order."""
        return (self.accuracy(region, "in order", size) + self.accuracy(region, "swapped", size)) / 2

    def count(self, region: str, size: tuple[int, int] | None = None) -> int:
        """Windows (each shown both ways) in ``region``."""
        return len(self._pooled(region, "in order", size))


def sentence_order_breakdown(model, tokenizer, *, num_documents: int = 600, seed: int = 10001,
                             sizes=SEGMENT_SIZES, max_length: int = 64, batch_size: int = 256) -> OrderBreakdown:
    """Every window of consecutive sentences of ``num_documents`` new stories (documents from
    ``seed``), cut into a first segment of k and a second of m sentences for each (k, m) in
    ``sizes``, shown in order and swapped, scored by the sentence head and sorted by region: does the
    window hold the story's opening sentence, its closing one, both, or neither?"""
    check_positive_int("num_documents", num_documents)
    documents = make_storybook(num_documents, seed=seed)
    tokenized = tokenize_documents(documents, tokenizer, progress=False)
    pairs, keys = [], []
    for sentences in tokenized:
        n = len(sentences)
        for k, m in sizes:
            for start in range(n - k - m + 1):
                end = start + k + m
                region = {(True, True): "opening and closing", (True, False): "opening",
                          (False, True): "closing", (False, False): "middle"}[(start == 0, end == n)]
                ids_a = [t for s in sentences[start:start + k] for t in s]
                ids_b = [t for s in sentences[start + k:end] for t in s]
                for order, (first, second), label in (("in order", (ids_a, ids_b), IN_ORDER),
                                                      ("swapped", (ids_b, ids_a), SWAPPED)):
                    pair = fit_pair(tokenizer, first, second, max_length)
                    pair["sentence_order_label"] = label
                    pairs.append(pair)
                    keys.append((region, (k, m), order))
    right: dict = {}
    was_training = model.training
    model.eval()
    by_length = sorted(range(len(pairs)), key=lambda i: len(pairs[i]["input_ids"]))  # batches of alike length pad little
    with torch.no_grad():
        for begin in range(0, len(pairs), batch_size):
            rows = by_length[begin:begin + batch_size]
            batch = collate([pairs[i] for i in rows], label_key="sentence_order_label")
            logits = model(batch["input_ids"], token_type_ids=batch["token_type_ids"],
                           attention_mask=batch["attention_mask"]).seq_relationship_logits
            hits = (logits.argmax(-1) == batch["sentence_order_label"]).tolist()
            for i, hit in zip(rows, hits):
                right.setdefault(keys[i], []).append(bool(hit))
    model.train(was_training)
    return OrderBreakdown(right)


def middle_order_cues(*, num_documents: int = 600, seed: int = 10001, sizes=SEGMENT_SIZES) -> dict:
    """How much of the order of middle-of-story pairs the text itself gives away.

    The storybook draws each body sentence independently, except that an episode's consequence
    follows its meeting and a dialogue's answer its question (``helpers.text.corpus.SENTENCE_ROLES``).
    So a swapped pair from the middle of a story (neither its opening nor its closing) shows its order
    only where it breaks one of those two-sentence units: the cut between the segments falls inside
    one, or the first segment starts with the second half of one, or the second segment ends with the
    first half of one. Returns, per (k, m) in ``sizes`` and pooled under ``"all"``, the share of middle
    windows with such a cue, and ``best``: the accuracy, over in-order and swapped pairs alike, of a
    reader that gets every pair with a cue right and flips a coin on the others (0.5 + share / 2).
    """
    check_positive_int("num_documents", num_documents)
    _, roles = make_storybook(num_documents, seed=seed, with_roles=True)
    return count_order_cues(roles, sizes)


def count_order_cues(roles, sizes=SEGMENT_SIZES) -> dict:
    """:func:`middle_order_cues` for given sentence roles (one list per document)."""
    counts = {tuple(size): [0, 0] for size in sizes}
    for doc_roles in roles:
        bound = [role in FOLLOWS_THE_PREVIOUS for role in doc_roles] + [False]   # sentence j is tied to j - 1
        n = len(doc_roles)
        for (k, m), count in counts.items():
            for start in range(1, n - k - m):   # windows that hold neither the first nor the last sentence
                count[0] += 1
                count[1] += bound[start] or bound[start + k] or bound[start + k + m]
    pooled = [sum(c[0] for c in counts.values()), sum(c[1] for c in counts.values())]
    return {key: {"windows": total, "share": cued / max(1, total), "best": 0.5 + cued / max(1, total) / 2}
            for key, (total, cued) in [*counts.items(), ("all", pooled)]}

