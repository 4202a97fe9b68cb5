"""LookalikeSegmenter: a small seed finds the rest of its planted segment; estimates are honest."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from segwise.datasets.planted import planted_segments
from segwise.exceptions import SeedError
from segwise.segmenters import LookalikeSegmenter


@pytest.mark.parametrize("seed_of", [0, 2, 4])
def test_a_tenth_of_a_planted_segment_finds_the_rest(seed_of: int) -> None:
    table, truth = planted_segments(6_000, 5, seed=4)
    rng = np.random.default_rng(seed_of)
    inside = np.flatnonzero(truth == seed_of)
    seed_rows = rng.choice(inside, size=len(inside) // 10, replace=False)
    seed = np.zeros(table.height, dtype=int)
    seed[seed_rows] = 1
    rest = len(inside) - len(seed_rows)  # the audience: as many as the segment's other members
    for size in (rest, rest // 2, rest * 2):
        found = LookalikeSegmenter(size=size, id_col="customer_id").fit(table, seed)
        audience = found.labels_ == 2
        assert audience.sum() == size
        precision = (truth[audience] == seed_of).mean()
        true_recall = (truth[audience] == seed_of).sum() / rest
        if size == rest:
            assert true_recall >= 0.8, true_recall  # the acceptance: 80% of the rest found
        # The estimates, from the seed's own cross-fitted scores, track the truth.
        assert found.precision_ == pytest.approx(precision, abs=0.15), size
        assert found.recall_ == pytest.approx(true_recall, abs=0.15), size


def test_the_segments_and_scores_of_the_fitted_customers() -> None:
    table, truth = planted_segments(2_000, 4, seed=1)
    seed = (truth == 1) & (np.arange(truth.size) % 5 == 0)
    found = LookalikeSegmenter(size=0.1, id_col="customer_id").fit(table, seed.astype(int))
    out = found.segment(table)
    counts = dict(out.group_by("segment").len().iter_rows())
    assert counts["Seed"] == seed.sum()
    assert counts["Lookalikes"] == round(0.1 * (table.height - seed.sum()))
    lookalikes = out.filter(pl.col("segment") == "Lookalikes")["score"]
    others = out.filter(pl.col("segment") == "Others")["score"]
    assert lookalikes.min() >= others.max()


def test_a_seed_of_everyone_or_no_one_is_refused() -> None:
    table, _truth = planted_segments(200, 2, seed=1)
    with pytest.raises(SeedError, match="one class only"):
        LookalikeSegmenter().fit(table.drop("customer_id"), np.zeros(table.height))


def test_new_customers_are_scored_by_the_model_fitted_on_everyone() -> None:
    table, truth = planted_segments(5_000, 4, seed=3)
    fitted, new = table.head(4_000), table.tail(1_000)
    seed = ((truth[:4_000] == 2) & (np.arange(4_000) % 4 == 0)).astype(int)
    found = LookalikeSegmenter(size=0.2, id_col="customer_id").fit(fitted, seed)
    picked = found.predict(new) == 1
    assert picked.any()
    assert (truth[4_000:][picked] == 2).mean() >= 0.8  # those picked are mostly of the segment
    assert picked[truth[4_000:] == 2].mean() >= 0.5  # and much of the segment is picked
