# Notebook 5 of "BERT, part two". Built into notebooks/05_fine_tuning_heads.ipynb by scripts/build_notebooks.py.

# %% [markdown]
# # 5. Fine-tuning heads: one encoder, many tasks
#
# Stage two of the workflow. The pre-trained encoder knows a lot about the story world, but its heads
# only fill in blanks and judge whether B follows A. To build a sentiment classifier, an entity tagger or
# a question answerer, we attach a **small task-specific head** and train on **labeled** examples.
#
# ## What you will do and learn
#
# - Put **several heads** on the **same** pre-trained encoder: `[CLS]` heads for sentiment and
#   paraphrase, a per-token head for named entities, a start/end head for question answering; write two
#   heads yourself.
# - See that **the head decides the task**: same encoder, same input, different head, different task.
# - Compare **frozen** (train the head only) and **end-to-end** fine-tuning.
# - Measure the headline result: **pre-trained versus from scratch** with 32 to 512 labels, also on
#   words the labeled data never showed.
# - Finish the "trace the training loop" exercise, part b.

# %%
import torch

from helpers.modeling.checkpoints import course_checkpoint_path
from helpers.modeling.checkpoints import load_checkpoint

torch.manual_seed(0)
CHECKPOINT = course_checkpoint_path()
course = load_checkpoint(CHECKPOINT)
encoder, tokenizer = course.model, course.tokenizer  # pre-trained once (notebook 4), reused for everything

# %% [markdown]
# ## The tasks
#
# `helpers.text.tasks` builds labeled tasks about the story world the encoder was pre-trained on. Each
# has train, validation and test splits, plus a **held-out-vocabulary test split** whose key words
# (names, towns, things, describing words) occur in no labeled training example, though they do occur in
# the pre-training stories.

# %%
from helpers.experiments import get_task

tasks = {name: get_task(name) for name in ("sentiment", "paraphrase", "ner", "qa")}
for name, task in tasks.items():
    print(f"{name:11s} kind={task.kind:9s} labels={task.label_names}")
print()
print("sentiment: ", tasks["sentiment"].train[0]["text"], "->",
      tasks["sentiment"].label_names[tasks["sentiment"].train[0]["label"]])
pair = tasks["paraphrase"].train[0]
print("paraphrase:", pair["text_a"], "|", pair["text_b"], "->", tasks["paraphrase"].label_names[pair["label"]])
ner = tasks["ner"].train[0]
print("ner:       ", " ".join(f"{w}/{tasks['ner'].label_names[t]}" for w, t in zip(ner["words"], ner["labels"])))
qa = tasks["qa"].train[0]
print("qa:        ", qa["question"], "->", repr(qa["answer_text"]))
print("            passage:", qa["context"])

# %% [markdown]
# ### How the sentiment labels are made
#
# "we had the honey in kingsley ." labelled *positive* may look odd. The labels follow a fixed rule
# (`helpers.text.tasks.SENTIMENT_RULE`): every describing word (*lovely*, *awful*, ...) and every thing
# (honey is nice to have, a cockroach is not) carries a polarity; a review takes its describing word's
# polarity (changed by a `not`), or else its thing's. The rule and some of the word lists:

# %%
from helpers.text import tasks as task_rules
from helpers.text import world

print(task_rules.SENTIMENT_RULE, "\n")
for polarity in world.POLARITIES:
    adjectives = [a.word for a in world.ADJECTIVES if a.polarity == polarity]
    things = [t.name for t in world.THINGS if t.polarity == polarity]
    print(f"{polarity:8s} describing words ({len(adjectives)}): {', '.join(adjectives[:7])}, ...")
    print(f"{'':8s} things ({len(things)}): {', '.join(things[:7])}, ...")
print("\n'not' + describing word:", ", ".join(f"{a} -> {b}" for a, b in task_rules.NEGATION_RULE.items()))
first = tasks["sentiment"].train[0]
for word in first["key_words"]:
    thing = next((t for t in world.THINGS if t.name == word), None)
    if thing is not None:
        print(f"\n{first['text']!r}: no describing word, and '{word}' is a {thing.polarity} thing "
              f"-> {tasks['sentiment'].label_names[first['label']]}")

