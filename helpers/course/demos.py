"""Interactive demonstrations for the notebooks that are not quizzes.

* :func:`masking_widget` (notebook 2): type a sentence, set the selection rate and the seed, and see
  which tokens MLM selects, what each becomes (``[MASK]`` / random token / unchanged) and the
  ``labels`` row the loss is computed against.
* :func:`trace_mlm_widget` (notebook 2, "trace the training loop", part a): pick the selected token
  and what happens to it; see the model's input and its training target.
* :func:`trace_finetune_widget` (notebook 5, part b): the same sentence at fine-tuning time, with a
  [CLS] head or a per-token head: which outputs the head reads and what it predicts.

Each widget is a thin shell around a pure function that returns HTML (``masking_html``,
``trace_mlm_html``, ``trace_finetune_html``): the notebooks also show that HTML directly, so a
saved notebook read on the web (no kernel, no live widgets) still shows the example, and the tests
can check it. All text is escaped before it goes into HTML.
"""
from __future__ import annotations

import html
import inspect
import textwrap
from dataclasses import dataclass, field
from typing import Sequence

import ipywidgets as widgets
import torch
from IPython.display import Markdown

from helpers.constants import IGNORE_INDEX
from helpers.errors import check_choice, check_integer, check_number, check_probability, check_seed, check_text, show
from helpers.objectives.mlm import KEPT, MASKED, RANDOMISED, mask_statistics, mask_tokens
from helpers.text.normalize import pre_tokenize

# One colour per MLM operation (the same as in helpers.course.plots).
COLOURS = {"mask": "#f4b6b6", "random": "#fdd9a8", "keep": "#b9e4b9", "special": "#e8e8e8", "read": "#b8d4f0"}
OPERATION_LABELS = {"mask": "[MASK]", "random": "random token", "keep": "unchanged"}
TRACE_SENTENCE = "the small dog barks at the mailman."
IGNORED = str(IGNORE_INDEX)  # how a label the loss skips is shown: "-100"
MAX_WIDGET_SEED = 10**6


# --------------------------------------------------------------------------- masking, as data

@dataclass
class MaskedExample:
    """One sentence after the MLM corruption, position by position (all lists have equal length)."""

    tokens: list[str]            # the original tokens, with [CLS] and [SEP]
    inputs: list[str]            # what the model reads
    labels: list[str]            # the training target: the original token, or "-100" (ignored)
    operations: list[str]        # "special", "not selected", "mask", "random" or "keep"
    label_ids: list[int] = field(default_factory=list)

    @property
    def selected(self) -> list[int]:
        """Positions whose prediction enters the loss."""
        return [i for i, op in enumerate(self.operations) if op in OPERATION_LABELS]


def mask_sentence(tokenizer, text: str, *, mlm_probability: float = 0.15, seed: int = 0,
                  mask_prob: float = 0.8, random_prob: float = 0.1, max_length: int = 64) -> MaskedExample:
    """Encode ``text`` as ``[CLS] text [SEP]`` and apply :func:`helpers.objectives.mlm.mask_tokens` once.

    The same ``seed`` always gives the same selection and the same replacements.
    """
    check_text("text", text)
    check_probability("mlm_probability", mlm_probability)
    check_seed("seed", seed)
    encoded = tokenizer.encode_pair(text, max_length=max_length)
    ids = torch.tensor(encoded["input_ids"])
    special = torch.tensor(encoded["special_tokens_mask"])
    out = mask_tokens(ids, special, vocab_size=tokenizer.vocab_size, mask_token_id=tokenizer.mask_token_id,
                      mlm_probability=mlm_probability, mask_prob=mask_prob, random_prob=random_prob,
                      generator=seed)
    names = {MASKED: "mask", RANDOMISED: "random", KEPT: "keep"}
    operations = [names.get(op, "special" if s else "not selected")
                  for op, s in zip(out.operations.tolist(), special.tolist())]
    labels = out.labels.tolist()
    return MaskedExample(
        tokens=tokenizer.convert_ids_to_tokens(ids.tolist()),
        inputs=tokenizer.convert_ids_to_tokens(out.input_ids.tolist()),
        labels=[tokenizer.convert_ids_to_tokens(i) if i != IGNORE_INDEX else IGNORED for i in labels],
        operations=operations,
        label_ids=labels,
    )


def _cell(text: str, colour: str | None = None, bold: bool = False, title: str = "") -> str:
    style = "padding:3px 6px;border:1px solid #ccc;text-align:center;font-family:monospace;"
    if colour:
        style += f"background:{colour};"
    if bold:
        style += "font-weight:bold;"
    tip = f' title="{html.escape(title)}"' if title else ""
    return f'<td style="{style}"{tip}>{html.escape(text)}</td>'


