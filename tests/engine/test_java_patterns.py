"""strftime patterns translated for Spark."""

from __future__ import annotations

import pytest

from segwise.engine.java_patterns import strftime_to_java


@pytest.mark.parametrize(
    ("strftime", "java"),
    [
        ("%Y-%m-%dT%H:%M:%S", "yyyy-MM-dd'T'HH:mm:ss"),
        ("%d.%m.%Y", "dd.MM.yyyy"),
        ("%Y-%m-%d %H:%M:%S%.f%#z", "yyyy-MM-dd HH:mm:ss[.SSSSSS]XXX"),
        ("%Y-%m-%d %H:%M:%S UTC", "yyyy-MM-dd HH:mm:ss' UTC'"),
    ],
)
def test_strftime_to_java(strftime: str, java: str) -> None:
    assert strftime_to_java(strftime) == java
