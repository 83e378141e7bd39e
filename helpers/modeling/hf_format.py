"""The Hugging Face folder format: write our model so ``transformers`` loads it, and read one back.

A model folder as ``transformers`` writes it with ``save_pretrained`` holds:

* ``config.json``: the shape of the model (our :class:`BertConfig` fields have the same names), plus
  ``model_type: "bert"`` and, in ``architectures``, the class the weights belong to;
* ``model.safetensors`` (older folders: ``pytorch_model.bin``): the weights, under the names our
  modules already use (``bert.encoder.layer.0.attention.self.query.weight`` ...);
* ``vocab.txt``, ``tokenizer_config.json`` and ``special_tokens_map.json``: the WordPiece
  vocabulary and how to use it (lower-case or not, which strings are the special tokens).

The weights file is read and written by :mod:`helpers.modeling.safetensors_file`, so a learner needs
neither the ``safetensors`` package nor ``transformers``.

**Vocabulary order.** The course puts its five special tokens first (``[PAD] [UNK] [CLS] [SEP]
[MASK]`` = ids 0-4, see ``helpers.constants``). Google's vocabularies do not: ``[PAD]`` is 0 but
``[UNK] [CLS] [SEP] [MASK]`` are 100-103, after 99 ``[unusedN]`` slots. :func:`load_hf_pretrained`
therefore moves those five entries to the front and moves the rows of the word embeddings and the
MLM output bias with them: the same model with renumbered ids, so every course function (which
relies on the fixed ids) works on it, and it predicts exactly the same tokens.
"""
from __future__ import annotations

import json
import os
from dataclasses import fields
from pathlib import Path
from typing import Any, Mapping, Sequence

import torch

from helpers.constants import SPECIAL_TOKENS
from helpers.errors import show
from helpers.files import replace_dir
from helpers.modeling.bert import ACTIVATIONS, BertConfig, BertForPreTraining
from helpers.modeling.checkpoints import Checkpoint, tokenizer_vocab_list
from helpers.modeling.heads import (BertForQuestionAnswering, BertForSequenceClassification,
                                    BertForTokenClassification)
# The safetensors reader and writer live in their own module; importing them from here keeps working.
from helpers.modeling.safetensors_file import read_safetensors, write_safetensors  # noqa: F401
from helpers.text.tokenizer import WordPieceTokenizer
from helpers.text.vocab import read_vocab_file

EXPORT_FORMAT = "bert-part-two/hf-export"   # written to export_info.json: marks a folder we wrote
EXPORT_INFO = "export_info.json"
WEIGHTS_NAME = "model.safetensors"
# What an export writes (recorded in export_info.json; only a folder holding no more may be replaced).
EXPORT_FILES = (WEIGHTS_NAME, "config.json", "tokenizer_config.json", "special_tokens_map.json", EXPORT_INFO,
                "vocab.txt")
PICKLE_WEIGHTS_NAME = "pytorch_model.bin"

# Our classes, by the name ``transformers`` gives the same architecture.
ARCHITECTURES = {
    BertForPreTraining: "BertForPreTraining",
    BertForSequenceClassification: "BertForSequenceClassification",
    BertForTokenClassification: "BertForTokenClassification",
    BertForQuestionAnswering: "BertForQuestionAnswering",
}

# transformers.BertConfig's defaults, for keys a config.json leaves out.
HF_BERT_DEFAULTS = dict(vocab_size=30522, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                        intermediate_size=3072, hidden_act="gelu", hidden_dropout_prob=0.1,
                        attention_probs_dropout_prob=0.1, max_position_embeddings=512, type_vocab_size=2,
                        initializer_range=0.02, layer_norm_eps=1e-12, pad_token_id=0)


# ----------------------------------------------------------------------------- export

def _architecture(model: torch.nn.Module) -> str:
    for cls, name in ARCHITECTURES.items():
        if type(model) is cls:
            return name
    raise ValueError(f"model of type {type(model).__name__} is not allowed: it must be one of "
                     f"{sorted(c.__name__ for c in ARCHITECTURES)} (from helpers.modeling).")


