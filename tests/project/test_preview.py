"""segwise preview: an edited rule's +N/−M is exactly what the next run then stores."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import duckdb
import polars as pl
import pytest
from typer.testing import CliRunner

import segwise as sw
from segwise.cli.app import app
from segwise.project import Project
from tests.project.demo import keep_segmentations

if TYPE_CHECKING:
    from pathlib import Path

runner = CliRunner()


#: A rule segmentation on the customer table alone: a preview needs no source read again.
SPEND = """
  spend:
    method: rules
    segments:
      - name: Big spenders
        where: "net_revenue > 1200"
      - name: Regulars
        where: "orders >= 6"
"""


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    folder = tmp_path / "shop"
    # The previewed segmentations; clusters and CLV would only make every run slower.
    keep_segmentations(Project.init(folder), "value", "lifecycle")
    _edit(folder, "segmentations:\n", "segmentations:\n" + SPEND.lstrip("\n") + "\n")
    Project.from_yaml(folder).run()
    return folder


def _edit(folder: Path, old: str, new: str) -> None:
    path = folder / "segwise.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


@pytest.mark.parametrize(
    ("segmentation", "old", "new", "cached"),
    [
        ("spend", "net_revenue > 1200", "net_revenue > 800", True),
        # Its "App engaged" rule reads events: the sources are read again.
        (
            "lifecycle",
            "net_revenue > 1500 AND orders >= 12",
            "net_revenue > 900 AND orders >= 12",
            False,
        ),
    ],
)
def test_preview_of_an_edited_threshold_is_what_the_next_run_stores(
    shop: Path, segmentation: str, old: str, new: str, cached: bool
) -> None:
    _edit(shop, old, new)
    stored_before = Project.from_yaml(shop).store.runs().height
    shown = runner.invoke(app, ["preview", str(shop), "--segmentation", segmentation, "--json"])
    assert shown.exit_code == 0, shown.stderr
    preview = json.loads(shown.stdout)
    assert preview["from_cache"] is cached
    assert Project.from_yaml(shop).store.runs().height == stored_before  # nothing stored
    moved = sum(row["entering"] + row["leaving"] for row in preview["segments"])
    assert moved > 0

    project = Project.from_yaml(shop)
    second = project.run()
    found = project.store.changes(second.run_id - 1, second.run_id, segmentation=segmentation)
    stored = {
        row["segment"]: (row["before"], row["after"], row["entered"], row["exited"])
        for row in found.counts.iter_rows(named=True)
    }
    previewed = {
        row["segment"]: (row["before"], row["after"], row["entering"], row["leaving"])
        for row in preview["segments"]
    }
    assert previewed == stored
    # Their revenue is the moving customers' net revenue.
    table = project.store._read("SELECT customer_id, net_revenue FROM feature_cache")
    for row in preview["segments"]:
        entered = found.movers.filter(
            (pl.col("segment") == row["segment"]) & (pl.col("change") == "entered")
        )["customer_id"]
        expected = table.filter(pl.col("customer_id").is_in(entered.to_list()))["net_revenue"]
        assert row["revenue_entering"] == pytest.approx(expected.sum())


def test_preview_reads_the_sources_again_when_they_changed(shop: Path) -> None:
    project = Project.from_yaml(shop)
    orders = project.resolve(project.config.sources.transactions.path)
    orders.touch()  # a new modification time: the kept table may be stale
    impact = project.preview(segmentation="spend")
    assert impact.from_cache is False
    # Same rules, same data: nothing moves.
    assert impact.segments["entering"].sum() == 0 and impact.segments["leaving"].sum() == 0
    assert not (shop / "quarantine").exists() or all(
        p.stat().st_mtime <= orders.stat().st_mtime for p in (shop / "quarantine").iterdir()
    )


def test_a_table_kept_by_another_release_is_not_reused(shop: Path) -> None:
    project = Project.from_yaml(shop)
    assert project.preview(segmentation="spend").from_cache is True
    meta = project.store._read("SELECT value FROM store_meta WHERE key = 'feature_cache'")
    key = json.loads(meta["value"][0])
    assert key["version"] == sw.__version__
    older = json.dumps({**key, "version": "0.0.1"})
    with duckdb.connect(str(project.store.path)) as connection:
        connection.execute("UPDATE store_meta SET value = ? WHERE key = 'feature_cache'", [older])
    # Its features may be computed otherwise now: the sources are read again.
    assert project.preview(segmentation="spend").from_cache is False


def test_preview_of_an_rfm_segmentation_reads_the_transactions(shop: Path) -> None:
    impact = Project.from_yaml(shop).preview(segmentation="value")
    assert impact.from_cache is False
    assert impact.segments["leaving"].sum() == 0


def test_preview_needs_a_run_and_a_known_segmentation(tmp_path: Path) -> None:
    folder = tmp_path / "new"
    Project.init(folder)
    first = runner.invoke(app, ["preview", str(folder)])
    assert first.exit_code == 1 and "no run to compare with" in first.stderr


def test_a_clv_segmentations_tiers_are_compared_with_their_stored_run(tmp_path: Path) -> None:
    """A clv segmentation gives two results (its segments and ``<name>_tiers``): the preview
    compares both with the latest run. The tiers read as new (0 before, everyone entering,
    with all their revenue) when only the first was read from the store."""
    folder = tmp_path / "shop"
    keep_segmentations(Project.init(folder), "future")
    Project.from_yaml(folder).run()
    impact = Project.from_yaml(folder).preview(segmentation="future")
    tiers = impact.segments.filter(pl.col("segmentation") == "future_tiers")
    assert tiers.height == 3
    assert (tiers["before"] == tiers["after"]).all() and tiers["before"].sum() > 0
    assert tiers["entering"].sum() == 0 and tiers["leaving"].sum() == 0


def test_the_table_shows_the_segmentations_an_edit_moves(shop: Path) -> None:
    # Online Retail II: one threshold of 'lifecycle' edited, 26 rows printed, 21 of them +0 / −0.
    quiet = runner.invoke(app, ["preview", str(shop)], env={"COLUMNS": "200"})
    assert quiet.exit_code == 0, quiet.stderr
    assert "the edit moves no customer" in quiet.stdout
    assert "unchanged: lifecycle, spend, value" in quiet.stdout
    _edit(shop, "net_revenue > 1200", "net_revenue > 800")
    shown = runner.invoke(app, ["preview", str(shop)], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.stderr
    table = shown.stdout.split("unchanged:")[0]
    assert "│ spend" in table and "│ value" not in table and "│ lifecycle" not in table
    assert shown.stdout.strip().endswith("unchanged: lifecycle, value")
