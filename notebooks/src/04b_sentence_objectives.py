# Notebook 4b of "BERT, part two". Built into notebooks/04b_sentence_objectives.ipynb by scripts/build_notebooks.py.

# %% [markdown]
# # 4b. Sentence objectives: NSP, SOP or none
#
# BERT pre-trains with two objectives. MLM is never in question; the sentence-level one has been argued
# over since: BERT's own ablation says next sentence prediction (NSP) helps, RoBERTa says it can go,
# ALBERT replaces it with sentence-order prediction (SOP). Here you measure all three choices on our
# scale, from three of the course's shipped checkpoints that differ **only** in the sentence objective.
#
# ## What you will do and learn
#
# - Meet **sentence-order prediction**: two consecutive segments of one document, in order or swapped,
#   and see how its pairs differ from NSP's.
# - **Look inside each sentence head**: how often it is right on true next segments, on random segments
#   about another topic, about the same topic, and on swapped segments.
# - Set the result beside ALBERT's own measurement (Table 5). Notebooks 4c and 4d then fine-tune the
#   three encoders, to see whether any of this matters after fine-tuning.

# %%
import torch

from helpers.experiments import load_family

torch.manual_seed(0)
ARMS = ["80/10/10 + NSP", "MLM + SOP", "MLM only"]
family = load_family(ARMS)
tokenizer = family["80/10/10 + NSP"].tokenizer  # the three share one vocabulary: same corpus, same seed
for arm, checkpoint in family.items():
    meta = checkpoint.metadata
    print(f"{arm:15s} sentence objective {meta['sentence_objective']!r:7s} steps {meta['steps']:,}  "
          f"held-out MLM {meta['metrics']['mlm_accuracy']:.1%}")

# %% [markdown]
# ## Two ways to make a pair
#
# Both objectives feed the model `[CLS] A [SEP] B [SEP]` and put a two-way classifier on `[CLS]`, with
# the same label convention: 0 means "the pair is as written", 1 means "it is not". They differ in
# what the negative pairs (label 1) are:
#
# - **NSP** (BERT): B is a segment from **another document**;
# - **SOP** (ALBERT, Lan et al., 2019, Section 3.1): A and B are two **consecutive** segments of one
#   document, in the **wrong order**.
#
# The code that cuts SOP pairs is short: fill a chunk with whole sentences, split it after a random
# sentence, and flip a coin to swap the halves.

# %%
# NBVAL_IGNORE_OUTPUT
from helpers.course.demos import show_source
from helpers.objectives.sop import make_sop_pairs

show_source(make_sop_pairs, start="    pairs = []", end="    rng.shuffle(pairs)")

# %% [markdown]
# One negative of each kind, from the same stories:

# %%
from helpers.constants import IS_RANDOM, SWAPPED
from helpers.objectives.nsp import make_nsp_pairs
from helpers.text.corpus import make_storybook

stories = make_storybook(20, seed=4242)
nsp_negative = next(p for p in make_nsp_pairs(stories, tokenizer=tokenizer, seed=1, progress=False)
                    if p["next_sentence_label"] == IS_RANDOM)
sop_negative = next(p for p in make_sop_pairs(stories, tokenizer=tokenizer, seed=1, progress=False)
                    if p["sentence_order_label"] == SWAPPED)
print("NSP, B from another story:")
print("   A:", nsp_negative["a"], "\n   B:", nsp_negative["b"])
print("SOP, the same story's two segments swapped (shown B first, then A):")
print("   first: ", sop_negative["b"], "\n   second:", sop_negative["a"])

# %% [markdown]
# The NSP negative usually changes the topic, the people and the place at once, so a model can catch it
# by asking "are A and B about the same kind of thing?". The SOP negative keeps everything the same
# except the order: only the flow of the story (who was introduced first, what happened before what)
# gives it away. ALBERT's argument was exactly this: NSP can be solved largely by topic, which MLM
# already teaches, while SOP forces the model to learn coherence.
#
# ## What did each sentence head learn?
#
# `helpers.experiments.sentence_head_breakdown` cuts pairs from 600 new stories (a seed no checkpoint
# trained on) and scores the head on four kinds of pair:
#
# - **true next**: B really follows A (right answer: 0);
# - **random, other topic**: B from a story about another topic (right answer: 1);
# - **random, same topic**: B from another story about the same topic (right answer: 1);
# - **swapped order**: two consecutive segments, in the wrong order (right answer: 1).
#
# The MLM-only checkpoint has a sentence head too, but it was never trained: its weights are the
# random ones it started with, so its row is a baseline of what an untrained head answers. Before you
# run it, predict:

