"""A DuckDB workspace that keeps every run: atomic, locked, queryable.

Each run is written in one transaction (its row in ``runs``, its
segmentations' definitions, segment sizes and profiles, and its memberships
as validity intervals, see :mod:`segwise.store.schema`), so a run killed
half-way leaves the earlier runs intact and no trace of itself. Two runs on
one store are serialised by an exclusive lock on ``<store>.lock``
(:mod:`segwise.store.lock`).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import threading
import time
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import polars as pl

from segwise._version import __version__
from segwise.exceptions import ConfigError, SegwiseError
from segwise.store import schema
from segwise.store.lock import held_here, hold_lock, write_intent
from segwise.store.queries import HistoryQueries
from segwise.store.records import RunRecord, write_record

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator


class StoreError(SegwiseError):
    """The store cannot be opened, read or written (damaged, foreign, or the disk is full)."""


#: No reach outside the store's own file; 64 KiB blocks for new stores (measured,
#: BENCHMARKS.md): each run appends a few changes, and DuckDB's default 256 KiB blocks,
#: half filled, made a store of 30 runs (100k customers, 2% moving) 2.6 times as large;
#: 16 KiB blocks split every column into many small segments, which at 1M customers made
#: the intervals twice as large and their scans 2.5 times as slow.
STORE_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "enable_external_access": False,
    "default_block_size": "65536",
    # DuckDB's default (80% of RAM) let a run's store write take 5 GB beside the run's
    # own tables at 10M customers; bounded, it sorts and joins through disk. Measured
    # (BENCHMARKS.md): the 100M-row run within 12 GiB at 2 GB (4 GB failed there once, the
    # cause not found); writing 10M customers × 4 took 27-32 s a run at 2 GB, 22-27 s
    # unbounded, and 13-19 s at 2 GB once each segmentation is joined alone.
    "memory_limit": "2GB",
}

#: How DuckDB says another process has the file open for writing.
_LOCK_CONFLICT = "Could not set lock on file"

#: How DuckDB refuses a read-write connection while this process has the file open read-only.
_SAME_PROCESS = "different configuration than existing connections"

#: How long a writer waits for other processes' read connections to close (they last
#: milliseconds; a service reading the store must not fail a run's commit).
_WRITER_WAIT = 30.0

#: Store files this process has opened and checked, with their size and time then.
_VERIFIED: dict[Path, tuple[int, int]] = {}
#: The read-only connections that ``reading()`` blocks hold open, per thread and store path.
#: Any Workspace object of that store inside the block reads through it: code that reads a
#: store makes its own object (``project.store`` is a new one each time), and opening a
#: connection costs ~20 ms (publishing a run read the store through 16 of them).
_THREAD_READERS = threading.local()


def _readers() -> dict[Path, duckdb.DuckDBPyConnection]:
    """The open ``reading()`` connections of the calling thread, by store path."""
    held: dict[Path, duckdb.DuckDBPyConnection] | None = getattr(_THREAD_READERS, "held", None)
    if held is None:
        held = _THREAD_READERS.held = {}
    return held


#: The file (device, inode) behind each store path whose first bytes this process has read;
#: None where DuckDB created the file in this process.
_HEADER_READ: dict[str, tuple[int, int] | None] = {}
_HEADER_LOCK = threading.Lock()

#: How DuckDB refuses a file that is not one of its databases.
_FOREIGN = "not a valid DuckDB database file"
_FOREIGN_HINT = "point store: at a new file, or restore the store from a backup"


def check_store_file(path: Path) -> None:
    """Refuse a file that is not a DuckDB database, before this process opens it in DuckDB.

    Once per file: DuckDB holds the file with POSIX record locks, which the system
    drops when *any* descriptor of the same file closes in the process. Reading the
    header beside an open connection let a writer of another process in under a
    reader that still trusted its cached blocks (measured: the reader then answered
    from the old file). A file put in its place (another inode) is read again.
    """
    key = os.path.abspath(path)  # noqa: PTH100 - no system call: this runs on every open
    try:
        found = path.stat()
    except FileNotFoundError:
        with _HEADER_LOCK:
            _HEADER_READ[key] = None  # DuckDB creates it: nothing foreign to refuse
        return
    except OSError as exc:
        raise StoreError(f"{path}: cannot read the store ({exc.strerror})") from None
    identity = (found.st_dev, found.st_ino)
    with _HEADER_LOCK:
        seen = _HEADER_READ.get(key, ())
        if seen is None or seen == identity:  # created here, or read: DuckDB may hold it
            _HEADER_READ[key] = identity
            return
        try:
            with path.open("rb") as handle:
                head = handle.read(12)
        except OSError as exc:
            raise StoreError(f"{path}: cannot read the store ({exc.strerror})") from None
        if head and head[8:12] != b"DUCK":
            raise StoreError(
                f"{path}: this is not a segwise store (not a DuckDB database)", hint=_FOREIGN_HINT
            )
        _HEADER_READ[key] = identity


def _checked_stamp(path: Path) -> tuple[int, int] | None:
    """The file's (size, modification time), or None if it cannot be read."""
    try:
        found = path.stat()
    except OSError:
        return None
    return found.st_size, found.st_mtime_ns


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