# %% [markdown]
# ## Three kinds of head
#
# `helpers/modeling/heads.py` holds three heads with Hugging Face's names and shapes. Each wraps a copy of
# the pre-trained `BertModel`, each is **one linear layer**, and they differ only in **which encoder
# output they read**:
#
# - **Sequence classification** reads the pooled `[CLS]` output and gives one score per class:
#   *(batch, num_labels)*. Sentiment, topic and, with two segments, paraphrase.
# - **Token classification** reads **every** position's output: *(batch, positions, num_labels)*. Named
#   entities: one tag per token.
# - **Question answering** also reads every position and gives each token two scores, "the answer starts
#   here" and "the answer ends here": *(batch, positions)* twice. The answer is the best-scoring span.
#
# The shapes, on a real input:

# %%
from helpers.modeling.heads import BertForQuestionAnswering, BertForSequenceClassification, BertForTokenClassification

batch = tokenizer.encode_batch(["the small dog barks at the mailman ."])
heads = {"[CLS] head, 3 classes": BertForSequenceClassification.from_pretrained_encoder(encoder, 3),
         "per-token head, 7 tags": BertForTokenClassification.from_pretrained_encoder(encoder, 7),
         "start/end head": BertForQuestionAnswering.from_pretrained_encoder(encoder)}
print("input_ids:", tuple(batch["input_ids"].shape))
for name, head in heads.items():
    with torch.no_grad():
        out = head(batch["input_ids"], attention_mask=batch["attention_mask"])
    shapes = [tuple(out.logits.shape)] if hasattr(out, "logits") else [tuple(out.start_logits.shape),
                                                                       tuple(out.end_logits.shape)]
    new = sum(p.numel() for p in head.head_parameters())
    print(f"{name:24s} output {shapes}  new parameters: {new:,} (the encoder has "
          f"{sum(p.numel() for p in head.bert.parameters()):,})")

# %% [markdown]
# ### Exercise 5: write the two heads
#
# A head is little code once the encoder has run. Write both kinds, on the encoder's output
# `last_hidden_state` of shape (batch, seq, hidden) and a linear layer `classifier` from hidden to
# `num_labels` scores:
#
# - `sequence_head`: one prediction per input, read from the `[CLS]` vector; logits (batch, num_labels)
#   and the cross-entropy against `labels` of shape (batch,). (The course's
#   `BertForSequenceClassification` first passes that vector through the pooler; here the head reads it
#   directly.)
# - `token_head`: one prediction per token; logits (batch, seq, num_labels) and the mean cross-entropy
#   over the positions whose label is not -100 (`labels` of shape (batch, seq)).
#
# Return `(logits, loss)` from each. `torch.nn.functional.cross_entropy` wants scores of shape
# (rows, classes) and labels of shape (rows,).

# %%
import torch.nn.functional as F

from helpers.constants import IGNORE_INDEX


def sequence_head(last_hidden_state, classifier, labels):
    """Return (logits, loss): logits (batch, num_labels) from the [CLS] vector, and the cross-entropy loss.

    last_hidden_state: (batch, seq, hidden) encoder outputs; classifier: nn.Linear(hidden, num_labels);
    labels: (batch,) LongTensor, one class per input.
    """
    raise NotImplementedError("your code here")


def token_head(last_hidden_state, classifier, labels):
    """Return (logits, loss): logits (batch, seq, num_labels), one row per token, and the loss over the
    positions whose label is not -100.

    labels: (batch, seq) LongTensor, a class per token or -100 (no tag: [CLS], [SEP], padding, ...).
    """
    raise NotImplementedError("your code here")

# %%
from helpers.course.exercises import check_heads

check_heads(sequence_head, token_head)

# %% [markdown]
# **The course's version, to compare with yours.** The three heads' `forward` (the course's sequence head
# passes the `[CLS]` vector through the pooler first). They solve the exercise, so they stay folded until
# your check passes or you reveal a solution; then run these cells again.

# %%
# NBVAL_IGNORE_OUTPUT
from helpers.course.exercises import course_version
from helpers.modeling.heads import BertForQuestionAnswering, BertForSequenceClassification, BertForTokenClassification

course_version("heads", BertForSequenceClassification.forward)

# %%
# NBVAL_IGNORE_OUTPUT
course_version("heads", BertForTokenClassification.forward)

