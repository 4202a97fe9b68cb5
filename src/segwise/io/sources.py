"""Open any supported source as a lazy frame of its raw columns.

A source is a path (CSV, TSV, gzip, Parquet, Excel, JSON lines, a DuckDB or
SQLite file), a database URL, or an in-memory frame. Files are scanned lazily
so a file larger than memory streams; nothing is loaded twice.
"""

from __future__ import annotations

import errno
import gzip
import sys
import zlib
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import narwhals.stable.v2 as nw
import polars as pl

from segwise.engine.frames import native_kind, to_lazy
from segwise.exceptions import DataError
from segwise.io import csv as csv_sniffer
from segwise.io import sql
from segwise.io.csv_types import infer_csv_types
from segwise.io.file_kinds import DUCKDB, EXCEL, JSON_LINES, PARQUET, SQLITE, file_suffix
from segwise.io.folders import folder_stamp, scan_parquet_folder
from segwise.io.json_files import JSON_HINT, scan_json
from segwise.io.minor_units import from_minor_units
from segwise.io.nested import flatten_structs

Scanner = Callable[[Collection[str]], nw.LazyFrame[Any]]


@dataclass
class RawSource:
    """A source opened but not yet read.

    Attributes
    ----------
    name
        How errors and reports name it: the path, a URL without password, or ``<pandas DataFrame>``.
    columns
        Its column names.
    like
        What kind of frame results come back as (see :func:`segwise.engine.frames.native_kind`).
    scan
        Returns the lazy frame, with the given columns read as text where the
        format allows (CSV, Excel) so identifiers like ``00042`` stay as written.
    dialect
        The sniffed CSV dialect, for CSV files.
    """

    name: str
    columns: list[str]
    like: str
    scan: Scanner
    dialect: csv_sniffer.CsvDialect | None = None
    #: What reading decided that the report should say (filled in by ``scan``).
    notes: list[str] = field(default_factory=list)
    #: The file's size and modification time when opened (None for frames and databases).
    stamp: tuple[int, int] | None = None
    #: Columns made of a nested record's fields, to the field's own name (see ``io.nested``).
    fields: dict[str, str] = field(default_factory=dict)

    def check_unchanged(self) -> None:
        """Refuse a file that changed since it was opened: its passes would disagree.

        A report, its quarantine and the clean rows come from several passes over
        the file; a file still being written would make them count different rows.
        """
        if self.stamp is None:
            return
        try:
            stamp: tuple[int, int] | None = _stamp(Path(self.name))
        except OSError:
            stamp = None
        if stamp != self.stamp:
            raise DataError(
                "the file changed while segwise was reading it",
                hint="wait until it is completely written (or copy it), then run again",
                source=self.name,
            )


def _stamp(path: Path) -> tuple[int, int]:
    """Size and modification time: of the file, or of a folder's data files."""
    if path.is_dir():
        return folder_stamp(path)
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


def _check_path(path: Path) -> None:
    if path.is_symlink():
        try:
            path.resolve(strict=True)
        except RuntimeError:
            raise DataError(
                "this is a symlink loop, not a file",
                hint="point the link at a real file",
                source=str(path),
            ) from None
        except OSError:
            raise DataError(
                "this symlink points at a file that does not exist",
                hint="point the link at a real file",
                source=str(path),
            ) from None
    if path.is_dir():
        return  # a folder is one source (io.folders), checked as it is opened
    if not path.exists():
        raise DataError(
            "no such file", hint="check the path and the current directory", source=str(path)
        )
    if path.stat().st_size == 0:
        raise DataError(
            "the file is empty", hint="export the table again with its rows", source=str(path)
        )


def _header_notes(names: list[str], dialect: csv_sniffer.CsvDialect) -> list[str]:
    """What the report says of the header: repeated names, unnamed columns, lines above it."""
    # Polars renames a repeated header name: the roles use the first, so say so.
    notes = [
        f"column '{name.rpartition('_duplicated_')[0]}' appears twice: the second is read "
        f"as '{name}'"
        for name in names
        if "_duplicated_" in name and name.rpartition("_duplicated_")[0]
    ]
    # Empty header cells (a spreadsheet's trailing ",,,") are columns without a name.
    if unnamed := [n for n in names if n == "" or n.startswith("_duplicated_")]:
        shown = ", ".join(map(repr, unnamed))
        notes.append(f"{len(unnamed)} column(s) without a name in the header: read as {shown}")
    if dialect.preamble:
        first = next((line for line in dialect.preamble if line.strip()), "")
        lines = len(dialect.preamble)
        notes.append(f"{lines} line(s) above the header skipped (the first: {first!r})")
    return notes


