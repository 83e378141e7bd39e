# Notebook 3 of "BERT, part two". Built into notebooks/03_next_sentence_prediction.ipynb by scripts/build_notebooks.py.

# %% [markdown]
# # 3. Next sentence prediction (NSP)
#
# MLM teaches the encoder about **tokens**: which word belongs in this position. Many tasks are about
# **pairs of sentences** instead: does this answer fit this question, do these two sentences say the
# same thing? BERT's second pre-training objective, next sentence prediction, gives the model practice
# at relating two sentences.
#
# ## What you will do and learn
#
# - **Build NSP pairs** from the course corpus: half the time sentence B really follows A, half the time
#   B is a random sentence from another document.
# - **Read the input layout** `[CLS] A [SEP] B [SEP]` as a table, with its segment ids.
# - **See** the three embeddings (token + position + segment) add up into the encoder's input.
# - **Meet the NSP head**: a small classifier on the `[CLS]` output, and its label convention.
# - Understand **why** it was added, and why later models (RoBERTa) dropped it.

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
# NSP needs text organised as **documents**: runs of consecutive sentences on one subject. The course's
# storybook corpus (`helpers.text.corpus`) generates them: every document stays on one topic, with its own
# small cast of characters, one town and one organisation. Here is the first document:

# %%
from helpers.text.corpus import make_storybook

documents = make_storybook(num_documents=200, seed=0)
for i, sentence in enumerate(documents[0]):
    print(i, sentence)

# %% [markdown]
# ## Building the pairs
#
# `helpers.objectives.nsp.make_nsp_pairs` walks through each document and cuts it into stretches of whole
# sentences that fill the length budget (here 32 tokens, to keep the pairs short enough to read; the
# model trains with 64). Each stretch is split after a random sentence: the first part is **A**. Then a
# fair coin decides **B**:
#
# - **heads**: B is the rest of the stretch, the text that really comes next in the same document;
#   label **IsNext**;
# - **tails**: B is taken from a **different**, randomly chosen document; label **NotNext** (random).
#
# The label convention follows Google's code and Hugging Face: `next_sentence_label = 0` means "B
# follows A", `1` means "B is random". The constants live in `helpers.objectives.nsp`.

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
# Try to label them yourself before reading the labels: a true continuation usually mentions the same
# characters, place or things; a random B usually jumps to another story. That is the signal the model
# can learn. The coin is independent of the text, so the two labels are balanced.

# %% [markdown]
# ## The input layout
#
# Both sentences go into **one** input sequence:
#
# `[CLS]` A `[SEP]` B `[SEP]`
#
# - `[CLS]` at position 0 is where the pair-level prediction will be read;
# - a `[SEP]` closes each segment;
# - `token_type_ids` (the **segment ids**) are 0 on `[CLS]`, A's tokens and the first `[SEP]`, and 1 on
#   B's tokens and the final `[SEP]`;
# - `attention_mask` is 1 on every real token (0 would mark padding);
# - `special_tokens_mask` marks the structural tokens, which MLM never selects.

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
# The encoder's first step turns each position into a vector by **adding** three learnt embeddings:
#
# - the **token** embedding: one row per vocabulary entry (which word is this?);
# - the **position** embedding: one row per position 0, 1, 2, … (where is it?);
# - the **segment** embedding: just two rows, A and B (which sentence is it in?).
#
# The picture shows the first 16 of the 128 numbers of each vector, for the pair above, taken from the
# pre-trained model. In the segment panel all of A's columns are identical and all of B's columns are
# identical: that single added vector is everything that tells the encoder which sentence a token
# belongs to.

# %%
# NBVAL_IGNORE_OUTPUT
from helpers.course.plots import plot_embedding_sum

encoded = tokenizer.encode_pair("the small dog barks at the mailman.", "the mailman gives the dog a treat.")
fig = plot_embedding_sum(model.bert.embeddings, encoded["input_ids"], encoded["token_type_ids"],
                         tokenizer.convert_ids_to_tokens(encoded["input_ids"]))

# %% [markdown]
# Here is the code that does it (`helpers/modeling/bert.py`): three look-ups, a sum, then LayerNorm and dropout.

