"""Stored segment counts: always what a count of the intervals gives, through erasure and purges."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import TYPE_CHECKING

import duckdb
import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from segwise.store import RunRecord, SegmentationRecord, Workspace
from segwise.store.erasure import erase_customers
from segwise.store.retention import purge_runs
from segwise.store.segment_counts import counted, counts_sql, stored_counts_sql

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

FIRST = dt.date(2024, 1, 31)


def _record(day: dt.date, held: dict[str, dict[str, set[str]]]) -> RunRecord:
    """A run: per segmentation, each customer's segments (a paused segmentation is absent)."""
    segmentations = []
    for name, members in held.items():
        rows = [(c, s) for c, segments in members.items() for s in sorted(segments)]
        frame = pl.DataFrame(rows, schema=["customer_id", "segment"], orient="row").cast(pl.String)
        segmentations.append(SegmentationRecord(name, "rules", {}, [], frame))
    return RunRecord(
        "shop", day, "h", "name: shop", "0", "polars", 5, dt.datetime.combine(day, dt.time(6)),
        segmentations,
    )  # fmt: skip


def _assert_counts_match_the_intervals(path: Path) -> None:
    with duckdb.connect(str(path), read_only=True) as connection:
        runs = [r[0] for r in connection.execute("SELECT run_id FROM runs").fetchall()]
        counted_runs = connection.execute("SELECT DISTINCT run_id FROM segment_counts")
        held = {r[0] for r in counted_runs.fetchall()}
        assert held <= set(runs)  # a purged run's counts go with it
        for first, second in itertools.product(runs, repeat=2):
            # A run that held no one has no counts: such pairs are counted from the intervals.
            assert counted(connection, first, second) == ({first, second} <= held)
            values = {"from": first, "to": second}
            stored = connection.execute(stored_counts_sql(), values).fetchall()
            assert stored == connection.execute(counts_sql(), values).fetchall()
            one = values | {"segmentation": "v"}
            assert connection.execute(stored_counts_sql(segmentation=True), one).fetchall() == (
                connection.execute(counts_sql(segmentation=True), one).fetchall()
            )


segment_sets = st.dictionaries(
    st.sampled_from(["a", "b", "c", "d", "e"]),
    st.sets(st.sampled_from(["X", "Y", "Z"]), max_size=2),
    max_size=5,
)


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    runs=st.lists(
        st.fixed_dictionaries({"v": segment_sets}, optional={"w": segment_sets}),
        min_size=1,
        max_size=5,
    ),
    erased=st.sampled_from(["a", "c", "nobody"]),
)
def test_stored_counts_equal_a_count_of_the_intervals_through_erasure_and_purges(
    tmp_path_factory: pytest.TempPathFactory,
    runs: list[dict[str, dict[str, set[str]]]],
    erased: str,
) -> None:
    store = Workspace(tmp_path_factory.mktemp("counts") / "s.duckdb")
    for k, held in enumerate(runs):
        store.write_run(_record(FIRST + dt.timedelta(days=k), held))
    _assert_counts_match_the_intervals(store.path)
    erase_customers(store, [erased], [erased], ["a keyed hash"])
    _assert_counts_match_the_intervals(store.path)
    purge_runs(store, FIRST + dt.timedelta(days=len(runs) // 2))
    _assert_counts_match_the_intervals(store.path)


def test_changes_answers_the_same_for_runs_stored_without_counts(tmp_path: Path) -> None:
    store = Workspace(tmp_path / "s.duckdb")
    moves = [{"a": {"X"}, "b": {"Y"}, "c": {"X"}}, {"a": {"Y"}, "b": {"Y"}, "d": {"Z"}}]
    for k, members in enumerate(moves):
        store.write_run(_record(FIRST + dt.timedelta(days=k), {"v": members}))
    with_counts = store.changes()
    with duckdb.connect(str(store.path)) as connection:
        # A store written before the counts were kept: both ways of answering must agree.
        connection.execute("DROP TABLE segment_counts")
    without = Workspace(store.path).changes()
    assert without.counts.equals(with_counts.counts)
    assert without.matrix.equals(with_counts.matrix)
    assert with_counts.counts.filter(pl.col("segment") == "X")["before"].to_list() == [2]
