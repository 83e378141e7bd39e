"""The course's figures.

Every function draws one figure that makes one point, returns the ``matplotlib`` Figure, and
takes plain data (lists, dicts, tensors), so the notebooks stay short and a learner can call the
same function on their own runs. Figures are sized for a notebook column (about 10 inches wide)
and always carry a title and labelled axes.
"""
from __future__ import annotations

import math
from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch

from helpers.errors import show
# The learner's progress figure lives in its own module; importing it from here keeps working.
from helpers.course.progress_plot import plot_progress  # noqa: F401
# The placement of value labels too (pure arithmetic; plot_learning_curve uses it).
from helpers.course.label_layout import LABEL_GAP, label_positions

WIDTH = 10.0  # inches: fills a notebook column at the default 100 dpi

# One colour per MLM operation, shared by the plots and the masking widget.
OPERATION_COLOURS = {"mask": "#d62728", "random": "#ff7f0e", "keep": "#2ca02c"}


def _check_same_length(name_a: str, a: Sequence, name_b: str, b: Sequence) -> None:
    if len(a) != len(b):
        raise ValueError(f"{name_a} has {len(a)} items but {name_b} has {len(b)}: they must have the same length.")


def _check_nonempty(name: str, value) -> None:
    if value is None or len(value) == 0:
        raise ValueError(f"{name}={show(value)} is not allowed: it must contain at least one item.")


# --------------------------------------------------------------------------- notebook 1

def plot_attention_masks(tokens: Sequence[str]):
    """Who may look at whom: a causal (decoder) mask next to BERT's bidirectional one.

    Row *i* is the position doing the looking (the query), column *j* the position looked at (the
    key); a filled cell means "*i* sees *j*". Under the causal mask the future is hidden, so
    "predict the next token" is a real task; under the bidirectional mask it is not.
    """
    _check_nonempty("tokens", tokens)
    n = len(tokens)
    causal = np.tril(np.ones((n, n)))
    full = np.ones((n, n))
    fig, axes = plt.subplots(1, 2, figsize=(WIDTH, WIDTH / 2 + 1.0))
    titles = ("causal mask (decoder, GPT):\nposition i sees positions ≤ i",
              "no mask (encoder, BERT):\nevery position sees every position")
    for ax, mask, title in zip(axes, (causal, full), titles):
        ax.imshow(mask, cmap="Blues", vmin=0, vmax=1.3)
        ax.set_xticks(range(n), tokens, rotation=60, ha="right")
        ax.set_yticks(range(n), tokens)
        ax.set_xlabel("position attended to (key)")
        ax.set_ylabel("position attending (query)")
        ax.set_title(title)
        for i in range(n):
            for j in range(n):
                ax.text(j, i, "✓" if mask[i, j] else "·", ha="center", va="center",
                        color="white" if mask[i, j] else "grey", fontsize=9)
    fig.suptitle("Attention masks: what each position can see", fontweight="bold")
    fig.tight_layout()
    return fig


def plot_training_curves(curves: Mapping[str, Sequence[float]], *, title: str, xlabel: str = "training step",
                         ylabel: str = "loss", steps: Sequence[int] | None = None, smooth: int = 1,
                         log_y: bool = False, baselines: Mapping[str, float] | None = None,
                         legend_outside: bool = False):
    """One line per named curve (for example the causal and the bidirectional model's losses).

    ``smooth`` > 1 draws a moving average over that many points, so noisy per-step losses read
    as trends. ``baselines`` are drawn as dashed horizontal lines (a reference, not a run);
    ``legend_outside`` puts the legend right of the plot, where many curves would hide it.
    """
    _check_nonempty("curves", curves)
    if not isinstance(smooth, int) or smooth < 1:
        raise ValueError(f"smooth={show(smooth)} is not allowed: it must be an integer >= 1.")
    fig, ax = plt.subplots(figsize=(WIDTH, 4))
    for name, values in curves.items():
        values = np.asarray(values, dtype=float)
        x = np.asarray(steps if steps is not None else np.arange(1, len(values) + 1))
        _check_same_length("steps", x, f"curves[{name!r}]", values)
        if smooth > 1 and len(values) >= smooth:
            kernel = np.ones(smooth) / smooth
            values = np.convolve(values, kernel, mode="valid")
            x = x[smooth - 1:]
        ax.plot(x, values, label=name, linewidth=2)
    for name, value in (baselines or {}).items():
        ax.axhline(value, color="grey", linestyle="--", linewidth=1.5, label=name)
    if log_y:
        ax.set_yscale("log")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    if legend_outside:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    else:
        ax.legend()
    fig.tight_layout()
    return fig


