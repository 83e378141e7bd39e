# Notebook 2 of "BERT, part two". Built into notebooks/02_masked_language_modelling.ipynb by scripts/build_notebooks.py.

# %% [markdown]
# # 2. Masked language modelling (MLM)
#
# An encoder sees its whole input, so it cannot learn by predicting the next token (notebook 1). BERT's
# answer is to **hide some tokens in the input** and ask for the originals: masked language modelling,
# its main pre-training objective.
#
# ## What you will do and learn
#
# - The recipe: select about **15%** of the ordinary tokens (never `[CLS]`, `[SEP]` or padding); replace
#   each by `[MASK]` **80%** of the time, by a **random** token 10%, leave it **unchanged** 10%; predict
#   the **original** token at every selected position.
# - **Mask sentences yourself** with a widget, and **measure** the 80/10/10 split over 5,000 sentences.
# - **Write** the masking and the MLM loss yourself, checked on the spot.
# - See **why the loss is computed at the selected positions only**.
# - **Measure** why the mix exists: an 80/10/10 and an always-`[MASK]` checkpoint, position by position.
# - Work through part a of the "trace the training loop" exercise.

# %%
import torch

from helpers.modeling.checkpoints import course_checkpoint_path
from helpers.modeling.checkpoints import load_checkpoint

torch.manual_seed(0)
course = load_checkpoint(course_checkpoint_path())  # the shipped pre-trained model (notebook 4 makes one)
tokenizer, model = course.tokenizer, course.model
print(tokenizer)

# %% [markdown]
# The course's WordPiece tokenizer comes with its pre-trained model (notebook 4 says where both come
# from). Special tokens have fixed ids: `[PAD]`=0, `[UNK]`=1, `[CLS]`=2, `[SEP]`=3, `[MASK]`=4.

# %%
sentence = "the small dog barks at the mailman."
encoded = tokenizer.encode_pair(sentence)
print("tokens:             ", tokenizer.convert_ids_to_tokens(encoded["input_ids"]))
print("input_ids:          ", encoded["input_ids"])
print("special_tokens_mask:", encoded["special_tokens_mask"], " (1 = structural: never selected)")

# %% [markdown]
# ## The recipe
#
# `helpers.objectives.mlm.mask_tokens` corrupts a whole batch in three steps:
#
# 1. **Select.** Each ordinary position is selected with probability 0.15; structural tokens never are
#    (predicting `[CLS]` or `[SEP]` teaches nothing: the input layout fixes their place).
# 2. **Corrupt.** One uniform draw per selected position decides: below 0.8 → `[MASK]`, from 0.8 to 0.9
#    → a random token, above 0.9 → unchanged.
# 3. **Label.** The labels hold the original id at *every* selected position, whichever of the three
#    happened, and -100 (ignored by the loss) everywhere else.
#
# Here are two sentences masked with a fixed seed. At 15% a sentence this short gets only one or two
# selections, so this demonstration uses 50% to show all three outcomes at once.

# %%
from IPython.display import HTML

from helpers.course.demos import mask_sentence, masking_html

example = mask_sentence(tokenizer, "this teddy bear is so cute. the small dog barks at the mailman.",
                        mlm_probability=0.5, seed=3)
HTML(masking_html(example))

# %% [markdown]
# Now try it yourself: type a sentence, move the rate, change the seed. At 15%, how many tokens does a
# short sentence get, and a long one? Can `[CLS]` or `[SEP]` ever be selected? Find a seed where a
# selected token stays unchanged: the input looks untouched there, yet the labels row still asks for a
# prediction.

# %%
# NBVAL_IGNORE_OUTPUT
from helpers.course.demos import masking_widget

masking_widget(tokenizer, "this teddy bear is so cute.")

# %% [markdown]
# ## Is it really 80/10/10?
#
# One sentence shows the idea; the proportions only show over many. We mask 5,000 storybook sentences
# with the standard settings and count.

# %%
from helpers.text.corpus import make_storybook
from helpers.course.demos import count_operations

documents = make_storybook(num_documents=600, seed=0)
sentences = [s for doc in documents for s in doc][:5000]
counts = count_operations(tokenizer, sentences, seed=0)
selected = counts["selected"]
print(f"sentences: {len(sentences)}, ordinary tokens: {counts['candidates']}, "
      f"selected: {selected} ({selected / counts['candidates']:.1%})")
