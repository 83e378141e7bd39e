"""Clear errors for bad input: the one set of argument checks the whole package uses.

Every public function of the course checks its arguments up front, so a learner sees what was
wrong and what is allowed, instead of a traceback from deep inside torch. Each check takes the
argument's ``name`` as it should be shown (``learning_rate`` in a call, ``--learning-rate`` on the
command line), returns the value (converted where that is harmless) and raises ``ValueError`` with
one line: ``name=value is not allowed: it must be ...``.

A setting means the same everywhere: a learning rate, a seed, a probability is checked by the same
function in pre-training, fine-tuning and on the command line.
"""
from __future__ import annotations

import math
from typing import Any

import torch

MAX_SEED = 2**31 - 1  # seeds are combined with ranks and epochs; this keeps every sum a valid torch seed


def show(value: Any) -> str:
    """``repr(value)``, cut to 80 characters: what an error message shows of a bad value."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _not_allowed(name: str, value: Any, allowed: str) -> ValueError:
    return ValueError(f"{name}={show(value)} is not allowed: it must be {allowed}.")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_number(name: str, value: Any, *, minimum: float | None = None, maximum: float | None = None,
                 open_minimum: bool = False, open_maximum: bool = False) -> float:
    """Return ``value`` as a float if it is a finite number in the range, else raise.

    ``open_minimum`` / ``open_maximum`` exclude the end itself (``(0, 1)`` rather than ``[0, 1]``).
    NaN and infinities are never allowed: a NaN setting turns every weight into NaN.
    """
    ok = _is_number(value) and math.isfinite(value)
    if ok and minimum is not None:
        ok = value > minimum if open_minimum else value >= minimum
    if ok and maximum is not None:
        ok = value < maximum if open_maximum else value <= maximum
    if not ok:
        raise _not_allowed(name, value, "a finite number" + _range_text(minimum, maximum, open_minimum, open_maximum))
    return float(value)


def _range_text(minimum, maximum, open_minimum: bool, open_maximum: bool) -> str:
    if minimum is not None and maximum is not None:
        return f" in {'(' if open_minimum else '['}{minimum:g}, {maximum:g}{')' if open_maximum else ']'}"
    if minimum is not None:
        return f" {'>' if open_minimum else '>='} {minimum:g}"
    if maximum is not None:
        return f" {'<' if open_maximum else '<='} {maximum:g}"
    return ""


def check_integer(name: str, value: Any, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` if it is an int (not a bool) from ``minimum`` to ``maximum`` (either may be None)."""
    if isinstance(value, bool) or not isinstance(value, int) or (minimum is not None and value < minimum) or (
            maximum is not None and value > maximum):
        if minimum is not None and maximum is not None:
            allowed = f"an integer from {minimum} to {maximum}"
        elif minimum is not None:
            allowed = f"an integer >= {minimum}"
        else:
            allowed = "an integer" + (f" <= {maximum}" if maximum is not None else "")
        raise _not_allowed(name, value, allowed)
    return value


def check_positive_int(name: str, value: Any, *, minimum: int = 1, maximum: int | None = None) -> int:
    """Return ``value`` if it is an int >= ``minimum`` (and <= ``maximum`` if given), else raise."""
    return check_integer(name, value, minimum=minimum, maximum=maximum)


def check_probability(name: str, value: Any, *, allow_zero: bool = False, allow_one: bool = True) -> float:
    """Return ``value`` as a float if it is a probability in the allowed interval, else raise."""
    return check_number(name, value, minimum=0, maximum=1, open_minimum=not allow_zero, open_maximum=not allow_one)


def check_learning_rate(name: str, value: Any) -> float:
    """A learning rate: a number in (0, 1). AdamW at 1 or more throws the weights far on the first step."""
    return check_number(name, value, minimum=0, maximum=1, open_minimum=True, open_maximum=True)


def check_seed(name: str, value: Any) -> int:
    """A seed: an integer from 0 to ``MAX_SEED``."""
    return check_integer(name, value, minimum=0, maximum=MAX_SEED)


def check_flag(name: str, value: Any) -> bool:
    """Return ``value`` if it is True or False (not 0, 1 or a string), else raise."""
    if value is not True and value is not False:
        raise _not_allowed(name, value, "True or False")
    return value


def check_text(name: str, value: Any) -> str:
    """Return ``value`` if it is a non-empty string (not only whitespace), else raise."""
    if not isinstance(value, str):
        raise ValueError(f"{name}={show(value)} is not allowed: it must be a string (got {type(value).__name__}).")
    if not value.strip():
        raise ValueError(f"{name}={show(value)} is not allowed: it must contain some non-space text.")
    return value


def check_choice(name: str, value: Any, allowed: tuple | list | set) -> Any:
    """Return ``value`` if it is one of ``allowed``, else raise."""
    if value not in allowed:
        options = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"{name}={show(value)} is not allowed: it must be one of {options}.")
    return value


def check_device(name: str, value: Any) -> torch.device:
    """``value`` (``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"`` or a ``torch.device``) as a device this
    machine has, else one line that says which devices it has."""
    gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    here = f"this machine has {gpus} CUDA GPU(s)" if gpus else "this machine has no CUDA GPU"
    if isinstance(value, torch.device):
        device = value
    elif isinstance(value, str):
        try:
            device = torch.device(value)
        except (RuntimeError, ValueError):
            raise ValueError(f"{name}={show(value)} is not allowed: use cpu, cuda or cuda:N ({here}).") from None
    else:
        raise ValueError(f"{name}={show(value)} is not allowed: it must be a device name such as 'cpu' or "
                         f"'cuda', or a torch.device ({here}).")
    if device.type == "cpu":
        return device
    if device.type == "cuda" and gpus and (device.index is None or device.index < gpus):
        return device
    if device.type == "mps" and torch.backends.mps.is_available():
        return device
    allowed = f"cpu, cuda or cuda:0..{gpus - 1}" if gpus else "cpu"
    raise ValueError(f"{name}={show(value)} is not allowed: {here} (use {allowed}).")
