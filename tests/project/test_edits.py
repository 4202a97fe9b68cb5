"""A run after an edit: the edited segmentation's moves are said to come from the edit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from typer.testing import CliRunner

import segwise as sw
from segwise.cli.app import app

if TYPE_CHECKING:
    from pathlib import Path

    from segwise.project.health import Alert

runner = CliRunner()
VIP = 'where: "net_revenue > 1500 AND orders >= 12"'


def _alerts(config: Path, text: str) -> list[Alert]:
    config.write_text(text)
    project = sw.Project.from_yaml(config)
    return project.run(as_of=project.store.runs()["as_of"][-1]).alerts


def test_an_edited_rule_is_one_alert_naming_the_edit_not_size_and_drift(
    project_copy: Path,
) -> None:
    # Online Retail II, Top customers' bar lowered from 3,600 to 2,000 and run again the
    # same day: "376 → 712 customers (+89%)" and a shift of its customers' revenue, both
    # critical, as if the customers had changed.
    original = project_copy.read_text()
    assert VIP in original
    alerts = _alerts(project_copy, original.replace(VIP, 'where: "net_revenue > 500"'))
    lifecycle = [a for a in alerts if a.segmentation == "lifecycle"]
    assert [a.kind for a in lifecycle] == ["edited"]
    [edit] = lifecycle
    assert edit.message.startswith("lifecycle: its definition changed since run 1 (segwise diff")
    assert "its segments moved with the edit (VIP " in edit.message
    assert edit.level == "warning" and edit.value >= 2  # VIP grew, the others gave way
    # Unedited segmentations are still checked (none moved: same day, same data).
    assert all(a.segmentation == "lifecycle" for a in alerts if a.kind != "stale_model")
    # `segwise changes` between the two runs says whose moves are the edit's.
    shown = runner.invoke(app, ["changes", str(project_copy)])
    assert shown.exit_code == 0, shown.stderr
    assert shown.stdout.startswith(
        "note: lifecycle was edited between run 1 and run 2 (segwise diff --from 1 --to 2"
    )
    assert sw.Project.from_yaml(project_copy).store.changes().edited == ("lifecycle",)


def test_words_about_a_segment_are_not_an_edit(project_copy: Path) -> None:
    original = project_copy.read_text()
    said = original.replace(
        "description: Our best customers by spend and frequency", "description: Our best"
    ).replace("offers: free express delivery", "offers: a gift")
    assert said != original
    assert [a for a in _alerts(project_copy, said) if a.kind == "edited"] == []


def test_a_catalog_edit_of_a_rule_segmentation_is_seen(project_copy: Path) -> None:
    # A catalog's rules are not in the project file: the stored definitions are compared.
    original = project_copy.read_text()
    start = original.index("  lifecycle:\n")
    end = original.index("\n\n", start)
    catalog = project_copy.parent / "lifecycle.yaml"
    catalog.write_text('segments:\n  - {name: VIP, where: "net_revenue > 1500 AND orders >= 12"}\n')
    moved = (
        original[:start]
        + "  lifecycle:\n    method: rules\n    catalog: lifecycle.yaml\n"
        + original[end:]
    )
    first = _alerts(project_copy, moved)
    assert [a.message[:40] for a in first if a.kind == "edited"] == [
        "lifecycle: its definition changed since "
    ]
    catalog.write_text(catalog.read_text().replace("1500", "500"))
    again = _alerts(project_copy, moved)
    assert [a.segmentation for a in again if a.kind == "edited"] == ["lifecycle"]
    same = _alerts(project_copy, moved)
    assert [a for a in same if a.kind == "edited"] == []
