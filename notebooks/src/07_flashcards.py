# Notebook 7 of "BERT, part two". Built into notebooks/07_flashcards.ipynb by scripts/build_notebooks.py.

# %% [markdown]
# # 7. Flashcards
#
# The whole course on twelve cards, to come back to over the next days: spaced practice keeps what you
# learnt long after a single read.
#
# ## What you will do and learn
#
# - **Browse** the deck: flip each card, move back and forth, shuffle.
# - **Practise** with Leitner boxes: say whether you knew each answer. Cards you knew move up a box and
#   come back less often; cards you missed go back to box 1 and come back in the same round.
# - **Print** the deck: one card side per page, each question followed by its answer, ready for
#   double-sided printing.

# %% [markdown]
# ## The deck
#
# Press *Flip* to see the answer, *Next* / *Previous* to move, *Shuffle* to mix the order. Switch to
# *Practice* to start a round: after flipping, press *Knew it* or *Not yet*. Your boxes are saved, so
# the next round (today or next week) starts from where you left off.

# %%
from helpers.course.content import load_deck
from helpers.course.flashcards import FlashcardDeck

cards = load_deck()
print(f"{len(cards)} cards:")
for number, card in enumerate(cards, 1):
    print(f"{number:2d}. {card.topic}")

# %%
# NBVAL_IGNORE_OUTPUT
FlashcardDeck(cards, seed=0)

# %% [markdown]
# ### How the boxes schedule your practice
#
# Every card starts in box 1. *Knew it* moves a card up one box (up to box 5); *Not yet* sends it back to
# box 1. Box *b* is due every 2<sup>b−1</sup> rounds: box 1 every round, box 2 every second round, box 3
# every fourth round, and so on. Here is which boxes a few successive rounds ask about:

# %%
from helpers.course.flashcards import due_boxes

for round_number in range(1, 9):
    print(f"round {round_number}: boxes {due_boxes(round_number)}")

# %% [markdown]
# ## Print the cards
#
# The button writes `flashcards/flashcards.pdf` (A4; one card side per page, the question page of each
# card followed by its answer page, so double-sided printing puts each answer on the back of its
# question) and an HTML print view next to it. From a terminal, the same:
#
# ```
# python -m helpers.course.flashcards print --paper a4        # or letter, or a6
# python -m helpers.course.flashcards print --fronts-only     # questions only
# ```

# %%
from helpers.course.flashcards import PrintButton

PrintButton()

# %% [markdown]
# ## Summary
#
# - Twelve cards cover the course: why BERT could not use next-token prediction, MLM and its 80/10/10
#   mix, NSP, the two stages of the workflow and why they pay off, choosing a head, and three pitfalls.
# - Practise a little on several days rather than a lot once: the Leitner boxes bring back what you miss.
#
# ## Where next
#
# That is the end of part two. In one sentence: **bidirectional attention forced BERT to find new
# objectives (MLM, with a deliberate 80/10/10 mix, and NSP); pre-train once, fine-tune many times; read
# `[CLS]` for whole-input labels and per-token outputs for spans and tags.**
#
# The next lesson in the series is **RoBERTa**, which kept BERT's architecture but changed the recipe:
# no NSP, dynamic masking, much more data and much longer training. You have met two of its ideas
# already: its NSP result in notebook 3, and the fresh masking for every batch of this course's
# pre-training loop (notebook 4).
#
# Back to the [start](00_start_here.ipynb) to see your progress plot.
