"""A DuckDB workspace that keeps every run: atomic, locked, queryable.

Each run is written in one transaction (its row in ``runs``, its
segmentations' definitions, segment sizes and profiles, and every customer's
membership), so a run killed half-way leaves the earlier runs intact and no
trace of itself. Two runs on one store are serialised by an exclusive lock on
``<store>.lock``: the second waits, saying for whom, and gives up with a
clear message after ``lock_timeout`` seconds.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import polars as pl

from segwise.exceptions import ConfigError, SegwiseError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS runs (
        run_id INTEGER PRIMARY KEY, project VARCHAR, started_at TIMESTAMP,
        finished_at TIMESTAMP, as_of DATE, config_hash VARCHAR, config VARCHAR,
        segwise_version VARCHAR, engine VARCHAR, customers BIGINT)""",
    """CREATE TABLE IF NOT EXISTS segmentations (
        run_id INTEGER, segmentation VARCHAR, method VARCHAR, definition VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS segments (
        run_id INTEGER, segmentation VARCHAR, segment VARCHAR, size BIGINT, share DOUBLE,
        profile VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS memberships (
        run_id INTEGER, segmentation VARCHAR, customer_id VARCHAR, segment VARCHAR)""",
)


class StoreLockedError(SegwiseError):
    """Another run holds the store's lock for longer than we are willing to wait."""


class StoreError(SegwiseError):
    """The store cannot be opened, read or written (damaged, foreign, or the disk is full)."""


#: How DuckDB says another process has the file open for writing.
_LOCK_CONFLICT = "Could not set lock on file"

_DAMAGED_HINT = (
    "if the file is damaged, move it aside and restore a backup; a new store starts empty"
)


@contextlib.contextmanager
def _store_errors(path: Path) -> Iterator[None]:
    """DuckDB and disk failures inside the store as one line naming the store."""
    try:
        yield
    except duckdb.Error as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        full = "no space" in first.lower() or "disk is full" in first.lower()
        hint = "free some disk space and run again" if full else _DAMAGED_HINT
        raise StoreError(f"{path}: the store failed: {first[:300]}", hint=hint) from None
    except OSError as exc:
        hint = "free some disk space and run again" if exc.errno == errno.ENOSPC else _DAMAGED_HINT
        raise StoreError(f"{path}: the store failed: {exc.strerror or exc}", hint=hint) from None


@dataclass
class SegmentationRecord:
    """One segmentation of a run: its definition, segment sizes/profiles and memberships.

    ``members`` has ``customer_id`` and ``segment`` (a customer appears once per
    segment it belongs to: once for exclusive schemes, possibly more for
    overlapping audiences).
    """

    name: str
    method: str
    definition: dict[str, Any]
    segments: list[dict[str, Any]]
    members: pl.DataFrame


@dataclass
class RunRecord:
    """Everything one run stores."""

    project: str
    as_of: date
    config_hash: str
    config: str
    version: str
    engine: str
    customers: int
    started_at: datetime
    segmentations: list[SegmentationRecord] = field(default_factory=list)