# %%
# NBVAL_IGNORE_OUTPUT
course_version("heads", BertForQuestionAnswering.forward, end="loss = None")

# %% [markdown]
# ## One encoder, four tasks
#
# Every model below starts from its own copy of the **same** pre-trained encoder plus a new head, and
# trains end to end. The recipe differs by task, and that is part of the lesson: sentiment and entity
# tags learn from 512 labeled examples in 150 steps; question answering gets all 1,000 labeled examples,
# 500 steps and twice the default learning rate; paraphrase 1,000 examples and 200 steps at a lower one.
# For these two, the validation score is recorded every 50 steps.

# %%
# NBVAL_IGNORE_OUTPUT
from helpers.training.finetuning import build_model, finetune
from helpers.text.tasks import subsample

TEST = 300  # test examples scored per split (the full splits have 500)
RECIPES = {  # labeled examples, optimizer steps, learning rate (None = the default, 5e-4)
    "sentiment": dict(labels=512, steps=150, learning_rate=None),
    "paraphrase": dict(labels=1000, steps=200, learning_rate=2e-4),
    "ner": dict(labels=512, steps=150, learning_rate=None),
    "qa": dict(labels=1000, steps=500, learning_rate=1e-3),
}
tuned = {}
for name, task in tasks.items():
    recipe = RECIPES[name]
    watch = name in ("qa", "paraphrase")  # record a validation curve for the two slow learners
    run = finetune(build_model(task, encoder, seed=0), task, tokenizer=tokenizer,
                   train_examples=subsample(task, recipe["labels"], seed=0), steps=recipe["steps"],
                   learning_rate=recipe["learning_rate"], eval_examples=task.validation[:100] if watch else [],
                   eval_every=50, seed=0, progress=True)
    tuned[name] = run
    metric = run.evaluate("test", examples=task.test[:TEST])
    print(f"{name:11s} " + ", ".join(f"{k} {v:.0%}" for k, v in metric.items() if k != "tag_accuracy")
          + f"  ({recipe['labels']} labels, {recipe['steps']} steps, {run.seconds:.1f} s)")

# %% [markdown]
# How the two slow learners got there: their score on 100 validation examples every 50 steps (answer
# token F1 for QA, accuracy for paraphrase).

# %%
# NBVAL_IGNORE_OUTPUT
for name in ("qa", "paraphrase"):
    history = tuned[name].history
    print(f"{name:11s}", "  ".join(f"{step}: {value:.0%}" for step, value in zip(history["eval_step"], history["eval"])))

# %% [markdown]
# Sentiment and entity tags are close to 100% after 150 steps. QA ends well above 80% exact match; its
# curve shows why it needed more than the others' 150 steps: it was still climbing steeply at step 150.
# Paraphrase is the exception: about two pairs in three right, where a coin flip gets half, and its
# curve is flat from the start. The heads and code are the same; what differs is how far each task is
# from what pre-training taught. Here is what each model says about inputs it has not seen:

# %%
# NBVAL_IGNORE_OUTPUT
from helpers.training.finetuning import predict

print("sentiment: ", predict(tuned["sentiment"].model, tokenizer, tasks["sentiment"],
                             "i think the cookies are so tasty ."))
print("sentiment: ", predict(tuned["sentiment"].model, tokenizer, tasks["sentiment"],
                             "i think the cookies are not tasty ."))
print("paraphrase:", predict(tuned["paraphrase"].model, tokenizer, tasks["paraphrase"],
                             "tom gave mia the kite .", text_b="mia got the kite from tom ."))
print("ner:       ", predict(tuned["ner"].model, tokenizer, tasks["ner"],
                             "mia works at the river bakery in millbrook ."))


def qa_verdict(example: dict, answer: str) -> str:
    """Right, or which kind of wrong: the passage's facts are its sentences, one per '. '."""
    truth, context = example["answer_text"], example["context"]
    if answer == truth:
        return "right"
    if answer.startswith(truth):
        return "WRONG: starts at the answer, but ends too late"
    fact = context.count(". ", 0, example["answer_start"])  # which sentence holds the true answer
    where = context.find(answer)
    if where >= 0 and context.count(". ", 0, where) == fact:
        return "WRONG: the right fact, another part of it"
    return "WRONG: a span from another fact of the passage"


