"""Stopping Nelder-Mead once it no longer improves, where its own test cannot pass."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from scipy import optimize

#: Nelder-Mead iterations (per parameter) without a better value before the fallback stops.
STALL_ITERATIONS_PER_PARAM = 100


class StallStop:
    """A Nelder-Mead callback that stops once the best value has stopped improving.

    Where the likelihood keeps rising towards a limit (no heterogeneity: the parameters run
    off along a ridge), the values the simplex compares are rounding noise, so Nelder-Mead's
    own test (simplex and values within 1e-8) never passes and it ran all its 20,000
    iterations without moving: 14 s on a six-customer summary. Stopping after ``patience``
    iterations that do not lower the best value by a relative 1e-10 keeps what it had found.

    Examples
    --------
    >>> from types import SimpleNamespace as Step
    >>> stop = StallStop(patience=2)
    >>> stop(Step(fun=5.0)); stop(Step(fun=5.0))
    >>> stop(Step(fun=5.0))
    Traceback (most recent call last):
    StopIteration
    """

    def __init__(self, *, patience: int) -> None:
        self.patience = patience
        self.best = np.inf
        self.since = 0

    def __call__(self, intermediate_result: optimize.OptimizeResult) -> None:
        """Note one iteration's best value; raise ``StopIteration`` once it has stalled."""
        value = float(intermediate_result.fun)
        if value < self.best - 1e-10 * (1.0 + abs(self.best)) or not np.isfinite(self.best):
            self.best, self.since = value, 0
            return
        self.since += 1
        if self.since >= self.patience:
            raise StopIteration
