# Notebook 6 of "BERT, part two". Built into notebooks/06_self_check.ipynb by scripts/build_notebooks.py.

# %% [markdown]
# # 6. Self-check
#
# Time to find out what stuck. Nothing here trains a model: this notebook is for you.
#
# ## What you will do and learn
#
# - Answer the **six self-check questions** in your own words, then reveal a model answer and mark
#   yourself honestly ("got it" / "not yet").
# - Do the **pick-the-head exercise**: five fine-tuning tasks, each needing either a head on the `[CLS]`
#   output or per-token outputs.
# - Take the **quiz on the facts** of the whole course, with a score at the end.
#
# Your answers are saved (see notebook 0 for where), and your progress plot in notebook 0 shows them.
# Tip: answer first, without scrolling back. Retrieval is what makes it stick; re-reading does much less.

# %% [markdown]
# ## Part 1: six self-check questions
#
# For each question, think through (or type) a full answer, the kind you would give a colleague
# at a whiteboard. Then press *Reveal* and compare. Mark *got it* only if your answer had the key points.

# %%
from helpers.course.quiz import self_check

self_check()

# %% [markdown]
# ## Part 2: pick the right fine-tuning head
#
# The rule from notebook 5: **one label for the whole input → a head on the `[CLS]` output; a label
# (or a score) for every token → a head on each token's output.** For each task, choose, then read the
# feedback: it also says what shape the head has.

# %%
from helpers.course.quiz import pick_the_head

pick_the_head()

# %% [markdown]
# ## Part 3: the quiz on the facts
#
# Every multiple-choice question of the course, from notebook 1 to notebook 5b, in one quiz. The score
# counts your **first** answer to each question; you can retry wrong answers to read the feedback of the
# right one.

# %%
from helpers.course.content import load_quiz
from helpers.course.quiz import Quiz

questions = load_quiz(kind="multiple_choice")
print(f"{len(questions)} questions")
Quiz(questions, title="Quiz: BERT, part two")

# %% [markdown]
# ## Summary
#
# - The six self-check questions cover the whole course: why not next-token prediction, MLM and its
#   80/10/10 mix, NSP, the two stages of the workflow, the same sentence in both stages, and how to choose
#   a head.
# - Choosing a head is one question: is the label about the whole input (`[CLS]`) or about each token
#   (per-token outputs, or start/end scores for spans)?
# - Questions you missed: go back to the notebook named in their topic, then try again here; the
#   score and the progress plot in notebook 0 update as you go.
#
# **Next:** [7. Flashcards](07_flashcards.ipynb): the course on twelve cards, to practise over the coming
# days.
