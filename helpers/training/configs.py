"""The settings of the two training stages, each declared once: type, help and allowed range.

:class:`PretrainConfig` (with its ``PRESETS``) and :class:`FinetuneConfig` are frozen dataclasses
whose fields are made with :func:`setting`, which records on the field what the value may be. From
that one declaration:

* the config checks itself when it is built (``__post_init__``): a bad value is a ``ValueError``
  naming the field, the value and what is allowed (the checks of :mod:`helpers.errors`, so a
  learning rate or a seed means the same in pre-training, fine-tuning and on the command line);
* the pre-training command line (:mod:`helpers.training.cli`) makes one flag per field, with the
  field's type and help, and names the flag (``--learning-rate``) in its errors.

Start from a preset and change what you need::

    dataclasses.replace(PRESETS["live"], steps=500, sentence_objective="sop")
"""
from __future__ import annotations

import dataclasses
import functools
import types
import typing
from dataclasses import dataclass
from typing import Any, Callable, Union

from helpers.errors import (check_choice, check_device, check_flag, check_integer, check_learning_rate,
                            check_number, check_seed, check_text)
from helpers.modeling.bert import BertConfig
from helpers.objectives.sop import STARTS as SOP_STARTS
from helpers.text.corpus import MAX_NUM_DOCUMENTS
from helpers.training.precision import PRECISIONS

SENTENCE_OBJECTIVES = ("nsp", "sop", "none")
MAX_BATCH_SIZE = 4096   # pairs per step; more than this is a typo on a laptop, not a setting
MAX_STEPS = 10_000_000
Label = Callable[[str], str]  # field name -> the name an error shows (the field, or its flag)


@dataclass(frozen=True)
class Rule:
    """What one setting allows; kept in the field's metadata by :func:`setting`."""

    help: str
    minimum: float | None = None
    maximum: float | None = None
    open_minimum: bool = False
    open_maximum: bool = False
    choices: tuple | None = None
    check: Callable[[str, Any], Any] | None = None   # a check of helpers.errors, for a setting with a meaning
    flag: bool = True                                # offered on the command line


def setting(default: Any, help: str, **rule: Any) -> Any:
    """A dataclass field with its :class:`Rule` (range, choices, check, help) recorded on it."""
    return dataclasses.field(default=default, metadata={"rule": Rule(help, **rule)})


def rule_of(field: dataclasses.Field) -> Rule:
    return field.metadata["rule"]


@functools.lru_cache(maxsize=None)
def field_types(cls: type) -> dict[str, tuple[type, bool]]:
    """{field name: (value type, whether None is allowed)} from the class's annotations."""
    types_ = {}
    for name, hint in typing.get_type_hints(cls).items():
        args = typing.get_args(hint) if typing.get_origin(hint) in (Union, types.UnionType) else (hint,)
        kinds = [a for a in args if a is not type(None)]
        types_[name] = (kinds[0], len(kinds) < len(args))
    return types_


def check_setting(cls: type, name: str, value: Any, label: str | None = None) -> Any:
    """Check one value against the declaration of field ``name`` of ``cls``; errors show ``label``."""
    label = label or name
    field = next(f for f in dataclasses.fields(cls) if f.name == name)
    rule, (kind, optional) = rule_of(field), field_types(cls)[name]
    if value is None and optional:
        return value
    if rule.check is not None:
        return rule.check(label, value)
    if rule.choices is not None:
        return check_choice(label, value, rule.choices)
    if kind is bool:
        return check_flag(label, value)
    if kind is int:
        return check_integer(label, value, minimum=rule.minimum, maximum=rule.maximum)
    if kind is float:
        return check_number(label, value, minimum=rule.minimum, maximum=rule.maximum,
                            open_minimum=rule.open_minimum, open_maximum=rule.open_maximum)
    return check_text(label, value)


def check_all(config: Any, label: Label) -> None:
    """Every field of ``config`` by its declaration, then the rules that tie fields together."""
    for field in dataclasses.fields(config):
        check_setting(type(config), field.name, getattr(config, field.name), label(field.name))
    config.check_together(label)


def same_name(name: str) -> str:
    return name


# ----------------------------------------------------------------------------------------------
# Pre-training


