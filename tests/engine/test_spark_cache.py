"""Spark frames cached during a run are released with it; others stay as Spark keeps them."""

from __future__ import annotations

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
