"""Editing segwise.yaml: only the edited segmentation's lines change; stale edits refused."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from segwise.exceptions import ConfigError, NotFoundError
from segwise.project.definitions import (
    ConflictError,
    check_name,
    delete,
    put_segment,
    put_segmentation,
    versions,
)

if TYPE_CHECKING:
    from pathlib import Path

PROJECT = """\
# my project
name: shop   # the shop
store: s.duckdb
sources:
  transactions: {path: orders.csv}
segmentations:
  # value first
  value: {method: rfm}
  lifecycle:
    method: rules
    segments:
      - name: VIP   # the best
        where: "net_revenue > 1500"
# trailing comment
report: r.html
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    target = tmp_path / "segwise.yaml"
    target.write_text(PROJECT)
    return target


def test_a_new_segmentation_lands_before_the_next_top_level_key(project: Path) -> None:
    saved = put_segmentation(
        project,
        "heavy",
        {"method": "rules", "segments": [{"name": "H", "where": "orders > 9"}]},
        create=True,
    )
    text = project.read_text()
    assert text.startswith(PROJECT.split("# trailing comment", maxsplit=1)[0])
    assert text.index("heavy:") < text.index("# trailing comment") < text.index("report:")
    assert saved.version == versions(project)["heavy"]


def test_editing_one_segment_keeps_its_comment(project: Path) -> None:
    put_segment(project, "lifecycle", {"name": "VIP", "where": "net_revenue > 2000"})
    text = project.read_text()
    assert "- name: VIP   # the best" in text
    assert "net_revenue > 2000" in text
    assert text.replace("net_revenue > 2000", "net_revenue > 1500") == PROJECT


def test_delete_a_segment_then_the_segmentation(project: Path) -> None:
    put_segment(project, "lifecycle", {"name": "Low", "where": "orders < 2"})
    delete(project, "lifecycle", "Low")
    assert project.read_text() == PROJECT
    delete(project, "lifecycle")
    text = project.read_text()
    assert "lifecycle" not in text
    assert "# trailing comment\nreport: r.html" in text
    with pytest.raises(NotFoundError):
        delete(project, "lifecycle")


def test_stale_versions_and_other_methods_are_refused(project: Path) -> None:
    with pytest.raises(ConflictError):
        put_segment(project, "lifecycle", {"name": "X", "where": "a > 1"}, expected="deadbeef")
    with pytest.raises(ConfigError, match="rule segmentations only"):
        put_segment(project, "value", {"name": "X", "where": "a > 1"})
    with pytest.raises(ConfigError, match="method: rules"):
        put_segmentation(project, "value", {"method": "rfm"}, create=False)
    assert project.read_text() == PROJECT


def test_a_catalog_file_is_edited_in_its_own_file(tmp_path: Path) -> None:
    target = tmp_path / "segwise.yaml"
    target.write_text(
        PROJECT.replace(
            '    segments:\n      - name: VIP   # the best\n        where: "net_revenue > 1500"\n',
            "    catalog: rules.yaml\n",
        )
    )
    with pytest.raises(ConfigError, match=r"catalog file rules\.yaml"):
        put_segment(target, "lifecycle", {"name": "X", "where": "a > 1"})


@pytest.mark.parametrize("name", ["../x", "a/b", "..", "", " lead", "x" * 65, "a\nb"])
def test_names_that_could_be_paths_are_refused(name: str) -> None:
    with pytest.raises(NotFoundError):
        check_name(name, "segmentation")
