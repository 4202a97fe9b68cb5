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

#: The predictive segments that claim their customers are leaving: the first within the top
#: customers by past value, the second outside them.
CHURN_SEGMENTS = ("At-risk high value", "Churn risk")
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
    churn_check
        Per churn segment, its share who bought nothing in the holdout against that of
        the customers of the same value band whom no churn segment took
        (``segment, customers, no_purchase_share, baseline_customers,
        baseline_no_purchase_share``).
    """

    predicted_purchases: float
    actual_purchases: float
    mae: float
    correlation: float
    by_frequency: pl.DataFrame
    by_segment: pl.DataFrame | None = None
    by_tier: pl.DataFrame | None = None
    churn_check: pl.DataFrame | None = None

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
        if self.churn_check is not None:
            out["churn_check"] = self.churn_check.to_dicts()
        return out


def unheld_churn(churn_check: pl.DataFrame | None) -> list[str]:
    """Churn segments whose customers bought nothing in the holdout no more often than others.

    The others are the customers of their value band whom no churn segment took. The
    backtest labels customers at the calibration end, as a run would, and follows
    them: a churn label that did not hold there is said, not left to read off a
    table. Like is compared with like: the at-risk top customers with the other top
    customers (who buy more than most), the churn risks with the other customers
    outside the top.

    Examples
    --------
    >>> check = pl.DataFrame({"segment": ["At-risk high value"], "customers": [62],
    ...                       "no_purchase_share": [0.24], "baseline_customers": [650],
    ...                       "baseline_no_purchase_share": [0.25]})
    >>> [note[:60] for note in unheld_churn(check)]
    ['At-risk high value: the churn flag did not pick out who left']
    """
    if churn_check is None:
        return []
    found = []
    for row in churn_check.iter_rows(named=True):
        if min(row["customers"], row["baseline_customers"]) < MIN_CHECKED:
            continue
        if row["no_purchase_share"] <= row["baseline_no_purchase_share"]:
            others = (
                "the other customers in the top by past value"
                if row["segment"] == CHURN_SEGMENTS[0]
                else "the unflagged customers outside the top by past value"
            )
            found.append(
                f"{row['segment']}: the churn flag did not pick out who left: in the backtest "
                f"{row['no_purchase_share']:.0%} of them bought nothing in the holdout, and "
                f"{row['baseline_no_purchase_share']:.0%} of {others} did too; do not read "
                "the customers it leaves out as safe"
            )
    return found


def churn_check(segments: np.ndarray, high_value: np.ndarray, actual: np.ndarray) -> pl.DataFrame:
    """Each churn segment's no-purchase share in the holdout, and its value band's baseline.

    ``high_value`` marks the top customers by past value (where At-risk high value
    draws from); the baseline of a churn segment is the customers of its band whom
    no churn segment took.

    Examples
    --------
    >>> check = churn_check(np.array(["Churn risk", "Stable", "Stable", "Churn risk"]),
    ...                     np.array([False, False, False, False]), np.array([0, 2, 0, 1]))
    >>> check.select("segment", "no_purchase_share", "baseline_no_purchase_share").rows()
    [('Churn risk', 0.5, 0.5)]
    """
    frame = pl.DataFrame(
        {
            "segment": pl.Series(list(segments), dtype=pl.String),
            "high": np.asarray(high_value, dtype=bool),
            "bought_nothing": np.asarray(actual, dtype=float) == 0,
        }
    )
    rows = []
    for name, band in zip(CHURN_SEGMENTS, (True, False), strict=True):
        inside = frame.filter(pl.col("segment") == name)
        baseline = frame.filter(
            (pl.col("high") == band) & ~pl.col("segment").is_in(list(CHURN_SEGMENTS))
        )
        if inside.height == 0:
            continue
        rows.append(
            {
                "segment": name,
                "customers": inside.height,
                "no_purchase_share": _share(inside["bought_nothing"]),
                "baseline_customers": baseline.height,
                "baseline_no_purchase_share": _share(baseline["bought_nothing"]),
            }
        )
    schema = {
        "segment": pl.String,
        "customers": pl.Int64,
        "no_purchase_share": pl.Float64,
        "baseline_customers": pl.Int64,
        "baseline_no_purchase_share": pl.Float64,
    }
    return pl.DataFrame(rows, schema=schema)


def _share(flags: pl.Series) -> float:
    """The share of true values (0 for none)."""
    return float(np.mean(flags.to_numpy())) if flags.len() else 0.0


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
    high_value: np.ndarray | None = None,
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
    high_value
        Optional: whether each customer is among the top by past value, for
        ``churn_check`` (with ``segments``).
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
        churn_check=(
            churn_check(segments, high_value, actual)
            if segments is not None and high_value is not None
            else None
        ),
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
