# Notebook 6 of "BERT, part two". Built into notebooks/06_self_check.ipynb by scripts/build_notebooks.py.

# %% [markdown]
# # 6. Self-check and practice
#
# Time to find out what stuck, and whether you can use it on problems the notebooks did not show.
# Nothing here trains a model: this notebook is for you.
#
# ## What you will do and learn
#
# - Answer the **six self-check questions** in your own words, then reveal a model answer and mark
#   yourself honestly ("got it" / "not yet").
# - Do the **pick-the-head exercise**: eight fine-tuning tasks, each needing a head on the `[CLS]`
#   output or on the per-token outputs.
# - Apply the ideas to **ten new situations**: heads for tasks the course did not train, masking schemes
#   it did not use, a training curve that looks too good.
# - Finish with a **review round** of the questions you missed before, anywhere in the course.
#
# Your answers are saved (see notebook 0 for where), and the progress plot in notebook 0 counts them.
# Run this notebook again another day: each question says whether you got it right last time, but not
# what you answered, so you answer from memory first. Retrieval is what makes it stick; re-reading does
# much less.

# %% [markdown]
# ## Part 1: six self-check questions
#
# For each question, think through (or type) a full answer, the kind you would give a colleague
# at a whiteboard. Then press *Reveal* and compare. Mark *got it* only if your answer had the key points.

# %%
from helpers.course.quiz import self_check

self_check(remember="hide")

# %% [markdown]
# ## Part 2: pick the right fine-tuning head
#
# The rule from notebook 5: **one label for the whole input → a head on the `[CLS]` output; a label
# (or a score) for every token → a head on each token's output.** Eight tasks, four of each kind.
# Choose, then read the feedback: it also says what shape the head has.

# %%
from helpers.course.quiz import pick_the_head

pick_the_head(remember="hide")

# %% [markdown]
# ## Part 3: the ideas in new situations
#
# None of these ten questions appears in another notebook. Each one takes an idea of the course (the
# head follows the label, the target must stay hidden, `[MASK]` belongs to pre-training, pre-train once)
# and puts it somewhere new. The choices come in an order of your own, the same every time you run the
# notebook; the score counts your **first** answer to each question, and you can retry a wrong one to
# read the feedback of the right one.

# %%
from helpers.course.quiz import quiz

quiz("practice", title="Practice: the ideas in new situations", remember="hide")

# %% [markdown]
# ## Part 4: review round
#
# The questions of the whole course, from notebook 0 to here, that you answered wrongly the last time
# you met them (for a self-check: that you marked "not yet"). Answer one right at the first try and it
# leaves the list; press *Refresh* after answering more above.

# %%
from helpers.course.quiz import review_round

review_round()

# %% [markdown]
# ## Summary
#
# - The six self-check questions cover the core path: why not next-token prediction, MLM and its
#   80/10/10 mix, NSP, the two stages of the workflow, the same sentence in both stages, and how to choose
#   a head.
# - Choosing a head is one question, whatever the task: is the label about the whole input (`[CLS]`:
#   a class, a score, or one score per candidate pair) or about each token (tags, or start and end
#   scores for a span)? Two kinds of label on one input means two heads on one encoder.
# - A pre-training objective teaches something only if its target is hidden from the input and its
#   negatives cannot be told apart by a shortcut.
# - The review round keeps what you missed in front of you until you get it right the first time.
#
# **Next:** [7. Flashcards](07_flashcards.ipynb): the course on twelve cards, to practise over the coming
# days.
