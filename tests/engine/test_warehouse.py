"""Spark's warehouse reader and writer: partitions replaced, failures in one line."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl
import pytest

from segwise.engine.warehouse import read_warehouse, write_warehouse
from segwise.exceptions import ConfigError

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.spark
def test_writing_a_run_again_replaces_its_partition_only(spark: Any, tmp_path: Path) -> None:
    def rows(run_id: int, customers: list[str]) -> Any:
        return pl.DataFrame(
            {"customer_id": customers, "run_id": [run_id] * len(customers)},
            schema={"customer_id": pl.String, "run_id": pl.Int64},
        ).to_arrow()

    target = str(tmp_path / "members")
    write_warehouse(spark, rows(1, ["a", "b"]), path=target, partition="run_id")
    write_warehouse(spark, rows(2, ["c"]), path=target, partition="run_id")
    write_warehouse(spark, rows(2, ["d", "e"]), path=target, partition="run_id")
    back = pl.from_arrow(spark.read.parquet(target).toArrow())
    assert isinstance(back, pl.DataFrame)
    back = back.sort("customer_id")
    assert back["customer_id"].to_list() == ["a", "b", "d", "e"]
    assert back["run_id"].to_list() == [1, 1, 2, 2]


def test_reading_without_a_spark_session_says_how_to_get_one() -> None:
    with pytest.raises(ConfigError, match="has no Spark session") as caught:
        read_warehouse(None, table="sales.orders", where="sources.transactions.warehouse")
    assert "engine" in (caught.value.hint or "")


@pytest.mark.spark
def test_a_file_that_is_not_the_format_is_one_line(spark: Any, tmp_path: Path) -> None:
    text = tmp_path / "orders"
    text.mkdir()
    (text / "part-0.parquet").write_text("customer_id,amount\nc1,10\n")
    with pytest.raises(ConfigError) as caught:
        read_warehouse(spark, path=str(text), fmt="parquet").count()
    message = caught.value.one_line()
    assert f"Spark cannot read parquet at {text}" in message
    assert "\n" not in message
