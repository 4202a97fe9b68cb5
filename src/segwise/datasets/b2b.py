"""A simulated B2B seller: accounts with firmographics, their contacts, and the contacts' orders.

Known truth for testing account-level segments (``level: account``). Each
account belongs to one planted tier that sets its size, how many of its
people buy, how often and how much, and whether it has gone quiet:

* ``strategic``: large companies, a broad buying committee, big orders every few weeks;
* ``growing``: mid-sized, two or three buyers, monthly orders, busier lately;
* ``small``: small firms, one buyer, a modest order every few months;
* ``lapsed``: any size, no order for the last half year or more.

Orders are placed by contacts, as a CRM records them; a few contacts are not
linked to any account (a typo in the CRM), so a roll-up has something to leave out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from segwise.exceptions import ConfigError

TIERS = ("strategic", "growing", "small", "lapsed")
_SHARES = np.array([0.12, 0.28, 0.42, 0.18])
#: Per tier: employees (log-uniform range), contacts, buying contacts, days between orders,
#: mean order value.
_PROFILE = {
    "strategic": ((1_000, 50_000), (6, 14), (4, 8), 12.0, 6_000.0),
    "growing": ((100, 1_000), (3, 7), (2, 3), 30.0, 1_400.0),
    "small": ((5, 100), (1, 3), (1, 1), 95.0, 350.0),
    "lapsed": ((20, 5_000), (2, 6), (1, 2), 45.0, 900.0),
}
_INDUSTRIES = ("Manufacturing", "Retail", "Healthcare", "Software", "Logistics", "Finance")
_REGIONS = ("North America", "EMEA", "APAC", "LATAM")
_ROLES = ("Procurement", "IT", "Finance", "Operations", "Executive", "Engineering")
_LINES = ("Hardware", "Software", "Services", "Support")
HISTORY_DAYS = 730


@dataclass(frozen=True)
class B2BData:
    """One simulated B2B seller.

    Attributes
    ----------
    accounts
        ``account_id, company, industry, employees, revenue_band, region``.
    contacts
        The CRM's people: ``contact_id, account_id, role, title`` (``account_id``
        empty for the few nobody linked).
    orders
        ``order_id, contact_id, order_date, amount, product_line``.
    tiers
        The planted tier of each account (``account_id, tier``): ground truth
        for tests, never part of a real export.
    as_of
        The day after the last possible order.
    """

    accounts: pl.DataFrame
    contacts: pl.DataFrame
    orders: pl.DataFrame
    tiers: pl.DataFrame
    as_of: date


def _revenue_band(employees: np.ndarray) -> np.ndarray:
    bands = np.array(["<10M", "10M-100M", "100M-1B", "1B+"], dtype=object)
    return bands[np.searchsorted([50, 500, 5_000], employees, side="right")]


def _accounts(rng: np.random.Generator, tier: np.ndarray) -> pl.DataFrame:
    n = tier.size
    low = np.array([_PROFILE[TIERS[t]][0][0] for t in tier], dtype=float)
    high = np.array([_PROFILE[TIERS[t]][0][1] for t in tier], dtype=float)
    employees = np.exp(rng.uniform(np.log(low), np.log(high))).astype(np.int64)
    ids = [f"ACC-{i:05d}" for i in range(1, n + 1)]
    return pl.DataFrame(
        {
            "account_id": ids,
            "company": [f"Company {i}" for i in range(1, n + 1)],
            "industry": rng.choice(_INDUSTRIES, size=n).tolist(),
            "employees": employees,
            "revenue_band": _revenue_band(employees).tolist(),
            "region": rng.choice(_REGIONS, size=n, p=[0.4, 0.3, 0.2, 0.1]).tolist(),
        }
    )


def _contacts(
    rng: np.random.Generator, account_ids: list[str], tier: np.ndarray
) -> tuple[pl.DataFrame, np.ndarray, np.ndarray]:
    """The contacts, the account index of each, and whether each one buys."""
    counts = np.array([rng.integers(*_PROFILE[TIERS[t]][1], endpoint=True) for t in tier])
    buyers = np.array([rng.integers(*_PROFILE[TIERS[t]][2], endpoint=True) for t in tier])
    buyers = np.minimum(buyers, counts)
    owner = np.repeat(np.arange(tier.size), counts)
    rank = np.arange(owner.size) - np.repeat(np.cumsum(counts) - counts, counts)
    buys = rank < buyers[owner]
    n = owner.size
    linked = np.asarray(account_ids, dtype=object)[owner]
    # About 1% of the CRM's people were never linked to their company.
    unlinked = rng.random(n) < 0.01
    linked[unlinked] = None
    role = rng.choice(_ROLES, size=n)
    frame = pl.DataFrame(
        {
            "contact_id": [f"C{i:06d}" for i in range(1, n + 1)],
            "account_id": linked.tolist(),
            "role": role.tolist(),
            "title": [f"{r} lead" for r in role.tolist()],
        }
    )
    return frame, owner, buys


def _orders(
    rng: np.random.Generator,
    tier: np.ndarray,
    owner: np.ndarray,
    buys: np.ndarray,
    contact_ids: list[str],
    start: date,
) -> pl.DataFrame:
    buyer = np.flatnonzero(buys)
    buyer_tier = tier[owner[buyer]]
    gap = np.array([_PROFILE[TIERS[t]][3] for t in buyer_tier])
    # Each buyer's share of the account's orders: committee members buy less often each.
    per_account = np.bincount(owner[buyer], minlength=tier.size)[owner[buyer]]
    rate = 1.0 / (gap * per_account)
    # Lapsed accounts stop 180-500 days before the end; growing ones buy faster in the last year.
    end = np.where(buyer_tier == 3, HISTORY_DAYS - rng.uniform(180, 500, buyer.size), HISTORY_DAYS)
    expected = rate * end * np.where(buyer_tier == 1, 1.3, 1.0)
    n_orders = np.maximum(rng.poisson(expected), np.where(buyer_tier == 3, 1, 0))
    who = np.repeat(np.arange(buyer.size), n_orders)
    day = rng.uniform(0, 1, who.size)
    growing = buyer_tier[who] == 1
    day = np.where(growing, np.sqrt(day), day)  # more orders late in the history
    offset = np.floor(day * end[who]).astype(np.int64)
    mean = np.array([_PROFILE[TIERS[t]][4] for t in buyer_tier])[who]
    amount = np.round(rng.gamma(4.0, mean / 4.0), 2)
    order_date = [start + timedelta(days=int(d)) for d in offset]
    frame = pl.DataFrame(
        {
            "contact_id": np.asarray(contact_ids, dtype=object)[buyer[who]].tolist(),
            "order_date": order_date,
            "amount": amount,
            "product_line": rng.choice(_LINES, size=who.size, p=[0.3, 0.3, 0.25, 0.15]).tolist(),
        }
    ).sort("order_date", "contact_id")
    return frame.with_row_index("order_id", offset=1).with_columns(
        pl.format("SO-{}", pl.col("order_id")).alias("order_id")
    )


def generate_b2b(n_accounts: int = 800, *, seed: int = 0) -> B2BData:
    """Simulate a B2B seller's CRM and order book over two years.

    Parameters
    ----------
    n_accounts
        How many companies.
    seed
        Everything is determined by it.

    Examples
    --------
    >>> from segwise.datasets import generate_b2b
    >>> data = generate_b2b(50, seed=1)
    >>> data.accounts.height, data.orders.columns[:3]
    (50, ['order_id', 'contact_id', 'order_date'])
    """
    if n_accounts < len(TIERS):
        raise ConfigError(f"n_accounts must be at least {len(TIERS)}, got {n_accounts}")
    rng = np.random.default_rng(seed)
    tier = rng.choice(len(TIERS), size=n_accounts, p=_SHARES)
    accounts = _accounts(rng, tier)
    ids = accounts["account_id"].to_list()
    contacts, owner, buys = _contacts(rng, ids, tier)
    as_of = date(2025, 12, 31)
    start = as_of - timedelta(days=HISTORY_DAYS)
    orders = _orders(rng, tier, owner, buys, contacts["contact_id"].to_list(), start)
    tiers = pl.DataFrame({"account_id": ids, "tier": np.asarray(TIERS)[tier].tolist()})
    return B2BData(accounts, contacts, orders, tiers, as_of)


def write_b2b(directory: str | Path, n_accounts: int = 800, *, seed: int = 0) -> dict[str, Path]:
    """Write ``accounts.csv``, ``contacts.csv`` and ``orders.csv`` into ``directory``.

    Examples
    --------
    >>> import tempfile
    >>> from segwise.datasets import write_b2b
    >>> sorted(write_b2b(tempfile.mkdtemp(), 20))
    ['accounts', 'contacts', 'orders']
    """
    data = generate_b2b(n_accounts, seed=seed)
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {name: folder / f"{name}.csv" for name in ("accounts", "contacts", "orders")}
    for name, path in paths.items():
        getattr(data, name).write_csv(path)
    return paths