for op in ("mask", "random", "keep"):
    print(f"  {op:6s} {counts[op]:5d}  ({counts[op] / selected:.1%} of selected)")

# %%
# NBVAL_IGNORE_OUTPUT
from helpers.course.plots import plot_operation_split

fig = plot_operation_split(counts, title="The 80/10/10 mix, measured over 5,000 sentences")

# %% [markdown]
# About 15% of the ordinary tokens are selected, and of those about 80% / 10% / 10% are masked,
# randomised and kept. (The course never draws a special token as a random replacement; Google's code
# and Hugging Face's collator may, which changes little.)

# %% [markdown]
# ## Your turn: write the masking yourself
#
# Two short functions, each followed by a check cell that tests your code and says, for every rule your
# function breaks, what it did and what is required.
#
# **Exercise 1: choose the positions to predict.** Given the `special_tokens_mask` of a batch (1 on
# `[CLS]`, `[SEP]` and `[PAD]`), return a True/False tensor of the same shape that is True at about
# `mlm_probability` of the ordinary tokens, chosen at random, and never at a special token. Draw your
# random numbers from `generator` (pass `generator=generator` to `torch.rand`), so a seed reproduces the
# selection. Replace the `raise` line with your code, run the cell, then run the check below it.

# %%
import torch


def choose_positions(special_tokens_mask, *, mlm_probability=0.15, generator=None):
    """Return a bool tensor shaped like special_tokens_mask: True at the positions to predict.

    special_tokens_mask: (batch, seq) LongTensor, 1 at [CLS], [SEP], [PAD] (never selected), 0 elsewhere.
    mlm_probability: the fraction of ordinary tokens to select (BERT: 0.15).
    generator: a torch.Generator; draw every random number from it.
    """
    raise NotImplementedError("your code here")

# %%
from helpers.course.exercises import check_choose_positions

check_choose_positions(choose_positions)

# %% [markdown]
# **Exercise 2: corrupt the selected tokens and make the labels.** Given the token ids and your
# selection, return two new tensors:
#
# - `corrupted_input_ids`: at each selected position, `[MASK]` (`mask_token_id`) with probability 0.8, a
#   random token id from `0 .. vocab_size - 1` with probability 0.1, the original token otherwise;
#   unselected positions unchanged;
# - `labels`: the **original** token id at every selected position and -100 (`IGNORE_INDEX`) everywhere
#   else.
#
# Leave `input_ids` itself unchanged (work on a copy, `input_ids.clone()`), and draw every random number
# from `generator`.

# %%
from helpers.constants import IGNORE_INDEX


def corrupt(input_ids, selected, *, vocab_size, mask_token_id, generator=None):
    """Return (corrupted_input_ids, labels), two LongTensors shaped like input_ids.

    input_ids: (batch, seq) LongTensor of token ids; do not change it.
    selected: (batch, seq) bool tensor, True at the positions to predict (from choose_positions).
    vocab_size, mask_token_id: the vocabulary size and the id of [MASK].
    generator: a torch.Generator; draw every random number from it.
    """
    raise NotImplementedError("your code here")

# %%
from helpers.course.exercises import check_corrupt

check_corrupt(corrupt)

# %% [markdown]
# **The course's version, to compare with yours.** The working part of `mask_tokens` (the lines before
# it check the arguments): `candidate = ~special` keeps structural tokens out, one draw per position
# picks the operation, and the labels are set at every selected position. It is a solution to both
# exercises, so it stays folded until your checks pass or you reveal a solution; then run this cell again.

# %%
# NBVAL_IGNORE_OUTPUT
from helpers.course.exercises import course_version
from helpers.objectives.mlm import mask_tokens

course_version("mlm-corrupt", mask_tokens, start="# ---- 1. select")

# %% [markdown]
# ### The payoff: pre-train a BERT with your masking
#
# Your two functions together do the job of `mask_tokens`, so they can replace it in the real
# pre-training loop. The cell below joins them into the `mask_fn` that `pretrain` accepts
# (`helpers.course.exercises.as_mask_fn`) and pre-trains a small BERT with MLM only for 800 steps on
# pairs of up to 32 tokens, measuring held-out MLM accuracy every 100 steps. Until both functions pass
# their checks it uses the reference solution in their place and says so; once they pass, run it again.
#
# Beside your curve the plot draws curves measured once, with exactly the same settings, for the
# course's `mask_tokens` and for four maskings with a mistake that learners make (the checks above catch
# each of them), and a flat line: the accuracy of always guessing the most common word. Predict before
# you run it: which mistakes will show in the curve, and which will not?

