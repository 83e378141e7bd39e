"""Clear errors for bad input.

Every public function of the course checks its arguments up front, so a learner sees what was
wrong and what is allowed, instead of a traceback from deep inside torch.
"""
from __future__ import annotations

import math
from typing import Any


def show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def check_probability(name: str, value: Any, *, allow_zero: bool = False, allow_one: bool = True) -> float:
    """Return ``value`` as a float if it is a probability in the allowed interval, else raise."""
    low = "[0" if allow_zero else "(0"
    high = "1]" if allow_one else "1)"
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if ok:
        ok = (value >= 0 if allow_zero else value > 0) and (value <= 1 if allow_one else value < 1)
    if not ok:
        raise ValueError(f"{name}={show(value)} is not allowed: it must be a number in {low}, {high}.")
    return float(value)


def check_positive_int(name: str, value: Any, *, minimum: int = 1, maximum: int | None = None) -> int:
    """Return ``value`` if it is an int >= ``minimum`` (and <= ``maximum`` if given), else raise."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum or (
            maximum is not None and value > maximum):
        allowed = f">= {minimum}" if maximum is None else f"from {minimum} to {maximum}"
        raise ValueError(f"{name}={show(value)} is not allowed: it must be an integer {allowed}.")
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
