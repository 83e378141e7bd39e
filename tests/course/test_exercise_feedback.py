"""What the learner sees and what is saved: attempts, then a hint, then a solution; the static view; the
time limit and interrupts (one line each, attempt saved); and the light catalog."""
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import matplotlib
import pytest

from helpers.course import exercises as ex
from helpers.course import solutions as S
from helpers.course.exercises.limits import TimeLimitExceeded, time_limit
from helpers.course.progress import ProgressStore, progress_summary, record_exercise, record_exercise_help

sys.path.insert(0, str(Path(__file__).resolve().parent))
import exercise_implementations as I  # noqa: E402

matplotlib.use("Agg")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def loops_forever(*args, **kwargs):
    while True:
        pass


def sleeps(*args, **kwargs):
    time.sleep(60)


def swallows_everything(*args, **kwargs):
    while True:
        try:
            while True:
                pass
        except Exception:  # what a learner might write; the time limit is not an Exception
            pass


def presses_stop(*args, **kwargs):
    raise KeyboardInterrupt  # what "interrupt the kernel" raises inside the running function


# ---------------------------------------------------------------- attempt, hint, solution


def test_hint_after_a_failed_attempt_then_the_solution(tmp_path):
    store = ProgressStore(tmp_path / "progress.json")
    first = ex.check_choose_positions(I.not_written, store=store)
    assert first.hint_button.disabled and first.reveal_button.disabled
    assert "after your first attempt" in first.hint_button.tooltip
    first.show_hint()
    first.reveal()
    assert first.hint.layout.display == "none" and first.solution.layout.display == "none"
    assert not (tmp_path / "progress.json").exists()  # a skeleton's check saves nothing

    wrong = ex.check_choose_positions(I.choose_manual_seed, store=store)
    assert not wrong.hint_button.disabled and wrong.reveal_button.disabled
    assert "Read a hint first" in wrong.reveal_button.tooltip
    wrong.hint_button.click()
    assert "generator=generator" in wrong.hint.value and wrong.hint.layout.display is None
    assert "special_tokens_mask == 0" not in wrong.hint.value  # the idea, not the code
    assert not wrong.reveal_button.disabled
    wrong.reveal_button.click()
    assert "ordinary = special_tokens_mask == 0" in wrong.solution.value and wrong.solution.layout.display is None

    right = ex.check_choose_positions(S.choose_positions, store=store)
    assert "Passed" in right.verdict.value and not right.reveal_button.disabled
    entry = store.load()["exercises"]["mlm-choose-positions"]
    assert (entry["attempts"], entry["passed"], entry["first_pass_attempt"], entry["notebook"]) == (2, True, 2, "2")
    assert (entry["hints"], entry["reveals"]) == (1, 1)

    # a later session: the skeleton is back (kernel restarted); the saved attempt and hint still unlock both
    again = ex.check_choose_positions(I.not_written, store=store)
    assert not again.hint_button.disabled and not again.reveal_button.disabled and "Not yet" in again.verdict.value


def test_a_pass_unlocks_the_solution_without_a_hint(tmp_path):
    feedback = ex.check_mlm_loss(S.mlm_loss, store=ProgressStore(tmp_path / "p.json"))
    assert not feedback.reveal_button.disabled
    feedback.reveal()
    assert "def mlm_loss" in feedback.solution.value


def test_static_view_shows_the_verdict_with_hint_and_solution_folded_and_labelled():
    feedback = ex.check_mlm_loss(I.loss_summed, save=False)
    bundle = feedback._repr_mimebundle_()
    assert WIDGET_VIEW in bundle
    static = bundle["text/html"]
    assert "a mean, not a sum" in static
    assert "<details><summary>Hint" in static and "<details><summary>A solution, folded away" in static
    assert "F.cross_entropy(logits[selected], labels[selected])" in static.split("<summary>A solution")[1]
    assert "cross_entropy(logits[selected]" not in static.split("<summary>A solution")[0]  # nothing before the fold
    assert "cross_entropy(" not in feedback.verdict.value  # the verdict itself gives no code away
    assert "repeating the batch twice" in bundle["text/plain"]


def test_not_yet_static_output_is_stable_and_folds_the_solution():
    bundles = [ex.check_corrupt(I.not_written, save=False)._repr_mimebundle_() for _ in range(2)]
    assert bundles[0]["text/plain"] == bundles[1]["text/plain"] and "Not yet" in bundles[0]["text/plain"]
    static = bundles[0]["text/html"]
    assert static.index("Not yet") < static.index("<details><summary>A solution, folded away")


