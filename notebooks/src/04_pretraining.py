# Notebook 4 of "BERT, part two". Built into notebooks/04_pretraining.ipynb by scripts/build_notebooks.py.

# %% [markdown]
# # 4. Pre-training: MLM and NSP together
#
# You know both objectives. Now you train a BERT with both of them, on unlabeled text only, from random
# weights to a model that passes its targets, in your own run. This notebook is almost all that one run
# (about a minute and a half on two cores); notebook 4a then looks inside a pre-trained model.
#
# ## What you will do and learn
#
# - **Pre-train live**: MLM and NSP together, the whole 1,700-step "live" preset, with loss and
#   accuracy curves, and check its held-out targets (MLM at least 60%, NSP at least 70%).
# - Read the curves: which accuracy rises first, and why NSP waits for MLM.
# - See how the **length of the training pairs** decides which objective learns first.
# - See why the rest of the course loads checkpoints pre-trained longer: **pre-train once, reuse**.

# %%
import torch

from helpers.modeling.checkpoints import course_checkpoint_path

torch.manual_seed(0)
CHECKPOINT = course_checkpoint_path()

# %% [markdown]
# ## Stage one of the workflow
#
# Pre-training is the first of the two stages of BERT's workflow:
#
# 1. **pre-training**: MLM and NSP together, on a large **unlabeled** corpus. It produces weights for
#    everything in the encoder: the token, position and segment embeddings and every encoder block.
#    It is the expensive part, done once per model release;
# 2. **fine-tuning** (notebook 5): a small task head on top, trained on labeled data.
#
# `helpers.training.pretraining.pretrain` is the BERT recipe shrunk to fit a laptop: cut the corpus into
# NSP pairs; corrupt each batch for MLM (15% selected, 80/10/10); the loss is the MLM cross-entropy at
# the selected positions **plus** the NSP cross-entropy on `[CLS]`; AdamW with a linear warm-up and
# decay. Every so often it scores the model on held-out stories: MLM accuracy at the selected positions
# (split by what happened to them) and NSP accuracy.
#
# One difference from the original matters. **We draw a fresh masking for every batch** (dynamic
# masking), so a pair seen five times is masked five different ways. **BERT masked statically**:
# Google's `create_pretraining_data.py` masked the data once, before training, writing each sequence
# out `dupe_factor` = 10 times with ten different maskings; over about 40 passes through the data
# (BERT paper, Appendix A.2) each masking came back about four times. Dynamic masking is RoBERTa's
# change (Liu et al., 2019, Section 4.1, Table 1), which found it comparable or slightly better. It
# matters most for a small corpus read many times, like ours: a fixed masking would let the model meet
# the same blanks again and again. Notebook 4e sets our run beside BERT's at full scale.

# %% [markdown]
# ## Pre-training live
#
# The "live" preset is a 2-layer, 128-wide BERT on 6,000 storybook documents, with pairs of up to 56
# tokens, trained for 1,700 steps of 32 pairs (peak learning rate 1.5e-3): about a minute and a half on
# a 2-core laptop. The
# course's targets for it are held-out MLM accuracy of at least 60% and NSP accuracy of at least 70%
# (measured on 512 pairs from stories it never saw). Will it get there?

# %%
from helpers.course.quiz import compare_prediction, predict_first

predict_first("predict-live-pretraining")

# %%
# NBVAL_IGNORE_OUTPUT
from helpers.training.pretraining import pretrain

live = pretrain("live", progress=True)
print(f"{live.steps} steps in {live.seconds:.0f} s; held-out MLM accuracy {live.final['mlm_accuracy']:.1%}, "
      f"NSP accuracy {live.final['nsp_accuracy']:.1%}")

# %%
print("held-out MLM accuracy >= 60%:", live.final["mlm_accuracy"] >= 0.60)
print("held-out NSP accuracy >= 70%:", live.final["nsp_accuracy"] >= 0.70)

# %%
# NBVAL_IGNORE_OUTPUT
from helpers.course.plots import plot_pretraining_history

fig = plot_pretraining_history(live.history, title=f"Live pre-training, {live.steps} steps (MLM + NSP)")
compare_prediction("predict-live-pretraining", f"MLM {live.final['mlm_accuracy']:.0%}, "
                   f"NSP {live.final['nsp_accuracy']:.0%} after {live.steps} steps")

