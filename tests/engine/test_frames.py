"""Frames: a Polars plan split by key into disjoint parts; other engines' frames left whole."""

from __future__ import annotations

import duckdb
import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from segwise.engine.frames import parts_for, split_by_key, to_lazy


@given(
    ids=st.lists(st.text(min_size=1, max_size=6), min_size=1, max_size=60),
    parts=st.integers(min_value=1, max_value=7),
)
def test_every_key_lands_in_exactly_one_part(ids: list[str], parts: int) -> None:
    frame = pl.LazyFrame({"customer_id": ids, "row": range(len(ids))})
    pieces = [p.collect().to_native() for p in split_by_key(to_lazy(frame), "customer_id", parts)]
    assert len(pieces) == parts
    rows = sorted(r for piece in pieces for r in piece["row"].to_list())
    assert rows == list(range(len(ids)))  # every row once
    owners = [set(piece["customer_id"].to_list()) for piece in pieces]
    assert sum(len(o) for o in owners) == len(set(ids))  # no key in two parts


def test_duckdb_and_a_single_part_stay_whole() -> None:
    relation = to_lazy(duckdb.sql("SELECT 'a' AS customer_id, 1 AS v"))
    assert split_by_key(relation, "customer_id", 4) == [relation]
    frame = to_lazy(pl.LazyFrame({"customer_id": ["a"]}))
    assert split_by_key(frame, "customer_id", 1) == [frame]


def test_parts_grow_with_the_rows() -> None:
    assert [parts_for(n) for n in (None, 0, 20_000_000, 20_000_001, 100_000_000)] == [
        1,
        1,
        1,
        2,
        5,
    ]