class Workspace(HistoryQueries):
    """The store of one project.

    Examples
    --------
    >>> import tempfile, datetime as dt, polars as pl
    >>> from segwise.store import RunRecord, SegmentationRecord
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

    @contextlib.contextmanager
    def reading(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One read-only connection for several queries (re-entrant; closed at the end).

        Inside the block every ``Workspace`` of this store reads through it, in this thread.

        Examples
        --------
        >>> import tempfile
        >>> store = Workspace(tempfile.mkdtemp() + "/s.duckdb")
        >>> store.next_run_id()
        1
        >>> with store.reading():
        ...     store.runs().height, store.sizes().height
        (0, 0)
        """
        held = _readers()
        key = self.path.absolute()
        if key in held:
            yield held[key]
            return
        with (
            contextlib.closing(self._connect(read_only=True)) as connection,
            _store_errors(self.path),
        ):
            held[key] = connection
            try:
                yield connection
            finally:
                del held[key]

    # -- locking ---------------------------------------------------------------------------
    def locked(self, waiting: Callable[[str], None] | None = None) -> Any:
        """Hold the store's exclusive lock; wait (saying so) while another run holds it."""
        return hold_lock(self.path, self.lock_timeout, waiting)

    def _connect(self, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        if read_only and not self.path.exists():
            raise ConfigError(
                f"{self.path}: no runs stored yet", hint="run the project first: segwise run CONFIG"
            )
        checked = _checked_stamp(self.path) if read_only else None
        check_store_file(self.path)
        # A reader meets a run that is writing, or a writer meets a reader (the service reads
        # while a run commits): both wait, as the docs promise. Connections are short.
        deadline = time.monotonic() + (self.lock_timeout if read_only else _WRITER_WAIT)
        while True:
            try:
                connection = duckdb.connect(
                    str(self.path),
                    read_only=read_only,
                    config=STORE_CONFIG,
                )
                break
            except duckdb.Error as exc:
                # "different configuration": a reader in this very process (a service's
                # kept-open connection) lets go as soon as it sees the write announced.
                waiting = _LOCK_CONFLICT in str(exc) or _SAME_PROCESS in str(exc)
                if waiting and time.monotonic() < deadline:
                    time.sleep(0.2)
                    continue
                if _FOREIGN in str(exc):  # a file written over the store in place
                    raise StoreError(
                        f"{self.path}: this is not a segwise store (not a DuckDB database)",
                        hint=_FOREIGN_HINT,
                    ) from None
                raise StoreError(
                    f"{self.path}: cannot open the store ({exc})".splitlines()[0],
                    hint=_DAMAGED_HINT,
                ) from None
        if checked is not None and _VERIFIED.get(self.path) == checked:
            # The file has not changed since a connection checked it in this process: the
            # checks below cost more than the service's member page (two catalog queries).
            return connection
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
            if schema.needs_migration(connection):
                connection.close()
                self._migrate(locked=not read_only)
                return self._connect(read_only=read_only)
            if not read_only:
                schema.create(connection)
        if checked is not None:
            _VERIFIED[self.path] = checked
        return connection

    def _migrate(self, *, locked: bool) -> None:
        """Turn an older store's snapshots into intervals (see :func:`schema.migrate`).

        Writers already hold the lock; a reader takes it for the migration.
        """
        held = contextlib.nullcontext() if locked or held_here(self.path) else self.locked()
        with held, write_intent(self.path), _store_errors(self.path):
            schema.migrate(lambda: duckdb.connect(str(self.path), config=STORE_CONFIG), self.path)

    # -- writing ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def _writer(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection, announced (readers that keep the store open let go)."""
        with write_intent(self.path), contextlib.closing(self._connect()) as connection:
            yield connection

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
        with held, self._writer() as connection, _store_errors(self.path):
            return write_record(connection, record, progress)

    @contextlib.contextmanager
    def writing(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One short read-write connection, for small writes outside a run (keys, audit).

        Runs are serialised by :meth:`locked`; these writes are not, so they never
        wait for a run, only for DuckDB's own file lock during a run's commit.
        """
        with self._writer() as connection, _store_errors(self.path):
            yield connection

    def next_run_id(self) -> int:
        """The id the next stored run will get (stable while the caller holds the lock)."""
        with self._writer() as connection, _store_errors(self.path):
            rows = connection.execute("SELECT coalesce(max(run_id), 0) + 1 FROM runs").fetchall()
        return int(rows[0][0]) if rows else 1

    def mark_report(self, run_id: int, report: Path) -> None:
        """Record that ``run_id``'s report was written; ``runs`` shows runs whose report was not."""
        with self._writer() as connection, _store_errors(self.path):
            connection.execute("UPDATE runs SET report = ? WHERE run_id = ?", [str(report), run_id])

    # -- reading ---------------------------------------------------------------------------
    def runs(self) -> pl.DataFrame:
        """Every stored run, oldest first; ``report`` is NULL where the report was not written."""
        with self.reading() as connection:
            columns = {row[0] for row in connection.execute("DESCRIBE runs").fetchall()}
            report = "report" if "report" in columns else "''::VARCHAR AS report"
            return _frame(
                connection,
                "SELECT run_id, project, as_of, started_at, finished_at, engine, customers, "
                f"config_hash, segwise_version, {report} FROM runs ORDER BY run_id",
            )

    def last_run(self) -> dict[str, Any] | None:
        """The newest run's row (``run_id``, ``as_of``, ``finished_at``…), None before the first."""
        if not self.path.exists():
            return None
        runs = self.runs()
        return runs.row(runs.height - 1, named=True) if runs.height else None

    def latest_run(self) -> int:
        """The id of the newest run."""
        runs = self.runs()
        if runs.height == 0:
            raise ConfigError(f"{self.path}: no runs stored yet", hint="run the project first")
        return int(runs["run_id"].max())  # type: ignore[arg-type]

    def segments(self, run: int | None = None) -> pl.DataFrame:
        """Segment sizes of a run (the latest by default)."""
        with self.reading():
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

    def last_fingerprints(self) -> tuple[str, dict[str, Any] | None] | None:
        """The latest run's project-file hash and source fingerprints (None: no run yet)."""
        if not self.path.exists():
            return None
        rows = self._read("SELECT config_hash, fingerprints FROM runs ORDER BY run_id DESC LIMIT 1")
        if rows.height == 0:
            return None
        stored = rows["fingerprints"][0]
        return str(rows["config_hash"][0]), None if stored is None else json.loads(stored)

    def cached_features(
        self, fingerprints: dict[str, Any], version: str | None = None
    ) -> tuple[date, pl.DataFrame] | None:
        """The last run's customer table and as-of date, if its sources had these fingerprints.

        ``version`` (segwise's own, by default) must be the one that computed the table.
        """
        if not self.path.exists():
            return None
        meta = self._read("SELECT value FROM store_meta WHERE key = 'feature_cache'")
        if meta.height == 0:
            return None
        key = json.loads(meta["value"][0])
        if key["fingerprints"] != fingerprints or key.get("version") != (version or __version__):
            return None
        return date.fromisoformat(key["as_of"]), self._read("SELECT * FROM feature_cache")

    def latest_features(self) -> pl.DataFrame | None:
        """The customer table the latest run kept (for drift against the next run)."""
        if not self.path.exists():
            return None
        kept = self._read(
            "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'feature_cache'"
        )
        return self._read("SELECT * FROM feature_cache") if kept["n"][0] else None

    def alerts(self, run: int | None = None) -> pl.DataFrame:
        """A run's health findings (the latest by default), critical first."""
        with self.reading():
            run_id = self._run(run)
            return self._read(
                "SELECT run_id, segmentation, segment, kind, level, value, message FROM alerts "
                "WHERE run_id = $run ORDER BY level = 'critical' DESC, segmentation, segment, kind",
                {"run": run_id},
            )

    def record_failure(
        self, *, started_at: datetime, as_of: str | None, config_hash: str, error: str
    ) -> None:
        """Keep a failed run's time and error (the caller holds the lock)."""
        with self._writer() as connection, _store_errors(self.path):
            connection.execute(
                "INSERT INTO failed_runs VALUES (?, ?, ?, ?, ?)",
                [started_at, datetime.now(), as_of, config_hash, error],
            )

    def failures(self) -> pl.DataFrame:
        """Every failed run: when it started and failed, its as-of date and its error."""
        if not self.path.exists():
            return pl.DataFrame()
        return self._read(
            "SELECT started_at, failed_at, as_of, config_hash, error FROM failed_runs "
            "ORDER BY failed_at"
        )

    def sizes(self) -> pl.DataFrame:
        """Every stored run's segment sizes: run_id, as_of, segmentation, segment, size."""
        return self._read(
            "SELECT s.run_id, r.as_of, s.segmentation, s.segment, s.size FROM segments s "
            "JOIN runs r USING (run_id) ORDER BY s.run_id, s.segmentation, s.segment"
        )

    def _read(self, sql: str, params: dict[str, Any] | None = None) -> pl.DataFrame:
        with self.reading() as connection:
            table = connection.sql(sql, params=params or None).to_arrow_table()
        frame = pl.from_arrow(table)
        assert isinstance(frame, pl.DataFrame)
        return frame

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
