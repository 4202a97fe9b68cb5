"""Each run's memberships written back to a warehouse table, beside the store (Spark)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl
import pytest
from typer.testing import CliRunner

from segwise.cli.app import app
from segwise.project import Project
from segwise.project.erasure import forget
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


def _table(spark: Any, name: str) -> pl.DataFrame:
    written = pl.from_arrow(spark.table(name).toArrow())
    assert isinstance(written, pl.DataFrame)
    return written.sort("run_id", "segmentation", "customer_id")


@pytest.fixture(scope="module")
def catalog_runs(shop: Path, spark: Any) -> dict[str, Any]:
    """Two runs read from a catalog table and written back to one; then one customer erased."""
    orders = spark.read.option("header", "true").csv(str(shop / "data" / "orders.csv.gz"))
    orders.write.mode("overwrite").saveAsTable("shop_orders")
    config = project_file(
        shop,
        "warehouse: {table: shop_orders}",
        engine=spark_engine("{table: shop_segments}"),
        name="catalog",
    )
    config.write_text(config.read_text() + "privacy: {key_file: segwise.key}\n")
    (shop / "segwise.key").write_text("5b0c8e1f9a7d4e2c6b3a1f0e9d8c7b6a\n")
    project = Project.from_yaml(config)
    first, second = project.run(spark=spark), project.run(spark=spark)
    before = _table(spark, "shop_segments")
    who = before["customer_id"][0]
    counted = forget(project, [who], dry_run=True)
    erased = forget(project, [who])
    after = _table(spark, "shop_segments")
    return {"first": first, "second": second, "before": before, "who": who,
            "counted": counted, "erased": erased, "after": after}  # fmt: skip


@pytest.mark.spark
def test_a_catalog_table_in_and_the_memberships_table_out(
    catalog_runs: dict[str, Any], file_run: Any
) -> None:
    first, second, written = catalog_runs["first"], catalog_runs["second"], catalog_runs["before"]
    assert_same_memberships(first, file_run)
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


@pytest.mark.spark
def test_forget_removes_the_customer_from_the_written_back_table(
    catalog_runs: dict[str, Any],
) -> None:
    before, after, who = catalog_runs["before"], catalog_runs["after"], catalog_runs["who"]
    theirs = before.filter(pl.col("customer_id") == who).height
    assert theirs >= 4  # two segmentations in each of two runs: the check can fail
    place = "table shop_segments"
    assert catalog_runs["counted"].warehouse == {place: theirs}  # the dry run changed nothing
    assert catalog_runs["erased"].warehouse == {place: theirs}
    assert after.equals(before.filter(pl.col("customer_id") != who))


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
