"""What one service process holds between requests: the project, keys, caches, limits.

DuckDB refuses a read-only and a read-write connection to one file in the same
process at once, so every store access of the service goes through one
readers-writer gate: reads share it, the few writes (keys, audit entries) take
it alone. One read-only connection stays open between requests (opening one
costs 15 ms) and is let go whenever another process announces a write (a
run's commit, the CLI's keys): see :class:`StoreAnchor`.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from segwise.exceptions import SegwiseError
from segwise.project.classify import Classifier
from segwise.project.live import LiveData
from segwise.project.pipeline import Project
from segwise.project.workspace import read_project_file
from segwise.store import Workspace
from segwise.store.keys import ROLES, ApiKey, list_keys, split_key
from segwise.store.lock import intent_held
from segwise.store.workspace import STORE_CONFIG, check_store_file

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from segwise.api.settings import Settings


class StoreGate:
    """Many readers or one writer, within this process; a waiting writer goes next."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._readers = 0
        self._writing = False
        self._waiting = 0

    @contextlib.contextmanager
    def read(self) -> Iterator[None]:
        """Share the store with other readers (new readers wait behind a waiting writer)."""
        with self._lock:
            self._lock.wait_for(lambda: not self._writing and not self._waiting)
            self._readers += 1
        try:
            yield
        finally:
            with self._lock:
                self._readers -= 1
                self._lock.notify_all()

    @contextlib.contextmanager
    def write(self) -> Iterator[None]:
        """Hold the store alone (no reader of this process has it open)."""
        with self._lock:
            self._waiting += 1
            self._lock.wait_for(lambda: not self._writing and self._readers == 0)
            self._waiting -= 1
            self._writing = True
        try:
            yield
        finally:
            with self._lock:
                self._writing = False
                self._lock.notify_all()


class StoreAnchor:
    """One read-only connection kept open, so every read of this process opens instantly.

    Opening a DuckDB database costs about 15 ms; while one connection to the file
    stays open, later ones reuse its instance and cost microseconds. But an open
    reader keeps writers of other processes out, so a watcher lets go whenever a
    writer announces itself (:func:`segwise.store.lock.intent_held`): a run's
    commit, ``segwise keys create``. Reads then open their own connection until
    the writer is done.
    """

    def __init__(self, path: Path, every: float = 0.05) -> None:
        self.path = path
        self.every = every
        self._connection: Any = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None

    def hold(self) -> None:
        """Open the anchor if it is closed, nobody is writing and the store exists."""
        if self._connection is not None or not self.path.exists() or intent_held(self.path):
            return
        with self._lock:
            if self._connection is None:
                try:
                    check_store_file(self.path)  # before DuckDB holds it (see there)
                    self._connection = duckdb.connect(
                        str(self.path), read_only=True, config=STORE_CONFIG
                    )
                    # For every read of this process while it is open (they share its
                    # instance): the service's reads are small lookups, many at once, and a
                    # member page cost 5.2 ms of CPU on two threads against 3.3 on one.
                    self._connection.execute("SET threads = 1")
                except (duckdb.Error, SegwiseError):
                    # A writer got there first, or a foreign file: the read says which.
                    self._connection = None

    def release(self) -> None:
        """Close the anchor (the caller holds the gate alone: no read is using it)."""
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def start(self, gate: StoreGate) -> None:
        """Watch for writers in a background thread."""

        def watch() -> None:
            while not self._stopping.wait(self.every):
                if self._connection is not None and intent_held(self.path):
                    with gate.write():  # the reads in flight finish first
                        self.release()

        self._stopping.clear()
        self._watcher = threading.Thread(target=watch, name="segwise-store-watch", daemon=True)
        self._watcher.start()

    def stop(self, gate: StoreGate) -> None:
        """Stop the watcher and close the anchor."""
        self._stopping.set()
        if self._watcher is not None:
            self._watcher.join(timeout=5)
        with gate.write():
            self.release()


@dataclass(frozen=True)
class Principal:
    """Who is calling: a key's name, id and role."""

    name: str
    key_id: str
    role: str
    grants: tuple[str, ...] = ()

    @property
    def sees_members(self) -> bool:
        """Member ids and customer data: editors and admins, or a viewer granted ``members``."""
        return self.has("editor") or "members" in self.grants

    def has(self, role: str) -> bool:
        """Whether this caller's role includes ``role`` (admin > editor > viewer)."""
        return ROLES.index(self.role) >= ROLES.index(role)

    @property
    def actor(self) -> str:
        """How the audit log names this caller."""
        return f"key:{self.name}"


class RateLimiter:
    """A token bucket per key: ``per_minute`` requests, bursts of a tenth of that."""

    def __init__(self, per_minute: int) -> None:
        self.rate = per_minute / 60.0
        self.burst = max(10.0, per_minute / 10.0)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def wait_for(self, key: str) -> float:
        """0 if the request may go now, else the seconds until it may."""
        now = time.monotonic()
        with self._lock:
            tokens, since = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - since) * self.rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / self.rate