@dataclass(frozen=True)
class PretrainConfig:
    """Every setting of a pre-training run (see the module docstring for how to change one).

    Steps were calibrated on a 2-core CPU (checkpoints/README.md has the measured seconds).
    Dropout is off: at this size it costs about a third of the step time, and with a corpus this
    regular and runs this short the model under-fits rather than over-fits. The upper bounds keep a
    typo (``num_documents=1000000000``) from filling the memory: the largest model allowed is
    BERT-large's shape.
    """

    name: str = setting("custom", "the preset this run started from (a label)", flag=False)
    # the encoder
    hidden_size: int = setting(128, "width of every layer", minimum=1, maximum=1024)
    num_hidden_layers: int = setting(2, "encoder layers", minimum=1, maximum=24)
    num_attention_heads: int = setting(2, "attention heads per layer (must divide hidden_size)", minimum=1,
                                       maximum=16)
    intermediate_size: int = setting(512, "width of the feed-forward layers", minimum=1, maximum=4096)
    max_position_embeddings: int = setting(64, "longest input the model takes (>= max_length)", minimum=5,
                                           maximum=512)
    dropout: float = setting(0.0, "dropout probability of every dropout layer", minimum=0, maximum=1,
                             open_maximum=True)
    # the data
    vocab_size: int = setting(1000, "the most tokens the WordPiece vocabulary may hold", minimum=7,
                              maximum=100_000)
    min_freq: int = setting(2, "how often a piece must occur to enter the vocabulary", minimum=1,
                            maximum=1_000_000)
    num_documents: int = setting(2000, "storybook documents to generate (when the corpus is the storybook)",
                                 minimum=1, maximum=MAX_NUM_DOCUMENTS)
    max_length: int = setting(64, "tokens per pair, [CLS] and [SEP]s included", minimum=5, maximum=512)
    short_seq_prob: float = setting(0.0, "share of pairs cut shorter on purpose (as BERT does)", minimum=0,
                                    maximum=1)
    # the objectives
    mlm: bool = setting(True, "train the masked-language-model objective")
    mlm_probability: float = setting(0.15, "share of ordinary tokens selected for MLM", minimum=0, maximum=1,
                                     open_minimum=True)
    mask_prob: float = setting(0.8, "of the selected tokens: share replaced by [MASK]", minimum=0, maximum=1)
    random_prob: float = setting(0.1, "... share replaced by a random token (the rest stay)", minimum=0, maximum=1)
    sentence_objective: str = setting("nsp", "nsp (BERT), sop (ALBERT's sentence order) or none (MLM only)",
                                      choices=SENTENCE_OBJECTIVES)
    sop_start: str = setting("document", "with sentence objective sop: document (chunks packed from each "
                             "document's start, ALBERT's way) or random (one chunk per document, from a random "
                             "sentence)", choices=SOP_STARTS)
    # the optimisation
    steps: int = setting(300, "optimizer steps (with --resume: the new total)", minimum=1, maximum=MAX_STEPS)
    batch_size: int = setting(32, "pairs per step (per rank under torchrun)", minimum=1, maximum=MAX_BATCH_SIZE)
    learning_rate: float = setting(1e-3, "AdamW's peak learning rate", check=check_learning_rate)
    warmup_steps: int | None = setting(None, "warm-up steps (default: a tenth of the steps)", minimum=0,
                                       maximum=MAX_STEPS)
    weight_decay: float = setting(0.01, "AdamW's weight decay (not on biases and LayerNorm)", minimum=0, maximum=1)
    time_budget: float | None = setting(None, "stop after this many seconds even if steps remain", minimum=0,
                                        maximum=7 * 24 * 3600, open_minimum=True)
    precision: str = setting("fp32", "fp32, or bf16 autocast with float32 master weights", choices=PRECISIONS)
    # measuring
    eval_every: int = setting(100, "steps between held-out evaluations", minimum=1, maximum=MAX_STEPS)
    eval_size: int = setting(256, "held-out pairs evaluated", minimum=1, maximum=10_000)
    seed: int = setting(0, "seed of every random choice", check=check_seed)

    def __post_init__(self) -> None:
        check_all(self, same_name)

    def check_together(self, label: Label = same_name) -> None:
        """The rules between fields (``label`` names them: the field, or its command-line flag)."""
        if self.max_length > self.max_position_embeddings:
            raise ValueError(f"{label('max_length')}={self.max_length} is not allowed: it must be from 5 to "
                             f"{self.max_position_embeddings} ({label('max_position_embeddings')}).")
        if self.hidden_size % self.num_attention_heads:
            raise ValueError(f"{label('num_attention_heads')}={self.num_attention_heads} is not allowed: it must "
                             f"divide {label('hidden_size')}={self.hidden_size}.")
        if self.mask_prob + self.random_prob > 1 + 1e-9:
            raise ValueError(f"{label('mask_prob')}={self.mask_prob} with {label('random_prob')}={self.random_prob} "
                             "is not allowed: their sum must be <= 1 (the rest of the selected tokens are kept).")
        if not self.mlm and self.sentence_objective == "none":
            raise ValueError(f"{label('mlm')}=False with {label('sentence_objective')}='none' is not allowed: at "
                             "least one objective must be on.")
        if self.sop_start != "document" and self.sentence_objective != "sop":
            raise ValueError(f"{label('sop_start')}={self.sop_start} is not allowed with "
                             f"{label('sentence_objective')}={self.sentence_objective}: it says where sentence-order "
                             "pairs are cut, and this run makes none.")

    @classmethod
    def with_changes(cls, base: "PretrainConfig", changes: dict[str, Any], label: Label = same_name
                     ) -> "PretrainConfig":
        """``base`` with ``changes`` applied, every value checked first (errors name ``label(field)``)."""
        for name, value in changes.items():
            check_setting(cls, name, value, label(name))
        values = {f.name: changes.get(f.name, getattr(base, f.name)) for f in dataclasses.fields(cls)}
        cls.check_together(types.SimpleNamespace(**values), label)  # before __post_init__ names the fields
        return cls(**values)

    @property
    def warmup(self) -> int:
        """The warm-up steps actually used."""
        if self.warmup_steps is None:
            return max(1, self.steps // 10)
        return min(self.warmup_steps, self.steps)

    def model_config(self, vocab_size: int) -> BertConfig:
        return BertConfig(vocab_size=vocab_size, hidden_size=self.hidden_size,
                          num_hidden_layers=self.num_hidden_layers, num_attention_heads=self.num_attention_heads,
                          intermediate_size=self.intermediate_size, hidden_dropout_prob=self.dropout,
                          attention_probs_dropout_prob=self.dropout,
                          max_position_embeddings=self.max_position_embeddings)


PRESETS: dict[str, PretrainConfig] = {
    # For tests: a few seconds.
    "tiny": PretrainConfig(name="tiny", hidden_size=32, num_hidden_layers=1, intermediate_size=64,
                           vocab_size=600, num_documents=300, steps=30, batch_size=16, max_length=48,
                           learning_rate=2e-3, warmup_steps=5, eval_every=10, eval_size=64),
    # Trained live in notebook 04: about 90-110 s on 2 cores. Held-out MLM / NSP on 512 pairs (binomial
    # std of NSP about 0.02), seed 0; pair length trades the two objectives:
    #   48 tokens, 2,000 steps, lr 2e-3: 0.654 / 0.670 (2 threads)  NSP plateaus at 0.66-0.69 from step ~750;
    #   48 tokens, 3,000 steps, lr 2e-3: 0.706 / 0.676 (2 threads)  4 heads, 3 layers, lr 1.5e-3 or 3e-3,
    #                                                                batch 24 did not lift it
    #   64 tokens, 2,200 steps, lr 2e-3: 0.581 / 0.750 (2 threads)
    #   56 tokens, 1,800 steps, lr 2e-3: 0.630 / 0.725 (2 threads); 0.617 / 0.736 (1 thread)
    # then, at 56 tokens with 1 thread, to fit the notebook's 120 s: lr 1.5e-3 learns MLM faster than 2e-3
    # (1,600 steps: 0.631 / 0.732 against 0.609 / 0.738), 2.5e-3 and 1e-3 slower (0.432, 0.567); with
    # lr 1.5e-3, 1,400 / 1,500 steps give MLM 0.575 / 0.606, and batch 24 (1,800 steps) 0.595. Seeds 1 and
    # 2 at 1,600 steps: 0.622 / 0.758 and 0.598 / 0.729; at 1,700 steps: 0.631 / 0.740 and 0.613 / 0.713.
    "live": PretrainConfig(name="live", vocab_size=3000, num_documents=6000, steps=1700, batch_size=32,
                           max_length=56, learning_rate=1.5e-3, warmup_steps=100, eval_every=250, eval_size=512),
    # Makes the course checkpoints: about 11 min on 2 cores, MLM >= 70%, NSP >= 85%. Some pairs are
    # cut short (short_seq_prob, as in BERT) so the model also sees inputs as short as fine-tuning's.
    "course": PretrainConfig(name="course", num_hidden_layers=4, num_attention_heads=4, vocab_size=3000,
                             num_documents=20000, steps=7000, batch_size=32, max_length=64, short_seq_prob=0.1,
                             learning_rate=2e-3, warmup_steps=300, eval_every=250, eval_size=512),
}


def preset(name_or_config: str | PretrainConfig) -> PretrainConfig:
    """A preset by name (see ``PRESETS``), or the config itself."""
    if isinstance(name_or_config, PretrainConfig):
        return name_or_config
    check_choice("preset", name_or_config, list(PRESETS))
    return PRESETS[name_or_config]


# ----------------------------------------------------------------------------------------------
# Fine-tuning


@dataclass(frozen=True)
class FinetuneConfig:
    """Every setting of a fine-tuning run; :func:`helpers.training.finetuning.finetune` takes them as
    keyword arguments (``finetune(model, task, tokenizer=tok, steps=200)``) or as ``config=``.

    The budget is ``steps`` optimizer steps, or ``epochs`` passes over the training examples
    (default: ``max(100, 4 epochs)``). ``learning_rate`` defaults to 5e-4 end to end and 3e-3 for a
    frozen encoder (a lone linear layer on fixed features needs larger steps). ``dropout`` sets every
    dropout layer for the run (BERT fine-tunes with 0.1; the course pre-trains without, so the
    checkpoint's own setting is 0; ``None`` keeps the model's). ``eval_every`` defaults to five
    points per run.
    """

    freeze_encoder: bool = setting(False, "train only the head; the encoder keeps its pre-trained weights")
    steps: int | None = setting(None, "optimizer steps", minimum=1, maximum=MAX_STEPS)
    epochs: int | None = setting(None, "passes over the training examples (instead of steps)", minimum=1,
                                 maximum=100_000)
    learning_rate: float | None = setting(None, "AdamW's peak learning rate", check=check_learning_rate)
    batch_size: int = setting(16, "examples per step", minimum=1, maximum=MAX_BATCH_SIZE)
    warmup_fraction: float = setting(0.1, "share of the steps spent warming up", minimum=0, maximum=1)
    weight_decay: float = setting(0.01, "AdamW's weight decay", minimum=0, maximum=1)
    dropout: float | None = setting(0.1, "dropout of every dropout layer during the run", minimum=0, maximum=1,
                                    open_maximum=True)
    max_length: int = setting(64, "tokens per example, [CLS] and [SEP]s included", minimum=4, maximum=512)
    eval_every: int | None = setting(None, "steps between validation scores", minimum=1, maximum=MAX_STEPS)
    eval_size: int = setting(200, "validation examples scored (when eval_examples is not given)", minimum=0,
                             maximum=100_000)
    seed: int = setting(0, "seed of the head, the batch order and dropout", check=check_seed)
    device: str | None = setting(None, "cpu, cuda, cuda:N (default: where the model is)", check=check_device)
    precision: str = setting("fp32", "fp32, or bf16 autocast", choices=PRECISIONS)
    progress: bool = setting(True, "show a progress bar")

    def __post_init__(self) -> None:
        check_all(self, same_name)

    def check_together(self, label: Label = same_name) -> None:
        if self.steps is not None and self.epochs is not None:
            raise ValueError(f"{label('steps')}={self.steps} with {label('epochs')}={self.epochs} is not allowed: "
                             "give one budget, steps or epochs.")

    @classmethod
    def from_settings(cls, config: "FinetuneConfig | None", settings: dict[str, Any]) -> "FinetuneConfig":
        """``config`` (default: the defaults) with the keyword ``settings`` applied; unknown names refused."""
        if config is not None and not isinstance(config, cls):
            raise ValueError(f"config={config!r:.80} is not allowed: it must be a FinetuneConfig.")
        names = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(settings) - set(names))
        if unknown:
            raise ValueError(f"{unknown[0]}={settings[unknown[0]]!r:.60} is not allowed: it is not a fine-tuning "
                             f"setting (the settings are {', '.join(names)}).")
        return dataclasses.replace(config or cls(), **settings)

    def budget(self, num_examples: int) -> int:
        """Optimizer steps of the run for ``num_examples`` training examples."""
        batches_per_epoch = -(-num_examples // self.batch_size)
        if self.steps is not None:
            return self.steps
        return batches_per_epoch * self.epochs if self.epochs is not None else max(100, 4 * batches_per_epoch)

    def learning_rate_used(self) -> float:
        if self.learning_rate is not None:
            return self.learning_rate
        return 3e-3 if self.freeze_encoder else 5e-4
