"""A run after an edit: the edited segmentation's moves are said to come from the edit."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

import segwise as sw
from segwise.cli.app import app
from tests.project.demo import keep_segmentations

if TYPE_CHECKING:
    from pathlib import Path

    from segwise.project.health import Alert

runner = CliRunner()
VIP = "net_revenue > 1500 AND orders >= 12"


@pytest.fixture
def shop(project_copy: Path) -> Path:
    """The demo with its stored run, cut to a rule and an RFM segmentation (runs in seconds)."""
    return keep_segmentations(project_copy, "value", "lifecycle")


def _alerts(config: Path, text: str) -> list[Alert]:
    config.write_text(text)
    project = sw.Project.from_yaml(config)
    return project.run(as_of=project.store.runs()["as_of"][-1]).alerts


def test_an_edited_rule_is_one_alert_naming_the_edit_not_size_and_drift(
    shop: Path,
) -> None:
    # Online Retail II, Top customers' bar lowered from 3,600 to 2,000 and run again the
    # same day: "376 → 712 customers (+89%)" and a shift of its customers' revenue, both
    # critical, as if the customers had changed.
    original = shop.read_text()
    assert VIP in original
    alerts = _alerts(shop, original.replace(VIP, "net_revenue > 500"))
    lifecycle = [a for a in alerts if a.segmentation == "lifecycle"]
    assert [a.kind for a in lifecycle] == ["edited"]
    [edit] = lifecycle
    assert edit.message.startswith("lifecycle: its definition changed since run 1 (segwise diff")
    assert "its segments moved with the edit (VIP " in edit.message
    assert edit.level == "warning" and edit.value >= 2  # VIP grew, the others gave way
    # Unedited segmentations are still checked (none moved: same day, same data).
    assert all(a.segmentation == "lifecycle" for a in alerts if a.kind != "stale_model")
    # `segwise changes` between the two runs says whose moves are the edit's.
    shown = runner.invoke(app, ["changes", str(shop)])
    assert shown.exit_code == 0, shown.stderr
    assert shown.stdout.startswith(
        "note: lifecycle was edited between run 1 and run 2 (segwise diff --from 1 --to 2"
    )
    assert sw.Project.from_yaml(shop).store.changes().edited == ("lifecycle",)


def test_words_about_a_segment_are_not_an_edit(shop: Path) -> None:
    original = shop.read_text()
    said = original.replace(
        "description: Our best customers by spend and frequency", "description: Our best"
    ).replace("offers: free express delivery", "offers: a gift")
    assert said != original
    assert [a for a in _alerts(shop, said) if a.kind == "edited"] == []


def test_a_catalog_edit_of_a_rule_segmentation_is_seen(shop: Path) -> None:
    # A catalog's rules are not in the project file: the stored definitions are compared.
    original = shop.read_text()
    start = original.index("  lifecycle:\n")
    end = original.index("\n\n", start)
    catalog = shop.parent / "lifecycle.yaml"
    catalog.write_text('segments:\n  - {name: VIP, where: "net_revenue > 1500 AND orders >= 12"}\n')
    moved = (
        original[:start]
        + "  lifecycle:\n    method: rules\n    catalog: lifecycle.yaml\n"
        + original[end:]
    )
    first = _alerts(shop, moved)
    assert [a.message[:40] for a in first if a.kind == "edited"] == [
        "lifecycle: its definition changed since "
    ]
    catalog.write_text(catalog.read_text().replace("1500", "500"))
    again = _alerts(shop, moved)
    assert [a.segmentation for a in again if a.kind == "edited"] == ["lifecycle"]
