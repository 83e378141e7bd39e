# Notebook 1 of "BERT, part two". Built into notebooks/01_why_not_next_token.ipynb by scripts/build_notebooks.py.

# %% [markdown]
# # 1. Why not next-token prediction?
#
# GPT-style decoders learn from raw text with one simple task: predict the next token. BERT's encoder is
# built from the same kind of blocks, so why did BERT need new training objectives?
#
# ## What you will do and learn
#
# - **Draw** the attention masks of a decoder (causal) and of BERT (bidirectional) side by side.
# - **Probe** a real encoder: change one token and see which outputs change.
# - **Run** the copy-collapse experiment: train a bidirectional and a causal model on next-token
#   prediction, and see the bidirectional one "solve" the task by copying, and fail when the future is
#   hidden.
# - Take away the fact the rest of the course rests on: *with full bidirectional attention, the target
#   of next-token prediction is part of the input, so the task degenerates into copying.*

# %%
import torch

from helpers.course.plots import plot_attention_masks

torch.manual_seed(0)
SENTENCE = "the small dog barks at the mailman ."

# %% [markdown]
# ## Two attention masks
#
# In self-attention every position *i* (the query) computes a weighted average over positions *j*
# (the keys). A **mask** decides which *j* are allowed. A decoder uses a **causal** mask: position *i*
# may only look at positions *j ≤ i*, so when it predicts token *i + 1* that token is not in view.
# BERT uses **no** such mask: every position sees every position, left and right. That is what makes
# its representations so useful (each word is read in the context of the whole sentence), and it is
# also what breaks next-token prediction.

# %%
# NBVAL_IGNORE_OUTPUT
tokens = ["[CLS]"] + SENTENCE.split() + ["[SEP]"]
fig = plot_attention_masks(tokens)

# %% [markdown]
# Look at the row of `barks` in each panel. Under the causal mask it sees `[CLS] the small dog barks`:
# to predict the next word (`at`) it has to *infer* it. Under BERT's mask, `barks` also sees `at`, the
# very token it would be asked to predict.

# %% [markdown]
# ## A probe: who influences whom?
#
# The picture is a claim about the mask; let us check it on a real encoder. We take the course's
# `BertModel` (random weights are enough for this), feed it a sequence, change **one** token in the
# middle, and compare every position's output before and after. `BertConfig(is_causal=True)` switches on
# a decoder-style mask in the same model; BERT itself never uses it.

# %%
from helpers.modeling.bert import BertConfig, BertModel

ids = torch.tensor([[2, 11, 12, 13, 14, 15, 16, 17, 18, 3]])  # ten positions: [CLS] ... [SEP]
changed_position = 5
ids_changed = ids.clone()
ids_changed[0, changed_position] = 42

for is_causal in (False, True):
    torch.manual_seed(0)
    model = BertModel(BertConfig(vocab_size=100, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                 intermediate_size=64, max_position_embeddings=16, is_causal=is_causal)).eval()
    with torch.no_grad():
        before = model(ids).last_hidden_state[0]
        after = model(ids_changed).last_hidden_state[0]
    moved = ((after - before).abs().max(dim=-1).values > 1e-6).tolist()
    name = "causal       " if is_causal else "bidirectional"
    print(f"{name} outputs that changed: " + " ".join("X" if m else "." for m in moved))
print(f"(position 0 first; the token at position {changed_position} was replaced)")

# %% [markdown]
# With the causal mask only positions 5 and later change: earlier positions cannot see position 5.
# In the bidirectional encoder **every** output changes, including position 4, whose next-token target
# is exactly the token at position 5. Whatever position 4 is trained to predict about position 5, it can
# simply *read* it.

