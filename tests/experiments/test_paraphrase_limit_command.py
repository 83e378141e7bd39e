"""benchmarks/paraphrase_limit.py: bad requests exit 2 with one line; a tiny run writes every kind of pair."""
from __future__ import annotations

import importlib.util
import json

import pytest

from helpers.paths import REPOSITORY_DIR


@pytest.fixture(scope="module")
def command():
    spec = importlib.util.spec_from_file_location("paraphrase_limit", REPOSITORY_DIR / "benchmarks" / "paraphrase_limit.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("argv, message", [
    (["--quick"], "give --out another path"),
    (["--grid", "1000", "--out", "x.json"], "--grid=1000 is not allowed"),
    (["--encoder", "missing.pt", "--out", "x.json"], "--encoder=missing.pt is not allowed"),
])
def test_bad_requests_exit_2_with_one_line(command, capsys, argv, message):
    assert command.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_one_tiny_run_scores_every_kind_of_pair(command, tmp_path):
    run = command.one_run(("pre-trained", 16, 2, 0, str(REPOSITORY_DIR / "checkpoints" / "course.pt")))
    assert set(run["by_kind"]) == set(command.KINDS) and sum(run["pairs"].values()) == 500
    assert abs(run["accuracy"] - sum(run["by_kind"][k] * run["pairs"][k] for k in command.KINDS) / 500) < 1e-9
    json.dumps(run)
