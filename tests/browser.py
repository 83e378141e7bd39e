"""A small, reusable harness: JupyterLab + headless Chromium or Chrome via Playwright.

    from browser import jupyter_lab, chromium_page, open_notebook, run_all_cells, notebook_errors

    with jupyter_lab(root_dir, env={"BERT_COURSE_PROGRESS": str(tmp / "p.json")}) as lab, \\
            chromium_page() as page:
        open_notebook(page, lab, "demo.ipynb")
        run_all_cells(page, timeout=60)
        assert notebook_errors(page) == []

JupyterLab listens on 127.0.0.1 on a random free port, with a random token, and runs in its own
process group so teardown stops it and its kernels. Its user-level config, data, settings and
workspace folders are temporary, so nothing on the machine changes and no saved layout interferes.
``window.jupyterapp`` is exposed so the helpers can drive Lab through its command registry instead of
fragile menu clicks.

The browser is found by :func:`find_browser`: ``CHROME_PATH`` if it is set (it wins over every other
place, even when it names nothing), else Debian's ``/usr/bin/chromium``, else Chrome's and Chromium's
usual places on Linux and macOS. Where none is found the browser tests are skipped, with one line
saying how to enable them (``tests/conftest.py``), except under ``CI=true``, where
:func:`require_chromium` fails them: a CI run must not pass without its browser tests.
"""
from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
# After CHROME_PATH, in this order: Debian's chromium, then the usual places on Linux and macOS.
BROWSER_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome",
                 "/usr/bin/google-chrome-stable", "/opt/google/chrome/chrome", "/snap/bin/chromium",
                 "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
                 "/Applications/Chromium.app/Contents/MacOS/Chromium")
ENABLE_HINT = ("set CHROME_PATH=/path/to/chrome-or-chromium, or install Chromium (make browser does on "
               "Debian/Ubuntu; or your package manager)")


def _executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def find_browser(env=os.environ) -> tuple[str | None, str]:
    """(the Chromium or Chrome binary to use, or None; where it was looked for, for messages)."""
    named = env.get("CHROME_PATH", "").strip()
    if named:
        return (named if _executable(named) else None), f"CHROME_PATH={named!r}"
    for path in BROWSER_PATHS:
        if _executable(path):
            return path, path
    return None, "CHROME_PATH (not set), " + ", ".join(BROWSER_PATHS)


def on_ci(env=os.environ) -> bool:
    return env.get("CI", "").strip().lower() in ("true", "1", "yes")


def require_chromium() -> str:
    """The browser binary to use. Without one: skip the calling test, or under ``CI=true`` fail it."""
    path, looked = find_browser()
    if path is None:
        message = f"no Chromium or Chrome found (looked at {looked}): {ENABLE_HINT}."
        if on_ci():
            pytest.fail(f"CI=true and {message}", pytrace=False)
        pytest.skip(message)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Lab:
    base_url: str  # e.g. http://127.0.0.1:41234/
    token: str
    root_dir: Path
    process: subprocess.Popen
    log_path: Path

    def url(self, path: str = "lab") -> str:
        sep = "&" if "?" in path else "?"
        return f"{self.base_url}{path}{sep}token={self.token}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@contextlib.contextmanager
def jupyter_lab(root_dir: str | os.PathLike, env: dict[str, str] | None = None,
                timeout: float = 60) -> Iterator[Lab]:
    """Start JupyterLab on 127.0.0.1 (random port, random token) serving ``root_dir``; stop it on exit."""
    root_dir = Path(root_dir).resolve()
    port, token = free_port(), secrets.token_hex(16)
    home = Path(tempfile.mkdtemp(prefix="lab-home-"))
    full_env = {**os.environ, **(env or {}),
                "JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_DATA_DIR": str(home / "data"),
                "JUPYTER_RUNTIME_DIR": str(home / "runtime"), "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
                "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"), "PYTHONUNBUFFERED": "1"}
    # No news / update checks: no network, and no toast covering the page.
    notify = home / "settings" / "@jupyterlab" / "apputils-extension"
    notify.mkdir(parents=True)
    (notify / "notification.jupyterlab-settings").write_text('{"fetchNews": "false", "checkForUpdates": false}')
    log_path = home / "jupyterlab.log"
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
           f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
           f"--ServerApp.root_dir={root_dir}", "--LabApp.expose_app_in_browser=True",
           "--ServerApp.terminals_enabled=False"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # containers and CI often run as root
    with open(log_path, "wb") as log:
        process = subprocess.Popen(cmd, cwd=root_dir, env=full_env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)  # own process group: teardown stops kernels too
    lab = Lab(f"http://127.0.0.1:{port}/", token, root_dir, process, log_path)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with code {process.returncode}:\n{lab.log()[-3000:]}")
            try:
                with urllib.request.urlopen(lab.url("api/status"), timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"JupyterLab did not answer within {timeout} s:\n{lab.log()[-3000:]}")
            time.sleep(0.3)
        yield lab
    finally:
        _stop(process)
        shutil.rmtree(home, ignore_errors=True)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


