"""Account roll-ups: contacts' activity re-keyed to their account, counted by hand."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import segwise as sw
from segwise.datasets import generate_b2b
from segwise.engine.frames import to_lazy
from segwise.engine.sessions import on_engine
from segwise.exceptions import ConfigError
from segwise.features.accounts import account_view, with_firmographics

AS_OF = date(2024, 12, 31)


def _polars(frame: object) -> pl.DataFrame:
    return pl.DataFrame(to_lazy(frame).collect(backend="polars").to_native())


def _tiny() -> dict[str, pl.LazyFrame]:
    orders = pl.DataFrame(
        {
            "customer_id": ["ann", "ann", "bob", "bob", "cy", "dan", "eve"],
            "order_id": ["1", "2", "3", "4", "5", "6", "7"],
            "timestamp": [
                datetime(2023, 3, 1),  # ann: > 365 days before the as-of date
                datetime(2024, 12, 1),  # ann: in the 90-day window
                datetime(2024, 6, 1),  # bob: in the committee year, not active
                datetime(2024, 7, 1),  # bob: a return, which buys nothing
                datetime(2024, 11, 20),
                datetime(2025, 1, 5),  # dan: after the as-of date, ignored
                datetime(2024, 12, 30),  # eve: no account, left out of every roll-up
            ],
            "amount": [100.0, 300.0, 200.0, -50.0, 80.0, 999.0, 10.0],
        }
    )
    contacts = pl.DataFrame(
        {
            "customer_id": ["ann", "bob", "cy", "dan", "eve", "fay"],
            "company": ["A", "A", "B", "B", None, "A"],
            "role": ["IT", "Finance", "IT", "IT", "IT", None],
        }
    )
    events = pl.DataFrame(
        {
            "customer_id": ["fay", "dan"],
            "timestamp": [datetime(2024, 12, 15), datetime(2024, 1, 1)],
            "event": ["visit", "visit"],
        }
    )
    return {
        "transactions": orders.lazy(),
        "customers": contacts.lazy(),
        "events": events.lazy(),
    }


def test_roll_up_counts_each_contact_once_in_each_window() -> None:
    view = account_view(_tiny(), account="company", as_of=AS_OF, role="role")
    got = _polars(view.features).sort("customer_id")
    rows = {r["customer_id"]: r for r in got.to_dicts()}
    assert set(rows) == {"A", "B"}
    a, b = rows["A"], rows["B"]
    assert (a["contacts"], b["contacts"]) == (3, 2)
    # ann and bob bought; bob's return does not make him a buyer twice.
    assert (a["buying_contacts"], b["buying_contacts"]) == (2, 1)
    # The committee year (2024): ann (Dec) and bob (June); dan's order is after the as-of date.
    assert (a["buying_committee"], b["buying_committee"]) == (2, 1)
    assert (a["committee_roles"], b["committee_roles"]) == (2, 1)
    # Active in 90 days: ann (order) and fay (a visit); at B, cy (order); dan's visit is old.
    assert (a["active_contacts"], b["active_contacts"]) == (2, 1)
    # A's net revenue is 550 (ann 400, bob 150): ann holds 400/550 of it.
    assert a["net_revenue"] == pytest.approx(550.0)
    assert a["top_contact_share"] == pytest.approx(400 / 550)
    assert a["orders"] == 3 and b["orders"] == 1
    mapping = _polars(view.contacts).sort("customer_id")
    assert mapping.rows() == [("ann", "A"), ("bob", "A"), ("cy", "B"), ("dan", "B"), ("fay", "A")]


def test_accounts_table_sets_the_population_and_its_firmographics() -> None:
    tables = _tiny()
    tables["accounts"] = pl.LazyFrame(
        {"customer_id": ["A", "Z"], "industry": ["Retail", "Software"]}
    )
    got = _polars(account_view(tables, account="company", as_of=AS_OF).features)
    by_id = {r["customer_id"]: r for r in got.to_dicts()}
    # Z has no contact yet (kept, with zeros); B is linked but not in the table (kept, no industry).
    assert set(by_id) == {"A", "B", "Z"}
    assert (by_id["Z"]["contacts"], by_id["Z"]["orders"]) == (0, 0)
    assert by_id["A"]["industry"] == "Retail" and by_id["B"]["industry"] is None
    assert "committee_roles" not in got.columns  # no role column given


def test_without_orders_accounts_are_their_firmographics_contacts_and_activity() -> None:
    # Target accounts for account-based marketing: a CRM and an event log, no order book yet.
    tables = _tiny()
    del tables["transactions"]
    tables["accounts"] = pl.LazyFrame({"customer_id": ["A", "Z"], "employees": [120, 40]})
    view = account_view(tables, account="company", as_of=AS_OF)
    got = {r["customer_id"]: r for r in _polars(view.features).to_dicts()}
    assert set(got) == {"A", "B", "Z"}
    # A: ann, bob, fay (fay visited in the 90 days); B: cy, dan (dan's visit is a year old).
    assert (got["A"]["contacts"], got["A"]["active_contacts"]) == (3, 1)
    assert (got["B"]["contacts"], got["B"]["active_contacts"]) == (2, 0)
    assert (got["Z"]["contacts"], got["Z"]["employees"]) == (0, 40)
    assert got["A"]["visit_90d"] == 1 and got["B"]["visit_90d"] == 0
    assert "orders" not in got["A"] and "buying_contacts" not in got["A"]
    assert "transactions" not in view.tables


def test_polars_duckdb_and_spark_roll_up_a_generated_b2b_seller_alike(spark: Any) -> None:
    data = generate_b2b(300, seed=3)
    datasets = {
        "transactions": sw.read_transactions(
            data.orders, customer_id="contact_id", timestamp="order_date", category="product_line"
        ),
        "customers": sw.read_customers(data.contacts, customer_id="contact_id"),
        "accounts": sw.read_accounts(data.accounts),
    }
    frames = {}
    for engine in ("polars", "duckdb", "spark"):
        tables = on_engine({k: d.data for k, d in datasets.items()}, engine, spark)
        view = account_view(tables, account="account_id", as_of=data.as_of, role="role")
        frames[engine] = _polars(view.features).sort("customer_id")
    polars_ = frames["polars"]
    assert polars_.height == 300
    for other in ("duckdb", "spark"):
        assert_frame_equal(polars_, frames[other].select(polars_.columns), check_dtypes=False)
    tiers = polars_.join(data.tiers.rename({"account_id": "customer_id"}), on="customer_id")
    means = dict(tiers.group_by("tier").agg(pl.col("buying_committee").mean()).iter_rows())
    assert means["strategic"] > means["growing"] > means["small"] > means["lapsed"]


def test_contacts_get_their_accounts_firmographics_with_a_prefix_on_clashes() -> None:
    people = pl.LazyFrame(
        {"customer_id": ["ann", "bob"], "company": ["A", "B"], "region": ["North", "South"]}
    )
    firms = pl.LazyFrame({"customer_id": ["A"], "region": ["EMEA"], "employees": [50]})
    got = with_firmographics(people, firms, "company").collect().sort("customer_id")
    assert got.columns == ["customer_id", "company", "region", "account_region", "employees"]
    assert got.row(0) == ("ann", "A", "North", "EMEA", 50)
    assert got.row(1) == ("bob", "B", "South", None, None)


def test_a_mapping_column_that_is_not_there_is_named() -> None:
    with pytest.raises(ConfigError, match="column 'firm' is not in the customers table"):
        account_view(_tiny(), account="firm", as_of=AS_OF)
