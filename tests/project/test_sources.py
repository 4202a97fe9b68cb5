"""Warehouse sources: read by the run's Spark session where they live, checked like files.

The Spark tests run on a real local Spark (skipped without Java); JDBC is
exercised against the Derby database that ships inside PySpark.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from typer.testing import CliRunner

from segwise.cli.app import app
from segwise.exceptions import ConfigError
from segwise.project import Project
from segwise.project.fingerprints import warehouse_fingerprint
from segwise.project.sources import customer_columns, warehouse_frame
from tests.project.warehouse_projects import (
    assert_same_memberships,
    file_run,
    project_file,
    shop,
    spark_engine,
)

if TYPE_CHECKING:
    from pathlib import Path

runner = CliRunner()
__all__ = ["file_run", "shop"]  # fixtures


@pytest.mark.spark
def test_a_parquet_folder_read_by_spark_gives_the_file_runs_memberships(
    shop: Path, file_run: Any, spark: Any, tmp_path: Path
) -> None:
    lake = tmp_path / "lake" / "orders"
    # As an export lands in a lake: every column text, in several files.
    spark.read.option("header", "true").csv(str(shop / "data" / "orders.csv.gz")).repartition(
        3
    ).write.parquet(str(lake))
    config = project_file(
        shop,
        f"warehouse: {{path: '{lake}', format: parquet}}",
        engine=spark_engine(),
        name="lake",
    )
    run = Project.from_yaml(config).run(spark=spark)
    assert_same_memberships(run, file_run)
    quality = run.quality[0]
    assert quality.source == f"parquet at {lake}"
    expected = file_run.quality[0]
    assert (quality.rows_read, quality.rows_quarantined) == (
        expected.rows_read,
        expected.rows_quarantined,
    )
    assert quality.rows_quarantined > 0  # the demo's bad rows are found on Spark too


@pytest.mark.spark
def test_a_database_read_through_jdbc_with_its_user_from_the_environment(
    shop: Path, file_run: Any, spark: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = "jdbc:derby:memory:shop;create=true"
    orders = spark.read.option("header", "true").csv(str(shop / "data" / "orders.csv.gz"))
    orders.write.mode("overwrite").jdbc(url, "ORDERS", properties={"user": "segwise"})
    monkeypatch.setenv("SHOP_DB_USER", "segwise")
    config = project_file(
        shop,
        f"""
        warehouse:
          format: jdbc
          table: ORDERS
          options: {{url: "{url}"}}
          options_env: {{user: SHOP_DB_USER}}
        """,
        engine=spark_engine(),
        name="jdbc",
    )
    run = Project.from_yaml(config).run(spark=spark)
    assert_same_memberships(run, file_run)
    assert run.quality[0].source == "jdbc table ORDERS"


@pytest.mark.spark
def test_a_missing_table_is_one_line_naming_the_source(shop: Path, spark: Any) -> None:
    config = project_file(
        shop, "warehouse: {table: no_such_orders}", engine=spark_engine(), name="missing"
    )
    project = Project.from_yaml(config)
    project.spark_session(spark)
    with pytest.raises(ConfigError) as caught:
        project.read_source("transactions")
    message = caught.value.one_line()
    assert "sources.transactions.warehouse: Spark cannot read table no_such_orders" in message
    assert "\n" not in message and "at org.apache" not in message


@pytest.mark.spark
def test_the_fingerprint_changes_when_files_land(shop: Path, spark: Any, tmp_path: Path) -> None:
    lake = tmp_path / "orders"
    orders = spark.read.option("header", "true").csv(str(shop / "data" / "orders.csv.gz"))
    orders.limit(100).write.parquet(str(lake))
    config = project_file(
        shop, f"warehouse: {{path: '{lake}'}}", engine=spark_engine(), name="prints"
    )
    project = Project.from_yaml(config)
    project.spark_session(spark)
    spec = project.config.sources.transactions.warehouse
    assert spec is not None
    before = warehouse_fingerprint(warehouse_frame(project, "transactions", spec))
    assert before["rows"] == 100
    assert before == warehouse_fingerprint(warehouse_frame(project, "transactions", spec))
    # Same row count, new files: a rewrite is still seen.
    orders.limit(100).write.mode("overwrite").parquet(str(lake))
    after = warehouse_fingerprint(warehouse_frame(project, "transactions", spec))
    assert after["rows"] == 100 and after["files_sha256"] != before["files_sha256"]


@pytest.mark.parametrize(
    ("transactions", "engine", "expected"),
    [
        ("warehouse: {table: orders}", "polars", "sources.transactions.warehouse is read by Spark"),
        (
            "path: data/orders.csv.gz\nwarehouse: {table: orders}",
            spark_engine(),
            "path is for files and databases read here",
        ),
        (
            "warehouse: {table: orders, path: 's3://shop/orders'}",
            spark_engine(),
            "give one of table (a catalog table) and path",
        ),
        ("warehouse: {format: jdbc, table: orders}", spark_engine(), "needs the database's url"),
        (
            "warehouse: {table: orders, format: delta}",
            spark_engine(),
            "a catalog table knows its own format",
        ),
        (
            "warehouse: {table: orders, options_env: {password: 1PASS}}",
            spark_engine(),
            "'1PASS' is not a variable name",
        ),
        ("delimiter: ';'", spark_engine(), "give path (a file or database URL), or warehouse:"),
        (
            "warehouse: {path: lake/orders}",
            spark_engine(),
            "is relative, and Spark resolves it on the cluster",
        ),
        (
            "path: 's3://shop/orders/'",
            "polars",
            "is on object storage, which Spark reads where it lies: write warehouse: {path:",
        ),
    ],
)
def test_a_wrong_warehouse_source_is_refused_with_the_fix(
    tmp_path: Path, transactions: str, engine: str, expected: str
) -> None:
    config = project_file(tmp_path, transactions, engine=engine, name="wrong")
    result = runner.invoke(app, ["validate", str(config)])
    assert result.exit_code != 0
    assert expected in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_a_warehouse_project_run_off_spark_says_so_before_reading(tmp_path: Path) -> None:
    config = project_file(
        tmp_path, "warehouse: {table: orders}", engine=spark_engine(), name="offspark"
    )
    result = runner.invoke(app, ["run", str(config), "--engine", "duckdb"])
    assert result.exit_code != 0
    line = result.stderr.strip().splitlines()[0]
    assert "sources.transactions is table orders, read by Spark" in line
    assert "engine is duckdb" in line and "Traceback" not in result.stderr


def test_a_missing_environment_variable_is_named_before_spark_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SHOP_DB_PASSWORD", raising=False)
    config = project_file(
        tmp_path,
        """
        warehouse:
          format: jdbc
          table: ORDERS
          options: {url: "jdbc:postgresql://db/shop"}
          options_env: {password: SHOP_DB_PASSWORD}
        """,
        engine=spark_engine(),
        name="secret",
    )
    project = Project.from_yaml(config)
    spec = project.config.sources.transactions.warehouse
    assert spec is not None
    with pytest.raises(ConfigError, match="SHOP_DB_PASSWORD is not set"):
        warehouse_frame(project, "transactions", spec)
    assert project._spark is None  # nothing was started to find that out


def test_contact_columns_without_a_customers_source_are_named_in_one_line(
    tmp_path: Path,
) -> None:
    (tmp_path / "orders.csv").write_text("customer_id,order_date,amount\n1,2024-01-02,10\n")
    config = tmp_path / "segwise.yaml"
    config.write_text(
        "name: shop\nsources:\n  transactions: {path: orders.csv}\n"
        "segmentations:\n  value: {method: rfm}\n"
    )
    project = Project.from_yaml(config)
    with pytest.raises(ConfigError, match=r"^--columns: email comes from the customers source"):
        customer_columns(project, ["email"], asked_by="--columns")
    with pytest.raises(ConfigError, match=r"^--columns: email, phone come from the customers"):
        customer_columns(project, ["email", "phone"], asked_by="--columns")
