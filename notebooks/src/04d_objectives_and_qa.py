# Notebook 4d of "BERT, part two". Built into notebooks/04d_objectives_and_qa.ipynb by scripts/build_notebooks.py.

# %% [markdown]
# # 4d. Sentence objectives after fine-tuning: question answering
#
# Notebook 4c found the NSP encoder clearly ahead on paraphrase, a task decided on `[CLS]`. Question
# answering reads a pair of texts too, a question as A and a passage as B, but its answer comes from the
# tokens: a start and an end score at every position. Does the sentence objective still matter there?
#
# ## What you will do and learn
#
# - **Fine-tune the same three encoders** on extractive question answering, three seeds each.
# - Set both results beside the papers': BERT's Table 5, RoBERTa's Table 2, ALBERT's Table 5, and see
#   why they seem to disagree.

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
# The same recipe as notebook 4c: 512 labeled examples, 150 steps, seeds 0, 1 and 2, 300 test examples.
# The score is the token F1 of the predicted answer against the true one (exact match is in notebook 5,
# which trains QA longer). About a minute and a half.

# %%
# NBVAL_IGNORE_OUTPUT
result = compare_finetuning("qa", tokenizer, encoders, num_train_examples=512, seeds=(0, 1, 2), splits=("test",),
                            test_size=300)

# %%
# NBVAL_IGNORE_OUTPUT
print(result.summary("test"))
fig = plot_bars(result.means("test"), title="Question answering, fine-tuned from each encoder",
                xlabel="pre-training of the encoder", ylabel="test " + result.metric.replace("_", " "),
                percent=True, errors=result.spreads("test"))
compare_prediction("predict-sentence-objectives-downstream",
                   "qa: " + ", ".join(f"{arm} {result.scores[arm]['test'].mean:.0%}" for arm in ARMS))

# %% [markdown]
# On question answering the differences stay within the spread: the answer is read from every token's
# output, not from `[CLS]`, and all three encoders share MLM, which is what shapes those outputs. Our
# QA scores after 150 steps also vary a lot from seed to seed, so only a large effect could show.
# So a sentence objective helped where the task uses the same `[CLS]` comparison the objective trained
# (paraphrase, notebook 4c), and not here.
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
# `[CLS]` used by the pair task. And our results have the shape of BERT's Table 5: dropping NSP cost most
# on the `[CLS]` pair classifications (QNLI 3.5 points) and least on SQuAD (0.6 F1), where the answer is
# read from the tokens. ALBERT's SOP advantage came on long, multi-sentence inputs (RACE, SQuAD 2.0);
# our pairs are a few sentences long, and our SOP head's skill at order did not carry over.

# %% [markdown]
# ## Summary
#
# - On question answering, read from the tokens, the three encoders stayed within their spread; on
#   paraphrase (notebook 4c), read from `[CLS]`, NSP's encoder was clearly ahead.
# - At scale, BERT found NSP helped (Table 5), RoBERTa that with packed, contiguous inputs it does not
#   (Table 2), ALBERT that SOP helps more than NSP (Table 5): the input format and the task decide.
#
# **Next:** [4e. BERT at real scale](04e_bert_at_real_scale.ipynb): our small run beside BERT-base and
# BERT-large, in numbers.