def _open_csv(path: Path, delimiter: str | None, encoding: str | None) -> RawSource:
    dialect = csv_sniffer.sniff(path, delimiter=delimiter, encoding=encoding)
    readable = csv_sniffer.transcode_to_utf8(path, dialect) if dialect.needs_transcoding else path
    source = str(path)

    try:
        # Dates are inferred too (a sign-up date is a date, as in Parquet); role columns
        # such as the timestamp stay text here and are parsed by their own plan.
        inferred = infer_csv_types(
            readable, separator=dialect.delimiter, skip_rows=dialect.skip_rows
        )
    except pl.exceptions.PolarsError as exc:
        raise polars_error(exc, source) from None

    def scan_text() -> pl.LazyFrame:
        # Every column as text: a type inferred from the first rows must not fail at
        # row 10,001 in the middle of a job. Types are applied below, once verified.
        # One column more than the header catches what a row holds beyond it (an unquoted
        # delimiter inside a value shifts the row): such rows are quarantined, not fatal.
        return pl.scan_csv(
            readable,
            separator=dialect.delimiter,
            has_header=False,
            skip_rows=dialect.skip_rows + 1,
            schema={**dict.fromkeys(inferred, pl.String()), EXTRA_FIELDS: pl.String()},
            missing_columns="insert",
            try_parse_dates=False,
            truncate_ragged_lines=True,
        )

    notes = _header_notes(list(inferred), dialect)
    typed_cache: dict[frozenset[str], dict[str, pl.DataType]] = {}

    def verified_types(text_columns: Collection[str]) -> dict[str, pl.DataType]:
        """The inferred non-text types that hold for every row (one pass, only if any)."""
        key = frozenset(text_columns)
        if key in typed_cache:
            return typed_cache[key]
        candidates = {
            name: dtype
            for name, dtype in inferred.items()
            if name not in key and dtype != pl.String and _castable(dtype)
        }
        verified: dict[str, pl.DataType] = {}
        first_bad = _first_bad_rows(scan_text(), candidates, source) if candidates else {}
        for name, dtype in candidates.items():
            why = _why_text(name, dtype, first_bad[name], first_bad.get(name + _ZEROS))
            if why is None:
                verified[name] = dtype
            elif why:
                notes.append(why)
        typed_cache[key] = verified
        return verified

    def scan(text_columns: Collection[str]) -> nw.LazyFrame[Any]:
        typed = verified_types(text_columns)
        frame = scan_text()
        if typed:
            frame = frame.with_columns(_typed(name, dtype) for name, dtype in typed.items())
        return nw.from_native(frame)

    return RawSource(
        name=source,
        columns=list(inferred),
        like="polars-eager",
        scan=scan,
        dialect=dialect,
        notes=notes,
    )


#: Suffix of the check for whole numbers written with a leading zero.
_ZEROS = "\0zeros"


def _first_bad_rows(
    text: pl.LazyFrame, candidates: dict[str, pl.DataType], source: str
) -> dict[str, int | None]:
    """Per column, the first row whose value does not fit its type (None: every row fits)."""
    checks = [
        # arg_true().first(), not arg_max(): on a lazy scan's booleans arg_max picked a row
        # of a later chunk (Polars 2.1: row 1,104 for a first bad row of 1).
        (pl.col(name).is_not_null() & _typed(name, dtype).is_null()).arg_true().first().alias(name)
        for name, dtype in candidates.items()
    ]
    # Whole numbers written with a leading zero (postcodes 01234, codes 007) are codes: as
    # numbers they would lose the zero and no longer match what the export says.
    checks += [
        pl.col(name).str.contains(r"^\s*[+-]?0\d").arg_true().first().alias(name + _ZEROS)
        for name, dtype in candidates.items()
        if dtype.is_integer()
    ]
    return collect_checked(text.select(checks), source).row(0, named=True)


