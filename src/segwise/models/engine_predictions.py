"""Per-customer predictions computed where the customers are: Polars, DuckDB or Spark.

A purchase model's predictions depend on nothing but a customer's history
``(frequency, recency, T)``, and a base holds far fewer histories than customers.
So the histories are grouped in the engine and only they (with their counts) come
to this process, are predicted here, and go back to be joined to the customers;
the spend model's expectation, CLV, the value tiers (comparisons with a few order
statistics, not a rank per row) and the predictive segments are engine
expressions. On Spark the customer table stays on the executors. The table equals
:func:`~segwise.models.predictions.predict_customers` row for row, engine by
engine (a test holds it), whenever the models are fitted on the same customers.

What comes to this process: the distinct histories with their counts, and the
spend model's input (frequency and mean spend of the repeat buyers, in customer
order, at most ``fit_sample`` customers' worth). Prediction intervals (``draws``)
need every customer's parameters drawn here and stay with ``predict_customers``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw
import numpy as np
import polars as pl

from segwise.engine.frames import move_to, to_lazy
from segwise.engine.order_statistics import order_statistics, with_position
from segwise.engine.portable import materialize
from segwise.models.clv import check_horizon, discounted_purchases
from segwise.models.diagnostics import FitWarning, churn_flags, diagnose_fit, overdue
from segwise.models.gamma_gamma import GammaGammaModel
from segwise.models.predictions import FIT_SAMPLE, falls_back, sample_note
from segwise.models.predictive import (
    HIGH_VALUE_SHARE,
    RISING_RATIO,
    SEGMENTS,
    check_settings,
    high_value_cuts,
    rising,
)
from segwise.models.purchase_models import DEFAULT_MODEL, new_model
from segwise.models.tiers import TIER_NAMES, check_shares

if TYPE_CHECKING:
    from collections.abc import Sequence

    from segwise.models.base import PurchaseCountModel

KEYS = ["frequency", "recency", "T"]


@dataclass(frozen=True)
class EnginePredictions:
    """The fitted models and a lazy table of one row per customer, on the summary's engine.

    ``table``: ``customer_id, frequency, recency, T, monetary_value, p_alive,
    expected_purchases, expected_value, clv, tier, segment``.
    """

    purchase_model: PurchaseCountModel
    spend_model: GammaGammaModel
    table: nw.LazyFrame[Any]
    horizon: float
    warnings: tuple[FitWarning, ...]
    churn_basis: str
    customers: int
    #: Distinct histories: the rows predicted in this process.
    histories: int
    fitted_customers: int

    def fit_note(self) -> str | None:
        """A line saying the models were fitted on a sample, or None when on everyone."""
        return sample_note(self.fitted_customers, self.customers)


def predict_in_engine(
    summary: Any,
    *,
    horizon: float,
    discount_rate: float = 0.0,
    tiers: Sequence[float] = (0.2, 0.6),
    churn_threshold: float = 0.3,
    fit_sample: int = FIT_SAMPLE,
    purchase_model: str = DEFAULT_MODEL,
) -> EnginePredictions:
    """Fit a purchase model and Gamma-Gamma, and predict every customer without collecting them.

    Parameters
    ----------
    summary
        ``rfm_summary`` output on any engine (a Polars, DuckDB or Spark frame, lazy or
        not): ``customer_id, frequency, recency, T, monetary_value``, one row per customer.
    horizon, discount_rate, tiers, churn_threshold, fit_sample, purchase_model
        As for :func:`~segwise.models.predictions.predict_customers`.

    Examples
    --------
    >>> import segwise as sw
    >>> from segwise.datasets import sample_paths
    >>> orders = sw.read_transactions(sample_paths()["orders"])
    >>> summary = sw.rfm_summary(orders, monetary_value_col="amount", time_unit="W")
    >>> found = predict_in_engine(summary.filter(summary["monetary_value"] >= 0), horizon=52.0)
    >>> found.histories < found.customers
    True
    >>> sorted(found.table.collect()["tier"].unique())
    ['high', 'low', 'medium']
    """
    check_settings(churn_threshold, RISING_RATIO, horizon)
    check_shares(tiers)
    periods = max(1, round(horizon))
    check_horizon(periods, horizon / periods, discount_rate)
    customers = to_lazy(summary).select(
        "customer_id",
        *(nw.col(k).cast(nw.Float64) for k in KEYS),
        nw.col("monetary_value").cast(nw.Float64),
    )
    histories = _histories(customers)
    total = int(histories["weights"].sum())
    fitted, fitted_customers = _fitted_on(customers, total, fit_sample)
    model = new_model(purchase_model).fit(histories if fitted is customers else _histories(fitted))
    spend_model = GammaGammaModel().fit(_spend_input(fitted))
    x, t_x, T = (histories[k].to_numpy() for k in KEYS)
    rows = dict(zip(KEYS, (x, t_x, T), strict=True))
    counts = histories["weights"].to_numpy()
    warnings = diagnose_fit(model.params_, x, t_x, T, weights=counts, model=model.MODEL)
    expected = model.expected_purchases(rows, horizon)
    multiplier = expected
    if discount_rate != 0:
        multiplier = discounted_purchases(
            model,
            rows,
            periods=periods,
            period_length=horizon / periods,
            discount_rate=discount_rate,
        )
    p_alive = model.p_alive(rows)
    predicted = histories.select(KEYS).with_columns(
        pl.Series("p_alive", p_alive),
        pl.Series("expected_purchases", expected),
        pl.Series("__sw_multiplier", multiplier),
        pl.Series(
            "__sw_at_risk",
            churn_flags(p_alive, x, t_x, T, threshold=churn_threshold, weights=counts),
        ),
        pl.Series("__sw_overdue", overdue(x, t_x, T, weights=counts)),
        pl.Series("__sw_rising", rising(x, T, expected, weights=counts)),
    )
    table = materialize(
        customers.join(move_to(nw.from_native(predicted.lazy()), customers), on=KEYS, how="inner")
        .with_columns(_expected_value(spend_model).alias("expected_value"))
        .with_columns((nw.col("expected_value") * nw.col("__sw_multiplier")).alias("clv"))
        .with_columns((nw.col("monetary_value") * nw.col("frequency")).alias("__sw_spent")),
        streaming=False,
    )
    within = _within_top(
        table,
        total,
        {"clv": check_shares(tiers), "__sw_spent": [high_value_cuts(HIGH_VALUE_SHARE)[0]]},
    )
    placed = _Placement(within["clv"], within["__sw_spent"][0])
    churn_basis = "p_alive"
    chosen = _segments(table, "__sw_at_risk", placed)
    if falls_back(int(counts[p_alive < churn_threshold].sum()), total, warnings):
        # P(alive) cannot tell customers apart: judge churn by each one's own purchase cycle.
        chosen = _segments(table, "__sw_overdue", placed)
        churn_basis = "purchase_cycle"
    return EnginePredictions(
        model,
        spend_model,
        chosen,
        horizon,
        tuple(warnings),
        churn_basis,
        total,
        histories.height,
        fitted_customers,
    )


def _histories(customers: nw.LazyFrame[Any]) -> pl.DataFrame:
    """The distinct histories and how many customers share each, in lexicographic order."""
    found = customers.group_by(*KEYS).agg(nw.len().cast(nw.Float64).alias("weights"))
    return pl.DataFrame(found.collect(backend="polars").to_native()).sort(KEYS)


def _fitted_on(
    customers: nw.LazyFrame[Any], total: int, fit_sample: int
) -> tuple[nw.LazyFrame[Any], int]:
    """The customers the models are fitted on: all, or ``predict_customers``' seeded sample.

    The sample is drawn as ``seeded_sample`` draws it (positions in customer order),
    so both paths fit on the same customers.
    """
    if total <= fit_sample:
        return customers, total
    keep = np.sort(np.random.default_rng(0).choice(total, fit_sample, replace=False))
    positions = nw.from_native(pl.LazyFrame({"__sw_position": keep.astype(np.int64)}))
    numbered = with_position(customers, "customer_id", "__sw_position", total=total)
    sampled = numbered.join(move_to(positions, numbered), on="__sw_position", how="inner")
    return sampled.drop("__sw_position"), fit_sample


def _spend_input(fitted: nw.LazyFrame[Any]) -> pl.DataFrame:
    """Frequency and mean spend of the fitted customers who spent, in customer order.

    The spend model sums its likelihood in row order; the order ``predict_customers``
    reads them in gives the same fit to the last bit.
    """
    found = (
        fitted.filter(nw.col("monetary_value") > 0)
        .select("customer_id", "frequency", "monetary_value")
        .sort("customer_id")
        .collect(backend="polars")
        .to_native()
    )
    return pl.DataFrame(found).drop("customer_id")


def _expected_value(model: GammaGammaModel) -> nw.Expr:
    """``GammaGammaModel.expected_average_value`` as an expression, operation for operation."""
    if model.spend_covariates:
        from segwise.exceptions import ConfigError  # noqa: PLC0415 - only on this refusal

        raise ConfigError("spend covariates are predicted in memory: use predict_customers")
    p, q, v = (float(model.params_[k]) for k in ("p", "q", "v"))
    x, m = nw.col("frequency"), nw.col("monetary_value")
    return (nw.lit(p) * (nw.lit(v) + x * m)) / (nw.lit(p) * x + nw.lit(q) - nw.lit(1.0))


@dataclass(frozen=True)
class _Placement:
    """Where a customer's value places them: the tier tests and the high-value test."""

    tiers: list[nw.Expr]
    high_value: nw.Expr


