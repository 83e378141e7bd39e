# Notebook 4 of "BERT, part two". Built into notebooks/04_pretraining.ipynb by scripts/build_notebooks.py.

# %% [markdown]
# # 4. Pre-training: MLM and NSP together
#
# You know both objectives. Now you train a BERT with both of them, on unlabeled text only, from random
# weights to a model that passes its targets, in your own run of about a minute and a half on two cores.
#
# ## What you will do and learn
#
# - **Pre-train live**: MLM and NSP together, the 1,700-step "live" preset, to held-out targets of 60%
#   (MLM) and 70% (NSP).
# - **Read the curves**: which accuracy rises first, and why NSP waits for MLM.
# - See how the **length of the training pairs** trades one objective against the other.
# - See why the rest of the course loads checkpoints: **pre-train once, reuse**.

# %%
import torch

from helpers.modeling.checkpoints import course_checkpoint_path

torch.manual_seed(0)
CHECKPOINT = course_checkpoint_path()

# %% [markdown]
# ## Stage one of the workflow
#
# BERT's workflow has two stages:
#
# 1. **pre-training**: MLM and NSP together on a large **unlabeled** corpus. It produces weights for
#    everything in the encoder: the token, position and segment embeddings and every encoder block. It
#    is the expensive part, done once per model release;
# 2. **fine-tuning** (notebook 5): a small task head on top, trained on labeled data.
#
# `helpers.training.pretraining.pretrain` is BERT's recipe shrunk to fit a laptop: cut the corpus into
# NSP pairs; corrupt each batch for MLM (15% selected, 80/10/10); add the MLM loss at the selected
# positions to the NSP loss on `[CLS]`; AdamW with a linear warm-up and decay. Every 250 steps it scores
# held-out stories: MLM accuracy at the selected positions, split by what happened to them, and NSP
# accuracy.
#
# One difference from the original: **we draw a fresh masking for every batch** (dynamic masking).
# **BERT masked statically**: before training, Google's `create_pretraining_data.py` wrote each sequence
# out ten times (`dupe_factor`), masked ten ways. The paper calls its schedule about 40 passes over the
# corpus (Appendix A.2), a figure that counts 512 tokens in every step; 90% of the steps used 128, and
# the positions actually processed come to about 13 passes (the optional notebook 5b counts them).
# Dynamic masking is RoBERTa's change (Liu et al., 2019, Section 4.1, Table 1: comparable or slightly
# better); it matters most for a small corpus read many times, like ours.

# %% [markdown]
# ## Pre-training live
#
# The "live" preset is a 2-layer, 128-wide BERT on 6,000 storybook documents, with pairs of up to 56
# tokens, trained for 1,700 steps of 32 pairs (peak learning rate 1.5e-3). Its targets: held-out MLM
# accuracy of at least 60% and NSP accuracy of at least 70%, on 512 pairs from stories it never saw.
# Every 250 steps it measures four accuracies: MLM at `[MASK]`, at random tokens and at kept tokens, and
# NSP. Predict which one rises first:

# %%
from helpers.course.quiz import compare_prediction, predict_first

predict_first("predict-first-curve")

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
curves = live.history["eval"]
print(f"{'step':>5s}{'kept':>8s}{'[MASK]':>8s}{'random':>8s}{'NSP':>7s}   held-out accuracy")
for i, step in enumerate(curves["step"]):
    print(f"{step:5d}" + "".join(f"{curves[key][i]:{width}.0%}" for key, width in (
        ("mlm_accuracy_kept", 8), ("mlm_accuracy_masked", 8), ("mlm_accuracy_random", 8), ("nsp_accuracy", 7))))

# %%
# NBVAL_IGNORE_OUTPUT
first = 1  # the first measurement after the start
compare_prediction("predict-first-curve", f"after {curves['step'][first]} steps: kept "
                   f"{curves['mlm_accuracy_kept'][first]:.0%}, [MASK] {curves['mlm_accuracy_masked'][first]:.0%}, "
                   f"random {curves['mlm_accuracy_random'][first]:.0%} (all three from 0%); NSP "
                   f"{curves['nsp_accuracy'][first]:.0%} (from {curves['nsp_accuracy'][0]:.0%}; a coin flip gets 50%)")

