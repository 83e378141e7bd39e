"""One function per claim the lesson makes; each returns a small dataclass that tables and plots read.

The notebooks call these with the settings that fit their time budget; ``benchmarks/claims.py``
calls them with more seeds. Every function takes seeds, and the same seeds give the same numbers.
Expensive pre-training arms are not re-run here: they ship as the course's family of checkpoints
(``checkpoints/README.md``), all trained on the same corpus with the same budget and seed.

1. :func:`copy_collapse_experiment` - next-token prediction with bidirectional attention
   degenerates into copying; a causal model learns the real task.
2. :func:`accuracy_by_position` - 80/10/10 versus always-[MASK]: predicting the original token
   where the model sees a [MASK], a random token, the token itself, or an unselected token.
3. :func:`sentence_head_breakdown` - what a sentence head learned: NSP, SOP or none, on true next,
   random (other topic / same topic) and swapped-order pairs; :func:`sentence_order_breakdown` - the
   same heads on consecutive segments with and without the stories' fixed opening and closing
   sentences; :func:`middle_order_cues` - how much order the middle of a story gives away at all.
4. :func:`compare_finetuning` - the same fine-tuning recipe on several encoders (or frozen versus
   end to end), over seeds; :func:`learning_curve` - pre-trained versus scratch at 32 / 128 / 512 labels.
5. :func:`training_flops` / :func:`pretraining_cost` - what pre-training costs next to fine-tuning
   (in :mod:`helpers.cost`, importable from here).

Downstream comparisons are read with paired statistics (:class:`PairedComparison`: the same seeds for
every arm, mean ± standard error, each pair's difference with a 95% t interval) and are run once by
``benchmarks/comparisons.py`` (:data:`COMPARISON_SPECS`), whose stored results :func:`load_comparisons`
reads.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import platform
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import torch
import torch.nn.functional as F
from helpers.progress_bars import tqdm

from helpers.constants import IGNORE_INDEX, IN_ORDER, IS_NEXT, SWAPPED
from helpers.errors import check_choice, check_positive_int
from helpers.modeling.bert import BertConfig, BertForPreTraining
from helpers.modeling.checkpoints import Checkpoint, course_checkpoint_path, load_checkpoint, read_checkpoint_metadata
from helpers.objectives.mlm import NOT_SELECTED, mask_tokens
from helpers.objectives.nsp import collate, fit_pair, make_nsp_pairs, tokenize_documents
from helpers.objectives.sop import make_sop_pairs
from helpers.paths import REPOSITORY_DIR
from helpers.text.corpus import FOLLOWS_THE_PREVIOUS, make_storybook
from helpers.text.tasks import TaskData, load_task, subsample
from helpers.training.finetuning import build_model, evaluate, finetune, main_metric
from helpers.training.loop import Schedule, train
from helpers.training.pretraining import HELD_OUT_SEED_OFFSET, build_tokenizer, cut_pairs
# Claim 5, the cost, lives in helpers.cost; importing it from here keeps working.
from helpers.cost import pretraining_cost, training_flops  # noqa: F401


@dataclass
class Spread:
    """Mean, standard deviation (population), min and max of a few numbers (one per seed)."""

    values: list[float]

    @property
    def mean(self) -> float:
        return statistics.fmean(self.values)

    @property
    def std(self) -> float:
        return statistics.pstdev(self.values) if len(self.values) > 1 else 0.0

    def __format__(self, spec: str) -> str:
        """``f"{s:.1%}"`` gives "73.3% ± 2.1"; the spread is in the same unit as the mean."""
        spec = spec or ".3f"
        if spec.endswith("%"):
            return f"{self.mean:{spec}} ± {100 * self.std:.{spec[1:-2] or '1'}f}"
        return f"{self.mean:{spec}} ± {self.std:{spec}}"


# ============================================================================ the checkpoint family

# The course's pre-trained arms: same corpus, preset, steps and seed; one thing changes.
FAMILY = {
    "80/10/10 + NSP": "course",
    "always [MASK] + NSP": "course-always-mask",
    "MLM only": "course-mlm-only",
    "MLM + SOP": "course-sop",
}


def load_family(arms=tuple(FAMILY)) -> dict[str, Checkpoint]:
    """The shipped checkpoints of ``arms`` (names of :data:`FAMILY`), loaded."""
    for arm in arms:
        check_choice("arm", arm, list(FAMILY))
    return {arm: load_checkpoint(course_checkpoint_path(FAMILY[arm])) for arm in arms}


_TASK_CACHE: dict = {}


def get_task(name: str, seed: int = 0) -> TaskData:
    """``helpers.text.tasks.load_task(name, seed)``, built once per process (the splits are deterministic)."""
    if (name, seed) not in _TASK_CACHE:
        _TASK_CACHE[(name, seed)] = load_task(name, seed)
    return _TASK_CACHE[(name, seed)]


# ============================================================================ claim 1: copy collapse


def _next_token_loss_and_accuracy(model, input_ids, attention_mask) -> tuple[torch.Tensor, int, int]:
    """Cross-entropy of predicting token t+1 from the output at position t (real tokens only)."""
    logits = model(input_ids, attention_mask=attention_mask).prediction_logits[:, :-1]
    targets = input_ids[:, 1:]
    real = attention_mask[:, 1:].bool()
    loss = F.cross_entropy(logits[real], targets[real])
    correct = int((logits[real].argmax(-1) == targets[real]).sum())
    return loss, correct, int(real.sum())


class NextTokenObjective(torch.nn.Module):
    """Wraps a model so that its loss is next-token prediction (for the shared training loop)."""

    def __init__(self, model: torch.nn.Module):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask):
        loss, _, _ = _next_token_loss_and_accuracy(self.model, input_ids, attention_mask)
        return SimpleNamespace(loss=loss)


@dataclass
class NextTokenArm:
    """One model of the copy-collapse experiment: its training curve and held-out scores."""

    train_loss: list[float]
    loss_future_visible: float
    accuracy_future_visible: float
    loss_future_hidden: float
    accuracy_future_hidden: float
    model: torch.nn.Module = field(repr=False)


@dataclass
class CopyCollapseResult:
    bidirectional: NextTokenArm
    causal: NextTokenArm
    most_frequent_token_accuracy: float   # always guessing the most frequent token
    steps: int
    num_test_tokens: int

    def accuracies(self) -> dict[str, dict[str, float]]:
        """{condition: {model: accuracy}}, for a grouped bar chart."""
        return {"future visible (training condition)": {"bidirectional": self.bidirectional.accuracy_future_visible,
                                                        "causal": self.causal.accuracy_future_visible},
                "future hidden (generating text)": {"bidirectional": self.bidirectional.accuracy_future_hidden,
                                                    "causal": self.causal.accuracy_future_hidden}}


def copy_collapse_experiment(*, steps: int = 250, num_documents: int = 400, vocab_size: int = 800,
                             hidden_size: int = 64, num_hidden_layers: int = 2, num_attention_heads: int = 2,
                             max_length: int = 32, batch_size: int = 32, learning_rate: float = 5e-3,
                             eval_size: int = 200, seed: int = 0, progress: bool = True) -> CopyCollapseResult:
    """Train two same-size models on next-token prediction: one with BERT's bidirectional
    attention, one with a causal (left-to-right) mask. Same data, steps, seed, training loop.

    The target at position t is token t+1. The bidirectional model can *see* token t+1, so it
    learns to copy it from its neighbour: its training loss heads to zero. Both are then scored on
    held-out text with the future visible (the training condition) and hidden (each position sees
    only itself and what came before, which is all a model generating text has: we switch the
    causal mask on at test time). For the causal model the two are the same by construction.
    """
    for name, value in (("steps", steps), ("num_documents", num_documents), ("eval_size", eval_size)):
        check_positive_int(name, value)
    documents = make_storybook(num_documents=num_documents, seed=seed)
    held_out_docs = make_storybook(num_documents=max(20, eval_size), seed=seed + HELD_OUT_SEED_OFFSET)
    tokenizer = build_tokenizer(documents, vocab_size)

    def encode(docs):  # one document's sentences as one single-segment sequence
        return tokenizer.encode_batch([" ".join(d) for d in docs], max_length=max_length)

    data, test = encode(documents), encode(held_out_docs[:eval_size])
    arms = {}
    for kind, is_causal in (("bidirectional", False), ("causal", True)):
        torch.manual_seed(seed)  # same initial weights for both
        model = BertForPreTraining(BertConfig(
            vocab_size=tokenizer.vocab_size, hidden_size=hidden_size, num_hidden_layers=num_hidden_layers,
            num_attention_heads=num_attention_heads, intermediate_size=4 * hidden_size, hidden_dropout_prob=0.0,
            attention_probs_dropout_prob=0.0, max_position_embeddings=max_length, is_causal=is_causal))
        generator = torch.Generator().manual_seed(seed)  # same batches for both

        def next_batch(step: int) -> dict:
            index = torch.randint(data["input_ids"].shape[0], (batch_size,), generator=generator)
            return {"input_ids": data["input_ids"][index], "attention_mask": data["attention_mask"][index]}

        schedule = Schedule(steps=steps, learning_rate=learning_rate, warmup_steps=max(1, steps // 10))
        loop = train(model, next_batch, schedule, forward_model=NextTokenObjective(model), progress=progress,
                     description=f"next-token, {kind}")
        model.eval()
        scores = {}
        with torch.no_grad():
            for condition, causal_at_test in (("future_visible", is_causal), ("future_hidden", True)):
                model.config.is_causal = causal_at_test
                loss, correct, count = _next_token_loss_and_accuracy(model, test["input_ids"], test["attention_mask"])
                scores[f"loss_{condition}"], scores[f"accuracy_{condition}"] = loss.item(), correct / count
        model.config.is_causal = is_causal
        arms[kind] = NextTokenArm(train_loss=loop.train["loss"], model=model, **scores)
    targets = test["input_ids"][:, 1:][test["attention_mask"][:, 1:].bool()]
    return CopyCollapseResult(arms["bidirectional"], arms["causal"],
                              most_frequent_token_accuracy=torch.bincount(targets).max().item() / targets.numel(),
                              steps=steps, num_test_tokens=int(targets.numel()))


# ============================================================================ claim 2: the 80/10/10 mix


@dataclass
class PositionAccuracy:
    """How often the MLM head predicts the original token, by what the input shows at the position."""

    masked: float       # the position shows [MASK]
    random: float       # it shows a random other token
    kept: float         # it shows the original token (selected, left unchanged)
    unselected: float   # an ordinary position that was not selected at all: the input token
    positions: int      # selected positions per condition


def accuracy_by_position(model, tokenizer, *, num_documents: int = 300, seed: int = HELD_OUT_SEED_OFFSET,
                         max_length: int = 64, size: int = 512, batch_size: int = 128) -> PositionAccuracy:
    """Held-out storybook pairs (documents from ``seed``, which training never used), the same
    selected positions shown three ways: every one as [MASK], every one as a random token, every
    one unchanged. A model trained only ever to read [MASK] has no reason to predict anything useful
    where it sees a real token, and a fine-tuning input is nothing but real tokens.
    """
    documents = make_storybook(num_documents, seed=seed)
    data = cut_pairs(documents, tokenizer, max_length=max_length, seed=seed)
    data = {k: v[:size] for k, v in data.items()}
    results = {}
    was_training = model.training
    model.eval()
    for condition, (mask_prob, random_prob) in (("masked", (1.0, 0.0)), ("random", (0.0, 1.0)),
                                                ("kept", (0.0, 0.0))):
        generator = torch.Generator().manual_seed(seed)  # the same selection in every condition
        masked = mask_tokens(data["input_ids"], data["special_tokens_mask"], vocab_size=tokenizer.vocab_size,
                             mask_token_id=tokenizer.mask_token_id, mask_prob=mask_prob, random_prob=random_prob,
                             generator=generator)
        selected_hits, unselected_hits, unselected = 0, 0, 0
        count = int((masked.labels != IGNORE_INDEX).sum())
        with torch.no_grad():
            for start in range(0, data["input_ids"].shape[0], batch_size):
                rows = slice(start, start + batch_size)
                logits = model(masked.input_ids[rows], token_type_ids=data["token_type_ids"][rows],
                               attention_mask=data["attention_mask"][rows]).prediction_logits
                right = logits.argmax(-1) == data["input_ids"][rows]
                selected = masked.labels[rows] != IGNORE_INDEX
                ordinary = (masked.operations[rows] == NOT_SELECTED) & (data["special_tokens_mask"][rows] == 0)
                selected_hits += int(right[selected].sum())
                unselected_hits += int(right[ordinary].sum())
                unselected += int(ordinary.sum())
        results[condition] = selected_hits / max(1, count)
        results["unselected"] = unselected_hits / max(1, unselected)
    model.train(was_training)
    return PositionAccuracy(**results, positions=count)


# ============================================================================ claim 3: the sentence heads

PAIR_KINDS = ("true next", "random, other topic", "random, same topic", "swapped order")


def sentence_head_breakdown(model, tokenizer, *, num_documents: int = 600, seed: int = 10001, max_length: int = 64,
                            batch_size: int = 100) -> dict[str, float]:
    """The sentence head's accuracy on four kinds of fresh pairs (documents from ``seed``).

    The convention of NSP and SOP alike is 0 = "the pair is as written", 1 = "it is not". Right
    answers: 0 for a true next segment; 1 for a random segment from a document about another topic,
    for one about the same topic, and for the two consecutive segments of one document swapped. A
    head that compares topics gets the first two right and the last two at chance or worse; telling
    order apart needs the story's flow (who was introduced, what happened first).
    """
    check_positive_int("num_documents", num_documents, minimum=2)
    documents, topics = make_storybook(num_documents, seed=seed, with_topics=True)
    nsp_pairs = make_nsp_pairs(documents, tokenizer=tokenizer, max_length=max_length, seed=seed, progress=False)
    sop_pairs = [p for p in make_sop_pairs(documents, tokenizer=tokenizer, max_length=max_length, seed=seed,
                                           progress=False) if p["sentence_order_label"] == SWAPPED]

    def kind_of(pair: dict) -> str:
        if "sentence_order_label" in pair:
            return "swapped order"
        if pair["next_sentence_label"] == IS_NEXT:
            return "true next"
        return "random, same topic" if topics[pair["a_doc"]] == topics[pair["b_doc"]] else "random, other topic"

    right: dict[str, list[bool]] = {kind: [] for kind in PAIR_KINDS}
    was_training = model.training
    model.eval()
    with torch.no_grad():
        for pairs, key in ((nsp_pairs, "next_sentence_label"), (sop_pairs, "sentence_order_label")):
            for start in range(0, len(pairs), batch_size):
                chunk = pairs[start:start + batch_size]
                batch = collate(chunk, label_key=key)
                logits = model(batch["input_ids"], token_type_ids=batch["token_type_ids"],
                               attention_mask=batch["attention_mask"]).seq_relationship_logits
                for pair, predicted in zip(chunk, logits.argmax(-1).tolist()):
                    right[kind_of(pair)].append(predicted == pair[key])
    model.train(was_training)
    return {kind: sum(r) / max(1, len(r)) for kind, r in right.items()}


# The storybook frames every story: it opens with one of five fixed sentences ("on a warm day in <town>,
# <a> met <b> at the <scene> .") and closes with one of four ("after a long day at the <scene> , <a> and
# <b> were very tired ."). A sentence head can solve most order pairs by spotting those two, so what it
# knows of order is measured apart for windows that hold the opening, the closing, both, or neither
# (the middle of a story).
STORY_REGIONS = ("opening", "closing", "opening and closing", "middle")
SEGMENT_SIZES = ((1, 1), (1, 2), (2, 2), (3, 3))   # sentences in the first and the second segment
ORDERS = ("in order", "swapped")


@dataclass
class OrderBreakdown:
    """How often a sentence head is right on consecutive segments of held-out stories, shown in order
    (right answer 0, "as written") or swapped (right answer 1), by where in the story they were cut."""

    right: dict[tuple[str, tuple[int, int], str], list[bool]] = field(repr=False)   # (region, size, order)

    def _pooled(self, region: str, order: str, size: tuple[int, int] | None) -> list[bool]:
        check_choice("region", region, STORY_REGIONS)
        check_choice("order", order, ORDERS)
        sizes = [size] if size is not None else list(SEGMENT_SIZES)
        return [r for s in sizes for r in self.right.get((region, tuple(s), order), [])]

    def accuracy(self, region: str, order: str, size: tuple[int, int] | None = None) -> float:
        """Share right on ``region``'s pairs shown in ``order`` (all segment sizes pooled, or one)."""
        pooled = self._pooled(region, order, size)
        return sum(pooled) / len(pooled) if pooled else float("nan")

    def balanced(self, region: str, size: tuple[int, int] | None = None) -> float:
        """The mean of the in-order and the swapped accuracy: 0.5 for a head that cannot tell order."""
        return (self.accuracy(region, "in order", size) + self.accuracy(region, "swapped", size)) / 2

    def count(self, region: str, size: tuple[int, int] | None = None) -> int:
        """Windows (each shown both ways) in ``region``."""
        return len(self._pooled(region, "in order", size))


