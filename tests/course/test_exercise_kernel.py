"""The time limit and the interrupt inside a real Jupyter kernel (where learners run the checks): an
endless loop is stopped with one line, "interrupt the kernel" gives one line too, and both attempts
are saved. No browser needed: the kernel is driven with jupyter_client."""
import json
import os
import time

import pytest
from jupyter_client.manager import start_new_kernel

SETUP = """
import time
import helpers.course.exercises.runner as runner
from helpers.course.exercises import check_choose_positions, check_corrupt
runner.TIME_LIMIT_SECONDS = {limit}

def choose_positions(special_tokens_mask, *, mlm_probability=0.15, generator=None):
    while True:   # the learner forgot to move on
        pass

def corrupt(input_ids, selected, *, vocab_size, mask_token_id, generator=None):
    time.sleep(120)
"""


@pytest.fixture
def kernel(tmp_path):
    env = {**os.environ, "BERT_COURSE_PROGRESS": str(tmp_path / "progress.json")}
    manager, client = start_new_kernel(kernel_name="python3", env=env, cwd=str(tmp_path))
    try:
        yield manager, client, tmp_path / "progress.json"
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def run(client, code: str, *, timeout: float = 60, during=None) -> tuple[str, list[str]]:
    """Execute ``code``; return all text it displayed and the names of any errors it raised."""
    msg_id = client.execute(code)
    texts, errors, started = [], [], time.monotonic()
    while time.monotonic() - started < timeout:
        if during is not None and time.monotonic() - started > during[0]:
            during[1]()
            during = None
        try:
            msg = client.get_iopub_msg(timeout=0.5)
        except Exception:  # queue.Empty: nothing yet
            continue
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "error":
            errors.append(content["ename"])
        elif kind == "stream":
            texts.append(content["text"])
        elif kind in ("display_data", "execute_result"):
            texts.append(content["data"].get("text/plain", ""))
        elif kind == "status" and content["execution_state"] == "idle":
            return "".join(texts), errors
    raise AssertionError(f"no answer within {timeout} s: {texts}")


def test_an_endless_loop_is_stopped_in_the_kernel_and_the_attempt_saved(kernel):
    _, client, progress = kernel
    text, errors = run(client, SETUP.format(limit=1))
    assert errors == [], text
    start = time.monotonic()
    text, errors = run(client, "check_choose_positions(choose_positions)")
    assert errors == [] and "Traceback" not in text
    assert "choose_positions had not returned after 1 s, so the check stopped it" in text
    assert time.monotonic() - start < 15
    assert json.loads(progress.read_text())["exercises"]["mlm-choose-positions"]["attempts"] == 1
    text, errors = run(client, "import threading, signal\n"  # the kernel is fine afterwards, no stray alarm
                               "print(threading.current_thread() is threading.main_thread(), "
                               "signal.getitimer(signal.ITIMER_REAL))")
    assert text.strip() == "True (0.0, 0.0)" and errors == []  # cells run in the main thread: the SIGALRM method


def test_interrupting_the_kernel_during_a_check_gives_one_line_and_saves_the_attempt(kernel):
    manager, client, progress = kernel
    run(client, SETUP.format(limit=60))
    text, errors = run(client, "check_corrupt(corrupt)", during=(2.0, manager.interrupt_kernel))
    assert errors == [] and "KeyboardInterrupt" not in text
    assert "you interrupted the check while corrupt was running" in text
    assert json.loads(progress.read_text())["exercises"]["mlm-corrupt"]["attempts"] == 1
