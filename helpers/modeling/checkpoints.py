"""Checkpoints: save and load a pre-trained model with its vocabulary, and find the course's own.

A checkpoint is one ``torch.save`` of plain types (config, vocabulary, weights, metadata), read back
with ``torch.load(weights_only=True)``, which cannot run code from the file. The course ships a
family of them in ``<repository>/checkpoints/`` (see its README): :func:`course_checkpoint_path`
finds them whatever the working directory is.
"""
from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from helpers.errors import check_device, show
from helpers.files import atomic_write
from helpers.modeling.bert import BertConfig, BertForPreTraining
from helpers.paths import CHECKPOINTS_DIR
from helpers.text.tokenizer import WordPieceTokenizer

CHECKPOINT_ENV = "BERT_COURSE_CHECKPOINT"


def course_checkpoint_path(name: str = "course") -> Path:
    """Where a shipped checkpoint lives: ``<repository>/checkpoints/<name>.pt``.

    For the default ``name="course"``, the environment variable ``BERT_COURSE_CHECKPOINT`` may name
    another file (to try the notebooks with a checkpoint of your own).
    """
    if name == "course":
        override = os.environ.get(CHECKPOINT_ENV, "").strip()
        if override:
            return Path(override).expanduser()
    return CHECKPOINTS_DIR / f"{name}.pt"


def parameter_hash(model: torch.nn.Module) -> str:
    """A SHA-256 of every parameter's bytes, in name order: equal hashes mean equal weights."""
    h = hashlib.sha256()
    for name, p in sorted(model.state_dict().items()):
        h.update(name.encode())
        h.update(p.detach().to("cpu", torch.float32).contiguous().numpy().tobytes())
    return h.hexdigest()



CHECKPOINT_FORMAT = "bert-part-two/pretraining-checkpoint"
CHECKPOINT_VERSION = 1