def sentence_order_breakdown(model, tokenizer, *, num_documents: int = 600, seed: int = 10001,
                             sizes=SEGMENT_SIZES, max_length: int = 64, batch_size: int = 256) -> OrderBreakdown:
    """Every window of consecutive sentences of ``num_documents`` new stories (documents from
    ``seed``), cut into a first segment of k and a second of m sentences for each (k, m) in
    ``sizes``, shown in order and swapped, scored by the sentence head and sorted by region: does the
    window hold the story's opening sentence, its closing one, both, or neither?"""
    check_positive_int("num_documents", num_documents)
    documents = make_storybook(num_documents, seed=seed)
    tokenized = tokenize_documents(documents, tokenizer, progress=False)
    pairs, keys = [], []
    for sentences in tokenized:
        n = len(sentences)
        for k, m in sizes:
            for start in range(n - k - m + 1):
                end = start + k + m
                region = {(True, True): "opening and closing", (True, False): "opening",
                          (False, True): "closing", (False, False): "middle"}[(start == 0, end == n)]
                ids_a = [t for s in sentences[start:start + k] for t in s]
                ids_b = [t for s in sentences[start + k:end] for t in s]
                for order, (first, second), label in (("in order", (ids_a, ids_b), IN_ORDER),
                                                      ("swapped", (ids_b, ids_a), SWAPPED)):
                    pair = fit_pair(tokenizer, first, second, max_length)
                    pair["sentence_order_label"] = label
                    pairs.append(pair)
                    keys.append((region, (k, m), order))
    right: dict = {}
    was_training = model.training
    model.eval()
    by_length = sorted(range(len(pairs)), key=lambda i: len(pairs[i]["input_ids"]))  # batches of alike length pad little
    with torch.no_grad():
        for begin in range(0, len(pairs), batch_size):
            rows = by_length[begin:begin + batch_size]
            batch = collate([pairs[i] for i in rows], label_key="sentence_order_label")
            logits = model(batch["input_ids"], token_type_ids=batch["token_type_ids"],
                           attention_mask=batch["attention_mask"]).seq_relationship_logits
            hits = (logits.argmax(-1) == batch["sentence_order_label"]).tolist()
            for i, hit in zip(rows, hits):
                right.setdefault(keys[i], []).append(bool(hit))
    model.train(was_training)
    return OrderBreakdown(right)