def _why_text(name: str, dtype: pl.DataType, bad: int | None, zeros: int | None) -> str | None:
    """Why column ``name`` stays text ("" where it goes without saying), or None: typed."""
    if zeros is not None:
        return (
            f"column '{name}' read as text: its numbers are codes written with "
            f"leading zeros (row {zeros + 1})"
        )
    if bad is None:
        return None
    if dtype == pl.Date and bad == 0:  # 21/09/2023: not ISO, text as it was
        return ""
    return (
        f"column '{name}' read as text: row {bad + 1} is not {_type_words(dtype)}, "
        "though the first rows are"
    )


def _castable(dtype: pl.DataType) -> bool:
    # Dates (ISO, day only): a datetime column stays text unless it is a role's timestamp.
    return dtype.is_numeric() or dtype in (pl.Boolean, pl.Date)


def _typed(name: str, dtype: pl.DataType) -> pl.Expr:
    """Text column ``name`` as ``dtype``; NULL where a value does not fit."""
    if dtype == pl.Boolean:
        lowered = pl.col(name).str.strip_chars().str.to_lowercase()
        return (
            pl.when(lowered == "true").then(True).when(lowered == "false").then(False).alias(name)
        )
    if dtype == pl.Date:
        return pl.col(name).str.strip_chars().str.to_date("%Y-%m-%d", strict=False).alias(name)
    return pl.col(name).cast(dtype, strict=False).alias(name)


def _type_words(dtype: pl.DataType) -> str:
    if dtype == pl.Boolean:
        return "true or false"
    if dtype == pl.Date:
        return "a date (YYYY-MM-DD)"
    return "a whole number" if dtype.is_integer() else "a number"


def collect_checked(frame: pl.LazyFrame, source: str) -> pl.DataFrame:
    """Collect a frame that reads user data; a parsing failure becomes one located line."""
    try:
        return frame.collect()
    except pl.exceptions.PolarsError as exc:
        raise polars_error(exc, source) from None


def _open_polars_lazy(name: str, frame: pl.LazyFrame, notes: Sequence[str] = ()) -> RawSource:
    try:
        columns = frame.collect_schema().names()
    except pl.exceptions.PolarsError as exc:
        raise polars_error(exc, name) from None
    flat = flatten_structs(nw.from_native(frame))
    if flat.fields:
        columns = flat.frame.collect_schema().names()
    return RawSource(
        name=name,
        columns=columns,
        like="polars-eager",
        scan=lambda _text: flat.frame,
        notes=[*notes, *flat.notes],
        fields=flat.fields,
    )


def _open_path(
    path: Path,
    *,
    delimiter: str | None,
    encoding: str | None,
    sheet: str | int | None,
    table: str | None,
    query: str | None,
) -> RawSource:
    suffix = file_suffix(path)
    if path.is_dir() or suffix in PARQUET:
        frame, note = scan_parquet_folder(path) if path.is_dir() else (pl.scan_parquet(path), "")
        return _open_polars_lazy(str(path), frame, [note] if note else [])
    if suffix in EXCEL:
        # The Excel reader (and fastexcel) only when a workbook is read.
        from segwise.io.excel import open_excel  # noqa: PLC0415

        return open_excel(path, sheet)
    if suffix in JSON_LINES:
        try:
            frame, notes = from_minor_units(scan_json(path))
            return _open_polars_lazy(str(path), frame, notes)
        except (pl.exceptions.PolarsError, gzip.BadGzipFile, EOFError) as exc:
            raise polars_error(exc, str(path)) from None
    if suffix in DUCKDB:
        return open_frame(sql.read_duckdb(path, table=table, query=query), name=str(path))
    if suffix in SQLITE:
        return open_frame(sql.read_sqlite(path, table=table, query=query), name=str(path))
    return _open_csv(path, delimiter, encoding)


@dataclass(frozen=True)
class NamedFrame:
    """A frame opened elsewhere (a warehouse table on Spark), with the name reports give it."""

    frame: Any
    name: str


def open_frame(native: Any, *, name: str | None = None) -> RawSource:
    """Open an in-memory frame (pandas, Polars, PyArrow, DuckDB, Spark) as a source."""
    like = native_kind(native)
    flat = flatten_structs(to_lazy(native))
    shown = name or f"<{like.replace('-eager', '').replace('-lazy', '')} frame>"
    return RawSource(
        name=shown,
        columns=flat.frame.collect_schema().names(),
        like=like,
        scan=lambda _text: flat.frame,
        notes=flat.notes,
        fields=flat.fields,
    )