for example in tasks["qa"].test[:3]:
    answer = predict(tuned["qa"].model, tokenizer, tasks["qa"], question=example["question"],
                     context=example["context"])
    print(f"qa:         {example['question']} -> {answer!r} (true answer: {example['answer_text']!r}; "
          f"{qa_verdict(example, answer)})")

# %% [markdown]
# The sentiment model notices the "not"; the entity tagger finds the person, the organisation and the
# town. For paraphrase, with its test accuracy, one answer proves little either way.
#
# The QA lines are the first three test questions, not chosen; which of them a run gets right can change
# with the number of CPU threads. A wrong answer is marked with its kind, and the kinds show how the head
# works: it can only point at tokens of the passage, it learns what *kind* of span a question wants
# ("who": a name) before it reliably matches the question to the right fact (**a span from another
# fact**) or to the right slot of that fact (**the right fact, another part of it**), and because start
# and end are scored separately, unsure end scores can run on past the answer (**starts at the answer,
# ends too late**).

# %%
# NBVAL_IGNORE_OUTPUT
from helpers.training.finetuning import predict_examples

pairs = tasks["paraphrase"].test[:TEST]
said = predict_examples(tuned["paraphrase"].model, tasks["paraphrase"], pairs, tokenizer)
right_by_kind = {}
for pair, prediction in zip(pairs, said):
    kind = f"not a paraphrase: {pair['negative']}" if pair["negative"] else "paraphrase"
    right_by_kind.setdefault(kind, []).append(prediction == tasks["paraphrase"].label_names[pair["label"]])
for kind, right in sorted(right_by_kind.items()):
    print(f"{kind:32s} {sum(right) / len(right):4.0%} right  ({len(right)} test pairs)")

# %% [markdown]
# Paraphrase is the one head that does not convince, and the breakdown shows why: most true paraphrases
# are recognised, but so are most negatives with one or two parts changed (swapped roles, another
# person, town, day or thing, an added "not"). The model has learnt "the same kind of sentence with
# mostly the same words", not to line two sentences up piece by piece across word orders ("tom gave mia
# the kite" / "mia got the kite from tom") and synonyms. Neither pre-training objective asked for that:
# MLM fills a blank from its context, and NSP judged mostly by topic, which every pair here shares. More
# labels and steps did not close the gap in our trials (`docs/lab_notes.md`).

# %% [markdown]
# ## The head decides the task
#
# To make the point sharply, we **freeze** the encoder and train only a head, once for sentiment and once
# for entities. The two models then share an *identical* encoder, number for number, and get the same
# input:

# %%
# NBVAL_IGNORE_OUTPUT
frozen = {}
for name in ("sentiment", "ner"):
    task = tasks[name]
    frozen[name] = finetune(build_model(task, encoder, seed=0), task, tokenizer=tokenizer,
                            train_examples=subsample(task, 512, seed=0), freeze_encoder=True, steps=150,
                            eval_examples=[], seed=0, progress=True)

# %%
same = all(torch.equal(tensor, frozen["sentiment"].model.bert.state_dict()[key])
           for key, tensor in frozen["ner"].model.bert.state_dict().items())
print("the two encoders are identical:", same)

# %%
# NBVAL_IGNORE_OUTPUT
sentence = "the small dog barks at the mailman ."
print("input:           ", sentence)
print("sentiment head:  ", predict(frozen["sentiment"].model, tokenizer, tasks["sentiment"], sentence))
print("NER head:        ", predict(frozen["ner"].model, tokenizer, tasks["ner"], sentence))

# %% [markdown]
# Do not read much into the predictions themselves: a head trained alone on a frozen encoder for 150
# steps is weak (the next section measures how weak). The point is their **form**: one label for the
# sentence from one head, one tag per token from the other. The encoder gives the same vectors to both;
# **the head decides** which to read and what to predict. That is why one pre-trained encoder can serve
# many tasks.

# %% [markdown]
# ## Frozen or end to end?
#
# Freezing is cheap: the encoder only runs forward, stores nothing for the backward pass, and one copy
# can serve every head; but its features cannot adapt to the task. Training **end to end** updates every
# weight, starting from the pre-trained ones. `helpers.experiments.compare_finetuning` runs the same
# recipe for both (same 512 labels, 150 steps and seed; only `freeze_encoder` differs) and scores both
# test splits: here one seed, on sentiment and NER (`benchmarks/claims.py` runs three). Predict first:

