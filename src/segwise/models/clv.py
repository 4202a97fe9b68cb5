"""Customer lifetime value: expected purchases × expected value, discounted period by period.

The convention is lifetimes' ``customer_lifetime_value``: the horizon is cut
into ``periods`` periods of ``period_length`` model time units (a month is
4.345 weeks, or 30 days); the value expected in period k is
``E[value] × (E[Y(k·L)] − E[Y((k−1)·L)])`` and it is discounted at the end of
the period, ``/ (1 + discount_rate)^k``. ``discount_rate`` is per period (a
monthly rate for monthly periods). With the same fitted parameters the result
equals lifetimes' for ``time=periods`` and the matching ``freq``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from segwise.exceptions import ConfigError

if TYPE_CHECKING:
    from segwise.models.gamma_gamma import GammaGammaModel


class PurchaseModel(Protocol):
    """A fitted model that predicts purchases in the next ``t`` time units."""

    def expected_purchases(self, summary: Any, t: float) -> np.ndarray: ...  # noqa: D102


def customer_lifetime_value(
    purchase_model: PurchaseModel,
    spend_model: GammaGammaModel,
    summary: Any,
    *,
    periods: int = 12,
    period_length: float = 4.345,
    discount_rate: float = 0.01,
) -> np.ndarray:
    """Discounted expected value of each customer's purchases over ``periods`` periods.

    Parameters
    ----------
    purchase_model
        A fitted :class:`BetaGeoModel` or :class:`ParetoNBDModel`.
    spend_model
        A fitted :class:`GammaGammaModel`.
    summary
        ``frequency, recency, T, monetary_value`` per customer.
    periods, period_length
        The horizon: ``periods`` periods of ``period_length`` time units
        (defaults: 12 months of 4.345 weeks, for weekly summaries).
    discount_rate
        Per period, applied at the end of each period.

    Examples
    --------
    >>> from segwise.models import BetaGeoModel, GammaGammaModel
    >>> summary = {"frequency": [0, 1, 3, 0, 2, 5], "recency": [0, 5, 20, 0, 9, 30],
    ...            "T": [30, 30, 35, 12, 40, 36], "monetary_value": [0, 20, 35, 0, 15, 50]}
    >>> value = customer_lifetime_value(BetaGeoModel().fit(summary), GammaGammaModel().fit(summary),
    ...                                 summary, periods=6)
    >>> value.shape
    (6,)
    """
    check_horizon(periods, period_length, discount_rate)
    value_per_purchase = spend_model.expected_average_value(summary)
    return value_per_purchase * discounted_purchases(
        purchase_model,
        summary,
        periods=periods,
        period_length=period_length,
        discount_rate=discount_rate,
    )


def check_horizon(periods: int, period_length: float, discount_rate: float) -> None:
    """Refuse a horizon without a period of positive length, or a negative discount rate."""
    if periods < 1 or period_length <= 0:
        raise ConfigError("the horizon needs at least one period of positive length")
    if discount_rate < 0:
        raise ConfigError(f"discount_rate must be 0 or more, not {discount_rate}")


def discounted_purchases(
    purchase_model: PurchaseModel,
    summary: Any,
    *,
    periods: int,
    period_length: float,
    discount_rate: float,
) -> np.ndarray:
    """Each customer's expected purchases over ``periods`` periods, each period discounted.

    Times the expected value of a purchase, it is the customer's lifetime value; it
    depends on the purchase history only (``frequency, recency, T``).

    Examples
    --------
    >>> from segwise.models import BetaGeoModel
    >>> summary = {"frequency": [0, 1, 3, 0, 2, 5], "recency": [0, 5, 20, 0, 9, 30],
    ...            "T": [30, 30, 35, 12, 40, 36]}
    >>> model = BetaGeoModel().fit(summary)
    >>> plain = discounted_purchases(model, summary, periods=6, period_length=1, discount_rate=0)
    >>> bool((plain == model.expected_purchases(summary, 6)).all())
    True
    """
    check_horizon(periods, period_length, discount_rate)
    if discount_rate == 0:
        # Undiscounted, the periods' increments telescope to E[Y(horizon)] (E[Y(0)] = 0):
        # one prediction instead of one per period.
        return np.asarray(purchase_model.expected_purchases(summary, periods * period_length))
    total: np.ndarray | None = None
    previous = purchase_model.expected_purchases(summary, 0.0)
    for k in range(1, periods + 1):
        cumulative = purchase_model.expected_purchases(summary, k * period_length)
        step = (cumulative - previous) / (1 + discount_rate) ** k
        total = step if total is None else total + step
        previous = cumulative
    return np.asarray(total)
