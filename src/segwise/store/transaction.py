"""One store transaction: everything in it is written, or nothing is."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

    import duckdb


@contextlib.contextmanager
def transaction(connection: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """``BEGIN`` … ``COMMIT``; any error (or interrupt) rolls back and is raised again.

    Examples
    --------
    >>> import duckdb
    >>> connection = duckdb.connect()
    >>> _ = connection.execute("CREATE TABLE t (x INTEGER)")
    >>> try:
    ...     with transaction(connection):
    ...         _ = connection.execute("INSERT INTO t VALUES (1)")
    ...         raise KeyboardInterrupt
    ... except KeyboardInterrupt:
    ...     pass
    >>> connection.execute("SELECT count(*) FROM t").fetchone()
    (0,)
    """
    connection.execute("BEGIN TRANSACTION")
    try:
        yield connection
        connection.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(Exception):  # a failed COMMIT has already rolled back
            connection.execute("ROLLBACK")
        raise
