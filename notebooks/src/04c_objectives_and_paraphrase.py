# Notebook 4c of "BERT, part two". Built into notebooks/04c_objectives_and_paraphrase.ipynb by scripts/build_notebooks.py.

# %% [markdown]
# # 4c. Sentence objectives after fine-tuning: paraphrase
#
# Notebook 4b looked inside three sentence heads: NSP's learns mostly topic, SOP's learns order, and the
# MLM-only model has none. But the heads are thrown away after pre-training; what users keep is the
# encoder. This notebook and the next fine-tune the three encoders, the shipped checkpoints that differ
# **only** in the sentence objective, on the two tasks of the course whose input is a pair of texts.
# Each comparison takes a good minute and a half, so each has its own notebook.
#
# ## What you will do and learn
#
# - **Fine-tune all three encoders** on paraphrase detection: do sentences A and B mean the same? A head
#   on `[CLS]`, exactly NSP's layout. Three seeds each.
# - Read a comparison **against its spread**: which differences are larger than the seed-to-seed noise.

# %%
import torch

from helpers.course.plots import plot_bars
from helpers.course.quiz import compare_prediction, predict_first
from helpers.experiments import compare_finetuning, load_family

torch.manual_seed(0)
ARMS = ["80/10/10 + NSP", "MLM + SOP", "MLM only"]
family = load_family(ARMS)
tokenizer = family["80/10/10 + NSP"].tokenizer  # the three share one vocabulary: same corpus, same seed
encoders = {arm: {"encoder": checkpoint.model} for arm, checkpoint in family.items()}

# %% [markdown]
# Each arm is fine-tuned on the same 512 labeled pairs for the same 150 steps, three times with seeds 0,
# 1 and 2; we report the mean and the spread over the seeds on 300 test pairs. Predict first, for both
# tasks (notebook 4d runs the second):

# %%
predict_first("predict-sentence-objectives-downstream")

# %%
# NBVAL_IGNORE_OUTPUT
result = compare_finetuning("paraphrase", tokenizer, encoders, num_train_examples=512, seeds=(0, 1, 2), splits=("test",),
                            test_size=300)

# %%
# NBVAL_IGNORE_OUTPUT
print(result.summary("test"))
fig = plot_bars(result.means("test"), title="Paraphrase detection, fine-tuned from each encoder",
                xlabel="pre-training of the encoder", ylabel="test " + result.metric.replace("_", " "),
                percent=True, errors=result.spreads("test"))
compare_prediction("predict-sentence-objectives-downstream",
                   "paraphrase: " + ", ".join(f"{arm} {result.scores[arm]['test'].mean:.0%}" for arm in ARMS))

# %% [markdown]
# How to read it: a difference between two arms means something only if it is clearly larger than the
# spread over seeds (the "±"). With that rule, the NSP encoder is ahead of both others by far more than
# the spread, and SOP is no better than no sentence objective at all.
#
# Paraphrase is decided by a classifier on `[CLS]` that must compare what the two sentences say (who,
# what, to whom). NSP trained exactly that `[CLS]` output to compare the contents of two segments; SOP
# trained it to judge their order, which a paraphrase pair does not need. That is our reading of the
# result: the experiment shows the effect, not its mechanism.
#
# BERT's own ablation found the same kind of effect (Devlin et al., 2019, Table 5, BERT-base): without
# NSP, the sentence-pair classifications lost most, QNLI 88.4 → 84.9 and MNLI 84.4 → 83.9.

# %% [markdown]
# ## Summary
#
# - Fine-tuned on paraphrase detection, a `[CLS]` comparison of two sentences like NSP itself, the NSP
#   encoder was clearly ahead; the SOP encoder did no better than the one without a sentence objective.
# - A difference counts only when it is clearly larger than the spread over seeds.
#
# **Next:** [4d. Sentence objectives after fine-tuning: question answering](04d_objectives_and_qa.ipynb):
# the same three encoders on a task read from the tokens, and the papers' side of the argument.
