# Notebook 5b of "BERT, part two". Built into notebooks/05b_bert_at_real_scale.ipynb by scripts/build_notebooks.py.

# %% [markdown]
# # 5b. BERT at real scale
#
# **Optional deep dive**, after notebook 5; the core path goes on with notebook 6.
#
# Our course checkpoint was pre-trained in about ten minutes on a laptop CPU. The BERT models that
# changed the field took days on racks of TPU chips. Same architecture, same objectives: how far apart
# are they, and in what?
#
# ## What you will do and learn
#
# - Read the **real recipe** from the BERT paper (Devlin et al., 2019): the corpus, BERT-base and
#   BERT-large, the vocabulary, the schedule, the hardware, and how the masking was done.
# - **Measure our side** from the checkpoint itself: parameters counted from the loaded model, tokens
#   seen, minutes and model FLOPs from its metadata.
# - **Compute** BERT-base's and BERT-large's training FLOPs with the same formula, and the ratio.
# - **Measure the cost** of our pre-training next to one fine-tuning run of ours.
# - See what all that compute produces: **contextual vectors**, the same word getting a different
#   output vector in every sentence while its input embedding stays one.

# %%
import torch

from helpers.experiments import training_flops
from helpers.modeling.bert import count_parameters
from helpers.modeling.checkpoints import course_checkpoint_path, load_checkpoint

torch.manual_seed(0)
course = load_checkpoint(course_checkpoint_path())
model, tokenizer, meta = course.model, course.tokenizer, course.metadata
settings = meta["settings"]

# %% [markdown]
# ## The real recipe
#
# Every number below is from the BERT paper; the section is named beside it.
#
# | | BERT-base | BERT-large | source |
# |---|---|---|---|
# | layers / hidden size / attention heads | 12 / 768 / 12 | 24 / 1024 / 16 | Section 3 |
# | parameters | 110M | 340M | Section 3 |
# | corpus | BooksCorpus (800M words) + English Wikipedia (2,500M words) | same | Section 3.1 |
# | vocabulary | 30,000 WordPiece tokens | same | Section 3 |
# | schedule | 1,000,000 steps of 256 sequences; 128 tokens for 90% of the steps, 512 for the last 10% | same | Appendix A.2 |
# | hardware and time | 4 Cloud TPUs in Pod configuration (16 TPU chips), 4 days | 16 Cloud TPUs (64 chips), 4 days | Appendix A.2 |
# | masking | static: masked once, in advance | same | `create_pretraining_data.py` |
#
# Three of these deserve a word:
#
# - **The schedule.** Attention's cost grows with the square of the sequence length, so the paper
#   trains 90% of the steps on 128-token sequences and only the last 10% on 512 tokens, enough to learn
#   the position embeddings of the later positions (Appendix A.2). It calls the schedule about 40
#   passes over the 3.3-billion-word corpus, counting 512 tokens in every step; counted with the 90/10
#   split, as the positions below are, it makes about 13.
# - **The masking.** Google's `create_pretraining_data.py` wrote the training data once, with each
#   sequence duplicated `dupe_factor = 10` times, each copy masked differently. At 40 passes each
#   masking would come back about four times; at the 13 counted below, once or twice. Our training
#   loop draws a fresh masking for every batch instead (dynamic masking, RoBERTa's change; notebook 4).
# - **The vocabulary.** 30,000 word pieces for all of English means that rare words, most names among
#   them, are split into pieces. Ours has 2,638 entries for a small story world, every word whole;
#   notebook 5a shows what pieces change in fine-tuning.

# %% [markdown]
# ## Our side, measured
#
# The parameters are counted from the loaded model; the rest is what `pretrain` recorded in the
# checkpoint's metadata while it ran.

# %%
ours = {
    "layers": course.config["num_hidden_layers"], "hidden": course.config["hidden_size"],
    "heads": course.config["num_attention_heads"], "vocabulary": tokenizer.vocab_size,
    "parameters": count_parameters(model), "steps": meta["steps"], "batch": settings["batch_size"],
    "max_length": settings["max_length"], "tokens": meta["tokens_seen"], "positions": meta["positions_processed"],
    "minutes": meta["seconds"] / 60, "training minutes": meta["train_seconds"] / 60,
}
for key, value in ours.items():
    print(f"{key:16s} {value:,.1f}" if isinstance(value, float) else f"{key:16s} {value:,}")
print(f"corpus           {settings['num_documents']:,} storybook documents, {meta['epochs']:.1f} passes "
      "(each pass cuts fresh NSP pairs)")

# %% [markdown]
# `tokens` counts real tokens; `positions` also counts the padding of each batch, which the model
# computes all the same, so it is what the FLOPs are counted on. `minutes` is the whole run;
# `training minutes` leaves out the held-out evaluations it ran every 250 steps.
#
# ## FLOPs: the same formula on both sides
#
# `helpers.experiments.training_flops` counts the matrix multiplies of a training step: about
# 6 × parameters × tokens for the encoder (forward and backward), plus attention (which grows with the
# sequence length) and the heads. We apply it to our run, from the metadata, and to BERT's schedule:
# 900,000 steps of 256 sequences of 128 tokens, then 100,000 steps of 256 sequences of 512 tokens,
# with 15% of the positions predicted by the MLM head and one NSP prediction per sequence. BERT's
# vocabulary is taken as 30,522 entries (the released uncased vocabulary file); every position is
# counted as computed, as Google's code pads each sequence to its full length. Before you run it,
# predict:

