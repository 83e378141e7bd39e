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
# - **Fine-tune all three encoders** on the two tasks of the course that read across a pair of texts,
#   paraphrase detection and question answering, three seeds each, and read the result against its spread.
# - Set every number beside the papers' own: BERT's Table 5, RoBERTa's Table 2, ALBERT's Table 5.

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
# ## Does a sentence objective help after fine-tuning?
#
# Now the question that matters for users of the encoder. We fine-tune the three encoders, with the same
# recipe, on the two tasks of the course whose input is a pair of texts:
#
# - **paraphrase detection**: do sentences A and B mean the same? A head on `[CLS]`, exactly NSP's layout;
# - **question answering**: a question as A, a passage as B, the answer span predicted per token.
#
# Each arm is fine-tuned on the same 512 labeled examples for the same 150 steps, three times with seeds
# 0, 1 and 2; we report the mean and the spread over the seeds on the test split. About a minute and a
# half in all. Predict first:

# %%
predict_first("predict-sentence-objectives-downstream")

# %%
# NBVAL_IGNORE_OUTPUT
from helpers.experiments import compare_finetuning

encoders = {arm: {"encoder": checkpoint.model} for arm, checkpoint in family.items()}
downstream = {task: compare_finetuning(task, tokenizer, encoders, num_labels=512, seeds=(0, 1, 2),
                                       splits=("test",), test_size=300)
              for task in ("paraphrase", "qa")}

# %%
# NBVAL_IGNORE_OUTPUT
for task, comparison in downstream.items():
    print(f"{task} ({comparison.metric} on the test split, mean ± spread over seeds {comparison.seeds}):")
    for arm in ARMS:
        print(f"  {arm:16s} {comparison.scores[arm]['test']:.1%}")
    best = max(ARMS, key=lambda arm: comparison.scores[arm]["test"].mean)
    worst = min(ARMS, key=lambda arm: comparison.scores[arm]["test"].mean)
    gap = comparison.difference(best, worst, "test")
    spread = max(comparison.scores[arm]["test"].std for arm in ARMS)
    print(f"  best minus worst: {gap:+.1%}; the largest spread over seeds: {spread:.1%}")

# %%
# NBVAL_IGNORE_OUTPUT
fig = plot_grouped_bars({f"{task} ({c.metric})": c.means("test") for task, c in downstream.items()},
                        title="Fine-tuned on pair tasks: the three sentence objectives", ylabel="test score",
                        xlabel="task")
compare_prediction("predict-sentence-objectives-downstream", "; ".join(
    f"{task}: " + ", ".join(f"{arm} {c.scores[arm]['test'].mean:.0%}" for arm in ARMS)
    for task, c in downstream.items()))

# %% [markdown]
# How to read it: a difference between two arms means something only if it is clearly larger than the
# spread over seeds (printed above, the "±"). With that rule:
#
# - On **paraphrase**, the NSP encoder is ahead of both others by far more than the spread, and SOP is
#   no better than no sentence objective at all. Paraphrase is decided by a classifier on `[CLS]` that
#   must compare what the two sentences say (who, what, to whom). NSP trained exactly that `[CLS]`
#   output to compare the contents of two segments; SOP trained it to judge their order, which a
#   paraphrase pair does not need. (That is our reading of the result; the experiment shows the effect,
#   not its mechanism.)
# - On **question answering**, the differences stay within the spread: the answer is read from every
#   token's output (a start and an end score), not from `[CLS]`, and all three encoders share MLM, which
#   is what shapes those outputs. Our QA scores also vary a lot from seed to seed, so only a large
#   effect could show.
#
# So a sentence objective helped here where the task uses the same `[CLS]` comparison the objective
# trained, and nowhere else.
#
# The papers disagree in the same way, and for reasons you can now name:
#
# | paper, table | comparison | result |
# |---|---|---|
# | BERT (Devlin et al., 2019), Table 5 | BERT-base with NSP vs without (same inputs) | without NSP: QNLI 88.4 → 84.9, MNLI 84.4 → 83.9, SQuAD 1.1 F1 88.5 → 87.9 |
# | RoBERTa (Liu et al., 2019), Table 2 | BERT's segment pairs with NSP vs full-length text from one document (DOC-SENTENCES) without | without NSP and with packed inputs: SQuAD 2.0 F1 78.7 → 79.7, MNLI-m 84.0 → 84.7, RACE 64.2 → 65.6 |
# | ALBERT (Lan et al., 2019), Table 5 | none vs NSP vs SOP, ALBERT-base | SOP best on average (80.1 vs 79.2 for NSP and 79.0 for none); NSP gives no SOP skill (52.0%) |
#
# BERT's ablation removed NSP but kept the short segment-pair inputs NSP was designed for; RoBERTa changed
# the inputs to long, contiguous text and found NSP unnecessary; ALBERT kept a sentence objective but
# made it one that topic alone cannot solve. Our setting is BERT's: short segment pairs, and NSP's
# `[CLS]` used by the pair task. And our result has the shape of BERT's Table 5: dropping NSP cost most
# on the `[CLS]` pair classifications (QNLI 3.5 points) and least on SQuAD (0.6 F1), where the answer is
# read from the tokens. ALBERT's SOP advantage came on long, multi-sentence inputs (RACE, SQuAD 2.0);
# our pairs are a few sentences long, and our SOP head's skill at order did not carry over to paraphrase.

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
# - After fine-tuning, NSP's encoder was clearly ahead on paraphrase, a `[CLS]` comparison of two
#   sentences like NSP itself; on question answering the three stayed within their spread. Read every
#   difference against the spread over seeds. At scale, BERT found NSP helped (Table 5), RoBERTa that with
#   packed, contiguous inputs it does not (Table 2), ALBERT that SOP helps more than NSP (Table 5).
#
# **Next:** [4c. BERT at real scale](04c_bert_at_real_scale.ipynb): our small run beside BERT-base and
# BERT-large, in numbers.
