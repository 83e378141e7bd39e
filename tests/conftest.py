"""Shared test set-up, kept small: tests never touch the learner's real progress file.

The browser harness lives in ``tests/browser.py`` (``from browser import jupyter_lab, ...``).
"""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # so `import browser` works from any test


@pytest.fixture(autouse=True)
def _isolated_progress(tmp_path, monkeypatch):
    """Point BERT_COURSE_PROGRESS at a temporary file for every test (tests may override it)."""
    monkeypatch.setenv("BERT_COURSE_PROGRESS", str(tmp_path / "progress-isolated.json"))
