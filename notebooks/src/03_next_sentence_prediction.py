# Notebook 3 of "BERT, part two". Built into notebooks/03_next_sentence_prediction.ipynb by scripts/build_notebooks.py.

# %% [markdown]
# # 3. Next sentence prediction (NSP)
#
# MLM teaches the encoder about **tokens**. Many tasks are about **pairs** of sentences instead: does
# this answer fit this question, do these two sentences say the same thing? BERT's second objective,
# next sentence prediction, practises relating two pieces of text.
#
# ## What you will do and learn
#
# - **Build NSP pairs**: half the time B really follows A, half the time it comes from another document.
# - **Read and build** the input layout `[CLS] A [SEP] B [SEP]` with its segment ids.
# - **See** the token, position and segment embeddings add up.
# - **Meet the NSP head** on the `[CLS]` output.
# - Learn **why** NSP was added, and why RoBERTa dropped it.

# %%
import torch

from helpers.modeling.checkpoints import course_checkpoint_path
from helpers.modeling.checkpoints import load_checkpoint

torch.manual_seed(0)
course = load_checkpoint(course_checkpoint_path())
tokenizer, model = course.tokenizer, course.model

# %% [markdown]
# ## Documents, not just sentences
#
# NSP needs **documents**: runs of consecutive sentences on one subject. The storybook corpus
# (`helpers.text.corpus`) generates them, each with its own topic, characters, town and organisation.
# The first one:

# %%
from helpers.text.corpus import make_storybook

documents = make_storybook(num_documents=200, seed=0)
for i, sentence in enumerate(documents[0]):
    print(i, sentence)

# %% [markdown]
# ## Building the pairs
#
# `helpers.objectives.nsp.make_nsp_pairs` cuts each document into stretches of whole sentences that fill
# a length budget (32 tokens here, for readability; training uses 64) and splits each stretch after a
# random sentence: the first part is **A**. A fair coin decides **B**. Heads: the rest of the stretch,
# the text that really follows (label **IsNext**). Tails: text from a **different**, randomly chosen
# document (label **NotNext**: a random sentence). The convention is Google's and Hugging Face's:
# `next_sentence_label = 0` means "B follows A", `1` means "B is random".

# %%
from helpers.objectives.nsp import IS_NEXT, IS_RANDOM, make_nsp_pairs

print(f"IS_NEXT = {IS_NEXT}  (B follows A)")
print(f"IS_RANDOM = {IS_RANDOM}  (B comes from another document)")

pairs = make_nsp_pairs(documents, tokenizer=tokenizer, max_length=32, seed=0, progress=False)
labels = [p["next_sentence_label"] for p in pairs]
print(f"{len(pairs)} pairs from {len(documents)} documents: {labels.count(IS_NEXT)} IsNext, "
      f"{labels.count(IS_RANDOM)} NotNext")

# %%
for pair in pairs[:4]:
    label = "IsNext " if pair["next_sentence_label"] == IS_NEXT else "NotNext"
    origin = "same document" if pair["a_doc"] == pair["b_doc"] else f"document {pair['b_doc']}"
    print(f"{label}  A (document {pair['a_doc']}): {pair['a']}")
    print(f"         B ({origin}): {pair['b']}\n")

# %% [markdown]
# Label them yourself before reading the labels: a true continuation usually keeps the same characters,
# place or things; a random B usually jumps to another story. That is the signal the model can learn.

# %% [markdown]
# ## The input layout
#
# Both segments go into **one** sequence, `[CLS]` A `[SEP]` B `[SEP]`:
#
# - `[CLS]` at position 0 is where the pair-level prediction will be read; a `[SEP]` closes each segment;
# - `token_type_ids` (the **segment ids**) are 0 on `[CLS]`, A's tokens and the first `[SEP]`, and 1 on
#   B's tokens and the final `[SEP]`;
# - `attention_mask` is 1 on every real token (0 marks padding); `special_tokens_mask` marks the
#   structural tokens, which MLM never selects.