# %% [markdown]
# ## The experiment: next-token prediction with and without a causal mask
#
# Now the real test. `helpers.experiments.copy_collapse_experiment` trains two models of the same size
# on the course's storybook corpus with the **same** data, steps and seed. Both learn next-token
# prediction: the output at position *t* is trained to predict token *t + 1*. The only difference is
# the attention mask:
#
# - **bidirectional** (BERT's attention): token *t + 1* is in view;
# - **causal** (a decoder's attention): it is not.
#
# Afterwards both are tested on held-out stories in two conditions:
#
# - **future visible**: the whole sequence is in the input, as during training;
# - **future hidden**: each position sees only itself and what comes before, which is all a model that
#   *generates* text, or that has to predict something genuinely unknown, ever has.
#
# This is a small, fast version of the experiment: 200 steps with a high learning rate, so the effect
# shows within half a minute (the full one, with three seeds, is in `benchmarks/claims.py`).
#
# Before you run it, predict what will happen (your choice is saved; the notebook compares after the
# run):

# %%
from helpers.course.quiz import compare_prediction, predict_first

predict_first("predict-copy-collapse")

# %%
# NBVAL_IGNORE_OUTPUT
from helpers.experiments import copy_collapse_experiment

result = copy_collapse_experiment(steps=200, learning_rate=1e-2, num_documents=400, seed=0, progress=True)

# %%
# NBVAL_IGNORE_OUTPUT
from helpers.course.plots import plot_training_curves

fig = plot_training_curves(
    {"bidirectional (BERT's attention)": result.bidirectional.train_loss,
     "causal (a decoder's attention)": result.causal.train_loss},
    title="Training on next-token prediction: the bidirectional model's loss collapses",
    ylabel="training loss (cross-entropy)", smooth=5)

# %%
# NBVAL_IGNORE_OUTPUT
from helpers.course.plots import plot_grouped_bars

fig = plot_grouped_bars(result.accuracies(), title="Held-out next-token accuracy", ylabel="accuracy",
                        xlabel="test condition", reference=result.most_frequent_token_accuracy,
                        reference_label="always the most frequent token")
for kind, arm in (("bidirectional", result.bidirectional), ("causal", result.causal)):
    print(f"{kind:13s}  future visible: {arm.accuracy_future_visible:.0%}   "
          f"future hidden: {arm.accuracy_future_hidden:.0%}")

# %%
# NBVAL_IGNORE_OUTPUT
compare_prediction("predict-copy-collapse", "; ".join(
    f"{kind}: {arm.accuracy_future_visible:.0%} with the future visible, {arm.accuracy_future_hidden:.0%} with it hidden"
    for kind, arm in (("bidirectional", result.bidirectional), ("causal", result.causal))))

# %% [markdown]
# What happened:
#
# - The **bidirectional** model's training loss falls towards zero, far below the causal model's, and
#   with the future visible it predicts the next token almost perfectly. It has not learnt language: it
#   has learnt to **copy** the token one position to the right, which attention lets it read.
# - With the **future hidden** its accuracy collapses: the copying skill is worthless once the answer
#   is not in the input.
# - The **causal** model's loss stays higher (the task is genuinely hard), and it does just as well with
#   the future hidden, because that is the only condition it ever knew.
#
# So BERT could not simply train like GPT. It needed objectives that **still leave something to infer
# when the whole input is visible**. The answer, in the next notebook, is to hide some tokens *in the
# input itself*: masked language modelling.

# %% [markdown]
# ## Check yourself

# %%
from helpers.course.quiz import quiz

quiz("next_token", kind="multiple_choice")

# %% [markdown]
# ## Summary
#
# - BERT's self-attention has **no causal mask**: every position sees every other position (you drew
#   it, and the probe showed every output changing when one token changed).
# - Next-token prediction needs the target hidden from the input. With bidirectional attention the
#   target is visible, so training degenerates into **copying**: near-zero training loss, and a model
#   that fails as soon as the future is hidden.
# - A causal model learns the real task, but gives up the right-hand context, which is exactly what
#   makes an encoder's representations useful.
# - BERT therefore needed objectives that still leave something to infer when everything is visible.
#
# **Next:** [2. Masked language modelling](02_masked_language_modelling.ipynb): hide tokens in the input,
# and ask the model for the originals.
