"""Predictive segments from model outputs: churn risk, at-risk high value, rising, stable."""

from __future__ import annotations

import numpy as np

from segwise.exceptions import ConfigError
from segwise.models.tiers import value_tiers

SEGMENTS = ("At-risk high value", "Churn risk", "Rising", "Stable")


def predictive_segments(
    *,
    p_alive: np.ndarray,
    expected_purchases: np.ndarray,
    horizon: float,
    frequency: np.ndarray,
    T: np.ndarray,
    historical_value: np.ndarray,
    churn_threshold: float = 0.3,
    rising_ratio: float = 1.5,
    high_value_share: float = 0.2,
    at_risk: np.ndarray | None = None,
) -> np.ndarray:
    """Name each customer's predictive segment; the first rule that holds wins.

    1. **At-risk high value**: among the top ``high_value_share`` by historical
       value, and P(alive) below ``churn_threshold``.
    2. **Churn risk**: P(alive) below ``churn_threshold``.
    3. **Rising**: repeat buyers whose expected purchases per time unit are at
       least ``rising_ratio`` times their historical rate (repeat purchases ÷ T).
    4. **Stable**: everyone else.

    ``at_risk`` replaces "P(alive) below ``churn_threshold``" with another churn
    signal, for fits whose P(alive) cannot discriminate (see
    :func:`segwise.models.diagnostics.overdue`).

    Examples
    --------
    >>> predictive_segments(
    ...     p_alive=np.array([0.1, 0.2, 0.9, 0.8]),
    ...     expected_purchases=np.array([0.1, 0.2, 4.0, 1.0]),
    ...     horizon=10.0,
    ...     frequency=np.array([9.0, 1.0, 1.0, 2.0]),
    ...     T=np.array([30.0, 30.0, 20.0, 20.0]),
    ...     historical_value=np.array([900.0, 10.0, 50.0, 60.0]),
    ...     high_value_share=0.25,
    ... ).tolist()
    ['At-risk high value', 'Churn risk', 'Rising', 'Stable']
    """
    if not 0 < churn_threshold < 1:
        raise ConfigError(f"churn_threshold must be between 0 and 1, not {churn_threshold}")
    if rising_ratio <= 0 or horizon <= 0:
        raise ConfigError("rising_ratio and horizon must be positive")
    high = (
        value_tiers(historical_value, (high_value_share, min(0.99, high_value_share + 0.01)))
        == "high"
    )
    if at_risk is None:
        at_risk = p_alive < churn_threshold
    historical_rate = np.divide(
        frequency, T, out=np.zeros_like(frequency, dtype=float), where=T > 0
    )
    predicted_rate = expected_purchases / horizon
    # Without a repeat purchase there is no historical rate to rise above.
    rising = (frequency > 0) & (predicted_rate >= rising_ratio * historical_rate)
    return np.select(
        [high & at_risk, at_risk, rising], list(SEGMENTS[:3]), default=SEGMENTS[3]
    ).astype(object)