# %%
from helpers.course.quiz import compare_prediction, predict_first

predict_first("predict-bert-base-flops")

# %%
def bert_pretraining_flops(hidden: int, layers: int, vocab: int = 30_522) -> int:
    config = {"hidden_size": hidden, "intermediate_size": 4 * hidden, "num_hidden_layers": layers,
              "vocab_size": vocab}
    total = 0
    for steps, length in ((900_000, 128), (100_000, 512)):
        positions = steps * 256 * length
        total += training_flops(config, positions, seq_len=length, num_selected=int(0.15 * positions),
                                num_sequences=steps * 256, num_labels=2)
    return total


our_flops = training_flops(course.config, meta["positions_processed"], seq_len=settings["max_length"],
                           num_selected=meta["selected_seen"], num_sequences=meta["steps"] * settings["batch_size"],
                           num_labels=2)
bert_positions = 256 * (900_000 * 128 + 100_000 * 512)
rows = {
    "ours (course.pt)": (ours["parameters"], meta["positions_processed"], our_flops),
    "BERT-base": (110e6, bert_positions, bert_pretraining_flops(768, 12)),
    "BERT-large": (340e6, bert_positions, bert_pretraining_flops(1024, 24)),
}
print(f"{'':18s}{'parameters':>12s}{'positions':>12s}{'model FLOPs':>13s}{'x ours':>10s}")
for name, (params, positions, flops) in rows.items():
    print(f"{name:18s}{params:12.3g}{positions:12.3g}{flops:13.3g}{flops / our_flops:10.3g}")
print(f"\nBERT's token positions: {bert_positions / meta['positions_processed']:,.0f}x ours, or "
      f"{bert_positions / 3.3e9:.1f} passes over 3.3 billion words (one position per word)")
print(f"our pre-training took {ours['minutes']:.1f} minutes on a CPU; BERT-base took 4 days on 16 TPU chips")

# %%
# NBVAL_IGNORE_OUTPUT
base_ratio = rows["BERT-base"][2] / our_flops
compare_prediction("predict-bert-base-flops", f"BERT-base: {base_ratio:,.0f}x our FLOPs "
                   f"({rows['BERT-base'][0] / ours['parameters']:,.0f}x the parameters, "
                   f"{bert_positions / meta['positions_processed']:,.0f}x the positions)")

# %%
# NBVAL_IGNORE_OUTPUT
from helpers.course.plots import plot_log_panels

names = list(rows)
fig = plot_log_panels({"parameters": {n: rows[n][0] for n in names},
                       "token positions processed": {n: rows[n][1] for n in names},
                       "training FLOPs": {n: rows[n][2] for n in names}},
                      title="Our course checkpoint beside the real BERT (log scales)")

# %% [markdown]
# Read the ratios as orders of magnitude, not exact figures: the formula leaves out embeddings,
# LayerNorm and softmax, and BERT's parameter counts are the paper's rounded ones. Two things stand out.
#
# - **The factors multiply.** BERT-base has about a hundred times our parameters and processed about
#   3,000 times our token positions, so its pre-training took hundreds of thousands of times our FLOPs;
#   BERT-large about three times more again.
# - **Fine-tuning stays cheap at both scales.** The next section measures one of our fine-tuning runs
#   against our pre-training. The paper reports that every fine-tuning result in it can be reproduced
#   within an hour on one Cloud TPU, or a few hours on a GPU (Section 3.2), against four days on 16 or
#   64 chips for pre-training. That gap is the whole case for pre-training once and fine-tuning many
#   times.

# %% [markdown]
# ## What pre-training costs
#
# "The cost of training BERT" almost always means **pre-training**. Fine-tuning is a different, much
# smaller budget. Let us measure both for our model: the checkpoint's metadata records its pre-training
# time; we run one typical fine-tuning job (sentiment, 128 labeled examples, 150 steps) and count the
# model FLOPs of each (`helpers.experiments.training_flops`: about 6 × parameters × tokens, plus
# attention). Two details keep the comparison fair. The pre-training seconds are the training steps
# alone (`training minutes` above), since the fine-tuning run evaluates nothing. And the fine-tuning
# FLOPs are counted on the positions the run actually computed (each batch padded to its longest
# example); without them `pretraining_cost` counts every sequence at its full 64 positions
# (`max_length`), an upper bound.

# %%
# NBVAL_IGNORE_OUTPUT
from helpers.experiments import get_task, pretraining_cost
from helpers.training.finetuning import build_model, finetune
from helpers.text.tasks import subsample

sentiment = get_task("sentiment")
run = finetune(build_model(sentiment, model, seed=0), sentiment, tokenizer=tokenizer,
               train_examples=subsample(sentiment, 128, seed=0), steps=150, eval_examples=[], seed=0)
