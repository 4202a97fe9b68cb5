"""Per-customer predictions from one fit: P(alive), purchases, value, CLV, tier and segment.

The one place where a purchase model (BG/NBD by default, or MBG/NBD or
Pareto/NBD) and Gamma-Gamma are fitted together and turned into the table
``segwise clv -o`` writes and projects segment on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import polars as pl

from segwise.exceptions import ConfigError
from segwise.models.clv import check_horizon, discounted_purchases
from segwise.models.diagnostics import FitWarning, churn_flags, diagnose_fit, overdue
from segwise.models.gamma_gamma import GammaGammaModel
from segwise.models.histories import Histories
from segwise.models.intervals import flat_parameters, prediction_intervals
from segwise.models.predictive import predictive_segments
from segwise.models.purchase_models import DEFAULT_MODEL, PARAMETER_KEYS, new_model
from segwise.models.sampling import seeded_sample
from segwise.models.tiers import value_tiers

if TYPE_CHECKING:
    import numpy as np

    from segwise.models.base import PurchaseCountModel

#: P(alive) must flag at least this share of customers as churn risks, and leave at least
#: this share unflagged, to tell who is leaving.
MIN_CHURN_SHARE = 0.05

#: Customers the purchase and spend models are fitted on at most: above it, a seeded
#: sample of that many (every customer is still predicted). Measured on 1.37M customers:
#: fitted on 1M, every BG/NBD and Gamma-Gamma parameter has a standard error under 1% of
#: its value and lies within 0.7% of the fit on all of them.
FIT_SAMPLE = 1_000_000

#: The windows (days) a run's predicted revenue is kept for, to be set against what was
#: realised (``segwise kpis --window``): its usual windows and a year.
PREDICTION_WINDOWS = (30, 60, 90, 180, 365)


@dataclass(frozen=True)
class CustomerPredictions:
    """The fitted models and one row per customer.

    ``table``: ``customer_id, frequency, recency, T, monetary_value, p_alive,
    expected_purchases, expected_value, clv, tier, segment``.
    """

    purchase_model: PurchaseCountModel
    spend_model: GammaGammaModel
    table: pl.DataFrame
    horizon: float
    #: Reasons to distrust the purchase model (empty when it looks sound).
    warnings: tuple[FitWarning, ...] = ()
    #: How churn risk was decided: ``p_alive`` (the model) or ``purchase_cycle`` (fallback).
    churn_basis: str = "p_alive"
    #: The table's distinct histories, which purchase predictions are computed on.
    histories: Histories | None = None
    #: Customers the models were fitted on (fewer than the table's above ``FIT_SAMPLE``).
    fitted_customers: int | None = None

    def fit_note(self) -> str | None:
        """A line saying the models were fitted on a sample, or None when on everyone."""
        return sample_note(self.fitted_customers, self.table.height)

    def parameters(self) -> dict[str, Any]:
        """Fitted parameters and log-likelihoods, as ``segwise clv --json`` shows them."""
        return {
            PARAMETER_KEYS[self.purchase_model.MODEL]: {
                **self.purchase_model.params_,
                "log_likelihood": self.purchase_model.log_likelihood_,
            },
            "gamma_gamma": {
                **self.spend_model.params_,
                "log_likelihood": self.spend_model.log_likelihood_,
            },
        }

    def predicted_revenue(self, days: float, unit_days: float) -> np.ndarray:
        """Each customer's expected revenue over the next ``days``, undiscounted.

        Expected purchases (the purchase model) times expected spend per purchase
        (Gamma-Gamma): what the orders of that window should sum to, on average.

        Examples
        --------
        >>> import segwise as sw
        >>> from segwise.datasets import sample_paths
        >>> orders = sw.read_transactions(sample_paths()["orders"])
        >>> summary = sw.rfm_summary(orders, monetary_value_col="amount", time_unit="D")
        >>> found = predict_customers(summary.filter(summary["monetary_value"] >= 0), horizon=365)
        >>> bool((found.predicted_revenue(30, 1.0) <= found.predicted_revenue(60, 1.0)).all())
        True
        """
        histories = self.histories or Histories.of(self.table)
        purchases = self.purchase_model.expected_purchases(histories.table, days / unit_days)
        return histories.spread(purchases) * self.table["expected_value"].to_numpy()


def sample_note(fitted: int | None, customers: int) -> str | None:
    """A line saying the models were fitted on a sample, or None when on everyone."""
    if fitted is None or fitted >= customers:
        return None
    return (
        f"the models were fitted on a seeded sample of {fitted:,} of {customers:,} "
        "customers; every customer is predicted"
    )


def falls_back(at_risk: int, customers: int, warnings: list[FitWarning]) -> bool:
    """Whether churn must be judged by purchase cycles, not P(alive).

    So when the fit finds no dropout, or when P(alive) flags almost nobody or almost
    everybody as a churn risk (``at_risk`` of ``customers``, under or over
    :data:`MIN_CHURN_SHARE` from either end); the latter is added to ``warnings``.

    Examples
    --------
    >>> falls_back(2, 4312, []), falls_back(900, 4312, [])
    (True, False)
    """
    share = at_risk / customers if customers else 0.0
    flat = not MIN_CHURN_SHARE <= share <= 1 - MIN_CHURN_SHARE
    no_dropout = any(w.code == "no_dropout" for w in warnings)
    if flat and not no_dropout:
        warnings.append(
            FitWarning(
                "flat_p_alive",
                f"P(alive) flags {share:.1%} of customers as churn risks, so it cannot tell "
                "who is leaving",
                "churn risk is judged by recency against each customer's purchase cycle",
            )
        )
    return flat or no_dropout


def predict_customers(
    summary: pl.DataFrame,
    *,
    horizon: float,
    discount_rate: float = 0.0,
    tiers: tuple[float, float] | list[float] = (0.2, 0.6),
    churn_threshold: float = 0.3,
    draws: int = 0,
    level: float = 0.95,
    tier_by: str = "clv",
    fit_sample: int = FIT_SAMPLE,
    purchase_model: str = DEFAULT_MODEL,
) -> CustomerPredictions:
    """Fit a purchase model (customers) and Gamma-Gamma (repeat buyers), predict ``horizon`` ahead.

    Parameters
    ----------
    summary
        ``rfm_summary`` output: ``customer_id, frequency, recency, T, monetary_value``.
    horizon
        Time units ahead (the summary's unit); CLV sums one period per unit.
    discount_rate
        Per time unit (lifetimes' DCF convention, see ``customer_lifetime_value``).
    tiers, churn_threshold
        As for ``value_tiers`` and ``predictive_segments``.
    draws, level
        With ``draws`` > 0, each prediction gets a ``level`` interval from that many
        parameter draws (``prediction_intervals``): ``p_alive_lower``, ``p_alive_upper``,
        ``expected_purchases_lower``, …, ``clv_upper``.
    tier_by
        ``clv``, or ``clv_lower`` (needs draws): tiers by the value a customer is
        fairly sure to bring, so a thin history cannot reach the top tier by luck.
    fit_sample
        Above this many customers, both models are fitted on a seeded sample of that
        many (:data:`FIT_SAMPLE`); predictions cover every customer.
    purchase_model
        ``BG/NBD`` (the default), ``MBG/NBD`` or ``Pareto/NBD``. Whichever it is, a
        one-time buyer long silent is a churn risk too (``churn_flags`` says why).

    Examples
    --------
    >>> import segwise as sw
    >>> from segwise.datasets import sample_paths
    >>> orders = sw.read_transactions(sample_paths()["orders"])
    >>> summary = sw.rfm_summary(orders, monetary_value_col="amount", time_unit="W")
    >>> summary = summary.filter(summary["monetary_value"] >= 0)
    >>> predictions = predict_customers(summary, horizon=52.0)
    >>> predictions.table.columns[-3:]
    ['clv', 'tier', 'segment']
    """
    fitted, _ = seeded_sample(summary, fit_sample)
    model = new_model(purchase_model).fit(fitted)
    spend_model = GammaGammaModel().fit(fitted.filter(pl.col("monetary_value") > 0))
    periods = max(1, round(horizon))
    check_horizon(periods, horizon / periods, discount_rate)
    histories = Histories.of(summary)
    expected = histories.spread(model.expected_purchases(histories.table, horizon))
    value_per_purchase = spend_model.expected_average_value(summary)
    if discount_rate == 0:
        # Undiscounted, CLV is the horizon's expected purchases times the value of each.
        lifetime = value_per_purchase * expected
    else:
        discounted = _discounted(model, histories, horizon, discount_rate)
        lifetime = value_per_purchase * discounted
    p_alive = histories.spread(model.p_alive(histories.table))
    frequency, recency, T = (
        summary[c].to_numpy().astype(float) for c in ("frequency", "recency", "T")
    )
    warnings = diagnose_fit(model.params_, frequency, recency, T, model=model.MODEL)

    def segment(at_risk: np.ndarray | None) -> np.ndarray:
        return predictive_segments(
            p_alive=p_alive,
            expected_purchases=expected,
            horizon=horizon,
            frequency=frequency,
            T=T,
            historical_value=(summary["monetary_value"] * summary["frequency"]).to_numpy(),
            churn_threshold=churn_threshold,
            at_risk=at_risk,
        )

    segments = segment(churn_flags(p_alive, frequency, recency, T, threshold=churn_threshold))
    churn_basis = "p_alive"
    if falls_back(int((p_alive < churn_threshold).sum()), segments.size, warnings):
        # P(alive) cannot tell customers apart: judge churn by each one's own purchase cycle.
        segments = segment(overdue(frequency, recency, T))
        churn_basis = "purchase_cycle"
    table = summary.select("customer_id", "frequency", "recency", "T", "monetary_value")
    table = table.with_columns(
        pl.Series("p_alive", p_alive),
        pl.Series("expected_purchases", expected),
        pl.Series("expected_value", value_per_purchase),
        pl.Series("clv", lifetime),
    )
    if draws:
        table = _with_intervals(table, model, spend_model, summary, warnings,
                                horizon=horizon, periods=periods, discount_rate=discount_rate,
                                draws=draws, level=level)  # fmt: skip
    if tier_by not in table.columns:
        raise ConfigError(
            f"tiers by {tier_by} need prediction intervals", hint="set draws (e.g. 200)"
        )
    ranked = table[tier_by].to_numpy()
    table = table.with_columns(
        pl.Series("tier", value_tiers(ranked, tuple(tiers)).tolist(), dtype=pl.String),
        pl.Series("segment", segments.tolist(), dtype=pl.String),
    )
    return CustomerPredictions(
        model,
        spend_model,
        table,
        horizon,
        tuple(warnings),
        churn_basis,
        histories,
        fitted.height,
    )


def _discounted(
    purchase_model: PurchaseCountModel, histories: Histories, horizon: float, discount_rate: float
) -> np.ndarray:
    """Each customer's discounted expected purchases over ``horizon``, one period a unit."""
    periods = max(1, round(horizon))
    found = discounted_purchases(
        purchase_model,
        histories.table,
        periods=periods,
        period_length=horizon / periods,
        discount_rate=discount_rate,
    )
    return histories.spread(found)


def _with_intervals(
    table: pl.DataFrame,
    purchase_model: PurchaseCountModel,
    spend_model: GammaGammaModel,
    summary: pl.DataFrame,
    warnings: list[FitWarning],
    **settings: Any,
) -> pl.DataFrame:
    """The table with each prediction's interval bounds; a flat parameter is warned about."""
    flat = flat_parameters(purchase_model) + flat_parameters(spend_model)
    if flat:
        warnings.append(
            FitWarning(
                "flat_interval",
                f"the fit cannot say how sure it is of {', '.join(flat)} (a flat "
                "likelihood), so the intervals leave that uncertainty out",
                "read the bounds as narrower than the truth",
            )
        )
    bounds = prediction_intervals(purchase_model, summary, spend_model=spend_model, **settings)
    return pl.concat([table, bounds], how="horizontal")
