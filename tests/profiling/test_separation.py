"""The silhouette read in words: Kaufman and Rousseeuw's bands."""

from __future__ import annotations

import pytest

from segwise.profiling.separation import separation


@pytest.mark.parametrize(
    ("silhouette", "words"),
    [
        (-0.1, "overlapping"),
        (0.25, "overlapping"),
        (0.26, "apart, with overlap"),
        (0.5, "apart, with overlap"),
        (0.51, "distinct"),
        (0.7, "distinct"),
        (0.71, "clearly distinct"),
    ],
)
def test_each_band_reads_its_words(silhouette: float, words: str) -> None:
    assert separation(silhouette).startswith(f"{silhouette:.2f} ({words}")
    assert separation(silhouette).endswith(")")
