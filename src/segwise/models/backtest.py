"""Backtest of purchase and value predictions against a holdout period.

Fit on the calibration period, predict the holdout, then compare with what
happened: overall (totals, MAE, correlation), per calibration-frequency bin
(the standard BTYD calibration plot: customers with 0, 1, 2, … repeat
purchases), per predictive segment ("did 'At risk' actually stop buying?")
and per value tier.

References
----------
Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005). "Counting Your Customers"
the Easy Way: An Alternative to the Pareto/NBD Model. *Marketing Science*
24(2), 275-284 (Figure 3: conditional expectations by calibration frequency).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from segwise.exceptions import ConfigError
from segwise.models.tiers import TIER_NAMES

#: The predictive segments that claim their customers are leaving, and the one that does not.
CHURN_SEGMENTS = ("At-risk high value", "Churn risk")
BASELINE_SEGMENT = "Stable"
#: Fewer customers than this in the backtest say too little to contradict a label.
MIN_CHECKED = 30


@dataclass(frozen=True)
class Backtest:
    """Predicted against actual holdout behaviour.

    Attributes
    ----------
    predicted_purchases, actual_purchases
        Totals over all customers.
    mae
        Mean absolute error of per-customer holdout purchases.
    correlation
        Pearson correlation of predicted and actual per-customer purchases.
    by_frequency
        ``frequency_bin, customers, predicted, actual``: mean holdout purchases
        by calibration repeat purchases (the last bin is ``"N+"``).
    by_segment
        ``segment, customers, predicted, actual, no_purchase_share``.
    by_tier
        ``tier, customers, predicted_value, actual_value``.
    """

    predicted_purchases: float
    actual_purchases: float
    mae: float
    correlation: float
    by_frequency: pl.DataFrame
    by_segment: pl.DataFrame | None = None
    by_tier: pl.DataFrame | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values."""
        out: dict[str, Any] = {
            "predicted_purchases": self.predicted_purchases,
            "actual_purchases": self.actual_purchases,
            "mae": self.mae,
            "correlation": self.correlation,
            "by_frequency": self.by_frequency.to_dicts(),
        }
        if self.by_segment is not None:
            out["by_segment"] = self.by_segment.to_dicts()
        if self.by_tier is not None:
            out["by_tier"] = self.by_tier.to_dicts()
        return out


def unheld_churn(by_segment: pl.DataFrame | None) -> list[str]:
    """Churn segments whose customers, in the holdout, bought nothing no more often than Stable.

    The backtest labels customers at the calibration end, as a run would, and
    follows them: a churn label that did not hold there (an at-risk group that came
    back more than the stable one) is said, not left to read off a table.

    Examples
    --------
    >>> table = pl.DataFrame({"segment": ["At-risk high value", "Churn risk", "Stable"],
    ...                       "customers": [62, 875, 1797], "no_purchase_share": [0.24, 0.7, 0.46]})
    >>> [note[:60] for note in unheld_churn(table)]
    ['At-risk high value: in the backtest 24% of them bought nothi']
    """
    if by_segment is None or by_segment.height == 0:
        return []
    rows = {row["segment"]: row for row in by_segment.iter_rows(named=True)}
    stable = rows.get(BASELINE_SEGMENT)
    if stable is None or stable["customers"] < MIN_CHECKED:
        return []
    found = []
    for name in CHURN_SEGMENTS:
        row = rows.get(name)
        if row is None or row["customers"] < MIN_CHECKED:
            continue
        if row["no_purchase_share"] <= stable["no_purchase_share"]:
            found.append(
                f"{name}: in the backtest {row['no_purchase_share']:.0%} of them bought nothing "
                f"in the holdout, against {stable['no_purchase_share']:.0%} of Stable: the churn "
                "signal did not hold for this group on this data; read it as quieter than their "
                "own habit, not as leaving"
            )
    return found


def _bin_labels(frequency: np.ndarray, top: int) -> tuple[np.ndarray, np.ndarray]:
    whole = np.floor(frequency).astype(np.int64)
    order = np.minimum(whole, top)
    labels = np.where(whole >= top, f"{top}+", whole.astype(str)).astype(object)
    return labels, order