cost = pretraining_cost(course_checkpoint_path(), run, finetune_tokens=run.positions_seen)
pre, fine = cost["pretraining"], cost["finetuning"]
print(f"{'':14s}{'seconds':>10s}{'model FLOPs':>14s}")
print(f"{'pre-training':14s}{pre['seconds']:10.0f}{pre['flops']:14.2e}")
print(f"{'fine-tuning':14s}{fine['seconds']:10.1f}{fine['flops']:14.2e}")
print(f"pre-training costs {cost['ratio_seconds']:.0f}x the time and {cost['ratio_flops']:.0f}x the FLOPs "
      "of one fine-tuning run")

# %%
# NBVAL_IGNORE_OUTPUT
from helpers.course.plots import plot_bars

fig = plot_bars({"pre-training (once)": pre["flops"], "fine-tuning (per task)": fine["flops"]},
                title="Model FLOPs: pre-training versus one fine-tuning run (log scale)",
                ylabel="model FLOPs", xlabel="stage of the workflow")
fig.axes[0].set_yscale("log")

# %% [markdown]
# The seconds ratio changes from run to run and machine to machine (the fine-tuning run is timed now,
# on your machine, while other work may share it); the FLOPs ratio does not, because both counts come
# from the same fixed settings. At full scale the story is the same, only bigger: four days of
# pre-training on 16 TPU chips against at most hours of fine-tuning. That is why pre-training is done
# **once per model release** by whoever can afford it, and fine-tuning **many times**, by everyone, for
# each task.

# %% [markdown]
# ## What the compute buys: contextual vectors
#
# The encoder's **input** for a word is one row of the token-embedding table: the same vector in every
# sentence. Its **output** at that position has been through every attention layer, which mixes in the
# rest of the sentence: a different vector in every sentence, a *contextual* embedding. This is what
# the fine-tuning heads of notebook 5 read. Let us check it on our checkpoint with one word in several
# storybook sentences.

# %%
# NBVAL_IGNORE_OUTPUT
from helpers.text.corpus import make_storybook

WORD = "dog"
sentences = []
for document in make_storybook(num_documents=400, seed=7):
    for sentence in document:
        if WORD in sentence.split() and sentence not in sentences:
            sentences.append(sentence)
            break  # one sentence per story, so the contexts differ
    if len(sentences) == 5:
        break

word_id = tokenizer.convert_tokens_to_ids(WORD)
outputs, inputs = [], []
model.eval()
with torch.no_grad():
    for sentence in sentences:
        batch = tokenizer.encode_batch([sentence])
        position = batch["input_ids"][0].tolist().index(word_id)
        hidden = model.bert(batch["input_ids"], token_type_ids=batch["token_type_ids"],
                            attention_mask=batch["attention_mask"]).last_hidden_state[0]
        outputs.append(hidden[position])
        inputs.append(model.bert.embeddings.word_embeddings.weight[word_id])
outputs, inputs = torch.stack(outputs), torch.stack(inputs)
cosine = torch.nn.functional.cosine_similarity
for i, sentence in enumerate(sentences):
    print(f"s{i}: {sentence}")
print(f"\ncosine similarity of the OUTPUT vectors of {WORD!r}:")
print("      " + "".join(f"{f's{j}':>7s}" for j in range(len(sentences))))
for i in range(len(sentences)):
    print(f"s{i}    " + "".join(f"{cosine(outputs[i], outputs[j], dim=0).item():7.2f}" for j in range(len(sentences))))
same_input = all(torch.equal(inputs[0], row) for row in inputs)
print(f"\ninput embeddings of {WORD!r} in the five sentences identical: {same_input}")

# %% [markdown]
# The input vector of *dog* is one and the same row five times. The output vectors are all different:
# similar where the sentences are alike, further apart where they are not, because each one has
# absorbed its own sentence. A word-embedding table (such as word2vec's) would give one vector for the
# word everywhere; BERT gives one per occurrence. That is what pre-training produces and what
# fine-tuning starts from.

# %% [markdown]
# ## Check yourself

# %%
from helpers.course.quiz import quiz

quiz("scale", kind="multiple_choice")

# %% [markdown]
# ## Summary
#
# - BERT pre-trained on BooksCorpus (800M words) and English Wikipedia (2,500M words), with a
#   30,000-piece WordPiece vocabulary: BERT-base has 12 layers, hidden size 768, 12 heads, 110M
#   parameters; BERT-large 24 layers, 1024, 16 heads, 340M.
# - 1,000,000 steps of 256 sequences, 128 tokens for 90% of them and 512 for the rest, took 4 days on
#   16 TPU chips (base) or 64 (large); the masking was static, ten maskings per sequence written in
#   advance.
# - The same FLOPs formula puts BERT-base's pre-training hundreds of thousands of times above our
#   checkpoint's; fine-tuning stays cheap at both scales.
# - What the compute buys is contextual vectors: one input embedding per word, a different output
#   vector for every occurrence.
#
# **Next:** back to the core path with [6. Self-check](06_self_check.ipynb), or on to the last deep dive,
# [5c. Pre-training choices downstream](05c_pretraining_choices_downstream.ipynb).