def _label_maps(model: torch.nn.Module, id2label: Sequence[str] | Mapping[int, str] | None) -> dict[str, Any]:
    """config.json's num_labels / id2label / label2id for a classification head ({} otherwise)."""
    if not isinstance(model, (BertForSequenceClassification, BertForTokenClassification)):
        if id2label is not None and not isinstance(model, BertForQuestionAnswering):
            raise ValueError(f"id2label is not allowed for a {type(model).__name__}: only classification heads "
                             "have labels.")
        return {}
    num_labels = model.num_labels
    if id2label is None:
        names = [f"LABEL_{i}" for i in range(num_labels)]        # transformers' own default names
    elif isinstance(id2label, Mapping):
        names = [id2label.get(i) for i in range(num_labels)]
    elif isinstance(id2label, Sequence) and not isinstance(id2label, str):
        names = list(id2label)
    else:
        raise ValueError(f"id2label={show(id2label)} is not allowed: it must be a list of label names or a "
                         "dict {id: name}.")
    if len(names) != num_labels or not all(isinstance(n, str) and n for n in names) or len(set(names)) != len(names):
        raise ValueError(f"id2label={show(id2label)} is not allowed: the model has num_labels={num_labels}, so it "
                         f"must name labels 0..{num_labels - 1}, each once, with a non-empty string.")
    return {"num_labels": num_labels, "id2label": {str(i): n for i, n in enumerate(names)},
            "label2id": {n: i for i, n in enumerate(names)}}


def hf_config_dict(model: torch.nn.Module, id2label=None) -> dict[str, Any]:
    """The ``config.json`` that makes ``transformers`` build the same model as ``model``."""
    config: BertConfig = model.config
    out = {"architectures": [_architecture(model)], "model_type": "bert"}
    out.update(config.to_transformers_config())
    out.update(position_embedding_type="absolute", classifier_dropout=None, tie_word_embeddings=True,
               dtype="float32")
    out.update(_label_maps(model, id2label))
    return out


def tokenizer_files(tokenizer: WordPieceTokenizer, max_length: int) -> dict[str, dict]:
    """``tokenizer_config.json`` and ``special_tokens_map.json`` for our WordPiece tokenizer."""
    pad, unk, cls, sep, mask = SPECIAL_TOKENS
    special = {"unk_token": unk, "sep_token": sep, "pad_token": pad, "cls_token": cls, "mask_token": mask}
    config = {"tokenizer_class": "BertTokenizer", "do_lower_case": bool(tokenizer.lowercase),
              # None: strip accents exactly when lower-casing, as our normaliser does.
              "strip_accents": None, "tokenize_chinese_chars": True, "model_max_length": max_length,
              "clean_up_tokenization_spaces": True, **special}
    return {"tokenizer_config.json": config, "special_tokens_map.json": special}


def _untied_state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """The state dict with each shared tensor once (the MLM decoder is tied to the word embeddings,
    its bias to ``cls.predictions.bias``), as float32: what ``save_pretrained`` writes too."""
    kept, seen = {}, set()
    for name, tensor in model.state_dict().items():
        key = (tensor.data_ptr(), tuple(tensor.shape), tensor.dtype)
        if tensor.numel() and key in seen:
            continue
        seen.add(key)
        kept[name] = tensor.detach().to("cpu", torch.float32 if tensor.is_floating_point() else tensor.dtype)
    return kept


def _export_info(path: Path) -> dict | None:
    try:
        info = json.loads((path / EXPORT_INFO).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) and info.get("format") == EXPORT_FORMAT else None


def is_export_dir(path: str | os.PathLike) -> bool:
    """True when ``path`` is a folder that :func:`export_pretrained` wrote (it may be replaced)."""
    return _export_info(Path(path)) is not None