# %%
# NBVAL_IGNORE_OUTPUT
from helpers.course.demos import show_source
from helpers.modeling.bert import BertEmbeddings

show_source(BertEmbeddings.forward)

# %% [markdown]
# ## The NSP head on [CLS]
#
# The prediction is made from the output at position 0, the `[CLS]` token. BERT first passes it
# through the **pooler** (a dense layer with tanh), then through a linear layer with **two** outputs:
# "IsNext" and "NotNext". That second layer is the whole NSP head:

# %%
# NBVAL_IGNORE_OUTPUT
from helpers.modeling.bert import BertPooler, BertPreTrainingHeads

show_source(BertPooler)

# %%
# NBVAL_IGNORE_OUTPUT
show_source(BertPreTrainingHeads)

# %% [markdown]
# Why can a single vector at position 0 decide about two sentences? Because attention is bidirectional:
# in every layer `[CLS]` attends to all tokens of A **and** B, and the segment embeddings let it tell
# them apart. After a few layers its output mixes both sentences, so it can serve as a **pair-level
# representation**. Training NSP makes sure it actually does.
#
# Let us ask the pre-trained model about a true continuation and a random sentence. The head gives two
# logits; softmax turns them into probabilities.

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
# During pre-training, this head's cross-entropy loss (NSP) is simply **added** to the MLM loss, and
# both are minimised together. You will see both curves in notebook 4.

# %% [markdown]
# ## Why NSP, and what happened to it
#
# The BERT paper added NSP because MLM works **token by token**: nothing in it asks the model to relate
# one sentence to another, while many target tasks (question answering, natural language inference,
# paraphrase detection) are exactly about pairs. NSP was meant to **complement MLM's per-token focus**
# with a sentence-level task that uses `[CLS]`, the segments and attention across the `[SEP]`.
#
# The evidence about it points both ways:
#
# - **BERT's own ablation** (Devlin et al., Table 5, BERT-base) trained the same model without NSP and
#   found it worse on the pair tasks: QNLI 84.9 against 88.4, MNLI 83.9 against 84.4, SQuAD 87.9
#   against 88.5 F1.
# - **RoBERTa** (Liu et al., 2019, Section 4.2, Table 2) found that removing NSP **matches or slightly
#   improves** downstream results once each input is packed with full-length contiguous text
#   (FULL-SENTENCES, DOC-SENTENCES); training on pairs of single sentences with NSP hurt. It suggests
#   that BERT's ablation removed the loss but kept the short segment-pair inputs. RoBERTa dropped NSP.
# - **ALBERT** (Lan et al., 2019) argued that NSP mixes topic prediction with coherence prediction, and
#   that topic is the easy part to spot: a random sentence usually comes from another subject. Its
#   ablation (Section 4.6, Table 5) found that a model trained with NSP solves sentence-order
#   prediction (SOP) no better than chance (52.0%), so ALBERT replaced NSP with SOP.
#
# So **not every encoder-only model uses NSP**; in notebooks 4b-4d you will test what ours learnt, and
# whether NSP, SOP or neither serves best.

# %% [markdown]
# ## Check yourself

# %%
from helpers.course.quiz import quiz

quiz("nsp", kind="multiple_choice")

# %% [markdown]
# ## Summary
#
# - NSP pairs: half the time B really follows A in the corpus (label 0, **IsNext**), half the time B is a
#   random sentence from another document (label 1, **NotNext**).
# - Layout `[CLS] A [SEP] B [SEP]`; segment id 0 on `[CLS]`, A and the first `[SEP]`, 1 on B and the last
#   `[SEP]`; the input vector is token + position + segment embedding.
# - A small head on the `[CLS]` output (pooler, then a 2-way linear layer) predicts IsNext versus NotNext;
#   bidirectional attention and the segment embeddings let `[CLS]` represent the pair.
# - NSP complements MLM's per-token focus with a sentence-level task. BERT's ablation found that removing
#   it hurt QNLI, MNLI and SQuAD; RoBERTa found that with full-length contiguous inputs it can be
#   dropped without loss, and ALBERT replaced it with sentence-order prediction: not every encoder-only
#   model uses NSP.
#
# **Next:** [4. Pre-training](04_pretraining.ipynb): train MLM and NSP together, live, to their
# targets.
