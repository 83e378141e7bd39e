"""Checks of notebook 5a (sub-words in fine-tuning): stretch C, word labels on word pieces.

``align_labels(word_labels, word_ids)`` gets one label per word and, per piece, the index of the
word it belongs to (None for [CLS] and [SEP]); it returns one label per piece: the word's label on
its first piece, -100 on the later pieces and on the special tokens.
"""
from __future__ import annotations

from typing import Iterator

from helpers.constants import IGNORE_INDEX
from helpers.course import solutions
from helpers.course.exercises.inputs import int_list
from helpers.course.exercises.results import Finding, finding

# (word labels, word ids per piece): one-piece words, split words, a split word at the end, label 0
# on a split word, and a sequence cut short in the middle of its last word (truncation).
CASES = (
    ([3, 0, 1], [None, 0, 1, 2, None]),
    ([2, 4, 0, 1], [None, 0, 0, 0, 1, 2, 2, 3, None]),
    ([0, 5, 6], [None, 0, 0, 1, 2, 2, None]),
    ([1, 2, 3, 4, 5], [None, 0, 1, 1, 2, 3, 3, None]),
)

HINT_FIRST = ("A piece starts a word when its word index differs from the previous piece's (and is not None): "
              "that piece gets word_labels[index].")
HINT_REST = "A piece whose word index equals the previous piece's continues a word: -100, like [CLS] and [SEP]."


def _describe(case, got) -> str:
    _, word_ids = case
    pieces = " ".join("[CLS]" if i == 0 and w is None else "[SEP]" if w is None else f"w{w}"
                      for i, w in enumerate(word_ids))
    return f"for pieces {pieces} your labels are {got}"


def _wrong_where(outputs, keep) -> list[str]:
    """The cases whose labels differ from the reference at the positions ``keep(word_ids, i)`` picks."""
    problems = []
    for case, got in zip(CASES, outputs):
        want = solutions.align_labels(*case)
        _, word_ids = case
        if any(got[i] != want[i] for i in range(len(want)) if keep(word_ids, i)):
            problems.append(_describe(case, got))
    return problems


def _first_piece(word_ids, i) -> bool:
    return word_ids[i] is not None and (i == 0 or word_ids[i - 1] != word_ids[i])


def check_align_labels(align_labels) -> Iterator[Finding]:
    outputs, changed = [], 0
    for word_labels, word_ids in CASES:
        labels_in, ids_in = list(word_labels), list(word_ids)
        got, problem = int_list(align_labels(labels_in, ids_in), "your labels")
        if problem is None and len(got) != len(word_ids):
            problem = f"{len(got)} labels for {len(word_ids)} pieces: {_describe((word_labels, word_ids), got)}"
        if problem:
            yield finding("returns one label per piece (a list of ints as long as word_ids)", problem, fatal=True,
                          hint="Loop over word_ids, appending one label per piece.")
        outputs.append(got)
        changed += labels_in != word_labels or ids_in != word_ids
    yield finding("returns one label per piece (a list of ints as long as word_ids)", None)
    yield finding(f"special tokens ([CLS], [SEP]: word index None) get {IGNORE_INDEX}",
                  "; ".join(_wrong_where(outputs, lambda ids, i: ids[i] is None)) or None,
                  hint=f"None marks a special token: its label is {IGNORE_INDEX} (IGNORE_INDEX).")
    yield finding("the first piece of every word carries the word's label",
                  "; ".join(_wrong_where(outputs, _first_piece)) or None, hint=HINT_FIRST)
    yield finding(f"the later pieces of a word get {IGNORE_INDEX}, so each word is scored once",
                  "; ".join(_wrong_where(outputs, lambda ids, i: ids[i] is not None and not _first_piece(ids, i)))
                  or None, hint=HINT_REST)
    yield finding("word_labels and word_ids are left unchanged",
                  None if not changed else f"your function changed its input lists in {changed} of {len(CASES)} calls",
                  hint="Build a new list of labels; do not edit the lists you are given.")


SECTIONS = {"align-labels": (check_align_labels,)}
