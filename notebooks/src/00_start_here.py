# Notebook 0 of "BERT, part two". Built into notebooks/00_start_here.ipynb by scripts/build_notebooks.py.

# %% [markdown]
# # BERT, part two: pre-training objectives and the pre-train-then-fine-tune workflow
#
# **Start here.** This notebook is the map of the course.
#
# ## What you will do and learn here
#
# - See **what the course covers and in what order**: short notebooks, each built around experiments
#   you run yourself on a small BERT that trains on a laptop CPU in minutes.
# - Recap in two minutes what **part one** (the encoder) gave us, because everything here builds on it.
# - Learn **how the widgets work**: quizzes that give feedback at once, self-checks, flashcards.
# - Run an **environment check**: versions, CPU or GPU, and where your progress is saved.
# - See your **progress** so far as a plot (it grows as you answer questions and practise cards).

# %% [markdown]
# ## The course in one picture
#
# Part one built the **encoder**: a stack of self-attention blocks in which every token looks at every
# other token. This part asks two questions about it:
#
# 1. **How do you train it?** A decoder such as GPT learns by predicting the next token. An encoder sees
#    the whole input at once, so that task would be trivial. BERT needed new objectives:
#    **masked language modelling (MLM)** and **next sentence prediction (NSP)**.
# 2. **How do you use it?** Pre-train once on a lot of unlabeled text, then **fine-tune** with a small
#    task-specific head on a few hundred labeled examples. The head decides the task.
#
# | notebook | what you do |
# |---|---|
# | **0. Start here** (this one) | course map, widgets, environment check, progress |
# | **1. Why not next-token prediction?** | draw causal and bidirectional attention masks; watch a bidirectional model "learn" next-token prediction by copying |
# | **2. Masked language modelling** | mask sentences yourself and write the masking in code; check the 80/10/10 mix; see why the loss is computed at selected positions only; measure what always-[MASK] breaks, on held-out text and after fine-tuning |
# | **3. Next sentence prediction** | build sentence pairs; read the `[CLS] A [SEP] B [SEP]` layout and its segment ids; see the three embeddings add up; meet the NSP head on [CLS] |
# | **4. Pre-training** | pre-train MLM + NSP live, the whole preset, to its targets; how pair length trades one objective against the other; why the course reuses checkpoints |
# | **4a. Inside a pre-trained model** | fill in blanks; look at attention and at the word embeddings |
# | **4b. Sentence objectives** | NSP, SOP (ALBERT) or none: what each sentence head learns, and what each gives after fine-tuning on pair tasks |
# | **4c, 4d. Sentence objectives after fine-tuning** | the NSP, SOP and no-sentence-objective encoders fine-tuned on paraphrase (4c) and on QA (4d), three seeds each, beside BERT, RoBERTa and ALBERT |
# | **4e. BERT at real scale** | our small model beside BERT-base and BERT-large: corpus, size, schedule, hardware, FLOPs; what pre-training costs next to fine-tuning; contextual vectors |
# | **5. Fine-tuning heads** | one encoder, several heads, several tasks; frozen versus end to end; pre-trained versus from scratch with few labels |
# | **5b. Sub-words in fine-tuning** | word labels on word pieces, answer spans from character offsets, truncation, decoding the best span |
# | **6. Self-check** | six open questions, the pick-the-head exercise and a scored quiz |
# | **7. Flashcards** | twelve cards to flip and practise, and a printable PDF |
#
# Work through them in order: each notebook ends with a short summary and a pointer to the next one.
# Each one runs top to bottom (*Kernel → Restart Kernel and Run All Cells*) in under two minutes on a
# laptop. Some experiments start with a **prediction**: choose what you expect before you run it, and
# the notebook puts your choice next to the result afterwards.

# %% [markdown]
# ## A two-minute recap of part one: the encoder
#
# BERT's encoder turns a sequence of token ids into one vector per position:
#
# 1. **embeddings**: each position's input vector is the sum of a *token* embedding (which word),
#    a *position* embedding (where in the sequence) and a *segment* embedding (first or second
#    sentence), followed by LayerNorm;
# 2. **encoder blocks**: each block applies multi-head self-attention, in which every position
#    attends to **every** position (no causal mask), then a feed-forward layer, each wrapped in a
#    residual connection and LayerNorm;
# 3. the output is a matrix of shape *(sequence length, hidden size)*: one contextual vector per input
#    token. The first position holds the special `[CLS]` token, whose output is often used to
#    represent the whole input.
#
# The course's encoder lives in `helpers/modeling/bert.py`, with the same parameter names as Hugging Face
# `transformers`. Here is a small one, freshly initialised, reading one sentence:

# %%
import torch

from helpers.modeling.bert import BertConfig, BertModel, count_parameters

torch.manual_seed(0)
config = BertConfig(vocab_size=1000, hidden_size=128, num_hidden_layers=2, num_attention_heads=2,
                    intermediate_size=512, max_position_embeddings=64)
encoder = BertModel(config).eval()

input_ids = torch.tensor([[2, 17, 250, 31, 99, 8, 40, 17, 612, 9, 3]])  # [CLS] ... [SEP]: 11 positions
with torch.no_grad():
    output = encoder(input_ids)