def middle_order_cues(*, num_documents: int = 600, seed: int = 10001, sizes=SEGMENT_SIZES) -> dict:
    """How much of the order of middle-of-story pairs the text itself gives away.

    The storybook draws each body sentence independently, except that an episode's consequence
    follows its meeting and a dialogue's answer its question (``helpers.text.corpus.SENTENCE_ROLES``).
    So a swapped pair from the middle of a story (neither its opening nor its closing) shows its order
    only where it breaks one of those two-sentence units: the cut between the segments falls inside
    one, or the first segment starts with the second half of one, or the second segment ends with the
    first half of one. Returns, per (k, m) in ``sizes`` and pooled under ``"all"``, the share of middle
    windows with such a cue, and ``best``: the accuracy, over in-order and swapped pairs alike, of a
    reader that gets every pair with a cue right and flips a coin on the others (0.5 + share / 2).
    """
    check_positive_int("num_documents", num_documents)
    _, roles = make_storybook(num_documents, seed=seed, with_roles=True)
    return count_order_cues(roles, sizes)


def count_order_cues(roles, sizes=SEGMENT_SIZES) -> dict:
    """:func:`middle_order_cues` for given sentence roles (one list per document)."""
    counts = {tuple(size): [0, 0] for size in sizes}
    for doc_roles in roles:
        bound = [role in FOLLOWS_THE_PREVIOUS for role in doc_roles] + [False]   # sentence j is tied to j - 1
        n = len(doc_roles)
        for (k, m), count in counts.items():
            for start in range(1, n - k - m):   # windows that hold neither the first nor the last sentence
                count[0] += 1
                count[1] += bound[start] or bound[start + k] or bound[start + k + m]
    pooled = [sum(c[0] for c in counts.values()), sum(c[1] for c in counts.values())]
    return {key: {"windows": total, "share": cued / max(1, total), "best": 0.5 + cued / max(1, total) / 2}
            for key, (total, cued) in [*counts.items(), ("all", pooled)]}


