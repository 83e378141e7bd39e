# Notebook 4a of "BERT, part two". Built into notebooks/04a_inside_a_pretrained_model.ipynb by scripts/build_notebooks.py.

# %% [markdown]
# # 4a. Inside a pre-trained model
#
# **Optional deep dive**, after notebook 4; the core path goes on with notebook 5.
#
# In notebook 4 you pre-trained a small BERT yourself. Here we take the course checkpoint, the same
# recipe trained longer (a 4-layer model, 7,000 steps), and look at what pre-training put into it,
# with no labels at all.
#
# ## What you will do and learn
#
# - **Fill in blanks** with the pre-trained model (MLM at work), and read its probabilities.
# - Draw an **attention heat-map**: where each position looks, head by head.
# - **Project the word embeddings** to 2-D and see that words of a kind cluster, learnt from text alone,
#   then compare with a model that was never trained.

# %%
import torch

from helpers.modeling.checkpoints import course_checkpoint_path, load_checkpoint

torch.manual_seed(0)
course = load_checkpoint(course_checkpoint_path())
model, tokenizer = course.model, course.tokenizer
print(f"course checkpoint: {course.metadata['steps']:,} steps, held-out MLM accuracy "
      f"{course.metadata['metrics']['mlm_accuracy']:.1%}, vocabulary of {tokenizer.vocab_size:,} tokens")

# %% [markdown]
# ## Filling in blanks
#
# The most direct test of MLM: put `[MASK]` in a sentence and ask for the most likely tokens.
# `helpers.modeling.fill_mask.fill_mask` does this (input `[CLS] text [SEP]`, a softmax over the vocabulary at
# each `[MASK]`). One `[MASK]` stands for one **token**: a word that the vocabulary splits into
# word-pieces would need one `[MASK]` per piece. The course's vocabulary (2,638 WordPiece tokens) is
# large enough that every word of the storybook world is a single token, so one `[MASK]` per word is
# enough. Here is how it splits our two course sentences:

# %%
print(tokenizer.tokenize("the small dog barks at the mailman ."))
print(tokenizer.tokenize("this teddy bear is so cute ."))

# %% [markdown]
# Eight blanks follow, from the course sentences to a name, a town and some places. Before you run
# them, predict:

# %%
from helpers.course.quiz import compare_prediction, predict_first

predict_first("predict-fill-mask")

# %%
# NBVAL_IGNORE_OUTPUT
from helpers.modeling.fill_mask import fill_mask

top_guesses = {}
for text in ("the small dog [MASK] at the mailman .",
             "this teddy bear is so [MASK] .",
             "mia fed the [MASK] in the henhouse .",
             "[MASK] walked to the pond with emma .",
             "lucy grew up in [MASK] , not far from sam .",
             "sam sailed a small boat past the [MASK] .",
             "the teacher asked tom to read aloud in the [MASK] .",
             "tom kicked the ball across the [MASK] ."):
    guesses = fill_mask(model, tokenizer, text, top_k=4)
    top_guesses[text] = guesses[0][0]
    shown = " | ".join(", ".join(f"{token} {p:.0%}" for token, p in blank) for blank in guesses)
    print(f"{text:52s} -> {shown}")

# %%
# NBVAL_IGNORE_OUTPUT
compare_prediction("predict-fill-mask", "top guesses: " + "; ".join(
    f"{token} {p:.0%}" for token, p in top_guesses.values()))

# %% [markdown]
# Read the guesses and their probabilities:
#
# - **The dog**: the top guesses are sounds animals make, with the dog's two, *growls* and *barks*,
#   far ahead of the rest. The model is confident here (the top two hold more than 90%), though it ranks
#   *growls* above *barks*: both fit, and nothing in the sentence decides between them.
# - **The teddy bear**: the guesses are positive describing words (*stunning*, *wonderful*,
#   *brilliant*, ...), the right kind, but each gets only a few percent. Many adjectives fit the
#   stories' "is so ..." sentences about equally well, so the model spreads its probability thinly.
# - The others are mostly the right **kind** of token too: farm animals for the henhouse, towns,
#   places by the sea, places in a school, places for sports. Where several answers fit equally well
#   (any town, any place by the sea) the model spreads its probability over them, as it should.
# - Not everything is right. For the name, the top guess is *emma*, the name that is already in the
#   sentence, though a story would hardly say "emma walked to the pond with emma"; all names get only a
#   few percent. A model this small picks up which words appear together more easily than such finer
#   rules.
#
# Nobody labeled anything: the model learnt all this by filling in blanks in stories. Try your own
# sentences.