# %% [markdown]
# Your numbers may differ from the stored ones in the last digits: the number of CPU threads changes the
# order of floating-point sums, and so the exact curve, much as another seed would. With one thread,
# seeds 1 and 2 of this preset ended at MLM 63.1% and 61.3%, NSP 74.0% and 71.3%: above both targets,
# but not by much. The targets are set where a minute and a half of training can reach, not higher.
#
# What to look for in the curves:
#
# - The **MLM loss** drops fast at first, while the model learns which tokens are frequent; for a while
#   its best guess at a blank is simply a common token. Using the context properly comes later (the
#   steep part of the MLM accuracy, from about step 750 here).
# - Accuracy at **kept** positions rises first: when the answer is visible in the input, copying it is
#   the easiest thing to learn. Accuracy at `[MASK]` and at **random** positions needs context.
# - The **NSP loss** starts at log 2 ≈ 0.69 (a coin flip) and falls slowly. NSP accuracy jumps to about
#   60% early, then climbs slowly, and crosses the 70% line only in the second half of the run, during
#   and after MLM's steep climb. The course run below shows the same order on a longer scale: a
#   sentence head does better once MLM has taught the encoder what a segment is about.
#
# ### How long should a training pair be?
#
# The pair length was the setting that decided whether this run could meet both targets in about a
# minute and a half. We measured these runs on this course's 2-core machine (seed 0, two threads, one
# run each, before a later change made every run a few seconds faster by tokenizing the corpus once):
#
# | pairs of up to | peak learning rate | steps | seconds | held-out MLM | held-out NSP |
# |---|---:|---:|---:|---:|---:|
# | 48 tokens | 2e-3 | 2,000 | 95 | 65.4% | 67.0% |
# | 48 tokens | 2e-3 | 3,000 | 166 | 70.6% | 67.6% |
# | 64 tokens | 2e-3 | 2,200 | 140 | 58.1% | 75.0% |
# | 56 tokens | 2e-3 | 1,800 | 112 | 63.0% | 72.5% |
#
# Longer pairs give NSP more text on each side to compare, so it learns sooner. MLM goes the other way:
# it learnt more slowly per step on longer pairs (58% after 2,200 steps of 64 tokens, against 63% after
# 1,800 of 56), and each step costs more. At 48 tokens NSP stalled near two pairs in three, even with
# 50% more steps. No length is best for both objectives; 56 clears both targets. The last change was
# the learning rate, to fit the notebook's two minutes: at 56 tokens and 1,600 steps (one thread), a
# peak of 1.5e-3 took MLM to 63.1% against 60.9% with 2e-3, while 2.5e-3 and 1e-3 were both slower
# (43% and 57%). Too high a rate delays the point where MLM starts to use the context.
#
# BERT, too, chose its lengths for cost: it pre-trained 90% of its steps on sequences of 128 tokens and
# only the last 10% on 512, because longer sequences cost disproportionately more (attention grows with
# the square of the length) and the positions beyond 128 still had to be learnt (BERT paper,
# Appendix A.2).
#
# ### Why we now load a checkpoint
#
# The live run meets its targets, but it is a small model trained briefly; a better one needs more
# steps. The course ships a family of checkpoints pre-trained once with the "course" preset: a 4-layer
# model with a vocabulary of 2,638 tokens, 7,000 steps on 20,000 documents, about eleven minutes each on
# a 2-core machine with nothing else running. `checkpoints/course.pt` is BERT's recipe (MLM 80/10/10 + NSP); its siblings change one
# thing each (always-`[MASK]`, no sentence objective, sentence-order prediction), for the comparisons of
# notebooks 2 and 4b-4d. That is the workflow in miniature: **pre-train once, then reuse**. Every
# remaining experiment starts from them. (`make checkpoints` remakes all four; `checkpoints/README.md`
# gives the command of each, and each file's metadata records how it was made.)

# %%
# NBVAL_IGNORE_OUTPUT
from helpers.modeling.checkpoints import load_checkpoint

course = load_checkpoint(CHECKPOINT)
meta = course.metadata
print(f"steps: {meta['steps']}, pre-training time: {meta['seconds'] / 60:.1f} min, "
      f"parameters: {meta['num_parameters']:,}")
for key in ("mlm_accuracy", "mlm_accuracy_masked", "mlm_accuracy_random", "mlm_accuracy_kept", "nsp_accuracy"):
    print(f"  held-out {key:20s} {meta['metrics'][key]:.1%}")

# %%
# NBVAL_IGNORE_OUTPUT
from helpers.course.plots import plot_training_curves

recorded = meta["history"]["eval"]  # the course run's held-out curve, stored in the checkpoint
fig = plot_training_curves({"course checkpoint (4 layers, 7,000 steps)": recorded["nsp_accuracy"]},
                           steps=recorded["step"], ylabel="held-out NSP accuracy",
                           title="NSP learns late: the course run's curve, and your live run's")
fig.axes[0].plot(live.history["eval"]["step"], live.history["eval"]["nsp_accuracy"], linewidth=2,
                 label=f"your live run (2 layers, {live.steps:,} steps)")
fig.axes[0].axhline(0.7, color="grey", linestyle=":", label="the live run's 70% target")
fig.axes[0].legend()

# %% [markdown]
# The course run, with twice the layers and pairs of 64 tokens, passed 70% NSP accuracy early (by
# step 750), then sat near 75% until step 4,500, then climbed to about 90% within a thousand steps.
# Your live run stops at 1,700 steps, long before such a climb. What the course checkpoint's NSP head
# learned in that climb, and whether a sentence objective helps at all, is the subject of notebook 4b.

# %% [markdown]
# ## Check yourself

# %%
from helpers.course.quiz import quiz

quiz("workflow", kind="multiple_choice")

# %% [markdown]
# ## Summary
#
# - Pre-training runs **MLM and NSP together** (their losses are added) on unlabeled text; it produces
#   the weights of the embeddings and of every encoder block. We mask each batch afresh (dynamic
#   masking, RoBERTa's change); the original BERT masked its data once, ten ways, in advance.
# - Your live run took a 2-layer model from random weights past both targets in 1,700 steps on a laptop.
#   Copying at kept positions is learnt first, filling `[MASK]` from context later; NSP's last climb
#   comes after MLM has learnt to use the context.
# - The length of the training pairs trades one objective against the other: longer pairs help NSP,
#   shorter ones (more, cheaper steps) help MLM.
# - Pre-training is the expensive stage, done once (notebook 4e measures by how much); the course's
#   checkpoints were pre-trained once and are reused from here on.
#
# **Next:** [4a. Inside a pre-trained model](04a_inside_a_pretrained_model.ipynb): fill in blanks, look at
# attention, and see word embeddings that cluster by kind.
