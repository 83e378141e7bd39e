"""Leitner boxes: which flashcards to practise when. The one place the rule lives.

Every card sits in one of five boxes (all start in box 1). "Knew it" moves a card up one box;
"Not yet" sends it back to box 1 (:func:`leitner_update`). Practice goes in rounds: box *b* is due
every 2**(b-1) rounds (box 1 every round, box 2 every second round, box 3 every fourth...), so cards
you miss come back often and cards you know come back rarely (:func:`due_boxes`,
:func:`practice_queue`). Within a round, a missed card is put back into the queue a couple of cards
later, so you see it again before the round ends (:func:`requeue`). The boxes are saved by
:mod:`helpers.course.progress`; the widget is :class:`helpers.course.flashcards.FlashcardDeck`.
"""
from __future__ import annotations

import random
from typing import Sequence

from helpers.errors import check_positive_int

LEITNER_BOXES = 5  # box 1 = "still learning" ... box 5 = "known well"
RETRY_GAP = 2  # a missed card comes back after this many other cards in the same round


def leitner_update(box: int, knew: bool) -> int:
    """The Leitner rule: a known card moves up one box (at most the last), a missed card goes back to box 1."""
    return min(box + 1, LEITNER_BOXES) if knew else 1


def due_boxes(round_number: int) -> list[int]:
    """The boxes practised in round ``round_number`` (1, 2, ...): box b every 2**(b-1) rounds.

    >>> due_boxes(1), due_boxes(2), due_boxes(4)
    ([1], [1, 2], [1, 2, 3])
    """
    check_positive_int("round_number", round_number)
    return [b for b in range(1, LEITNER_BOXES + 1) if round_number % 2 ** (b - 1) == 0]


def practice_queue(card_ids: Sequence[str], boxes: dict[str, int], round_number: int, seed: int = 0) -> list[str]:
    """The cards to practise this round: those in due boxes, lowest box first, shuffled within a box.

    Cards missing from ``boxes`` have never been reviewed and sit in box 1. If no card is due (all
    of them are in boxes that rest this round), the lowest-box cards are practised instead.
    """
    rng = random.Random(seed * 1_000_003 + round_number)  # a different order each round, reproducibly
    box_of = {cid: boxes.get(cid, 1) for cid in card_ids}
    for cid, box in box_of.items():  # a box outside 1..5 would never be due again
        if isinstance(box, bool) or not isinstance(box, int) or not 1 <= box <= LEITNER_BOXES:
            raise ValueError(f"boxes[{cid!r}]={box!r} is not allowed: a Leitner box is 1..{LEITNER_BOXES}.")
    due = set(due_boxes(round_number))
    chosen = [cid for cid in card_ids if box_of[cid] in due]
    if not chosen and card_ids:
        lowest = min(box_of.values())
        chosen = [cid for cid in card_ids if box_of[cid] == lowest]
    rng.shuffle(chosen)
    return sorted(chosen, key=lambda cid: box_of[cid])  # stable: keeps the shuffle within a box


def requeue(queue: list[str], knew: bool, gap: int = RETRY_GAP) -> list[str]:
    """The queue after answering its first card: a known card leaves; a missed one returns after ``gap`` cards."""
    if not queue:
        raise ValueError("queue=[] is not allowed: there is no card to answer.")
    card, rest = queue[0], list(queue[1:])
    if not knew:
        rest.insert(min(gap, len(rest)), card)
    return rest