# %% [markdown]
# ## Where does attention look?
#
# With `output_attentions=True` the model returns each layer's attention weights: for every head, a
# *(position × position)* matrix whose rows sum to 1. Here is the last layer for our sentence. Each head
# has its own pattern. In this checkpoint's last layer, head 0 gathers on *at* and the verb *barks*,
# head 1 on *small*, and head 3 on *mailman* (from `[CLS]` and `[SEP]` it puts almost all its weight
# there), while head 2 spreads its weight most evenly. Other layers look different: change `layer=-1`.

# %%
# NBVAL_IGNORE_OUTPUT
from helpers.course.plots import plot_attention_heatmap

encoded = tokenizer.encode_batch(["the small dog barks at the mailman ."])
with torch.no_grad():
    out = model(encoded["input_ids"], token_type_ids=encoded["token_type_ids"],
                attention_mask=encoded["attention_mask"], output_attentions=True)
tokens = tokenizer.convert_ids_to_tokens(encoded["input_ids"][0].tolist())
print(f"{len(out.attentions)} layers, each {tuple(out.attentions[-1].shape)} (batch, heads, positions, positions)")
fig = plot_attention_heatmap(out.attentions, tokens, layer=-1)

# %% [markdown]
# ## Words of a kind cluster
#
# Pre-training also shapes the **token embeddings** (the first table of the encoder, which the MLM head
# reuses to score words). Words that appear in the same kinds of contexts get similar vectors. We take
# eight words of each kind from the story world (names, towns, animals, places, everyday things) that are
# whole tokens in the vocabulary (with 2,638 tokens, all of them are), look up their 128-number
# embeddings and project them to 2-D with principal component analysis (PCA: the two directions along
# which these vectors vary most).

# %%
from helpers.text import world

kinds = {
    "person": [p.name for p in world.PEOPLE],
    "town": list(world.TOWNS),
    "animal": [a.word for a in world.ANIMALS],
    "place": [s for topic in world.TOPIC_INFO.values() for s in topic.scenes],
    "thing": [t.name for t in world.THINGS],
}
vocab = tokenizer.get_vocab()
words, word_kinds = [], []
for kind, candidates in kinds.items():
    whole = [w for w in candidates if w in vocab][:8]  # whole words only: one embedding row each
    words += whole
    word_kinds += [kind] * len(whole)
print(f"{len(words)} words: " + ", ".join(f"{k}: {word_kinds.count(k)}" for k in kinds))


def word_vectors(bert_model):
    return bert_model.bert.embeddings.word_embeddings.weight[[vocab[w] for w in words]].detach()


# %%
# NBVAL_IGNORE_OUTPUT
from helpers.course.plots import plot_embedding_projection

fig = plot_embedding_projection(word_vectors(model), words, word_kinds,
                                title="Token embeddings after pre-training, projected to 2-D (PCA)")

# %% [markdown]
# Points of one colour gather together: the model has grouped words by what they are without a single
# label. Animals, places and things each form their own group. People and towns sit next to each other
# in this picture: both are names, and in these two directions out of 128 they look alike (a projection
# shows only part of the structure; the NER experiments in notebook 5 show the model does tell a person
# from a town). Compare with what a randomly initialised model gives:

# %%
# NBVAL_IGNORE_OUTPUT
from helpers.modeling.bert import BertForPreTraining

torch.manual_seed(0)
untrained = BertForPreTraining(model.config)
fig = plot_embedding_projection(word_vectors(untrained), words, word_kinds,
                                title="The same words before pre-training (random initialisation)")

# %% [markdown]
# This is what fine-tuning builds on. A sentiment classifier that learnt "lovely is positive" from a
# labeled example can carry that to a word it never saw labeled, because pre-training already put the
# two words close together. Notebook 5 measures exactly that.

# %% [markdown]
# ## Summary
#
# - The pre-trained model fills blanks with the right **kind** of word and spreads its probability where
#   several words fit; it still makes mistakes a reader would not (a name repeated in its own sentence).
# - Each attention head has its own pattern, different from layer to layer.
# - Its word embeddings group words by kind (animals, places, things, names), which a randomly
#   initialised model does not: all learnt by filling in blanks in unlabeled stories.
#
# **Next:** back to the core path with [5. Fine-tuning heads](05_fine_tuning_heads.ipynb): one encoder,
# several heads, several tasks.
