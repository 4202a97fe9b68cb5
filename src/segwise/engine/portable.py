"""Operations whose meaning differs between engines, written once per engine here.

Narwhals makes most expressions portable. These are the exceptions, measured:

* A failed cast raises on Polars (strict by default) and on DuckDB (``CAST``),
  but ingestion must turn bad cells into NULL so the row can be quarantined
  with a reason. Each engine has its own non-raising form.
* Timestamp parsing: see :mod:`segwise.engine.datetimes`.
* Row numbers: Polars has a cheap index; DuckDB numbers rows in scan order;
  Spark's row ids are unique but jump between partitions, so the numbers a user
  reads add each partition's offset, counted in one job.

Every function takes and returns a Narwhals LazyFrame and adds one column.
"""

from __future__ import annotations

from typing import Any

import narwhals.stable.v2 as nw
import polars as pl

from segwise.engine.frames import Backend, backend_of, wrap
from segwise.engine.spark_cache import cached
from segwise.engine.spark_numbering import number_rows


def quote_identifier(name: str, backend: Backend) -> str:
    """Quote a column name for SQL text on DuckDB (``"x"``) or Spark (```x```).

    Examples
    --------
    >>> quote_identifier("Customer ID", Backend.DUCKDB)
    '"Customer ID"'
    """
    if backend is Backend.SPARK:
        return "`" + name.replace("`", "``") + "`"
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str, backend: Backend = Backend.SPARK) -> str:
    r"""Quote a string literal for the SQL text of ``backend``.

    Spark reads a backslash in a literal as an escape, so it is doubled there;
    DuckDB follows standard SQL, where a backslash is itself.

    Examples
    --------
    >>> quote_literal("it's")
    "'it''s'"
    >>> print(quote_literal(r"%d\%m", Backend.DUCKDB), quote_literal(r"%d\%m", Backend.SPARK))
    '%d\%m' '%d\\%m'
    """
    quoted = text.replace("'", "''")
    if backend is Backend.SPARK:
        quoted = quoted.replace("\\", "\\\\")
    return "'" + quoted + "'"


def add_sql_column(frame: nw.LazyFrame[Any], sql: str, out: str) -> nw.LazyFrame[Any]:
    """Add ``out``, computed by the SQL expression ``sql``, to a DuckDB or Spark frame."""
    backend = backend_of(frame)
    native = frame.to_native()
    if backend is Backend.DUCKDB:
        return wrap(native.project(f"*, {sql} AS {quote_identifier(out, backend)}"))
    # pyspark is an optional extra: import it only when a Spark frame is here.
    from pyspark.sql import functions as spark_functions  # noqa: PLC0415

    return wrap(native.withColumn(out, spark_functions.expr(sql)))


def try_to_float(
    frame: nw.LazyFrame[Any], column: str, out: str, *, decimal_comma: bool = False
) -> nw.LazyFrame[Any]:
    """Add ``out``: ``column`` as Float64, NULL where it is not a number.

    Numeric columns are cast; text is trimmed and parsed without raising.
    ``NaN`` and infinities come through as they are: callers that need finite
    numbers test ``is_finite`` (a test is cheaper than rewriting the column,
    measured 8% of a 10M-row Parquet read).

    Examples
    --------
    >>> import polars as pl
    >>> frame = nw.from_native(pl.LazyFrame({"x": [" 1.5", "abc", None]}))
    >>> try_to_float(frame, "x", "v").collect()["v"].to_list()
    [1.5, None, None]
    """
    dtype = frame.collect_schema()[column]
    if dtype.is_numeric():
        return frame.with_columns(nw.col(column).cast(nw.Float64).alias(out))
    if decimal_comma:
        # "1.234,56" and "12,50" only: "12.50" or "1,234.56" in a decimal-comma file is
        # another convention, and reading it either way would be a guess (NULL: quarantined).
        parsed = _try_to_float(frame, column, out, decimal_comma=True)
        written = nw.col(column).cast(nw.String).str.strip_chars().str.contains(DECIMAL_COMMA)
        return parsed.with_columns(nw.when(written).then(nw.col(out)).alias(out))
    return _try_to_float(frame, column, out, decimal_comma=False)


#: A number written with a decimal comma and optional dot thousands separators.
DECIMAL_COMMA = r"^[+-]?([0-9]+|[0-9]{1,3}(\.[0-9]{3})+)(,[0-9]+)?$"


