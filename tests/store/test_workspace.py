"""The workspace store under faults: foreign files, damage, failed commits, readers (issue 12)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap
import time
from typing import TYPE_CHECKING

import duckdb
import polars as pl
import pytest

from segwise.exceptions import ConfigError
from segwise.store import RunRecord, SegmentationRecord, StoreError, Workspace

if TYPE_CHECKING:
    from pathlib import Path


def record(n: int = 3) -> RunRecord:
    members = pl.DataFrame({"customer_id": [str(i) for i in range(n)], "segment": ["Big"] * n})
    return RunRecord(
        "demo",
        dt.date(2024, 1, 31),
        "abc",
        "name: demo",
        "0",
        "polars",
        n,
        dt.datetime(2024, 2, 1),
        [
            SegmentationRecord(
                "value", "rules", {}, [{"name": "Big", "size": n, "share": 1.0}], members
            )
        ],
    )


@pytest.mark.parametrize(
    "content",
    [b"name,amount\n1,2\n", b"PAR1" + b"\x00" * 64, b"\x00" * 4096],
    ids=["csv", "parquet-like", "zeros"],
)
def test_store_path_at_a_foreign_file_is_refused(tmp_path: Path, content: bytes) -> None:
    # Defect 10: DuckDB opened a foreign file as an in-memory database and the run vanished.
    path = tmp_path / "store.duckdb"
    path.write_bytes(content)
    with pytest.raises(StoreError, match="not a segwise store"):
        Workspace(path).write_run(record())
    assert path.read_bytes() == content


def test_a_store_replaced_after_a_read_is_checked_again(tmp_path: Path) -> None:
    # Readers skip the store checks while the file is unchanged (the service's member pages);
    # a file swapped underneath is checked again.
    path = tmp_path / "store.duckdb"
    store = Workspace(path)
    store.write_run(record())
    assert store.members("Big")["customer_id"].to_list() == ["0", "1", "2"]
    assert store.members("Big").height == 3  # the unchanged file: the checks are skipped
    path.write_bytes(b"name,amount\n1,2\n")
    with pytest.raises(StoreError, match="not a segwise store"):
        store.members("Big")


def test_truncated_store_is_one_clear_error(tmp_path: Path) -> None:
    # Defect 9: a truncated store raised duckdb.IOException unwrapped.
    path = tmp_path / "store.duckdb"
    store = Workspace(path)
    store.write_run(record(5000))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(StoreError) as caught:
        store.members("Big")
    assert str(path) in str(caught.value)


def test_failed_commit_reports_the_real_error_and_stores_nothing(tmp_path: Path) -> None:
    # Defect 9: a failing COMMIT was hidden by "no transaction is active" from the ROLLBACK.
    path = tmp_path / "store.duckdb"
    store = Workspace(path)
    store.write_run(record())
    bad = record()
    # The second segmentation's members lack a column: it fails after the first was written.
    bad.segmentations.append(
        SegmentationRecord("broken", "rules", {}, [], pl.DataFrame({"customer_id": ["1"]}))
    )
    with pytest.raises(pl.exceptions.ColumnNotFoundError):
        store.write_run(bad)
    assert store.runs()["run_id"].to_list() == [1]


def test_readers_wait_for_a_writer_instead_of_failing(tmp_path: Path) -> None:
    # Defect 23: a reader failed at once while a run held the store open for writing.
    path = tmp_path / "store.duckdb"
    store = Workspace(path, lock_timeout=20)
    store.write_run(record())
    script = textwrap.dedent(
        f"""
        import duckdb, time
        connection = duckdb.connect({str(path)!r})
        connection.execute("SELECT 1")
        print("held", flush=True)
        time.sleep(2)
        """
    )
    with subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True
    ) as holder:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        assert store.members("Big")["customer_id"].to_list() == ["0", "1", "2"]
        waited = time.monotonic() - started
    assert waited > 0.5  # it waited for the writer, then read


def test_a_second_read_keeps_the_first_readers_lock(tmp_path: Path) -> None:
    # A read that checked the file's first bytes closed its own handle of the file, and the
    # system dropped DuckDB's lock with it: a run of another process then wrote under a
    # reader (the service's kept-open connection) that still answered from the old file.
    path = tmp_path / "store.duckdb"
    Workspace(path).write_run(record())
    writer = textwrap.dedent(
        f"""
        import duckdb
        try:
            duckdb.connect({str(path)!r}).execute("CREATE TABLE intruder (x INT)")
            print("wrote")
        except duckdb.Error as exc:
            print("refused" if "lock" in str(exc) else exc)
        """
    )

    def write() -> str:
        tried = subprocess.run([sys.executable, "-c", writer], check=False, capture_output=True)
        return tried.stdout.decode().strip() or tried.stderr.decode()

    with Workspace(path).reading():
        os.utime(path, (time.time() + 5, time.time() + 5))  # as after another process's run
        assert Workspace(path).runs().height == 1  # a second reader of this process
        assert write() == "refused"
    assert write() == "wrote"  # and the lock goes with the last reader


def test_store_connections_cannot_reach_other_files(tmp_path: Path) -> None:
    store = Workspace(tmp_path / "store.duckdb")
    store.write_run(record())
    connection = store._connect(read_only=True)
    with pytest.raises(duckdb.Error):
        connection.execute(f"COPY runs TO '{tmp_path / 'leak.csv'}'")
    connection.close()
    assert not (tmp_path / "leak.csv").exists()


def test_an_empty_segmentation_name_is_a_clear_error_not_a_store_failure(tmp_path: Path) -> None:
    # Found by the API's fuzzing: an empty name reached DuckDB as an unused parameter.
    store = Workspace(tmp_path / "s.duckdb")
    store.write_run(record())
    assert store.members("Big", segmentation="value").height == 3
    with pytest.raises(ConfigError, match="run 1 has no segment 'Big'"):
        store.members("Big", segmentation="")


def test_a_run_dated_before_the_newest_is_refused_and_the_same_day_is_not(
    tmp_path: Path,
) -> None:
    store = Workspace(tmp_path / "store.duckdb")
    store.write_run(record())
    earlier = record()
    earlier.as_of = dt.date(2023, 12, 31)
    with pytest.raises(ConfigError, match=r"2023-12-31 is before run 1's \(2024-01-31\)"):
        store.write_run(earlier)
    assert store.runs()["run_id"].to_list() == [1]  # nothing of it was kept
    assert store.write_run(record()) == 2
    later = record()
    later.as_of = dt.date(2024, 2, 29)
    assert store.write_run(later) == 3
