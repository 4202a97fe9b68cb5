"""Spark frames cached during a run, released when the run ends.

A run caches the Spark frames its later steps read more than once (the customer
features, the RFM metrics, a ranking's numbered rows). Spark keeps a cached frame
for the life of the session unless it is unpersisted, so a session that runs one
project after another (a notebook, the service, a Spark Connect server) kept every
run's caches, and its driver ran out of heap: a Spark Connect run of the demo failed
with "Java heap space" on a 1 GB driver after the test suite's earlier Spark runs.
Frames cached inside :func:`released_caches` are unpersisted when it exits; frames
cached outside one stay cached, as Spark's own ``cache()`` does.

The driver also keeps every JVM object a Python proxy still points at: a run's plans,
the rows of the tables it moved to Spark, the hash tables of its broadcast joins. Many
of those proxies sit in reference cycles (frames and the backends that wrap them), which
CPython frees only in a full collection, one that may not come for many runs. A session
that ran the demo's orders-only project five times held 140 MB more after each
run; :func:`released_caches` collects them when it exits, and the heap stays level.
"""

from __future__ import annotations

import contextlib
import gc
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator

_held: ContextVar[list[Any] | None] = ContextVar("segwise_spark_cached", default=None)


def cached(native: Any) -> Any:
    """``native.cache()``, released by the enclosing :func:`released_caches` if any.

    Parameters
    ----------
    native
        A Spark DataFrame (classic or Spark Connect).
    """
    frame = native.cache()
    held = _held.get()
    if held is not None:
        held.append(frame)
    return frame


@contextlib.contextmanager
def released_caches() -> Iterator[None]:
    """Unpersist, on exit, every Spark frame :func:`cached` while inside, and free the rest.

    Frames read after the block still work: Spark computes them again. When a frame was
    cached inside (the block used Spark), the Python proxies its work left in reference
    cycles are collected too, so the driver can free what they pinned.

    Examples
    --------
    >>> with released_caches():
    ...     pass  # a run: its Spark caches are dropped here, whether it succeeded or not
    """
    held: list[Any] = []
    token = _held.set(held)
    try:
        yield
    finally:
        _held.reset(token)
        if held:
            _unpersist(held)
            gc.collect()


def _unpersist(frames: list[Any]) -> None:
    for frame in frames:
        # A session stopped (or a Connect server gone) has no cache left to free; the
        # run's own result or error is what the caller must see.
        with contextlib.suppress(Exception):
            frame.unpersist()
    frames.clear()
