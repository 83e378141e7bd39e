"""`make lab`: JupyterLab on 127.0.0.1 only, and it starts as root too (containers run as root)."""
from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from browser import free_port
from helpers.paths import REPOSITORY_DIR

LAB_SH = REPOSITORY_DIR / "scripts" / "lab.sh"


def dry_run(uid: int) -> list[str]:
    """What scripts/lab.sh would run for user ``uid`` (JUPYTER=echo prints the command instead)."""
    done = subprocess.run(["sh", str(LAB_SH), "notebooks/00_start_here.ipynb"], capture_output=True, text=True,
                          env={**os.environ, "JUPYTER": "echo", "LAB_UID": str(uid)}, timeout=30, check=True)
    return done.stdout.splitlines()


def test_lab_as_root_adds_allow_root_and_binds_to_localhost():
    said, command = dry_run(0)
    assert "127.0.0.1" in said and "root" in said
    assert command.split() == ["lab", "--ip=127.0.0.1", "--allow-root", "notebooks/00_start_here.ipynb"]


def test_lab_as_a_normal_user_binds_to_localhost_without_allow_root():
    said, command = dry_run(1000)
    assert "127.0.0.1" in said and "root" not in said
    assert command.split() == ["lab", "--ip=127.0.0.1", "notebooks/00_start_here.ipynb"]


def test_make_lab_goes_through_the_script():
    done = subprocess.run(["make", "-n", "lab"], cwd=REPOSITORY_DIR, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert "sh scripts/lab.sh notebooks/00_start_here.ipynb" in done.stdout
    assert "jupyter lab" not in done.stdout   # never started directly, without the root/localhost care


def test_lab_script_really_starts_jupyterlab_for_this_user(tmp_path):
    """Start the real server through scripts/lab.sh (as root when the tests run as root), wait for it
    to answer on 127.0.0.1 with a random token, then stop it."""
    port, token = free_port(), secrets.token_hex(16)
    home = Path(tempfile.mkdtemp(prefix="lab-home-", dir=tmp_path))
    env = {**os.environ, "JUPYTER": str(Path(sys.executable).parent / "jupyter"),
           "JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_DATA_DIR": str(home / "data"),
           "JUPYTER_RUNTIME_DIR": str(home / "runtime"), "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces")}
    env.pop("LAB_UID", None)
    log = home / "lab.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            ["sh", str(LAB_SH), "--no-browser", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
             f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={tmp_path}"],
            cwd=REPOSITORY_DIR, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline, status = time.monotonic() + 90, None
        while status != 200:
            assert process.poll() is None, f"JupyterLab exited ({process.returncode}):\n{log.read_text()[-2000:]}"
            assert time.monotonic() < deadline, f"JupyterLab did not answer:\n{log.read_text()[-2000:]}"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=2) as r:
                    status = r.status
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.5)
        # Without the token the API refuses.
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents", timeout=5)
            refused = False
        except urllib.error.HTTPError as error:
            refused = error.code == 403
        assert refused
        text = log.read_text()
        assert text.startswith("Starting JupyterLab on 127.0.0.1 only")
        assert ("as root" in text) == (os.geteuid() == 0)
        assert f"http://127.0.0.1:{port}/" in text
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
