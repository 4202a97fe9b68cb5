"""Runs past retention leave the store: every table, intervals cut, kept runs read back alike."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import pytest

import segwise as sw
from segwise.project import open_workspace
from segwise.store.retention import BY_RUN, INTERVALS, purge_runs
from segwise.store.schema import table_names
from tests.project.demo import keep_segmentations

if TYPE_CHECKING:
    from pathlib import Path

AS_OF = ("2024-03-31", "2024-06-30", "2024-09-30", "2024-12-31")


@pytest.fixture(scope="module")
def four_runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    config = keep_segmentations(sw.Project.init(tmp_path_factory.mktemp("runs")), "lifecycle")
    project = sw.Project.from_yaml(config)
    for as_of in AS_OF:
        project.run(as_of=as_of)
    return config


def members(store: object, run: int) -> set[tuple[str, str, str]]:
    table = store.memberships(run)  # type: ignore[attr-defined]
    return set(table.select("segmentation", "customer_id", "segment").rows())


def test_runs_before_the_boundary_go_from_every_table_and_kept_runs_are_unchanged(
    four_runs: Path, tmp_path: Path
) -> None:
    from tests.project.experiment_demo import copy_project

    config = copy_project(four_runs, tmp_path / "shop")
    store = open_workspace(config)
    before = {run: members(store, run) for run in (1, 2, 3, 4)}
    planned = purge_runs(store, date(2024, 7, 1), dry_run=True)
    assert planned["runs"] == 2
    assert store.runs().height == 4  # a dry run deletes nothing
    assert purge_runs(store, date(2024, 7, 1)) == planned
    assert store.runs()["run_id"].to_list() == [3, 4]
    with store.reading() as connection:
        tables = table_names(connection)
        for table in (t for t in BY_RUN if t in tables):
            left = connection.execute(f"SELECT count(*) FROM {table} WHERE run_id < 3").fetchall()
            assert left[0][0] == 0, table
        for table in INTERVALS:
            old = connection.execute(f"SELECT count(*) FROM {table} WHERE from_run < 3").fetchall()
            assert old[0][0] == 0, table
        transitions = connection.execute(
            "SELECT count(*) FROM transitions WHERE previous_run < 3 OR run_id < 3"
        ).fetchall()
        assert transitions[0][0] == 0
    assert members(store, 3) == before[3]
    assert members(store, 4) == before[4]
    # The latest run stays whatever its date: it is what the segments are now.
    purge_runs(store, date(2030, 1, 1))
    assert store.runs()["run_id"].to_list() == [4]
    assert members(store, 4) == before[4]
    with store.reading() as connection:
        widths = connection.execute(
            "SELECT min(from_run), max(coalesce(to_run, 4)) FROM membership_intervals"
        ).fetchall()
    assert widths == [(4, 4)]


def test_a_store_without_runs_has_nothing_to_purge(tmp_path: Path) -> None:
    store = open_workspace(sw.Project.init(tmp_path))
    assert purge_runs(store, date(2024, 1, 1)) == {}