# ============================================================================ claims 4-5: fine-tuning
#
# Every fine-tuning claim runs the same small recipe: an encoder, the task's head on it, fine-tuned
# on n labeled examples for a fixed number of steps, scored on the test splits. Only one thing
# changes between the arms (the encoder's pre-training, or freezing); data, steps, learning rate
# and seeds are shared. Each arm runs once per seed; tables report the mean and the spread.

FINETUNE_STEPS = 150      # default optimizer steps per fine-tuning run (batch 16)


def majority_baseline(task: TaskData, split: str = "test") -> float | None:
    """Accuracy of always answering the most frequent training label (classification tasks only)."""
    if task.kind not in ("sequence", "pair"):
        return None
    counts: dict = {}
    for example in task.train:
        counts[example["label"]] = counts.get(example["label"], 0) + 1
    guess = max(counts, key=counts.get)
    examples = getattr(task, split)
    return sum(example["label"] == guess for example in examples) / len(examples)


@dataclass
class FinetuneScore:
    """One fine-tuning run: the main metric on each split scored, and what it cost."""

    scores: dict[str, float]
    seconds: float
    tokens_seen: int
    sequences_seen: int
    trainable_parameters: int
    history: dict = field(repr=False, default_factory=dict)


def finetune_and_score(task: TaskData, tokenizer, *, encoder=None, config=None, num_train_examples: int = 128,
                       splits=("test", "test_heldout"), freeze_encoder: bool = False, steps: int = FINETUNE_STEPS,
                       learning_rate: float | None = None, batch_size: int = 16, seed: int = 0,
                       test_size: int | None = None, progress: bool = False) -> FinetuneScore:
    """A head on ``encoder`` (pre-trained; ``None`` with a ``config`` = from scratch), trained on
    ``num_train_examples`` labeled examples drawn with ``seed``, scored on ``splits``."""
    model = build_model(task, encoder, config=config, seed=seed)
    run = finetune(model, task, tokenizer=tokenizer, train_examples=subsample(task, num_train_examples, seed=seed),
                   freeze_encoder=freeze_encoder, steps=steps, learning_rate=learning_rate, batch_size=batch_size,
                   seed=seed, eval_examples=[], progress=progress)
    metric = main_metric(task)
    scores = {split: evaluate(run.model, task, split, tokenizer=tokenizer,
                              examples=getattr(task, split)[:test_size] if test_size else None)[metric]
              for split in splits}
    return FinetuneScore(scores=scores, seconds=run.seconds, tokens_seen=run.tokens_seen,
                         sequences_seen=run.sequences_seen, trainable_parameters=run.trainable_parameters,
                         history=run.history)


