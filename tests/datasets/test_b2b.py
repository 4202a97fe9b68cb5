"""The simulated B2B seller: seeded, with tiers that differ the way the docstring says."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl
import pytest

from segwise.datasets import generate_b2b, write_b2b
from segwise.exceptions import ConfigError

if TYPE_CHECKING:
    from pathlib import Path


def test_same_seed_same_data_and_every_tier_planted() -> None:
    first, again = generate_b2b(200, seed=5), generate_b2b(200, seed=5)
    assert first.orders.equals(again.orders) and first.contacts.equals(again.contacts)
    assert set(first.tiers["tier"]) == {"strategic", "growing", "small", "lapsed"}
    assert first.orders["order_date"].max() < first.as_of


def test_tiers_differ_in_size_committee_and_recency() -> None:
    data = generate_b2b(600, seed=1)
    orders = data.orders.join(data.contacts, on="contact_id").join(data.tiers, on="account_id")
    last = dict(orders.group_by("tier").agg(pl.col("order_date").max()).iter_rows())
    buyers = dict(
        orders.group_by("tier", "account_id")
        .agg(pl.col("contact_id").n_unique())
        .group_by("tier")
        .agg(pl.col("contact_id").mean())
        .iter_rows()
    )
    assert (data.as_of - last["lapsed"]).days > 150
    assert buyers["strategic"] > buyers["growing"] > buyers["small"]
    # A few contacts are linked to no account, as in a real CRM.
    assert 0 < data.contacts["account_id"].null_count() < 0.05 * data.contacts.height


def test_files_are_written_and_too_few_accounts_refused(tmp_path: Path) -> None:
    paths = write_b2b(tmp_path, 30)
    assert pl.read_csv(paths["accounts"]).height == 30
    with pytest.raises(ConfigError, match="at least 4"):
        generate_b2b(3)
