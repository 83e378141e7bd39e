"""The first notebook, opened and run in a real JupyterLab through headless Chromium.

Uses the shared harness in ``tests/browser.py`` (JupyterLab on 127.0.0.1 with a random port and
token, Debian's ``chromium`` driven by Playwright). The notebook is copied to a temporary folder
first, so Lab's autosave can never write into the committed notebook, and progress goes to a
temporary file. Set ``BERT_COURSE_SCREENSHOTS=/some/dir`` to keep a screenshot.
"""
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from browser import chromium_page, jupyter_lab, notebook_errors, open_notebook, require_chromium, run_all_cells

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
FIRST = ROOT / "notebooks" / "00_start_here.ipynb"


def test_start_here_runs_and_renders_in_jupyterlab(tmp_path):
    require_chromium()  # fail fast (with install instructions), before starting JupyterLab
    root = tmp_path / "course"
    root.mkdir()
    shutil.copy(FIRST, root / FIRST.name)
    progress = tmp_path / "progress" / "progress.json"

    with jupyter_lab(root, env={"BERT_COURSE_PROGRESS": str(progress)}) as lab, chromium_page() as page:
        open_notebook(page, lab, FIRST.name)
        # Start from a clean slate: the stored outputs are cleared, so whatever is seen below was
        # produced by this run.
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
        assert page.locator(".jp-OutputArea-output").count() == 0
        state = run_all_cells(page, timeout=180)
        assert state["executed"] == state["code_cells"] > 0

        assert notebook_errors(page) == [], lab.log()[-2000:]

        # The quiz widget is drawn live (its static fallback is only for kernel-less viewers).
        page.locator(".bert-quiz").first.wait_for(timeout=15_000)
        assert page.locator(".bert-course-static").count() == 0

        # The environment check printed where progress goes: our temporary file, which the notebook
        # names as such rather than printing a scratch path.
        assert str(progress).startswith(tempfile.gettempdir())
        page.get_by_text("progress    a temporary file", exact=False).first.wait_for(timeout=10_000)
        page.get_by_text("Environment OK.", exact=True).wait_for(timeout=10_000)

        # The progress plot is there as an image with real content.
        image = page.locator(".jp-RenderedImage img").last
        image.wait_for(timeout=15_000)
        box = image.bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 100, box

        if os.environ.get("BERT_COURSE_SCREENSHOTS"):
            shots = Path(os.environ["BERT_COURSE_SCREENSHOTS"])
            shots.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shots / "start_here.png"), full_page=True)
