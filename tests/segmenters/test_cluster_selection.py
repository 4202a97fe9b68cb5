"""Choosing k: what the user is told when the stability bar or the size floor decides."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import polars as pl
import pytest

from segwise.segmenters import ClusterSegmenter
from segwise.segmenters.cluster_selection import Candidate, choice_warnings

if TYPE_CHECKING:
    from pathlib import Path

INCOME, SPENDING = "Annual Income (k$)", "Spending Score (1-100)"


def _mall(shared_data: Path, **options: object) -> ClusterSegmenter:
    table = pl.read_csv(shared_data / "mall_customers.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ClusterSegmenter(
            features=[INCOME, SPENDING], id_col="CustomerID", random_state=0, **options
        ).fit(table)


@pytest.mark.realdata
def test_a_better_k_kept_out_by_the_size_floor_is_named(shared_data: Path) -> None:
    # Mall Customers, income and spending score: the five groups every analyst sees have a
    # smallest of 22 customers, under the floor of 30, so k = 3 was chosen (silhouette 0.47
    # against 0.55) and the only word was "no k is stable (the best, k = 3 …)", when k = 5
    # was both steadier and better separated.
    floored = _mall(shared_data)
    assert floored.n_segments_ == 3
    [unstable, note] = floored.warnings_
    assert unstable.startswith(
        "no number of segments from 3 to 8 is stable (the most stable, k = 5"
    )
    assert "k = 3, chosen, has 0.937" in unstable
    assert note.startswith("k = 5 separates the customers better (silhouette 0.55 against 0.47")
    assert "holds about 22 customers (11.0%), below the minimum of 30 customers" in note
    # Lowering the floor as the note says gives the five groups, with nothing more to say.
    five = _mall(shared_data, min_segment_size=20)
    assert five.n_segments_ == 5
    assert not any("separates the customers better" in w for w in five.warnings_)


def test_only_the_floor_keeping_out_a_stable_k_is_not_called_no_stable_k() -> None:
    chosen = Candidate(3, 0.91, 0.40, None, smallest_share=0.30)
    stable = Candidate(4, 0.97, 0.52, None, smallest_share=0.05)
    said = choice_warnings(
        chosen, [3, 4], stability=0.95, smallest=(0.15, 30, 200), candidates=[chosen, stable]
    )
    assert said[0].startswith("k = 3 is not stable (bootstrap ARI 0.910 < 0.95), and every")
    assert said[1].startswith("k = 4 separates the customers better (silhouette 0.52 against")


def test_a_floored_k_is_named_only_when_it_fits_as_well() -> None:
    chosen = Candidate(3, 0.99, 0.52, None, smallest_share=0.30)
    worse = Candidate(4, 0.99, 0.40, None, smallest_share=0.05)  # under 90% of the best fit
    floor = (0.15, 30, 200)
    assert (
        choice_warnings(chosen, [3, 4], stability=0.95, smallest=floor, candidates=[chosen, worse])
        == []
    )
    unsteady = Candidate(4, 0.80, 0.60, None, smallest_share=0.05)  # resamples disagree
    assert (
        choice_warnings(
            chosen, [3, 4], stability=0.95, smallest=floor, candidates=[chosen, unsteady]
        )
        == []
    )
    alike = Candidate(4, 0.99, 0.50, None, smallest_share=0.05)
    [note] = choice_warnings(
        chosen, [3, 4], stability=0.95, smallest=floor, candidates=[chosen, alike]
    )
    assert note.startswith("k = 4 fits as well (silhouette 0.50 against 0.52, bootstrap ARI")
    # Without bootstrap (stability None) the note leaves the ARI out.
    finer = Candidate(4, 1.0, 0.60, None, smallest_share=0.05)
    [note] = choice_warnings(
        chosen, [3, 4], stability=None, smallest=floor, candidates=[chosen, finer]
    )
    assert note.startswith("k = 4 separates the customers better (silhouette 0.60 against 0.52),")
