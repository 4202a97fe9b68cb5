"""The store's exclusive lock: one run at a time, and a clear word while waiting.

An ``fcntl`` lock on ``<store>.lock``: the second run waits, saying for whom
(the holder writes its pid and start time into the file), and gives up with
a clear message after the timeout. The lock dies with its process, so a run
that was killed never blocks the next one.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from datetime import datetime
from typing import TYPE_CHECKING

from segwise.exceptions import SegwiseError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path


#: The lock files this process holds: a lock is per open file, so taking it again from the
#: same process (a reader migrating an old store during a run) would wait for itself.
_HELD: set[str] = set()


def held_here(store: Path) -> bool:
    """Whether this process holds ``store``'s lock."""
    return str(store.with_name(store.name + ".lock").resolve()) in _HELD


class StoreLockedError(SegwiseError):
    """Another run holds the store's lock for longer than we are willing to wait."""


@contextlib.contextmanager
def hold_lock(
    store: Path, timeout: float, waiting: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Hold ``store``'s exclusive lock; wait (saying so once) while another run holds it."""
    store.parent.mkdir(parents=True, exist_ok=True)
    lock_path = store.with_name(store.name + ".lock")
    with open(lock_path, "a+") as handle:  # noqa: PTH123 - fcntl needs the file object
        deadline = time.monotonic() + timeout
        told = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = _read_holder(lock_path)
                if time.monotonic() > deadline:
                    raise StoreLockedError(
                        f"{store}: another segwise run ({holder}) has held the store "
                        f"for over {timeout:.0f} s",
                        hint="wait for it to finish, or stop it; runs on one store go one "
                        "at a time",
                    ) from None
                if waiting is not None and not told:
                    waiting(f"waiting for another run on {store} ({holder}) to finish")
                    told = True
                time.sleep(0.2)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} since {datetime.now():%H:%M:%S}")
        handle.flush()
        _HELD.add(str(lock_path.resolve()))
        try:
            yield
        finally:
            _HELD.discard(str(lock_path.resolve()))
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)


def _read_holder(lock_path: Path) -> str:
    try:
        text = lock_path.read_text().strip()
    except OSError:
        return "unknown"
    return text or "unknown"


@contextlib.contextmanager
def write_intent(store: Path) -> Iterator[None]:
    """Say "about to write" for as long as a read-write connection is open.

    Readers that keep the store open between requests (the service) watch for
    it with :func:`intent_held` and let go, so the writer gets the file. Writers
    take it in turn (it is exclusive), which also serialises small writes.
    """
    store.parent.mkdir(parents=True, exist_ok=True)
    path = store.with_name(store.name + ".intent")
    key = str(path.resolve())
    if key in _HELD:  # re-entrant within this process
        yield
        return
    with open(path, "a+") as handle:  # noqa: PTH123 - fcntl needs the file object
        fcntl.flock(handle, fcntl.LOCK_EX)
        _HELD.add(key)
        try:
            yield
        finally:
            _HELD.discard(key)
            fcntl.flock(handle, fcntl.LOCK_UN)


def intent_held(store: Path) -> bool:
    """Whether some process is writing, or about to write, the store right now."""
    return _taken(store.with_name(store.name + ".intent"))


def run_held(store: Path) -> bool:
    """Whether a run (of any process) holds the store's lock right now."""
    return _taken(store.with_name(store.name + ".lock"))


def _taken(path: Path) -> bool:
    """Whether another open file holds ``path``'s exclusive lock (tried, never waited for)."""
    if not path.exists():
        return False
    with open(path, "a+") as handle:  # noqa: PTH123 - fcntl needs the file object
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False