def _label_bar_axes(ax, *, title: str, xlabel: str, ylabel: str, percent: bool, top: float) -> None:
    """Title, axis labels and a light y grid; a 0..top percentage axis when ``percent``."""
    if percent:
        ax.set_ylim(0, top)
        ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.set_xlabel(xlabel)
    ax.grid(axis="y", alpha=0.3)


def plot_bars(values: Mapping[str, float], *, title: str, ylabel: str, xlabel: str,
              errors: Mapping[str, float] | None = None, reference: float | None = None,
              reference_label: str = "chance", percent: bool = False):
    """A labelled bar per entry of ``values`` (the numbers are written on the bars).

    ``errors`` adds error bars (for example the spread over seeds), ``reference`` a dashed line
    (for example chance level).
    """
    _check_nonempty("values", values)
    names = list(values)
    heights = [float(values[n]) for n in names]
    yerr = [float(errors.get(n, 0.0)) for n in names] if errors else None
    fig, ax = plt.subplots(figsize=(WIDTH, 3.8))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    bars = ax.bar(names, heights, yerr=yerr, capsize=4, color=[colours[i % len(colours)] for i in range(len(names))])
    for bar, h in zip(bars, heights):
        label = f"{h:.0%}" if percent else f"{h:.3g}"
        ax.annotate(label, (bar.get_x() + bar.get_width() / 2, h), ha="center", va="bottom",
                    xytext=(0, 3), textcoords="offset points")
    if reference is not None:
        ax.axhline(reference, color="grey", linestyle="--", label=reference_label)
        ax.legend(loc="lower right")
    _label_bar_axes(ax, title=title, xlabel=xlabel, ylabel=ylabel, percent=percent, top=1.1)
    fig.tight_layout()
    return fig


def plot_grouped_bars(groups: Mapping[str, Mapping[str, float]], *, title: str, ylabel: str, xlabel: str,
                      percent: bool = True, reference: float | None = None, reference_label: str = "chance"):
    """Bars grouped by the outer key, one colour per inner key.

    ``{"masked": {"80/10/10": 0.7, "always [MASK]": 0.7}, "kept": {...}}`` draws two groups of
    two bars: the shape of every "A versus B on several measures" comparison in the course.
    """
    _check_nonempty("groups", groups)
    group_names = list(groups)
    series = list(dict.fromkeys(k for g in groups.values() for k in g))
    width = 0.8 / len(series)
    fig, ax = plt.subplots(figsize=(WIDTH, 4))
    x = np.arange(len(group_names))
    for i, name in enumerate(series):
        heights = [float(groups[g].get(name, float("nan"))) for g in group_names]
        bars = ax.bar(x + (i - (len(series) - 1) / 2) * width, heights, width, label=name)
        for bar, h in zip(bars, heights):
            if math.isfinite(h):
                ax.annotate(f"{h:.0%}" if percent else f"{h:.3g}", (bar.get_x() + bar.get_width() / 2, h),
                            ha="center", va="bottom", xytext=(0, 2), textcoords="offset points", fontsize=9)
    if reference is not None:
        ax.axhline(reference, color="grey", linestyle="--", label=reference_label)
    ax.set_xticks(x, group_names)
    _label_bar_axes(ax, title=title, xlabel=xlabel, ylabel=ylabel, percent=percent, top=1.12)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- notebook 2

