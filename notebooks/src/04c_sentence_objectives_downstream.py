# Notebook 4c of "BERT, part two". Built into notebooks/04c_sentence_objectives_downstream.ipynb by scripts/build_notebooks.py.

# %% [markdown]
# # 4c. Sentence objectives after fine-tuning
#
# Notebook 4b looked inside three sentence heads: NSP's learns mostly topic, SOP's learns order, and the
# MLM-only model has none. But the heads are thrown away after pre-training. What users keep is the
# encoder. Here we fine-tune the three encoders, the shipped checkpoints that differ **only** in the
# sentence objective, and ask whether the choice still shows.
#
# ## What you will do and learn
#
# - **Fine-tune all three encoders** on the two tasks of the course that read across a pair of texts,
#   paraphrase detection and question answering, three seeds each (about a minute and a half).
# - Read a comparison **against its spread**: which differences are larger than the seed-to-seed noise.
# - Set the result beside the papers' own: BERT's Table 5, RoBERTa's Table 2, ALBERT's Table 5.

# %%
import torch

from helpers.course.plots import plot_grouped_bars
from helpers.course.quiz import compare_prediction, predict_first
from helpers.experiments import load_family

torch.manual_seed(0)
ARMS = ["80/10/10 + NSP", "MLM + SOP", "MLM only"]
family = load_family(ARMS)
tokenizer = family["80/10/10 + NSP"].tokenizer  # the three share one vocabulary: same corpus, same seed

# %% [markdown]
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
# ## Summary
#
# - The sentence objective's effect after fine-tuning depends on the task. NSP's encoder was clearly ahead
#   on paraphrase, a `[CLS]` comparison of two sentences like NSP itself; on question answering, read
#   from the tokens, the three stayed within their spread.
# - A difference counts only when it is clearly larger than the spread over seeds.
# - At scale, BERT found NSP helped (Table 5), RoBERTa that with packed, contiguous inputs it does not
#   (Table 2), ALBERT that SOP helps more than NSP (Table 5); the input format and the task decide.
#
# **Next:** [4d. BERT at real scale](04d_bert_at_real_scale.ipynb): our small run beside BERT-base and
# BERT-large, in numbers.
