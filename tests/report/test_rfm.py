"""The RFM parts of the reports: what each score means in the run, from its own customers."""

from __future__ import annotations

import numpy as np
import polars as pl

from segwise.report.rfm import score_ranges


def _scored(n: int = 500) -> pl.DataFrame:
    rng = np.random.default_rng(2)
    recency, frequency = rng.integers(0, 365, n), rng.integers(1, 30, n)
    monetary = rng.gamma(2, 300, n)
    edges = np.linspace(0, 1, 6)[1:-1]

    def score(values: np.ndarray, *, reverse: bool = False) -> np.ndarray:
        ranks = (np.argsort(np.argsort(values)) + 0.5) / values.size
        found = 1 + np.searchsorted(edges, ranks)
        return 6 - found if reverse else found

    return pl.DataFrame(
        {
            "recency_days": recency,
            "frequency": frequency,
            "monetary": monetary,
            "r_score": score(recency, reverse=True),
            "f_score": score(frequency),
            "m_score": score(monetary),
        }
    )


def test_each_score_reads_as_the_range_of_its_customers() -> None:
    table = _scored()
    rows = {r["score"]: r for r in score_ranges(table, 5)}
    assert list(rows) == [5, 4, 3, 2, 1]
    recent = table.filter(pl.col("r_score") == 5)["recency_days"]
    assert rows[5]["recency"] == f"≤ {recent.max():,}"  # the newest: up to the cut
    oldest = table.filter(pl.col("r_score") == 1)["recency_days"]
    assert rows[1]["recency"] == f"≥ {oldest.min():,}"  # the oldest: from the cut on
    spent = table.filter(pl.col("m_score") == 3)["monetary"]
    assert rows[3]["revenue"] == f"{spent.min():,.2f}–{spent.max():,.2f}"  # under 1,000
    top = table.filter(pl.col("m_score") == 5)["monetary"]
    assert rows[5]["revenue"] == f"≥ {top.min():,.2f}"
    # The outer ends are one customer's own figures: never shown.
    assert f"{top.max():,.0f}" not in rows[5]["revenue"]
    assert f"{oldest.max():,}" not in rows[1]["recency"]


def test_a_score_too_few_hold_shows_no_range() -> None:
    table = _scored().with_columns(
        pl.when(pl.col("f_score") == 2).then(pl.lit(1)).otherwise(pl.col("f_score"))
        .alias("f_score")
    )  # fmt: skip
    rows = {r["score"]: r for r in score_ranges(table.head(40), 5, k_min=12)}
    held = table.head(40).group_by("r_score").len()
    for score, n in held.iter_rows():
        assert (rows[score]["recency"] == "< 12 customers") == (n < 12)
    assert rows[2]["orders"] == "–"  # nobody scored 2 on frequency


def test_a_column_with_cents_shows_every_end_to_the_cent() -> None:
    # Order values of whole euros beside ones with cents: "40–112.50" read as two units.
    table = pl.DataFrame(
        {
            "recency_days": [1, 2, 3, 4],
            "frequency": [1, 2, 3, 4],
            "monetary": [20.0, 40.0, 112.5, 300.0],
            "r_score": [4, 3, 2, 1],
            "f_score": [1, 2, 3, 4],
            "m_score": [1, 2, 2, 3],
        }
    )
    rows = {r["score"]: r for r in score_ranges(table, 4)}
    assert [rows[s]["revenue"] for s in (3, 2, 1)] == ["≥ 300.00", "40.00–112.50", "≤ 20.00"]
    assert [rows[s]["orders"] for s in (4, 3, 2, 1)] == ["≥ 4", "3", "2", "≤ 1"]