class Workspace:
    """The store of one project.

    Examples
    --------
    >>> import tempfile, datetime as dt, polars as pl
    >>> store = Workspace(tempfile.mkdtemp() + "/segwise.duckdb")
    >>> members = pl.DataFrame({"customer_id": ["a", "b"], "segment": ["Big", "Small"]})
    >>> record = RunRecord("demo", dt.date(2024, 1, 31), "abc", "name: demo", "0.1.0", "polars",
    ...     2, dt.datetime(2024, 2, 1), [SegmentationRecord("value", "rules", {}, [], members)])
    >>> store.write_run(record)
    1
    >>> store.members("Big", run=1)["customer_id"].to_list()
    ['a']
    """

    def __init__(self, path: str | Path, *, lock_timeout: float = 600.0) -> None:
        self.path = Path(path)
        self.lock_timeout = lock_timeout

    # -- locking ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def locked(self, waiting: Callable[[str], None] | None = None) -> Iterator[None]:
        """Hold the store's exclusive lock; wait (saying so) while another run holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.path.with_name(self.path.name + ".lock")
        with open(lock_path, "a+") as handle:  # noqa: PTH123 - fcntl needs the file object
            deadline = time.monotonic() + self.lock_timeout
            told = False
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    holder = _read_holder(lock_path)
                    if time.monotonic() > deadline:
                        raise StoreLockedError(
                            f"{self.path}: another segwise run ({holder}) has held the store "
                            f"for over {self.lock_timeout:.0f} s",
                            hint="wait for it to finish, or stop it; runs on one store go one "
                            "at a time",
                        ) from None
                    if waiting is not None and not told:
                        waiting(f"waiting for another run on {self.path} ({holder}) to finish")
                        told = True
                    time.sleep(0.2)
            handle.seek(0)
            handle.truncate()
            handle.write(f"pid {os.getpid()} since {datetime.now():%H:%M:%S}")
            handle.flush()
            try:
                yield
            finally:
                handle.seek(0)
                handle.truncate()
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _connect(self, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        if read_only and not self.path.exists():
            raise ConfigError(
                f"{self.path}: no runs stored yet", hint="run the project first: segwise run CONFIG"
            )
        self._check_is_store()
        deadline = time.monotonic() + (self.lock_timeout if read_only else 0)
        while True:
            try:
                connection = duckdb.connect(
                    str(self.path),
                    read_only=read_only,
                    config={"enable_external_access": False},
                )
                break
            except duckdb.Error as exc:
                # A reader meets a run that is writing: wait for it, as the docs promise.
                if read_only and _LOCK_CONFLICT in str(exc) and time.monotonic() < deadline:
                    time.sleep(0.2)
                    continue
                raise StoreError(
                    f"{self.path}: cannot open the store ({exc})".splitlines()[0],
                    hint=_DAMAGED_HINT,
                ) from None
        with _store_errors(self.path):
            attached = connection.execute(
                "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
            ).fetchall()
            if not attached or not attached[0][0]:
                connection.close()
                # DuckDB opens some foreign files as an in-memory database: the run would vanish.
                raise StoreError(
                    f"{self.path}: this is not a segwise store", hint="point store: at a new file"
                )
            if not read_only:
                for statement in SCHEMA:
                    connection.execute(statement)
                columns = {row[0] for row in connection.execute("DESCRIBE runs").fetchall()}
                if "report" not in columns:
                    # Runs stored before reports were tracked: '' (unknown), not NULL (missing).
                    connection.execute("ALTER TABLE runs ADD COLUMN report VARCHAR DEFAULT NULL")
                    connection.execute("UPDATE runs SET report = ''")
        return connection

    def _check_is_store(self) -> None:
        """Refuse a file that is not a DuckDB database before DuckDB sees it."""
        try:
            with self.path.open("rb") as handle:
                head = handle.read(12)
        except FileNotFoundError:
            return
        except OSError as exc:
            raise StoreError(f"{self.path}: cannot read the store ({exc.strerror})") from None
        if head and head[8:12] != b"DUCK":
            raise StoreError(
                f"{self.path}: this is not a segwise store (not a DuckDB database)",
                hint="point store: at a new file, or restore the store from a backup",
            )

    # -- writing ---------------------------------------------------------------------------
    def write_run(
        self,
        record: RunRecord,
        *,
        progress: Callable[[str], None] | None = None,
        lock: bool = True,
    ) -> int:
        """Store a whole run in one transaction and return its id.

        ``lock=False`` when the caller already holds :meth:`locked` for the whole run.
        """
        held = self.locked(progress) if lock else contextlib.nullcontext()
        with held, contextlib.closing(self._connect()) as connection, _store_errors(self.path):
            return self._write(connection, record, progress)

    def next_run_id(self) -> int:
        """The id the next stored run will get (stable while the caller holds the lock)."""
        with contextlib.closing(self._connect()) as connection, _store_errors(self.path):
            rows = connection.execute("SELECT coalesce(max(run_id), 0) + 1 FROM runs").fetchall()
        return int(rows[0][0]) if rows else 1

    def mark_report(self, run_id: int, report: Path) -> None:
        """Record that ``run_id``'s report was written; ``runs`` shows runs whose report was not."""
        with contextlib.closing(self._connect()) as connection, _store_errors(self.path):
            connection.execute("UPDATE runs SET report = ? WHERE run_id = ?", [str(report), run_id])

    def _write(
        self,
        connection: duckdb.DuckDBPyConnection,
        record: RunRecord,
        progress: Callable[[str], None] | None,
    ) -> int:
        connection.execute("BEGIN TRANSACTION")
        try:
            next_id = connection.execute("SELECT coalesce(max(run_id), 0) + 1 FROM runs").fetchall()
            run_id = int(next_id[0][0]) if next_id else 1
            connection.execute(
                "INSERT INTO runs (run_id, project, started_at, finished_at, as_of, config_hash, "
                "config, segwise_version, engine, customers) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    run_id,
                    record.project,
                    record.started_at,
                    datetime.now(),
                    record.as_of,
                    record.config_hash,
                    record.config,
                    record.version,
                    record.engine,
                    record.customers,
                ],
            )
            for segmentation in record.segmentations:
                if progress is not None:
                    progress(f"storing {segmentation.name}")
                connection.execute(
                    "INSERT INTO segmentations VALUES (?, ?, ?, ?)",
                    [
                        run_id,
                        segmentation.name,
                        segmentation.method,
                        json.dumps(segmentation.definition, default=str),
                    ],
                )
                for segment in segmentation.segments:
                    connection.execute(
                        "INSERT INTO segments VALUES (?, ?, ?, ?, ?, ?)",
                        [
                            run_id,
                            segmentation.name,
                            segment["name"],
                            segment["size"],
                            segment["share"],
                            json.dumps(segment, default=str),
                        ],
                    )
                members = segmentation.members.select(
                    pl.lit(run_id, dtype=pl.Int32).alias("run_id"),
                    pl.lit(segmentation.name).alias("segmentation"),
                    pl.col("customer_id").cast(pl.String),
                    pl.col("segment").cast(pl.String),
                ).to_arrow()
                connection.register("incoming_members", members)
                connection.execute("INSERT INTO memberships SELECT * FROM incoming_members")
                connection.unregister("incoming_members")
            connection.execute("COMMIT")
        except BaseException:
            # A failed COMMIT (a full disk) has already ended the transaction: the
            # ROLLBACK's own "no transaction" error must not hide the real one.
            with contextlib.suppress(duckdb.Error):
                connection.execute("ROLLBACK")
            raise
        return run_id

    # -- reading ---------------------------------------------------------------------------
    def runs(self) -> pl.DataFrame:
        """Every stored run, oldest first; ``report`` is NULL where the report was not written."""
        with (
            contextlib.closing(self._connect(read_only=True)) as connection,
            _store_errors(self.path),
        ):
            columns = {row[0] for row in connection.execute("DESCRIBE runs").fetchall()}
            report = "report" if "report" in columns else "''::VARCHAR AS report"
            return _frame(
                connection,
                "SELECT run_id, project, as_of, started_at, finished_at, engine, customers, "
                f"config_hash, segwise_version, {report} FROM runs ORDER BY run_id",
            )

    def latest_run(self) -> int:
        """The id of the newest run."""
        runs = self.runs()
        if runs.height == 0:
            raise ConfigError(f"{self.path}: no runs stored yet", hint="run the project first")
        return int(runs["run_id"].max())  # type: ignore[arg-type]

    def segments(self, run: int | None = None) -> pl.DataFrame:
        """Segment sizes of a run (the latest by default)."""
        run_id = self._run(run)
        with (
            contextlib.closing(self._connect(read_only=True)) as connection,
            _store_errors(self.path),
        ):
            return _frame(
                connection,
                "SELECT segmentation, segment, size, share FROM segments WHERE run_id = ? "
                "ORDER BY segmentation, size DESC",
                [run_id],
            )

    def members(
        self, segment: str, *, run: int | None = None, segmentation: str | None = None
    ) -> pl.DataFrame:
        """Customer ids in one segment of a run (the latest by default)."""
        run_id = self._run(run)
        with (
            contextlib.closing(self._connect(read_only=True)) as connection,
            _store_errors(self.path),
        ):
            found = connection.execute(
                "SELECT DISTINCT segmentation FROM memberships WHERE run_id = ? AND segment = ?"
                + (" AND segmentation = ?" if segmentation else ""),
                [run_id, segment, *([segmentation] if segmentation else [])],
            ).fetchall()
            if not found:
                known = connection.execute(
                    "SELECT DISTINCT segment FROM memberships WHERE run_id = ? ORDER BY 1", [run_id]
                ).fetchall()
                names = ", ".join(f"'{k[0]}'" for k in known[:20])
                raise ConfigError(
                    f"run {run_id} has no segment '{segment}'", hint=f"the segments are {names}"
                )
            if len(found) > 1:
                options = ", ".join(sorted(f[0] for f in found))
                raise ConfigError(
                    f"segment '{segment}' is in several segmentations ({options})",
                    hint="choose one with --segmentation",
                )
            return _frame(
                connection,
                "SELECT customer_id FROM memberships WHERE run_id = ? AND segmentation = ? "
                "AND segment = ? ORDER BY customer_id",
                [run_id, found[0][0], segment],
            )

    def _run(self, run: int | None) -> int:
        if run is None:
            return self.latest_run()
        runs = self.runs()["run_id"].to_list()
        if run not in runs:
            raise ConfigError(
                f"{self.path}: no run {run}", hint=f"the runs are {', '.join(map(str, runs))}"
            )
        return run


def _frame(
    connection: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None
) -> pl.DataFrame:
    table = connection.sql(sql, params=params or None).to_arrow_table()
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame


def _read_holder(lock_path: Path) -> str:
    try:
        text = lock_path.read_text().strip()
    except OSError:
        return "unknown"
    return text or "unknown"