def check_out_dir(out_dir: str | os.PathLike) -> Path:
    """``out_dir`` as a Path if writing an export there loses nothing; a ValueError otherwise.

    Allowed: a new or empty folder, or one holding nothing but the files an earlier export wrote
    (listed in its ``export_info.json``): a file you added to an export is never deleted with it.
    """
    out_dir = Path(out_dir)
    if not (out_dir.exists() or out_dir.is_symlink()):
        return out_dir
    if not out_dir.is_dir() or out_dir.is_symlink():
        raise ValueError(f"out_dir={str(out_dir)!r} exists and is not a folder: choose a new folder name.")
    entries = sorted(p.name for p in out_dir.iterdir())
    if not entries:
        return out_dir
    info = _export_info(out_dir)
    if info is None:
        raise ValueError(f"out_dir={str(out_dir)!r} is a folder with other files in it and not an earlier "
                         "export: choose an empty or new folder (it is never overwritten).")
    listed = info.get("files") if isinstance(info.get("files"), list) else EXPORT_FILES  # older exports: these
    ours = set(EXPORT_FILES) & set(listed)
    foreign = [name for name in entries if name not in ours or not (out_dir / name).is_file()
               or (out_dir / name).is_symlink()]
    if foreign:
        shown = ", ".join(foreign[:5]) + (" ..." if len(foreign) > 5 else "")
        raise ValueError(f"out_dir={str(out_dir)!r} is an earlier export that also holds {shown}, which the export "
                         "did not write and which replacing it would delete; it was left as it is. Move them "
                         "away or choose a new folder.")
    return out_dir


