"""The notebooks' demonstrations (helpers/demos.py) and figures (helpers/plots.py)."""
import matplotlib

matplotlib.use("Agg")

import pytest
import torch

from helpers.course import demos

from helpers.course import plots
from helpers.text.tokenizer import WordPieceTokenizer

SENTENCES = ["the small dog barks at the mailman .", "this teddy bear is so cute .",
             "the cat sleeps on the mat .", "a telescope sees the stars ."] * 5


@pytest.fixture(scope="module")
def tokenizer():
    return WordPieceTokenizer.from_corpus(SENTENCES, vocab_size=200, min_freq=1)


def test_mask_sentence_is_seeded_and_labels_only_selected_positions(tokenizer):
    a = demos.mask_sentence(tokenizer, SENTENCES[0], mlm_probability=0.5, seed=3)
    b = demos.mask_sentence(tokenizer, SENTENCES[0], mlm_probability=0.5, seed=3)
    assert a == b
    assert a.operations[0] == a.operations[-1] == "special"  # [CLS] and [SEP] never selected
    for token, label, op in zip(a.tokens, a.labels, a.operations):
        if op in ("mask", "random", "keep"):
            assert label == token  # the target is the ORIGINAL token, whatever happened
        else:
            assert label == "-100"
    for token, seen, op in zip(a.tokens, a.inputs, a.operations):
        if op == "mask":
            assert seen == "[MASK]"
        elif op in ("keep", "not selected", "special"):
            assert seen == token


def test_masking_html_escapes_text(tokenizer):
    example = demos.MaskedExample(tokens=["[CLS]", "<script>", "[SEP]"], inputs=["[CLS]", "[MASK]", "[SEP]"],
                                  labels=["-100", "<script>", "-100"], operations=["special", "mask", "special"])
    html = demos.masking_html(example)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "1 of 1 ordinary tokens selected" in html


def test_count_operations_matches_the_mix(tokenizer):
    counts = demos.count_operations(tokenizer, SENTENCES * 50, seed=0)
    assert counts["selected"] == counts["mask"] + counts["random"] + counts["keep"]
    assert 0.12 < counts["selected"] / counts["candidates"] < 0.18
    assert 0.75 < counts["mask"] / counts["selected"] < 0.85


@pytest.mark.parametrize("outcome", ["mask", "random", "keep"])
def test_trace_mlm_targets_the_original_token_at_one_position(tokenizer, outcome):
    tokens = tokenizer.convert_ids_to_tokens(tokenizer.encode_pair(SENTENCES[0])["input_ids"])
    assert tokens[4] == "barks"  # [CLS] the small dog barks ...
    html = demos.trace_mlm_html(tokenizer, SENTENCES[0], outcome=outcome)
    assert "p(&#x27;barks&#x27; | input) at position 4 only" in html
    assert html.count(">barks<") == (3 if outcome == "keep" else 2)  # original, labels (and input if kept)
    with pytest.raises(ValueError, match="outcome"):
        demos.trace_mlm_html(tokenizer, SENTENCES[0], outcome="swap")
    with pytest.raises(ValueError, match="position=0"):
        demos.trace_mlm_html(tokenizer, SENTENCES[0], position=0)  # [CLS] is never selected


def test_trace_finetune_reads_cls_or_every_token():
    tokens = ["[CLS]", "the", "dog", "[SEP]"]
    cls = demos.trace_finetune_html(tokens, "cls", "neutral")
    assert "position 0" in cls and "neutral" in cls and cls.count("discarded") == 3
    per_token = demos.trace_finetune_html(tokens, "token", [None, "O", "O", None])
    assert per_token.count("discarded") == 2
    with pytest.raises(ValueError, match="prediction has 2 labels"):
        demos.trace_finetune_html(tokens, "token", ["O", "O"])


def test_widgets_build(tokenizer):
    assert demos.masking_widget(tokenizer, SENTENCES[1]).children
    assert demos.trace_mlm_widget(tokenizer, SENTENCES[0]).children
    assert demos.trace_finetune_widget(tokenizer, SENTENCES[0]).children


def test_source_of_cuts_between_markers():
    text = demos.source_of(demos.mask_sentence, start="encoded =", end="names =")
    assert text.startswith("encoded =") and "names =" not in text
    with pytest.raises(ValueError, match="start="):
        demos.source_of(demos.mask_sentence, start="no such line")