def _row(name: str, cells: list[str]) -> str:
    head = f'<th style="padding:3px 8px;text-align:right;white-space:nowrap">{html.escape(name)}</th>'
    return "<tr>" + head + "".join(cells) + "</tr>"


def _legend(keys: Sequence[str]) -> str:
    names = {**OPERATION_LABELS, "special": "structural token (never selected)",
             "read": "output read by the head"}
    items = [f'<span style="background:{COLOURS[k]};padding:1px 6px;margin-right:8px;border:1px solid #ccc">'
             f'{html.escape(names[k])}</span>' for k in keys]
    return '<div style="margin:4px 0 8px 0;font-size:90%">' + "".join(items) + "</div>"


def masking_html(example: MaskedExample) -> str:
    """A colour-coded table: the original tokens, the model's input and the labels row."""
    colour = [COLOURS.get(op) for op in example.operations]
    rows = [
        _row("position", [_cell(str(i)) for i in range(len(example.tokens))]),
        _row("original", [_cell(t, c) for t, c in zip(example.tokens, colour)]),
        _row("input (model reads)", [_cell(t, c, bold=c is not None and op != "special")
                                     for t, c, op in zip(example.inputs, colour, example.operations)]),
        _row("labels (target)", [_cell(t, c if t != IGNORED else None) for t, c in zip(example.labels, colour)]),
    ]
    n_candidates = sum(op != "special" for op in example.operations)
    counts = {k: example.operations.count(k) for k in OPERATION_LABELS}
    summary = (f"{len(example.selected)} of {n_candidates} ordinary tokens selected "
               f"({counts['mask']} → [MASK], {counts['random']} → random token, {counts['keep']} unchanged). "
               f"The loss is computed at the {len(example.selected)} selected position(s) only; "
               f"every {IGNORED} is ignored.")
    return (_legend(["mask", "random", "keep", "special"])
            + '<table style="border-collapse:collapse">' + "".join(rows) + "</table>"
            + f"<p>{html.escape(summary)}</p>")


def masking_widget(tokenizer, text: str = "this teddy bear is so cute.", *, mlm_probability: float = 0.15,
                   seed: int = 0):
    """Type a sentence, choose the selection rate and the seed, and watch MLM's corruption.

    ``mlm_probability`` and ``seed`` must lie in the controls' ranges (0.05 to 1, 0 to 1,000,000):
    a slider would silently show a rate of 2 as 1.0.
    """
    check_number("mlm_probability", mlm_probability, minimum=0.05, maximum=1.0)
    check_integer("seed", seed, minimum=0, maximum=MAX_WIDGET_SEED)
    box_text = widgets.Text(value=text, description="sentence", layout=widgets.Layout(width="60%"),
                            continuous_update=False)
    rate = widgets.FloatSlider(value=mlm_probability, min=0.05, max=1.0, step=0.05, description="rate",
                               readout_format=".0%", continuous_update=False)
    seed_box = widgets.BoundedIntText(value=seed, min=0, max=MAX_WIDGET_SEED, description="seed")
    view = widgets.HTML()

    def update(_=None) -> None:
        try:
            example = mask_sentence(tokenizer, box_text.value, mlm_probability=rate.value, seed=seed_box.value)
            view.value = masking_html(example)
        except ValueError as error:  # e.g. an empty sentence: say why instead of failing
            view.value = f'<p style="color:#b00">{html.escape(str(error))}</p>'

    for control in (box_text, rate, seed_box):
        control.observe(update, names="value")
    update()
    return widgets.VBox([widgets.HBox([box_text]), widgets.HBox([rate, seed_box]), view])


def count_operations(tokenizer, sentences: Sequence[str], *, seed: int = 0, mlm_probability: float = 0.15,
                     max_length: int = 64) -> dict[str, int]:
    """Mask many sentences at once and count what the selected tokens became.

    Returns ``{"selected", "candidates", "mask", "random", "keep"}`` counts, for the bar chart that
    checks the 80/10/10 mix empirically.
    """
    if not sentences:
        raise ValueError("sentences=[] is not allowed: pass at least one sentence.")
    batch = tokenizer.encode_batch(list(sentences), max_length=max_length)
    out = mask_tokens(batch["input_ids"], batch["special_tokens_mask"], vocab_size=tokenizer.vocab_size,
                      mask_token_id=tokenizer.mask_token_id, mlm_probability=mlm_probability, generator=seed)
    stats = mask_statistics(out.operations, batch["special_tokens_mask"])
    return {"candidates": stats["candidates"], "selected": stats["selected"], "mask": stats["masked"],
            "random": stats["randomised"], "keep": stats["kept"]}


