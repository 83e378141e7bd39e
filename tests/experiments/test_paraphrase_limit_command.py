"""benchmarks/paraphrase_limit.py: bad requests exit 2 with one line; a tiny run writes every kind of pair."""
from __future__ import annotations

import json

import pytest

from helpers.paths import REPOSITORY_DIR

from scripts_as_modules import load_script  # tests/ is on sys.path (conftest.py)


@pytest.fixture(scope="module")
def command():
    return load_script("benchmarks/paraphrase_limit.py")


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