# %%
from helpers.course.quiz import compare_prediction, predict_first

predict_first("predict-frozen-vs-end-to-end")

# %%
# NBVAL_IGNORE_OUTPUT
from helpers.course.plots import plot_grouped_bars
from helpers.experiments import compare_finetuning

arms = {"frozen": {"encoder": encoder, "freeze_encoder": True}, "end to end": {"encoder": encoder}}
frozen_vs_end_to_end = {name: compare_finetuning(name, tokenizer, arms, num_train_examples=512, seeds=(0,), steps=150,
                                                 test_size=TEST, progress=True)
                        for name in ("sentiment", "ner")}

# %%
# NBVAL_IGNORE_OUTPUT
groups = {f"{name} ({result.metric})\n{label}": {arm: result.scores[arm][split].mean for arm in arms}
          for name, result in frozen_vs_end_to_end.items()
          for split, label in (("test", "test"), ("test_heldout", "unseen words"))}
fig = plot_grouped_bars(groups, title="Frozen encoder versus end-to-end fine-tuning (512 labels, 150 steps)",
                        ylabel="test score", xlabel="task (metric) and test split")
for group, scores in groups.items():
    print(f"{group.replace(chr(10), ', '):38s} frozen {scores['frozen']:.0%}   end to end {scores['end to end']:.0%}")
for name, result in frozen_vs_end_to_end.items():
    print(f"{name:9s} trained parameters: frozen {result.trainable_parameters['frozen']:,}, "
          f"end to end {result.trainable_parameters['end to end']:,}; seconds: frozen "
          f"{result.seconds['frozen'].mean:.1f}, end to end {result.seconds['end to end'].mean:.1f}")

# %%
# NBVAL_IGNORE_OUTPUT
compare_prediction("predict-frozen-vs-end-to-end", "; ".join(
    f"{name}: end to end {result.scores['end to end']['test'].mean:.0%}, frozen {result.scores['frozen']['test'].mean:.0%} "
    f"({100 * result.difference('end to end', 'frozen'):+.0f} points)" for name, result in frozen_vs_end_to_end.items()))

# %% [markdown]
# End to end wins, by a margin that depends on the task. Our encoder's features were shaped for filling
# blanks and judging whether B follows A: entity tags can be read off them nearly as they are (the frozen
# tagger is a few points behind), sentiment hardly at all (the frozen head gets fewer than half right),
# so letting the features adapt pays most there. The frozen head trains a few hundred numbers instead
# of about a million. With a large encoder and a task close to pre-training, or very few labels, a frozen
# encoder can be enough; with more labeled data and a task further from pre-training, end to end is the
# usual choice.

# %% [markdown]
# ## Pre-trained versus from scratch: why the workflow pays
#
# The headline experiment: fine-tune the **same architecture** on the same few labeled examples, once
# from the pre-trained encoder and once from random weights, with 32, 128 and 512 labels, and score the
# normal test split and the **unseen-words** split. The model from scratch never met those words; the
# pre-trained one met them in the stories. (`helpers.experiments.learning_curve`: one seed and sentiment
# here, about half a minute; `benchmarks/claims.py` runs three seeds and NER too.) Predict first:

# %%
predict_first("predict-pretrained-vs-scratch")

# %%
# NBVAL_IGNORE_OUTPUT
from helpers.experiments import learning_curve

curve = learning_curve("sentiment", course, label_counts=(32, 128, 512), seeds=(0,), steps=100, test_size=TEST,
                       progress=True)

# %%
# NBVAL_IGNORE_OUTPUT
from helpers.course.plots import plot_learning_curve

lines = {f"{arm}, {label}": curve.curve(arm, split)
         for arm in ("pre-trained", "from scratch")
         for split, label in (("test", "test"), ("test_heldout", "unseen words"))}
fig = plot_learning_curve(lines, title="Sentiment: pre-trained versus from-scratch fine-tuning",
                          ylabel="test accuracy", chance=curve.points[128].baseline["test"])
