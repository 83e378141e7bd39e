"""The paired statistics every downstream comparison is read with (``helpers.statistics``), on cases whose answer
is known, and the stored comparisons read with them (``helpers.comparisons``)."""
from __future__ import annotations

import math
import os
import subprocess
import sys

import pytest

from helpers import comparisons as comp
from helpers import experiments as ex
from helpers import statistics as stats
from helpers.paths import REPOSITORY_DIR


@pytest.mark.parametrize("df, expected", [(1, 12.7062), (2, 4.3027), (3, 3.1824), (4, 2.7764), (5, 2.5706),
                                          (6, 2.4469), (9, 2.2622), (10, 2.2281), (29, 2.0452), (120, 1.9799)])
def test_t_quantile_matches_the_printed_table(df, expected):
    """97.5% quantiles of Student's t, as printed in every statistics table (four decimals)."""
    assert stats.t_quantile(0.975, df) == pytest.approx(expected, abs=1e-4)


def test_t_quantile_other_levels_symmetry_and_the_normal_limit():
    assert stats.t_quantile(0.95, 4) == pytest.approx(2.1318, abs=1e-4)
    assert stats.t_quantile(0.995, 6) == pytest.approx(3.7074, abs=1e-4)
    assert stats.t_quantile(0.025, 4) == pytest.approx(-stats.t_quantile(0.975, 4))
    assert stats.t_quantile(0.5, 7) == 0.0
    assert stats.t_quantile(0.975, 2000) == pytest.approx(1.95996, abs=2e-3)  # tends to the normal's 1.96


@pytest.mark.parametrize("probability, df", [(0.0, 4), (1.0, 4), (1.5, 4), (0.975, 0), ("0.9", 4)])
def test_t_quantile_refuses_bad_input(probability, df):
    with pytest.raises(ValueError, match="is not allowed"):
        stats.t_quantile(probability, df)


def test_mean_and_standard_error():
    mean, se = stats.mean_and_standard_error([2.0, 4.0, 6.0])
    assert mean == 4.0 and se == pytest.approx(2.0 / math.sqrt(3))  # sample sd 2, over sqrt(3)
    assert math.isnan(stats.mean_and_standard_error([0.7])[1])
    with pytest.raises(ValueError):
        stats.mean_and_standard_error([])


def test_paired_difference_worked_example():
    """Differences 1..5: mean 3, sd 1.581, SE 0.7071, t(0.975, 4) = 2.7764, so 3 ± 1.963."""
    d = stats.PairedDifference("a", "b", [1.0, 2.0, 3.0, 4.0, 5.0])
    assert d.mean == 3.0 and d.standard_error == pytest.approx(0.70711, abs=1e-5)
    low, high = d.interval
    assert low == pytest.approx(1.0368, abs=1e-4) and high == pytest.approx(4.9632, abs=1e-4)
    assert d.shown
    assert d.verdict(scale=1.0, unit="") == "a minus b: +3.0 (95% interval +1.0 to +5.0): a ahead"


def test_a_difference_centred_on_zero_is_not_shown():
    d = stats.PairedDifference("a", "b", [-0.01, 0.01, -0.02, 0.02, 0.0])
    low, high = d.interval
    assert low < 0 < high and not d.shown
    assert d.verdict().endswith("no difference shown")


def test_a_negative_difference_names_the_second_arm():
    d = stats.PairedDifference("a", "b", [-0.05, -0.04, -0.06, -0.05, -0.05])
    assert d.shown and d.interval[1] < 0 and d.verdict().endswith("b ahead")


def test_pairing_finds_a_steady_gap_that_seed_noise_hides():
    """Seeds move both arms together by up to 20 points; arm a is 2 points ahead with every seed. The
    unpaired reading (means ± standard errors overlap widely) cannot see it, the paired one does."""
    seed_effect = [0.60, 0.80, 0.65, 0.75, 0.70]
    comparison = stats.PairedComparison({"a": [s + 0.02 for s in seed_effect], "b": seed_effect},
                                        seeds=[0, 1, 2, 3, 4])
    assert comparison.standard_error("a") > 0.03 and comparison.mean("a") - comparison.mean("b") == pytest.approx(0.02)
    d = comparison.difference("a", "b")
    assert d.shown and d.interval[0] == pytest.approx(0.02) and d.interval[1] == pytest.approx(0.02)