print("input ids:         ", tuple(input_ids.shape), "(batch, positions)")
print("last_hidden_state: ", tuple(output.last_hidden_state.shape), "(batch, positions, hidden size)")
print("pooler_output:     ", tuple(output.pooler_output.shape), "(batch, hidden size), from the [CLS] position")
print(f"parameters:         {count_parameters(encoder):,}")

# %% [markdown]
# One vector per position comes out. Everything in this course is about **what we ask those vectors to
# predict**: during pre-training (MLM and NSP heads) and during fine-tuning (a small task head).

# %% [markdown]
# ## How the widgets work
#
# The notebooks contain three kinds of interactive exercises (they need a running kernel: run the cell
# first):
#
# - **Multiple choice.** Click an answer (or press Tab to move between buttons and Enter to choose).
#   Every choice has its own feedback; if you were wrong, read the feedback and try again.
#   A quiz keeps a running score; the score counts your *first* answer to each question.
# - **Self-check.** An open question: think or type your answer first, then press *Reveal* to compare
#   it with a model answer, and mark yourself *got it* or *not yet*.
# - **Flashcards** (notebook 7): flip a card, say whether you knew it, and cards you miss come back
#   sooner (Leitner boxes).
#
# Your answers are saved in a small file on your computer (see the environment check below), so your
# progress survives restarts. Try one question now:

# %%
from helpers.course.content import load_quiz
from helpers.course.quiz import Quiz

Quiz([q for q in load_quiz("next_token") if q.id == "attention-no-causal-mask"], title="Try a question")

# %% [markdown]
# If you open a saved copy of a notebook without a kernel (on GitHub, say), the widgets cannot run.
# You still see every question, with its answer folded away under *Show the answer*.

# %% [markdown]
# ## Environment check
#
# The course needs Python 3.11, PyTorch 2 and a few libraries; no GPU, and no internet access once
# installed. The next cell prints what you have, whether a GPU is available (it is never required) and
# where your progress file lives. You can move the file by setting the environment variable
# `BERT_COURSE_PROGRESS` to another path before starting Jupyter.

# %%
# NBVAL_IGNORE_OUTPUT
import os
import platform
import tempfile
from pathlib import Path

import ipywidgets
import matplotlib
import numpy

from helpers.course.progress import ENV_VAR, progress_path

threads = torch.get_num_threads()
print(f"Python      {platform.python_version()}")
print(f"PyTorch     {torch.__version__}")
print(f"NumPy       {numpy.__version__}")
print(f"matplotlib  {matplotlib.__version__}")
print(f"ipywidgets  {ipywidgets.__version__}")
print(f"CPU cores   {os.cpu_count()} (PyTorch uses {threads} thread{'' if threads == 1 else 's'})")
if torch.cuda.is_available():
    print(f"GPU         {torch.cuda.get_device_name(0)} (not needed: the course runs on the CPU)")
else:
    print("GPU         none found: that is fine, the course runs on the CPU")
where = progress_path()
if Path(tempfile.gettempdir()) in where.parents:  # building or testing the notebooks: a scratch file
    print(f"progress    a temporary file (${ENV_VAR} points there while the notebooks are built or tested)")
else:
    shown = f"~/{where.relative_to(Path.home())}" if Path.home() in where.parents else str(where)
    print(f"progress    {shown}" + (f"  (set by ${ENV_VAR})" if os.environ.get(ENV_VAR) else ""))

# %%
import sys

assert sys.version_info >= (3, 11), "the course needs Python 3.11 or newer"
assert int(torch.__version__.split(".")[0]) >= 2, "the course needs PyTorch 2"
print("Environment OK.")

# %% [markdown]
# ## Your progress
#
# The plot shows, per notebook, how many quiz questions you have answered and how many you got right at
# the first try, how your flashcards are spread over the Leitner boxes (box 1 = still learning,
# box 5 = known well), and which of the five coding exercises (in notebooks 2, 3 and 5) you have tried
# and passed. Come back to this notebook and re-run the cell whenever you like.

# %%
# NBVAL_IGNORE_OUTPUT
from helpers.course.exercises import EXERCISES
from helpers.course.plots import plot_progress
from helpers.course.progress import progress_summary

summary = progress_summary()
answered = sum(t["answered"] for t in summary["topics"].values())
questions = sum(t["questions"] for t in summary["topics"].values())
passed = sum(1 for e in summary["exercises"].values() if e["passed"])
print(f"{answered} of {questions} questions answered; {summary['cards_reviewed']} flashcards reviewed; "
      f"{passed} of {len(EXERCISES)} coding exercises passed.")
fig = plot_progress(summary, exercises=EXERCISES.values())

# %% [markdown]
# ## Summary
#
# - The course runs from the problem (1) through the two pre-training objectives (2, 3), pre-training
#   itself, its sentence objectives and its real scale (4, 4a-4e), and fine-tuning with its sub-word details (5, 5b), to practice
#   (6, 7).
# - Part one's encoder gives one vector per position; this part is about what those vectors are trained
#   to predict and how they are reused.
# - Quizzes give feedback per answer and keep a score; your progress is saved locally and shown above.
#
# **Next:** [1. Why not next-token prediction?](01_why_not_next_token.ipynb), where you will see why a
# model that sees everything cannot learn by predicting the next word.
