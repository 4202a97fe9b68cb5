"""Who a run leaves out: customers of the data that no segment holds are counted and named."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from typing import TYPE_CHECKING, Any

import duckdb
import polars as pl
import pytest
from typer.testing import CliRunner

import segwise as sw
from segwise.cli.app import app
from segwise.project.population import LeftOut, PopulationWarning, left_out
from tests.project.demo import keep_segmentations

if TYPE_CHECKING:
    from pathlib import Path

AS_OF = dt.date(2024, 6, 30)


def _transactions() -> pl.DataFrame:
    """1 bought, 2 only returned, 3 bought, 4 bought only after the as-of date."""
    return pl.DataFrame(
        {
            "customer_id": [1, 1, 2, 3, 4],
            "timestamp": [
                dt.datetime(2024, 1, 5),
                dt.datetime(2024, 2, 5),
                dt.datetime(2024, 3, 5),
                dt.datetime(2024, 4, 5),
                dt.datetime(2024, 7, 5),
            ],
            "amount": [10.0, -5.0, -3.0, 7.0, 8.0],
            "is_return": [False, True, True, False, False],
        }
    )


def _held(*ids: Any) -> pl.DataFrame:
    return pl.DataFrame({"customer_id": list(ids), "orders": [1] * len(ids)})


def test_without_a_customer_table_the_customers_who_only_returned_are_counted() -> None:
    found = left_out({"transactions": _transactions()}, _held(1, 3), AS_OF, customer_table=False)
    # Customer 4's only row is after the as-of date: not yet a customer, not left out.
    assert found == LeftOut(no_purchase=1, examples=("2",))
    [(level, message)] = found.notes()
    assert level == "note"
    assert message.startswith("1 customers in the transactions have only returns")
    assert "'2'" in message


def test_ids_the_customer_table_lacks_are_counted_with_the_event_log_s() -> None:
    # Ids typed apart (the events' as text) are compared as text.
    events = pl.DataFrame(
        {"customer_id": ["5", "1"], "timestamp": [dt.datetime(2024, 5, 1), dt.datetime(2024, 5, 2)]}
    )
    tables = {"transactions": _transactions(), "events": events}
    found = left_out(tables, _held(1, 2), AS_OF, customer_table=True)
    # 3 bought and 5 was active, neither in the table; those who bought are named first.
    assert found == LeftOut(not_in_customers=2, examples=("3", "5"))
    [(level, message)] = found.notes("data/customers.csv")
    assert level == "warning"
    assert "2 customers with orders or events" in message
    assert "not in the customer table (data/customers.csv)" in message


def test_ids_compare_as_text_when_the_tables_type_them_differently() -> None:
    found = left_out({"transactions": _transactions()}, _held("1", "2"), AS_OF, customer_table=True)
    assert found == LeftOut(not_in_customers=1, examples=("3",))


def test_duckdb_tables_give_the_same_answer() -> None:
    connection = duckdb.connect()
    relation = connection.from_arrow(_transactions().to_arrow())
    found = left_out({"transactions": relation}, _held(1, 3), AS_OF, customer_table=False)
    assert found == LeftOut(no_purchase=1, examples=("2",))


def test_nobody_left_out_says_nothing() -> None:
    found = left_out({"transactions": _transactions()}, _held(1, 2, 3), AS_OF, customer_table=True)
    assert found == LeftOut()
    assert found.notes() == []


@pytest.fixture
def trimmed_project(project_copy: Path) -> Path:
    """The demo with one segmentation and three buyers cut from its customer table."""
    config = keep_segmentations(project_copy, "value")
    data = config.parent / "data"
    with gzip.open(data / "customers.csv.gz") as handle:
        people = pl.read_csv(handle.read(), infer_schema=False)  # ids keep their zeros
    cut = ["0000011", "0000012", "0000013"]
    people.filter(~pl.col("customer_id").is_in(cut)).write_csv(data / "customers.csv")
    config.write_text(config.read_text().replace("data/customers.csv.gz", "data/customers.csv"))
    return config


def test_a_run_warns_of_buyers_missing_from_the_customer_table(trimmed_project: Path) -> None:
    result = CliRunner().invoke(app, ["run", str(trimmed_project), "--json"])
    assert result.exit_code == 0, result.output
    warning = next(line for line in result.stderr.splitlines() if "not in the customer" in line)
    assert warning.startswith("warning: 3 customers with orders or events by the as-of date")
    assert "(data/customers.csv)" in warning
    assert "'0000011', '0000012', '0000013'" in warning
    payload = json.loads(result.stdout)
    assert payload["population"] == [{"level": "warning", "message": warning[9:]}]
    report = (trimmed_project.parent / "report.html").read_text()
    assert '<p class="population warning">warning: 3 customers with orders' in report


def test_the_demo_leaves_nobody_out(project_copy: Path) -> None:
    project = sw.Project.from_yaml(keep_segmentations(project_copy, "value"))
    assert project.run().population == []


def test_validate_warns_before_any_run(trimmed_project: Path) -> None:
    result = CliRunner().invoke(app, ["validate", str(trimmed_project)])
    assert result.exit_code == 0, result.output
    [line] = [line for line in result.stderr.splitlines() if "not in the customer" in line]
    assert line.startswith("warning: 3 customers with orders or events by the as-of date")
    with pytest.warns(PopulationWarning, match="'0000011', '0000012', '0000013'"):
        sw.Project.from_yaml(trimmed_project).validate()


def test_validate_says_nothing_when_the_table_holds_everyone(project_copy: Path) -> None:
    result = CliRunner().invoke(app, ["validate", str(project_copy)])
    assert result.exit_code == 0, result.output
    assert "not in the customer" not in result.stderr
