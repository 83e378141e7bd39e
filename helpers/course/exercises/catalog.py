"""The list of coding exercises: ids, numbers, titles, notebooks, the learner's function names, hints.

Light on purpose: it imports nothing but the standard library, so the progress plot and notebook 0
can list the exercises without loading torch or the training code. The checks live in the sibling
modules (one per notebook), the reference solutions in ``helpers.course.solutions``.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Exercise:
    id: str
    label: str                          # "Exercise 1" ... "Exercise 5", or "Stretch A" ...
    notebook: str                       # "2", "3", "5", "5a": where it lives
    title: str
    short: str                          # a few words, for the progress plot
    functions: tuple[str, ...]          # the learner's functions, in the check's order
    solutions: tuple[str, ...]          # the reference functions in helpers.course.solutions, same order
    hint: str                           # the idea, without the code (shown after a failed attempt)
    optional: bool = False              # a stretch exercise, off the core path

    @property
    def number(self) -> int | None:
        """1..5 for the core exercises (their order through the course), None for a stretch exercise."""
        return None if self.optional else int(self.label.split()[-1])


CORE = (
    Exercise("mlm-choose-positions", "Exercise 1", "2", "Choose the positions to predict", "choose positions",
             ("choose_positions",), ("choose_positions",),
             "Draw one uniform random number per position from the generator you are given (the same shape as "
             "special_tokens_mask), and keep the positions whose number falls below mlm_probability and that "
             "are not special tokens. Two True/False tensors combine with &."),
    Exercise("mlm-corrupt", "Exercise 2", "2", "Corrupt the selected tokens 80/10/10 and make the labels",
             "80/10/10 and labels", ("corrupt",), ("corrupt",),
             "Give every position its own uniform draw from the generator and split [0, 1) into three parts: "
             "below 0.8 becomes [MASK], 0.8 to 0.9 a random id, the rest stays. Draw the random ids for every "
             "position too (one per token). Change a copy, and build the labels from the untouched input_ids."),
    Exercise("mlm-loss", "Exercise 3", "2", "The MLM loss, at the selected positions only", "MLM loss",
             ("mlm_loss",), ("mlm_loss",),
             "A True/False tensor (labels != -100) picks out the selected rows of logits; cross-entropy over "
             "just those rows, averaged, is the loss. Keep it a tensor: no .item(), no .detach()."),
    Exercise("nsp-example", "Exercise 4", "3", "Build one NSP example", "NSP example",
             ("nsp_example",), ("nsp_example",),
             "Build the token list by joining the pieces in order: [CLS], A, [SEP], B, [SEP]. The segment ids "
             "are 0 for everything up to and including the first [SEP], 1 after it: count the lengths."),
    Exercise("heads", "Exercise 5", "5", "A [CLS] head and a per-token head", "two heads",
             ("sequence_head", "token_head"), ("sequence_head", "token_head"),
             "The classifier is an nn.Linear: call it on the vectors you want scored. A sequence head scores "
             "the vector at position 0 of every row; a token head scores every position. Return the classifier's "
             "raw output as the logits, and let cross-entropy (which skips -100) compute the loss from them."),
)

STRETCH = (
    Exercise("mlm-fixed-count", "Stretch A", "2", "Google-style selection: a fixed count per sequence",
             "fixed-count selection", ("choose_fixed_count",), ("choose_fixed_count",),
             "Per row: n is the number of real tokens (attention_mask, [CLS] and [SEP] included); the count is "
             "min(max_predictions, max(1, round(mlm_probability * n))). Give each candidate a random score from the "
             "generator, give special positions a score that never wins, and keep the count best scores "
             "(torch.topk, or a sort).", optional=True),
    Exercise("pretraining-loss", "Stretch B", "3", "The loss of one pre-training step: MLM + NSP", "MLM + NSP loss",
             ("pretraining_loss",), ("pretraining_loss",),
             "Two cross-entropies added: the MLM one over the selected positions (labels other than -100), the "
             "NSP one over the two logits per pair. Each is a mean over its own rows; the sum is not re-weighted.",
             optional=True),
    Exercise("align-labels", "Stretch C", "5a", "Word labels on word pieces", "align word labels",
             ("align_labels",), ("align_labels",),
             "Walk through word_ids with the previous entry at hand: None (a special token) gets -100; a word "
             "index that differs from the previous one starts a word and gets that word's label; a repeat of the "
             "previous index is a later piece and gets -100.", optional=True),
)

EXERCISES: dict[str, Exercise] = {e.id: e for e in CORE}            # the core path's five
STRETCH_EXERCISES: dict[str, Exercise] = {e.id: e for e in STRETCH}
ALL_EXERCISES: dict[str, Exercise] = {**EXERCISES, **STRETCH_EXERCISES}


def exercise(exercise_id: str) -> Exercise:
    """The exercise with this id; a ValueError naming the allowed ids otherwise."""
    if exercise_id not in ALL_EXERCISES:
        raise ValueError(f"exercise_id={exercise_id!r} is not allowed: it must be one of {', '.join(ALL_EXERCISES)}.")
    return ALL_EXERCISES[exercise_id]