# %%
# NBVAL_IGNORE_OUTPUT
from helpers.course.exercises import pretrain_with_your_masking
from helpers.course.plots import plot_training_curves

payoff = pretrain_with_your_masking(choose_positions, corrupt)
print(payoff.message)
print(f"This run: {payoff.seconds:.0f} s. The other curves: {payoff.stored}")
for name, accuracy in payoff.accuracy.items():
    print(f"  {accuracy:6.1%}  {name}")
print(f"  {payoff.frequency_baseline:6.1%}  always the most common word")
fig = plot_training_curves(payoff.accuracy_curves, steps=payoff.steps, ylabel="held-out MLM accuracy",
                           title="Held-out MLM accuracy at the selected positions: your masking and others",
                           baselines={"always the most common word": payoff.frequency_baseline},
                           legend_outside=True)

# %% [markdown]
# What the curves say:
#
# - **A correct masking learns**: yours (or the stand-in) and the course's rise together, far above the
#   most-common-word line; they differ only in the random draws.
# - **Labels that are the corrupted tokens** (labels built from the corrupted copy) stay flat, below the
#   most-common-word line: at a `[MASK]` the "answer" it is trained on is `[MASK]` itself, so it learns
#   to copy its input, which is right only where the token was kept.
# - **Inputs left uncorrupted** (labels set, tokens never replaced) stay flat there too: during training
#   the answer is always visible, so the model copies; on held-out text, where the answer is hidden, it
#   has learnt nothing to fall back on, not even the most common word.
# - **Two mistakes do not show here.** The 80/10/10 choice drawn once per sequence instead of once per
#   token trains about as well on this measure, and labels on *every* token even score higher in so
#   short a run (every position gives a gradient). A curve cannot catch them; the checks can. The first
#   makes whole sequences all-`[MASK]` or all-visible, which is not the recipe; the second is the next
#   section's subject.
#
# (Only a masking that passes the checks is used: one that selects `[PAD]` asks for predictions at
# padding, and the model refuses such a batch.)

# %% [markdown]
# ### Stretch A (optional): Google's fixed-count selection
#
# Google's `create_pretraining_data.py` does not flip a coin per token: it picks **exactly**
# `min(max_predictions, max(1, round(mlm_probability * n)))` positions in each sequence, `n` being the
# sequence's real tokens (`[CLS]` and `[SEP]` included, `[PAD]` not), never a special token. Write that
# selection, with every random number drawn from `generator`. Skip it freely: nothing later needs it.

# %%
def choose_fixed_count(special_tokens_mask, attention_mask, *, mlm_probability=0.15, max_predictions=20,
                       generator=None):
    """Return a bool tensor shaped like special_tokens_mask with exactly the fixed count of True per row.

    special_tokens_mask: (batch, seq) LongTensor, 1 at [CLS], [SEP], [PAD]; attention_mask: 1 at real tokens.
    """
    raise NotImplementedError("your code here")

# %%
from helpers.course.exercises import check_fixed_count

check_fixed_count(choose_fixed_count)

# %% [markdown]
# ## Why the loss is computed at the selected positions only
#
# At an **unselected** position the input token *is* the answer: predicting it is notebook 1's copying
# task again, solved at once and teaching nothing. Only at the selected positions is there something to
# infer. We mask held-out sentences and measure the pre-trained model at both kinds of position.

# %%
# NBVAL_IGNORE_OUTPUT
held_out = [s for doc in make_storybook(num_documents=60, seed=999) for s in doc][:256]
batch = tokenizer.encode_batch(held_out, max_length=64)
masked = mask_tokens(batch["input_ids"], batch["special_tokens_mask"], vocab_size=tokenizer.vocab_size,
                     mask_token_id=tokenizer.mask_token_id, generator=0)
with torch.no_grad():
    logits = model(masked.input_ids, token_type_ids=batch["token_type_ids"],
                   attention_mask=batch["attention_mask"]).prediction_logits
predicted = logits.argmax(-1)
ordinary = batch["special_tokens_mask"] == 0
selected = masked.labels != -100
unselected = ordinary & ~selected
print(f"unselected positions: {int(unselected.sum()):5d}, accuracy "
      f"{(predicted == batch['input_ids'])[unselected].float().mean():.1%}  (the answer is in the input)")