def test_paired_comparison_lines_and_every_pair():
    comparison = stats.PairedComparison({"x": [0.9, 0.8, 0.85], "y": [0.7, 0.6, 0.65], "z": [0.9, 0.8, 0.85]},
                                     seeds=[0, 1, 2])
    assert [(d.first, d.second) for d in comparison.differences()] == [("x", "y"), ("x", "z"), ("y", "z")]
    lines = comparison.lines()
    assert lines[0] == "  x   85.0% ± 2.9 (standard error, 3 seeds)"
    assert lines[3] == "  x minus y: +20.0 points (95% interval +20.0 to +20.0): x ahead"
    assert lines[4].endswith("no difference shown")  # x and z are the same numbers


def test_paired_comparison_refuses_unpaired_scores():
    with pytest.raises(ValueError, match="one score per shared seed"):
        stats.PairedComparison({"a": [0.5, 0.6], "b": [0.5]}, seeds=[0, 1])
    with pytest.raises(ValueError, match="is not allowed"):
        stats.PairedComparison({"a": [0.5], "b": [0.5]}, seeds=[0]).difference("a", "c")


def _stored(**changes):
    spec = comp.ComparisonSpec("demo", "a versus b", "sentiment", ("a", "b"), num_train_examples=64, steps=100,
                             seeds=(0, 1, 2), splits=("test", "test_heldout"))
    fields = dict(spec=spec, metric="accuracy", baseline={"test": 0.34, "test_heldout": 0.33},
                  scores={"a": {"test": [0.80, 0.82, 0.84], "test_heldout": [0.7, 0.7, 0.7]},
                          "b": {"test": [0.70, 0.74, 0.72], "test_heldout": [0.6, 0.6, 0.6]}},
                  seconds={"a": [1.0, 1.0, 1.0], "b": [1.0, 1.0, 1.0]}, plateau_arm="a",
                  plateau_scores=[0.81, 0.82, 0.86])
    fields.update(changes)
    return comp.StoredComparison(**fields)


def test_stored_comparison_reads_pairs_and_the_plateau():
    stored = _stored()
    paired = stored.paired()
    assert paired.mean("a") == pytest.approx(0.82) and paired.difference("a", "b").mean == pytest.approx(0.10)
    assert stored.paired("test_heldout").difference("a", "b").mean == pytest.approx(0.10)
    plateau = stored.plateau()   # twice the steps minus the steps, seed by seed: +1, 0, +2 points
    assert plateau.differences == pytest.approx([0.01, 0.0, 0.02]) and plateau.first == "a, 200 steps"
    assert stored.at_plateau and not _stored(plateau_scores=[0.83, 0.85, 0.86]).at_plateau   # +1 point / +2.7
    report = stored.report()
    assert report[0].startswith("sentiment: accuracy on the test split; 64 labels, 100 steps; seeds [0, 1, 2]")
    assert report[1] == "  always answering the most frequent label: 34.0%"
    assert report[-1].startswith("  plateau check: a with 200 steps moved by +1.0 points") and "near its plateau" in report[-1]


def test_stored_comparison_survives_json(tmp_path):
    import json

    stored = _stored()
    path = tmp_path / "comparisons.json"
    path.write_text(json.dumps({"run": {"command": "python benchmarks/comparisons.py"},
                                "comparisons": [stored.to_dict()]}))
    comparisons, run = comp.load_comparisons(path)
    assert comparisons["demo"] == stored and run["command"].startswith("python benchmarks/comparisons.py")
    with pytest.raises(ValueError, match="make comparisons"):
        comp.load_comparisons(tmp_path / "missing.json")


def test_the_comparison_specs_are_paired_and_name_family_arms():
    names = [spec.name for spec in comp.COMPARISON_SPECS]
    assert len(set(names)) == len(names)
    for spec in comp.COMPARISON_SPECS:
        assert len(spec.seeds) >= 5 and set(spec.arms) <= set(ex.FAMILY), spec
        assert spec.task in comp.TASK_COST


def test_the_statistics_load_no_model_or_training_code():
    """Pure arithmetic: importing it (a fresh process) loads no other helpers module than the error checks."""
    code = "import sys, helpers.statistics\nprint(sorted(m for m in sys.modules if m.startswith('helpers')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(REPOSITORY_DIR)}).stdout
    assert out.strip() == "['helpers', 'helpers.errors', 'helpers.statistics']"


def test_the_moved_names_still_import_from_helpers_experiments():
    for module in (stats, comp):
        names = [n for n in vars(module) if not n.startswith("_") and getattr(vars(module)[n], "__module__", None)
                 == module.__name__]
        assert names and all(getattr(ex, n) is getattr(module, n) for n in names), module.__name__
    assert ex.COMPARISON_SPECS is comp.COMPARISON_SPECS and ex.CONFIDENCE == stats.CONFIDENCE
