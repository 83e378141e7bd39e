"""Rewrite the metadata of a checkpoint made before the restructure into today's format; keep the weights.

Checkpoints written before ``PretrainConfig`` existed record their settings as a loose dict (the model
shape under ``"model"``, ``"nsp": True/False``). This script maps them onto ``PretrainConfig``'s fields,
adds ``sentence_objective`` and ``corpus_version``, and writes the file again with the SAME weights
(they are read back and compared bit for bit before the file is replaced). ``corpus_version`` is only
recorded when the checkpoint's ``corpus_sha256`` equals the hash of today's storybook for its settings,
so a checkpoint of an older corpus is refused rather than relabelled.

    python scripts/upgrade_checkpoint_metadata.py checkpoints/course.pt [more.pt ...]

The original metadata is kept under ``"metadata_before_upgrade"`` (without its history).
"""
from __future__ import annotations

import dataclasses
import sys

import torch

from helpers.modeling.checkpoints import load_checkpoint, save_checkpoint
from helpers.text.corpus import CORPUS_VERSION, make_storybook
from helpers.training.pretraining import PRESETS, PretrainConfig, corpus_hash

FIELDS = {f.name for f in dataclasses.fields(PretrainConfig)}


def upgraded_settings(old: dict) -> dict:
    """Old loose settings -> the fields of PretrainConfig."""
    model = old.get("model", {})
    settings = {k: v for k, v in old.items() if k in FIELDS}
    settings.update(hidden_size=model["hidden_size"], num_hidden_layers=model["num_hidden_layers"],
                    num_attention_heads=model["num_attention_heads"], intermediate_size=model["intermediate_size"],
                    max_position_embeddings=model["max_position_embeddings"],
                    dropout=model.get("hidden_dropout_prob", 0.0),
                    sentence_objective="nsp" if old.get("nsp", True) else "none",
                    name=old.get("preset") or "custom",
                    # the old format overwrote the vocabulary size asked for with the one obtained
                    vocab_size=PRESETS[old["preset"]].vocab_size if old.get("preset") in PRESETS else old["vocab_size"])
    PretrainConfig(**settings)  # refuses anything that does not fit
    return settings


def upgrade(path: str) -> None:
    checkpoint = load_checkpoint(path)
    meta = dict(checkpoint.metadata)
    if "sentence_objective" in meta and "corpus_version" in meta:
        print(f"{path}: already in today's format")
        return
    old_settings = meta["settings"]
    settings = upgraded_settings(old_settings)
    documents = make_storybook(settings["num_documents"], seed=settings["seed"])
    if corpus_hash(documents) != meta.get("corpus_sha256"):
        raise SystemExit(f"{path}: its corpus_sha256 is not today's storybook: retrain it instead.")
    before = {k: v for k, v in meta.items() if k != "history"}
    meta.update(settings=settings, sentence_objective=settings["sentence_objective"], corpus_version=CORPUS_VERSION,
                world_size=old_settings.get("world_size", 1), epochs=round(old_settings.get("epochs", 0.0), 3),
                interrupted=False, metadata_before_upgrade=before)
    if settings["sentence_objective"] == "none":  # the old evaluation scored the untrained NSP head too
        for table in ("metrics", "metrics_float16"):
            metrics = dict(meta[table])
            metrics.pop("nsp_accuracy", None)
            metrics["loss"] -= metrics.pop("nsp_loss", 0.0)
            meta[table] = metrics
    weights = {k: v.clone() for k, v in checkpoint.model.state_dict().items()}
    save_checkpoint(path, checkpoint.model, checkpoint.tokenizer, meta, dtype=torch.float16)
    again = load_checkpoint(path)
    assert all(torch.equal(weights[k], v) for k, v in again.model.state_dict().items()), "weights changed"
    print(f"{path}: metadata upgraded ({settings['sentence_objective']}, {CORPUS_VERSION}), weights unchanged")


if __name__ == "__main__":
    for argument in sys.argv[1:]:
        upgrade(argument)