def _try_to_float(
    frame: nw.LazyFrame[Any], column: str, out: str, *, decimal_comma: bool
) -> nw.LazyFrame[Any]:
    backend = backend_of(frame)
    if backend is Backend.POLARS:
        text = pl.col(column).cast(pl.String).str.strip_chars()
        if decimal_comma:
            text = text.str.replace_all(".", "", literal=True).str.replace(",", ".", literal=True)
        number = text.cast(pl.Float64, strict=False)
        return wrap(frame.to_native().with_columns(number.alias(out)))
    ident = quote_identifier(column, backend)
    text_sql = f"trim(CAST({ident} AS STRING))"
    if decimal_comma:
        text_sql = f"replace(replace({text_sql}, '.', ''), ',', '.')"
    return add_sql_column(frame, f"try_cast({text_sql} AS DOUBLE)", out)


def with_row_number(
    frame: nw.LazyFrame[Any], out: str, *, consecutive: bool = False
) -> nw.LazyFrame[Any]:
    """Add ``out``, a 1-based row number in source order.

    On Spark the numbers are unique and ordered but jump between partitions, unless
    ``consecutive``: then they are 1, 2, 3… as a reader counts the rows, at the cost of
    one job counting each partition's rows (:mod:`segwise.engine.spark_numbering`); the
    frame must give the same rows in the same partitions on every pass, as a source does. Numbers
    a user reads (a quarantined row, the first row a date did not read) are consecutive;
    numbers that only restore an order need not be.

    Examples
    --------
    >>> import polars as pl
    >>> frame = nw.from_native(pl.LazyFrame({"a": ["x", "y"]}))
    >>> with_row_number(frame, "row").collect()["row"].to_list()
    [1, 2]
    """
    backend = backend_of(frame)
    if backend is Backend.POLARS:
        native = (
            frame.to_native().with_row_index(out, offset=1).with_columns(pl.col(out).cast(pl.Int64))
        )
        return wrap(native)
    if backend is Backend.DUCKDB:
        return add_sql_column(frame, "CAST(row_number() OVER () AS BIGINT)", out)
    if consecutive:
        # Numbered where it is read from its source: the same rows on every pass, uncached.
        return wrap(number_rows(frame.to_native(), out, start=1, cache=False))
    return add_sql_column(frame, "monotonically_increasing_id() + 1", out)


def count_distinct_rows(frame: nw.LazyFrame[Any], columns: list[str]) -> int:
    """Count the distinct rows of ``frame`` over ``columns`` (NULLs compare equal).

    Polars hashes each row to 64 bits and counts distinct hashes, streaming,
    so memory stays at 8 bytes a row whatever the width (a collision between
    two different rows has probability about n²/2⁶⁵: 3 in a million for 10M
    rows). DuckDB and Spark count ``DISTINCT`` rows, spilling or distributing
    as they do.

    Examples
    --------
    >>> import polars as pl
    >>> frame = nw.from_native(pl.LazyFrame({"a": [1, 1, None, None], "b": ["x", "x", "y", "y"]}))
    >>> count_distinct_rows(frame, ["a", "b"])
    2
    """
    if backend_of(frame) is Backend.POLARS:
        native = frame.to_native().select(pl.struct(columns).hash(seed=0).n_unique().alias("n"))
        return int(native.collect(engine="streaming").item())
    distinct = frame.select(*columns).unique().select(nw.len().alias("n")).collect()
    return int(distinct.item(0, 0))


def collect_one_row(frame: nw.LazyFrame[Any]) -> dict[str, Any]:
    """Collect a one-row aggregate; Polars runs it on its streaming engine."""
    if backend_of(frame) is Backend.POLARS:
        result = frame.to_native().collect(engine="streaming")
        return dict(zip(result.columns, result.row(0), strict=True))
    collected = frame.collect()
    return dict(zip(collected.columns, collected.row(0), strict=True))


def add_days_between(
    frame: nw.LazyFrame[Any], later: str, earlier: str, out: str
) -> nw.LazyFrame[Any]:
    """Add ``out``: whole days from the Date ``earlier`` to the Date ``later`` (Int64).

    ``(date - date)`` means microseconds on Polars but days on DuckDB and
    Spark, silently (DESIGN.md §3.1), so each engine gets its own form.

    Examples
    --------
    >>> import datetime as dt, polars as pl
    >>> days = {"a": [dt.date(2024, 3, 1)], "b": [dt.date(2024, 2, 1)]}
    >>> frame = nw.from_native(pl.LazyFrame(days))
    >>> add_days_between(frame, "a", "b", "days").collect()["days"].to_list()
    [29]
    """
    backend = backend_of(frame)
    if backend is Backend.POLARS:
        days = (pl.col(later) - pl.col(earlier)).dt.total_days().cast(pl.Int64)
        return wrap(frame.to_native().with_columns(days.alias(out)))
    a, b = quote_identifier(later, backend), quote_identifier(earlier, backend)
    if backend is Backend.DUCKDB:
        return add_sql_column(frame, f"CAST(date_diff('day', {b}, {a}) AS BIGINT)", out)
    return add_sql_column(frame, f"CAST(datediff({a}, {b}) AS BIGINT)", out)


