"""Event conditions: counts, windows, property filters and event dates, the same on every engine."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import narwhals.stable.v2 as nw
import polars as pl
import pytest

from segwise.segmenters import RuleSegmenter

AS_OF = "2024-03-31"
CUSTOMERS = pl.DataFrame({"id": [1, 2, 3, 4], "orders": [3, 1, 0, 0]})
EVENTS = pl.DataFrame(
    {
        "customer_id": ["1", "1", "1", "1", "2", "3"],
        "timestamp": [
            dt.datetime(2024, 3, 30, 9),
            dt.datetime(2024, 3, 20),
            dt.datetime(2024, 2, 1),
            dt.datetime(2024, 4, 2),  # after the as-of date: ignored
            dt.datetime(2024, 3, 31, 23),
            dt.datetime(2024, 1, 15),
        ],
        "event": ["email_open", "email_open", "email_open", "email_open", "email_open", "app_open"],
        "channel": ["app", "email", "email", "app", "app", None],
    }
)
TRANSACTIONS = pl.DataFrame(
    {
        "customer_id": ["1", "1", "1", "1", "2"],
        "timestamp": [dt.datetime(2024, 3, 1)] * 2
        + [dt.datetime(2024, 3, 15), dt.datetime(2024, 3, 16), dt.datetime(2024, 3, 2)],
        "amount": [10.0, 5.0, 20.0, -20.0, 7.5],
        "order_id": ["A", "A", "B", "C", "D"],
    }
)

RULES = {
    "opened twice": "performed('email_open', at_least => 2)",
    "opened twice lately": "performed('email_open', at_least => 2, within => '30d')",
    "opened in app": "performed('email_open', where => \"channel = 'app'\")",
    "never opened": "NOT performed('email_open')",
    "opened exactly once": "performed('email_open', exactly => 1)",
    "opened in february": "performed('email_open', between => ('2024-02-01', '2024-02-29'))",
    "first open on feb 1": "first_performed('email_open') = DATE '2024-02-01'",
    "app idle 60 days": "days_since(last_performed('app_open')) > 60",
    "two orders": "performed('purchase', at_least => 2)",
    "one order no opens": (
        "performed('order', exactly => 1) AND NOT performed('email_open', within => '7d')"
    ),
}
EXPECTED = {
    "opened twice": [True, False, False, False],
    "opened twice lately": [True, False, False, False],
    "opened in app": [True, True, False, False],
    "never opened": [False, False, True, True],
    "opened exactly once": [False, True, False, False],
    "opened in february": [True, False, False, False],
    "first open on feb 1": [True, False, False, False],
    "app idle 60 days": [False, False, True, False],
    "two orders": [True, False, False, False],
    "one order no opens": [False, False, False, False],
}


def memberships(customers: Any, events: Any, transactions: Any) -> dict[str, list[bool]]:
    segmenter = RuleSegmenter(RULES, exclusive=False, id_col="id", as_of=AS_OF)
    out = segmenter.fit(customers, events=events, transactions=transactions).segment(
        customers, events=events, transactions=transactions
    )
    native = nw.from_native(out)
    table = native.collect(backend="polars") if isinstance(native, nw.LazyFrame) else native
    table = table.to_native()
    table = table.sort("id")
    return {name: table[name].to_list() for name in RULES}


def test_event_conditions_on_polars() -> None:
    assert memberships(CUSTOMERS, EVENTS, TRANSACTIONS) == EXPECTED


def test_event_conditions_on_duckdb() -> None:
    connection = duckdb.connect()
    for name, table in {"c": CUSTOMERS, "e": EVENTS, "t": TRANSACTIONS}.items():
        connection.register(name, table.to_arrow())
    got = memberships(connection.table("c"), connection.table("e"), connection.table("t"))
    assert got == EXPECTED


@pytest.mark.spark
def test_event_conditions_on_spark(spark: Any) -> None:
    customers = spark.createDataFrame(CUSTOMERS.rows(), "id bigint, orders bigint")
    events = spark.createDataFrame(
        EVENTS.rows(), "customer_id string, timestamp timestamp, event string, channel string"
    )
    transactions = spark.createDataFrame(
        TRANSACTIONS.rows(),
        "customer_id string, timestamp timestamp, amount double, order_id string",
    )
    assert memberships(customers, events, transactions) == EXPECTED


@pytest.mark.spark
def test_in_memory_event_tables_with_spark_customers(spark: Any) -> None:
    customers = spark.createDataFrame(CUSTOMERS.rows(), "id bigint, orders bigint")
    # Counted by Polars (as UInt32, which Spark has not), then moved to Spark to be joined.
    assert memberships(customers, EVENTS, TRANSACTIONS) == EXPECTED
    # Known to be empty: the folded count takes the type the join would give there.
    got = memberships(customers, EVENTS.clear(), TRANSACTIONS.clear())
    assert got == {name: [name == "never opened"] * CUSTOMERS.height for name in RULES}


def test_events_read_by_another_engine_are_moved_to_the_customers_engine() -> None:
    connection = duckdb.connect()
    connection.register("c", CUSTOMERS.to_arrow())
    got = memberships(connection.table("c"), EVENTS.lazy(), TRANSACTIONS)
    assert got == EXPECTED


def test_as_of_defaults_to_the_latest_event() -> None:
    segmenter = RuleSegmenter(
        {"recent": "performed('email_open', within => '1d')"}, exclusive=False, id_col="id"
    )
    out = segmenter.fit(CUSTOMERS, events=EVENTS).segment(CUSTOMERS, events=EVENTS)
    # The latest event is 2024-04-02 (customer 1), so the one-day window holds only it.
    assert out.sort("id")["recent"].to_list() == [True, False, False, False]


def test_dates_at_the_end_of_time_saturate_instead_of_overflowing() -> None:
    # Issue 12, defect 11: as_of 9999-12-31 and between => (..., '9999-12-31') overflowed.
    rules = {
        "Ever": "performed('email_open', between => ('2024-01-01', '9999-12-31'))",
        "Lately": "performed('email_open', within => '365250d')",
    }
    segmenter = RuleSegmenter(rules, id_col="id", exclusive=False, as_of="9999-12-31")
    out = segmenter.fit(CUSTOMERS, events=EVENTS).segment(CUSTOMERS, events=EVENTS)
    assert out["Ever"].to_list() == [True, True, False, False]
    relation = duckdb.sql("SELECT * FROM CUSTOMERS")
    on_duckdb = segmenter.segment(relation, events=EVENTS).pl()
    assert on_duckdb.sort("id")["Ever"].to_list() == [True, True, False, False]
    assert on_duckdb.sort("id")["Lately"].to_list() == out["Lately"].to_list()


def test_event_tables_known_to_be_empty_are_read_as_constants_without_a_join() -> None:
    # An in-memory table with no rows: every count is 0 and every date missing, as the join
    # of an aggregate of nothing would give, but with no join in the plan.
    no_events, no_orders = EVENTS.clear(), TRANSACTIONS.clear()
    nobody = {name: name == "never opened" for name in RULES}
    expected = {name: [value] * CUSTOMERS.height for name, value in nobody.items()}
    assert memberships(CUSTOMERS, no_events, no_orders) == expected
    # A lazy empty table is a query: it goes through the join, with the same answer.
    assert memberships(CUSTOMERS, no_events.lazy(), no_orders.lazy()) == expected
    connection = duckdb.connect()
    connection.register("c", CUSTOMERS.to_arrow())
    assert memberships(connection.table("c"), no_events, no_orders) == expected

    segmenter = RuleSegmenter(RULES, exclusive=False, id_col="id", as_of=AS_OF)
    segmenter.fit(CUSTOMERS, events=no_events, transactions=no_orders)
    folded = segmenter.segment(CUSTOMERS.lazy(), events=no_events, transactions=no_orders)
    joined = segmenter.segment(CUSTOMERS.lazy(), events=no_events.lazy(), transactions=no_orders)
    assert "JOIN" not in folded.explain(optimized=False)
    assert "JOIN" in joined.explain(optimized=False)
    # Rows with events still count them when the other table is the empty one.
    assert memberships(CUSTOMERS, EVENTS, no_orders)["opened twice"] == [True] + [False] * 3