def backtest(
    frequency: np.ndarray,
    predicted: np.ndarray,
    actual: np.ndarray,
    *,
    segments: np.ndarray | None = None,
    tiers: np.ndarray | None = None,
    predicted_value: np.ndarray | None = None,
    actual_value: np.ndarray | None = None,
    max_frequency: int = 7,
) -> Backtest:
    """Compare per-customer holdout predictions with what happened.

    Parameters
    ----------
    frequency
        Calibration repeat purchases (``frequency_cal``).
    predicted, actual
        Predicted and actual holdout purchases per customer.
    segments, tiers
        Optional predictive segment and value tier per customer.
    predicted_value, actual_value
        Optional predicted and realised holdout value, for ``by_tier``.
    max_frequency
        Customers with this many repeat purchases or more share the last bin.

    Examples
    --------
    >>> result = backtest(np.array([0, 0, 1, 3]), np.array([0.1, 0.3, 1.0, 2.0]),
    ...                   np.array([0, 1, 1, 2]), max_frequency=2)
    >>> result.by_frequency.rows()
    [('0', 2, 0.2, 0.5), ('1', 1, 1.0, 1.0), ('2+', 1, 2.0, 2.0)]
    >>> round(result.mae, 3)
    0.2
    """
    predicted = np.asarray(predicted, dtype=float)
    actual = np.asarray(actual, dtype=float)
    if predicted.shape != actual.shape or predicted.size == 0:
        raise ConfigError(
            "the backtest needs one prediction and one actual value per customer",
            hint="pass arrays of the same, non-zero length",
        )
    if max_frequency < 1:
        raise ConfigError(f"max_frequency must be at least 1, not {max_frequency}")
    labels, order = _bin_labels(np.asarray(frequency, dtype=float), max_frequency)
    frame = pl.DataFrame(
        {"frequency_bin": labels, "order": order, "predicted": predicted, "actual": actual},
        schema={
            "frequency_bin": pl.String,
            "order": pl.Int64,
            "predicted": pl.Float64,
            "actual": pl.Float64,
        },
    )
    by_frequency = (
        frame.group_by("frequency_bin", "order")
        .agg(
            pl.len().cast(pl.Int64).alias("customers"),
            pl.col("predicted").mean(),
            pl.col("actual").mean(),
        )
        .sort("order")
        .drop("order")
    )
    by_segment = _by_segment(frame, segments) if segments is not None else None
    by_tier = None
    if tiers is not None and predicted_value is not None and actual_value is not None:
        by_tier = _by_tier(tiers, predicted_value, actual_value)
    spread = predicted.std() > 0 and actual.std() > 0
    return Backtest(
        predicted_purchases=float(predicted.sum()),
        actual_purchases=float(actual.sum()),
        mae=float(np.mean(np.abs(predicted - actual))),
        correlation=float(np.corrcoef(predicted, actual)[0, 1]) if spread else float("nan"),
        by_frequency=by_frequency,
        by_segment=by_segment,
        by_tier=by_tier,
    )


def _by_segment(frame: pl.DataFrame, segments: np.ndarray) -> pl.DataFrame:
    """Mean predicted and actual purchases per predictive segment, and who bought nothing."""
    return (
        frame.with_columns(pl.Series("segment", list(segments), dtype=pl.String))
        .group_by("segment")
        .agg(
            pl.len().cast(pl.Int64).alias("customers"),
            pl.col("predicted").mean(),
            pl.col("actual").mean(),
            (pl.col("actual") == 0).mean().alias("no_purchase_share"),
        )
        .sort("segment")
    )


def _by_tier(
    tiers: np.ndarray, predicted_value: np.ndarray, actual_value: np.ndarray
) -> pl.DataFrame:
    """Mean predicted and realised value per tier, high to low as a marketer reads tiers."""
    frame = pl.DataFrame(
        {
            "tier": list(tiers),
            "predicted_value": np.asarray(predicted_value, dtype=float),
            "actual_value": np.asarray(actual_value, dtype=float),
        },
        schema={"tier": pl.String, "predicted_value": pl.Float64, "actual_value": pl.Float64},
    )
    rank = pl.col("tier").replace_strict(
        {name: rank for rank, name in enumerate(TIER_NAMES)},
        default=len(TIER_NAMES),
        return_dtype=pl.Int64,
    )
    return (
        frame.group_by("tier")
        .agg(
            pl.len().cast(pl.Int64).alias("customers"),
            pl.col("predicted_value").mean(),
            pl.col("actual_value").mean(),
        )
        .sort(rank, "tier")  # unknown tier names after, alphabetically
    )