class ServiceState:
    """The project, its store, the keys, and the caches of one service process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        target, _text, _config = read_project_file(settings.project)
        self.project_file = target
        self.gate = StoreGate()
        self.limiter = RateLimiter(settings.rate_limit)
        self.session_secret = secrets.token_bytes(32)
        self._lock = threading.Lock()
        self._project: tuple[float, Project] | None = None
        self._keys: tuple[tuple[float, ...], dict[str, ApiKey]] | None = None
        self._verified: dict[str, str] = {}
        self._classifier: tuple[tuple[float, ...], Classifier] | None = None
        self._live: tuple[tuple[float, ...], LiveData] | None = None
        self._sizes: tuple[tuple[float, ...], dict[tuple[int, str, str], int]] = ((), {})
        self.store_path = self.project().store.path
        self._anchor = StoreAnchor(self.store_path)

    # -- the project -----------------------------------------------------------------------
    def project(self) -> Project:
        """The project as its file says now (reloaded when the file changes)."""
        stamp = _mtime(self.project_file)
        with self._lock:
            if self._project is None or self._project[0] != stamp:
                # Always confined to its folder: the service takes definitions from others.
                loaded = Project.from_yaml(self.project_file)
                self._project = (stamp, loaded)
            return self._project[1]

    def store(self) -> Workspace:
        """A fresh handle on the store (handles keep per-call state; they are cheap)."""
        return Workspace(self.store_path, lock_timeout=60.0)

    def reading(self, work: Callable[[Workspace], Any]) -> Any:
        """``work(store)`` with the store shared with this process's other readers."""
        with self.gate.read():
            self._anchor.hold()
            return work(self.store())

    def writing(self, work: Callable[[Workspace], Any]) -> Any:
        """``work(store)`` with no reader of this process holding the store."""
        with self.gate.write():
            self._anchor.release()
            return work(self.store())

    def start(self) -> None:
        """Start watching for other processes' writes (the app's startup)."""
        self._anchor.start(self.gate)

    def stop(self) -> None:
        """Stop watching and let go of the store (the app's shutdown)."""
        self._anchor.stop(self.gate)

    def _store_stamp(self) -> tuple[float, ...]:
        wal = self.store_path.with_name(self.store_path.name + ".wal")
        return (_mtime(self.store_path), _mtime(wal))

    def segment_size(
        self, store: Workspace, run_id: int, segmentation: str, segment: str
    ) -> int | None:
        """A stored segment's size (kept until the store changes: a member page needs it)."""
        stamp, key = self._store_stamp(), (run_id, segmentation, segment)
        with self._lock:
            if self._sizes[0] == stamp and key in self._sizes[1]:
                return self._sizes[1][key]
        size = store.segment_size(run_id, segmentation, segment)
        with self._lock:
            if self._sizes[0] != stamp or len(self._sizes[1]) > _MOST_SIZES:
                self._sizes = (stamp, {})
            if size is not None:
                self._sizes[1][key] = size
        return size

    # -- keys ------------------------------------------------------------------------------
    def authenticate(self, key: str) -> Principal | None:
        """The caller a key belongs to, or None (unknown, revoked or malformed)."""
        parts = split_key(key)
        if parts is None:
            return None
        key_id, secret = parts
        found = self._key_ring().get(key_id)
        if found is None or not found.active:
            return None
        # scrypt once per key and process; later requests compare a fast digest.
        fast = hashlib.sha256(key.encode()).hexdigest()
        known = self._verified.get(key_id)
        if known is None or not hmac.compare_digest(known, fast):
            if not found.matches(secret):
                return None
            self._verified[key_id] = fast
        return Principal(found.name, found.key_id, found.role, found.grants)

    def principal(self, key_id: str) -> Principal | None:
        """The active key with this id (sessions carry ids, not keys)."""
        found = self._key_ring().get(key_id)
        if found is None or not found.active:
            return None
        return Principal(found.name, key_id, found.role, found.grants)

    def forget_keys(self) -> None:
        """Reload the keys on the next request (after this process changed them)."""
        with self._lock:
            self._keys = None

    def _key_ring(self) -> dict[str, ApiKey]:
        stamp = self._store_stamp()
        with self._lock:
            if self._keys is not None and self._keys[0] == stamp:
                return self._keys[1]
        ring = {k.key_id: k for k in self.reading(list_keys)}
        with self._lock:
            self._keys = (stamp, ring)
        return ring

    # -- classification --------------------------------------------------------------------
    def current_classifier(self) -> Classifier | None:
        """The classifier if it is up to date with the project file and the store, else None."""
        stamp = (_mtime(self.project_file), *self._store_stamp())
        with self._lock:
            if self._classifier is not None and self._classifier[0] == stamp:
                return self._classifier[1]
        return None

    def classifier(self) -> Classifier:
        """The classifier for the project file and the latest run (rebuilt when either changes)."""
        found = self.current_classifier()
        if found is not None:
            return found
        stamp = (_mtime(self.project_file), *self._store_stamp())
        project = self.project()
        built: Classifier = self.reading(lambda store: Classifier(project, store))
        with self._lock:
            self._classifier = (stamp, built)
        return built

    def live(self) -> LiveData:
        """The latest run's customer table for the rule editor (an error before a run)."""
        found = self.live_or_none(optional=False)
        assert found is not None
        return found

    def live_or_none(self, *, optional: bool = True) -> LiveData | None:
        """The latest run's customer table, or None before the first run (when optional)."""
        stamp = (_mtime(self.project_file), *self._store_stamp())
        with self._lock:
            if self._live is not None and self._live[0] == stamp:
                return self._live[1]
        if optional and not self.store_path.exists():
            return None
        project = self.project()
        try:
            built: LiveData = self.reading(lambda store: LiveData.load(project, store))
        except SegwiseError:
            if optional:
                return None
            raise
        with self._lock:
            self._live = (stamp, built)
        return built


#: Segment sizes kept at most (a run holds tens of segments; this bounds a crawler).
_MOST_SIZES = 10_000


def _mtime(path: Path) -> float:
    try:
        return Path(path).stat().st_mtime
    except OSError:
        return 0.0
