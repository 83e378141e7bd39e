"""benchmarks/claims.py: bad requests exit 2 with one line; the downstream rows come from the stored
comparisons, with each pair's interval and the plateau check."""
from __future__ import annotations

import json

import pytest

from helpers import experiments as ex

from scripts_as_modules import load_script  # tests/ is on sys.path (conftest.py)


@pytest.fixture()
def claims():
    module = load_script("benchmarks/claims.py")
    module.ROWS.clear()
    return module


def test_an_unknown_claim_exits_2_with_one_line(claims, capsys):
    assert claims.main(["--only", "17"]) == 2
    err = capsys.readouterr().err.strip()
    assert "--only=17 is not allowed" in err and len(err.splitlines()) == 1


def test_downstream_rows_read_the_stored_comparisons(claims, tmp_path):
    spec = ex.ComparisonSpec("demo", "a versus b", "sentiment", ("a", "b"), num_train_examples=64, steps=100)
    stored = ex.StoredComparison(spec=spec, metric="accuracy", baseline={"test": 0.34},
                                 scores={"a": {"test": [0.80, 0.82, 0.84, 0.86, 0.88]},
                                         "b": {"test": [0.70, 0.72, 0.74, 0.76, 0.78]}},
                                 seconds={"a": [1.0] * 5, "b": [1.0] * 5}, plateau_arm="a",
                                 plateau_scores=[0.80, 0.82, 0.85, 0.86, 0.88])
    path = tmp_path / "comparisons.json"
    path.write_text(json.dumps({"run": {"started": "2026-12-02T20:00:00+00:00"}, "comparisons": [stored.to_dict()]}))
    claims.stored_comparison_rows("2", ["demo"], path)
    rows = {what: value for _, what, value, _ in claims.ROWS}
    assert rows["demo: sentiment accuracy, 64 labels, 100 steps (%)"] == "a 84.0 ± 1.4 / b 74.0 ± 1.4"
    assert rows["demo: paired difference"] == "a minus b: +10.0 points (95% interval +10.0 to +10.0): a ahead"
    assert rows["demo: plateau check, best arm a with 200 steps"] == "+0.2 points (-0.4 to +0.8): near its plateau"