for n, point in curve.points.items():
    pre, scratch = point.scores["pre-trained"], point.scores["from scratch"]
    print(f"{n:4d} labels  pre-trained: {pre['test'].mean:.0%} (unseen words {pre['test_heldout'].mean:.0%})   "
          f"scratch: {scratch['test'].mean:.0%} (unseen words {scratch['test_heldout'].mean:.0%})")

# %%
# NBVAL_IGNORE_OUTPUT
at_128 = curve.points[128]
compare_prediction("predict-pretrained-vs-scratch",
                   f"unseen words at 128 labels: pre-trained {at_128.scores['pre-trained']['test_heldout'].mean:.0%}, "
                   f"from scratch {at_128.scores['from scratch']['test_heldout'].mean:.0%} "
                   f"({100 * at_128.difference('pre-trained', 'from scratch', 'test_heldout'):+.0f} points)")

# %% [markdown]
# Read the printed numbers:
#
# - On the normal test split the **pre-trained** model climbs with more labels, while the one from
#   scratch stalls below 60%: the pre-trained one starts from representations that already know what the
#   words are like. With 32 labels both are weak, and one run could go either way.
# - On **unseen words** the gap is the point: the model from scratch can only go by the rest of the
#   sentence, and more labels hardly help it; the pre-trained one carries over what it learnt in the
#   unlabeled stories and stays close to its normal test score.
#
# This is the practical win of the workflow: unlabeled text is essentially free, labels cost time and
# money. Pre-train once on lots of text, and each new task needs only hundreds to thousands of labeled
# examples.

# %% [markdown]
# ## Exercise: trace the training loop, part b
#
# Back to **"the small dog barks at the mailman."** After pre-training, we set up **sentiment**
# fine-tuning on it. What is the input now? Which output does the head read, and what comes out?
# And what would change for a per-token task such as NER? Think first, then use the widget (it uses the
# end-to-end sentiment and NER models trained above).

# %%
# NBVAL_IGNORE_OUTPUT
from helpers.course.demos import trace_finetune_widget

trace_finetune_widget(tokenizer, sentence_model=tuned["sentiment"].model,
                      sentence_labels=tasks["sentiment"].label_names,
                      token_model=tuned["ner"].model, token_labels=tasks["ner"].label_names)

# %%
# NBVAL_IGNORE_OUTPUT
from IPython.display import HTML

from helpers.course.demos import predict_sequence_label, predict_token_labels, trace_finetune_html

sentence = "the small dog barks at the mailman."
tokens, tags = predict_token_labels(tuned["ner"].model, tokenizer, sentence, tasks["ner"].label_names)
label = predict_sequence_label(tuned["sentiment"].model, tokenizer, sentence, tasks["sentiment"].label_names)
HTML("<h4>sentiment: a [CLS] head</h4>" + trace_finetune_html(tokens, "cls", label)
     + "<h4>NER: a per-token head</h4>" + trace_finetune_html(tokens, "token", tags))

# %% [markdown]
# Judge what the two heads said. The trace sentence lies outside both tasks: it has no describing word
# and none of the things the sentiment rule knows, so **no label is right**, and it names no person,
# organisation or place, so every correct NER tag is `O`. A head always answers in its task's format,
# even for an input its task does not cover. (Why would the tagger see an organisation here? In its
# training data, organisations are runs of ordinary words after "the", such as *the river bakery*, and
# "the small dog barks" has that shape.)

# %%
# NBVAL_IGNORE_OUTPUT
wrong = [(token, tag) for token, tag in zip(tokens, tags) if tag not in (None, "O")]
print(f"sentiment head: {label!r} (a guess: the rule gives this sentence no label)")
print("NER tags other than O (all mistakes: the sentence names no entity):",
      ", ".join(f"{t}/{tag}" for t, tag in wrong) if wrong else "none")

# %% [markdown]
# Compare with part a (notebook 2), the same sentence in pre-training:
#
# | | pre-training (MLM) | fine-tuning (sentiment) |
# |---|---|---|
# | input | a selected token may be `[MASK]`, a random token or unchanged | plain text plus `[CLS]` and `[SEP]`; **no `[MASK]`** |
# | what is predicted | the original token at the selected position(s) | one label for the whole sentence |
# | which output is read | the selected positions' outputs | the `[CLS]` output (position 0); the rest are discarded |
# | weights | the encoder, plus the MLM and NSP heads | the **same** encoder architecture, starting from the pre-trained weights (end to end updates them, a frozen encoder keeps them), plus a new head |
#
# For NER, the head would read every token's output instead of only `[CLS]`.

