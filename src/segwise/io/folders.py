"""A folder read as one source: Parquet parts as one table, or exports read as one.

``df.write.parquet("orders/")`` and ``to_parquet("orders/", partition_cols=["year"])``
leave a folder of part files, partitioned ``year=2024/`` and with ``_SUCCESS`` markers. It
is one table: every ``*.parquet`` file below the folder, the ``key=value`` folders as
columns. Parts written at different times may differ: a column one part lacks is null
there, and a number stored as integers in one part and as floats in another is read as
floats; a column of two other types is refused, naming both parts. A Delta table is
refused rather than read file by file (its folder keeps files its log has removed).

A folder of other exports (a shop's monthly CSVs, hourly JSON lines) is its files, each
read with its own format and quarantine and used as one
(:class:`~segwise.io.combined.CombinedDataset`, which says where they overlap).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from segwise.exceptions import DataError
from segwise.io.file_kinds import EXCEL, JSON_LINES, PARQUET, TEXT, file_suffix

_READABLE = (*PARQUET, *EXCEL, *JSON_LINES, *TEXT)


def data_files(folder: Path) -> list[Path]:
    """The data files below ``folder``, in path order.

    Hidden and ``_``-prefixed entries (``_SUCCESS``, ``_temporary/``, ``.crc`` files) are
    a writer's bookkeeping, and ``*.quarantine.csv`` files segwise's own output: not data.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> for name in ("year=2024/part-0.parquet", "_temporary/part-9.parquet", "_SUCCESS",
    ...              "jan.csv", "jan.quarantine.csv", "notes.md"):
    ...     (folder / name).parent.mkdir(exist_ok=True)
    ...     _ = (folder / name).write_bytes(b"")
    >>> [p.relative_to(folder).as_posix() for p in data_files(folder)]
    ['jan.csv', 'year=2024/part-0.parquet']
    """
    return sorted(
        path
        for path in folder.rglob("*")
        if file_suffix(path) in _READABLE
        and ".quarantine." not in path.name
        and path.is_file()
        and not any(part.startswith((".", "_")) for part in path.relative_to(folder).parts)
    )


def parquet_parts(folder: Path) -> list[Path]:
    """The Parquet files below ``folder`` (see :func:`data_files`)."""
    return [path for path in data_files(folder) if file_suffix(path) in PARQUET]


def folder_exports(source: Any) -> list[Path]:
    """The export files of a folder read file by file; empty for anything else.

    A folder of Parquet parts is one table (:func:`scan_parquet_folder`), not a list.

    Raises
    ------
    DataError
        The folder holds Parquet parts and other exports: which is the table is unclear.
    """
    if not isinstance(source, str | Path) or not Path(source).is_dir():
        return []
    files = data_files(Path(source))
    exports = [path for path in files if file_suffix(path) not in PARQUET]
    if exports and len(exports) < len(files):
        raise DataError(
            f"this folder holds Parquet files and {len(exports)} other export(s) "
            f"({exports[0].relative_to(source).as_posix()}…)",
            hint="keep one kind of file in the folder, or pass the files to read",
            source=str(source),
        )
    return exports


def folder_stamp(folder: Path) -> tuple[int, int]:
    """Total size and latest modification of the folder's data files.

    A file added, rewritten or removed changes it.
    """
    stats = [path.stat() for path in data_files(folder)]
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
            "this is a folder without data files",
            hint="pass one data file (for example orders.csv), or a folder of Parquet parts "
            "or of exports (read as one)",
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
