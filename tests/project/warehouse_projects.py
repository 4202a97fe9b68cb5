"""Small projects whose transactions come from a warehouse: shared by the Spark source tests."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any

import pytest

from segwise.project import Project

if TYPE_CHECKING:
    from pathlib import Path

    import polars as pl


SEGMENTATIONS = """
segmentations:
  value: {method: rfm, bins: 5, preset: segwise}
  lifecycle:
    method: rules
    segments:
      - {name: Loyal, where: "orders >= 8", priority: 1}
      - {name: Lapsed, where: "recency_days > 365", priority: 2}
"""


def project_file(folder: Path, transactions: str, *, engine: str = "polars", name: str) -> Path:
    """A small project (RFM and rules on the demo's orders) whose transactions come from YAML."""
    text = textwrap.dedent(
        f"""
        name: {name}
        store: {name}.duckdb
        report: {name}.html
        engine: {engine}
        sources:
          transactions:
        """
    )
    body = textwrap.indent(textwrap.dedent(transactions).strip(), "    ")
    columns = textwrap.indent(
        "customer_id: customer_id\ntimestamp: order_date\namount: amount\norder_id: order_id",
        "    ",
    )
    target = folder / f"{name}.yaml"
    target.write_text(text + body + "\n" + columns + "\n" + SEGMENTATIONS)
    return target


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("shop")
    Project.init(folder)
    return folder


@pytest.fixture(scope="module")
def file_run(shop: Path) -> Any:
    """The project read from the CSV file on Polars: what every warehouse run must equal."""
    return Project.from_yaml(project_file(shop, "path: data/orders.csv.gz", name="files")).run()


def memberships(result: Any) -> dict[str, pl.DataFrame]:
    return {s.name: s.members.sort("customer_id", "segment") for s in result.segmentations}


def assert_same_memberships(run: Any, expected: Any) -> None:
    mine, theirs = memberships(run), memberships(expected)
    assert mine.keys() == theirs.keys()
    for name, members in theirs.items():
        assert mine[name].equals(members), name


def spark_engine(memberships_to: str = "") -> str:
    target = f", memberships: {memberships_to}" if memberships_to else ""
    return "{spark: {master: 'local[2]'" + target + "}}"
