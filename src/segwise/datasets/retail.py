"""A seeded generator for a realistic retailer: customers, orders and engagement events.

Every customer belongs to a hidden persona (bargain hunters, loyal regulars,
big spenders, occasional buyers, lapsed customers) that drives their
purchase rate, lifetime, order values, categories, channels and engagement,
the way latent segments drive real data. Purchases follow the BG/NBD story:
a Poisson purchase rate while active, and a dropout time after which the
customer never buys again.

Everything is vectorised numpy; ``write_retailer`` generates in chunks, so it
scales to tens of millions of customers in flat memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

if TYPE_CHECKING:
    from segwise._typing import StrPath

PERSONAS = ("bargain_hunter", "loyal_regular", "big_spender", "occasional", "lapsed")
_PERSONA_SHARE = np.array([0.25, 0.20, 0.08, 0.32, 0.15])
# Per persona: purchases per year while active, mean lifetime (days), mean order value,
# events per active month, preferred channel weights (web, app, store).
_RATE = np.array([9.0, 14.0, 6.0, 2.5, 4.0])
_LIFETIME = np.array([500.0, 1400.0, 900.0, 700.0, 150.0])
_ORDER_VALUE = np.array([28.0, 55.0, 240.0, 45.0, 40.0])
_EVENTS_PER_MONTH = np.array([4.0, 7.0, 3.5, 1.0, 1.5])
_CHANNELS = ("web", "app", "store")
_CHANNEL_WEIGHTS = np.array(
    [
        [0.55, 0.35, 0.10],
        [0.30, 0.55, 0.15],
        [0.35, 0.15, 0.50],
        [0.50, 0.10, 0.40],
        [0.60, 0.20, 0.20],
    ]
)
_CATEGORIES = ("apparel", "beauty", "electronics", "grocery", "home", "outdoor", "toys")
_CATEGORY_WEIGHTS = np.array(
    [
        [0.20, 0.10, 0.05, 0.35, 0.15, 0.05, 0.10],
        [0.20, 0.20, 0.10, 0.20, 0.15, 0.10, 0.05],
        [0.15, 0.10, 0.40, 0.02, 0.20, 0.10, 0.03],
        [0.25, 0.15, 0.10, 0.15, 0.15, 0.10, 0.10],
        [0.25, 0.15, 0.15, 0.15, 0.10, 0.10, 0.10],
    ]
)
_EVENTS = ("visit", "email_open", "email_click", "app_session", "add_to_cart")
_EVENT_WEIGHTS = np.array(
    [
        [0.40, 0.25, 0.10, 0.10, 0.15],
        [0.25, 0.20, 0.10, 0.35, 0.10],
        [0.40, 0.15, 0.10, 0.15, 0.20],
        [0.45, 0.35, 0.05, 0.05, 0.10],
        [0.20, 0.60, 0.05, 0.05, 0.10],
    ]
)
_COUNTRIES = ("United Kingdom", "Germany", "France", "Spain", "Netherlands", "Sweden", "Italy")
_COUNTRY_SHARE = np.array([0.40, 0.15, 0.13, 0.10, 0.08, 0.06, 0.08])
_CLIMATE = {
    "United Kingdom": "temperate",
    "Germany": "temperate",
    "France": "temperate",
    "Spain": "mediterranean",
    "Netherlands": "temperate",
    "Sweden": "cold",
    "Italy": "mediterranean",
}
_OCCUPATIONS = (
    "professional",
    "manager",
    "skilled trade",
    "student",
    "retired",
    "self-employed",
    "service",
)
_VALUES = ("price", "quality", "sustainability", "convenience")
_LIFESTYLES = ("active", "homebody", "trendsetter", "family-focused")
_DEVICES = ("mobile", "desktop", "tablet")


@dataclass(frozen=True)
class RetailData:
    """One generated retailer.

    Attributes
    ----------
    customers
        One row per customer: demographic, geographic, psychographic and
        technographic attributes, consent flags, email and phone.
    orders
        One row per order or return (returns have an order id starting with
        ``C`` and a negative amount).
    events
        Engagement events: visits, email opens and clicks, app sessions, add-to-cart.
    personas
        The hidden persona of each customer (``customer_id, persona``): ground
        truth for tests, never part of a real export.
    """

    customers: pl.DataFrame
    orders: pl.DataFrame
    events: pl.DataFrame
    personas: pl.DataFrame


def _choice(rng: np.random.Generator, options: tuple[str, ...], weights: np.ndarray) -> np.ndarray:
    """Draw one option per row from row-specific weights (shape n x len(options))."""
    cumulative = weights.cumsum(axis=1)
    draws = rng.random(len(weights))[:, None]
    index = (draws > cumulative).sum(axis=1).clip(0, len(options) - 1)
    chosen: np.ndarray = np.asarray(options, dtype=object)[index]
    return chosen


def _uniform_between(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    drawn: np.ndarray = lo + (hi - lo) * rng.random(len(lo))
    return drawn


def generate_retailer(
    n_customers: int = 5_000,
    *,
    seed: int = 42,
    start: str = "2023-01-01",
    end: str = "2024-12-31",
    id_offset: int = 0,
    messy: bool = False,
    events: bool = True,
) -> RetailData:
    """Generate a retailer's customers, orders and events.

    Parameters
    ----------
    n_customers
        How many customers.
    seed
        The random seed; the same seed gives the same data.
    start, end
        The observation window (ISO dates).
    id_offset
        Added to customer numbers, so chunks generated separately do not collide.
    messy
        Add the faults real exports have: missing customer ids, unreadable
        dates and amounts, exact duplicate rows. Timestamps and amounts are
        then text, as in a CSV export.
    events
        Whether to generate engagement events (the largest table); without
        them ``events`` is empty.

    Examples
    --------
    >>> data = generate_retailer(200, seed=1)
    >>> data.customers.height, data.customers["customer_id"][0]
    (200, '0000001')
    """
    rng = np.random.default_rng(seed)
    t0 = np.datetime64(start, "s").astype(np.int64)
    t1 = np.datetime64(end, "s").astype(np.int64) + 86_399
    span = float(t1 - t0)
    n = n_customers
    persona = rng.choice(len(PERSONAS), size=n, p=_PERSONA_SHARE)
    ids = np.char.zfill((np.arange(1, n + 1) + id_offset).astype(str), 7)

    # Signups spread over the window, a bit denser early on (an established base).
    signup = t0 + (rng.beta(1.0, 1.6, size=n) * span * 0.9).astype(np.int64)
    lifetime_s = rng.exponential(_LIFETIME[persona] * 86_400.0)
    active_end = np.minimum(signup + lifetime_s.astype(np.int64), t1)
    active_days = (active_end - signup) / 86_400.0
    rate = rng.gamma(2.0, _RATE[persona] / 2.0) / 365.0
    n_orders = 1 + rng.poisson(rate * active_days)
    value_mean = rng.gamma(3.0, _ORDER_VALUE[persona] / 3.0)

    # Orders: the first at signup, the rest uniform while active.
    owner = np.repeat(np.arange(n), n_orders)
    first = np.r_[0, np.cumsum(n_orders)[:-1]]
    is_first = np.zeros(len(owner), dtype=bool)
    is_first[first] = True
    order_time = np.where(
        is_first,
        signup[owner],
        _uniform_between(rng, signup[owner], active_end[owner]).astype(np.int64),
    )
    amount = np.round(value_mean[owner] * rng.lognormal(0.0, 0.45, size=len(owner)), 2).clip(1.0)
    channel = _choice(rng, _CHANNELS, _CHANNEL_WEIGHTS[persona[owner]])
    category = _choice(rng, _CATEGORIES, _CATEGORY_WEIGHTS[persona[owner]])
    quantity = 1 + rng.poisson(1.2, size=len(owner))
    order_no = np.arange(1, len(owner) + 1) + id_offset * 20
    order_id = np.char.add("O", order_no.astype(str))

    # About 4% of orders come back, partly or wholly, up to 30 days later.
    returned = rng.random(len(owner)) < 0.04
    r_share = rng.choice([1.0, 0.5], size=returned.sum())
    r_time = order_time[returned] + rng.integers(86_400, 30 * 86_400, size=returned.sum())
    returns = pl.DataFrame(
        {
            "order_id": np.char.add("C", order_no[returned].astype(str)),
            "customer_id": ids[owner[returned]],
            "order_ts": np.minimum(r_time, t1),
            "category": category[returned],
            "channel": channel[returned],
            "quantity": -quantity[returned],
            "amount": -np.round(amount[returned] * r_share, 2),
        }
    )
    orders = pl.concat(
        [
            pl.DataFrame(
                {
                    "order_id": order_id,
                    "customer_id": ids[owner],
                    "order_ts": order_time,
                    "category": category,
                    "channel": channel,
                    "quantity": quantity,
                    "amount": amount,
                }
            ),
            returns,
        ]
    )
    orders = (
        orders.with_columns(pl.from_epoch("order_ts", time_unit="s").alias("order_date"))
        .sort("order_date", "order_id")
        .select(
            "order_id", "customer_id", "order_date", "category", "channel", "quantity", "amount"
        )
    )

    # Customers before events, so leaving events out changes nothing else.
    customers = _customers(rng, ids, persona, signup)

    # Engagement events while active.
    months_active = active_days / 30.4
    n_events = rng.poisson(_EVENTS_PER_MONTH[persona] * months_active) * int(events)
    who = np.repeat(np.arange(n), n_events)
    event_time = _uniform_between(rng, signup[who], active_end[who]).astype(np.int64)
    event_log = pl.DataFrame(
        {
            "user_id": ids[who],
            "event_time": event_time,
            "event": _choice(rng, _EVENTS, _EVENT_WEIGHTS[persona[who]]),
            "device": np.where(rng.random(len(who)) < 0.6, "mobile", "desktop"),
        }
    )
    event_log = (
        event_log.with_columns(pl.from_epoch("event_time", time_unit="s").alias("ts"))
        .sort("ts")
        .select("user_id", "ts", "event", "device")
    )

    personas = pl.DataFrame(
        {"customer_id": ids, "persona": np.asarray(PERSONAS, dtype=object)[persona]}
    )
    if messy:
        orders = _make_messy(rng, orders)
    return RetailData(customers=customers, orders=orders, events=event_log, personas=personas)


def _customers(
    rng: np.random.Generator, ids: np.ndarray, persona: np.ndarray, signup: np.ndarray
) -> pl.DataFrame:
    n = len(ids)
    age = np.clip(rng.normal(38.0, 12.0, size=n) + np.array([-4, 8, 6, 0, -2])[persona], 18, 90)
    income = np.round(
        rng.lognormal(np.log(42_000) + np.array([-0.2, 0.1, 0.6, 0.0, -0.1])[persona], 0.4), -2
    )
    household = 1 + rng.poisson(1.3, size=n)
    children = np.minimum(rng.binomial(household - 1, 0.55), household - 1)
    country = rng.choice(_COUNTRIES, size=n, p=_COUNTRY_SHARE)
    device = _choice(rng, _DEVICES, np.tile([0.62, 0.30, 0.08], (n, 1)))
    mobile = device == "mobile"
    os_name = np.where(
        mobile,
        np.where(rng.random(n) < 0.55, "iOS", "Android"),
        np.where(rng.random(n) < 0.7, "Windows", "macOS"),
    )
    app_user = rng.random(n) < np.array([0.35, 0.6, 0.3, 0.1, 0.15])[persona]
    value_weights = np.array(
        [
            [0.6, 0.1, 0.1, 0.2],
            [0.15, 0.45, 0.2, 0.2],
            [0.05, 0.6, 0.15, 0.2],
            [0.3, 0.2, 0.2, 0.3],
            [0.35, 0.2, 0.15, 0.3],
        ]
    )
    consent_email = rng.random(n) < 0.72
    phone = np.char.add("+44 7", rng.integers(100_000_000, 999_999_999, size=n).astype(str))
    return pl.DataFrame(
        {
            "customer_id": ids,
            "signup_date": pl.from_epoch(pl.Series(signup), time_unit="s").dt.date(),
            "age": age.astype(np.int64),
            "gender": rng.choice(["female", "male", "non-binary"], size=n, p=[0.52, 0.46, 0.02]),
            "income": income,
            "household_size": household,
            "children_at_home": children,
            "occupation": rng.choice(_OCCUPATIONS, size=n),
            "country": country,
            "region": np.char.add(
                np.asarray(country, dtype=str),
                np.char.add(" / R", rng.integers(1, 6, size=n).astype(str)),
            ),
            "city_size": rng.choice(
                ["metro", "city", "town", "rural"], size=n, p=[0.35, 0.3, 0.2, 0.15]
            ),
            "climate": [_CLIMATE[c] for c in country],
            "values_priority": _choice(rng, _VALUES, value_weights[persona]),
            "lifestyle": rng.choice(_LIFESTYLES, size=n),
            "price_sensitivity": np.clip(
                np.array([5, 2, 1, 3, 4])[persona] + rng.integers(-1, 2, size=n), 1, 5
            ),
            "brand_loyalty": np.clip(
                np.array([2, 5, 4, 2, 1])[persona] + rng.integers(-1, 2, size=n), 1, 5
            ),
            "device": device,
            "os": os_name,
            "app_user": app_user,
            "consent_email": consent_email,
            "consent_sms": rng.random(n) < 0.35,
            "consent_ads": rng.random(n) < 0.55,
            "email": np.char.add(np.char.add("customer", ids.astype(str)), "@example.com"),
            "phone": phone,
        }
    )


def _make_messy(rng: np.random.Generator, orders: pl.DataFrame) -> pl.DataFrame:
    """Turn typed orders into a text export with the faults real exports have."""
    n = orders.height
    text = orders.with_columns(
        pl.col("order_date").dt.strftime("%Y-%m-%d %H:%M:%S"),
        pl.col("amount").cast(pl.String),
    )
    fault = rng.random(n)
    text = text.with_columns(
        pl.when(pl.lit(fault < 0.004))
        .then(None)
        .otherwise(pl.col("customer_id"))
        .alias("customer_id"),
        pl.when(pl.lit((fault >= 0.004) & (fault < 0.005)))
        .then(pl.lit("31/02/2024 25:61"))
        .otherwise(pl.col("order_date"))
        .alias("order_date"),
        pl.when(pl.lit((fault >= 0.005) & (fault < 0.0055)))
        .then(pl.lit("n/a"))
        .otherwise(pl.col("amount"))
        .alias("amount"),
    )
    duplicates = text.filter(pl.lit(rng.random(n) < 0.002))
    return pl.concat([text, duplicates]).sort("order_date", "order_id")


def write_retailer(
    directory: StrPath,
    n_customers: int,
    *,
    seed: int = 42,
    chunk_customers: int = 250_000,
    start: str = "2023-01-01",
    end: str = "2024-12-31",
    tables: tuple[str, ...] = ("customers", "orders", "events"),
) -> dict[str, Path]:
    """Generate a retailer in chunks and write Parquet files, in flat memory.

    Each chunk draws from its own child seed, so the output depends only on
    ``seed``, ``n_customers`` and ``chunk_customers``.

    Parameters
    ----------
    directory
        Where to write ``customers.parquet``, ``orders.parquet``, ``events.parquet``.
    n_customers, seed, start, end
        As for :func:`generate_retailer`.
    chunk_customers
        Customers generated at a time; bounds memory.
    tables
        Which tables to write (leaving out ``events`` is about 4× faster).

    Returns
    -------
    dict
        Each table written to its Parquet path.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    children = np.random.SeedSequence(seed).spawn(max(1, -(-n_customers // chunk_customers)))
    paths = {name: out / f"{name}.parquet" for name in tables}
    parts: dict[str, list[Path]] = {name: [] for name in paths}
    for index, child in enumerate(children):
        size = min(chunk_customers, n_customers - index * chunk_customers)
        data = generate_retailer(
            size,
            seed=int(child.generate_state(1)[0]),
            start=start,
            end=end,
            id_offset=index * chunk_customers,
            events="events" in tables,
        )
        for name in paths:
            part = out / f".{name}-{index:05d}.parquet"
            getattr(data, name).write_parquet(part)
            parts[name].append(part)
    for name, path in paths.items():
        pl.scan_parquet(parts[name]).sink_parquet(path)
        for part in parts[name]:
            part.unlink()
    return paths
