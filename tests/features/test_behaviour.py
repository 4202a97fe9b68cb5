"""Behavioural features: hand-computed, as of a date, and identical on three engines."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import polars as pl
import pytest

import segwise as sw
from segwise.datasets import generate_retailer, sample_paths

TX = pl.DataFrame(
    {
        "customer_id": ["a", "a", "a", "a", "b", "c"],
        "order_id": ["1", "2", "2", "C9", "3", "4"],
        "timestamp": [
            "2024-01-01",
            "2024-01-11",
            "2024-01-11",
            "2024-01-12",
            "2024-01-20",
            "2024-02-10",
        ],
        "amount": [10.0, 20.0, 10.0, -8.0, 5.0, 99.0],
        "category": ["toys", "home", "toys", "home", "home", "toys"],
        "channel": ["web", "app", "app", "app", "store", "web"],
        "is_return": [False, False, False, True, False, False],
    }
)
EVENTS = pl.DataFrame(
    {
        "customer_id": ["a", "a", "a", "b", "d"],
        "timestamp": ["2024-01-30", "2024-01-05", "2024-01-29", "2023-10-01", "2024-01-31"],
        "event": ["visit", "visit", "email open", "visit", "visit"],
    }
)
PEOPLE = pl.DataFrame({"customer_id": ["a", "b", "d"], "age": [30, 40, 50]})


def test_hand_computed_features() -> None:
    out = sw.customer_features(TX, events=EVENTS, as_of="2024-01-31")
    a = out.filter(pl.col("customer_id") == "a").to_dicts()[0]
    assert a["tenure_days"] == 30 and a["recency_days"] == 20
    assert a["orders"] == 2  # orders 1 and 2; the return is not an order
    assert a["net_revenue"] == 32.0
    assert a["avg_order_value"] == 20.0  # 40 purchased / 2 orders
    assert a["inter_purchase_mean_days"] == 10.0 and a["inter_purchase_last_days"] == 10
    assert a["return_rate"] == 8 / 40
    assert a["share_toys"] == 20 / 40 and a["share_home"] == 20 / 40
    assert a["preferred_channel"] == "app"
    assert (a["visit_7d"], a["visit_30d"], a["email_open_7d"]) == (1, 2, 1)
    assert a["days_since_last_event"] == 1
    # c bought after the as-of date: not there; d has only events.
    assert out["customer_id"].to_list() == ["a", "b", "d"]
    d = out.filter(pl.col("customer_id") == "d").to_dicts()[0]
    assert d["orders"] == 0 and d["net_revenue"] == 0.0 and d["recency_days"] is None
    b = out.filter(pl.col("customer_id") == "b").to_dicts()[0]
    assert b["inter_purchase_mean_days"] is None and b["return_rate"] == 0.0
    assert b["visit_90d"] == 0  # 122 days before as-of


def test_returning_more_than_was_bought_is_returning_all_of_it() -> None:
    # Online Retail II: returns of orders placed before the data began made return rates of
    # up to 5, and an Outliers card read "returns 244% of what they buy".
    returns_more = pl.DataFrame(
        {
            "customer_id": ["e", "e", "e"],
            "order_id": ["1", "C1", "C2"],
            "timestamp": ["2024-01-02", "2024-01-03", "2024-01-04"],
            "amount": [100.0, -300.0, -200.0],
            "is_return": [False, True, True],
        }
    )
    out = sw.customer_features(returns_more, as_of="2024-01-31")
    assert out["return_rate"].to_list() == [1.0]
    assert out["net_revenue"].to_list() == [-400.0]  # the money itself is not capped


def test_customer_table_sets_the_population_and_joins_attributes() -> None:
    out = sw.customer_features(TX, customers=PEOPLE, as_of="2024-01-31")
    assert out["customer_id"].to_list() == ["a", "b", "d"]
    assert out["age"].to_list() == [30, 40, 50]
    assert out.filter(pl.col("customer_id") == "d")["orders"].item() == 0


SIGNED_UP = pl.DataFrame(
    {
        "customer_id": ["a", "b", "d", "e", "f"],
        "joined": [
            dt.date(2023, 12, 1),  # before the first order on 2024-01-01
            dt.date(2024, 1, 25),  # after the first order on 2024-01-20 (a migrated CRM)
            dt.date(2024, 1, 10),  # never bought
            None,  # never bought, date unknown
            dt.date(2024, 3, 1),  # after the as-of date: not a customer yet
        ],
    }
)


def _tenures(out: Any) -> dict[str, int | None]:
    return dict(_polars(out).select("customer_id", "tenure_days").rows())


def test_with_orders_tenure_counts_from_the_earlier_of_joining_and_first_purchase() -> None:
    # A CRM export with orders: sign-ups who never bought had no tenure, so "New members"
    # rules and tenure traits left them out.
    out = sw.customer_features(TX, customers=SIGNED_UP, as_of="2024-01-31", joined="joined")
    assert _tenures(out) == {"a": 61, "b": 11, "d": 21, "e": None, "f": None}
    assert "__sw_tenure_joined" not in out.columns
    without = sw.customer_features(TX, customers=SIGNED_UP, as_of="2024-01-31")
    assert _tenures(without) == {"a": 30, "b": 11, "d": None, "e": None, "f": None}
    con = duckdb.connect()
    con.register("tx", TX.with_columns(pl.col("timestamp").str.to_date()))
    con.register("people", SIGNED_UP)
    on_duckdb = sw.customer_features(
        con.sql("SELECT * FROM tx"),
        customers=con.sql("SELECT * FROM people"),
        as_of="2024-01-31",
        joined="joined",
    )
    assert _tenures(on_duckdb) == _tenures(out)


def test_readers_datasets_on_the_bundled_sample() -> None:
    paths = sample_paths()
    out = sw.customer_features(
        sw.read_transactions(paths["orders"]),
        customers=sw.read_customers(paths["customers"]),
        events=sw.read_events(paths["events"]),
        as_of="2024-12-31",
    )
    assert out.height == 5_000
    shares = [c for c in out.columns if c.startswith("share_")]
    assert len(shares) == 5
    buyers = out.filter(pl.col("orders") > 0)
    total = buyers.select(pl.sum_horizontal(shares)).to_series()
    assert (total <= 1 + 1e-9).all()
    assert {"visit_7d", "email_open_90d", "days_since_last_event", "age", "consent_email"} <= set(
        out.columns
    )


def test_missing_columns_are_named() -> None:
    with pytest.raises(sw.DataError, match="lack the column"):
        sw.customer_features(TX.drop("amount"))
    with pytest.raises(sw.ConfigError, match="needs transactions"):
        sw.customer_features()


def _polars(result: Any) -> pl.DataFrame:
    from segwise.engine.frames import to_lazy

    frame: pl.DataFrame = to_lazy(result).collect(backend="polars").to_native()
    return frame.sort("customer_id")


def test_duckdb_gives_the_same_features() -> None:
    data = generate_retailer(400, seed=4)
    orders = data.orders.rename({"order_date": "timestamp"}).with_columns(
        (pl.col("amount") < 0).alias("is_return")
    )
    events = data.events.rename({"user_id": "customer_id", "ts": "timestamp"})
    expected = sw.customer_features(orders, events=events, as_of="2024-06-30")
    on_duckdb = sw.customer_features(
        duckdb.sql("SELECT * FROM orders"),
        events=duckdb.sql("SELECT * FROM events"),
        as_of="2024-06-30",
    )
    assert _polars(on_duckdb).equals(expected.select(_polars(on_duckdb).columns))


def test_pandas_and_pyarrow_frames_get_their_own_kind_back() -> None:
    expected = sw.customer_features(TX, events=EVENTS, as_of="2024-01-31")
    from_pandas = sw.customer_features(TX.to_pandas(), events=EVENTS, as_of="2024-01-31")
    from_arrow = sw.customer_features(TX.to_arrow(), events=EVENTS, as_of="2024-01-31")
    assert type(from_pandas).__module__.startswith("pandas")
    assert type(from_arrow).__module__.startswith("pyarrow")
    assert pl.from_pandas(from_pandas).equals(expected)
    assert pl.from_arrow(from_arrow).equals(expected)  # type: ignore[union-attr]
    # The first frame given decides: events alone, as pandas, give pandas.
    assert type(sw.customer_features(events=EVENTS.to_pandas())).__module__.startswith("pandas")


@pytest.mark.spark
def test_spark_gives_the_same_features(spark: Any, tmp_path: Any) -> None:
    data = generate_retailer(400, seed=4)
    orders = data.orders.rename({"order_date": "timestamp"}).with_columns(
        (pl.col("amount") < 0).alias("is_return")
    )
    events = data.events.rename({"user_id": "customer_id", "ts": "timestamp"})
    orders.write_parquet(tmp_path / "orders.parquet")
    events.write_parquet(tmp_path / "events.parquet")
    expected = sw.customer_features(orders, events=events, as_of="2024-06-30")
    on_spark = sw.customer_features(
        spark.read.parquet(str(tmp_path / "orders.parquet")),
        events=spark.read.parquet(str(tmp_path / "events.parquet")),
        as_of="2024-06-30",
    )
    got = _polars(on_spark)
    assert got.equals(expected.select(got.columns))


@pytest.mark.spark
def test_tenure_from_joining_or_first_purchase_on_spark(spark: Any, tmp_path: Any) -> None:
    TX.with_columns(pl.col("timestamp").str.to_date()).write_parquet(tmp_path / "tx.parquet")
    SIGNED_UP.write_parquet(tmp_path / "people.parquet")
    on_spark = sw.customer_features(
        spark.read.parquet(str(tmp_path / "tx.parquet")),
        customers=spark.read.parquet(str(tmp_path / "people.parquet")),
        as_of="2024-01-31",
        joined="joined",
    )
    assert _tenures(on_spark) == {"a": 61, "b": 11, "d": 21, "e": None, "f": None}