def plot_operation_split(counts: Mapping[str, int], *, target: Mapping[str, float] | None = None,
                         title: str = "What happened to the selected tokens"):
    """The measured share of mask / random / keep among selected tokens, next to the target mix.

    ``counts`` maps ``"mask"``, ``"random"``, ``"keep"`` to how many selected positions got each
    operation; ``target`` to the intended probabilities (default: BERT's 0.8 / 0.1 / 0.1).
    """
    target = dict(target or {"mask": 0.8, "random": 0.1, "keep": 0.1})
    names = ["mask", "random", "keep"]
    for name in names:
        if name not in counts:
            raise ValueError(f"counts={show(dict(counts))} is not allowed: it must have the keys {names}.")
    total = sum(int(counts[n]) for n in names)
    if total <= 0:
        raise ValueError(f"counts={show(dict(counts))} is not allowed: at least one position must be counted.")
    measured = [counts[n] / total for n in names]
    x = np.arange(len(names))
    fig, ax = plt.subplots(figsize=(WIDTH, 3.8))
    bars = ax.bar(x - 0.2, measured, 0.4, label=f"measured ({total:,} selected tokens)",
                  color=[OPERATION_COLOURS[n] for n in names])
    ax.bar(x + 0.2, [target[n] for n in names], 0.4, label="target", color="lightgrey", edgecolor="black")
    for bar, share in zip(bars, measured):
        ax.annotate(f"{share:.1%}", (bar.get_x() + bar.get_width() / 2, share), ha="center", va="bottom",
                    xytext=(0, 3), textcoords="offset points")
    ax.set_xticks(x, ["[MASK]", "random token", "unchanged"])
    ax.set_ylim(0, 1)
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.set_xlabel("operation applied to a selected token")
    ax.set_ylabel("share of selected tokens")
    ax.set_title(title)
    ax.legend()
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- notebook 3

@torch.no_grad()
def plot_embedding_sum(embeddings_module, input_ids, token_type_ids, tokens: Sequence[str], *, dims: int = 16):
    """The input to the first encoder block, as the sum of three lookups (before LayerNorm).

    ``embeddings_module`` is a ``BertEmbeddings`` (``model.bert.embeddings``); ``input_ids`` and
    ``token_type_ids`` are 1-D for one sequence. Each panel shows the first ``dims`` numbers of each
    position's vector: the word embedding depends on the token, the position embedding on the
    column, the segment embedding only on A versus B; their sum is what the encoder reads.
    """
    input_ids = torch.as_tensor(input_ids).reshape(-1)
    token_type_ids = torch.as_tensor(token_type_ids).reshape(-1)
    _check_same_length("input_ids", input_ids, "token_type_ids", token_type_ids)
    _check_same_length("input_ids", input_ids, "tokens", tokens)
    n = input_ids.shape[0]
    word = embeddings_module.word_embeddings.weight[input_ids, :dims]
    position = embeddings_module.position_embeddings.weight[:n, :dims]
    segment = embeddings_module.token_type_embeddings.weight[token_type_ids, :dims]
    total = word + position + segment
    panels = [("token (word) embedding", word), ("+ position embedding", position),
              ("+ segment embedding", segment), ("= input to the encoder", total)]
    limit = float(max(p.abs().max() for _, p in panels))
    fig, axes = plt.subplots(4, 1, figsize=(WIDTH, 9), sharex=True)
    for ax, (title, values) in zip(axes, panels):
        image = ax.imshow(values.T.numpy(), cmap="coolwarm", vmin=-limit, vmax=limit, aspect="auto")
        ax.set_title(title, loc="left")
        ax.set_ylabel(f"dimension\n(first {dims})")
    axes[-1].set_xticks(range(n), tokens, rotation=60, ha="right")
    axes[-1].set_xlabel("position (token)")
    fig.colorbar(image, ax=axes, shrink=0.6, label="value")
    fig.suptitle("BERT's input: three embeddings added position by position", fontweight="bold")
    return fig


# --------------------------------------------------------------------------- notebook 4

