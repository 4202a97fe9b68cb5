"""One as-of rule: every reader, feature function and a project count the same purchases.

As of a date, its whole day is included; as of a datetime, everything up to
and including that instant (issue 13: ``rfm_table(as_of="2011-12-09 12:00")``
counted an 18:00 purchase that ``read_transactions`` quarantined).
"""

from __future__ import annotations

import warnings
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw
import polars as pl
import pytest

import segwise as sw
from segwise.exceptions import ConfigError
from segwise.features import RFMBinningWarning
from segwise.io.timestamps import resolve_as_of
from segwise.project import Project

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

ROWS = [
    ("a", "2011-12-08 10:00:00", 10.0),
    ("a", "2011-12-09 08:00:00", 20.0),
    ("b", "2011-12-09 12:00:00", 40.0),
    ("b", "2011-12-09 18:00:00", 80.0),
    ("c", "2011-12-09 18:30:00", 160.0),
    ("c", "2011-12-10 09:00:00", 320.0),
]
#: Money each as-of includes: the whole day of the 9th, or up to noon on the 9th.
WHOLE_DAY = 10.0 + 20.0 + 40.0 + 80.0 + 160.0
UP_TO_NOON = 10.0 + 20.0 + 40.0

FORMS = [
    ("2011-12-09", WHOLE_DAY),
    (date(2011, 12, 9), WHOLE_DAY),
    ("2011-12-09 12:00", UP_TO_NOON),
    (datetime(2011, 12, 9, 12, 0), UP_TO_NOON),
]


@pytest.fixture
def orders(tmp_path: Path) -> Path:
    path = tmp_path / "orders.csv"
    pl.DataFrame(ROWS, schema=["customer_id", "timestamp", "amount"], orient="row").write_csv(path)
    return path


@pytest.mark.parametrize(("as_of", "money"), FORMS, ids=[str(f[0]) for f in FORMS])
def test_every_engine_counts_the_same_purchases(
    to_engine: Callable[[pl.DataFrame], Any], as_of: str | date, money: float
) -> None:
    typed = pl.DataFrame(ROWS, schema=["customer_id", "timestamp", "amount"], orient="row")
    typed = typed.with_columns(pl.col("timestamp").str.to_datetime())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RFMBinningWarning)  # three customers, five bins
        table = sw.rfm_table(to_engine(typed), monetary_value_col="amount", as_of=as_of)
    kept = nw.from_native(table).lazy().select(nw.col("monetary").sum()).collect().item()
    assert kept == pytest.approx(money)


@pytest.mark.parametrize(("as_of", "money"), FORMS, ids=[str(f[0]) for f in FORMS])
def test_every_function_counts_the_same_purchases(
    orders: Path, as_of: str | date, money: float
) -> None:
    read = sw.read_transactions(orders, as_of=as_of)
    kept = read.data.select(nw.col("amount").sum()).collect().item()
    assert kept == pytest.approx(money)
    everything = sw.read_transactions(orders)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RFMBinningWarning)  # three customers tie on every score
        rfm = sw.rfm_table(everything, monetary_value_col="amount", as_of=as_of)
    assert rfm["monetary"].sum() == pytest.approx(money)
    features = sw.customer_features(everything, as_of=as_of)
    assert features["net_revenue"].sum() == pytest.approx(money)
    frame = everything.data.collect().to_native()
    summary = sw.rfm_summary(frame, monetary_value_col="amount", observation_period_end=as_of)
    # Each customer's days with a purchase (frequency + 1), as lifetimes counts them.
    cut = resolve_as_of(as_of)
    assert cut is not None
    kept_rows = nw.from_native(frame).filter(cut.keep("timestamp")).to_native()
    bought_days = (
        kept_rows.filter(pl.col("amount") > 0)
        .select(pl.col("customer_id"), pl.col("timestamp").dt.date())
        .unique()
        .height
    )
    assert int((summary["frequency"] + 1).sum()) == bought_days


def test_a_project_runs_as_of_a_day_and_refuses_a_time(tmp_path: Path, orders: Path) -> None:
    folder = tmp_path / "p"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "orders.csv").write_bytes(orders.read_bytes())
    (folder / "segwise.yaml").write_text(
        "name: p\nsources:\n  transactions: {path: data/orders.csv}\n"
        "segmentations:\n  v: {method: rules, segments: [{name: Any, where: 'orders >= 1'}]}\n"
    )
    project = Project.from_yaml(folder / "segwise.yaml")
    result = project.run(as_of="2011-12-09")
    assert result.customers == 3  # c's 18:30 purchase on the 9th counts: the whole day
    features = sw.customer_features(project.read_source("transactions"), as_of="2011-12-09")
    assert features.height == result.customers
    with pytest.raises(ConfigError, match="a project runs as of a whole day"):
        project.run(as_of="2011-12-09 12:00")
