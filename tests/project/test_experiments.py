"""Assigning an experiment's variants within a segment of a stored run."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import polars as pl

from segwise.project import Project, open_workspace
from segwise.project.experiments import assign_experiment

if TYPE_CHECKING:
    from pathlib import Path


def test_members_of_the_segment_only_and_the_same_variants_every_time(project_copy: Path) -> None:
    project = Project.from_yaml(project_copy)
    store = open_workspace(project_copy)
    sizes = store.segments().sort("size", descending=True)
    segmentation, segment = sizes.row(0)[:2]
    found = assign_experiment(
        project,
        "winback",
        ["A", "B"],
        [1, 1],
        segment=f"{segmentation}/{segment}",
        at=datetime(2026, 12, 1, 9, 30),
    )
    members = store.members(segment, segmentation=segmentation)["customer_id"].cast(pl.String)
    assert sorted(found.table["customer_id"].to_list()) == sorted(members.to_list())
    assert set(found.table["experiment"]) == {"winback"}
    assert set(found.table["timestamp"]) == {datetime(2026, 12, 1, 9, 30)}
    again = assign_experiment(
        project, "winback", ["A", "B"], [1, 1], segment=segment, segmentation=segmentation
    )
    assert again.table.select("customer_id", "variant").equals(
        found.table.select("customer_id", "variant")
    )
    summary = found.summary()
    assert summary["population"] == f"{segmentation}/{segment}"
    assert sum(v["customers"] for v in summary["variants"]) == found.table.height


def test_everyone_of_the_run_when_no_segment_is_named(project_copy: Path) -> None:
    project = Project.from_yaml(project_copy)
    found = assign_experiment(project, "all-in", ["A", "B"], [1, 1])
    everyone = open_workspace(project_copy).memberships()["customer_id"].n_unique()
    assert found.table.height == everyone
    assert found.population == "everyone"