@dataclass
class Comparison:
    """Several arms fine-tuned on one task with the same recipe, over seeds."""

    task: str
    metric: str
    scores: dict[str, dict[str, Spread]]   # arm -> split -> spread over seeds
    seconds: dict[str, Spread]
    trainable_parameters: dict[str, int]
    baseline: dict[str, float | None]      # split -> majority-class accuracy (classification only)
    num_train_examples: int                # labeled training examples per run (not classes)
    seeds: list[int]
    steps: int
    test_size: int | None = None           # examples scored per split (None: the whole split)

    def means(self, split: str = "test") -> dict[str, float]:
        """{arm: mean score} on ``split``, for a bar chart."""
        return {arm: by_split[split].mean for arm, by_split in self.scores.items()}

    def spreads(self, split: str = "test") -> dict[str, float]:
        """{arm: standard deviation over seeds} on ``split``, for error bars."""
        return {arm: by_split[split].std for arm, by_split in self.scores.items()}

    def difference(self, arm: str, other: str, split: str = "test") -> float:
        return self.scores[arm][split].mean - self.scores[other][split].mean

    def summary(self, split: str = "test") -> str:
        """Each arm's mean ± spread, then best minus worst beside the largest spread: the lines a
        notebook prints so that a difference can be read against the noise of the seeds."""
        size = f" on {self.test_size} {split} examples" if self.test_size else f" on {split}"
        lines = [f"{self.task} ({self.metric}{size}, mean ± spread over seeds {self.seeds}):"]
        lines += [f"  {arm:16s} {by_split[split]:.1%}" for arm, by_split in self.scores.items()]
        means = self.means(split)
        best, worst = max(means, key=means.get), min(means, key=means.get)
        lines.append(f"best minus worst: {self.difference(best, worst, split):+.1%}; "
                     f"the largest spread over seeds: {max(self.spreads(split).values()):.1%}")
        return "\n".join(lines)


def compare_finetuning(task_name: str, tokenizer, arms: dict[str, dict], *, num_train_examples: int = 128,
                       seeds=(0, 1, 2),
                       steps: int = FINETUNE_STEPS, splits=("test", "test_heldout"), test_size: int | None = None,
                       progress: bool = True) -> Comparison:
    """Run each arm (name -> keyword arguments of :func:`finetune_and_score`, e.g.
    ``{"encoder": model}``, ``{"encoder": None, "config": config}`` or ``{"encoder": model,
    "freeze_encoder": True}``) once per seed, everything else shared."""
    check_positive_int("num_train_examples", num_train_examples)
    task = get_task(task_name)
    runs: dict[str, list[FinetuneScore]] = {arm: [] for arm in arms}
    jobs = [(arm, seed) for arm in arms for seed in seeds]
    for arm, seed in tqdm(jobs, desc=f"{task_name}: fine-tuning runs", disable=not progress, leave=True):
        runs[arm].append(finetune_and_score(task, tokenizer, seed=seed, splits=splits,
                                            num_train_examples=num_train_examples,
                                            steps=steps, test_size=test_size, **arms[arm]))
    return Comparison(
        task=task_name, metric=main_metric(task),
        scores={arm: {s: Spread([r.scores[s] for r in rs]) for s in splits} for arm, rs in runs.items()},
        seconds={arm: Spread([r.seconds for r in rs]) for arm, rs in runs.items()},
        trainable_parameters={arm: rs[0].trainable_parameters for arm, rs in runs.items()},
        baseline={s: majority_baseline(task, s) for s in splits}, num_train_examples=num_train_examples, seeds=list(seeds),
        steps=steps, test_size=test_size)


