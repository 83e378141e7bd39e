"""Properties several checks share: "every random number comes from the generator you are given".

A same-seed comparison alone proves nothing (any deterministic function passes it), so three calls
are compared: two with generators seeded alike must agree, one seeded differently must differ, and
torch's global random state must be the same before and after. Together they catch
``torch.manual_seed(...)`` inside the function, its own ``torch.Generator()``, re-seeding the given
generator, and ``torch.rand`` without ``generator=``.
"""
from __future__ import annotations

from typing import Callable, Iterator

import torch

from helpers.course.exercises.inputs import generator
from helpers.course.exercises.results import Finding, finding

SEEDS = (101, 101, 202)

HINT_GENERATOR = ("Every random call takes the generator you were given: torch.rand(..., generator=generator), "
                  "torch.randint(..., generator=generator). Do not seed anything yourself; the caller seeds the "
                  "generator, and a new seed must give new random numbers.")


def _same(x, y) -> bool:
    if isinstance(x, torch.Tensor) and isinstance(y, torch.Tensor):
        return x.shape == y.shape and x.dtype == y.dtype and torch.equal(x, y)
    if isinstance(x, (tuple, list)) and isinstance(y, (tuple, list)):
        return len(x) == len(y) and all(_same(a, b) for a, b in zip(x, y))
    return x == y


def randomness_findings(call: Callable[[torch.Generator], object], what: str) -> Iterator[Finding]:
    """Three findings about where ``call``'s randomness comes from.

    ``call(generator)`` runs the learner's function on fixed inputs with that generator and returns
    what it returned (``what`` names it in the messages: "selection", "corruption").
    """
    before = torch.random.get_rng_state()
    first, again, other = (call(generator(seed)) for seed in SEEDS)
    after = torch.random.get_rng_state()
    yield finding("the same generator seed gives the same result",
                  None if _same(first, again) else
                  f"two calls with generators seeded {SEEDS[0]} gave different {what}s: some random numbers come "
                  f"from somewhere other than the generator you are given", hint=HINT_GENERATOR)
    yield finding("a different generator seed gives a different result (your function uses the generator it is given)",
                  None if not _same(first, other) else
                  f"generators seeded {SEEDS[0]} and {SEEDS[2]} gave the same {what}: your function ignores the "
                  f"generator it is given (a torch.manual_seed(...) call, a torch.Generator() of its own, or "
                  f"re-seeding the given one all do that)", hint=HINT_GENERATOR)
    yield finding("torch's global random state is left alone",
                  None if torch.equal(before, after) else
                  "torch's global random generator moved during your function: a torch.rand, torch.randint, "
                  "torch.randperm or torch.manual_seed call without generator=generator", hint=HINT_GENERATOR)
