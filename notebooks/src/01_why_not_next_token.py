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
#   prediction, and see the bidirectional one "solve" it by copying, then fail when the future is hidden.
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
# In self-attention every position *i* (the query) takes a weighted average over positions *j* (the
# keys); a **mask** decides which *j* are allowed. A decoder uses a **causal** mask: position *i* sees
# only positions *j ≤ i*, so the token *i + 1* it predicts is out of view. BERT uses **no** such mask:
# every position sees every position, left and right. That makes its representations useful (each word
# is read in the context of the whole sentence), and it is also what breaks next-token prediction.

# %%
# NBVAL_IGNORE_OUTPUT
tokens = ["[CLS]"] + SENTENCE.split() + ["[SEP]"]
fig = plot_attention_masks(tokens)

# %% [markdown]
# Look at the row of `barks`. Under the causal mask it sees `[CLS] the small dog barks`, and has to
# *infer* the next word. Under BERT's mask it also sees `at`, the very token it would be asked to
# predict.

# %% [markdown]
# ## A probe: who influences whom?
#
# Let us check the picture on a real encoder: the course's `BertModel` with random weights (enough for
# this). We change **one** token in the middle of a sequence and compare every position's output before
# and after. `BertConfig(is_causal=True)` switches on a decoder-style mask; BERT itself never uses it.

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
# With the causal mask only positions 5 and later change. In the bidirectional encoder **every** output
# changes, including position 4, whose next-token target is exactly the token at position 5: position 4
# can simply *read* it.

# %% [markdown]
# ## The experiment: next-token prediction with and without a causal mask
#
# `helpers.experiments.copy_collapse_experiment` trains two models of the same size on the storybook
# corpus with the **same** data, steps and seed, both on next-token prediction (the output at position
# *t* predicts token *t + 1*). Only the mask differs: **bidirectional** (token *t + 1* in view) or
# **causal** (not). Both are then tested on held-out stories with the **future visible** (the whole
# sequence in the input, as in training) and with the **future hidden** (each position sees only itself
# and what comes before, which is all a model that generates text ever has). This is a small, fast
# version: 200 steps at a high learning rate (`benchmarks/claims.py` runs the full one with three seeds).
# Before you run it, predict:

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
# - The **bidirectional** model's training loss falls towards zero, and with the future visible it
#   predicts the next token almost perfectly. It has not learnt language: it has learnt to **copy** the
#   token one position to the right, which attention lets it read.
# - With the **future hidden** its accuracy collapses: copying is worthless once the answer is not in
#   the input.
# - The **causal** model's loss stays higher (the task is genuinely hard), and it does just as well with
#   the future hidden, the only condition it ever knew.
#
# So BERT needed objectives that **still leave something to infer when the whole input is visible**. The
# next notebook's answer: hide some tokens *in the input itself*.

# %% [markdown]
# ## Check yourself

# %%
from helpers.course.quiz import quiz

quiz("next_token", kind="multiple_choice")

# %% [markdown]
# ## Summary
#
# - BERT's self-attention has **no causal mask**: every position sees every other position.
# - Next-token prediction needs the target hidden from the input. With bidirectional attention the target
#   is visible, so training degenerates into **copying**: near-zero training loss, and a model that fails
#   as soon as the future is hidden.
# - A causal model learns the real task, but gives up the right-hand context that makes an encoder's
#   representations useful.
#
# **Next:** [2. Masked language modelling](02_masked_language_modelling.ipynb): hide tokens in the input,
# and ask the model for the originals.
