"""Tables that stay on the cluster: read by Spark where they live, written back as a table.

A project on Spark can read a source directly from the warehouse (a table of
the session's catalog: Hive, Unity Catalog, Glue; files on object storage in
Parquet, Delta, ORC, CSV or JSON; a database through JDBC) instead of through
this process, and write each run's memberships back as a table that the
warehouse's own tools query. Only this module knows Spark's reader and writer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from segwise.exceptions import ConfigError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence


def describe(table: str | None, path: str | None, fmt: str | None) -> str:
    """How reports and errors name a warehouse location.

    Examples
    --------
    >>> describe("sales.orders", None, None)
    'table sales.orders'
    >>> describe(None, "s3://shop/orders/", "delta")
    'delta at s3://shop/orders/'
    """
    if fmt == "jdbc":
        return f"jdbc table {table}" if table is not None else "a jdbc query"
    if table is not None:
        return f"table {table}"
    return f"{fmt or 'parquet'} at {path}"


def _spark_failure(exc: Exception) -> str:
    """Spark's error in one line: its condition and first sentence, not the JVM trace."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def read_warehouse(
    spark: Any,
    *,
    table: str | None = None,
    path: str | None = None,
    fmt: str | None = None,
    options: Mapping[str, str] | None = None,
    where: str = "warehouse source",
) -> Any:
    """A Spark DataFrame of a catalog table, a folder of files, or a JDBC table.

    ``fmt`` is Spark's data source name (``parquet``, ``delta``, ``orc``,
    ``csv``, ``json``, ``jdbc``…); ``options`` go to its reader as they are.
    Nothing is read until the run's query runs, except the schema.

    Raises
    ------
    ConfigError
        Spark cannot find or open it; the message names ``where`` and Spark's reason.
    """
    if spark is None:
        raise ConfigError(
            f"{where}: a warehouse source is read by Spark, and this run has no Spark session",
            hint="set engine: {spark: ...} in the project file, or run with --engine spark",
        )
    reader = spark.read.options(**dict(options or {}))
    try:
        if fmt == "jdbc":
            frame = (reader.option("dbtable", table) if table else reader).format("jdbc").load()
        elif table is not None:
            frame = spark.table(table)
        else:
            frame = reader.format(fmt or "parquet").load(path)
        # Spark Connect analyses lazily: asking for the columns makes a wrong name fail here.
        _ = frame.columns
    except Exception as exc:  # noqa: BLE001 - any Spark failure becomes one located line
        raise ConfigError(
            f"{where}: Spark cannot read {describe(table, path, fmt)}: {_spark_failure(exc)}",
            hint="check the name or path, the format, and that this cluster may read it",
        ) from None
    return frame


def write_warehouse(
    spark: Any,
    rows: Any,
    *,
    table: str | None = None,
    path: str | None = None,
    fmt: str | None = None,
    partition: str,
    where: str = "warehouse table",
) -> None:
    """Write ``rows`` (an Arrow table) to a table or path, replacing only the partitions they hold.

    The write is partitioned by ``partition`` and overwrites dynamically: a
    partition written again (a run retried under the same id) is replaced, and
    every other partition is kept. An existing table keeps its column order.

    Raises
    ------
    ConfigError
        Spark refused the write; the message names ``where`` and Spark's reason.
    """
    frame = spark.createDataFrame(rows)
    try:
        if table is not None and spark.catalog.tableExists(table):
            columns = spark.table(table).columns
            frame.select(*columns).write.option("partitionOverwriteMode", "dynamic").insertInto(
                table, overwrite=True
            )
            return
        writer = (
            frame.write.partitionBy(partition)
            .mode("overwrite")
            .option("partitionOverwriteMode", "dynamic")
        )
        if table is not None:
            writer.format(fmt or "parquet").saveAsTable(table)
        else:
            writer.format(fmt or "parquet").save(path)
    except Exception as exc:  # noqa: BLE001 - any Spark failure becomes one located line
        raise ConfigError(
            f"{where}: Spark cannot write {describe(table, path, fmt)}: {_spark_failure(exc)}",
            hint="check that the table's columns match and that this cluster may write there",
        ) from None


def erase_from_warehouse(
    spark: Any,
    column: str,
    values: Sequence[str],
    *,
    table: str | None = None,
    path: str | None = None,
    fmt: str | None = None,
    partition: str,
    where: str = "warehouse table",
    dry_run: bool = False,
) -> int:
    """Remove the rows whose ``column`` is one of ``values``; how many there were.

    Each partition that holds one is read whole into this process and written
    again without them (:func:`write_warehouse`'s dynamic overwrite), so it takes
    no more memory than the run that wrote the partition. A table or folder not
    written yet holds nobody. A Delta table keeps the replaced files for time
    travel until ``VACUUM``.

    Raises
    ------
    ConfigError
        Spark cannot read or write there, or a folder's partition would be left
        empty (a dynamic overwrite cannot remove one): the message says which.
    """
    from pyspark.sql import functions as sf  # noqa: PLC0415 - the spark extra

    if not values or not _written(spark, table, path, fmt):
        return 0

    def current() -> Any:  # read again each time: a rewritten partition has new files
        return read_warehouse(spark, table=table, path=path, fmt=fmt, where=where)

    hit = sf.col(column).cast("string").isin(list(values))
    counts = (
        current()
        .groupBy(partition)
        .agg(sf.count(sf.lit(1)).alias("rows"), sf.sum(hit.cast("long")).alias("theirs"))
        .where(sf.col("theirs") > 0)
        .collect()
    )
    found = sum(int(row["theirs"]) for row in counts)
    if dry_run or not found:
        return found
    emptied = [row[partition] for row in counts if row["rows"] == row["theirs"]]
    if emptied and table is None:
        raise ConfigError(
            f"{where}: every row of {partition} = {emptied[0]} in "
            f"{describe(table, path, fmt)} is theirs, and rewriting cannot remove a folder",
            hint=f"delete its folder {partition}={emptied[0]} there, then run segwise forget again",
        )
    for row in counts:
        if row[partition] in emptied:
            _drop_partition(spark, str(table), partition, row[partition], where)
            continue
        kept = current().where((sf.col(partition) == row[partition]) & ~hit).toArrow()
        write_warehouse(
            spark, kept, table=table, path=path, fmt=fmt, partition=partition, where=where
        )
    return found


def _drop_partition(spark: Any, table: str, partition: str, value: Any, where: str) -> None:
    try:
        spark.sql(f"ALTER TABLE {table} DROP IF EXISTS PARTITION ({partition} = {value!r})")
    except Exception as exc:  # noqa: BLE001 - any Spark failure becomes one located line
        raise ConfigError(
            f"{where}: every row of {partition} = {value} in table {table} is theirs, and Spark "
            f"cannot drop that partition: {_spark_failure(exc)}",
            hint=f"delete those rows there (DELETE FROM {table} WHERE {partition} = {value!r})",
        ) from None


def _written(spark: Any, table: str | None, path: str | None, fmt: str | None) -> bool:
    """Whether the table exists, or the folder holds a dataset Spark can read."""
    if table is not None:
        return bool(spark.catalog.tableExists(table))
    try:
        _ = spark.read.format(fmt or "parquet").load(path).columns
    except Exception as exc:  # noqa: BLE001 - only "no such path" means nothing was written
        if "PATH_NOT_FOUND" in str(exc) or "does not exist" in str(exc).lower():
            return False
        raise ConfigError(
            f"Spark cannot read {describe(table, path, fmt)}: {_spark_failure(exc)}",
            hint="check that this cluster may read it",
        ) from None
    return True