def _dedupe_tied(state_dict: dict[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Drop tensors that share storage with an earlier one (the MLM decoder is tied to the word
    embeddings); return the rest and {dropped name: name it equals}."""
    kept, tied, owners = {}, {}, {}
    for name, tensor in state_dict.items():
        key = (tensor.data_ptr(), tuple(tensor.shape), tensor.dtype) if tensor.numel() else None
        if key is not None and key in owners:
            tied[name] = owners[key]
        else:
            if key is not None:
                owners[key] = name
            kept[name] = tensor
    return kept, tied


def _plain(value: Any, where: str) -> Any:
    """``value`` made of plain types only (what ``torch.load(weights_only=True)`` accepts)."""
    if value is None or isinstance(value, bool):
        return value
    for kind in (int, float, str):  # subclasses too (torch.__version__ is a str subclass)
        if isinstance(value, kind):
            return kind(value)
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    if hasattr(value, "item") and getattr(value, "ndim", None) == 0:  # numpy scalar
        return value.item()
    if isinstance(value, dict):
        return {str(k): _plain(v, f"{where}[{k!r}]") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, f"{where}[{i}]") for i, v in enumerate(value)]
    raise ValueError(f"{where}={value!r:.80} is not allowed in a checkpoint: use numbers, strings, lists, dicts "
                     "or tensors.")


def save_checkpoint(path: str | os.PathLike, model, tokenizer, metadata: dict | None = None, *,
                    dtype: torch.dtype = torch.float16) -> Path:
    """Save weights, config, vocabulary and ``metadata`` to ``path`` (atomically: :func:`helpers.files.atomic_write`).

    Only plain types go in (tensors, dicts, lists, strings, numbers), so :func:`load_checkpoint`
    can use ``torch.load(weights_only=True)``, which cannot run code from the file. Floating-point
    weights are stored as ``dtype`` (float16 by default: half the size; the course checkpoint's
    accuracy was checked to be unchanged). Tied weights are stored once, and a SHA-256 of the stored
    weights (:func:`weights_checksum`) goes with them, which :func:`load_checkpoint` verifies.
    """
    path = Path(path)
    state, tied = _dedupe_tied(model.state_dict())
    bad = _first_non_finite(state)
    if bad:  # a diverged run: such a file would load, then predict nonsense
        raise ValueError(f"model has a non-finite weight ({bad}): training diverged; nothing was saved to "
                         f"{str(path)!r}.")
    state = {k: (v.detach().to("cpu", dtype) if v.is_floating_point() else v.detach().cpu()).clone()
             for k, v in state.items()}
    bad = _first_non_finite(state)
    if bad:
        raise ValueError(f"dtype={dtype} is not allowed for this model: a weight is too large for it ({bad} "
                         f"after conversion); save with dtype=torch.float32. Nothing was saved to {str(path)!r}.")
    payload = {
        "format": CHECKPOINT_FORMAT,
        "format_version": CHECKPOINT_VERSION,
        "torch_version": str(torch.__version__),
        "config": model.config.to_dict(),
        "vocab": list(tokenizer_vocab_list(tokenizer)),
        "state_dict": state,
        "tied": tied,
        "weights_sha256": weights_checksum(state, tied),
        "metadata": _plain(dict(metadata or {}), "metadata"),
    }
    # Serialised in memory first: a disk that fills up then fails in our write (one clear OSError),
    # not inside torch's zip writer, and the file already at ``path`` stays as it was.
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    atomic_write(path, buffer.getbuffer())
    return path


def _first_non_finite(state: dict[str, torch.Tensor]) -> str | None:
    """``"name[index] = value"`` of the first NaN or infinite weight in ``state``, or None."""
    for name, tensor in state.items():
        if not (isinstance(tensor, torch.Tensor) and tensor.is_floating_point()):
            continue
        finite = torch.isfinite(tensor)
        if not bool(finite.all()):
            where = tuple(int(i) for i in (~finite).nonzero()[0])
            return f"{name}{list(where)} = {float(tensor[where])}"
    return None


def tokenizer_vocab_list(tokenizer) -> list[str]:
    """The tokenizer's vocabulary as a list, index = token id."""
    vocab = tokenizer.vocab
    if isinstance(vocab, dict):
        tokens = [None] * len(vocab)
        for token, index in vocab.items():
            tokens[index] = token
        return tokens
    return list(vocab)


@dataclass
class Checkpoint:
    """A loaded checkpoint: the model (in eval mode), its tokenizer, config dict and metadata.

    ``verified`` is True when the file carried a checksum of its weights and they matched it; a
    checkpoint saved before checksums existed (or imported from a Hugging Face folder) loads with
    ``verified=False``: it is checked for shape and finiteness, not for flipped bits.
    """

    model: torch.nn.Module
    tokenizer: Any
    config: dict
    metadata: dict
    verified: bool = False


def weights_checksum(state: dict[str, torch.Tensor], tied: dict[str, str]) -> str:
    """A SHA-256 of the stored weights: every tensor's name, dtype, shape and bytes (name order), and
    the tied names. Saved with the checkpoint; :func:`load_checkpoint` recomputes and compares it."""
    h = hashlib.sha256()
    for name in sorted(state):
        tensor = state[name].detach().cpu().contiguous()
        h.update(f"{name}|{tensor.dtype}|{tuple(tensor.shape)}|".encode())
        h.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes() if tensor.numel() else b"")
    for name, source in sorted(tied.items()):
        h.update(f"tied {name}={source}|".encode())
    return h.hexdigest()


def _check_path(path: Any) -> Path:
    if not isinstance(path, (str, os.PathLike)) or not str(path).strip():
        raise ValueError(f"path={show(path)} is not allowed: it must be the path of a checkpoint file (a str or "
                         "Path), such as course_checkpoint_path().")
    return Path(path).expanduser()


def _read_payload(path: Path) -> dict:
    """The checkpoint's contents, checked to be this course's format; else a clear error."""
    if not path.exists():
        raise FileNotFoundError(f"path={str(path)!r}: no such checkpoint file.")
    if path.is_dir():
        raise ValueError(f"path={str(path)!r} is a directory, not a checkpoint file.")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # truncated zip, pickle garbage, text file, ...
        raise ValueError(f"path={str(path)!r} is not a readable checkpoint (truncated, corrupted or not "
                         f"written by save_checkpoint): {type(error).__name__}: {str(error)[:200]}") from None
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"path={str(path)!r} is not a pre-training checkpoint of this course "
                         f"(expected format {CHECKPOINT_FORMAT!r}).")
    if payload.get("format_version") != CHECKPOINT_VERSION:
        raise ValueError(f"path={str(path)!r} has format_version={payload.get('format_version')!r}; "
                         f"this code reads version {CHECKPOINT_VERSION}.")
    missing = [k for k in ("config", "vocab", "state_dict", "tied", "metadata") if k not in payload]
    if missing:
        raise ValueError(f"path={str(path)!r} is an incomplete checkpoint: missing {missing}.")
    return payload


def read_checkpoint_metadata(path: str | os.PathLike) -> dict:
    """Only the metadata of a checkpoint (steps, settings, held-out ``metrics``...), without building a model.

    Raises like :func:`load_checkpoint` for a missing, foreign or damaged file.
    """
    metadata = _read_payload(_check_path(path))["metadata"]
    return metadata if isinstance(metadata, dict) else {}


