# Notebook 2 of "BERT, part two". Built into notebooks/02_masked_language_modelling.ipynb by scripts/build_notebooks.py.

# %% [markdown]
# # 2. Masked language modelling (MLM)
#
# Notebook 1 ended with a puzzle: an encoder sees its whole input, so it cannot learn by predicting the
# next token. BERT's answer is to **hide some tokens in the input** and ask for the originals. This is
# masked language modelling, BERT's main pre-training objective.
#
# ## What you will do and learn
#
# - **Mask sentences yourself** with an interactive widget: choose the rate and the seed, and see each
#   selected token colour-coded by what happened to it (`[MASK]`, random token, unchanged) together
#   with the labels row the loss is computed against.
# - Read the masking code and learn the recipe: select about **15%** of the ordinary tokens (never
#   `[CLS]`, `[SEP]` or padding); replace each selected token by `[MASK]` **80%** of the time, by a
#   **random** token 10% of the time, and leave it **unchanged** 10% of the time; predict the
#   **original** token at every selected position.
# - **Measure** the 80/10/10 split over thousands of sentences.
# - See **why the loss is computed at the selected positions only**.
# - **Measure** why the mix exists: the shipped 80/10/10 and always-[MASK] checkpoints compared on held-out
#   text and after fine-tuning, beside the BERT paper's own ablation (Table 8).
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
# We use the course's WordPiece tokenizer (the vocabulary of the pre-trained model shipped with the
# course; notebook 4 explains where it comes from). Special tokens have fixed ids: `[PAD]`=0,
# `[UNK]`=1, `[CLS]`=2, `[SEP]`=3, `[MASK]`=4.

# %%
sentence = "the small dog barks at the mailman."
encoded = tokenizer.encode_pair(sentence)
print("tokens:             ", tokenizer.convert_ids_to_tokens(encoded["input_ids"]))
print("input_ids:          ", encoded["input_ids"])
print("special_tokens_mask:", encoded["special_tokens_mask"], " (1 = structural: never selected)")

# %% [markdown]
# ## The recipe, in code
#
# `helpers.objectives.mlm.mask_tokens` does the corruption for a whole batch at once. Here is its working part
# (the lines before it only check the arguments). Read the three numbered steps: **select**,
# **corrupt**, **label**.

# %%
# NBVAL_IGNORE_OUTPUT
from helpers.course.demos import show_source
from helpers.objectives.mlm import mask_tokens

show_source(mask_tokens, start="# ---- 1. select")

# %% [markdown]
# Three details matter:
#
# - **Selection** skips structural tokens: `candidate = ~special`. Predicting `[CLS]` or `[SEP]`
#   would teach nothing, since their place is fixed by the input layout.
# - **One uniform draw per position** decides the operation: below 0.8 → `[MASK]`, between 0.8 and 0.9
#   → a random token, above 0.9 → unchanged.
# - **Labels** hold the original id at *every* selected position, whichever of the three happened, and
#   -100 (ignored by the loss) everywhere else.
#
# Let us mask two sentences with a fixed seed. In a sentence this short, 15% selects only one or two
# tokens; to see all three outcomes at once we raise the rate to 50% for this demonstration.

# %%
from IPython.display import HTML

from helpers.course.demos import mask_sentence, masking_html

example = mask_sentence(tokenizer, "this teddy bear is so cute. the small dog barks at the mailman.",
                        mlm_probability=0.5, seed=3)
HTML(masking_html(example))

# %% [markdown]
# Now try it yourself. Type any sentence, move the rate, change the seed. Things to try:
#
# - at 15%, how many tokens are selected in a short sentence? In a long one?
# - can `[CLS]` or `[SEP]` ever be selected, at any rate?
# - find a seed where a selected token is left unchanged: the model's input looks untouched there,
#   yet the labels row still asks for a prediction.

# %%
# NBVAL_IGNORE_OUTPUT
from helpers.course.demos import masking_widget

masking_widget(tokenizer, "this teddy bear is so cute.")

# %% [markdown]
# ## Is it really 80/10/10? Measure it
#
# One sentence shows the idea; the proportions only show over many. We mask 5,000 sentences of the
# course's storybook corpus with the standard settings and count.

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
# randomised and kept: the sampling does what the recipe says. (Random replacements in this course never
# draw a special token; Google's original code and Hugging Face's collator may, which changes little.)