@dataclass
class LearningCurve:
    """Pre-trained versus from scratch, at several numbers of labeled examples."""

    task: str
    metric: str
    points: dict[int, Comparison]          # number of labels -> the comparison at that size

    def curve(self, arm: str, split: str = "test") -> dict[int, float]:
        """{labels: mean score} of one arm, for a plot."""
        return {n: c.scores[arm][split].mean for n, c in self.points.items()}


def learning_curve(task_name: str, checkpoint: Checkpoint | None = None, *, label_counts=(32, 128, 512),
                   seeds=(0, 1, 2), steps: int = FINETUNE_STEPS, splits=("test", "test_heldout"),
                   test_size: int | None = None, progress: bool = True) -> LearningCurve:
    """The same architecture fine-tuned from the pre-trained encoder and from random weights, with
    the same examples, steps, learning rate and seeds, at each number of labels."""
    checkpoint = checkpoint or load_checkpoint(course_checkpoint_path())
    arms = {"pre-trained": {"encoder": checkpoint.model},
            "from scratch": {"encoder": None, "config": checkpoint.model.config}}
    points = {n: compare_finetuning(task_name, checkpoint.tokenizer, arms, num_train_examples=n, seeds=seeds, steps=steps,
                                    splits=splits, test_size=test_size, progress=progress)
              for n in label_counts}
    return LearningCurve(task=task_name, metric=points[label_counts[0]].metric, points=points)


# ============================================================================ paired statistics
#
# Every downstream comparison runs each arm with the same seeds, and a seed fixes the labeled examples,
# their order, the head's initial weights and dropout: run i of arm X and run i of arm Y differ only in
# the arm. So the difference between two arms is measured seed by seed (paired), and its mean gets a
# 95% interval from the t distribution. A difference is called only when its interval excludes zero.

CONFIDENCE = 0.95


