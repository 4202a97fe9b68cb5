"""Who is an outlier of a clustering: far from every centre, or extreme on one feature.

A customer whose distance to the nearest centre is beyond the sample's third
quartile plus ``cutoff`` interquartile ranges (and its 99th percentile, so at
most 1% by distance), or with any feature more than 6 interquartile ranges
from the median after the log (and beyond that feature's 99.5th percentile),
goes to segment -1, "Outliers", instead of stretching a segment or forming a
look-alike clone of one. Both limits are numbers fitted on the sample, so the
assignment stays an engine expression.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw
import numpy as np

if TYPE_CHECKING:
    import polars as pl

    from segwise.segmenters.cluster_features import FeatureTransform

#: The segment id and name of customers far from every segment's centre.
OUTLIER_ID = -1
OUTLIER_NAME = "Outliers"
#: At most this share of the fitted sample is called an outlier by its distance.
MAX_OUTLIER_SHARE = 0.01
#: A value this many interquartile ranges from the median (after any log) is an outlier
#: whatever its distance: winsorising would otherwise hide an age of 999 among the 80-year-olds.
#: Per column, the limit rises to the 99.5th percentile, so one column flags at most 0.5%.
EXTREME_SPREADS = 6.0
EXTREME_SHARE = 0.005


def extreme_limits(transform: FeatureTransform, sample: pl.DataFrame) -> list[float]:
    """Per numeric feature, the scaled value (unclipped) beyond which a customer is extreme."""
    raw = nw.from_native(sample).select(*transform.numeric_exprs(clip=False))
    limits = []
    for column in raw.to_native().iter_columns():
        values = np.abs(column.to_numpy().astype(float))
        values = values[np.isfinite(values)]
        top = float(np.quantile(values, 1 - EXTREME_SHARE)) if values.size else 0.0
        limits.append(max(EXTREME_SPREADS, top))
    return limits


def distance_threshold(distance: np.ndarray, cutoff: float, algorithm: str) -> float | None:
    """The (squared) distance beyond which a customer is an outlier, or None for no limit.

    Quartiles of the distance itself (not its square, whose tail is long even for
    clean data): about 1 in 10,000 of a Gaussian cluster lies past Q3 + 3 IQR.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> squared = (rng.normal(size=(5_000, 2)) ** 2).sum(axis=1)
    >>> (squared > distance_threshold(squared, 3.0, "kmeans")).mean() <= 0.01
    np.True_
    """
    finite = distance[np.isfinite(distance)]
    if algorithm == "gmm" or finite.size < 100:
        # A mixture's cost is a log-likelihood with no common scale; too few rows say nothing.
        return None
    root = np.sqrt(np.maximum(finite, 0.0))
    q1, q3, top = np.quantile(root, [0.25, 0.75, 1 - MAX_OUTLIER_SHARE])
    cut = max(float(q3 + cutoff * (q3 - q1)), float(top))
    return cut**2


def outlier_expr(threshold: float, limits: list[float], raw: list[str]) -> Any:
    """True for an outlier: ``__distance`` past the threshold, or a raw column past its limit."""
    far = nw.col("__distance") > threshold
    for column, limit in zip(raw, limits, strict=False):
        far = far | (nw.col(column) > limit)
    return far
