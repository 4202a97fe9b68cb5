"""Where segments are heading: a Markov chain fitted on the stored migrations.

Every pair of consecutive runs says how many customers went from each
segment to each other (or left: ``(none)``). Summed over the history and
normalised by row, that is the transition matrix ``P``. New customers arrive
at the mean rate seen per run, segment by segment. The next sizes are
``n · P + arrivals``; intervals come from simulation, with each row of ``P``
drawn from its Dirichlet posterior (counts + ½) and customers moved
multinomially, so a segment that few customers ever left is forecast with
the uncertainty its history deserves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

NONE = "(none)"


@dataclass(frozen=True)
class Forecast:
    """A segmentation's transition matrix and its sizes for the next runs.

    Attributes
    ----------
    segments
        The states, in order (``(none)`` last: customers outside the segmentation).
    transitions
        Row-stochastic matrix: the share of each segment's customers found in
        each segment (or gone) one run later.
    sizes
        ``step, segment, expected, low, high`` (a 90% interval) for each run ahead.
    pairs
        How many consecutive run pairs the matrix was estimated from.
    """

    segmentation: str
    segments: list[str]
    transitions: np.ndarray
    sizes: pl.DataFrame
    pairs: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "segmentation": self.segmentation,
            "pairs": self.pairs,
            "segments": self.segments,
            "transitions": self.transitions.round(4).tolist(),
            "sizes": self.sizes.to_dicts(),
        }


def forecast_sizes(
    segmentation: str,
    flows: pl.DataFrame,
    current: dict[str, int],
    *,
    steps: int = 3,
    draws: int = 500,
    seed: int = 0,
) -> Forecast:
    """Fit the chain on ``flows`` (``pair, from_segment, to_segment, customers``) and forecast.

    ``current`` is each segment's size in the latest run.
    """
    pairs = flows["pair"].n_unique()
    names = sorted(
        (set(flows["from_segment"].to_list()) | set(flows["to_segment"].to_list()) | set(current))
        - {NONE}
    )
    states = [*names, NONE]
    index = {name: k for k, name in enumerate(states)}
    counts = np.zeros((len(states), len(states)))
    for source, target, customers in flows.select(
        "from_segment", "to_segment", "customers"
    ).iter_rows():
        counts[index[source], index[target]] += customers
    arrivals = counts[index[NONE], :-1] / max(pairs, 1)
    moving = counts[:-1]  # rows of customers inside the segmentation
    totals = moving.sum(axis=1, keepdims=True)
    transitions = np.divide(moving, totals, out=np.eye(len(states))[:-1], where=totals > 0)
    start = np.array([current.get(name, 0) for name in names], dtype=np.int64)
    simulated = _simulate(moving, arrivals, start, steps, draws, np.random.default_rng(seed))
    expected = start.astype(float)
    rows: list[dict[str, Any]] = []
    for step in range(1, steps + 1):
        expected = expected @ transitions[:, :-1] + arrivals
        low, high = np.percentile(simulated[:, step - 1, :], [5, 95], axis=0)
        rows.extend(
            {
                "step": step,
                "segment": name,
                "expected": float(expected[k]),
                "low": float(low[k]),
                "high": float(high[k]),
            }
            for k, name in enumerate(names)
        )
    return Forecast(segmentation, states, transitions, pl.DataFrame(rows), int(pairs))


def _simulate(
    moving: np.ndarray,
    arrivals: np.ndarray,
    start: np.ndarray,
    steps: int,
    draws: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Sizes after each step for ``draws`` simulated futures: (draws, steps, segments)."""
    k = len(start)
    out = np.zeros((draws, steps, k))
    for d in range(draws):
        rows = np.array([rng.dirichlet(row + 0.5) for row in moving])  # parameter uncertainty
        sizes = start.copy()
        for step in range(steps):
            moved = np.zeros(k + 1, dtype=np.int64)
            for i in range(k):
                moved += rng.multinomial(sizes[i], rows[i])
            sizes = moved[:k] + rng.poisson(arrivals)
            out[d, step] = sizes
    return out
