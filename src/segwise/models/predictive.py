"""Predictive segments from model outputs: churn risk, at-risk high value, rising, stable."""

from __future__ import annotations

import numpy as np

from segwise.exceptions import ConfigError
from segwise.models.histories import weighted_median
from segwise.models.tiers import value_tiers

SEGMENTS = ("At-risk high value", "Churn risk", "Rising", "Stable")
#: Newer repeat buyers expected to buy at least this many times the median customer: Rising.
RISING_RATIO = 1.5
#: P(alive) under this is a churn risk, unless a segmentation sets its own.
CHURN_THRESHOLD = 0.3
#: The top share by historical value that can be At-risk high value.
HIGH_VALUE_SHARE = 0.2


def check_settings(churn_threshold: float, rising_ratio: float, horizon: float) -> None:
    """Refuse settings no segment can be read from.

    Examples
    --------
    >>> check_settings(1.5, RISING_RATIO, 52.0)
    Traceback (most recent call last):
    ...
    segwise.exceptions.ConfigError: churn_threshold must be between 0 and 1, not 1.5
    """
    if not 0 < churn_threshold < 1:
        raise ConfigError(f"churn_threshold must be between 0 and 1, not {churn_threshold}")
    if rising_ratio <= 0 or horizon <= 0:
        raise ConfigError("rising_ratio and horizon must be positive")


def high_value_cuts(share: float) -> tuple[float, float]:
    """The tier shares whose ``high`` tier is the top ``share`` (historical value)."""
    return (share, min(0.99, share + 0.01))


def predictive_segments(
    *,
    p_alive: np.ndarray,
    expected_purchases: np.ndarray,
    horizon: float,
    frequency: np.ndarray,
    T: np.ndarray,
    historical_value: np.ndarray,
    churn_threshold: float = CHURN_THRESHOLD,
    rising_ratio: float = RISING_RATIO,
    high_value_share: float = HIGH_VALUE_SHARE,
    at_risk: np.ndarray | None = None,
) -> np.ndarray:
    """Name each customer's predictive segment; the first rule that holds wins.

    1. **At-risk high value**: among the top ``high_value_share`` by historical
       value, and P(alive) below ``churn_threshold``.
    2. **Churn risk**: P(alive) below ``churn_threshold``.
    3. **Rising**: newer repeat buyers (``T`` at most the median) expected to buy
       at least ``rising_ratio`` times the median customer (:func:`rising`).
    4. **Stable**: everyone else.

    ``at_risk`` replaces "P(alive) below ``churn_threshold``" with another churn
    signal, for fits whose P(alive) cannot discriminate (see
    :func:`segwise.models.diagnostics.overdue`).

    Examples
    --------
    >>> predictive_segments(
    ...     p_alive=np.array([0.1, 0.2, 0.9, 0.8]),
    ...     expected_purchases=np.array([0.1, 0.2, 4.0, 0.5]),
    ...     horizon=10.0,
    ...     frequency=np.array([9.0, 1.0, 1.0, 2.0]),
    ...     T=np.array([30.0, 30.0, 20.0, 20.0]),
    ...     historical_value=np.array([900.0, 10.0, 50.0, 60.0]),
    ...     high_value_share=0.25,
    ... ).tolist()
    ['At-risk high value', 'Churn risk', 'Rising', 'Stable']
    """
    check_settings(churn_threshold, rising_ratio, horizon)
    high = high_value(historical_value, high_value_share)
    if at_risk is None:
        at_risk = p_alive < churn_threshold
    rises = rising(frequency, T, expected_purchases, rising_ratio=rising_ratio)
    return np.select(
        [high & at_risk, at_risk, rises], list(SEGMENTS[:3]), default=SEGMENTS[3]
    ).astype(object)


def high_value(historical_value: np.ndarray, share: float = HIGH_VALUE_SHARE) -> np.ndarray:
    """Whether each customer is in the top ``share`` by historical value.

    At-risk high value's first condition.

    Examples
    --------
    >>> high_value(np.array([5.0, 900.0, 10.0, 60.0]), 0.25).tolist()
    [False, True, False, False]
    """
    return value_tiers(historical_value, high_value_cuts(share)) == "high"


def rising(
    frequency: np.ndarray,
    T: np.ndarray,
    expected_purchases: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    rising_ratio: float = RISING_RATIO,
) -> np.ndarray:
    """Rising stars: newer repeat buyers expected to buy ``rising_ratio`` × the typical customer.

    Newer: observed no longer than the median customer (``T`` at or below its
    median). Typical: the median expected purchases over all customers.
    ``weights`` counts the customers each row stands for (distinct histories).

    Not "expected to buy more than their own past rate": BG/NBD and Pareto/NBD
    shrink each customer's rate toward the population's, so a prediction above a
    customer's own rate singles out the slowest buyers (on Online Retail II, 99%
    of such customers bought less often than average).

    Examples
    --------
    >>> rising(np.array([2.0, 0.0, 3.0, 1.0]), np.array([10.0, 5.0, 40.0, 10.0]),
    ...        np.array([6.0, 1.0, 5.0, 1.0])).tolist()
    [True, False, False, False]
    """
    counts = np.ones(frequency.size, dtype=np.int64) if weights is None else weights
    typical_age = weighted_median(T, counts)
    newer = np.less_equal(T, typical_age)
    typical = weighted_median(expected_purchases, counts)
    strong = (expected_purchases > 0) & (expected_purchases >= rising_ratio * typical)
    # Without a repeat purchase there is no habit yet to call rising.
    return (frequency > 0) & newer & strong
