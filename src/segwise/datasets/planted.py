"""Customer tables with planted segments: known truth for testing clustering.

Each segment has its own centre for every feature; features come on very
different scales (ages, day counts, visit counts, skewed money in the
thousands), two are categorical with segment-specific distributions, a few
values are missing and a few rows are pure noise. A clustering method that
recovers the segments must cope with all of that.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from segwise.exceptions import ConfigError

DEVICES = ("ios", "android", "desktop", "tablet")
CHANNELS = ("web", "app", "store")


def planted_segments(
    n: int = 3_000,
    k: int = 4,
    *,
    seed: int = 0,
    missing_share: float = 0.02,
    noise_share: float = 0.01,
    separation: float = 5.0,
) -> tuple[pl.DataFrame, np.ndarray]:
    """Generate ``n`` customers in ``k`` planted segments.

    Parameters
    ----------
    n, k
        Customers and segments (segment sizes vary by up to 3×).
    seed
        Everything is determined by it.
    missing_share
        Share of numeric values set to NULL (recency excepted: everyone planted has bought).
    noise_share
        Share of rows drawn at random from the whole range (their truth is -1).
    separation
        Minimum distance between segment centres, in within-segment standard
        deviations of the latent (log/standardised) scale.

    Returns
    -------
    (table, truth)
        ``customer_id, age, recency_days, orders, visits_30d, monetary,
        avg_basket, device, channel`` and each row's true segment.

    Examples
    --------
    >>> table, truth = planted_segments(200, 3, seed=1)
    >>> table.height, sorted(set(truth.tolist()) - {-1})
    (200, [0, 1, 2])
    """
    if k < 1 or n < 10 * k:
        raise ConfigError(f"need k >= 1 and at least 10 customers a segment, not n={n}, k={k}")
    rng = np.random.default_rng(seed)
    dims = 6
    centres = _separated_centres(rng, k, dims, separation)
    weights = rng.uniform(1.0, 3.0, k)
    truth = rng.choice(k, size=n, p=weights / weights.sum())
    latent = centres[truth] + rng.normal(0.0, 1.0, (n, dims))
    noisy = rng.random(n) < noise_share
    latent[noisy] = rng.uniform(latent.min(0), latent.max(0), (int(noisy.sum()), dims))
    truth = np.where(noisy, -1, truth)
    # Latent (standard) scale → the scales real customer tables have.
    age = np.clip(45 + 6 * latent[:, 0], 18, 95).round()
    recency = np.clip(np.exp(4.0 + 0.35 * latent[:, 1]), 0, 2_000).round()
    orders = np.maximum(1, np.round(np.exp(1.5 + 0.3 * latent[:, 2])))
    visits = np.maximum(0, np.round(np.exp(1.2 + 0.3 * latent[:, 3]) - 1))
    monetary = np.round(np.exp(6.0 + 0.4 * latent[:, 4]), 2)
    basket = np.round(np.exp(3.5 + 0.3 * latent[:, 5]), 2)
    preferred_device = rng.integers(0, len(DEVICES), k)
    preferred_channel = rng.integers(0, len(CHANNELS), k)
    device = _categorical(rng, truth, preferred_device, len(DEVICES), 0.8)
    channel = _categorical(rng, truth, preferred_channel, len(CHANNELS), 0.7)
    columns: dict[str, np.ndarray] = {
        "age": age,
        "recency_days": recency,
        "orders": orders,
        "visits_30d": visits,
        "monetary": monetary,
        "avg_basket": basket,
    }
    blanks = {name: rng.random(n) < missing_share for name in columns}
    # Everyone planted has bought: a blank recency would read "never bought" (features/elapsed.py).
    blanks["recency_days"][:] = False
    table = pl.DataFrame(
        {
            "customer_id": [f"c{i:06d}" for i in range(n)],
            **{
                name: pl.Series(name, values).set(pl.Series(blanks[name]), None)
                for name, values in columns.items()
            },
            "device": [DEVICES[d] for d in device],
            "channel": [CHANNELS[c] for c in channel],
        }
    ).with_columns(pl.col("age", "recency_days", "orders", "visits_30d").cast(pl.Int64))
    return table, truth


def _separated_centres(
    rng: np.random.Generator, k: int, dims: int, separation: float
) -> np.ndarray:
    for _ in range(10_000):
        centres = rng.uniform(-separation, separation, (k, dims))
        gaps = np.linalg.norm(centres[:, None, :] - centres[None, :, :], axis=-1)
        if k == 1 or gaps[np.triu_indices(k, 1)].min() >= separation:
            return centres
    raise ConfigError(f"cannot place {k} segments {separation} apart; lower the separation")


def _categorical(
    rng: np.random.Generator, truth: np.ndarray, preferred: np.ndarray, levels: int, share: float
) -> np.ndarray:
    """The segment's preferred level with probability ``share``, else any level."""
    own = preferred[np.maximum(truth, 0)]
    other = rng.integers(0, levels, truth.size)
    return np.where(rng.random(truth.size) < share, own, other)
