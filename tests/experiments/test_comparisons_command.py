"""benchmarks/comparisons.py: bad requests are refused with one line and exit status 2, before any
work; a quick run writes a results file that the experiments layer reads back."""
from __future__ import annotations

import dataclasses
import json

import pytest

from helpers import experiments as ex

from scripts_as_modules import load_script  # tests/ is on sys.path (conftest.py)


@pytest.fixture(scope="module")
def command():
    return load_script("benchmarks/comparisons.py")


@pytest.mark.parametrize("argv, message", [
    (["--only", "mask-nothing", "--out", "x.json"], "--only=mask-nothing is not allowed"),
    (["--workers", "0"], "--workers=0 is not allowed"),
    (["--quick"], "give --out another path"),
    (["--only", "mask-ner"], "give --out another path"),
])
def test_bad_requests_exit_2_with_one_line(command, capsys, argv, message):
    assert command.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_quick_run_of_one_comparison_writes_a_readable_file(command, tmp_path, monkeypatch):
    out = tmp_path / "quick.json"
    monkeypatch.setattr(command, "quick_specs", lambda specs: [
        dataclasses.replace(s, seeds=(0, 1), steps=2, num_train_examples=8, test_size=10) for s in specs])
    assert command.main(["--quick", "--only", "mask-ner", "--workers", "1", "--out", str(out)]) == 0
    comparisons, run = ex.load_comparisons(out)
    stored = comparisons["mask-ner"]
    assert list(comparisons) == ["mask-ner"] and run["quick"] and run["workers"] == 1
    assert set(stored.scores) == set(ex.MASK_ARMS) and len(stored.plateau_scores) == 2
    assert stored.plateau_arm in ex.MASK_ARMS and json.loads(out.read_text())["run"]["machine"]["logical_cpus"]
