"""strftime patterns translated for Spark."""

from __future__ import annotations

import pytest

from segwise.engine.java_patterns import strftime_to_java


@pytest.mark.parametrize(
    ("strftime", "java"),
    [
        ("%Y-%m-%dT%H:%M:%S", "yyyy-M-d'T'H:mm:ss"),
        ("%d.%m.%Y", "d.M.yyyy"),
        ("%Y%m%d", "yyyyMMdd"),
        ("%b %d, %Y", "MMM d, yyyy"),
        ("%Y-%m-%d %H:%M:%S%.f%#z", "yyyy-M-d H:mm:ss[.SSSSSS]XXX"),
        ("%Y-%m-%d %H:%M:%S UTC", "yyyy-M-d H:mm:ss' UTC'"),
    ],
)
def test_strftime_to_java(strftime: str, java: str) -> None:
    assert strftime_to_java(strftime) == java
