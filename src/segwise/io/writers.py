"""Write tables and text atomically: to a temporary file beside the target, then rename.

A crash or a bad row half-way never leaves a half-written output behind.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw
import polars as pl

from segwise.exceptions import ConfigError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from segwise._typing import StrPath

TABLE_FORMATS = (".csv", ".parquet", ".json", ".jsonl", ".ndjson")


@contextlib.contextmanager
def atomic_path(path: StrPath) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it into place only if the block succeeds.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("done")
    >>> target.read_text()
    'done'
    """
    target = Path(path)
    if target.is_dir():
        raise ConfigError(f"{target}: is a directory", hint="give a file name, e.g. out.csv")
    if not target.parent.exists():
        raise ConfigError(
            f"{target}: the folder {target.parent} does not exist", hint="create it first"
        )
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(handle)
    tmp = Path(name)
    try:
        yield tmp
        # mkstemp creates 0600 files; give the result the permissions a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o666 & ~umask)
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)


def write_text(text: str, path: StrPath) -> Path:
    """Write ``text`` to ``path`` atomically (UTF-8)."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def _polars(frame: Any) -> pl.LazyFrame | pl.DataFrame:
    if isinstance(frame, pl.DataFrame | pl.LazyFrame):
        return frame
    if not isinstance(frame, nw.LazyFrame | nw.DataFrame):
        # DuckDB relations, Spark, pandas and PyArrow frames: anything Narwhals reads.
        try:
            frame = nw.from_native(frame)
        except TypeError:
            raise TypeError(f"cannot write a {type(frame).__name__}") from None
    if isinstance(frame, nw.LazyFrame) and frame.implementation is nw.Implementation.POLARS:
        native: pl.LazyFrame = frame.to_native()
        return native
    if isinstance(frame, nw.LazyFrame):
        collected: pl.DataFrame = frame.collect(backend="polars").to_native()
        return collected
    if isinstance(frame, nw.DataFrame):
        return pl.from_arrow(frame.to_arrow())  # type: ignore[return-value]
    raise TypeError(f"cannot write a {type(frame).__name__}")


def table_format(path: StrPath) -> str:
    """Return the table format a path asks for by its extension, or raise a ConfigError.

    Examples
    --------
    >>> table_format("members.parquet")
    '.parquet'
    """
    suffix = Path(path).suffix.lower()
    if suffix not in TABLE_FORMATS:
        raise ConfigError(
            f"{path}: cannot write '{suffix or 'no extension'}' files",
            hint="end the name with " + ", ".join(TABLE_FORMATS),
        )
    return suffix


def write_table(frame: Any, path: StrPath) -> Path:
    """Write a frame to CSV, Parquet, JSON (an array of records) or JSON lines, atomically.

    Lazy Polars frames stream to disk without being collected first.

    Parameters
    ----------
    frame
        A Polars or Narwhals frame, lazy or eager, on any engine.
    path
        The target; its extension picks the format.
    """
    suffix = table_format(path)
    data = _polars(frame)
    if suffix == ".csv":
        data = _nested_as_json(data)
    writers: dict[str, Callable[[Path], None]]
    if isinstance(data, pl.LazyFrame):
        writers = {
            ".csv": data.sink_csv,
            ".parquet": data.sink_parquet,
            ".jsonl": data.sink_ndjson,
            ".ndjson": data.sink_ndjson,
            ".json": lambda p: data.collect().write_json(p),
        }
    else:
        writers = {
            ".csv": data.write_csv,
            ".parquet": data.write_parquet,
            ".jsonl": data.write_ndjson,
            ".ndjson": data.write_ndjson,
            ".json": data.write_json,
        }
    with atomic_path(path) as tmp:
        writers[suffix](tmp)
    return Path(path)


def _nested_as_json(data: pl.LazyFrame | pl.DataFrame) -> pl.LazyFrame | pl.DataFrame:
    """Lists, structs and arrays as JSON text: CSV has no nested values (``[1,2]``, ``{"a":1}``)."""
    schema = data.collect_schema()
    nested = [name for name, dtype in schema.items() if dtype.is_nested()]
    if not nested:
        return data
    return data.with_columns(
        pl.struct(pl.col(name).alias("v"))
        .struct.json_encode()
        .str.json_path_match("$.v")
        .alias(name)
        for name in nested
    )
