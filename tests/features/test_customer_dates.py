"""The customer table's dates as days before the as-of date, the same on every engine."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import duckdb
import polars as pl
import pytest

import segwise as sw
from segwise.engine.frames import to_lazy

if TYPE_CHECKING:
    from pathlib import Path

PEOPLE = pl.DataFrame(
    {
        "customer_id": ["a", "b", "c", "d"],
        "signed_up": [dt.date(2023, 1, 1), dt.date(2024, 1, 10), None, dt.date(2024, 1, 1)],
        "last_login": [
            dt.datetime(2024, 1, 30, 23, 59),  # the evening before: one day
            dt.datetime(2023, 12, 1, 8, 0),
            None,
            dt.datetime(2024, 2, 15, 9, 0),  # after the as-of date: had not happened then
        ],
        "age": [30, 40, 50, 60],
    }
)
EXPECTED = {
    "a": (1, 395),
    "b": (61, 21),
    "c": (None, None),
    "d": (None, 30),
}


def _days(result: Any) -> dict[str, tuple[int | None, int | None]]:
    frame = to_lazy(result).collect(backend="polars").to_native().sort("customer_id")
    return {
        r[0]: (r[1], r[2])
        for r in frame.select("customer_id", "days_since_last_login", "tenure_days").rows()
    }


def test_each_date_is_days_before_the_as_of_date_and_joined_is_tenure() -> None:
    out = sw.customer_features(customers=PEOPLE, as_of="2024-01-31", joined="signed_up")
    assert _days(out) == EXPECTED
    assert "days_since_signed_up" not in out.columns  # the joining date is tenure_days
    assert out["last_login"].dtype == pl.Datetime  # the date itself stays for rules
    undeclared = sw.customer_features(customers=PEOPLE, as_of="2024-01-31")
    assert undeclared.filter(pl.col("customer_id") == "b")["days_since_signed_up"].item() == 21


def test_duckdb_gives_the_same_days() -> None:
    con = duckdb.connect()
    con.register("people", PEOPLE)
    out = sw.customer_features(
        customers=con.sql("SELECT * FROM people"), as_of="2024-01-31", joined="signed_up"
    )
    assert _days(out) == EXPECTED


@pytest.mark.spark
def test_spark_gives_the_same_days(spark: Any, tmp_path: Path) -> None:
    PEOPLE.write_parquet(tmp_path / "people.parquet")
    out = sw.customer_features(
        customers=spark.read.parquet(str(tmp_path / "people.parquet")),
        as_of="2024-01-31",
        joined="signed_up",
    )
    assert _days(out) == EXPECTED


def test_a_crm_card_says_how_long_ago_its_customers_last_logged_in(tmp_path: Path) -> None:
    # A CRM export's last-login date was on no card: profiles describe numbers and text.
    n = 400
    day = dt.date(2024, 6, 30)
    table = pl.DataFrame(
        {
            "customer_id": [f"C{i}" for i in range(n)],
            "plan": ["pro" if i % 2 else "basic" for i in range(n)],
            # Pro users logged in within days; basic ones months ago.
            "last_login": [
                day - dt.timedelta(days=(i % 5) if i % 2 else 90 + i % 60) for i in range(n)
            ],
        }
    )
    table.write_csv(tmp_path / "crm.csv")
    (tmp_path / "segwise.yaml").write_text(
        "name: crm\nas_of: 2024-06-30\nsources:\n  customers: {path: crm.csv}\n"
        "segmentations:\n  plans:\n    method: rules\n    exclusive: true\n    segments:\n"
        "      - {name: Pro, where: \"plan = 'pro'\"}\n"
        "      - {name: Basic, where: \"plan = 'basic'\"}\n"
    )
    result = sw.Project.from_yaml(tmp_path / "segwise.yaml").run()
    cards = {c.name: c for c in result.segmentations[0].cards}
    assert any(t.startswith("last active 2 days ago") for t in cards["Pro"].traits), cards[
        "Pro"
    ].traits
    assert any(t.startswith("last active 4 months ago") for t in cards["Basic"].traits)
