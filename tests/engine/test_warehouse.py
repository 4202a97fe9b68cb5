"""Spark's warehouse reader and writer: partitions replaced, failures in one line."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl
import pytest

from segwise.engine.warehouse import erase_from_warehouse, read_warehouse, write_warehouse
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


def _members(run_id: int, customers: list[str]) -> Any:
    return pl.DataFrame(
        {"customer_id": customers, "segment": ["VIP"] * len(customers), "run_id": run_id},
        schema={"customer_id": pl.String, "segment": pl.String, "run_id": pl.Int64},
    ).to_arrow()


def _read(spark: Any, **where: str) -> pl.DataFrame:
    frame = spark.table(where["table"]) if "table" in where else spark.read.parquet(where["path"])
    back = pl.from_arrow(frame.toArrow())
    assert isinstance(back, pl.DataFrame)
    return back.select("run_id", "customer_id", "segment").sort("run_id", "customer_id")


@pytest.mark.spark
@pytest.mark.parametrize("kind", ["path", "table"])
def test_erasing_rewrites_only_the_partitions_that_held_them(
    spark: Any, tmp_path: Path, kind: str
) -> None:
    where = (
        {"path": str(tmp_path / "members")}
        if kind == "path"
        else {"table": f"erase_{tmp_path.name[-8:].replace('-', '_')}"}
    )
    for run_id, customers in ((1, ["a", "b", "z"]), (2, ["c", "z", "y"]), (3, ["d"])):
        write_warehouse(spark, _members(run_id, customers), partition="run_id", **where)
    before = _read(spark, **where)
    gone = ["z", "y", "nobody"]
    assert erase_from_warehouse(spark, "customer_id", gone, partition="run_id", dry_run=True,
                                **where) == 3  # fmt: skip
    assert _read(spark, **where).equals(before)  # a dry run counts, and changes nothing
    assert erase_from_warehouse(spark, "customer_id", gone, partition="run_id", **where) == 3
    assert _read(spark, **where).equals(before.filter(~pl.col("customer_id").is_in(gone)))
    assert erase_from_warehouse(spark, "customer_id", gone, partition="run_id", **where) == 0


@pytest.mark.spark
def test_erasing_from_what_was_never_written_finds_nobody(spark: Any, tmp_path: Path) -> None:
    nothing = str(tmp_path / "never")
    assert erase_from_warehouse(spark, "customer_id", ["a"], path=nothing, partition="run_id") == 0
    assert erase_from_warehouse(spark, "customer_id", ["a"], table="never_written_here",
                                partition="run_id") == 0  # fmt: skip


@pytest.mark.spark
def test_a_folder_partition_of_theirs_alone_is_refused_before_any_write(
    spark: Any, tmp_path: Path
) -> None:
    target = str(tmp_path / "members")
    write_warehouse(spark, _members(1, ["a", "z"]), path=target, partition="run_id")
    write_warehouse(spark, _members(2, ["z"]), path=target, partition="run_id")
    before = _read(spark, path=target)
    with pytest.raises(ConfigError, match="every row of run_id = 2") as caught:
        erase_from_warehouse(spark, "customer_id", ["z"], path=target, partition="run_id")
    assert "run_id=2" in (caught.value.hint or "")
    assert _read(spark, path=target).equals(before)  # nothing was rewritten


@pytest.mark.spark
def test_a_table_partition_of_theirs_alone_is_dropped(spark: Any, tmp_path: Path) -> None:
    table = f"erase_alone_{tmp_path.name[-8:].replace('-', '_')}"
    write_warehouse(spark, _members(1, ["a", "z"]), table=table, partition="run_id")
    write_warehouse(spark, _members(2, ["z"]), table=table, partition="run_id")
    assert erase_from_warehouse(spark, "customer_id", ["z"], table=table, partition="run_id") == 2
    assert _read(spark, table=table)["customer_id"].to_list() == ["a"]


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
