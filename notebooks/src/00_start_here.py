# Notebook 0 of "BERT, part two". Built into notebooks/00_start_here.ipynb by scripts/build_notebooks.py.

# %% [markdown]
# # BERT, part two: pre-training objectives and the pre-train-then-fine-tune workflow
#
# **Start here.** This notebook is the map of the course.
#
# ## What you will do and learn here
#
# - See **the core path and the optional deep dives**: short notebooks built around experiments you run
#   yourself on a small BERT that trains on a laptop CPU.
# - Recap **part one** (the encoder) in two minutes.
# - Learn **how the widgets work**, and try one.
# - Run an **environment check**, and see your **progress** so far.

# %% [markdown]
# ## The course in one picture
#
# Part one built the **encoder**, in which every token attends to every other token. This part asks two
# questions about it. **How do you train it?** Predicting the next token is trivial for a model that sees
# the whole input, so BERT needed new objectives: **masked language modelling (MLM)** and **next
# sentence prediction (NSP)**. **How do you use it?** Pre-train once on lots of unlabeled text, then
# **fine-tune** a small task-specific head on a few hundred labeled examples: the head decides the task.
#
# **The core path**, in this order:
#
# - **0. Start here**: this map, the widgets, an environment check, your progress.
# - [**1. Why not next-token prediction?**](01_why_not_next_token.ipynb) Causal versus bidirectional
#   attention; a bidirectional model "learns" next-token prediction by copying.
# - [**2. Masked language modelling**](02_masked_language_modelling.ipynb) Mask sentences, write the
#   masking and the loss yourself, measure the 80/10/10 mix and what always-`[MASK]` breaks.
# - [**3. Next sentence prediction**](03_next_sentence_prediction.ipynb) Sentence pairs, the
#   `[CLS] A [SEP] B [SEP]` layout with segment ids, the NSP head.
# - [**4. Pre-training**](04_pretraining.ipynb) Pre-train MLM + NSP live and read the curves; pre-train
#   once, reuse.
# - [**5. Fine-tuning heads**](05_fine_tuning_heads.ipynb) One encoder, several heads and tasks; frozen
#   versus end to end; pre-trained versus from scratch.
# - [**6. Self-check**](06_self_check.ipynb) Practice: self-check questions, pick the head, new
#   questions, a review of what you missed.
# - [**7. Flashcards**](07_flashcards.ipynb) Twelve cards to practise over the next days.
#
# **Optional deep dives**, each after the core notebook it builds on:
#
# - [**4a. Inside a pre-trained model**](04a_inside_a_pretrained_model.ipynb) (after 4): fill in blanks,
#   look at attention and at word embeddings.
# - [**5a. Sub-words in fine-tuning**](05a_subwords_in_fine_tuning.ipynb) (after 5): word labels on word
#   pieces, answer spans from character offsets.
# - [**5b. BERT at real scale**](05b_bert_at_real_scale.ipynb) (after 5): our model beside BERT-base and
#   BERT-large; what pre-training costs next to fine-tuning.
# - [**5c. Pre-training choices downstream**](05c_pretraining_choices_downstream.ipynb) (after 5):
#   80/10/10 or always-`[MASK]`; NSP, SOP or none: what each changes after fine-tuning.
#
# Each notebook ends with a summary and a link to the next core one, and runs top to bottom (*Kernel →
# Restart Kernel and Run All Cells*) in under two minutes on a laptop. Some experiments start with a
# **prediction**: choose what you expect, and the notebook sets your choice beside the result.

# %% [markdown]
# ## A two-minute recap of part one: the encoder
#
# BERT's encoder turns token ids into one vector per position:
#
# 1. **embeddings**: each position's input is the sum of a *token*, a *position* and a *segment*
#    embedding (which word, where, which sentence), then LayerNorm;
# 2. **encoder blocks**: multi-head self-attention, in which every position attends to **every** position
#    (no causal mask), then a feed-forward layer, each with a residual connection and LayerNorm;
# 3. the **output**: one contextual vector per token. The first position holds the special `[CLS]`
#    token, whose output often stands for the whole input.
#
# The course's encoder (`helpers/modeling/bert.py`) uses Hugging Face's parameter names. Here is a small,
# freshly initialised one reading one sentence:

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
# One vector per position comes out. This course is about **what those vectors are asked to predict**:
# in pre-training (MLM and NSP heads) and in fine-tuning (a small task head).

# %% [markdown]
# ## How the widgets work
#
# Run a widget's cell first: they need a running kernel.
#
# - **Multiple choice**: click an answer (or Tab to it and press Enter) and read its feedback; if you
#   were wrong, try again. A quiz keeps a running score.
# - **Self-check**: think or type your answer to an open question, press *Reveal* to compare it with a
#   model answer, and mark yourself *got it* or *not yet*.
# - **Flashcards** (notebook 7): flip a card and say whether you knew it; missed cards come back sooner.
#
# Your answers are saved in a small file on your computer, so your progress survives restarts. Try one
# question now, about the score itself:

# %%
from helpers.course.quiz import quiz

quiz("start", title="Try a question")

# %% [markdown]
# Without a kernel (a saved copy on GitHub, say) the widgets cannot run; you still see every question,
# with its answer folded away under *Show the answer*.

# %% [markdown]
# ## Environment check
#
# The course needs Python 3.11, PyTorch 2 and a few libraries; no GPU, and no internet once installed.
# The next cell prints what you have and where your progress file lives (to move it, set the environment
# variable `BERT_COURSE_PROGRESS` to another path before starting Jupyter).

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
# the first try, how your flashcards are spread over the Leitner boxes (box 1 = still learning, box 5 =
# known well), and which coding exercises you have tried and passed. Re-run the cell whenever you like.

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
# - The core path runs from the problem (1) through the two objectives (2, 3) and pre-training (4) to
#   fine-tuning (5) and practice (6, 7); the optional deep dives (4a, 5a-5c) go further.
# - Part one's encoder gives one vector per position; this part is about what those vectors are trained
#   to predict and how they are reused.
# - Quizzes give feedback per answer and keep a score; your progress is saved locally and shown above.
#
# **Next:** [1. Why not next-token prediction?](01_why_not_next_token.ipynb), where you will see why a
# model that sees everything cannot learn by predicting the next word.