print(f"selected positions:   {int(selected.sum()):5d}, accuracy "
      f"{(predicted == masked.labels)[selected].float().mean():.1%}  (the answer must be inferred)")

# %% [markdown]
# The model gets almost every unselected token right, although those positions were never in the loss:
# the residual connections carry each token's identity through, and the kept 10% taught it that a
# visible token is usually the right one. Training there spends compute on a solved problem: the
# vocabulary-sized output layer would run at every position instead of at about 15% of them. It need not
# hurt learning (the payoff's labels-on-every-token run did fine at `[MASK]` positions), but BERT's recipe
# puts the loss where there is something to infer, and the gathering below saves the cost.

# %% [markdown]
# **Exercise 3: the MLM loss.** Write the loss yourself. Given the model's `logits` for every position,
# shape (batch, seq, vocab), and the `labels` from exercise 2, return the mean cross-entropy over the
# **selected** positions only (those whose label is not -100), as a 0-dim tensor that gradients can flow
# through. `torch.nn.functional.cross_entropy` computes cross-entropy for rows of logits.

# %%
import torch.nn.functional as F


def mlm_loss(logits, labels):
    """Return the MLM loss: a 0-dim tensor, the mean cross-entropy over the selected positions.

    logits: (batch, seq, vocab) float tensor, the model's scores for every token at every position.
    labels: (batch, seq) LongTensor: the original token id at selected positions, -100 elsewhere.
    """
    raise NotImplementedError("your code here")

# %%
from helpers.course.exercises import check_mlm_loss

check_mlm_loss(mlm_loss)

# %% [markdown]
# **The course's version, to compare with yours.** `BertForPreTraining.forward` goes one step further:
# since only the selected positions count, it **gathers** their rows before the vocabulary-sized output
# layer, the most expensive matrix multiply, as Google's original code does:

# %%
# NBVAL_IGNORE_OUTPUT
from helpers.modeling.bert import BertForPreTraining

course_version("mlm-loss", BertForPreTraining.forward, start="if labels is None:",
               end="if next_sentence_label is not None:")

# %%
# NBVAL_IGNORE_OUTPUT
with torch.no_grad():
    out = model(masked.input_ids, token_type_ids=batch["token_type_ids"],
                attention_mask=batch["attention_mask"], labels=masked.labels)
print("positions in the batch:     ", masked.input_ids.numel())
print("selected positions:         ", int(selected.sum()))
print("MLM logits computed for:    ", tuple(out.prediction_logits.shape), "(selected positions, vocabulary)")
print(f"MLM loss (mean over those):  {out.mlm_loss.item():.3f}")

# %% [markdown]
# ## Why the mix? The always-[MASK] experiment
#
# Why not replace every selected token by `[MASK]`? Then only `[MASK]` positions ever need a prediction,
# and the model learns that **only `[MASK]` positions matter**. But fine-tuning and inference inputs
# contain **no** `[MASK]`: every position there looks like an unselected one. With random and unchanged
# tokens among the selected ones, the model cannot tell which visible words it will be asked about, so it
# must keep a sensible prediction for the word at **every** position.
#
# Two shipped checkpoints test this, pre-trained with **everything equal except the mix**
# (`checkpoints/README.md` has the commands): `course.pt` (80/10/10) and `course-always-mask.pt`
# (100/0/0). Each sees the same held-out selected positions as `[MASK]`, as random tokens and unchanged,
# and is also scored at the unselected positions. The last three conditions are what every position of
# a fine-tuning input looks like: a real word, no `[MASK]`. Predict first:

# %%
from helpers.course.quiz import compare_prediction, predict_first

predict_first("predict-mask-mix-positions")

# %%
# NBVAL_IGNORE_OUTPUT
from helpers.experiments import accuracy_by_position, load_family

family = load_family(["80/10/10 + NSP", "always [MASK] + NSP"])
positions = {arm.split(" +")[0]: accuracy_by_position(ckpt.model, ckpt.tokenizer) for arm, ckpt in family.items()}
print(f"{'':15s}{'[MASK] shown':>14s}{'random shown':>14s}{'kept':>8s}{'unselected':>12s}")
for name, acc in positions.items():
    print(f"{name:15s}{acc.masked:14.1%}{acc.random:14.1%}{acc.kept:8.1%}{acc.unselected:12.1%}")
