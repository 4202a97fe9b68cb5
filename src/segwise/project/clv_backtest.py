"""The CLV holdout check, shared by ``segwise clv --holdout-end`` and a project's clv segmentation.

Fit on the calibration period, predict the holdout, compare with what
happened: purchases per customer (by calibration frequency and predictive
segment) and value per tier. The realised value is the money each customer
spent in the holdout (``holdout_revenue``), never purchase days times a mean
order-line value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw
import polars as pl

from segwise.engine.frames import split_by_key, to_lazy
from segwise.features.periods import UNIT_DAYS
from segwise.features.summary import calibration_and_holdout_data, holdout_revenue
from segwise.models.backtest import Backtest, backtest
from segwise.models.comparison import (
    CHURN_THRESHOLD,
    ModelComparison,
    compare_purchase_models,
)
from segwise.models.diagnostics import repeat_histogram
from segwise.models.predictions import predict_customers
from segwise.models.predictive import high_value
from segwise.models.purchase_models import DEFAULT_MODEL
from segwise.models.tracking import tracking_table
from segwise.project.results import as_polars

if TYPE_CHECKING:
    from datetime import date

    from segwise.exceptions import SegwiseError
    from segwise.models.base import PurchaseCountModel
    from segwise.models.predictions import CustomerPredictions


def holdout_frame(
    purchases: Any,
    *,
    calibration_end: date | str,
    holdout_end: date | str,
    time_unit: str,
    parts: int = 1,
) -> pl.DataFrame:
    """Calibration summary (lifetimes' names, ``_cal`` dropped) plus holdout counts and revenue.

    Sorted by customer id; ``revenue_holdout`` is 0 for customers who did not buy.
    Computed in ``parts`` disjoint sets of customers (see ``split_by_key``).
    """
    return pl.concat(
        _holdout_part(part, calibration_end, holdout_end, time_unit)
        for part in split_by_key(to_lazy(purchases), "customer_id", parts)
    ).sort("customer_id")


def _holdout_part(
    purchases: Any, calibration_end: date | str, holdout_end: date | str, time_unit: str
) -> pl.DataFrame:
    split = as_polars(
        calibration_and_holdout_data(
            purchases,
            calibration_period_end=calibration_end,
            observation_period_end=holdout_end,
            time_unit=time_unit,
            monetary_value_col="amount",
        )
    )
    split = split.rename({c: c.removesuffix("_cal") for c in split.columns if c.endswith("_cal")})
    revenue = as_polars(
        holdout_revenue(
            purchases, calibration_period_end=calibration_end, observation_period_end=holdout_end
        )
    )
    return split.join(revenue, on="customer_id", how="left").with_columns(
        pl.col("revenue_holdout").fill_null(0.0)
    )


def check_holdout(
    frame: pl.DataFrame,
    predictions: CustomerPredictions,
) -> Backtest:
    """Compare calibration predictions over the holdout with the holdout's purchases and money.

    ``predictions`` were made on ``frame`` (same rows, same order) with the
    holdout's duration as the horizon.
    """
    result = predictions.table
    expected = result["expected_purchases"].to_numpy()
    return backtest(
        frame["frequency"].to_numpy(),
        expected,
        frame["frequency_holdout"].to_numpy(),
        segments=result["segment"].to_numpy(),
        tiers=result["tier"].to_numpy(),
        predicted_value=expected * result["expected_value"].fill_null(0.0).to_numpy(),
        actual_value=frame["revenue_holdout"].to_numpy(),
        high_value=high_value((frame["monetary_value"] * frame["frequency"]).to_numpy()),
    )


@dataclass(frozen=True)
class HoldoutDiagnostics:
    """How well the purchase model describes the customers, beyond the backtest."""

    comparison: ModelComparison
    histogram: pl.DataFrame
    tracking: pl.DataFrame


def holdout_diagnostics(
    purchases: Any,
    frame: pl.DataFrame,
    model: PurchaseCountModel,
    *,
    calibration_end: date,
    holdout_end: date,
    time_unit: str,
    parts: int = 1,
    churn_threshold: float = CHURN_THRESHOLD,
) -> HoldoutDiagnostics:
    """The model comparison on the holdout, the fit histogram and the weekly tracking."""
    return HoldoutDiagnostics(
        # The backtest fitted this model on this frame: it is not fitted again.
        compare_purchase_models(
            frame,
            float(frame["duration_holdout"][0]),
            {model.MODEL: model},
            churn_threshold=churn_threshold,
            used=model.MODEL,
        ),
        repeat_histogram(model, frame),
        tracking_table(
            model,
            purchases,
            cohort_end=calibration_end,
            until=holdout_end,
            unit_days=UNIT_DAYS[time_unit],
            parts=parts,
        ),
    )


def holdout_backtest(
    purchases: Any,
    *,
    calibration_end: date,
    holdout_end: date,
    time_unit: str,
    tiers: list[float],
    discount_rate: float = 0.0,
    churn_threshold: float = 0.3,
    parts: int = 1,
    purchase_model: str = DEFAULT_MODEL,
) -> tuple[Backtest, HoldoutDiagnostics]:
    """Fit on the calibration period, check purchases and value over the holdout, diagnose.

    ``parts``: the per-customer aggregations are computed in that many disjoint sets of
    customers (memory, at hundreds of millions of rows; the results are the same).
    ``purchase_model``: the model the segments are made with, backtested here.
    """
    frame = holdout_frame(
        purchases,
        calibration_end=calibration_end,
        holdout_end=holdout_end,
        time_unit=time_unit,
        parts=parts,
    )
    predictions = predict_customers(
        frame,
        horizon=float(frame["duration_holdout"][0]),
        discount_rate=discount_rate,
        tiers=tiers,
        churn_threshold=churn_threshold,
        purchase_model=purchase_model,
    )
    diagnostics = holdout_diagnostics(
        purchases,
        frame,
        predictions.purchase_model,
        calibration_end=calibration_end,
        holdout_end=holdout_end,
        time_unit=time_unit,
        parts=parts,
        churn_threshold=churn_threshold,
    )
    return check_holdout(frame, predictions), diagnostics


def why_skipped(
    purchases: Any, as_of: date, holdout_weeks: int, exc: SegwiseError, *, automatic: bool
) -> str:
    """The backtest's error, or, for an automatic calibration end, that the orders are short.

    A monthly run from the start of the orders holds out ``holdout_weeks`` before the data
    span that long: the user chose no calibration end to correct, so the data's span is said.
    """
    if not automatic:
        return exc.one_line()
    first = purchases.select(nw.col("timestamp").min()).collect().item(0, 0)
    first = first.date() if isinstance(first, datetime) else first
    if first is None or as_of - timedelta(weeks=holdout_weeks) >= first:
        return exc.one_line()
    weeks = (as_of - first).days // 7
    return (
        f"it holds out the last {holdout_weeks} weeks (holdout_weeks) and the orders span "
        f"{weeks} week{'s' if weeks != 1 else ''} (from {first}): it runs once they span "
        "more, or set a shorter holdout_weeks"
    )