def plot_pretraining_history(history: Mapping[str, Mapping[str, Sequence[float]]], *, title: str = "Pre-training",
                             smooth: int = 20):
    """Loss per step (left) and held-out accuracies (right) of a ``pretrain`` history."""
    train, evals = history["train"], history["eval"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(WIDTH + 2, 4))
    steps = np.asarray(train["step"])
    sentence = "SOP" if "sop_accuracy" in evals else "NSP"  # the run's sentence objective, if any
    # "sentence_loss" is what pretrain() records; "nsp_loss" is kept for histories stored by older runs.
    for key, label in (("mlm_loss", "MLM loss"), ("sentence_loss", f"{sentence} loss"), ("nsp_loss", "NSP loss")):
        values = np.asarray(train.get(key, []), dtype=float)
        if len(values) == 0 or np.all(np.isnan(values)):
            continue
        k = min(smooth, len(values))
        smoothed = np.convolve(values, np.ones(k) / k, mode="valid")
        left.plot(steps[k - 1:], smoothed, label=label, linewidth=2)
    left.set_title(f"training loss (moving average of {smooth} steps)")
    left.set_xlabel("training step")
    left.set_ylabel("cross-entropy")
    left.grid(alpha=0.3)
    left.legend()
    series = (("mlm_accuracy", "MLM, all selected", "-"), ("mlm_accuracy_masked", "MLM at [MASK]", "--"),
              ("mlm_accuracy_random", "MLM at random token", ":"), ("mlm_accuracy_kept", "MLM at kept token", "-."),
              ("nsp_accuracy", "NSP", "-"), ("sop_accuracy", "SOP", "-"))
    for key, label, style in series:
        if key in evals:
            right.plot(evals["step"], evals[key], style, marker="o", markersize=3, label=label)
    right.set_ylim(0, 1.02)
    right.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    right.set_title("held-out accuracy")
    right.set_xlabel("training step")
    right.set_ylabel("accuracy")
    right.grid(alpha=0.3)
    right.legend(fontsize=8, loc="lower right")
    fig.suptitle(title, fontweight="bold")
    fig.tight_layout()
    return fig


def plot_attention_heatmap(attentions, tokens: Sequence[str], *, layer: int = -1, title: str | None = None):
    """The attention weights of every head of one layer for one sequence.

    ``attentions`` is the per-layer tuple a model returns with ``output_attentions=True`` (each
    ``(batch, heads, seq, seq)``; the first sequence of the batch is drawn) or one such tensor.
    Row = the position attending, column = the position attended to; each row sums to 1.
    """
    num_layers = len(attentions) if isinstance(attentions, (tuple, list)) else None
    weights = attentions[layer] if isinstance(attentions, (tuple, list)) else attentions
    weights = torch.as_tensor(weights).detach().float()
    if weights.dim() == 4:
        weights = weights[0]
    if weights.dim() != 3:
        raise ValueError(f"attentions has shape {tuple(weights.shape)}, which is not allowed: each layer must be "
                         "(batch, heads, seq, seq) or (heads, seq, seq).")
    _check_same_length("tokens", tokens, "the attention rows", weights[0])
    heads = weights.shape[0]
    cols = min(heads, 4)
    rows = math.ceil(heads / cols)
    size = WIDTH / cols
    fig, axes = plt.subplots(rows, cols, figsize=(WIDTH, size * rows + 0.6), squeeze=False)
    for h, ax in enumerate(axes.flat):
        if h >= heads:
            ax.axis("off")
            continue
        ax.imshow(weights[h].numpy(), cmap="viridis", vmin=0, vmax=1)
        ax.set_xticks(range(len(tokens)), tokens, rotation=90, fontsize=7)
        ax.set_yticks(range(len(tokens)), tokens, fontsize=7)
        ax.set_title(f"head {h}")
        ax.set_xlabel("attended to")
        if h % cols == 0:
            ax.set_ylabel("attending")
    if num_layers is None:
        layer_name = "one layer"
    else:
        layer_name = f"layer {layer % num_layers + 1} of {num_layers}"
    fig.suptitle(title or f"Attention weights, {layer_name} (brighter = more attention)", fontweight="bold")
    fig.tight_layout()
    return fig