#: Money is summed in millionths: integer-valued doubles add exactly in any order,
#: so sums agree to the last bit on every engine and partitioning.
MONEY_SCALE = 1_000_000.0


def money_units(value: nw.Expr) -> nw.Expr:
    """``value`` in millionths, rounded: sums of these are exact whatever the order.

    Examples
    --------
    >>> import polars as pl
    >>> frame = nw.from_native(pl.DataFrame({"x": [0.1, 0.2]}))
    >>> frame.select(money_units(nw.col("x")).sum()).item()
    300000.0
    """
    return (value.cast(nw.Float64) * MONEY_SCALE).round(0)


def divide(numerator: nw.Expr, by: float) -> nw.Expr:
    """``numerator / by``, correctly rounded on every engine.

    Polars evaluates ``x / literal`` as ``x * (1 / literal)``, which is off in
    the last bit for 835 of CDNOW's 2,357 ``T`` values against DuckDB and
    Spark; dividing by an expression keeps a true division.

    Examples
    --------
    >>> import polars as pl
    >>> frame = nw.from_native(pl.DataFrame({"days": [167.0]}))
    >>> frame.select(divide(nw.col("days"), 7.0)).item() == 167 / 7
    True
    """
    number = numerator.cast(nw.Float64)
    return number / (number * 0.0 + by)


def round_half_away(value: nw.Expr, decimals: int = 0) -> nw.Expr:
    """Round halves away from zero, as SQL's ``round`` does on DuckDB, Spark and PostgreSQL.

    Polars rounds halves to even by default (``round(2.5) == 2``), so the
    rounding is built from ``floor`` and a true division.

    Examples
    --------
    >>> import polars as pl
    >>> frame = nw.from_native(pl.DataFrame({"x": [-2.5, -0.5, 0.5, 1.5, 2.5, 2.25]}))
    >>> frame.select(round_half_away(nw.col("x"))).to_native()["x"].to_list()
    [-3.0, -1.0, 1.0, 2.0, 3.0, 2.0]
    """
    number = value.cast(nw.Float64)
    scale = 10.0**decimals
    magnitude = (number.abs() * scale + 0.5).floor()
    if decimals:
        magnitude = divide(magnitude, scale)
    return nw.when(number < 0).then(magnitude * -1.0).otherwise(magnitude)


def quantiles(frame: nw.LazyFrame[Any], column: str, probs: list[float]) -> list[float | None]:
    """Exact quantiles of ``column`` with linear interpolation (numpy's default).

    Spark's ``percentile_approx`` is approximate, so Spark gets its exact
    ``percentile``; the others compute the same linear interpolation.

    Examples
    --------
    >>> import polars as pl
    >>> quantiles(nw.from_native(pl.LazyFrame({"x": [1.0, 2.0, 3.0, 4.0]})), "x", [0.25, 0.5])
    [1.75, 2.5]
    """
    if backend_of(frame) is Backend.SPARK:
        from pyspark.sql import functions as spark_functions  # noqa: PLC0415

        native = frame.to_native()
        ident = quote_identifier(column, Backend.SPARK)
        array = ", ".join(repr(float(p)) for p in probs)
        row = native.select(spark_functions.expr(f"percentile({ident}, array({array}))")).first()
        return [float(v) if v is not None else None for v in (row[0] or [None] * len(probs))]
    exprs = [
        nw.col(column).quantile(p, interpolation="linear").alias(f"q{i}")
        for i, p in enumerate(probs)
    ]
    row = frame.select(*exprs).collect().row(0)
    return [float(v) if v is not None else None for v in row]


def materialize(frame: nw.LazyFrame[Any], *, streaming: bool = True) -> nw.LazyFrame[Any]:
    """Compute ``frame`` once so that several queries over it do not recompute it.

    For customer-level results that later steps read more than once (scores,
    then bin checks, then the table): Polars collects into memory (with its
    streaming engine unless ``streaming=False``) and Spark caches. A DuckDB
    relation is left as it is: DuckDB re-runs the query, and a relation does
    not say which connection could hold a temporary table.

    Examples
    --------
    >>> import polars as pl
    >>> materialize(nw.from_native(pl.LazyFrame({"a": [1]}))).collect()["a"].to_list()
    [1]
    """
    backend = backend_of(frame)
    if backend is Backend.POLARS:
        # Streaming was 15% faster on 10M-row group-bys here; window functions
        # (ranks) run better in memory, so callers choose.
        engine = "streaming" if streaming else "in-memory"
        return wrap(frame.to_native().collect(engine=engine).lazy())
    if backend is Backend.SPARK:
        return wrap(cached(frame.to_native()))
    return frame


