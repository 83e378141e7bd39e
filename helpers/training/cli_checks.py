"""Everything a pre-training run from the command line needs, checked before training starts.

:func:`plan_run` reads the arguments of :mod:`helpers.training.cli` into a :class:`Plan`: the settings
(the preset's, or with ``--resume`` the checkpoint's, with the flags given applied), the corpus and
its held-out part, and what already sits at ``--out``. Every check here fails with a
:class:`UsageError`: one line naming the flag, its value and what is allowed (exit status 2), so a
mistake never costs a training run.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helpers.errors import check_device, check_number
from helpers.files import write_target
from helpers.modeling.checkpoints import Checkpoint, load_checkpoint, read_checkpoint_metadata
from helpers.text import corpus as corpora
from helpers.training.configs import PRESETS, PretrainConfig, rule_of
from helpers.training.pretraining import HELD_OUT_SEED_OFFSET, corpus_hash

PROG = "python -m helpers.pretrain"
SETTINGS = [f for f in dataclasses.fields(PretrainConfig) if rule_of(f).flag]
RESUMABLE = ("steps", "time_budget", "precision", "eval_every")  # what --resume may change


class UsageError(ValueError):
    """A bad argument or environment, found before training: one line, exit status 2."""


def flag_name(field_name: str) -> str:
    """``learning_rate`` -> ``--learning-rate``: how errors name a setting on the command line."""
    return "--" + field_name.replace("_", "-")


def note(message: str) -> None:
    """A line on stderr saying what the command decided (once, from rank 0)."""
    if os.environ.get("RANK", "0").strip() in ("", "0"):
        print(f"{PROG}: {message}", file=sys.stderr)


# ---------------------------------------------------------------- corpus


def load_corpus(corpus: str, num_documents: int, seed: int) -> tuple[list[list[str]], list[list[str]] | None]:
    """The training documents and the held-out documents to measure on.

    ``storybook`` (the course's generated corpus; held-out text is other storybook documents),
    ``python-docs`` (Python's reference text) or a path to a text file in Google's pre-training
    format (one sentence per line, blank line between documents). For the last two, every tenth
    document is held out, so the reported accuracy is measured on the kind of text you trained on.
    """
    if corpus == "storybook":
        return (corpora.make_storybook(num_documents=num_documents, seed=seed),
                corpora.make_storybook(num_documents=512, seed=seed + HELD_OUT_SEED_OFFSET))
    if corpus == "python-docs":
        documents = corpora.python_reference_corpus()
    elif Path(corpus).exists():
        documents = corpora.read_pretraining_text(corpus)
    else:
        raise ValueError(f"--corpus={corpus!r} is not allowed: use storybook, python-docs or a path to a text file.")
    return split_held_out(documents)


def split_held_out(documents: list[list[str]], every: int = 10) -> tuple[list[list[str]], list[list[str]]]:
    """Every ``every``-th document held out (at least two, so pairs can be cut from them)."""
    if len(documents) < 4:
        raise ValueError(f"the corpus has {len(documents)} documents, which is not allowed: at least 4 are "
                         "needed (two to train on, two held out to measure on).")
    held = set(range(every - 1, len(documents), every)) or {len(documents) - 1}
    if len(held) < 2:
        held = {len(documents) - 1, len(documents) - 2}
    return ([d for i, d in enumerate(documents) if i not in held], [d for i, d in enumerate(documents) if i in held])


# ---------------------------------------------------------------- settings


def given_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The settings given on the command line (``--no-nsp`` read as ``--sentence-objective none``)."""
    given = {f.name: getattr(args, f.name) for f in SETTINGS if hasattr(args, f.name)}
    if args.no_nsp:
        objective = given.get("sentence_objective", "none")
        if objective != "none":
            raise UsageError(f"--no-nsp with --sentence-objective={objective} is not allowed: they contradict each "
                             "other (--no-nsp means --sentence-objective none); give one of them.")
        given["sentence_objective"] = "none"
    return given


def settings_of(checkpoint: Checkpoint, path: str) -> PretrainConfig:
    """The PretrainConfig a checkpoint was trained with."""
    settings = checkpoint.metadata.get("settings", {})
    names = {f.name for f in dataclasses.fields(PretrainConfig)}
    if not isinstance(settings, dict) or not names.issuperset(settings) or "steps" not in settings:
        raise UsageError(f"--resume={path!r} is not allowed: the checkpoint does not record its settings in this "
                         "course's format (re-save it with this version, or start a new run).")
    return PretrainConfig(**settings)


def resumed_config(args: argparse.Namespace, given: dict[str, Any], resumed: Checkpoint) -> PretrainConfig:
    """The checkpoint's settings; only ``RESUMABLE`` ones may be given anew, anything else must agree."""
    saved = settings_of(resumed, args.resume)
    preset = getattr(args, "preset", None)
    if preset is not None and preset != saved.name:
        raise UsageError(f"--preset={preset} is not allowed with --resume: a resumed run keeps the settings of its "
                         f"checkpoint (preset {saved.name!r}); leave --preset out, or start a new run.")
    for name, value in given.items():
        if name not in RESUMABLE and value != getattr(saved, name):
            raise UsageError(f"{flag_name(name)}={value} is not allowed with --resume: the checkpoint was trained "
                             f"with {name}={getattr(saved, name)!r}, and a resumed run keeps its settings (only "
                             f"{', '.join(map(flag_name, RESUMABLE))} may change). Start a new run to change it.")
    changes = {"time_budget": None, **{name: given[name] for name in RESUMABLE if name in given}}
    config = PretrainConfig.with_changes(saved, changes, label=flag_name)
    trained = resumed.metadata.get("steps", 0)
    if config.steps <= trained:
        if "steps" not in given:
            raise UsageError(f"--resume={args.resume!r} needs --steps: the checkpoint has trained {trained} steps, "
                             "its own total; give a larger total with --steps.")
        raise UsageError(f"--steps={config.steps} is not allowed with --resume: the checkpoint has trained "
                         f"{trained} steps already; give a larger total.")
    return config


def corpus_to_use(args: argparse.Namespace, resumed: Checkpoint | None) -> str:
    """``--corpus``; when resuming without it, the corpus the checkpoint was trained on."""
    named = getattr(args, "corpus", None)
    if resumed is None:
        return named or "storybook"
    recorded = resumed.metadata.get("corpus") or "storybook"
    if named is None:
        if recorded not in ("storybook", "python-docs") and not Path(recorded).exists():
            raise UsageError(f"--resume={args.resume!r}: the checkpoint was trained on --corpus={recorded!r}, which "
                             "is not there now; name the corpus to continue on with --corpus.")
        return recorded
    if named != recorded:
        note(f"--corpus={named!r} is not the corpus the checkpoint was trained on ({recorded!r}): its vocabulary "
             "meets other text, as you asked.")
    return named


def check_resumed_corpus(args, resumed: Checkpoint, corpus: str, documents: list[list[str]]) -> None:
    """The recorded corpus, resumed without ``--corpus``, must still be the same text."""
    recorded = resumed.metadata.get("corpus_sha256")
    if getattr(args, "corpus", None) is None and recorded and corpus_hash(documents) != recorded:
        raise UsageError(f"--resume={args.resume!r}: the corpus {corpus!r} is not the text the checkpoint was "
                         "trained on (its SHA-256 differs: the file, or the storybook's version, changed); name it "
                         "with --corpus to continue on it anyway.")


# ---------------------------------------------------------------- checks before training


def check_distributed_environment(env=os.environ) -> int:
    """The world size torchrun asked for (1 when not under torchrun); a stray ``WORLD_SIZE`` is an error.

    ``init_process_group`` needs RANK, MASTER_ADDR and MASTER_PORT as well; without them it fails
    with a raw error or waits forever for ranks that will never come.
    """
    raw = env.get("WORLD_SIZE")
    if raw is None or raw.strip() in ("", "1"):
        return 1
    try:
        world_size = int(raw)
    except ValueError:
        world_size = 0
    if world_size < 1:
        raise UsageError(f"WORLD_SIZE={raw!r} is not allowed: it must be a whole number >= 1 (torchrun sets it; "
                         "unset it to train in one process).")
    missing = [k for k in ("RANK", "MASTER_ADDR", "MASTER_PORT") if not env.get(k, "").strip()]
    if missing:
        raise UsageError(f"WORLD_SIZE={raw} is set but {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} "
                         f"not: start the ranks with torchrun (torchrun --nproc_per_node={world_size} -m "
                         "helpers.pretrain ...), or unset WORLD_SIZE to train in one process.")
    rank = env["RANK"].strip()
    if not (rank.isdigit() and int(rank) < world_size):
        raise UsageError(f"RANK={rank!r} is not allowed: with WORLD_SIZE={world_size} it must be 0 to {world_size - 1}.")
    return world_size


def _writable(path: Path) -> bool:
    # root may write anywhere; a path with no write bit at all is still treated as read-only
    return os.access(path, os.W_OK) and bool(stat.S_IMODE(path.stat().st_mode) & 0o222)


def check_out(out: str, corpus: str, force: bool) -> dict | None:
    """``--out`` can take a checkpoint, checked before training; the metadata of a checkpoint already there.

    A symlink is written through to the file it points to, so that file is what is checked.
    Refused: a folder, a path under a file, a folder without write permission, a read-only file,
    the corpus itself, and (unless ``force``) an existing file that is not a checkpoint or a
    checkpoint with no held-out accuracy to compare with (one imported with ``--from-hf``).
    """
    path = write_target(Path(out).expanduser())
    if path.is_dir():
        raise UsageError(f"--out={out!r} is not allowed: it is a folder; name the checkpoint file "
                         f"(for example {str(path / 'model.pt')!r}).")
    ancestor = next(p for p in path.absolute().parents if p.exists())
    if not ancestor.is_dir():
        raise UsageError(f"--out={out!r} is not allowed: {str(ancestor)!r} is a file, so nothing can be written "
                         "under it.")
    if not _writable(ancestor):
        raise UsageError(f"--out={out!r} is not allowed: the folder {str(ancestor)!r} is not writable.")
    corpus_path = Path(corpus).expanduser()
    if corpus_path.exists() and path.exists() and os.path.samefile(path, corpus_path) \
            or path.resolve() == corpus_path.resolve():
        raise UsageError(f"--out={out!r} is not allowed: it is the corpus (--corpus={corpus!r}), which the "
                         "checkpoint would overwrite. Choose another --out.")
    if not path.exists():
        return None
    if not _writable(path):
        raise UsageError(f"--out={out!r} is not allowed: the file there is read-only, so it was left untouched.")
    try:
        existing = read_checkpoint_metadata(path)
    except ValueError:
        if force:
            return None
        raise UsageError(f"--out={out!r} is not allowed: that file exists and is not a checkpoint of this course, "
                         "so it was left untouched. Choose another --out (or pass --force to replace it).") from None
    if not force and not isinstance(existing.get("metrics"), dict):
        raise UsageError(f"--out={out!r} is not allowed: it holds a checkpoint with no recorded held-out accuracy "
                         f"({_origin(existing)}), so a new run cannot be shown to be better. Choose another --out "
                         "(or pass --force to replace it).")
    return existing


def _origin(metadata: dict) -> str:
    if metadata.get("imported_from"):
        return f"imported with --from-hf from {metadata['imported_from']!r}"
    return f"from {metadata.get('command', 'an earlier run')!r}"


def check_batch_size(batch_size: int, documents: list[list[str]], corpus: str) -> None:
    """At most the pairs one pass over the corpus can yield: each pair takes two or more sentences of a document."""
    capacity = sum(len(document) // 2 for document in documents)
    if batch_size > capacity:
        raise UsageError(f"--batch-size={batch_size} is not allowed: the corpus {corpus!r} yields at most "
                         f"{capacity} sentence pairs per pass (each pair takes at least two sentences of a "
                         f"document), and a step cannot use more. Use --batch-size {max(1, capacity)} or less, "
                         "or a larger corpus.")


@dataclass
class Plan:
    """Everything a run needs, checked before training starts."""

    config: PretrainConfig
    world_size: int
    existing: dict | None          # metadata of the checkpoint already at --out
    resumed: Checkpoint | None
    corpus: str
    documents: list[list[str]]
    held_out: list[list[str]] | None

    @property
    def start_step(self) -> int:
        return self.resumed.metadata["steps"] if self.resumed else 0


def plan_run(args: argparse.Namespace) -> Plan:
    """Check every argument, the environment and ``--out``, load the corpus: all before training."""
    given = given_settings(args)
    if args.device is not None:
        check_device("--device", args.device)
    check_number("--join-timeout", args.join_timeout, minimum=0, open_minimum=True)
    world_size = check_distributed_environment()
    resumed = load_checkpoint(args.resume) if args.resume else None
    if resumed is not None:
        config = resumed_config(args, given, resumed)
    else:
        config = PretrainConfig.with_changes(PRESETS[getattr(args, "preset", "course")], given, label=flag_name)
    corpus = corpus_to_use(args, resumed)
    existing = check_out(args.out, corpus, args.force)
    documents, held_out = load_corpus(corpus, config.num_documents, config.seed)
    if resumed is not None:
        check_resumed_corpus(args, resumed, corpus, documents)
    check_batch_size(config.batch_size, documents, corpus)
    if resumed is not None:  # said once every check has passed
        note(f"resuming {args.resume} at step {resumed.metadata.get('steps', 0)} with its own settings (preset "
             f"{config.name!r}) on --corpus={corpus!r}; training to step {config.steps}.")
    return Plan(config, world_size, existing, resumed, corpus, documents, held_out)