def export_pretrained(model: torch.nn.Module, tokenizer: WordPieceTokenizer, out_dir: str | os.PathLike, *,
                      id2label: Sequence[str] | Mapping[int, str] | None = None,
                      source: str | None = None) -> Path:
    """Write ``model`` and ``tokenizer`` as a Hugging Face folder that ``from_pretrained`` loads.

    ``model`` is a :class:`BertForPreTraining` or one of the fine-tuning heads; ``id2label`` names a
    classification head's labels (default ``LABEL_0`` ...). ``out_dir`` must be new, empty or an
    earlier export (which is replaced); the folder is built under a temporary name next to it and
    renamed into place, so a failure never leaves a half-written export.
    """
    out_dir = check_out_dir(out_dir)
    if not isinstance(tokenizer, WordPieceTokenizer):
        raise ValueError(f"tokenizer={show(tokenizer)} is not allowed: it must be a WordPieceTokenizer.")
    config = hf_config_dict(model, id2label)
    vocab = tokenizer_vocab_list(tokenizer)
    if len(vocab) != model.config.vocab_size:
        raise ValueError(f"tokenizer has {len(vocab)} tokens but the model's vocab_size is "
                         f"{model.config.vocab_size}: export the tokenizer the model was trained with.")
    files = {"config.json": config, **tokenizer_files(tokenizer, model.config.max_position_embeddings),
             EXPORT_INFO: {"format": EXPORT_FORMAT, "format_version": 1, "source": source,
                           "architecture": config["architectures"][0], "files": sorted(EXPORT_FILES)}}

    def build(folder: Path) -> None:  # a new, private folder: plain writes are safe inside it
        write_safetensors(folder / WEIGHTS_NAME, _untied_state(model), {"format": "pt"})
        for name, content in files.items():
            (folder / name).write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")
        (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")

    # check_out_dir again just before the swap: something may have appeared there meanwhile.
    replace_dir(out_dir, build, check=check_out_dir)
    return out_dir


# ----------------------------------------------------------------------------- import

def _read_json(path: Path, what: str) -> dict:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except OSError:
        raise ValueError(f"{what} {str(path)!r} is missing or unreadable.") from None
    except ValueError as error:
        raise ValueError(f"{what} {str(path)!r} is not valid JSON: {error}.") from None
    if not isinstance(value, dict):
        raise ValueError(f"{what} {str(path)!r} is not a JSON object.")
    return value


def config_from_hf(hf: Mapping[str, Any]) -> BertConfig:
    """Our :class:`BertConfig` from the contents of a ``transformers`` BERT ``config.json``."""
    model_type = hf.get("model_type", "bert")
    if model_type != "bert":
        raise ValueError(f"config.json has model_type={model_type!r}, which is not allowed: only 'bert' "
                         "folders can be loaded into the course's BERT.")
    position_type = hf.get("position_embedding_type", "absolute")
    if position_type not in (None, "absolute"):
        raise ValueError(f"config.json has position_embedding_type={position_type!r}, which is not allowed: the "
                         "course's BERT has absolute (learned) position embeddings only.")
    if hf.get("hidden_act", "gelu") not in ACTIVATIONS:
        raise ValueError(f"config.json has hidden_act={hf.get('hidden_act')!r}, which is not allowed: the "
                         f"course's BERT supports {sorted(ACTIVATIONS)}.")
    names = [f.name for f in fields(BertConfig) if f.name != "is_causal"]
    values = {name: hf.get(name, HF_BERT_DEFAULTS.get(name)) for name in names}
    if values["pad_token_id"] is None:
        values["pad_token_id"] = 0
    return BertConfig(**values, is_causal=bool(hf.get("is_decoder", False)))


def read_hf_weights(folder: str | os.PathLike) -> dict[str, torch.Tensor]:
    """The weights of a Hugging Face folder: ``model.safetensors`` (also sharded, with its
    ``.index.json``) or else ``pytorch_model.bin`` (read with ``weights_only=True``: no code runs)."""
    folder = Path(folder)
    if (folder / WEIGHTS_NAME).is_file():
        return read_safetensors(folder / WEIGHTS_NAME)
    index = folder / (WEIGHTS_NAME + ".index.json")
    if index.is_file():
        shards = sorted(set(_read_json(index, "weights index").get("weight_map", {}).values()))
        state = {}
        for shard in shards:
            state.update(read_safetensors(folder / shard))
        return state
    if (folder / PICKLE_WEIGHTS_NAME).is_file():
        try:
            state = torch.load(folder / PICKLE_WEIGHTS_NAME, map_location="cpu", weights_only=True)
        except Exception as error:  # truncated zip, foreign pickle, ...
            raise ValueError(f"{str(folder / PICKLE_WEIGHTS_NAME)!r} is not a readable weights file: "
                             f"{type(error).__name__}: {str(error)[:200]}") from None
        if not isinstance(state, dict):
            raise ValueError(f"{str(folder / PICKLE_WEIGHTS_NAME)!r} does not hold a state dict.")
        return state
    raise ValueError(f"folder={str(folder)!r} has no weights: expected {WEIGHTS_NAME} or {PICKLE_WEIGHTS_NAME} "
                     "(as written by transformers' save_pretrained).")


def _course_names(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Hugging Face names -> ours: add the ``bert.`` prefix of a bare ``BertModel`` and rename the
    ``gamma``/``beta`` of LayerNorms in old (TensorFlow-converted) files."""
    bare = not any(k.startswith("bert.") for k in state) and any(k.startswith("embeddings.") for k in state)
    out = {}
    for name, tensor in state.items():
        if bare and name.split(".")[0] in ("embeddings", "encoder", "pooler"):
            name = "bert." + name
        if ".LayerNorm." in name or name.endswith(("LayerNorm.gamma", "LayerNorm.beta")):
            name = name.replace("LayerNorm.gamma", "LayerNorm.weight").replace("LayerNorm.beta", "LayerNorm.bias")
        out[name] = tensor
    return out


def _vocab_order(vocab: list[str]) -> list[int]:
    """Old id of each new id: the five special tokens first (in the course's order), then the rest."""
    missing = [t for t in SPECIAL_TOKENS if t not in vocab]
    if missing:
        raise ValueError(f"vocab.txt has no {missing}: the course needs all of {SPECIAL_TOKENS}.")
    first = [vocab.index(t) for t in SPECIAL_TOKENS]
    taken = set(first)
    return first + [i for i in range(len(vocab)) if i not in taken]


# Weights whose rows are indexed by token id: reordered with the vocabulary.
_VOCAB_ROWS = ("bert.embeddings.word_embeddings.weight", "cls.predictions.bias",
               "cls.predictions.decoder.weight", "cls.predictions.decoder.bias")
# Heads that may be absent from a folder (a BertForMaskedLM or BertModel save): freshly initialised.
_OPTIONAL_PREFIXES = ("bert.pooler.", "cls.seq_relationship.")


def load_hf_pretrained(folder: str | os.PathLike, *, device: str | torch.device = "cpu",
                       seed: int = 0) -> Checkpoint:
    """Load a BERT folder written by ``transformers`` (``save_pretrained``) into the course's
    :class:`BertForPreTraining` and :class:`WordPieceTokenizer`.

    Any BERT size works. The vocabulary is renumbered so the special tokens get the course's ids
    (see the module docstring); ``metadata["vocab_order"]`` says where each new id came from. A folder
    without the NSP head or the pooler (a ``BertForMaskedLM`` save) gets those initialised from
    ``seed`` and listed in ``metadata["newly_initialised"]``; a folder without the MLM head or with
    missing encoder weights is refused, since ``fill_mask`` would then print noise.
    Returns a :class:`Checkpoint` (model in eval mode, tokenizer, config dict, metadata).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"folder={str(folder)!r} is not allowed: it must be a folder written by "
                         "save_pretrained (with config.json, vocab.txt and the weights).")
    hf = _read_json(folder / "config.json", "config file")
    config = config_from_hf(hf)
    tok_config = _read_json(folder / "tokenizer_config.json", "tokenizer config") \
        if (folder / "tokenizer_config.json").is_file() else {}
    lowercase = bool(tok_config.get("do_lower_case", True))
    strip = tok_config.get("strip_accents")
    if strip is not None and bool(strip) != lowercase:
        raise ValueError(f"tokenizer_config.json has strip_accents={strip!r} with do_lower_case={lowercase!r}, "
                         "which is not allowed: the course's tokenizer strips accents exactly when it lower-cases.")
    if not (folder / "vocab.txt").is_file():
        raise ValueError(f"folder={str(folder)!r} has no vocab.txt: the course's tokenizer needs the WordPiece "
                         "vocabulary file.")
    vocab = read_vocab_file(folder / "vocab.txt", check=False)  # special tokens may be anywhere
    if len(vocab) != config.vocab_size:
        raise ValueError(f"vocab.txt has {len(vocab)} tokens but config.json says vocab_size={config.vocab_size}: "
                         "they must agree.")
    order = _vocab_order(vocab)
    new_vocab = [vocab[i] for i in order]
    tokenizer = WordPieceTokenizer(new_vocab, lowercase=lowercase)
    pad_old = config.pad_token_id
    config = BertConfig(**{**config.to_dict(), "pad_token_id": order.index(pad_old)})

    state = _course_names(read_hf_weights(folder))
    with torch.random.fork_rng(devices=[]):   # leave the caller's random state alone
        torch.manual_seed(seed)
        model = BertForPreTraining(config)
    newly, ignored = _load_renumbered(model, state, order, folder)
    model.to(device).eval()
    metadata = {"source": str(folder), "architectures": list(hf.get("architectures") or []),
                "vocab_order": order, "newly_initialised": newly, "ignored_weights": ignored}
    return Checkpoint(model=model, tokenizer=tokenizer, config=config.to_dict(), metadata=metadata)


def _load_renumbered(model: BertForPreTraining, state: dict[str, torch.Tensor], order: list[int],
                     folder: Path) -> tuple[list[str], list[str]]:
    """Load ``state`` into ``model`` with the vocabulary rows in the course's ``order``; return the
    weights initialised anew (an absent NSP head or pooler) and the folder's weights left unused."""
    expected = model.state_dict()
    index = torch.tensor(order)
    for name in _VOCAB_ROWS:
        if name in state:
            state[name] = state[name].index_select(0, index)
    # Tied copies may be absent (save_pretrained writes shared tensors once).
    tied = {"cls.predictions.decoder.weight": "bert.embeddings.word_embeddings.weight",
            "cls.predictions.decoder.bias": "cls.predictions.bias"}
    for name, source in tied.items():
        if name not in state and source in state:
            state[name] = state[source]
    newly, missing = [], []
    for name in expected:
        if name not in state:
            (newly if name.startswith(_OPTIONAL_PREFIXES) else missing).append(name)
    if missing:
        raise ValueError(f"folder={str(folder)!r} lacks weights the course needs: {missing[:4]}"
                         f"{' ...' if len(missing) > 4 else ''} ({len(missing)} in all). Save the model with "
                         "transformers' BertForPreTraining or BertForMaskedLM.")
    load = {}
    for name, tensor in expected.items():
        if name in newly:
            continue
        source = state[name]
        if tuple(source.shape) != tuple(tensor.shape):
            raise ValueError(f"folder={str(folder)!r}: weight {name!r} has shape {tuple(source.shape)}, config.json "
                             f"implies {tuple(tensor.shape)}.")
        load[name] = source.to(tensor.dtype)
    model.load_state_dict(load, strict=False)
    # load_state_dict copies into the existing (tied) parameters, so the decoder stays tied.
    return newly, sorted(k for k in state if k not in expected)