def test_an_unwritable_progress_file_is_reported_not_fatal(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the progress folder should be")
    feedback = ex.check_nsp_example(S.nsp_example, store=ProgressStore(blocker / "p.json"))
    assert "Passed" in feedback.verdict.value and "Progress not saved" in feedback.status.value
    feedback.show_hint()  # the hint still shows; saving it fails quietly with the same note
    assert "Hint" in feedback.hint.value


def test_record_exercise_help_counts_and_keeps_the_rest(tmp_path):
    path = tmp_path / "progress.json"
    answer = {"attempts": 1, "first_try_correct": True, "correct": True}
    path.write_text(json.dumps({"version": 1, "answers": {"q": answer}, "cards": {}, "practice_rounds": 3}))
    store = ProgressStore(path)
    record_exercise("nsp-example", False, notebook="3", store=store)
    record_exercise_help("nsp-example", "hint", notebook="3", store=store)
    entry = record_exercise_help("nsp-example", "solution", notebook="3", store=store)
    assert (entry["attempts"], entry["hints"], entry["reveals"]) == (1, 1, 1)
    assert store.load()["answers"] == {"q": answer}
    with pytest.raises(ValueError, match="kind='answer' is not allowed"):
        record_exercise_help("nsp-example", "answer", notebook="3", store=store)


def test_a_damaged_hint_count_is_dropped_with_its_entry_not_the_file(tmp_path):
    path = tmp_path / "progress.json"
    path.write_text(json.dumps({"version": 1, "answers": {}, "cards": {}, "practice_rounds": 0,
                                "exercises": {"heads": {"attempts": 2, "passed": False, "hints": "many"},
                                              "mlm-loss": {"attempts": 1, "passed": True, "hints": 1}}}))
    with pytest.warns(RuntimeWarning, match="hints='many'"):
        data = ProgressStore(path).load()
    assert list(data["exercises"]) == ["mlm-loss"]


def test_progress_plot_lists_the_core_exercises(tmp_path):
    from helpers.course.plots import plot_progress

    store = ProgressStore(tmp_path / "progress.json")
    record_exercise("mlm-loss", True, notebook="2", store=store)
    record_exercise("heads", False, notebook="5", store=store)
    record_exercise("align-labels", True, notebook="5a", store=store)  # a stretch exercise: saved, not plotted
    fig = plot_progress(progress_summary(store=store), exercises=ex.EXERCISES.values())
    ax = fig.axes[2]
    assert ax.get_title() == "Coding exercises" and "1 of 5 passed" in ax.get_xlabel()
    texts = [t.get_text() for t in ax.texts]
    assert texts == ["not tried", "not tried", "passed, 1 attempt", "not tried", "tried, 1 attempt"]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "1. choose positions (nb 2)" and "(nb 5)" in labels[4]


def test_the_catalog_loads_without_torch_or_the_training_code():
    code = ("import sys\nfrom helpers.course.exercises import EXERCISES, STRETCH_EXERCISES\n"
            "assert len(EXERCISES) == 5 and len(STRETCH_EXERCISES) >= 2\n"
            "heavy = sorted(m for m in sys.modules if m == 'torch' or m.startswith(('helpers.training', "
            "'helpers.modeling', 'ipywidgets')))\nprint(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PYTHONPATH": str(Path(ex.__file__).parents[3])})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_the_package_stays_small():
    """No module over 500 lines, no function over 60 (docstrings not counted)."""
    import ast

    package = Path(ex.__file__).parent
    for path in sorted(package.glob("*.py")):
        source = path.read_text()
        assert len(source.splitlines()) <= 500, path.name
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                first = node.body[0]
                if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                    lines -= first.end_lineno - first.lineno + 1
                assert lines <= 60, f"{path.name}: {node.name} has {lines} lines"


def test_old_names_still_import_from_the_package():
    from helpers.course.exercises import (EXERCISES, check_choose_positions, check_corrupt, check_heads,  # noqa: F401
                                          check_mlm_loss, check_nsp_example, pretrain_with_your_masking)
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        ex.nope  # noqa: B018


# ---------------------------------------------------------------- the time limit and interrupts


@pytest.mark.parametrize("runaway", [loops_forever, sleeps, swallows_everything])
def test_a_function_that_never_returns_is_stopped_with_one_line(runaway):
    start = time.perf_counter()
    result = ex.run_check("mlm-choose-positions", runaway, seconds=0.5)
    assert time.perf_counter() - start < 5  # stopped, not waited out (the loop would run forever)
    assert not result.passed and not result.not_yet
    assert result.stopped.startswith("choose_positions had not returned after 0.5 s, so the check stopped it")
    assert "Stopped" in result.headline() and "Traceback" not in result.text()