def _check_weights(payload: dict, path: Path) -> bool:
    """The stored weights match their checksum (True), or there is none to check (False); else raise."""
    recorded = payload.get("weights_sha256")
    if recorded is not None and weights_checksum(payload["state_dict"], payload["tied"]) != recorded:
        raise ValueError(f"path={str(path)!r} is damaged: its weights do not match the SHA-256 recorded when it was "
                         "saved (bits changed on the disk or in a copy), so it was not loaded. Use another copy "
                         "or train it again.")
    bad = _first_non_finite(payload["state_dict"])
    if bad:
        raise ValueError(f"path={str(path)!r} is not allowed: it holds non-finite weights (first: {bad}), so "
                         "every prediction would be NaN. The run that wrote it diverged; train it again.")
    return recorded is not None


def _tokenizer_for(vocab: list[str], tokenizer) -> WordPieceTokenizer:
    """The checkpoint's tokenizer, or ``tokenizer`` if it has the same vocabulary; else raise."""
    if tokenizer is None:
        return WordPieceTokenizer(vocab)
    theirs = tokenizer_vocab_list(tokenizer)
    if theirs != vocab:
        diff = next((i for i, (a, b) in enumerate(zip(theirs, vocab)) if a != b), min(len(theirs), len(vocab)))
        raise ValueError(
            f"tokenizer does not match the checkpoint's vocabulary: the tokenizer has {len(theirs)} tokens, "
            f"the checkpoint {len(vocab)}; first difference at id {diff}. Use the tokenizer that "
            "load_checkpoint returns.")
    return tokenizer


def _model_for(config_dict: dict, model) -> torch.nn.Module:
    """A new model of the checkpoint's shape, or ``model`` if it has that shape; else raise."""
    if model is None:
        return BertForPreTraining(BertConfig.from_dict(config_dict))
    ours = model.config.to_dict()
    differ = sorted(k for k in set(ours) | set(config_dict) if ours.get(k) != config_dict.get(k))
    if differ:
        details = ", ".join(f"{k}: model {ours.get(k)!r} vs checkpoint {config_dict.get(k)!r}" for k in differ)
        raise ValueError(f"model does not match the checkpoint's config ({details}).")
    return model


def load_checkpoint(path: str | os.PathLike, *, model=None, tokenizer=None,
                    device: str | torch.device = "cpu") -> Checkpoint:
    """Load a checkpoint written by :func:`save_checkpoint`.

    Pass ``model`` to load the weights into an existing model, or ``tokenizer`` to check that the
    checkpoint uses the same vocabulary; a mismatch is a ``ValueError`` that says what differs
    (rather than a tensor-shape traceback). A missing file is a ``FileNotFoundError``; a truncated,
    foreign or damaged file (weights that no longer match their checksum) is a ``ValueError``. A
    checkpoint saved before checksums existed loads unverified (``Checkpoint.verified`` is False).
    """
    path = _check_path(path)
    device = check_device("device", device)
    payload = _read_payload(path)
    config_dict, vocab = payload["config"], payload["vocab"]
    if len(vocab) != config_dict.get("vocab_size"):
        raise ValueError(f"path={str(path)!r} is inconsistent: {len(vocab)} vocabulary entries but "
                         f"config vocab_size={config_dict.get('vocab_size')}.")
    verified = _check_weights(payload, path)
    tokenizer = _tokenizer_for(vocab, tokenizer)
    model = _model_for(config_dict, model)
    state = dict(payload["state_dict"])
    for name, source in payload["tied"].items():
        state[name] = state[source]
    expected = model.state_dict()
    unknown = sorted(set(state) - set(expected))
    absent = sorted(set(expected) - set(state))
    if unknown or absent:
        raise ValueError(f"path={str(path)!r} does not fit the model: unexpected weights {unknown[:5]}, "
                         f"missing weights {absent[:5]}.")
    for name, tensor in state.items():
        if tuple(tensor.shape) != tuple(expected[name].shape):
            raise ValueError(f"path={str(path)!r}: weight {name!r} has shape {tuple(tensor.shape)}, the model "
                             f"expects {tuple(expected[name].shape)}.")
        state[name] = tensor.to(expected[name].dtype)
    model.load_state_dict(state)
    model.to(device).eval()
    return Checkpoint(model=model, tokenizer=tokenizer, config=config_dict, metadata=payload["metadata"],
                      verified=verified)
