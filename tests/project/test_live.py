"""The rule editor's checks and sizes on the latest run."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

import segwise as sw
from segwise.project.live import LiveData, catalog_from, check, preview

if TYPE_CHECKING:
    from pathlib import Path


def test_every_broken_rule_is_reported_with_its_segment(tmp_path: Path) -> None:
    found = check(
        [
            {"name": "A", "where": "orders >"},
            {"name": "B", "where": "orders > 1"},
            {"name": "C", "where": "(x"},
        ]
    )
    assert [(e["segment"], e["index"]) for e in found["errors"]] == [("A", 0), ("C", 2)]
    assert found["valid"] is False
    assert check([{"name": "B", "where": "orders > 1"}])["valid"] is True


def test_a_double_quoted_value_is_said_to_be_a_column_name() -> None:
    columns = ("customer_id", "country", "orders")
    found = check([{"name": "UK", "where": 'country = "UK" AND orders > 1'}], columns=columns)
    [finding] = found["findings"]
    assert found["valid"] is False
    assert finding["message"] == (
        "unknown column 'UK'; \"UK\" in double quotes is a column name; a text value takes "
        "single quotes: 'UK'"
    )
    near = check([{"name": "UK", "where": "contry = 'UK'"}], columns=columns)
    assert near["findings"][0]["message"] == "unknown column 'contry'; did you mean 'country'?"


def test_event_conditions_are_sized_on_the_projects_events(
    served_project: tuple[Path, dict[str, str]],
) -> None:
    config = served_project[0]
    project = sw.Project.from_yaml(config)
    live = LiveData.load(project, project.store)
    rule = "performed('app_session', at_least => 4, within => '30d')"
    sized = preview(live, catalog_from([{"name": "App", "where": rule}]))
    events = pl.read_parquet(config.parent / "data" / "events.parquet")
    window = events.filter(
        (pl.col("event") == "app_session")
        & (pl.col("ts") >= pl.datetime(2024, 12, 2))
        & (pl.col("ts") < pl.datetime(2025, 1, 1))
    )
    expected = window.group_by("user_id").len().filter(pl.col("len") >= 4).height
    assert sized["segments"][0]["matches"] == expected