def test_the_time_limit_is_said_and_the_attempt_saved(tmp_path, monkeypatch):
    monkeypatch.setattr("helpers.course.exercises.runner.TIME_LIMIT_SECONDS", 0.5)
    store = ProgressStore(tmp_path / "p.json")
    feedback = ex.check_heads(S.sequence_head, loops_forever, store=store)
    assert "token_head had not returned after 0.5 s" in feedback.verdict.value
    assert store.load()["exercises"]["heads"]["attempts"] == 1
    assert not feedback.hint_button.disabled  # a stopped attempt is an attempt


def test_an_interrupt_is_one_line_and_the_attempt_is_saved(tmp_path):
    store = ProgressStore(tmp_path / "p.json")
    feedback = ex.check_corrupt(presses_stop, store=store)
    assert "you interrupted the check while corrupt was running" in feedback.verdict.value
    entry = store.load()["exercises"]["mlm-corrupt"]
    assert entry["attempts"] == 1 and entry["passed"] is False


def interrupts_itself(*args, **kwargs):
    """A real SIGINT that arrives while the learner's function runs (sent from inside it, so a slow
    machine cannot deliver it before the check has started), then a wait it never finishes."""
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(5)


def test_a_real_sigint_during_the_check_is_caught():
    # A process started in the background by a non-interactive shell (nohup, `cmd &`) inherits SIGINT
    # ignored, and Python then leaves it ignored; a learner's kernel has Python's usual handler.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        result = ex.run_check("nsp-example", interrupts_itself, seconds=10)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert "you interrupted the check" in result.stopped


def test_the_time_limit_leaves_no_timer_behind():
    before = signal.getsignal(signal.SIGALRM)
    ex.run_check("mlm-loss", S.mlm_loss, seconds=0.2)
    ex.run_check("mlm-loss", loops_forever, seconds=0.2)
    assert signal.getsignal(signal.SIGALRM) == before and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    time.sleep(0.4)  # a stray alarm would raise here


def test_the_watchdog_thread_stops_a_loop_where_signals_cannot():
    """The fallback (Windows; a check run outside the main thread) raises inside the looping thread."""
    with pytest.raises(TimeLimitExceeded):
        with time_limit(0.3, method="thread") as method:
            assert method == "thread"
            loops_forever()
    outcome = {}

    def in_a_thread():
        outcome["result"] = ex.run_check("mlm-choose-positions", loops_forever, seconds=0.3)

    worker = threading.Thread(target=in_a_thread)
    worker.start()
    worker.join(timeout=5)
    assert not worker.is_alive() and "had not returned after 0.3 s" in outcome["result"].stopped


def test_the_watchdog_leaves_no_pending_exception():
    for _ in range(20):  # stop right at the deadline, again and again: nothing may land afterwards
        try:
            with time_limit(0.01, method="thread"):
                time.sleep(0.009)
        except TimeLimitExceeded:
            pass  # in time: raised inside the block, as it should be
        sum(range(100_000))  # outside the block: a late exception would be raised here
    time.sleep(0.05)


def test_time_limit_arguments_are_checked():
    with pytest.raises(ValueError, match="method='fork' is not allowed"):
        with time_limit(1, method="fork"):
            pass


def test_the_course_version_stays_folded_until_passed_or_revealed(tmp_path):
    from helpers.objectives.mlm import mask_tokens

    store = ProgressStore(tmp_path / "p.json")
    folded = ex.course_version("mlm-corrupt", mask_tokens, start="# ---- 1. select", store=store)
    page = folded._repr_html_()
    assert page.startswith('<details class="bert-course-version"><summary>') and "a solution to Exercise 2" in page
    assert "select" in page.split("</summary>")[1]  # the code is there, folded
    record_exercise("mlm-corrupt", False, notebook="2", store=store)
    assert "<details class=\"bert-course-version\"><summary>" in ex.course_version(
        "mlm-corrupt", mask_tokens, store=store)._repr_html_()  # a failed attempt does not open it
    record_exercise_help("mlm-corrupt", "solution", notebook="2", store=store)
    opened = ex.course_version("mlm-corrupt", mask_tokens, store=store)
    assert opened._repr_html_().startswith('<details class="bert-course-version" open>') and "shown" in repr(opened)
    with pytest.raises(ValueError, match="exercise_id='nope' is not allowed"):
        ex.course_version("nope", mask_tokens)
