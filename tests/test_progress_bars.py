"""Progress bars in a saved notebook show their final state, not the "0%" of their first display."""
import os
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from helpers.progress_bars import tqdm

ROOT = Path(__file__).resolve().parents[1]


def test_outside_a_notebook_it_is_plain_tqdm():
    assert list(tqdm(range(3), desc="plain", disable=True)) == [0, 1, 2]


def test_a_saved_notebook_stores_the_finished_bar(tmp_path, monkeypatch):
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell(
        "from helpers.progress_bars import tqdm\n"
        "for _ in tqdm(range(7), desc='counting'):\n    pass\n"
        "bar = tqdm(total=4, desc='manual')\nbar.update(4)\nbar.close()\n"
        "for _ in tqdm(range(3), desc='hidden', leave=False):\n    pass"))
    # the kernel inherits the environment: make it import this checkout's helpers
    monkeypatch.setenv("PYTHONPATH", str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    NotebookClient(nb, timeout=120, kernel_name="python3", store_widget_state=False,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    texts = [o["data"]["text/plain"] for o in nb.cells[0].outputs if o.get("data", {}).get("text/plain")]
    assert len(texts) == 3, nb.cells[0].outputs
    assert "counting: 100%" in texts[0] and "7/7" in texts[0]
    assert "manual: 100%" in texts[1] and "4/4" in texts[1]
    assert "hidden: 100%" in texts[2] and "3/3" in texts[2]  # leave=False: one line of text remains
    assert all("0%|" not in t.replace("100%|", "") for t in texts)


def test_a_notebook_bar_redraws_at_most_twice_a_second(tmp_path, monkeypatch):
    """A long run must not flood the kernel's output channel (nbval lost messages at 10 redraws a second)."""
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell(
        "from helpers.progress_bars import tqdm\n"
        "bar = tqdm(total=1, desc='rate')\nprint('mininterval', bar.mininterval)\nbar.close()"))
    monkeypatch.setenv("PYTHONPATH", str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    NotebookClient(nb, timeout=120, kernel_name="python3", store_widget_state=False,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    printed = "".join(o.get("text", "") for o in nb.cells[0].outputs if o.get("output_type") == "stream")
    assert "mininterval 0.5" in printed, nb.cells[0].outputs