def _within_top(
    table: nw.LazyFrame[Any], total: int, shares: dict[str, Sequence[float]]
) -> dict[str, list[nw.Expr]]:
    """``value_tiers``' test "under ``share`` of customers valued strictly higher", per share.

    As comparisons with order statistics, not a rank per row (which on Spark moves
    every customer to one task): at most ``a`` customers are above a value exactly
    when it reaches the ``(a + 1)``-th highest. Every column's values in one call.
    """
    most = {column: [_most_above(share, total) for share in cut] for column, cut in shares.items()}
    inner = {column: sorted({a for a in m if 0 <= a < total}) for column, m in most.items()}
    found = order_statistics(
        table, {column: [total - a for a in a_s] for column, a_s in inner.items()}, total=total
    )
    tests = {}
    for column, limits in most.items():
        reaches = dict(zip(inner[column], found[column], strict=True))
        tests[column] = [
            nw.lit(value=True)
            if a >= total
            else nw.lit(value=False)
            if a < 0
            else nw.col(column) >= reaches[a]
            for a in limits
        ]
    return tests


def _most_above(share: float, total: int) -> int:
    """The most customers valued higher that keep ``above / total < share`` (as floats)."""
    denominator = float(max(total, 1))
    most = min(total, int(share * total))
    while most >= 0 and not most / denominator < share:
        most -= 1
    while most < total and (most + 1) / denominator < share:
        most += 1
    return most


def _tier(placed: _Placement) -> nw.Expr:
    high, medium, low = TIER_NAMES
    return (
        nw.when(placed.tiers[0])
        .then(nw.lit(high))
        .when(placed.tiers[1])
        .then(nw.lit(medium))
        .otherwise(nw.lit(low))
    )


def _segments(table: nw.LazyFrame[Any], at_risk: str, placed: _Placement) -> nw.LazyFrame[Any]:
    """The output table, with churn risk read from the ``at_risk`` column."""
    high = placed.high_value
    risk = nw.col(at_risk)
    segment = (
        nw.when(high & risk)
        .then(nw.lit(SEGMENTS[0]))
        .when(risk)
        .then(nw.lit(SEGMENTS[1]))
        .when(nw.col("__sw_rising"))
        .then(nw.lit(SEGMENTS[2]))
        .otherwise(nw.lit(SEGMENTS[3]))
    )
    return table.select(
        "customer_id",
        *KEYS,
        "monetary_value",
        "p_alive",
        "expected_purchases",
        "expected_value",
        "clv",
        _tier(placed).alias("tier"),
        segment.alias("segment"),
    )
