"""The sample retailer generator: seeded, realistic, chunked for scale."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

import segwise as sw
from segwise.datasets import PERSONAS, generate_retailer, sample_paths, write_retailer

if TYPE_CHECKING:
    from pathlib import Path


def test_same_seed_same_data() -> None:
    a, b = generate_retailer(300, seed=3), generate_retailer(300, seed=3)
    assert (
        a.orders.equals(b.orders) and a.customers.equals(b.customers) and a.events.equals(b.events)
    )
    assert not generate_retailer(300, seed=4).orders.equals(a.orders)


def test_shapes_and_attributes() -> None:
    data = generate_retailer(2_000, seed=11)
    assert data.customers.height == 2_000
    assert data.customers["customer_id"].n_unique() == 2_000
    for column in (
        "age",
        "income",
        "children_at_home",
        "country",
        "climate",
        "values_priority",
        "device",
        "os",
        "app_user",
        "consent_email",
        "email",
        "phone",
    ):
        assert column in data.customers.columns
    assert set(data.personas["persona"]) == set(PERSONAS)
    orders = data.orders
    assert orders["customer_id"].is_in(data.customers["customer_id"].implode()).all()
    returns = orders.filter(pl.col("order_id").str.starts_with("C"))
    assert 0.01 < returns.height / orders.height < 0.08
    assert (returns["amount"] < 0).all()
    assert set(data.events["event"]) == {
        "visit",
        "email_open",
        "email_click",
        "app_session",
        "add_to_cart",
    }


def test_personas_drive_behaviour() -> None:
    data = generate_retailer(5_000, seed=5)
    per_customer = (
        data.orders.filter(pl.col("amount") > 0)
        .group_by("customer_id")
        .agg(pl.len().alias("orders"), pl.col("amount").mean().alias("aov"))
        .join(data.personas, on="customer_id")
        .group_by("persona")
        .agg(pl.col("orders").mean(), pl.col("aov").mean())
    )
    by = {row["persona"]: row for row in per_customer.to_dicts()}
    assert by["big_spender"]["aov"] > 2 * by["bargain_hunter"]["aov"]
    assert by["loyal_regular"]["orders"] > 2 * by["lapsed"]["orders"]


def test_chunked_writer(tmp_path: Path) -> None:
    paths = write_retailer(tmp_path, 1_000, seed=1, chunk_customers=300)
    customers = pl.read_parquet(paths["customers"])
    assert customers.height == 1_000 and customers["customer_id"].n_unique() == 1_000
    assert (
        pl.read_parquet(paths["orders"])["order_id"].n_unique()
        == pl.read_parquet(paths["orders"]).height
    )
    assert not list(tmp_path.glob(".*"))


def test_bundled_sample_is_messy_but_readable() -> None:
    paths = sample_paths()
    report = sw.read_transactions(paths["orders"]).quality()
    assert (
        report.rows_quarantined > 0
        and report.checks["duplicates"] > 0
        and report.checks["returns"] > 0
    )
    assert (
        sw.read_customers(paths["customers"], pii=["email", "phone"]).quality().rows_used == 5_000
    )
    assert sw.read_events(paths["events"]).quality().rows_read > 100_000