# %% [markdown]
# Your numbers may differ from the stored ones in the last digits: the number of CPU threads changes the
# order of floating-point sums, much as another seed would.
#
# Read the curves:
#
# - Accuracy at **kept** positions rises first and fastest: when the answer is visible in the input,
#   copying it is the easiest thing to learn. At `[MASK]` and at random tokens the answer has to come from
#   the context, which takes longer.
# - The **MLM loss** falls fast at first, while the model learns which tokens are frequent; using the
#   context comes later, in the steep part of the MLM accuracies.
# - **NSP** starts at a coin flip (its loss at log 2 ≈ 0.69) and jumps to about 60% within 250 steps:
#   a B from another story is often easy to spot. Then it gains slowly, and most of its later gain
#   comes while MLM's accuracy at `[MASK]` climbs: a sentence head does better once MLM has taught the
#   encoder what a segment is about.
#
# ### How long should a training pair be?
#
# Longer pairs give NSP more text on each side to compare, so it learns sooner; MLM learns more slowly
# per step on longer pairs, and each step costs more. No length is best for both: in our trials NSP
# stalled below its target with pairs of 48 tokens, MLM with 64, and 56 clears both in a minute and a
# half (`docs/lab_notes.md` lists the runs). BERT, too, chose lengths for cost: 90% of its steps on
# 128-token sequences and the last 10% on 512, since attention's cost grows with the square of the
# length (Appendix A.2).
#
# ### Why we now load a checkpoint
#
# A better model needs more steps. The course ships a family of checkpoints pre-trained once with the
# "course" preset (4 layers, a 2,638-token vocabulary, 7,000 steps on 20,000 documents):
# `checkpoints/course.pt` is BERT's recipe (MLM 80/10/10 + NSP), and its siblings change one thing each
# (always-`[MASK]`, no sentence objective, sentence-order prediction) for notebook 2 and the optional
# notebook 5c. That is the workflow in miniature: **pre-train once, then reuse**. `make checkpoints`
# remakes them (`checkpoints/README.md`), and each file's metadata records how it was made:

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
fig.axes[0].plot(curves["step"], curves["nsp_accuracy"], linewidth=2,
                 label=f"your live run (2 layers, {live.steps:,} steps)")
fig.axes[0].axhline(0.7, color="grey", linestyle=":", label="the live run's 70% target")
fig.axes[0].legend()
print("course run, held-out NSP accuracy: " + ", ".join(
    f"step {step:,} {accuracy:.0%}" for step, accuracy in zip(recorded["step"], recorded["nsp_accuracy"])
    if step in (750, 1750, 4500, 5250, 7000)))

# %% [markdown]
# The course run, with twice the layers and pairs of 64 tokens, passed 70% NSP accuracy early, sat near
# 75% until step 4,500, then climbed to about 90% within a thousand steps. Your live run stops at 1,700
# steps, long before such a climb.

# %% [markdown]
# ## Check yourself

# %%
from helpers.course.quiz import quiz

quiz("workflow", kind="multiple_choice")

# %% [markdown]
# ## Summary
#
# - Pre-training runs **MLM and NSP together** (their losses are added) on unlabeled text and produces
#   the weights of the embeddings and of every encoder block. We mask each batch afresh (dynamic
#   masking); BERT masked its data in advance.
# - Copying at kept positions is learnt first, filling `[MASK]` from context later; NSP climbs as MLM
#   learns to use the context.
# - Longer training pairs help NSP; shorter ones (more, cheaper steps) help MLM.
# - Pre-training is the expensive stage, done once; the course's checkpoints are reused from here on.
#
# **Next:** [5. Fine-tuning heads](05_fine_tuning_heads.ipynb): one encoder, several heads, several
# tasks. Optional deep dive first: [4a. Inside a pre-trained model](04a_inside_a_pretrained_model.ipynb)
# fills in blanks, looks at attention and at word embeddings.