def project_2d(vectors) -> tuple[torch.Tensor, torch.Tensor]:
    """Principal-component projection of ``vectors`` (n, d) onto 2 dimensions.

    Returns ``(coordinates (n, 2), explained)`` where ``explained`` holds the fraction of the total
    variance each of the two components keeps. The sign of a component is fixed (its largest
    coordinate is positive) so the picture is the same on every run.
    """
    x = torch.as_tensor(vectors).detach().float()
    if x.dim() != 2 or x.shape[0] < 3:
        raise ValueError(f"vectors has shape {tuple(x.shape)}, which is not allowed: it must be (n, d) with n >= 3.")
    x = x - x.mean(dim=0, keepdim=True)
    # SVD of the centred data: the right singular vectors are the principal directions.
    _, s, vh = torch.linalg.svd(x, full_matrices=False)
    coords = x @ vh[:2].T
    for k in range(2):
        if coords[coords[:, k].abs().argmax(), k] < 0:
            coords[:, k] = -coords[:, k]
    explained = (s[:2] ** 2) / (s ** 2).sum()
    return coords, explained


def plot_embedding_projection(vectors, words: Sequence[str], kinds: Sequence[str], *,
                              title: str = "Word embeddings projected to 2-D"):
    """Scatter the 2-D projection of word vectors, one colour per kind of word, each point labelled."""
    _check_same_length("vectors", vectors, "words", words)
    _check_same_length("words", words, "kinds", kinds)
    coords, explained = project_2d(vectors)
    fig, ax = plt.subplots(figsize=(WIDTH, 6.5))
    for kind in dict.fromkeys(kinds):
        idx = [i for i, k in enumerate(kinds) if k == kind]
        ax.scatter(coords[idx, 0], coords[idx, 1], label=kind, s=40)
    for (x, y), word in zip(coords.tolist(), words):
        ax.annotate(word, (x, y), fontsize=8, xytext=(3, 2), textcoords="offset points")
    ax.set_xlabel(f"principal component 1 ({explained[0]:.0%} of variance)")
    ax.set_ylabel(f"principal component 2 ({explained[1]:.0%} of variance)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(title="kind of word", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- notebook 5

def plot_log_panels(quantities: Mapping[str, Mapping[str, float]], *, title: str):
    """One panel per quantity, one bar per model, each on a log scale (for sizes that differ by
    orders of magnitude). ``quantities`` maps a quantity ("parameters") to ``{model: value}``; each
    bar is labelled with its value in scientific notation."""
    _check_nonempty("quantities", quantities)
    fig, axes = plt.subplots(1, len(quantities), figsize=(WIDTH, 3.6), squeeze=False)
    for ax, (quantity, values) in zip(axes[0], quantities.items()):
        _check_nonempty(f"quantities[{quantity!r}]", values)
        names = list(values)
        heights = [float(values[n]) for n in names]
        if min(heights) <= 0:
            raise ValueError(f"quantities[{quantity!r}] has a value <= 0: a log scale needs positive values.")
        bars = ax.bar(names, heights, color=[f"C{i}" for i in range(len(names))])
        ax.set_yscale("log")
        ax.set_ylim(min(heights) / 5, max(heights) * 20)  # room for the labels above the bars
        for bar, h in zip(bars, heights):
            ax.annotate(f"{h:.1e}", (bar.get_x() + bar.get_width() / 2, h), xytext=(0, 3),
                        textcoords="offset points", ha="center", fontsize=8)
        ax.set_title(quantity)
        ax.tick_params(axis="x", labelrotation=20)
        ax.grid(alpha=0.3, axis="y")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_learning_curve(curves: Mapping[str, Mapping[int, float]], *, title: str, ylabel: str = "test accuracy",
                        chance: float | None = None):
    """Score against the number of labeled training examples, one line per starting point.

    ``curves`` maps a name (for example ``"pre-trained"``, ``"from scratch"``) to
    ``{num_labels: score}``. The x axis is logarithmic: each step doubles or quadruples the labels.
    """
    _check_nonempty("curves", curves)
    fig, ax = plt.subplots(figsize=(WIDTH, 4))
    colours = {}
    for name, points in curves.items():
        xs = sorted(points)
        style = "--" if "scratch" in name else "-"  # dashed = no pre-training
        (line,) = ax.plot(xs, [points[x] for x in xs], style, marker="o", linewidth=2, label=name)
        colours[name] = line.get_color()
    all_x = sorted({x for p in curves.values() for x in p})
    # Value labels sit to the right of their point; at one x, labels closer than LABEL_GAP are pushed
    # apart (and drawn in their line's colour) so that close scores never print over each other.
    for x in all_x:
        names = [n for n in curves if x in curves[n]]
        heights = label_positions([curves[n][x] for n in names], gap=LABEL_GAP)
        for name, y in zip(names, heights):
            ax.annotate(f"{curves[name][x]:.0%}", (x, curves[name][x]), xytext=(x * 1.12, y), textcoords="data",
                        fontsize=8, color=colours[name], va="center")
    if chance is not None:
        ax.axhline(chance, color="grey", linestyle="--", label="chance")
    ax.set_xscale("log", base=2)
    ax.set_xlim(all_x[0] / 1.4, all_x[-1] * 1.6)  # room for the labels of the last point
    ax.set_xticks(all_x, [str(x) for x in all_x])
    ax.set_ylim(0, 1.05)
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.set_xlabel("labeled training examples")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- notebook 5c


def plot_ours_beside_paper(ours: Mapping[str, Mapping[str, tuple[float, float, float]]],
                           paper: Mapping[str, Mapping[str, float]], *, title: str, ylabel: str,
                           paper_title: str, paper_ylabel: str):
    """Two panels: our arms (a dot at the mean, a bar for its 95% interval), grouped by setting, and
    beside them the paper's figures for the same arms (dots; papers report one run, no interval).

    ``ours``: ``{setting: {arm: (mean, low, high)}}`` as fractions; ``paper``: ``{setting: {arm: value}}``
    in the paper's own units (usually 0-100). An arm has one colour in both panels. Dots, not bars: the
    differences are a few points near the top of the scale, where bars from zero would hide them.
    """
    _check_nonempty("ours", ours)
    _check_nonempty("paper", paper)
    arms = list(dict.fromkeys(arm for data in (ours, paper) for group in data.values() for arm in group))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    colour = {arm: colours[i % len(colours)] for i, arm in enumerate(arms)}
    fig, axes = plt.subplots(1, 2, figsize=(WIDTH, 4.4), gridspec_kw={"width_ratios": [len(ours), len(paper)]})
    for ax, data, panel_title, label in ((axes[0], ours, title, ylabel), (axes[1], paper, paper_title, paper_ylabel)):
        for x, group in enumerate(data.values()):
            for i, arm in enumerate(group):
                offset = (i - (len(group) - 1) / 2) * 0.18
                value = group[arm]
                if isinstance(value, tuple):
                    mean, low, high = (100 * v for v in value)
                    ax.errorbar(x + offset, mean, yerr=[[mean - low], [high - mean]], fmt="o", capsize=4,
                                color=colour[arm])
                else:
                    ax.plot(x + offset, value, "o", color=colour[arm])
        ax.set_xticks(range(len(data)), list(data), fontsize=9)
        ax.set_xlim(-0.6, len(data) - 0.4)
        ax.set_title(panel_title, fontsize=10)
        ax.set_ylabel(label)
        ax.grid(axis="y", alpha=0.3)
    handles = [plt.Line2D([], [], marker="o", linestyle="", color=colour[arm]) for arm in arms]
    fig.legend(handles, arms, loc="lower center", ncol=len(arms), fontsize=9, frameon=False)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return fig