# %% [markdown]
# ## Your turn: write the masking yourself
#
# You have read the recipe and measured it. Now write it. Two short functions, each followed by a check
# cell that runs readable tests on your code and says, for every rule your function breaks, what it did
# and what is required. The checks never show a solution; after your first attempt a button can show one.
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
# ### The payoff: pre-train a BERT with your masking
#
# Your two functions together are a complete MLM corruption, the same job `mask_tokens` does. So they
# can replace it in the **real** pre-training loop: `helpers.course.exercises.as_mask_fn` joins them
# into the `mask_fn` that `pretrain` accepts, and the cell below pre-trains a tiny BERT for 150 steps
# (a few seconds) with your masking, then once more with the course's `mask_tokens`, everything else
# equal: same corpus, vocabulary, pairs, initial weights, and the same held-out text (masked the course's
# way) to measure on.
#
# Until both of your functions pass their checks, the cell trains with the reference solution in their
# place and says so, so that it always shows a curve. Once they pass, run it again: the first curve is
# then your code's.

# %%
# NBVAL_IGNORE_OUTPUT
from helpers.course.exercises import pretrain_with_your_masking
from helpers.course.plots import plot_training_curves

payoff = pretrain_with_your_masking(choose_positions, corrupt)
print(payoff.message)
for name, accuracy in payoff.accuracy.items():
    print(f"{name}: held-out MLM accuracy after {payoff.steps[-1]} steps {accuracy:.1%}")
fig = plot_training_curves(payoff.curves, steps=payoff.steps, ylabel="held-out MLM loss",
                           title="A tiny BERT pre-trained with your masking and with the course's")

# %% [markdown]
# With a correct masking the two curves fall together: they differ only in the random draws. In 150 steps
# a model this small learns little more than which words are frequent (the held-out loss falls from about
# 6.4 to about 5.4); notebook 4 pre-trains a real one. The cell uses your functions only once they pass
# the checks, for a reason: a masking that selects `[PAD]`, or that forgets the -100 labels, asks for
# predictions at padding positions, and the model refuses such a batch with an error.

# %% [markdown]
# ## Why the loss is computed at the selected positions only
#
# At an **unselected** position the token in the input *is* the answer. Asking the model to predict it
# is the copying task of notebook 1 all over again: trivially solved and teaching nothing. Only at the
# selected positions is there something to infer, so only there does the loss look.
#
# We can see both halves with the pre-trained model: we mask a batch of held-out sentences and measure
# its accuracy at unselected positions (copy the visible token) and at selected ones (infer it).

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
# The model gets most unselected tokens right, although those positions were never part of the loss:
# the residual connections carry each token's identity through, and the kept 10% of selected tokens
# taught it that a visible token is usually the right one. Training on them would waste
# compute on a solved problem. The model also only needs the vocabulary-sized output layer at the
# selected positions, so the course's model (like Google's original code) **gathers** those rows before
# that expensive matrix multiply:

# %%
# NBVAL_IGNORE_OUTPUT
from helpers.modeling.bert import BertForPreTraining

