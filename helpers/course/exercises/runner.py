"""Running a check: the learner's function(s) through the exercise's property tests, under a time limit.

A check is one generator per learner function (a *section*) that calls the function on fixed inputs
and yields a :class:`~helpers.course.exercises.results.Finding` per property. The runner

* forks torch's global random state (the learner's own state is left as it was) and seeds it, so a
  function that ignores its generator still gives the same verdict every run;
* turns what the learner's code does into findings, never into a traceback: ``NotImplementedError``
  is "not yet", any other error is one line naming the error and the learner's line;
* stops the whole check after :data:`TIME_LIMIT_SECONDS` (``limits.time_limit``), and treats a
  Ctrl-C / "interrupt the kernel" the same way: one line, and the attempt still counts.
"""
from __future__ import annotations

import os
import time
import traceback
from typing import Callable, Iterator

import torch

from helpers.course import solutions
from helpers.course.exercises import heads, mlm, nsp, subwords
from helpers.course.exercises.catalog import exercise as find_exercise
from helpers.course.exercises.limits import TimeLimitExceeded, time_limit
from helpers.course.exercises.results import CheckResult, Finding, SectionResult
from helpers.errors import show

# For a whole check. Whole-tensor code needs 0.02 s at most; a Python loop over every token of the inputs
# (a slow but correct first attempt) 0.4-0.5 s on an idle 2-core AMD EPYC and about 3 s at load average 10
# (benchmarks/bench_exercises.py, 1 thread).
TIME_LIMIT_SECONDS = 10.0
CHECK_SEED = 0            # the global torch seed inside a check (for learner code that uses no generator)

Section = Callable[[Callable], Iterator[Finding]]
SECTIONS: dict[str, tuple[Section, ...]] = {**mlm.SECTIONS, **nsp.SECTIONS, **heads.SECTIONS, **subwords.SECTIONS}

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_TORCH_DIR = os.path.dirname(os.path.abspath(torch.__file__))


def learner_location(err: BaseException) -> str:
    """Where in the learner's code an error happened: the last frame outside this package and torch."""
    frames = [f for f in traceback.extract_tb(err.__traceback__)
              if not os.path.abspath(f.filename).startswith((_PACKAGE_DIR, _TORCH_DIR))]
    if not frames:
        return ""
    frame = frames[-1]
    code = f": {frame.line.strip()}" if frame.line else ""
    return f" (in {frame.name}, line {frame.lineno}{code})"


def is_skeleton(err: NotImplementedError) -> bool:
    """True for the skeleton's own ``raise NotImplementedError(...)``; False for torch's "not implemented for
    'Float'" (an operation on the wrong dtype), which is the learner's error to see."""
    frames = traceback.extract_tb(err.__traceback__)
    line = (frames[-1].line or "") if frames else ""
    if line:
        return line.strip().startswith("raise NotImplementedError")
    return "not implemented for" not in str(err)


def _error_finding(name: str, err: Exception) -> Finding:
    message = str(err).strip().splitlines()[0] if str(err).strip() else ""
    return Finding(f"{name} runs on the test inputs without an error", False,
                   f"it raised {type(err).__name__}{': ' + message[:300] if message else ''}{learner_location(err)}",
                   fatal=True)


def _run_section(result: SectionResult, fn: Callable, section: Section) -> None:
    """Fill ``result`` with the section's findings; time limits and interrupts pass through."""
    steps = section(fn)
    while True:
        try:
            found = next(steps)
        except StopIteration:
            return
        except NotImplementedError as err:
            if not is_skeleton(err):
                result.findings.append(_error_finding(result.function, err))
                result.unchecked = True
                return
            result.findings.clear()
            result.not_yet = True
            return
        except Exception as err:  # the learner's code (or its output) broke the test: say how
            result.findings.append(_error_finding(result.function, err))
            result.unchecked = True
            return
        result.findings.append(found)
        if found.fatal and not found.passed:
            result.unchecked = True
            steps.close()
            return


def reference_solutions(exercise_id: str) -> tuple[Callable, ...]:
    """The reference functions of an exercise (``helpers.course.solutions``), in its check's order."""
    return tuple(getattr(solutions, name) for name in find_exercise(exercise_id).solutions)


def _check_arguments(exercise_id: str, functions: tuple) -> None:
    exercise = find_exercise(exercise_id)
    if len(functions) != len(exercise.functions):
        raise ValueError(f"check of {exercise.label} got {len(functions)} function(s), which is not allowed: pass "
                         f"{len(exercise.functions)} ({', '.join(exercise.functions)}).")
    for name, fn in zip(exercise.functions, functions):
        if not callable(fn):
            raise ValueError(f"{name}={show(fn)} is not allowed: pass the function itself (its name, without "
                             f"parentheses), for example check(..., {name}).")


def run_check(exercise_id: str, *functions: Callable, seconds: float | None = None) -> CheckResult:
    """Run an exercise's checks on the learner's function(s); save nothing, display nothing.

    ``seconds`` is the time limit for the whole check (default :data:`TIME_LIMIT_SECONDS`).
    """
    _check_arguments(exercise_id, functions)
    seconds = TIME_LIMIT_SECONDS if seconds is None else seconds
    exercise = find_exercise(exercise_id)
    start = time.perf_counter()
    sections: list[SectionResult] = []
    stopped = ""
    with torch.random.fork_rng(devices=[]):  # the learner's own random state is left alone
        torch.manual_seed(CHECK_SEED)
        torch.rand(1)  # a state no plain torch.manual_seed(...) call reproduces
        try:
            with time_limit(seconds):
                for name, fn, section in zip(exercise.functions, functions, SECTIONS[exercise_id]):
                    sections.append(SectionResult(name))
                    _run_section(sections[-1], fn, section)
        except TimeLimitExceeded:
            sections[-1].unchecked = True
            stopped = (f"{sections[-1].function} had not returned after {seconds:g} s, so the check stopped it "
                       f"(a loop that never ends, or a wait?). Whole-tensor code takes well under a second here.")
        except KeyboardInterrupt:
            if sections:
                sections[-1].unchecked = True
            stopped = (f"you interrupted the check while {sections[-1].function if sections else 'it'} was running; "
                       f"this attempt counts as not passed.")
    for name in exercise.functions[len(sections):]:
        sections.append(SectionResult(name, unchecked=True))
    return CheckResult(exercise, sections, time.perf_counter() - start, stopped)
