"""The peers' RFM scoring, reproduced: pymc-marketing's quartiles and R rfm 0.3's bins.

The ``pymc`` and ``r-rfm`` presets of :mod:`segwise.features.rfm` score with these, so
their tables equal the peers' own on the same data.
"""

from __future__ import annotations

import warnings
from typing import Any

import narwhals.stable.v2 as nw

from segwise.engine import portable
from segwise.exceptions import DataError


class RFMBinningWarning(UserWarning):
    """Ties left some score bins empty; the message names them."""


def pymc_scores(frame: nw.LazyFrame[Any]) -> nw.LazyFrame[Any]:
    """pandas.qcut(q=4, duplicates='drop') with pymc-marketing's fallback to 3, then 2, labels."""
    exprs = []
    for metric, axis in (("recency_days", "r"), ("frequency", "f"), ("monetary", "m")):
        edges = portable.quantiles(frame, metric, [0.0, 0.25, 0.5, 0.75, 1.0])
        unique = sorted({e for e in edges if e is not None})
        count = len(unique) - 1
        if count < 2:
            raise DataError(
                f"{metric} has one value for every customer: pymc-marketing's quartiles need two",
                hint="use the segwise preset, or more data",
                column=metric,
            )
        if count < 4:
            warnings.warn(
                f"RFM score will not exceed {count} for {axis}_score: ties leave {count} bins",
                RFMBinningWarning,
                stacklevel=3,
            )
        labels = list(range(count, 0, -1)) if axis == "r" else list(range(1, count + 1))
        score: Any = nw.lit(labels[-1])
        for edge, label in reversed(list(zip(unique[1:-1], labels[:-1], strict=True))):
            score = nw.when(nw.col(metric) <= edge).then(nw.lit(label)).otherwise(score)
        exprs.append(score.cast(nw.Int64).alias(f"{axis}_score"))
    return frame.with_columns(*exprs)


def r_rfm_scores(frame: nw.LazyFrame[Any], bins: int) -> nw.LazyFrame[Any]:
    """R rfm 0.3's binning: inner quantile cut points (type 7) plus one, bins closed on the left.

    Bin ``i`` is ``[lower_i, upper_i)`` with lower = (min, cuts + 1) and upper =
    (cuts + 1, max + 1); when bins overlap (ties), the later one wins, as R's
    assignment loop does. Recency scores run from ``bins`` (lowest) down.
    """
    probs = [i / bins for i in range(bins + 1)]
    exprs = []
    for metric, axis in (("recency_days", "r"), ("frequency", "f"), ("monetary", "m")):
        points = [p for p in portable.quantiles(frame, metric, probs) if p is not None]
        if len(points) != len(probs):
            raise DataError(f"{metric} has no values to bin", column=metric)
        cuts = [p + 1 for p in points[1:-1]]
        lower = [points[0], *cuts]
        upper = [*cuts, points[-1] + 1]
        score: Any = nw.lit(None, dtype=nw.Int64)
        for i in range(bins):  # later bins override earlier ones
            label = bins - i if axis == "r" else i + 1
            inside = (nw.col(metric) >= lower[i]) & (nw.col(metric) < upper[i])
            score = nw.when(inside).then(nw.lit(label)).otherwise(score)
        exprs.append(score.cast(nw.Int64).alias(f"{axis}_score"))
    return frame.with_columns(*exprs)