show_source(BertForPreTraining.forward, start="if labels is None:", end="if next_sentence_label is not None:")

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
# ## Why the mix? The always-[MASK] experiment
#
# Why not simply replace every selected token by `[MASK]`? Because of what the model learns from it:
# if the only positions that ever need a prediction are the `[MASK]` positions, the model learns that
# **only `[MASK]` positions matter**, and has no reason to build a good prediction, a good representation
# of "which word belongs here", anywhere else. But fine-tuning and inference inputs contain **no**
# `[MASK]` at all: every position there looks like an unselected one.
#
# The random and unchanged cases address this. The model cannot tell a kept token from an unselected
# one, nor always spot a random replacement, so it must produce a sensible prediction for the word at
# **every** position.
#
# How much this matters was measured in the BERT paper's masking ablation (Devlin et al., Table 8,
# BERT-base). Fine-tuned, the mix hardly mattered: always-`[MASK]` scored 84.3 on MNLI against 84.2
# for 80/10/10, and 94.9 against 95.4 F1 on NER. The larger gap was in the **feature-based** setting,
# where the encoder's outputs are used as fixed features without fine-tuning: 94.0 against 94.9 F1
# on NER. So the paper's case for the mix is a measured, modest one, largest where the pre-trained
# representations are used as they are.
#
# We test it on our scale with two of the course's shipped checkpoints, pre-trained with **everything
# equal except the mix** (same corpus, vocabulary, 7,000 steps, seed and NSP; `checkpoints/README.md`
# gives the command that made each):
#
# - `course.pt`: 80/10/10, BERT's recipe;
# - `course-always-mask.pt`: every selected token becomes `[MASK]` (100/0/0).
#
# Pre-training each took about ten minutes, so they ship; *measuring* them takes seconds, and happens
# here, in your run. First on held-out text: the same selected positions shown three ways (all as
# `[MASK]`, all as random tokens, all unchanged), plus the unselected ordinary positions, where the input
# token is the answer. The last three are what every position of a fine-tuning input looks like: a real
# word and no `[MASK]`.
#
# Before you run it, predict:

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
# Read the four groups in the printed table:
#
# - **At `[MASK]`** the two models are close: that is the one case both were trained on.
# - **Where the model sees a real word** (a random replacement, the original kept, or an unselected
#   token), the always-`[MASK]` model collapses: it was never asked for a prediction at a position
#   without `[MASK]`, so its outputs there say little about which word belongs. The 80/10/10 model
#   keeps a useful prediction at every position.
#
# That is what the mix buys: a representation of "which word belongs here" at every position, not only
# at the blanks. Does it matter **downstream**? The BERT paper asked this in two ways, and so do we:
#
# - **fine-tuned**: the task head and the whole encoder are trained on the labeled examples; we use two
#   tasks of notebook 5, sentiment (one label per sentence, read from `[CLS]`) and named entities (one
#   label per word), 128 labeled examples each;
# - **feature-based**: the encoder is frozen and only a head on its outputs is trained, so the
#   pre-trained representations are used as they are; we use named entities, as the paper did.
#
# The same labeled examples, steps and seeds for both checkpoints, three seeds each: about a minute on
# two cores. Predict first:

# %%
predict_first("predict-mask-mix-downstream")

# %%
# NBVAL_IGNORE_OUTPUT
from helpers.experiments import compare_finetuning

tokenizer_of_family = family["80/10/10 + NSP"].tokenizer  # both checkpoints share one vocabulary
fine_tuned = {name: {"encoder": ckpt.model} for name, ckpt in zip(positions, family.values())}
frozen = {name: {"encoder": ckpt.model, "freeze_encoder": True} for name, ckpt in zip(positions, family.values())}
settings = dict(num_train_examples=128, splits=("test",), test_size=300)  # 300 test examples per run keep it quick
downstream = {
    "sentiment, fine-tuned": compare_finetuning("sentiment", tokenizer_of_family, fine_tuned, **settings),
    "NER, fine-tuned": compare_finetuning("ner", tokenizer_of_family, fine_tuned, **settings),
    "NER, feature-based (frozen encoder)": compare_finetuning("ner", tokenizer_of_family, frozen, **settings),
}

# %%
# NBVAL_IGNORE_OUTPUT
print("test scores (300 test examples), mean ± spread over seeds 0, 1, 2 (accuracy for sentiment, entity F1 for NER):")
for setting, comparison in downstream.items():
    scores = "   ".join(f"{arm} {comparison.scores[arm]['test']:.1%}" for arm in comparison.scores)
    print(f"  {setting:38s} {scores}   (80/10/10 minus always: "
          f"{comparison.difference('80/10/10', 'always [MASK]'):+.1%})")
compare_prediction("predict-mask-mix-downstream", "; ".join(
    f"{setting}: 80/10/10 {c.scores['80/10/10']['test'].mean:.0%}, always [MASK] "
    f"{c.scores['always [MASK]']['test'].mean:.0%}" for setting, c in downstream.items()))

