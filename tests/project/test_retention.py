"""``retention:``: a run reads only the source rows within it; ``purge`` deletes what is past."""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

import polars as pl
from ruamel.yaml import YAML

import segwise as sw
from segwise.project import open_workspace
from segwise.project.retention import purge
from tests.project.demo import keep_segmentations

if TYPE_CHECKING:
    from pathlib import Path


def set_retention(config: Path, **periods: str) -> sw.Project:
    yaml = YAML()
    document = yaml.load(config.read_text())
    document["retention"] = periods
    with config.open("w") as handle:
        yaml.dump(document, handle)
    return sw.Project.from_yaml(config)


def test_a_run_reads_only_the_rows_within_the_sources_retention(tmp_path: Path) -> None:
    config = keep_segmentations(sw.Project.init(tmp_path), "lifecycle")
    project = set_retention(config, transactions="6 months")
    result = project.run(as_of="2024-12-31")
    orders = project.read_source("transactions").data.collect().to_native()
    older = orders.filter(pl.col("timestamp") < datetime(2024, 6, 30)).height
    [report] = [r for r in result.quality if r.kind == "transactions"]
    assert f"{older:,} rows dated before 2024-06-30 left out: past retention (6 months)" in (
        report.notes
    )
    features = open_workspace(config).latest_features()
    # Nobody's last purchase is older than the rows kept.
    assert (
        features["recency_days"].drop_nulls().max() <= (date(2024, 12, 31) - date(2024, 6, 30)).days
    )


def test_purge_deletes_quarantine_files_past_retention_and_says_which(tmp_path: Path) -> None:
    config = sw.Project.init(tmp_path)
    project = set_retention(config, quarantine="90 days")
    folder = tmp_path / "quarantine"
    folder.mkdir()
    old, new = folder / "transactions.quarantine.csv", folder / "events.quarantine.csv"
    for path in (old, new):
        path.write_text("row,reason\n")
    stamp = (datetime(2026, 1, 1) - timedelta(days=120)).timestamp()
    os.utime(old, (stamp, stamp))
    planned = purge(project, dry_run=True, today=date(2026, 1, 1))
    assert planned.quarantine_files == [old.name] and old.exists()
    done = purge(project, today=date(2026, 1, 1))
    assert done.quarantine_files == [old.name]
    assert not old.exists() and new.exists()
    assert done.runs_kept_from is None and done.store == {}