# %%
from helpers.course.quiz import compare_prediction, predict_first

predict_first("predict-sentence-objectives-swapped")

# %%
# NBVAL_IGNORE_OUTPUT
from helpers.experiments import PAIR_KINDS, sentence_head_breakdown

heads = {arm: sentence_head_breakdown(checkpoint.model, tokenizer) for arm, checkpoint in family.items()}
print(f"{'':16s}" + "".join(f"{kind:>22s}" for kind in PAIR_KINDS))
for arm, result in heads.items():
    print(f"{arm:16s}" + "".join(f"{result[kind]:22.1%}" for kind in PAIR_KINDS))

# %%
# NBVAL_IGNORE_OUTPUT
from helpers.course.plots import plot_grouped_bars

fig = plot_grouped_bars({kind: {arm: heads[arm][kind] for arm in ARMS} for kind in PAIR_KINDS},
                        title="How often each sentence head is right, by kind of pair", ylabel="accuracy",
                        xlabel="kind of pair", reference=0.5, reference_label="a coin flip")
compare_prediction("predict-sentence-objectives-swapped", "on swapped pairs: " + ", ".join(
    f"{arm} {heads[arm]['swapped order']:.0%}" for arm in ARMS))

# %% [markdown]
# Read the table row by row:
#
# - The **NSP head** accepts true continuations and rejects random segments about another topic almost
#   always. Random segments about the **same** topic it catches far less often, about as often as a
#   coin would, and swapped segments not much more often: a swapped pair keeps the topic, the people
#   and the place, which is mostly what an NSP head checks. Its high overall NSP accuracy rests on
#   topic.
# - The **SOP head** catches swapped segments almost always: it learned the *order* of events in a
#   story (our stories introduce their people by name before they use pronouns, ask before they
#   answer). But it takes most random segments for a true continuation: its negatives never changed
#   the topic, so a change of topic means nothing to it.
# - The **untrained head** of the MLM-only model leans towards answering "as written", so it is right
#   on most true continuations and wrong on most negatives: a baseline, not knowledge.
#
# Each head is good at the negatives it was trained on, and weak on the other's.
#
# ALBERT measured the same thing at scale (Lan et al., 2019, Section 4.6, Table 5, ALBERT-base): the
# model pre-trained with NSP solved the SOP task only 52.0% of the time, a coin flip, while the one
# pre-trained with SOP reached 86.5%; and the SOP model still did well on NSP (78.9%), the NSP model
# 90.5% on its own task. Our heads show the same asymmetry, and our SOP head is even weaker at NSP than
# ALBERT's: on our short pairs a topic change is the only clue to an NSP negative, and SOP never needed
# that clue.
#

# %% [markdown]
# ## Check yourself

# %%
from helpers.course.quiz import quiz

quiz("sentence_objectives", kind="multiple_choice")

# %% [markdown]
# ## Summary
#
# - **SOP** (ALBERT) makes its negatives by swapping two consecutive segments of one document; **NSP**
#   (BERT) by taking B from another document. Both put a two-way head on `[CLS]`.
# - An NSP head learns mostly **topic**: it rejects random segments about another topic, but takes a
#   swapped pair for a true continuation. An SOP head learns about **order**, the part that topic cannot
#   solve.
# - At scale ALBERT measured the same asymmetry (Table 5): NSP training gave a coin flip on sentence
#   order, SOP training 86.5%.
#
# **Next:** [4c. Sentence objectives after fine-tuning: paraphrase](04c_objectives_and_paraphrase.ipynb):
# do the three encoders differ once they are fine-tuned on a task that reads a pair of texts?