# %%
from IPython.display import HTML

from helpers.course.demos import layout_html

HTML(layout_html(tokenizer, "the small dog barks at the mailman.", "the mailman gives the dog a treat."))

# %% [markdown]
# ### Exercise 4: build one NSP example yourself
#
# Write the function that lays out one NSP example. It gets the token ids of segment A and of segment
# B (lists of ints, without special tokens) and `is_next` (True if B really follows A), and returns a
# dict with:
#
# - `input_ids`: `[CLS] A [SEP] B [SEP]` (use `CLS_ID` and `SEP_ID`);
# - `token_type_ids`: one segment id per token, as in the table above;
# - `next_sentence_label`: the course's convention, `IS_NEXT` (0) if B follows A, `IS_RANDOM` (1) if not.
#
# Build new lists; leave `tokens_a` and `tokens_b` unchanged. Then run the check.

# %%
from helpers.constants import CLS_ID, IS_NEXT, IS_RANDOM, SEP_ID


def nsp_example(tokens_a, tokens_b, is_next):
    """Return {"input_ids": [...], "token_type_ids": [...], "next_sentence_label": int} for one pair.

    tokens_a, tokens_b: lists of token ids of the two segments (no special tokens); do not change them.
    is_next: True if B is the text that follows A, False if B was drawn from another document.
    """
    raise NotImplementedError("your code here")

# %%
from helpers.course.exercises import check_nsp_example

check_nsp_example(nsp_example)

# %% [markdown]
# ## Three embeddings, added position by position
#
# The encoder's first step **adds** three learnt embeddings per position: **token** (which word),
# **position** (where) and **segment** (A or B: a table of just two rows). The picture shows the first
# 16 of the 128 numbers of each, for the pair above, from the pre-trained model. In the segment panel
# A's columns are all identical, and so are B's: that one added vector is all that tells the encoder
# which sentence a token is in.

# %%
# NBVAL_IGNORE_OUTPUT
from helpers.course.plots import plot_embedding_sum

encoded = tokenizer.encode_pair("the small dog barks at the mailman.", "the mailman gives the dog a treat.")
fig = plot_embedding_sum(model.bert.embeddings, encoded["input_ids"], encoded["token_type_ids"],
                         tokenizer.convert_ids_to_tokens(encoded["input_ids"]))

# %% [markdown]
# The code (`helpers/modeling/bert.py`): three look-ups, a sum, then LayerNorm and dropout.

# %%
# NBVAL_IGNORE_OUTPUT
from helpers.course.demos import show_source
from helpers.modeling.bert import BertEmbeddings

show_source(BertEmbeddings.forward)

# %% [markdown]
# ## The NSP head on [CLS]
#
# The prediction is read from the output at position 0, the `[CLS]` token. BERT passes it through the
# **pooler** (a dense layer with tanh), then through a linear layer with **two** outputs, IsNext and
# NotNext. That last layer is the whole NSP head:

# %%
# NBVAL_IGNORE_OUTPUT
from helpers.modeling.bert import BertPooler, BertPreTrainingHeads

show_source(BertPooler)

# %%
# NBVAL_IGNORE_OUTPUT
show_source(BertPreTrainingHeads)

# %% [markdown]
# Why can one vector decide about two segments? In every layer `[CLS]` attends to all of A **and** B,
# and the segment embeddings tell them apart, so its output becomes a **pair-level representation**;
# NSP training makes it carry what the decision needs. Here is the pre-trained model on a true
# continuation and on a random sentence (softmax turns the two logits into probabilities):

# %%
# NBVAL_IGNORE_OUTPUT
import torch.nn.functional as F

first, second = documents[1][0], documents[1][1]
stranger = documents[2][3]
for a, b in ((first, second), (first, stranger)):
    batch = tokenizer.encode_batch([(a, b)])
    with torch.no_grad():
        logits = model(batch["input_ids"], token_type_ids=batch["token_type_ids"],
                       attention_mask=batch["attention_mask"]).seq_relationship_logits
    p_next = F.softmax(logits, dim=-1)[0, IS_NEXT].item()
    print(f"A: {a}\nB: {b}\n   logits {[round(v, 2) for v in logits[0].tolist()]}  ->  P(B follows A) = {p_next:.2f}\n")

