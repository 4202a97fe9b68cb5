"""Spark frames cached during a run, released when the run ends.

A run caches the Spark frames its later steps read more than once (the customer
features, the RFM metrics, a ranking's numbered rows). Spark keeps a cached frame
for the life of the session unless it is unpersisted, so a session that runs one
project after another (a notebook, the service, a Spark Connect server) kept every
run's caches, and its driver ran out of heap: a Spark Connect run of the demo failed
with "Java heap space" on a 1 GB driver after the test suite's earlier Spark runs.
Frames cached inside :func:`released_caches` are unpersisted when it exits; frames
cached outside one stay cached, as Spark's own ``cache()`` does. Tables sent from this
process are checkpointed instead (:func:`checkpointed`): stored once, freed the same way.

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

#: A run's frames: each with whether it is cached (unpersisted at the end) or checkpointed.
_held: ContextVar[list[tuple[Any, bool]] | None] = ContextVar("segwise_spark_cached", default=None)


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
        held.append((frame, True))
    return frame


def checkpointed(native: Any) -> Any:
    """``native`` stored once in Spark's block manager, for a table sent from this process.

    A table sent from this process reaches Spark as a local collection, and each of its
    partitions carries its rows in every task of every plan over it, even once cached (a
    cached frame's tasks still ship their parent's partitions). Online Retail II's 417,503
    usable rows made a 35 MB task for each of a run's ~90 stages over them; stages launched
    together ran a 1 GB driver out of heap and the run hung. A local checkpoint stores the
    rows once, as blocks that the plans over them read, so a task carries a block id: the
    same run's RFM and propensity took 126 s, not 253 s (BENCHMARKS.md). Nothing recomputes
    the rows: :func:`released_caches` frees the blocks when the run ends; outside one, they
    are freed when the frame is garbage (Spark's ContextCleaner, after a JVM collection
    that may come much later).

    Parameters
    ----------
    native
        A Spark DataFrame (classic or Spark Connect) over rows this process sent.
    """
    frame = native.localCheckpoint(eager=True)
    held = _held.get()
    if held is not None:
        held.append((frame, False))
    return frame


@contextlib.contextmanager
def released_caches() -> Iterator[None]:
    """On exit, free every Spark frame :func:`cached` or :func:`checkpointed` inside, and the rest.

    Cached frames read after the block still work (Spark computes them again); a
    checkpointed one is gone with its blocks (its rows were sent for the block's work).
    When the block used Spark, the Python proxies its work left in reference cycles are
    collected too, so the driver can free what they pinned.

    Examples
    --------
    >>> with released_caches():
    ...     pass  # a run: its Spark caches are dropped here, whether it succeeded or not
    """
    held: list[tuple[Any, bool]] = []
    token = _held.set(held)
    try:
        yield
    finally:
        _held.reset(token)
        if held:
            _unpersist(held)
            gc.collect()


def _unpersist(frames: list[tuple[Any, bool]]) -> None:
    for frame, is_cache in frames:
        # A session stopped (or a Connect server gone) has no cache left to free; the
        # run's own result or error is what the caller must see.
        with contextlib.suppress(Exception):
            if is_cache:
                frame.unpersist()
            else:
                _free_checkpoint(frame)
    frames.clear()


def _free_checkpoint(frame: Any) -> None:
    """Drop a checkpointed frame's blocks now, not at some later JVM collection.

    Unpersisting the frame does nothing to them: they belong to the RDD its plan reads.
    A Spark Connect frame has no JVM side here; the server drops its blocks when the
    client's frame is collected, which :func:`released_caches` does next.
    """
    plan = getattr(frame, "_jdf", None)
    if plan is not None:
        plan.queryExecution().analyzed().rdd().unpersist(False)