def open_source(
    source: Any,
    *,
    delimiter: str | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    table: str | None = None,
    query: str | None = None,
) -> RawSource:
    """Open a path (a file, or a folder of Parquet parts), a database URL or a dataframe.

    Parameters
    ----------
    source
        A path (``str`` or ``Path``), a URL (``duckdb:///x.duckdb``,
        ``sqlite:///x.db``, ``postgresql://user@host/db``), or a dataframe.
    delimiter, encoding
        For delimited text: override what is sniffed.
    sheet
        For Excel: the sheet name, or its 0-based position.
    table, query
        For databases: the table to read, or a query to run.

    Raises
    ------
    DataError
        The path is missing, empty, binary, unreadable, or a folder without Parquet files.
    """
    if isinstance(source, NamedFrame):
        return open_frame(source.frame, name=source.name)
    if isinstance(source, str) and sql.is_sql_url(source):
        opened = sql.read_sql_url(source, table=table, query=query)
        shown = (
            source
            if "@" not in source
            else source.split("://")[0] + "://…@" + source.split("@")[-1]
        )
        return open_frame(opened, name=shown)
    if isinstance(source, str | Path):
        path = Path(source)
        _check_path(path)
        stamp = _stamp(path)
        opened = _open_path(
            path, delimiter=delimiter, encoding=encoding, sheet=sheet, table=table, query=query
        )
        if file_suffix(path) not in (*DUCKDB, *SQLITE):
            # Files are read in several passes: remember what was opened (check_unchanged).
            opened.stamp = stamp
        return opened
    return open_frame(source)


@contextmanager
def reading(source: str) -> Iterator[None]:
    """Turn any engine failure while reading ``source`` into one located ``DataError``.

    Files are parsed lazily, so a malformed row (an unclosed quote, a
    truncated gzip stream, a byte that is not UTF-8) surfaces only when the
    engine reaches it: wherever that is, the user gets one line naming the file.
    """
    try:
        yield
    except pl.exceptions.PolarsError as exc:
        error = polars_error(exc, source)
        text = str(exc).lower()
        path = Path(source)
        if ("utf-8" in text or "utf8" in text) and path.is_file():
            found = csv_sniffer.first_invalid_utf8(path)
            if found is not None:
                raise DataError(
                    f"line {found[0]}: byte 0x{found[1]:02x} is not UTF-8",
                    hint="save the file as UTF-8, or pass --encoding latin-1",
                    source=source,
                ) from None
        raise error from None
    except _duckdb_error() as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise DataError(
            f"the engine could not read the data: {first[:300]}", source=source
        ) from None
    except (EOFError, zlib.error, OSError) as exc:
        # Polars reports a truncated gzip stream as an OSError ("unexpected end of file").
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        if getattr(exc, "errno", None) == errno.ENOSPC:
            raise DataError(
                f"the disk is full ({reason})", hint="free some space and run again", source=source
            ) from None
        raise DataError(
            f"cannot read the file ({reason})",
            hint="check the file is complete (a truncated download or a full disk?)",
            source=source,
        ) from None


class _NeverRaisedError(Exception):
    """Matches nothing: what :func:`_duckdb_error` gives while DuckDB is not loaded."""


def _duckdb_error() -> type[Exception]:
    # DuckDB loads on first use (65 ms a Parquet or CSV read need not pay); while it is
    # not loaded, nothing read here can raise its errors.
    duckdb = sys.modules.get("duckdb")
    return duckdb.Error if duckdb is not None else _NeverRaisedError


#: The column of a CSV read that holds what a row has beyond the header's fields.
EXTRA_FIELDS = "__sw_extra_fields"


def polars_error(exc: Exception, source: str) -> DataError:
    """Turn a Polars parsing error into one line that names the source and says what to do."""
    text = " ".join(str(exc).split())
    for marker in ("You might want to", "This error occurred with the following context"):
        text = text.split(marker)[0].strip()
    hint = "check the file; pass --delimiter, or --text-col COLUMN to read a column as text"
    if file_suffix(Path(source)) in JSON_LINES:
        hint = JSON_HINT
    elif file_suffix(Path(source)) in PARQUET or Path(source).is_dir():
        # A delimiter means nothing to Parquet: a cut-off copy or another format renamed.
        hint = "the file is not whole, valid Parquet: copy or export it again"
    return DataError(f"cannot parse the data: {text[:300]}", hint=hint, source=source)
