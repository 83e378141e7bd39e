"""Where the browser tests find their browser, and what happens without one (in CI and out of it)."""
from __future__ import annotations

import os
import subprocess
import sys

import browser
from helpers.paths import REPOSITORY_DIR


def executable(path):
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return str(path)


def test_chrome_path_wins_over_every_other_place_even_when_it_names_nothing(tmp_path, monkeypatch):
    found = executable(tmp_path / "chromium")
    monkeypatch.setattr(browser, "BROWSER_PATHS", (found,))
    assert browser.find_browser({}) == (found, found)
    mine = executable(tmp_path / "my-chrome")
    assert browser.find_browser({"CHROME_PATH": mine})[0] == mine
    path, looked = browser.find_browser({"CHROME_PATH": str(tmp_path / "missing")})
    assert path is None and looked == f"CHROME_PATH={str(tmp_path / 'missing')!r}"


def test_the_usual_places_are_tried_in_order(tmp_path, monkeypatch):
    second = executable(tmp_path / "google-chrome")
    not_executable = tmp_path / "chromium"
    not_executable.write_text("")
    monkeypatch.setattr(browser, "BROWSER_PATHS", (str(not_executable), second))
    assert browser.find_browser({})[0] == second
    monkeypatch.setattr(browser, "BROWSER_PATHS", (str(not_executable),))
    assert browser.find_browser({})[0] is None


def run_browser_test(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "tests/notebooks/test_notebook_browser.py", "-p", "no:nbval",
                           "-o", "addopts=-ra --import-mode=importlib", "-q", "-p", "no:cacheprovider"],
                          capture_output=True, text=True, cwd=REPOSITORY_DIR, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(REPOSITORY_DIR), **env})


def test_without_a_browser_the_tests_are_skipped_with_one_line_outside_ci_and_fail_under_ci():
    env = {"CHROME_PATH": "/nonexistent/chrome", "CI": ""}
    outside = run_browser_test(env)
    assert outside.returncode == 0, outside.stdout
    skipped = [line for line in outside.stdout.splitlines() if line.startswith("SKIPPED")]
    assert len(skipped) == 1 and "no Chromium or Chrome found" in skipped[0] and "CHROME_PATH=" in skipped[0]
    inside = run_browser_test({**env, "CI": "true"})
    assert inside.returncode == 1 and "CI=true and no Chromium or Chrome found" in inside.stdout


def test_ensure_chromium_never_stops_the_suite():
    done = subprocess.run(["sh", "scripts/ensure-chromium.sh"], capture_output=True, text=True, cwd=REPOSITORY_DIR,
                          env={**os.environ, "CHROME_PATH": "/nonexistent/chrome"}, timeout=60)
    assert done.returncode == 0 and done.stderr.count("\n") == 1 and "will be skipped" in done.stderr
