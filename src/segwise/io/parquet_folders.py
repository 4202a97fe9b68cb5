"""A folder of Parquet files read as one table, as Spark, pandas and dbt write them.

``df.write.parquet("orders/")`` and ``to_parquet("orders/", partition_cols=["year"])``
leave a folder of part files, partitioned ``year=2024/`` and with ``_SUCCESS`` markers. It
is one table: every ``*.parquet`` file below the folder, the ``key=value`` folders as
columns. Parts written at different times may differ: a column one part lacks is null
there, and a number stored as integers in one part and as floats in another is read as
floats; a column of two other types is refused, naming both parts. A Delta table is
refused rather than read file by file (its folder keeps files its log has removed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from segwise.exceptions import DataError

if TYPE_CHECKING:
    from pathlib import Path

_SUFFIXES = (".parquet", ".pq")


def parquet_parts(folder: Path) -> list[Path]:
    """The Parquet files below ``folder``, in path order.

    Hidden and ``_``-prefixed entries (``_SUCCESS``, ``_temporary/``, ``.crc`` files) are
    a writer's bookkeeping, not data.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> for part in ("year=2024/part-0.parquet", "_temporary/part-9.parquet", "_SUCCESS"):
    ...     (folder / part).parent.mkdir(exist_ok=True)
    ...     _ = (folder / part).write_bytes(b"")
    >>> [str(p.relative_to(folder)) for p in parquet_parts(folder)]
    ['year=2024/part-0.parquet']
    """
    return sorted(
        path
        for path in folder.rglob("*")
        if path.suffix.lower() in _SUFFIXES
        and path.is_file()
        and not any(part.startswith((".", "_")) for part in path.relative_to(folder).parts)
    )


def folder_stamp(folder: Path) -> tuple[int, int]:
    """Total size and latest modification of the folder's parts.

    A part added, rewritten or removed changes it.
    """
    stats = [part.stat() for part in parquet_parts(folder)]
    return sum(s.st_size for s in stats), max((s.st_mtime_ns for s in stats), default=0)


def scan_parquet_folder(folder: Path) -> tuple[pl.LazyFrame, str]:
    """Every part of ``folder`` as one lazy frame (partition folders as columns), and a note.

    Raises
    ------
    DataError
        The folder is a Delta table, holds no Parquet file, or two parts store one column
        in types that do not combine.
    """
    source = str(folder)
    if (folder / "_delta_log").is_dir():
        raise DataError(
            "this folder is a Delta table; its files include rows the table has deleted",
            hint="read it with the Spark engine (warehouse: {path: …, format: delta} in "
            "segwise.yaml), or export it to Parquet",
            source=source,
        )
    parts = parquet_parts(folder)
    if not parts:
        raise DataError(
            "this is a folder without Parquet files",
            hint="pass one data file (for example orders.csv), or a folder of Parquet files "
            "(read as one table)",
            source=source,
        )
    schema = _combined_schema(parts, source)
    frame = pl.scan_parquet(
        parts,
        hive_partitioning=True,
        schema=schema,
        missing_columns="insert",
        cast_options=pl.ScanCastOptions(
            integer_cast=["upcast", "allow-float"], float_cast="upcast"
        ),
    )
    keys = dict.fromkeys(
        step.split("=", 1)[0]
        for part in parts
        for step in part.relative_to(folder).parts[:-1]
        if "=" in step
    )
    by = f", partitioned by {', '.join(keys)}" if keys else ""
    return frame, f"read as one table: {len(parts)} Parquet file(s){by}"


def _combined_schema(parts: list[Path], source: str) -> dict[str, pl.DataType]:
    combined: dict[str, pl.DataType] = {}
    first: dict[str, Path] = {}
    for part in parts:
        for column, dtype in pl.read_parquet_schema(part).items():
            known = combined.get(column)
            if known is None:
                combined[column], first[column] = dtype, part
            elif known != dtype:
                if not (known.is_numeric() and dtype.is_numeric()):
                    raise DataError(
                        f"column '{column}' is {known} in {first[column].relative_to(source)} "
                        f"and {dtype} in {part.relative_to(source)}",
                        hint="write the parts with one type for the column, or read one part",
                        source=source,
                        column=column,
                    )
                combined[column] = _wider(known, dtype)
    return combined


def _wider(one: pl.DataType, other: pl.DataType) -> pl.DataType:
    if one.is_float() or other.is_float():
        return pl.Float64()
    return pl.Int64()
