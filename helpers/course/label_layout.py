"""Where a figure's value labels go: each at its value, close ones pushed apart so that no two overlap.

Pure arithmetic (no matplotlib), so it is tested on numbers; :func:`helpers.course.plots.plot_learning_curve`
uses it, and both names stay importable from :mod:`helpers.course.plots`.
"""
from __future__ import annotations

from typing import Sequence

LABEL_GAP = 0.055  # the least vertical distance between two value labels, in axis units (score 0 to 1)


def label_positions(values: Sequence[float], *, gap: float) -> list[float]:
    """Heights for value labels: each label at its value, moved apart so that any two are >= ``gap``.

    Labels keep their order; a cluster of close values is spread evenly around its own centre.

    >>> [round(v, 2) for v in label_positions([0.70, 0.71, 0.20], gap=0.05)]
    [0.68, 0.73, 0.2]
    """
    order = sorted(range(len(values)), key=lambda i: values[i])
    clusters: list[list[int]] = []  # runs of labels (in value order) that must be spread together
    for i in order:
        clusters.append([i])
        while len(clusters) > 1:
            low, high = clusters[-2], clusters[-1]
            low_top = _centre(values, low) + gap * (len(low) - 1) / 2
            high_bottom = _centre(values, high) - gap * (len(high) - 1) / 2
            if high_bottom - low_top >= gap - 1e-12:
                break
            clusters[-2:] = [low + high]
    heights = [0.0] * len(values)
    for cluster in clusters:
        bottom = _centre(values, cluster) - gap * (len(cluster) - 1) / 2
        for k, i in enumerate(cluster):
            heights[i] = bottom + k * gap
    return heights


def _centre(values: Sequence[float], cluster: list[int]) -> float:
    return sum(values[i] for i in cluster) / len(cluster)