def _t_two_sided_probability(t: float, df: int) -> float:
    """P(|T| <= t) for Student's t with ``df`` (an integer >= 1) degrees of freedom.

    The closed form for integer degrees of freedom (Abramowitz and Stegun, 26.7.3-26.7.4): with
    theta = atan(t / sqrt(df)), a finite sum of powers of cos(theta), odd and even df separately."""
    theta = math.atan(abs(t) / math.sqrt(df))
    c2 = math.cos(theta) ** 2
    if df % 2 == 1:
        total, term = 0.0, 1.0
        if df > 1:
            total = 1.0
            for k in range(1, (df - 3) // 2 + 1):  # terms 2/3 c^2, (2*4)/(3*5) c^4, ...
                term *= (2 * k) / (2 * k + 1) * c2
                total += term
            total *= math.sin(theta) * math.cos(theta)
        return 2 / math.pi * (theta + total)
    total, term = 1.0, 1.0
    for k in range(1, (df - 2) // 2 + 1):  # terms 1/2 c^2, (1*3)/(2*4) c^4, ...
        term *= (2 * k - 1) / (2 * k) * c2
        total += term
    return math.sin(theta) * total


def t_quantile(probability: float, df: int) -> float:
    """The ``probability`` quantile of Student's t with ``df`` degrees of freedom (no scipy needed):
    ``t_quantile(0.975, 4)`` is 2.776, the factor of a 95% interval from 5 values."""
    check_positive_int("df", df)
    if not (isinstance(probability, (int, float)) and 0 < probability < 1):
        raise ValueError(f"probability={probability!r} is not allowed: it must be a number between 0 and 1.")
    if probability == 0.5:
        return 0.0
    if probability < 0.5:
        return -t_quantile(1 - probability, df)
    target = 2 * probability - 1          # P(|T| <= t) that the quantile must reach
    low, high = 0.0, 1.0
    while _t_two_sided_probability(high, df) < target:
        high *= 2
    for _ in range(200):                  # bisection: the two-sided probability grows with t
        middle = (low + high) / 2
        if _t_two_sided_probability(middle, df) < target:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def mean_and_standard_error(values) -> tuple[float, float]:
    """The mean of ``values`` and its standard error, sample standard deviation / sqrt(n)."""
    values = [float(v) for v in values]
    if not values:
        raise ValueError("values=[] is not allowed: a mean needs at least one value.")
    if len(values) == 1:
        return values[0], float("nan")
    return statistics.fmean(values), statistics.stdev(values) / math.sqrt(len(values))


@dataclass
class PairedDifference:
    """Arm ``first`` minus arm ``second``, seed by seed, with a t interval for the mean difference."""

    first: str
    second: str
    differences: list[float]               # one per shared seed, in the seeds' order
    confidence: float = CONFIDENCE

    @property
    def mean(self) -> float:
        return statistics.fmean(self.differences)

    @property
    def standard_error(self) -> float:
        return mean_and_standard_error(self.differences)[1]

    @property
    def interval(self) -> tuple[float, float]:
        """(low, high): the ``confidence`` interval of the mean difference (t, n - 1 degrees of freedom)."""
        n = len(self.differences)
        if n < 2:
            return (-math.inf, math.inf)
        half = t_quantile(0.5 + self.confidence / 2, n - 1) * self.standard_error
        return (self.mean - half, self.mean + half)

    @property
    def shown(self) -> bool:
        """True when the interval excludes zero: the data show a difference (in the sign of the mean)."""
        low, high = self.interval
        return low > 0 or high < 0

    def verdict(self, scale: float = 100.0, unit: str = " points") -> str:
        """One line a notebook prints: the difference, its interval and what may be said of it."""
        low, high = self.interval
        said = (f"{self.first if self.mean > 0 else self.second} ahead" if self.shown else "no difference shown")
        return (f"{self.first} minus {self.second}: {self.mean * scale:+.1f}{unit} "
                f"({self.confidence:.0%} interval {low * scale:+.1f} to {high * scale:+.1f}): {said}")


@dataclass
class PairedComparison:
    """Several arms scored with the same seeds: each arm's mean ± standard error, and every pair's
    paired difference with its interval. ``scores[arm][i]`` is the score of arm with ``seeds[i]``."""

    scores: dict[str, list[float]]
    seeds: list[int]
    confidence: float = CONFIDENCE

    def __post_init__(self) -> None:
        for arm, values in self.scores.items():
            if len(values) != len(self.seeds):
                raise ValueError(f"scores[{arm!r}] has {len(values)} values for {len(self.seeds)} seeds, which is "
                                 "not allowed: every arm needs one score per shared seed.")

    def mean(self, arm: str) -> float:
        return statistics.fmean(self.scores[arm])

    def standard_error(self, arm: str) -> float:
        return mean_and_standard_error(self.scores[arm])[1]

    def interval(self, arm: str) -> tuple[float, float, float]:
        """(mean, low, high): ``arm``'s mean score and its ``confidence`` interval (t, n - 1 degrees of freedom)."""
        n = len(self.seeds)
        half = t_quantile(0.5 + self.confidence / 2, n - 1) * self.standard_error(arm) if n > 1 else math.inf
        return self.mean(arm), self.mean(arm) - half, self.mean(arm) + half

    def difference(self, first: str, second: str) -> PairedDifference:
        for arm in (first, second):
            check_choice("arm", arm, list(self.scores))
        return PairedDifference(first, second, [a - b for a, b in zip(self.scores[first], self.scores[second])],
                                self.confidence)

    def differences(self) -> list[PairedDifference]:
        """Every pair of arms, in the order the arms were given."""
        arms = list(self.scores)
        return [self.difference(a, b) for i, a in enumerate(arms) for b in arms[i + 1:]]

    def lines(self, scale: float = 100.0, unit: str = "%") -> list[str]:
        """Each arm's mean ± standard error, then each pair's verdict."""
        width = max(len(arm) for arm in self.scores)
        out = [f"  {arm:{width}s}  {self.mean(arm) * scale:5.1f}{unit} ± {self.standard_error(arm) * scale:.1f} "
               f"(standard error, {len(self.seeds)} seeds)" for arm in self.scores]
        return out + [f"  {d.verdict(scale)}" for d in self.differences()]


# ============================================================================ the stored comparisons
#
# The downstream comparisons of notebook 5c take longer than a notebook may (tens of fine-tuning runs
# each), so `make comparisons` (benchmarks/comparisons.py) runs them once and stores every run's score
# in one results file; the notebook, benchmarks/claims.py and the README read that file, and the
# notebook re-runs one arm and seed live with the stored settings to show that it lands among them.

COMPARISONS_PATH = REPOSITORY_DIR / "benchmarks" / "results" / "comparisons.json"
PLATEAU_POINTS = 0.02   # twice the steps must move the best arm by less than this


@dataclass(frozen=True)
class ComparisonSpec:
    """One downstream comparison: the arms (names of :data:`FAMILY`) fine-tuned with one recipe."""

    name: str                          # a short id: "mask-sentiment"
    question: str                      # what it asks, in words
    task: str
    arms: tuple[str, ...]
    num_train_examples: int
    steps: int
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    learning_rate: float | None = None  # None: finetune's default (5e-4, or 3e-3 with a frozen encoder)
    freeze_encoder: bool = False
    splits: tuple[str, ...] = ("test",)
    test_size: int | None = None         # test examples scored per split (None: the whole split)

    def settings(self) -> dict:
        """The keyword arguments of :func:`finetune_and_score` that every run of this comparison shares."""
        return dict(num_train_examples=self.num_train_examples, steps=self.steps, learning_rate=self.learning_rate,
                    freeze_encoder=self.freeze_encoder, splits=self.splits)


MASK_ARMS = ("80/10/10 + NSP", "always [MASK] + NSP")
SENTENCE_ARMS = ("80/10/10 + NSP", "MLM + SOP", "MLM only")
MASK_QUESTION = "80/10/10 versus always [MASK]"
SENTENCE_QUESTION = "NSP versus SOP versus no sentence objective"

# Settings measured so that the best arm is near its plateau (twice the steps moves it by less than 2
# points; every stored comparison re-checks it) and every arm is far above the majority class.
COMPARISON_SPECS = (
    ComparisonSpec("mask-sentiment", MASK_QUESTION, "sentiment", MASK_ARMS, num_train_examples=128, steps=600,
                   splits=("test", "test_heldout")),
    ComparisonSpec("mask-ner", MASK_QUESTION, "ner", MASK_ARMS, num_train_examples=128, steps=300,
                   splits=("test", "test_heldout")),
    ComparisonSpec("mask-ner-frozen", MASK_QUESTION + ", feature-based (encoder frozen)", "ner", MASK_ARMS,
                   num_train_examples=128, steps=600, freeze_encoder=True, splits=("test", "test_heldout")),
    ComparisonSpec("sentence-paraphrase", SENTENCE_QUESTION, "paraphrase", SENTENCE_ARMS, num_train_examples=1000,
                   steps=400),
    ComparisonSpec("sentence-qa", SENTENCE_QUESTION, "qa", SENTENCE_ARMS, num_train_examples=1000, steps=1000,
                   learning_rate=2e-3),
)
# Rough seconds per fine-tuning step, relative: only used to start the longest runs first.
TASK_COST = {"sentiment": 1.0, "ner": 1.1, "paraphrase": 1.6, "qa": 4.0}


_LOADED_FAMILY: dict[str, Checkpoint] = {}


def run_comparison_job(job: tuple) -> tuple:
    """One fine-tuning run of a comparison, ``(spec, arm, seed, steps)`` -> ``(spec.name, arm, seed,
    steps, scores, seconds)``; the family is loaded once per process (benchmarks/comparisons.py runs
    these in worker processes)."""
    spec, arm, seed, steps = job
    if arm not in _LOADED_FAMILY:
        _LOADED_FAMILY.update(load_family(spec.arms))
    checkpoint = _LOADED_FAMILY[arm]
    run = finetune_and_score(get_task(spec.task), checkpoint.tokenizer, encoder=checkpoint.model, seed=seed,
                             test_size=spec.test_size, **{**spec.settings(), "steps": steps})
    return spec.name, arm, seed, steps, run.scores, run.seconds


def machine_facts() -> dict:
    """The machine a result was measured on: CPU model, logical cores, Python, torch, system."""
    cpu = platform.processor() or "unknown"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return dict(cpu=cpu, logical_cpus=os.cpu_count(), python=platform.python_version(), torch=torch.__version__,
                system=platform.platform())


def checkpoint_facts(name: str) -> dict:
    """What identifies a shipped checkpoint in a results file: its bytes' SHA-256 and how it was made."""
    path = course_checkpoint_path(name)
    meta = read_checkpoint_metadata(path)
    settings = meta.get("settings", {})
    return dict(file=path.name, sha256=hashlib.sha256(path.read_bytes()).hexdigest(), command=meta.get("command"),
                corpus_version=meta.get("corpus_version"), sentence_objective=meta.get("sentence_objective"),
                sop_start=settings.get("sop_start", "document"), steps=meta.get("steps"))


@dataclass
class StoredComparison:
    """A comparison as the results file holds it: every run's score, the baseline, the plateau check."""

    spec: ComparisonSpec
    metric: str
    baseline: dict[str, float | None]              # split -> majority-class accuracy (classification only)
    scores: dict[str, dict[str, list[float]]]      # arm -> split -> one score per seed, in spec.seeds order
    seconds: dict[str, list[float]]                # arm -> training seconds per seed
    plateau_arm: str                               # the best arm, re-run with twice the steps
    plateau_scores: list[float]                    # its scores at 2 x steps (first split), per seed

    def paired(self, split: str | None = None) -> PairedComparison:
        split = split or self.spec.splits[0]
        return PairedComparison({arm: self.scores[arm][split] for arm in self.spec.arms}, list(self.spec.seeds))

    def plateau(self) -> PairedDifference:
        """The best arm at twice the steps minus the same arm at the comparison's steps, seed by seed."""
        first = self.scores[self.plateau_arm][self.spec.splits[0]]
        return PairedDifference(f"{self.plateau_arm}, {2 * self.spec.steps} steps",
                                f"{self.spec.steps} steps", [b - a for a, b in zip(first, self.plateau_scores)])

    def report(self) -> list[str]:
        """The lines a notebook prints: the recipe and the baseline, each arm's mean ± standard error,
        every paired difference with its interval and verdict, and the plateau check."""
        spec, split = self.spec, self.spec.splits[0]
        rate = f", learning rate {spec.learning_rate:g}" if spec.learning_rate else ""
        frozen = ", encoder frozen" if spec.freeze_encoder else ""
        size = f"{spec.test_size} {split} examples" if spec.test_size else f"the {split} split"
        lines = [f"{spec.task}: {self.metric.replace('_', ' ')} on {size}; {spec.num_train_examples} labels, "
                 f"{spec.steps} steps{rate}{frozen}; seeds {list(spec.seeds)} shared by every arm"]
        base = self.baseline.get(split)
        if base is not None:
            lines.append(f"  always answering the most frequent label: {base:.1%}")
        lines += self.paired().lines()
        change, (low, high) = self.plateau().mean, self.plateau().interval
        lines.append(f"  plateau check: {self.plateau_arm} with {2 * spec.steps} steps moved by {100 * change:+.1f} points "
                     f"(95% interval {100 * low:+.1f} to {100 * high:+.1f}): "
                     + ("near its plateau (less than 2 points)" if self.at_plateau else "NOT near its plateau"))
        return lines

    @property
    def at_plateau(self) -> bool:
        """Twice the steps moved the best arm's mean score by less than 2 points."""
        return abs(self.plateau().mean) < PLATEAU_POINTS

    @classmethod
    def from_dict(cls, data: dict) -> "StoredComparison":
        spec = data["spec"]
        spec = ComparisonSpec(**{**spec, **{k: tuple(spec[k]) for k in ("arms", "seeds", "splits")}})
        return cls(spec=spec, metric=data["metric"], baseline=data["baseline"], scores=data["scores"],
                   seconds=data["seconds"], plateau_arm=data["plateau_arm"], plateau_scores=data["plateau_scores"])

    def to_dict(self) -> dict:
        return dict(spec=dataclasses.asdict(self.spec), metric=self.metric, baseline=self.baseline,
                    scores=self.scores, seconds=self.seconds, plateau_arm=self.plateau_arm,
                    plateau_scores=self.plateau_scores)


def load_comparisons(path=None) -> tuple[dict[str, StoredComparison], dict]:
    """The stored comparisons ({name: StoredComparison}) and the facts of the run that made them
    (command, settings, machine, time), from ``path`` (default: the repository's results file)."""
    path = Path(path) if path is not None else COMPARISONS_PATH
    if not path.is_file():
        raise ValueError(f"path={str(path)!r} is not allowed: no such results file; make it with "
                         "`make comparisons` (benchmarks/comparisons.py).")
    data = json.loads(path.read_text(encoding="utf-8"))
    return {c["spec"]["name"]: StoredComparison.from_dict(c) for c in data["comparisons"]}, data["run"]