def left_join_all(
    frame: nw.LazyFrame[Any], others: list[nw.LazyFrame[Any]], on: str
) -> nw.LazyFrame[Any]:
    """Left-join each of ``others`` onto ``frame`` by the column ``on``, in turn.

    Narwhals reads both sides' columns for every join. On Spark that is the server
    analysing the ever longer plan again: over Spark Connect, a round trip each, 2 s of
    the demo's 31 s warm run for its nine feature joins. Spark's own ``join(on=...)``
    needs no columns, so the plan is analysed once, at the end. Where two sides share a
    column besides ``on``, Narwhals' joins are used after all (they suffix ``_right``).

    Examples
    --------
    >>> import polars as pl
    >>> people = nw.from_native(pl.LazyFrame({"id": [1, 2]}))
    >>> spend = nw.from_native(pl.LazyFrame({"id": [2], "spend": [9.5]}))
    >>> left_join_all(people, [spend], "id").sort("id").collect()["spend"].to_list()
    [None, 9.5]
    """
    if backend_of(frame) is Backend.SPARK:
        native = frame.to_native()
        for other in others:
            native = native.join(other.to_native(), on=on, how="left")
        joined = native.columns
        if len(set(joined)) == len(joined):
            # Spark puts the key first; Narwhals keeps the left side's order.
            left = frame.collect_schema().names()
            if left[0] != on:
                native = native.select(*left, *(c for c in joined if c not in set(left)))
            return wrap(native)
    for other in others:
        frame = frame.join(other, on=on, how="left")
    return frame


def add_hash(frame: nw.LazyFrame[Any], column: str, out: str) -> nw.LazyFrame[Any]:
    """Add ``out``: a 64-bit hash of ``column`` (NULL hashes to a value too).

    Counting distinct hashes instead of distinct strings halved the time of
    distinct orders per customer on 10M rows. Each engine has its own hash
    function, so the values differ between engines, but counts agree unless
    two of one customer's ids collide (probability about k²/2⁶⁴).

    Examples
    --------
    >>> import polars as pl
    >>> frame = nw.from_native(pl.LazyFrame({"id": ["a", "a", "b"]}))
    >>> add_hash(frame, "id", "h").select(nw.col("h").n_unique()).collect().item()
    2
    """
    backend = backend_of(frame)
    if backend is Backend.POLARS:
        return wrap(frame.to_native().with_columns(pl.col(column).hash(seed=0).alias(out)))
    ident = quote_identifier(column, backend)
    sql = f"hash({ident})" if backend is Backend.DUCKDB else f"xxhash64({ident})"
    return add_sql_column(frame, sql, out)


#: Characters whose full Unicode case mapping (Polars, Spark, Python) differs from the
#: simple one-to-one mapping DuckDB applies; written out so every engine agrees.
_FULL_LOWER = {"\u0130": "i\u0307"}  # İ → i̇
_FULL_UPPER = {
    "\u00df": "SS",  # ß
    "\ufb00": "FF",  # ﬀ
    "\ufb01": "FI",  # ﬁ
    "\ufb02": "FL",  # ﬂ
    "\ufb03": "FFI",  # ﬃ
    "\ufb04": "FFL",  # ﬄ
    "\ufb05": "ST",  # ﬅ
    "\ufb06": "ST",  # ﬆ
    "\u0149": "\u02bcN",  # ŉ
}


def to_lowercase(expr: nw.Expr) -> nw.Expr:
    """Lower case with the full Unicode mapping on every engine (``'İ'`` → ``'i̇'``).

    Examples
    --------
    >>> import polars as pl, duckdb
    >>> frame = pl.DataFrame({"s": ["İstanbul"]})
    >>> nw.from_native(frame).select(to_lowercase(nw.col("s")))["s"][0] == "i\u0307stanbul"
    True
    """
    for char, full in _FULL_LOWER.items():
        expr = expr.str.replace_all(char, full, literal=True)
    return expr.str.to_lowercase()


def to_uppercase(expr: nw.Expr) -> nw.Expr:
    """Upper case with the full Unicode mapping on every engine (``'ß'`` → ``'SS'``)."""
    for char, full in _FULL_UPPER.items():
        expr = expr.str.replace_all(char, full, literal=True)
    return expr.str.to_uppercase()
