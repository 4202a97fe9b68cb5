"""Previews from condition patterns agree with the column-by-column sums, alone and together."""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb
import narwhals.stable.v2 as nw
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segwise.segmenters import RuleCatalog, RuleSegmenter
from segwise.segmenters.rule_patterns import MAX_PATTERN_CONDITIONS, count_patterns
from segwise.segmenters.rule_preview import preview as summed_preview
from segwise.segmenters.rules import preview_catalogs

if TYPE_CHECKING:
    from pathlib import Path

CUSTOMERS = pl.DataFrame(
    {
        "id": ["a", "b", "c", "d", "e", "f", "g"],
        "orders": [12, 6, 1, 0, None, 3, 3],
        "revenue": [2500.0, 900.0, 40.0, 0.0, 10.0, 300.0, None],
        "recency_days": [5, 40, 200, 400, None, 20, 90],
    }
)

CONDITIONS = st.sampled_from(
    [
        "orders >= {n}",
        "orders < {n}",
        "revenue > {n}00",
        "recency_days <= {n}0",
        "orders IS NULL",
        "revenue / orders > {n}0",
        "NOT orders = {n}",
    ]
)


@st.composite
def catalogs(draw: st.DrawFn) -> dict[str, object]:
    """A random catalog: 1-5 segments of 1-3 ANDed (or one ORed) conditions."""
    segments = []
    for position in range(draw(st.integers(1, 5))):
        parts = [
            draw(CONDITIONS).format(n=draw(st.integers(0, 12)))
            for _ in range(draw(st.integers(1, 3)))
        ]
        joiner = " OR " if draw(st.booleans()) and len(parts) == 2 else " AND "
        segments.append({"name": f"S{position}", "where": joiner.join(parts)})
    return {"name": "drawn", "exclusive": draw(st.booleans()), "segments": segments}


def summed(catalog: RuleCatalog, table: pl.DataFrame) -> object:
    """The column-by-column preview, as the reference."""
    segmenter = RuleSegmenter(catalog, id_col="id")
    plan = segmenter._plan(catalog, nw.from_native(table.lazy()))
    return summed_preview(catalog, plan.frame, plan.compiler, plan.rules, plan.conditions)


@settings(max_examples=60, deadline=None)
@given(catalogs(), st.lists(st.integers(0, 6), min_size=0, max_size=7))
def test_pattern_preview_equals_summed_preview(data: dict[str, object], rows: list[int]) -> None:
    catalog = RuleCatalog.from_dict(data)
    table = CUSTOMERS[rows] if rows else CUSTOMERS.clear()
    assert RuleSegmenter(catalog, id_col="id").preview(table) == summed(catalog, table)


@settings(max_examples=30, deadline=None)
@given(st.lists(catalogs(), min_size=1, max_size=6))
def test_catalogs_previewed_together_equal_each_alone(drawn: list[dict[str, object]]) -> None:
    together = preview_catalogs([RuleCatalog.from_dict(d) for d in drawn], CUSTOMERS)
    alone = [RuleSegmenter(RuleCatalog.from_dict(d)).preview(CUSTOMERS) for d in drawn]
    assert together == alone


def test_catalogs_that_read_more_than_the_table_are_previewed_alone(tmp_path: Path) -> None:
    referencing = {
        "Big": "orders >= 6",
        "Big and recent": "in_segment('Big') AND recency_days < 30",
    }
    (tmp_path / "listed.csv").write_text("id\na\nc\n")
    listed = {"name": "Listed", "ids": str(tmp_path / "listed.csv")}
    static = RuleCatalog.from_dict({"segments": [listed, {"name": "Any", "where": "orders >= 0"}]})
    many = {"All": " AND ".join(f"orders > {i - 67}" for i in range(MAX_PATTERN_CONDITIONS + 8))}
    given = [referencing, static, many, {"Big": "orders >= 5"}]
    together = preview_catalogs(given, CUSTOMERS, id_col="id")
    assert together == [RuleSegmenter(c, id_col="id").preview(CUSTOMERS) for c in given]
    assert together[0].sizes() == {"Big": 2, "Big and recent": 0, "Other": 5}
    assert together[1].sizes() == {"Listed": 2, "Any": 4, "Other": 1}
    assert [c.cumulative for c in together[2].segments[0].conditions][66:69] == [6, 5, 4]
    assert together[3].sizes()["Big"] == 2


def test_shared_conditions_are_evaluated_once() -> None:
    # Ten editors' catalogs differing in one threshold: 5 shared conditions + 10 edited ones.
    base = {"Lapsed": "recency_days > 100", "Loyal": "orders >= 3", "Rest": "orders < 3"}
    drawn = [{"VIP": f"revenue > {100 * n} AND orders >= 4", **base} for n in range(10)]
    found = preview_catalogs(drawn, CUSTOMERS)
    assert [p.sizes()["VIP"] for p in found] == [2, 2, 2, 2, 2, 2, 2, 2, 2, 1]
    assert {p.sizes()["Lapsed"] for p in found[:9]} == {2}


def test_patterns_count_the_same_on_duckdb() -> None:
    conditions = [nw.col("orders") >= 3, nw.col("revenue") > 100, nw.col("recency_days") > 60]
    on_polars = count_patterns(nw.from_native(CUSTOMERS.lazy()), conditions)
    connection = duckdb.connect()
    relation = connection.from_arrow(CUSTOMERS.to_arrow())
    on_duckdb = count_patterns(nw.from_native(relation), conditions)

    def as_set(found: tuple[object, object]) -> set[tuple[tuple[bool, ...], int]]:
        bits, counts = found
        return set(zip(map(tuple, bits.tolist()), counts.tolist(), strict=True))  # type: ignore[attr-defined]

    assert as_set(on_polars) == as_set(on_duckdb)
    assert sum(c for _, c in as_set(on_polars)) == CUSTOMERS.height


def test_too_many_conditions_for_one_pattern_is_refused() -> None:
    conditions = [nw.col("orders") > i for i in range(MAX_PATTERN_CONDITIONS + 1)]
    with pytest.raises(ValueError, match="at most 62"):
        count_patterns(nw.from_native(CUSTOMERS.lazy()), conditions)
