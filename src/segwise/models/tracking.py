"""Tracking: a cohort's cumulative repeat transactions by calendar time, model against actual.

The classic check of a purchase-count model (Fader, Hardie & Lee 2005, Figure 1): each
customer starts at their first purchase, so at calendar time t the cohort's expected
repeat transactions are Σᵢ E[X(t − sᵢ)] over customers who had started by then, with
E[X(·)] the model's expectation for a new customer. Customers who started on the same
day share one term, so a year of daily cohorts is a few hundred evaluations.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np


class NewCustomerModel(Protocol):
    """A fitted model that can say what a new customer buys (BG/NBD, MBG/NBD)."""

    def expected_purchases_new_customer(self, t: Any) -> np.ndarray: ...  # noqa: D102


def expected_cumulative_transactions(
    model: NewCustomerModel, first_purchase: Any, times: Any
) -> np.ndarray:
    """The cohort's expected cumulative repeat transactions at each of ``times``.

    ``first_purchase`` holds each customer's first purchase and ``times`` the calendar
    times wanted, both in the model's time unit from one origin (weeks since the
    cohort opened, say).

    Examples
    --------
    >>> import segwise as sw
    >>> model = sw.BetaGeoModel()
    >>> model.params_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    >>> track = expected_cumulative_transactions(model, [0.0, 0.0, 10.0], [5, 10, 52])
    >>> bool(track[0] == 2 * model.expected_purchases_new_customer(5))
    True
    """
    starts, counts = np.unique(np.asarray(first_purchase, dtype=float), return_counts=True)
    at = np.asarray(times, dtype=float)
    ages = np.clip(at[:, None] - starts[None, :], 0.0, None)
    expected = np.asarray(model.expected_purchases_new_customer(ages.ravel())).reshape(ages.shape)
    return (expected * counts[None, :]).sum(axis=1)


def actual_cumulative_transactions(repeat_purchases: Any, times: Any) -> np.ndarray:
    """How many of ``repeat_purchases`` (their calendar times) happened by each of ``times``.

    Examples
    --------
    >>> actual_cumulative_transactions([1.0, 2.5, 2.5, 7.0], [0, 2.5, 10]).tolist()
    [0, 3, 4]
    """
    ordered = np.sort(np.asarray(repeat_purchases, dtype=float))
    return np.searchsorted(ordered, np.asarray(times, dtype=float), side="right")


class AliveModel(Protocol):
    """A fitted model that gives P(alive) for a summary (every purchase-count model)."""

    def p_alive(self, summary: Any) -> np.ndarray: ...  # noqa: D102


def p_alive_path(
    model: AliveModel,
    purchase_times: Any,
    times: Any,
    covariates: dict[str, float] | None = None,
) -> np.ndarray:
    """One customer's P(alive) at each of ``times``, as their history unfolds.

    ``purchase_times`` are all their purchases (the first one included) and ``times``
    the moments wanted, in the model's time unit from one origin. At each moment the
    history is what had happened by then: P(alive) rises at each purchase and fades
    in the silences between. Moments before the first purchase give NaN.

    Examples
    --------
    >>> import segwise as sw
    >>> model = sw.BetaGeoModel()
    >>> model.params_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    >>> path = p_alive_path(model, [0.0, 2.0, 5.0], [1.0, 4.9, 5.0, 30.0])
    >>> bool(path[0] == 1.0 and path[2] > path[1] and path[3] < path[2])
    True
    """
    bought = np.sort(np.asarray(purchase_times, dtype=float))
    at = np.asarray(times, dtype=float)
    if bought.size == 0:
        return np.full(at.shape, np.nan)
    started = at >= bought[0]
    moments = at[started]
    seen = np.searchsorted(bought, moments, side="right")  # purchases by each moment
    summary = {
        "frequency": (seen - 1).astype(float),
        "recency": bought[seen - 1] - bought[0],
        "T": moments - bought[0],
    } | {name: np.full(moments.size, value) for name, value in (covariates or {}).items()}
    path = np.full(at.shape, np.nan)
    path[started] = model.p_alive(summary)
    return path
