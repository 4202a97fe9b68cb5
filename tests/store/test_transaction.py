"""One store transaction: all of it or nothing, whatever stops it."""

from __future__ import annotations

import duckdb
import pytest

from segwise.store.transaction import transaction


@pytest.mark.parametrize(
    "error", [ValueError("bad row"), KeyboardInterrupt()], ids=["error", "interrupt"]
)
def test_anything_raised_inside_rolls_everything_back(error: BaseException) -> None:
    connection = duckdb.connect()
    connection.execute("CREATE TABLE t (x INTEGER)")
    with transaction(connection):
        connection.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(type(error)), transaction(connection):
        connection.execute("INSERT INTO t VALUES (2)")
        connection.execute("DELETE FROM t WHERE x = 1")
        raise error
    assert connection.execute("SELECT x FROM t").fetchall() == [(1,)]


def test_a_failing_statement_rolls_back_the_ones_before_it() -> None:
    connection = duckdb.connect()
    connection.execute("CREATE TABLE t (x INTEGER PRIMARY KEY)")
    with pytest.raises(duckdb.ConstraintException), transaction(connection):
        connection.execute("INSERT INTO t VALUES (1)")
        connection.execute("INSERT INTO t VALUES (1)")
    assert connection.execute("SELECT count(*) FROM t").fetchone() == (0,)
    with transaction(connection):  # the connection is usable again
        connection.execute("INSERT INTO t VALUES (1)")
    assert connection.execute("SELECT count(*) FROM t").fetchone() == (1,)
