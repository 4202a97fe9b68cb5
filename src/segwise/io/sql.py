"""Read a table or query from a SQL database: a DuckDB file, SQLite, or PostgreSQL.

A DuckDB file stays on DuckDB (the relation is lazy and the work runs there).
SQLite and PostgreSQL results arrive through their Python drivers as Arrow
batches and continue on lazy Polars.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from segwise._validation import hint_for
from segwise.exceptions import DataError

if TYPE_CHECKING:
    import duckdb

SQL_SCHEMES = ("duckdb://", "sqlite://", "postgresql://", "postgres://")


def is_sql_url(text: str) -> bool:
    """Whether ``text`` is a database URL segwise reads.

    Examples
    --------
    >>> is_sql_url("sqlite:///shop.db"), is_sql_url("orders.csv")
    (True, False)
    """
    return text.startswith(SQL_SCHEMES)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _select(table: str | None, query: str | None, tables: list[str], source: str) -> str:
    if query:
        return query
    if table is None:
        if len(tables) == 1:
            table = tables[0]
        else:
            listed = ", ".join(tables) if tables else "none"
            raise DataError(
                f"the database has {len(tables)} tables ({listed})",
                hint="name one with --table (table= in Python) or pass --query",
                source=source,
            )
    elif table not in tables:
        raise DataError(
            f"no table '{table}' in the database", hint=hint_for(table, tables), source=source
        )
    return f"SELECT * FROM {_quote(table)}"


def _path_of(url: str, scheme: str) -> Path:
    rest = url[len(scheme) :]
    # sqlite:///relative.db and sqlite:////abs/path.db, as SQLAlchemy writes them.
    return Path(rest[1:] if rest.startswith("/") else rest)


def read_duckdb(path: Path, *, table: str | None, query: str | None) -> duckdb.DuckDBPyRelation:
    """Open a DuckDB database file read-only and return the table or query as a relation."""
    import duckdb  # noqa: PLC0415 - 65 ms of start-up that only database sources need

    source = str(path)
    if not path.is_file():
        raise DataError("no such database file", hint="check the path", source=source)
    try:
        # A --query runs as written: with external access off it can read this database
        # only (no COPY ... TO, read_csv('/etc/passwd'), ATTACH or extensions).
        connection = duckdb.connect(
            str(path),
            read_only=True,
            config={"enable_external_access": False, "lock_configuration": True},
        )
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT table_name FROM information_schema.tables"
            ).fetchall()
        ]
        return connection.sql(_select(table, query, tables, source))
    except duckdb.Error as exc:
        raise DataError(f"DuckDB could not read it: {exc}".splitlines()[0], source=source) from None


def read_sqlite(path: Path, *, table: str | None, query: str | None) -> pl.DataFrame:
    """Read a table or query from an SQLite file, read-only."""
    source = str(path)
    if not path.is_file():
        raise DataError("no such database file", hint="check the path", source=source)
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
            # No ATTACH: a query may read this database only (ATTACH can create files).
            connection.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
            tables = [
                row[0]
                for row in connection.execute(
                    "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY name"
                )
            ]
            sql = _select(table, query, tables, source)
            return pl.read_database(sql, connection, infer_schema_length=None)
    except sqlite3.DatabaseError as exc:
        raise DataError(f"SQLite could not read it: {exc}", source=source) from None


def read_postgres(url: str, *, table: str | None, query: str | None) -> pl.DataFrame:
    """Read a table or query from PostgreSQL (``postgresql://user:pass@host:port/db``)."""
    import psycopg  # noqa: PLC0415 — loads libpq: only when a PostgreSQL URL is given

    shown = url.rsplit("@", maxsplit=1)[-1]  # never echo a password
    try:
        with psycopg.connect(url) as connection:
            tables = [
                row[0]
                for row in connection.execute(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') "
                    "ORDER BY table_name"
                )
            ]
            sql = _select(table, query, tables, f"postgresql://…@{shown}")
            result: pl.DataFrame = pl.read_database(sql, connection, infer_schema_length=None)
            return result
    except psycopg.Error as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(
            f"PostgreSQL could not read it: {message}",
            hint="check the URL, that the server runs and the user may read the table",
            source=f"postgresql://…@{shown}",
        ) from None


def read_sql_url(url: str, *, table: str | None, query: str | None) -> Any:
    """Dispatch a database URL to its reader; return a DuckDB relation or a Polars frame."""
    if url.startswith("duckdb://"):
        return read_duckdb(_path_of(url, "duckdb://"), table=table, query=query)
    if url.startswith("sqlite://"):
        return read_sqlite(_path_of(url, "sqlite://"), table=table, query=query)
    return read_postgres(url, table=table, query=query)