# %% [markdown]
# ## Your model in the Hugging Face ecosystem
#
# The course's BERT uses the parameter names of Hugging Face `transformers`, so moving it there only
# means writing the files that `from_pretrained` reads (`config.json`, `model.safetensors`, `vocab.txt`,
# the tokenizer settings). `python -m helpers.export checkpoints/course.pt my-course-bert` does it from a
# terminal; here we call the same function:

# %%
import tempfile
from pathlib import Path

from helpers.modeling.checkpoints import course_checkpoint_path, load_checkpoint
from helpers.modeling.hf_format import export_pretrained

course = load_checkpoint(course_checkpoint_path())
export_tmp = tempfile.TemporaryDirectory()  # removed when the kernel stops
export_dir = export_pretrained(course.model, course.tokenizer, Path(export_tmp.name) / "course-bert")
print(sorted(p.name for p in export_dir.iterdir()))

# %% [markdown]
# The same blank, filled by our `fill_mask` and by `transformers`' own `pipeline("fill-mask")` reading
# the exported folder (nothing else in the course needs `transformers`; if it is missing, the cell says
# how to install it):

# %%
# NBVAL_IGNORE_OUTPUT
import importlib.util

from helpers.modeling.fill_mask import fill_mask

sentence = "the small dog [MASK] at the mailman ."
ours = fill_mask(course.model, course.tokenizer, sentence, top_k=5)[0]
print("ours:        ", ", ".join(f"{token} {p:.4f}" for token, p in ours))
if importlib.util.find_spec("transformers") is None:
    print("transformers is not installed (nothing in the course needs it). To try this cell, run "
          "%pip install transformers==5.24.0 in a cell, then restart the kernel.")
else:
    import transformers  # heavy optional dependency: only this cell uses it

    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    fill = transformers.pipeline("fill-mask", model=str(export_dir), top_k=5)
    theirs = fill(sentence)
    print("transformers:", ", ".join(f"{r['token_str']} {r['score']:.4f}" for r in theirs))
    assert [token for token, _ in ours] == [r["token_str"] for r in theirs]
    assert all(abs(p - r["score"]) < 1e-4 for (_, p), r in zip(ours, theirs))

# %% [markdown]
# The same five tokens with the same probabilities: it is the same model. The way back works too:
# `python -m helpers.export --from-hf path/to/bert my-bert.pt` turns a real BERT saved with
# `save_pretrained` (such as `bert-base-uncased`) into a course checkpoint, which `load_checkpoint`,
# `fill_mask`, the attention plots and the fine-tuning heads take like the course's own.

# %% [markdown]
# ## Check yourself

# %%
from helpers.course.quiz import quiz

quiz("heads", kind="multiple_choice")

# %% [markdown]
# ## Summary
#
# - Fine-tuning attaches a **small head** (one linear layer) to the pre-trained encoder and trains on
#   labeled data.
# - **Whole-input labels** (sentiment, topic, paraphrase) → a head on the `[CLS]` output; **a label per
#   token** (entities) → a head on every token's output; **spans** (extractive QA) → start and end
#   scores on every token's output.
# - **The head decides the task**: same encoder, same input, different head, different task.
# - Tasks differ in what they need: QA needed all its labels and 500 steps, and paraphrase stays short,
#   because comparing two sentences part by part is something our pre-training never asked for.
# - **Frozen** (head only) is cheap; **end to end** adapts the features and scored higher here.
# - With the same few labels the **pre-trained** start beats training **from scratch**, most clearly on
#   words the labeled data never contained.
#
# **Next:** [6. Self-check](06_self_check.ipynb): practice on the whole course. Optional deep dives
# first, if you like: [5a. Sub-words in fine-tuning](05a_subwords_in_fine_tuning.ipynb),
# [5b. BERT at real scale](05b_bert_at_real_scale.ipynb) and
# [5c. Pre-training choices downstream](05c_pretraining_choices_downstream.ipynb).