# %% [markdown]
# Read the three lines against the spread of each score (the "±"):
#
# - **Feature-based**, the 80/10/10 encoder is clearly ahead on named entities: with the encoder frozen,
#   its outputs are all the head has, and the always-`[MASK]` encoder's outputs at ordinary words are
#   the poor ones you measured above.
# - **Fine-tuned**, the gap closes on named entities, and on sentiment the always-`[MASK]` encoder even
#   comes out ahead. Fine-tuning moves every weight of the encoder towards the task, and 150 steps are
#   enough to repair what its pre-training left weak at unmasked positions. Why it ends up *better* on
#   sentiment we have not pinned down; one possibility is that an encoder trained to infer every
#   prediction from context builds more contextual features at every position, including `[CLS]`. Treat
#   that as a hypothesis, not a result.
#
# The paper found the same pattern. BERT's masking ablation (Devlin et al., 2019, Table 8, BERT-base,
# development sets):
#
# | | MNLI, fine-tuned | NER, fine-tuned | NER, feature-based |
# |---|---|---|---|
# | 80/10/10 | 84.2 | 95.4 | 94.9 |
# | always `[MASK]` | 84.3 | 94.9 | 94.0 |
#
# Fine-tuned, the two are within half a point (always-`[MASK]` slightly ahead on MNLI, as on our
# sentiment); the largest gap is in the feature-based column, as in ours. Our gaps are larger than the
# paper's: our model is about 100 times smaller than BERT-base and saw about 4,000 times fewer tokens
# (notebook 4e counts them), and our heads see 128 labeled examples where the paper's saw the full
# datasets. So the case for 80/10/10 is a measured one: it matters most wherever the pre-trained
# representations are used as they are.
#
# A last option, if you have a few minutes: re-train both arms yourself at a small scale. The cell below
# is off by default (`RUN_LIVE = False`); switched on, it pre-trains two `live`-preset models of 1,700
# steps each, about three minutes on two cores, then repeats the measurement above on them.

# %%
RUN_LIVE = False  # set to True to re-train both arms yourself (about 3 minutes)
if RUN_LIVE:
    import dataclasses

    from helpers.training.pretraining import PRESETS, pretrain

    for name, (mask_prob, random_prob) in (("80/10/10", (0.8, 0.1)), ("always [MASK]", (1.0, 0.0))):
        run = pretrain(dataclasses.replace(PRESETS["live"], mask_prob=mask_prob, random_prob=random_prob))
        acc = accuracy_by_position(run.model, run.tokenizer, max_length=run.config.max_length)
        print(f"{name:14s} [MASK] {acc.masked:.0%}  random {acc.random:.0%}  kept {acc.kept:.0%}  "
              f"unselected {acc.unselected:.0%}")
else:
    print("RUN_LIVE is False: the two arms above come from the shipped checkpoints. Set it to True to "
          "re-train them yourself.")

# %% [markdown]
# ## Exercise: trace the training loop, part a
#
# Take the sentence **"the small dog barks at the mailman."**. With `[CLS]` and `[SEP]` it has 10
# tokens, 8 of them ordinary (the full stop is a token too), so at the 15% rate about one token is
# selected per pass. Say it is `barks`. What does the model see, and what is it trained to predict, in
# each of the three outcomes? Think first, then use the widget: choose the word and the outcome. (In the
# course's vocabulary every storybook word, `barks` included, is one token. When a vocabulary splits a
# word into word-pieces, say `bar ##ks`, the original BERT selected each piece independently, so `bar`
# could be masked while `##ks` stayed visible. Selecting all the pieces of a word together,
# **whole-word masking**, came later: Google released it with new BERT-large models on 31 May 2019
# (google-research/bert, README), with the same overall masking rate and each piece still predicted
# on its own. The widget masks all the pieces of such a word together, whole-word style. Notebook 5b
# shows what word pieces change in fine-tuning.)

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
# - MLM hides tokens **in the input** and asks for the originals, so there is something to infer even
#   though every position sees every other.
# - About **15%** of the ordinary tokens are selected; `[CLS]`, `[SEP]` and padding never are.
# - Each selected token becomes `[MASK]` (80%), a random token (10%) or stays unchanged (10%); the model
#   predicts the **original** token at every selected position, and the loss is computed **there only**.
# - The mix exists because fine-tuning and inference inputs contain no `[MASK]`: a model trained only
#   on `[MASK]` learns to predict only there. The random and kept cases ask for a useful prediction at
#   every position; BERT's ablation (Table 8) found small fine-tuning differences and a larger one
#   when the outputs are used as fixed features.
#
# **Next:** [3. Next sentence prediction](03_next_sentence_prediction.ipynb): BERT's second,
# sentence-level objective.
