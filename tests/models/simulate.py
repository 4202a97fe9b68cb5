"""Customers drawn from the models themselves, to check estimates against known truths."""

from __future__ import annotations

from typing import Any

import numpy as np


def bg_nbd_customers(
    seed: int,
    params: dict[str, float],
    people: int = 1000,
    *,
    rate_factor: np.ndarray | None = None,
    dropout_factor: np.ndarray | None = None,
) -> dict[str, Any]:
    """Calibration summaries of BG/NBD customers observed for 39 weeks.

    ``rate_factor`` multiplies each customer's purchase rate (a covariate's
    ``exp(γz)``: α_i = α / factor); ``dropout_factor`` multiplies their ``a``.
    """
    rng = np.random.default_rng(seed)
    alpha = params["alpha"] / (1.0 if rate_factor is None else rate_factor)
    a = params["a"] * (1.0 if dropout_factor is None else dropout_factor)
    rate = rng.gamma(params["r"], 1 / alpha, people)
    drop = rng.beta(a, params["b"], people)
    times = np.cumsum(rng.exponential(1 / rate[:, None], (people, 60)), axis=1)
    tosses = rng.random((people, 61)) < drop[:, None]
    tosses[:, 0] = False  # BG/NBD: no dropout before the first repeat purchase
    dies_after = np.where(tosses.any(1), tosses.argmax(1), 61)
    seen = (np.arange(1, 61)[None, :] <= dies_after[:, None]) & (times <= 39.0)
    x = seen.sum(1).astype(float)
    t_x = np.where(x > 0, np.where(seen, times, 0).max(1), 0.0)
    return {"frequency": x, "recency": np.round(t_x, 1), "T": np.full(people, 39.0)}
