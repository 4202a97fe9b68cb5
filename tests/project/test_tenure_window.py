"""A run says when the start of the orders cuts its customers' tenure short."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import polars as pl
import pytest
from typer.testing import CliRunner

from segwise.cli.app import app
from segwise.project.tenure_window import MIN_FIRST, WINDOW, censored_tenure

if TYPE_CHECKING:
    from pathlib import Path

AS_OF = dt.date(2024, 12, 31)


def _tenure(per_window: list[int], span: int = 360) -> pl.DataFrame:
    """Customers whose first order falls in each 30-day window from the start of the data."""
    days = [span - WINDOW * i - j % WINDOW for i, n in enumerate(per_window) for j in range(n)]
    return pl.DataFrame({"tenure_days": [span, *days]}, schema={"tenure_days": pl.Int64})


@pytest.mark.parametrize(
    ("per_window", "said"),
    [
        ([300, 120, 130, 110, 100, 90], True),  # customers from before the data: a surge
        ([230, 120, 130, 110], False),  # under twice the next months
        ([120, 120, 130, 110, 100, 90], False),  # a steady flow of new customers
        ([7600, 9000, 6900], False),  # CDNOW's cohort: three busy windows, then none
        ([MIN_FIRST - 2, 5, 5, 5], False),  # too few to tell
    ],
)
def test_a_surge_of_first_orders_at_the_start_is_said(per_window: list[int], said: bool) -> None:
    note = censored_tenure(_tenure(per_window), AS_OF)
    assert (note is not None) is said
    if note is not None:
        assert note.startswith("the orders start on 2024-01-06, and 301 customers (")
        assert "2.5× the 120 in each of the next months" in note
        assert "'customer for 12 months' can mean 'since the data starts'" in note


def test_a_short_window_or_no_tenure_says_nothing() -> None:
    assert censored_tenure(_tenure([300, 100, 100, 100], span=110), AS_OF) is None
    assert censored_tenure(pl.DataFrame({"orders": [1, 2]}), AS_OF) is None
    nulls = pl.DataFrame({"tenure_days": [None, None]}, schema={"tenure_days": pl.Int64})
    assert censored_tenure(nulls, AS_OF) is None


def _orders(folder: Path) -> None:
    """A year of orders: 200 customers from before it order in its first days, 40 new a month."""
    rows = []
    for c in range(200):
        rows += [(f"old{c}", dt.date(2024, 1, 1 + c % 20)), (f"old{c}", dt.date(2024, 7, 1))]
    for month in range(2, 13):
        for c in range(40):
            rows.append((f"new{month}-{c}", dt.date(2024, month, 1 + c % 25)))
    ids, days = zip(*rows, strict=True)
    pl.DataFrame(
        {"customer_id": ids, "order_date": days, "order_id": range(len(ids)), "amount": 20.0}
    ).write_csv(folder / "orders.csv")
    customers = sorted(set(ids))
    pl.DataFrame({"customer_id": customers, "signed_up": dt.date(2020, 5, 1)}).write_csv(
        folder / "customers.csv"
    )


PROJECT = """name: window
sources:
  transactions:
    path: orders.csv
    customer_id: customer_id
    timestamp: order_date
    order_id: order_id
    amount: amount
{customers}segmentations:
  lifecycle:
    method: rules
    exclusive: true
    segments:
      - {{name: Long-standing, where: "tenure_days >= 300"}}
      - {{name: Everyone else, where: "TRUE"}}
"""


def test_a_run_says_so_unless_the_customers_have_a_joining_date(tmp_path: Path) -> None:
    _orders(tmp_path)
    config = tmp_path / "segwise.yaml"
    config.write_text(PROJECT.format(customers=""))
    runner = CliRunner()
    ran = runner.invoke(app, ["run", str(config)])
    assert ran.exit_code == 0, ran.stderr
    [note] = [line for line in ran.stderr.splitlines() if "first bought in the first" in line]
    assert note.startswith("note: the orders start on 2024-01-01, and 200 customers (31%)")
    report = (tmp_path / "report.html").read_text()
    assert "note: the orders start on 2024-01-01" in report
    # With a joining date tenure counts from it: no window cuts it short.
    joined = "  customers: {path: customers.csv, customer_id: customer_id, joined: signed_up}\n"
    config.write_text(PROJECT.format(customers=joined))
    again = runner.invoke(app, ["run", str(config)])
    assert again.exit_code == 0, again.stderr
    assert "first bought in the first" not in again.stderr
