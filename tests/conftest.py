"""Shared test set-up: tests never touch the learner's real progress file, and the small objects
many test modules need (a tokenizer of the storybook, a tiny BERT) are built once here.

The browser harness lives in ``tests/browser.py`` (``from browser import jupyter_lab, ...``).
"""
import os
import sys
import tempfile
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))  # so `import browser` works from any test

from browser import ENABLE_HINT, find_browser, on_ci  # noqa: E402
from helpers.modeling.bert import BertConfig, BertForPreTraining  # noqa: E402
from helpers.text.corpus import make_storybook  # noqa: E402
from helpers.training.pretraining import build_tokenizer  # noqa: E402


def pytest_configure(config):
    """The notebooks that nbval runs start their kernels from this process's environment, where no
    per-test fixture reaches: point the progress file at a temporary one for the whole session, so a
    test run never writes to the learner's ~/.bert_course/progress.json."""
    if not hasattr(config, "workerinput"):  # once per session
        folder = tempfile.mkdtemp(prefix="bert-course-tests-")
        os.environ["BERT_COURSE_PROGRESS"] = str(Path(folder) / "progress.json")


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    """The tests' models are tiny: one thread is about as fast as two, and a machine shared with other
    jobs stays usable (two threads per process spin and wait on each other when cores are busy)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(autouse=True)
def _isolated_progress(tmp_path, monkeypatch):
    """Point BERT_COURSE_PROGRESS at a temporary file for every test (tests may override it)."""
    monkeypatch.setenv("BERT_COURSE_PROGRESS", str(tmp_path / "progress-isolated.json"))


@pytest.fixture(scope="session")
def story_tokenizer():
    """A WordPiece vocabulary of the storybook big enough that every storybook word is one token, as
    with the course checkpoint (with a smaller one, long names split into many pieces)."""
    return build_tokenizer(make_storybook(1000, seed=0), 3000)


@pytest.fixture(scope="session")
def tiny_config(story_tokenizer):
    """A one-layer BERT of hidden size 32 over the storybook vocabulary, without dropout."""
    return BertConfig(vocab_size=story_tokenizer.vocab_size, hidden_size=32, num_hidden_layers=1,
                      num_attention_heads=2, intermediate_size=64, max_position_embeddings=64,
                      hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)


@pytest.fixture
def tiny_model(tiny_config):
    """A fresh, untrained tiny BertForPreTraining (seed 0) for each test."""
    torch.manual_seed(0)
    return BertForPreTraining(tiny_config).eval()


def pytest_report_header(config):
    """One line at the top of every run: which browser the browser tests use, or why they will not run."""
    path, looked = find_browser()
    if path is not None:
        return f"browser tests: {path}"
    if on_ci():
        return f"browser tests: FAIL under CI=true: no Chromium or Chrome found (looked at {looked})"
    return f"browser tests: skipped, no Chromium or Chrome found (looked at {looked}); to run them, {ENABLE_HINT}"


def _no_browser_reason() -> str | None:
    """Why the browser tests cannot run here (None when a browser is found, or under CI, where they fail)."""
    path, looked = find_browser()
    if path is not None or on_ci():
        return None
    return f"no Chromium or Chrome found (looked at {looked}); to run the browser tests, {ENABLE_HINT}"


@pytest.fixture(autouse=True)
def _browser_or_skip(request):
    """Without a browser (and outside CI) a browser test is skipped; under CI it runs and
    ``require_chromium`` fails it, saying why."""
    if "browser" in request.keywords:
        reason = _no_browser_reason()
        if reason:
            pytest.skip(reason)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Report every no-browser skip at this file, so ``-ra`` folds them into one summary line."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and "browser" in item.keywords and isinstance(report.longrepr, tuple):
        reason = _no_browser_reason()
        if reason and report.longrepr[2].endswith(reason):
            report.longrepr = ("tests/conftest.py", None, report.longrepr[2])