print(f"({positions['80/10/10'].positions} selected positions in each condition, from 512 held-out pairs)")

# %%
# NBVAL_IGNORE_OUTPUT
from helpers.course.plots import plot_grouped_bars

conditions = {"[MASK] shown": "masked", "random token shown": "random", "original kept": "kept",
              "unselected token": "unselected"}
fig = plot_grouped_bars({label: {name: getattr(acc, key) for name, acc in positions.items()}
                         for label, key in conditions.items()},
                        title="Predicting the original token: 80/10/10 versus always [MASK]",
                        ylabel="held-out accuracy", xlabel="what the model sees at the position")

# %%
# NBVAL_IGNORE_OUTPUT
mix, always = positions["80/10/10"], positions["always [MASK]"]
compare_prediction("predict-mask-mix-positions",
                   f"at [MASK] {mix.masked:.0%} vs {always.masked:.0%}; with a random token {mix.random:.0%} vs "
                   f"{always.random:.0%}; with the original kept {mix.kept:.0%} vs {always.kept:.0%} "
                   "(80/10/10 vs always [MASK])")

# %% [markdown]
# At `[MASK]` the two models are close: that is the one case both were trained on. Where the model sees
# a real word (a random token, the original kept, or an unselected token), the always-`[MASK]` model
# collapses: it was never asked for a prediction at a position without `[MASK]`. The 80/10/10 model
# keeps a useful prediction at every position.
#
# Does it matter after fine-tuning (notebook 5)? BERT's masking ablation (Devlin et al., 2019,
# Appendix C.2, Table 8, BERT-base) found fine-tuning robust to the mix (MNLI 84.2 with 80/10/10, 84.3
# with always-`[MASK]`) and a larger gap where the encoder's outputs were used as fixed features, with no
# training to repair them (NER 94.9 against 94.0 F1). The optional notebook
# [5c](05c_pretraining_choices_downstream.ipynb), after notebook 5, runs that comparison on these two
# checkpoints.

# %% [markdown]
# ## Exercise: trace the training loop, part a
#
# Take **"the small dog barks at the mailman."**: 10 tokens with `[CLS]` and `[SEP]`, 8 of them ordinary
# (the full stop is a token too), so at 15% about one is selected per pass. Say it is `barks`. In each of
# the three outcomes, what does the model see, and what is it trained to predict? Think first, then
# choose the word and the outcome in the widget. (In the course's vocabulary every storybook word is one
# token. Where a vocabulary splits a word, say `bar ##ks`, the original BERT selected each piece on its
# own; Google's later **whole-word masking** selects all the pieces of a word together, as the widget
# does. Notebook 5a shows what word pieces change in fine-tuning.)

# %%
# NBVAL_IGNORE_OUTPUT
from helpers.course.demos import trace_mlm_widget

trace_mlm_widget(tokenizer)

# %% [markdown]
# The three outcomes for `barks`, side by side (a saved copy of the notebook shows them even without a
# kernel):

# %%
from helpers.course.demos import trace_mlm_html

HTML("".join(f"<h4>{outcome}</h4>" + trace_mlm_html(tokenizer, outcome=outcome)
             for outcome in ("mask", "random", "keep")))

# %% [markdown]
# In all three cases the **target is the same**, the original `barks`, and the loss is computed **at the
# selected position(s) only**; every other output is ignored. Only the input differs: `[MASK]`, a wrong
# token, or the right one.

# %% [markdown]
# ## Check yourself

# %%
from helpers.course.quiz import quiz

quiz("mlm", kind="multiple_choice")

# %% [markdown]
# ## Summary
#
# - MLM hides tokens **in the input** and asks for the originals, so something is left to infer although
#   every position sees every other.
# - About **15%** of the ordinary tokens are selected, never `[CLS]`, `[SEP]` or padding. Each becomes
#   `[MASK]` (80%), a random token (10%) or stays unchanged (10%); the model predicts the **original**
#   token at every selected position, and the loss is computed **there only**.
# - The mix exists because fine-tuning and inference inputs contain no `[MASK]`: trained on `[MASK]`
#   alone, a model predicts well only there, as you measured.
#
# **Next:** [3. Next sentence prediction](03_next_sentence_prediction.ipynb): BERT's second,
# sentence-level objective.
