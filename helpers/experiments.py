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
   sentences; :func:`middle_order_cues` - how much order the middle of a story gives away at all
   (in :mod:`helpers.sentence_heads`, importable from here).
4. :func:`compare_finetuning` - the same fine-tuning recipe on several encoders (or frozen versus
   end to end), over seeds; :func:`learning_curve` - pre-trained versus scratch at 32 / 128 / 512 labels.
5. :func:`training_flops` / :func:`pretraining_cost` - what pre-training costs next to fine-tuning
   (in :mod:`helpers.cost`, importable from here).

Downstream comparisons are read with paired statistics (:class:`PairedComparison`: the same seeds for
every arm, mean ± standard error, each pair's difference with a 95% t interval) and are run once by
``benchmarks/comparisons.py`` (:data:`COMPARISON_SPECS`, each run a :func:`run_comparison_job`), whose
stored results :func:`load_comparisons` reads. The statistics live in :mod:`helpers.statistics` and the
stored comparisons in :mod:`helpers.comparisons`; both are importable from here.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from types import SimpleNamespace

import torch
import torch.nn.functional as F
from helpers.progress_bars import tqdm

from helpers.constants import IGNORE_INDEX
from helpers.errors import check_choice, check_positive_int
from helpers.modeling.bert import BertConfig, BertForPreTraining
from helpers.modeling.checkpoints import Checkpoint, course_checkpoint_path, load_checkpoint
from helpers.objectives.mlm import NOT_SELECTED, mask_tokens
from helpers.text.corpus import make_storybook
from helpers.text.tasks import TaskData, load_task, subsample
from helpers.training.finetuning import build_model, evaluate, finetune, main_metric
from helpers.training.loop import Schedule, train
from helpers.training.pretraining import HELD_OUT_SEED_OFFSET, build_tokenizer, cut_pairs
# Claim 5, the cost, lives in helpers.cost; importing it from here keeps working.
from helpers.cost import pretraining_cost, training_flops  # noqa: F401
# Claim 3, the paired statistics and the stored comparisons live in their own modules too; importing
# them from here keeps working.
from helpers.comparisons import (COMPARISON_SPECS, COMPARISONS_PATH, MASK_ARMS, MASK_QUESTION,  # noqa: F401
                                 PLATEAU_POINTS, SENTENCE_ARMS, SENTENCE_QUESTION, TASK_COST, ComparisonSpec,
                                 StoredComparison, checkpoint_facts, load_comparisons, machine_facts)
from helpers.sentence_heads import (ORDERS, PAIR_KINDS, SEGMENT_SIZES, STORY_REGIONS, OrderBreakdown,  # noqa: F401
                                    count_order_cues, middle_order_cues, sentence_head_breakdown,
                                    sentence_order_breakdown)
from helpers.statistics import (CONFIDENCE, PairedComparison, PairedDifference,  # noqa: F401
                                mean_and_standard_error, t_quantile)


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


# ============================================================================ one run of a stored comparison
#
# The stored comparisons (helpers.comparisons) run claim 4's recipe at scale; benchmarks/comparisons.py
# calls this for each of their runs. It lives here, beside the family and the recipe it runs.

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
