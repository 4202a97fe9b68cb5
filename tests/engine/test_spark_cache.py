"""A run's Spark caches are released with it, with the JVM objects it left; others stay."""

from __future__ import annotations

import gc
from typing import Any

import pytest

from segwise.engine.spark_cache import cached, released_caches


@pytest.mark.spark
def test_frames_cached_inside_are_released_and_still_read(spark: Any) -> None:
    outside = cached(spark.range(10))
    with pytest.raises(RuntimeError, match="the run failed"), released_caches():
        inside = cached(spark.range(5))
        assert inside.count() == 5
        assert inside.storageLevel.useMemory
        raise RuntimeError("the run failed")  # a failed run releases them too
    assert not inside.storageLevel.useMemory and not inside.storageLevel.useDisk
    assert inside.count() == 5  # computed again
    assert outside.storageLevel.useMemory  # cached outside a run: the caller's to release
    outside.unpersist()


def _proxies() -> int:
    """Live Python proxies of JVM objects (py4j's ``JavaObject``), counted without collecting."""
    from py4j.java_gateway import JavaObject

    return sum(isinstance(o, JavaObject) for o in gc.get_objects())


@pytest.mark.spark
def test_jvm_objects_a_run_left_in_reference_cycles_are_freed_with_it(spark: Any) -> None:
    gc.collect()
    before = _proxies()
    with released_caches():
        frame = cached(spark.range(5))
        # A reference cycle holding proxies, as frames and the backends that wrap them make,
        # kept alive long enough to reach CPython's oldest generation, as a run's objects do.
        loop: dict[str, Any] = {"frame": frame, "plan": frame._jdf.queryExecution()}
        loop["self"] = loop
        gc.collect()
        del frame, loop
        assert _proxies() > before  # garbage now, but only a full collection frees it
    assert _proxies() <= before