# %% [markdown]
# During pre-training this head's cross-entropy, the NSP loss, is **added** to the MLM loss and both are
# minimised together; notebook 4 shows both curves.
#
# ### Stretch B (optional): the loss of one pre-training step
#
# Write the loss `BertForPreTraining` minimises: the MLM loss (mean cross-entropy over the selected
# positions, notebook 2's exercise 3) plus the NSP loss (mean cross-entropy of the two logits per pair
# against `next_sentence_label`). Shapes: `prediction_logits` (batch, seq, vocab), `labels` (batch, seq)
# with -100 at unselected positions, `seq_relationship_logits` (batch, 2), `next_sentence_label` (batch,).
# Skip it freely: nothing later needs it.

# %%
def pretraining_loss(prediction_logits, seq_relationship_logits, labels, next_sentence_label):
    """Return the pre-training loss of one batch (a 0-dim tensor): the MLM loss plus the NSP loss."""
    raise NotImplementedError("your code here")

# %%
from helpers.course.exercises import check_pretraining_loss

check_pretraining_loss(pretraining_loss)

# %% [markdown]
# ## Why NSP, and what happened to it
#
# MLM never asks the model to relate one segment to another, while many target tasks (question
# answering, inference, paraphrase detection) are about pairs: NSP was meant to **complement MLM's
# per-token focus**. BERT's "sentences" were spans of running text, usually longer than one sentence,
# with up to 512 tokens per pair (Devlin et al., 2019, Appendix A.2). The evidence since points both
# ways:
#
# - **BERT's ablation** (Table 5, BERT-base): without NSP, every task of the table scored lower, QNLI by
#   3.5 points (84.9 against 88.4), the others by 0.6 or less (SQuAD 87.9 against 88.5 F1, MNLI 83.9
#   against 84.4).
# - **RoBERTa** (Liu et al., 2019, Section 4.2, Table 2): without the NSP loss, inputs packed with
#   contiguous full sentences, up to 512 tokens, matched or slightly beat segment pairs with NSP; pairs
#   of single sentences with NSP did worse. For why BERT's ablation disagreed it offers a guess, not a
#   finding: perhaps BERT removed the loss but kept the segment-pair inputs. RoBERTa dropped NSP.
# - **ALBERT** (Lan et al., 2019, Section 4.6, Table 5) argued that NSP mostly tests topic, the easy
#   part, since a random segment usually comes from another subject: a model trained with NSP solved
#   sentence-order prediction (SOP) no better than chance (52.0%). ALBERT replaced NSP with SOP.
#
# So **not every encoder-only model uses NSP**. The optional notebook
# [5c](05c_pretraining_choices_downstream.ipynb), after fine-tuning is taught, tests NSP, SOP and no
# sentence objective on the course's checkpoints.

# %% [markdown]
# ## Check yourself

# %%
from helpers.course.quiz import quiz

quiz("nsp", kind="multiple_choice")

# %% [markdown]
# ## Summary
#
# - NSP pairs: B really follows A (label 0, **IsNext**) or is a random sentence from another document
#   (label 1, **NotNext**), half and half.
# - Layout `[CLS] A [SEP] B [SEP]`: segment id 0 up to the first `[SEP]`, 1 after it; each position's
#   input is its token + position + segment embedding.
# - A small head on the `[CLS]` output (pooler, then a 2-way linear layer) predicts IsNext or NotNext;
#   attention and the segment embeddings let `[CLS]` represent the pair.
# - NSP complements MLM's per-token focus; RoBERTa later dropped it and ALBERT replaced it: not every
#   encoder-only model uses NSP.
#
# **Next:** [4. Pre-training](04_pretraining.ipynb): train MLM and NSP together, live.
