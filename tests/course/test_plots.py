"""The course's plots draw what their data holds (checked on the figure's lines, not by eye)."""
from __future__ import annotations

import math
import os
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from helpers.course.plots import plot_pretraining_history  # noqa: E402
from helpers.paths import REPOSITORY_DIR  # noqa: E402


def _history(sentence: str | None) -> dict:
    steps = list(range(1, 41))
    train = {"step": steps, "mlm_loss": [8 - 0.1 * s for s in steps],
             "sentence_loss": [0.69 - 0.005 * s for s in steps] if sentence else [math.nan] * len(steps)}
    evals = {"step": [0, 20, 40], "mlm_accuracy": [0.0, 0.3, 0.5], "mlm_accuracy_masked": [0.0, 0.3, 0.5],
             "mlm_accuracy_random": [0.0, 0.2, 0.4], "mlm_accuracy_kept": [0.0, 0.6, 0.8]}
    if sentence:
        evals[f"{sentence}_accuracy"] = [0.5, 0.6, 0.7]
    return {"train": train, "eval": evals}


@pytest.mark.parametrize("sentence, expected", [("nsp", "NSP"), ("sop", "SOP"), (None, None)])
def test_pretraining_history_draws_the_sentence_loss_and_accuracy(sentence, expected):
    fig = plot_pretraining_history(_history(sentence), smooth=5)
    left, right = fig.axes
    loss_labels = [line.get_label() for line in left.get_lines()]
    accuracy_labels = [line.get_label() for line in right.get_lines()]
    if expected:
        assert loss_labels == ["MLM loss", f"{expected} loss"]
        assert accuracy_labels[-1] == expected
        sentence_line = left.get_lines()[1]
        assert sentence_line.get_ydata()[0] == pytest.approx(sum(0.69 - 0.005 * s for s in range(1, 6)) / 5)
    else:  # MLM only: no sentence curve at all, rather than an empty or NaN one
        assert loss_labels == ["MLM loss"]
        assert "NSP" not in accuracy_labels and "SOP" not in accuracy_labels
    matplotlib.pyplot.close(fig)


def test_plots_load_no_training_stack():
    """Drawing a figure must not import the exercise checks or the training code (a fresh process)."""
    code = ("import sys, helpers.course.plots\n"
            "print(sorted(m for m in sys.modules if m.startswith('helpers.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(REPOSITORY_DIR)}).stdout
    loaded = eval(out)  # a printed list of module names
    assert loaded == ["helpers.course", "helpers.course.label_layout", "helpers.course.plots",
                      "helpers.course.progress_plot", "helpers.errors"], loaded


def test_plot_ours_beside_paper_gives_each_arm_one_colour():
    import matplotlib.pyplot as plt

    from helpers.course.plots import plot_ours_beside_paper

    fig = plot_ours_beside_paper({"task": {"a": (0.9, 0.88, 0.92), "b": (0.8, 0.79, 0.81)}},
                                 {"paper task": {"b": 84.0, "a": 84.5}}, title="ours", ylabel="score (%)",
                                 paper_title="paper", paper_ylabel="dev score")
    ours, paper = fig.axes
    colour_of = lambda ax: {round(line.get_ydata()[0], 1): line.get_color() for line in ax.get_lines()  # noqa: E731
                            if len(line.get_ydata()) == 1}
    assert colour_of(ours)[90.0] == colour_of(paper)[84.5] and colour_of(ours)[80.0] == colour_of(paper)[84.0]
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["a", "b"]
    plt.close(fig)


def test_training_curves_draw_baselines_dashed_and_the_legend_outside():
    import matplotlib.pyplot as plt

    from helpers.course.plots import plot_training_curves

    fig = plot_training_curves({"run": [0.1, 0.3, 0.4]}, steps=[0, 100, 200], title="t",
                               baselines={"most common word": 0.13}, legend_outside=True)
    ax = fig.axes[0]
    run, baseline = ax.get_lines()
    assert run.get_linestyle() == "-" and baseline.get_linestyle() == "--"
    assert list(baseline.get_ydata()) == [0.13, 0.13]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["run", "most common word"]
    assert ax.get_legend().get_bbox_to_anchor().x0 > ax.bbox.x1 - 1  # right of the axes
    plt.close(fig)
