"""Each run's memberships written back to a warehouse table, beside the store (Spark)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl
import pytest
from typer.testing import CliRunner

from segwise.cli.app import app
from segwise.project import Project
from tests.project.warehouse_projects import (
    assert_same_memberships,
    file_run,
    memberships,
    project_file,
    shop,
    spark_engine,
)

if TYPE_CHECKING:
    from pathlib import Path

runner = CliRunner()
__all__ = ["file_run", "shop"]  # fixtures


@pytest.mark.spark
def test_a_catalog_table_in_and_the_memberships_table_out(
    shop: Path, file_run: Any, spark: Any
) -> None:
    orders = spark.read.option("header", "true").csv(str(shop / "data" / "orders.csv.gz"))
    orders.write.mode("overwrite").saveAsTable("shop_orders")
    config = project_file(
        shop,
        "warehouse: {table: shop_orders}",
        engine=spark_engine("{table: shop_segments}"),
        name="catalog",
    )
    project = Project.from_yaml(config)
    first = project.run(spark=spark)
    second = project.run(spark=spark)
    assert_same_memberships(first, file_run)
    written = pl.from_arrow(spark.table("shop_segments").toArrow())
    assert isinstance(written, pl.DataFrame)
    assert sorted(written["run_id"].unique().to_list()) == [first.run_id, second.run_id]
    for result in (first, second):
        mine = written.filter(pl.col("run_id") == result.run_id)
        assert mine["as_of"].unique().to_list() == [result.as_of]
        for name, members in memberships(result).items():
            got = (
                mine.filter(pl.col("segmentation") == name)
                .select("customer_id", "segment")
                .sort("customer_id", "segment")
            )
            expected = members.select(
                pl.col("customer_id").cast(pl.String), pl.col("segment").cast(pl.String)
            )
            assert got.equals(expected), name


def test_memberships_are_not_written_through_jdbc(tmp_path: Path) -> None:
    config = project_file(
        tmp_path,
        "path: data/orders.csv.gz",
        engine=spark_engine("{format: jdbc, table: segments}"),
        name="jdbc_out",
    )
    result = runner.invoke(app, ["validate", str(config)])
    assert result.exit_code != 0
    assert "not through jdbc" in result.stderr
