"""A time limit for the learner's code: stop a function that never returns, with one clear line.

A check runs the learner's function in the notebook's own kernel. If that function loops forever,
the kernel would wait forever. Python cannot kill a thread, so the function is not moved to a
thread; instead an exception is raised *inside* it, in the thread that runs it, when the time is up:

* **Linux and macOS, main thread** (where a Jupyter kernel runs a cell): ``signal.setitimer`` sends
  SIGALRM at the deadline and the handler raises :class:`TimeLimitExceeded`. This stops a Python
  loop and also a ``time.sleep`` or a blocking read. The timer then repeats every
  ``REPEAT_SECONDS``, so a learner's bare ``except:`` that swallows the first one meets the next.
* **Anywhere else** (Windows, which has no SIGALRM; or a check called from another thread): a
  watchdog thread waits for the deadline and then asks the interpreter to raise the exception in the
  checked thread (``PyThreadState_SetAsyncExc``, CPython's documented C call, through ``ctypes``).
  This stops Python loops; a call that blocks inside C code (a long ``time.sleep``) is stopped when
  it returns to Python.

Neither can stop a single long computation inside one C call (a matrix product of billions of
numbers): the exception arrives when that call returns. The checks' inputs are small, so a correct
function returns in milliseconds and only loops and waits are at risk.

:class:`TimeLimitExceeded` derives from ``BaseException``, like ``KeyboardInterrupt``, so that the
learner's ``except Exception:`` does not swallow it.
"""
from __future__ import annotations

import contextlib
import ctypes
import signal
import sys
import threading
from typing import Iterator

REPEAT_SECONDS = 0.25


class TimeLimitExceeded(BaseException):
    """Raised inside the checked code when its time is up."""


def _can_use_alarm() -> bool:
    return (hasattr(signal, "setitimer") and sys.platform != "win32"
            and threading.current_thread() is threading.main_thread())


@contextlib.contextmanager
def time_limit(seconds: float, *, method: str | None = None) -> Iterator[str]:
    """Raise :class:`TimeLimitExceeded` inside the ``with`` block once ``seconds`` have passed.

    ``method`` is "alarm" (SIGALRM, POSIX main thread) or "thread" (a watchdog thread); by default
    the alarm where it works, else the thread. The block gets the method's name.
    """
    if method is None:
        method = "alarm" if _can_use_alarm() else "thread"
    if method not in ("alarm", "thread"):
        raise ValueError(f"method={method!r} is not allowed: it must be 'alarm', 'thread' or None.")
    if method == "alarm" and not _can_use_alarm():
        raise ValueError("method='alarm' is not allowed here: it needs SIGALRM and the main thread.")
    timer = _AlarmTimer(seconds) if method == "alarm" else _WatchdogTimer(seconds)
    timer.start()
    try:
        yield method
    finally:
        while True:  # the exception may land while we disarm: disarming again is harmless
            try:
                timer.stop()
                break
            except TimeLimitExceeded:
                continue


class _AlarmTimer:
    def __init__(self, seconds: float):
        self.seconds, self.active, self.previous = seconds, False, None

    def _handler(self, signum, frame) -> None:
        if self.active:
            raise TimeLimitExceeded

    def start(self) -> None:
        self.active = True
        self.previous = signal.signal(signal.SIGALRM, self._handler)
        signal.setitimer(signal.ITIMER_REAL, self.seconds, REPEAT_SECONDS)

    def stop(self) -> None:
        self.active = False  # first: from here on a late signal does nothing
        signal.setitimer(signal.ITIMER_REAL, 0)
        if self.previous is not None:
            signal.signal(signal.SIGALRM, self.previous)
            self.previous = None


class _WatchdogTimer:
    def __init__(self, seconds: float):
        self.seconds = seconds
        self.target = threading.get_ident()
        self.lock, self.done = threading.Lock(), threading.Event()
        self.active = False
        self.thread = threading.Thread(target=self._watch, name="exercise-time-limit", daemon=True)

    def _raise_in_target(self, exception) -> None:
        # exception None clears a pending one (the C call takes NULL for that)
        ctypes.pythonapi.PyThreadState_SetAsyncExc(
            ctypes.c_ulong(self.target), ctypes.py_object(exception) if exception is not None else None)

    def _watch(self) -> None:
        wait = self.seconds
        while not self.done.wait(wait):
            with self.lock:
                if not self.active:
                    return
                self._raise_in_target(TimeLimitExceeded)
            wait = REPEAT_SECONDS

    def start(self) -> None:
        self.active = True
        self.thread.start()

    def stop(self) -> None:
        with self.lock:  # the watchdog raises only while holding the lock and active
            self.active = False
            self._raise_in_target(None)  # drop an exception sent but not yet raised
        self.done.set()