def test_project_2d_finds_the_direction_of_largest_variance():
    torch.manual_seed(0)
    x = torch.randn(50, 5) * torch.tensor([10.0, 3.0, 0.1, 0.1, 0.1])
    coords, explained = plots.project_2d(x)
    assert coords.shape == (50, 2)
    assert explained[0] > explained[1] > 0 and explained.sum() <= 1
    assert torch.corrcoef(torch.stack([coords[:, 0], x[:, 0]]))[0, 1].abs() > 0.99
    with pytest.raises(ValueError, match="vectors has shape"):
        plots.project_2d(torch.randn(2, 5))


def test_figures_have_titles_and_labelled_axes():
    figures = [
        plots.plot_attention_masks(["[CLS]", "a", "b", "[SEP]"]),
        plots.plot_operation_split({"mask": 80, "random": 10, "keep": 10}),
        plots.plot_training_curves({"a": [3, 2, 1], "b": [3, 3, 3]}, title="t"),
        plots.plot_grouped_bars({"g": {"x": 0.5, "y": 0.7}}, title="t", ylabel="y", xlabel="x"),
        plots.plot_learning_curve({"pre-trained": {32: 0.5, 128: 0.8}}, title="t"),
        plots.plot_embedding_projection(torch.randn(6, 4), list("abcdef"), ["k1"] * 3 + ["k2"] * 3),
    ]
    for fig in figures:
        for ax in fig.axes:
            if ax.get_label() == "<colorbar>":
                continue
            assert ax.get_title() or fig._suptitle is not None
            assert ax.get_xlabel() and ax.get_ylabel()
    with pytest.raises(ValueError, match="counts="):
        plots.plot_operation_split({"mask": 1})


def test_learning_curve_value_labels_never_overlap():
    from itertools import combinations

    from helpers.course.label_layout import LABEL_GAP, label_positions
    from helpers.course.plots import plot_learning_curve

    values = [0.84, 0.83, 0.55, 0.40, 0.41]
    heights = label_positions(values, gap=0.05)
    assert all(abs(a - b) >= 0.05 - 1e-9 for a, b in combinations(heights, 2))
    assert sorted(range(5), key=lambda i: heights[i]) == sorted(range(5), key=lambda i: values[i])  # order kept
    assert label_positions([0.2, 0.9], gap=0.05) == [0.2, 0.9]  # far apart: unmoved
    # the notebook-5 case that overlapped: close scores at 32 and at 512 labels
    curves = {"pre-trained, test": {32: 0.45, 128: 0.70, 512: 0.84},
              "pre-trained, unseen words": {32: 0.48, 128: 0.71, 512: 0.83},
              "from scratch, test": {32: 0.46, 128: 0.59, 512: 0.55},
              "from scratch, unseen words": {32: 0.45, 128: 0.40, 512: 0.40}}
    fig = plot_learning_curve(curves, title="t")
    labels = [t for t in fig.axes[0].texts]
    assert len(labels) == 12
    for x in (32, 128, 512):
        ys = [t.get_position()[1] for t in labels if abs(t.xy[0] - x) < 1e-9]
        assert all(abs(a - b) >= LABEL_GAP - 1e-9 for a, b in combinations(ys, 2)), (x, ys)


def test_log_panels_one_panel_per_quantity():
    import pytest

    from helpers.course.plots import plot_log_panels

    fig = plot_log_panels({"parameters": {"ours": 1.2e6, "BERT-base": 1.1e8},
                           "FLOPs": {"ours": 7.7e13, "BERT-base": 2.2e19}}, title="scale")
    assert [ax.get_title() for ax in fig.axes] == ["parameters", "FLOPs"]
    assert all(ax.get_yscale() == "log" for ax in fig.axes)
    assert [t.get_text() for t in fig.axes[1].texts] == ["7.7e+13", "2.2e+19"]
    with pytest.raises(ValueError, match="a log scale needs positive values"):
        plot_log_panels({"x": {"a": 0.0}}, title="t")


@pytest.mark.parametrize("kwargs, fragment", [(dict(mlm_probability=2), r"mlm_probability=2 is not allowed: it must be "
                                                                      r"a finite number in \[0.05, 1\]"),
                                              (dict(mlm_probability=float("nan")), r"mlm_probability=nan"),
                                              (dict(seed=-1), r"seed=-1 is not allowed"),
                                              (dict(seed=10**7), r"seed=10000000 is not allowed")])
def test_the_masking_widget_refuses_values_its_controls_cannot_show(story_tokenizer, kwargs, fragment):
    """A rate of 2 used to be shown as 1.0 by the slider, without a word."""
    with pytest.raises(ValueError, match=fragment):
        demos.masking_widget(story_tokenizer, **kwargs)