# --------------------------------------------------------------------------- trace, part a

def _random_stand_ins(tokenizer, avoid: Sequence[str], count: int, seed: int = 0,
                      preferred: str = "telescope") -> list[str]:
    """Tokens shown for the "random token" outcome: ``preferred`` first if the vocabulary has it,
    then whole-word tokens drawn with ``seed`` (never a special token, never one of ``avoid``)."""
    vocab = tokenizer.vocab
    chosen = [preferred] if preferred in vocab and preferred not in avoid else []
    words = [t for t in vocab[5:] if t.isalpha() and t not in avoid and t != preferred]
    generator = torch.Generator().manual_seed(seed)
    while len(chosen) < count:
        chosen.append(words[int(torch.randint(len(words), (1,), generator=generator))])
    return chosen[:count]


def _word_positions(tokenizer, sentence: str) -> list[list[int]]:
    """For each word of ``sentence``, the positions of its word-pieces in ``[CLS] sentence [SEP]``."""
    groups: dict[int, list[int]] = {}
    for position, word in enumerate(tokenizer.word_ids(sentence)):
        if word is not None:
            groups.setdefault(word, []).append(position)
    return [groups[w] for w in sorted(groups)]


def _default_position(tokenizer, sentence: str) -> int:
    """The (first piece of the) word "barks" if the sentence has it, else the middle word."""
    words = pre_tokenize(sentence)
    groups = _word_positions(tokenizer, sentence)
    if "barks" in words:
        return groups[words.index("barks")][0]
    return groups[len(groups) // 2][0]


def trace_mlm_html(tokenizer, sentence: str = TRACE_SENTENCE, *, position: int | None = None,
                   outcome: str = "mask", seed: int = 0) -> str:
    """One MLM training example with exactly one selected word, drawn as input and target.

    ``position`` (default: the word "barks" in the course sentence) is any position of the selected
    word; ``outcome`` is ``"mask"``, ``"random"`` or ``"keep"``. A word that the vocabulary splits
    into several word-pieces is selected as a whole (whole-word masking): each piece gets the
    outcome and each piece's label is its own original piece.
    """
    check_choice("outcome", outcome, tuple(OPERATION_LABELS))
    encoded = tokenizer.encode_pair(sentence)
    tokens = tokenizer.convert_ids_to_tokens(encoded["input_ids"])
    ordinary = [i for i, s in enumerate(encoded["special_tokens_mask"]) if not s]
    if position is None:
        position = _default_position(tokenizer, sentence)
    if position not in ordinary:
        raise ValueError(f"position={show(position)} is not allowed: it must be one of the ordinary (non-special) "
                         f"positions {ordinary}.")
    selected = next(g for g in _word_positions(tokenizer, sentence) if position in g)
    originals = [tokens[i] for i in selected]
    word = tokenizer.decode(encoded["input_ids"][selected[0]:selected[-1] + 1])
    inputs = list(tokens)
    stand_ins = _random_stand_ins(tokenizer, originals, len(selected), seed)
    operations = ["special" if s else "not selected" for s in encoded["special_tokens_mask"]]
    labels = [IGNORED] * len(tokens)
    for k, i in enumerate(selected):
        inputs[i] = {"mask": "[MASK]", "random": stand_ins[k], "keep": tokens[i]}[outcome]
        operations[i] = outcome
        labels[i] = tokens[i]
    example = MaskedExample(tokens=tokens, inputs=inputs, labels=labels, operations=operations)
    expected = 0.15 * len(ordinary)
    notes = [f"{len(tokens)} tokens including [CLS] and [SEP]; {len(ordinary)} can be selected, and at 15% that "
             f"is {expected:.2f} on average: about {max(1, round(expected))} per pass."]
    if len(selected) > 1:
        notes.append(f"This vocabulary splits {word!r} into {len(selected)} word-pieces ({' '.join(originals)}); "
                     "here the whole word is selected (whole-word masking), and each piece is predicted.")
    where = ", ".join(str(i) for i in selected)
    target = " ".join(originals)
    loss = (f"loss = −log p({target!r} | input) at position{'s' if len(selected) > 1 else ''} {where} only; "
            f"the other {len(tokens) - len(selected)} outputs do not enter the loss.")
    seen = " ".join(inputs[i] for i in selected)
    many = len(selected) > 1
    what = {"mask": f"the model sees {seen} and must say which {'tokens were' if many else 'token was'} there",
            "random": f"the model sees {seen!r}, {'wrong tokens' if many else 'a wrong token'}, and must still "
                      f"say {target!r}",
            "keep": f"the model sees the right {'tokens' if many else 'token'} {target!r} and must confirm "
                    f"{'them' if many else 'it'}: it cannot tell that {'these positions were' if many else 'this position was'} "
                    "selected"}[outcome]
    return (masking_html(example).rsplit("<p>", 1)[0]
            + "".join(f"<p>{html.escape(n)}</p>" for n in notes)
            + f"<p><b>{html.escape(OPERATION_LABELS[outcome])}:</b> "
            + f"{html.escape(what)}.<br>{html.escape(loss)}</p>")


def trace_mlm_widget(tokenizer, sentence: str = TRACE_SENTENCE, *, seed: int = 0):
    """Exercise a: choose the selected word and its outcome; see input and training target."""
    encoded = tokenizer.encode_pair(sentence)
    options = [(f"{g[0]}: {tokenizer.decode(encoded['input_ids'][g[0]:g[-1] + 1])}", g[0])
               for g in _word_positions(tokenizer, sentence)]
    which = widgets.Dropdown(options=options, value=_default_position(tokenizer, sentence), description="selected")
    outcome = widgets.ToggleButtons(options=[(v, k) for k, v in OPERATION_LABELS.items()], value="mask",
                                    description="outcome")
    view = widgets.HTML()

    def update(_=None) -> None:
        view.value = trace_mlm_html(tokenizer, sentence, position=which.value, outcome=outcome.value, seed=seed)

    which.observe(update, names="value")
    outcome.observe(update, names="value")
    update()
    return widgets.VBox([which, outcome, view])


# --------------------------------------------------------------------------- trace, part b

def trace_finetune_html(tokens: Sequence[str], mode: str, prediction) -> str:
    """The fine-tuning view of one input: which encoder outputs the head reads, and its prediction.

    ``mode`` is ``"cls"`` (one label for the whole input, read from position 0) or ``"token"`` (one
    label per token); ``prediction`` is a label string for ``"cls"`` and a list of per-token labels
    (``None`` for positions without a label) for ``"token"``.
    """
    check_choice("mode", mode, ("cls", "token"))
    tokens = list(tokens)
    if mode == "cls":
        read = [i == 0 for i in range(len(tokens))]
        outputs = ["→ head" if r else "discarded" for r in read]
        result = f"The head reads only the [CLS] output (position 0) and predicts: {prediction}."
    else:
        if len(prediction) != len(tokens):
            raise ValueError(f"prediction has {len(prediction)} labels but there are {len(tokens)} tokens: "
                             "pass one label (or None) per token.")
        read = [p is not None for p in prediction]
        outputs = [str(p) if p is not None else "discarded" for p in prediction]
        result = "The head reads every token's output and predicts one label per token."
    rows = [
        _row("position", [_cell(str(i)) for i in range(len(tokens))]),
        _row("input", [_cell(t, COLOURS["special"] if t in ("[CLS]", "[SEP]") else None) for t in tokens]),
        _row("encoder output", [_cell(f"h{i}", COLOURS["read"] if r else None) for i, r in enumerate(read)]),
        _row("head", [_cell(o, COLOURS["read"] if r else None, bold=r) for o, r in zip(outputs, read)]),
    ]
    note = "No [MASK] anywhere: fine-tuning and inference inputs are plain text plus [CLS] and [SEP]."
    return (_legend(["read", "special"]) + '<table style="border-collapse:collapse">' + "".join(rows)
            + f"</table><p>{html.escape(result)}<br>{html.escape(note)}</p>")


@torch.no_grad()
def predict_sequence_label(model, tokenizer, text: str, labels: Sequence[str], text_b: str | None = None) -> str:
    """The label a sequence-classification model gives ``text`` (or the pair ``text``, ``text_b``)."""
    batch = tokenizer.encode_batch([text if text_b is None else (text, text_b)])
    model.eval()
    logits = model(batch["input_ids"], token_type_ids=batch["token_type_ids"],
                   attention_mask=batch["attention_mask"]).logits
    return labels[int(logits.argmax(-1)[0])]


@torch.no_grad()
def predict_token_labels(model, tokenizer, text: str, labels: Sequence[str]) -> tuple[list[str], list[str | None]]:
    """Tokens of ``[CLS] text [SEP]`` and a token-classification model's label for each (None on [CLS]/[SEP])."""
    encoded = tokenizer.encode_pair(text)
    ids = torch.tensor([encoded["input_ids"]])
    model.eval()
    logits = model(ids, token_type_ids=torch.zeros_like(ids), attention_mask=torch.ones_like(ids)).logits[0]
    tokens = tokenizer.convert_ids_to_tokens(encoded["input_ids"])
    predicted = [None if s else labels[int(i)] for i, s in zip(logits.argmax(-1), encoded["special_tokens_mask"])]
    return tokens, predicted


def trace_finetune_widget(tokenizer, sentence: str = TRACE_SENTENCE, *, sentence_model=None,
                          sentence_labels: Sequence[str] = ("negative", "neutral", "positive"),
                          token_model=None, token_labels: Sequence[str] | None = None):
    """Exercise b: the same sentence at fine-tuning time, with a [CLS] head or a per-token head.

    Pass fine-tuned models to see their real predictions; without them the widget shows where
    the head reads and marks the prediction as "(head not trained)".
    """
    check_text("sentence", sentence)
    tokens = tokenizer.convert_ids_to_tokens(tokenizer.encode_pair(sentence)["input_ids"])
    if sentence_model is not None:
        sentence_prediction = predict_sequence_label(sentence_model, tokenizer, sentence, sentence_labels)
    else:
        sentence_prediction = "(head not trained)"
    if token_model is not None:
        if token_labels is None:
            raise ValueError("token_labels=None is not allowed with a token_model: pass the tag names.")
        _, token_prediction = predict_token_labels(token_model, tokenizer, sentence, token_labels)
    else:
        token_prediction = [None if t in ("[CLS]", "[SEP]") else "?" for t in tokens]
    mode = widgets.ToggleButtons(options=[("sentiment: [CLS] head", "cls"), ("NER: per-token head", "token")],
                                 value="cls", description="task")
    view = widgets.HTML()

    def update(_=None) -> None:
        prediction = sentence_prediction if mode.value == "cls" else token_prediction
        view.value = trace_finetune_html(tokens, mode.value, prediction)

    mode.observe(update, names="value")
    update()
    return widgets.VBox([mode, view])


# --------------------------------------------------------------------------- small display helpers

def source_of(obj, *, start: str | None = None, end: str | None = None) -> str:
    """The source code of ``obj`` (a function or class), optionally only the lines from the first
    line containing ``start`` up to (not including) the first later line containing ``end``."""
    lines = inspect.getsource(obj).splitlines()
    first = 0
    if start is not None:
        matches = [i for i, line in enumerate(lines) if start in line]
        if not matches:
            raise ValueError(f"start={start!r} is not allowed: no line of {obj.__qualname__} contains it.")
        first = matches[0]
    last = len(lines)
    if end is not None:
        matches = [i for i, line in enumerate(lines) if end in line and i > first]
        if not matches:
            raise ValueError(f"end={end!r} is not allowed: no line of {obj.__qualname__} after start contains it.")
        last = matches[0]
    return textwrap.dedent("\n".join(lines[first:last])).rstrip() + "\n"


def show_source(obj, *, start: str | None = None, end: str | None = None):
    """Display :func:`source_of` as a highlighted Python block in a notebook."""
    return Markdown(f"```python\n{source_of(obj, start=start, end=end)}```")


def layout_html(tokenizer, a: str, b: str | None = None, *, max_length: int = 64) -> str:
    """BERT's input layout for one text or a pair, as a table: one column per position and one
    row per tensor the model receives (``input_ids``, ``token_type_ids``, ``attention_mask``,
    ``special_tokens_mask``)."""
    encoded = tokenizer.encode_pair(a, b, max_length=max_length)
    tokens = tokenizer.convert_ids_to_tokens(encoded["input_ids"])
    segment_colour = {0: "#dbe9f6", 1: "#fde2c8"}
    rows = [_row("position", [_cell(str(i)) for i in range(len(tokens))]),
            _row("token", [_cell(t, segment_colour[s], bold=t in ("[CLS]", "[SEP]"))
                           for t, s in zip(tokens, encoded["token_type_ids"])])]
    for key in ("input_ids", "token_type_ids", "attention_mask", "special_tokens_mask"):
        rows.append(_row(key, [_cell(str(v)) for v in encoded[key]]))
    legend = ('<div style="margin:4px 0 8px 0;font-size:90%">'
              f'<span style="background:{segment_colour[0]};padding:1px 6px;border:1px solid #ccc">segment A '
              '(token_type_id 0)</span> '
              f'<span style="background:{segment_colour[1]};padding:1px 6px;border:1px solid #ccc">segment B '
              '(token_type_id 1)</span></div>')
    return legend + '<table style="border-collapse:collapse">' + "".join(rows) + "</table>"
