"""Paired statistics: how the downstream comparisons are read, seed by seed.

Pure arithmetic on lists of scores: Student's t quantiles without scipy (:func:`t_quantile`), a mean
and its standard error, the paired difference of two arms with its t interval
(:class:`PairedDifference`) and every pair of several arms (:class:`PairedComparison`). Kept apart
from the training stack, so that reading a stored result loads no model code (the layering test keeps
it in the base layer). Importable from :mod:`helpers.experiments` too.
"""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from helpers.errors import check_choice, check_positive_int


# ============================================================================ paired statistics
#
# Every downstream comparison runs each arm with the same seeds, and a seed fixes the labeled examples,
# their order, the head's initial weights and dropout: run i of arm X and run i of arm Y differ only in
# the arm. So the difference between two arms is measured seed by seed (paired), and its mean gets a
# 95% interval from the t distribution. A difference is called only when its interval excludes zero.

CONFIDENCE = 0.95


def _t_two_sided_probability(t: float, df: int) -> float:
    """P(|T| <= t) for Student's t with ``df`` (an integer >= 1) degrees of freedom.

    The closed form for integer degrees of freedom (Abramowitz and Stegun, 26.7.3-26.7.4): with
    theta = atan(t / sqrt(df)), a finite sum of powers of cos(theta), odd and even df separately."""
    theta = math.atan(abs(t) / math.sqrt(df))
    c2 = math.cos(theta) ** 2
    if df % 2 == 1:
        total, term = 0.0, 1.0
        if df > 1:
            total = 1.0
            for k in range(1, (df - 3) // 2 + 1):  # terms 2/3 c^2, (2*4)/(3*5) c^4, ...
                term *= (2 * k) / (2 * k + 1) * c2
                total += term
            total *= math.sin(theta) * math.cos(theta)
        return 2 / math.pi * (theta + total)
    total, term = 1.0, 1.0
    for k in range(1, (df - 2) // 2 + 1):  # terms 1/2 c^2, (1*3)/(2*4) c^4, ...
        term *= (2 * k - 1) / (2 * k) * c2
        total += term
    return math.sin(theta) * total


def t_quantile(probability: float, df: int) -> float:
    """The ``probability`` quantile of Student's t with ``df`` degrees of freedom (no scipy needed):
    ``t_quantile(0.975, 4)`` is 2.776, the factor of a 95% interval from 5 values."""
    check_positive_int("df", df)
    if not (isinstance(probability, (int, float)) and 0 < probability < 1):
        raise ValueError(f"probability={probability!r} is not allowed: it must be a number between 0 and 1.")
    if probability == 0.5:
        return 0.0
    if probability < 0.5:
        return -t_quantile(1 - probability, df)
    target = 2 * probability - 1          # P(|T| <= t) that the quantile must reach
    low, high = 0.0, 1.0
    while _t_two_sided_probability(high, df) < target:
        high *= 2
    for _ in range(200):                  # bisection: the two-sided probability grows with t
        middle = (low + high) / 2
        if _t_two_sided_probability(middle, df) < target:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def mean_and_standard_error(values) -> tuple[float, float]:
    """The mean of ``values`` and its standard error, sample standard deviation / sqrt(n)."""
    values = [float(v) for v in values]
    if not values:
        raise ValueError("values=[] is not allowed: a mean needs at least one value.")
    if len(values) == 1:
        return values[0], float("nan")
    return statistics.fmean(values), statistics.stdev(values) / math.sqrt(len(values))


@dataclass
class PairedDifference:
    """Arm ``first`` minus arm ``second``, seed by seed, with a t interval for the mean difference."""

    first: str
    second: str
    differences: list[float]               # one per shared seed, in the seeds' order
    confidence: float = CONFIDENCE

    @property
    def mean(self) -> float:
        return statistics.fmean(self.differences)

    @property
    def standard_error(self) -> float:
        return mean_and_standard_error(self.differences)[1]

    @property
    def interval(self) -> tuple[float, float]:
        """(low, high): the ``confidence`` interval of the mean difference (t, n - 1 degrees of freedom)."""
        n = len(self.differences)
        if n < 2:
            return (-math.inf, math.inf)
        half = t_quantile(0.5 + self.confidence / 2, n - 1) * self.standard_error
        return (self.mean - half, self.mean + half)

    @property
    def shown(self) -> bool:
        """True when the interval excludes zero: the data show a difference (in the sign of the mean)."""
        low, high = self.interval
        return low > 0 or high < 0

    def verdict(self, scale: float = 100.0, unit: str = " points") -> str:
        """One line a notebook prints: the difference, its interval and what may be said of it."""
        low, high = self.interval
        said = (f"{self.first if self.mean > 0 else self.second} ahead" if self.shown else "no difference shown")
        return (f"{self.first} minus {self.second}: {self.mean * scale:+.1f}{unit} "
                f"({self.confidence:.0%} interval {low * scale:+.1f} to {high * scale:+.1f}): {said}")


@dataclass
class PairedComparison:
    """Several arms scored with the same seeds: each arm's mean ± standard error, and every pair's
    paired difference with its interval. ``scores[arm][i]`` is the score of arm with ``seeds[i]``."""

    scores: dict[str, list[float]]
    seeds: list[int]
    confidence: float = CONFIDENCE

    def __post_init__(self) -> None:
        for arm, values in self.scores.items():
            if len(values) != len(self.seeds):
                raise ValueError(f"scores[{arm!r}] has {len(values)} values for {len(self.seeds)} seeds, which is "
                                 "not allowed: every arm needs one score per shared seed.")

    def mean(self, arm: str) -> float:
        return statistics.fmean(self.scores[arm])

    def standard_error(self, arm: str) -> float:
        return mean_and_standard_error(self.scores[arm])[1]

    def interval(self, arm: str) -> tuple[float, float, float]:
        """(mean, low, high): ``arm``'s mean score and its ``confidence`` interval (t, n - 1 degrees of freedom)."""
        n = len(self.seeds)
        half = t_quantile(0.5 + self.confidence / 2, n - 1) * self.standard_error(arm) if n > 1 else math.inf
        return self.mean(arm), self.mean(arm) - half, self.mean(arm) + half

    def difference(self, first: str, second: str) -> PairedDifference:
        for arm in (first, second):
            check_choice("arm", arm, list(self.scores))
        return PairedDifference(first, second, [a - b for a, b in zip(self.scores[first], self.scores[second])],
                                self.confidence)

    def differences(self) -> list[PairedDifference]:
        """Every pair of arms, in the order the arms were given."""
        arms = list(self.scores)
        return [self.difference(a, b) for i, a in enumerate(arms) for b in arms[i + 1:]]

    def lines(self, scale: float = 100.0, unit: str = "%") -> list[str]:
        """Each arm's mean ± standard error, then each pair's verdict."""
        width = max(len(arm) for arm in self.scores)
        out = [f"  {arm:{width}s}  {self.mean(arm) * scale:5.1f}{unit} ± {self.standard_error(arm) * scale:.1f} "
               f"(standard error, {len(self.seeds)} seeds)" for arm in self.scores]
        return out + [f"  {d.verdict(scale)}" for d in self.differences()]