@contextlib.contextmanager
def chromium_page(width: int = 1280, height: int = 1000):
    """A Playwright page in headless Chromium or Chrome; browser errors are collected in ``page.console_errors``."""
    from playwright.sync_api import sync_playwright

    executable = require_chromium()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.console_errors = []
            page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
            page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
            yield page
        finally:
            browser.close()


# ---------------------------------------------------------------- driving a notebook

_NOTEBOOK_STATE = """() => {
  const app = window.jupyterapp;
  const panel = app && app.shell.currentWidget;
  if (!panel || !panel.sessionContext || !panel.content || !panel.content.model) return null;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  const cells = panel.content.widgets.filter(c => c.model.type === 'code');
  return {
    kernel: kernel ? kernel.status : 'none',
    executed: cells.filter(c => c.model.executionCount !== null).length,
    running: cells.filter(c => c.promptNode && c.promptNode.textContent.includes('*')).length,
    code_cells: cells.length,
  };
}"""


def open_notebook(page, lab: Lab, path: str, timeout: float = 60) -> None:
    """Open ``path`` (relative to the Lab root) and wait until its kernel is started and idle."""
    page.goto(lab.url(f"lab/tree/{path}"), timeout=timeout * 1000)
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget "
                           "&& window.jupyterapp.shell.currentWidget.sessionContext", timeout=timeout * 1000)
    page.wait_for_function(f"() => {{ const s = ({_NOTEBOOK_STATE})(); return s && s.kernel === 'idle'; }}",
                           timeout=timeout * 1000)


def run_all_cells(page, timeout: float = 60) -> dict:
    """Run every cell (Lab's "Run All Cells" command) and wait until all ran and the kernel is idle."""
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    return wait_for_kernel_idle(page, timeout)


def wait_for_kernel_idle(page, timeout: float = 60) -> dict:
    """Wait until every code cell has an execution count, none is running, and the kernel is idle
    (seen twice in a row, so a kernel between two cells does not count as done)."""
    deadline = time.monotonic() + timeout
    stable = 0
    while time.monotonic() < deadline:
        state = page.evaluate(_NOTEBOOK_STATE)
        done = (state and state["kernel"] == "idle" and state["running"] == 0
                and state["executed"] == state["code_cells"])
        stable = stable + 1 if done else 0
        if stable >= 2:
            return state
        page.wait_for_timeout(250)
    raise TimeoutError(f"the notebook did not finish within {timeout} s; last state: {state}")


def notebook_errors(page) -> list[str]:
    """Error outputs of the open notebook (``ename: evalue``) and widgets that failed to display."""
    errors = page.evaluate("""() => {
      const panel = window.jupyterapp.shell.currentWidget;
      const found = [];
      for (const cell of panel.content.widgets) {
        if (cell.model.type !== 'code') continue;
        const outputs = cell.model.outputs;
        for (let i = 0; i < outputs.length; i++) {
          const out = outputs.get(i).toJSON();
          if (out.output_type === 'error') found.push(out.ename + ': ' + out.evalue);
        }
      }
      return found;
    }""")
    broken = page.locator(".jp-OutputArea-output", has_text="Error displaying widget")
    errors += [f"widget failed to display: {t}" for t in broken.all_inner_texts()]
    return errors
