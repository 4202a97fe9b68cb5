"""What a run reads: personal columns stay out of the features, in a run and in validate."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pytest

import segwise as sw
from segwise.exceptions import SegwiseError
from tests.project.demo import keep_segmentations

if TYPE_CHECKING:
    from pathlib import Path

RULE = """
  contactable:
    method: rules
    segments:
      - {name: Has email, where: "email IS NOT NULL"}
"""


def _with_rule(config: Path, allow: bool) -> sw.Project:
    text = config.read_text().replace("segmentations:\n", "segmentations:" + RULE, 1)
    if allow:
        text += "privacy: {pii_in_features: true}\n"
    config.write_text(text)
    return sw.Project.from_yaml(config)


def test_a_rule_on_a_personal_column_is_refused_by_validate_as_by_a_run(
    project_copy: Path,
) -> None:
    project = _with_rule(project_copy, allow=False)
    with pytest.raises(SegwiseError, match="email"):
        project.validate()


def test_pii_in_features_lets_rules_read_them(project_copy: Path) -> None:
    project = _with_rule(project_copy, allow=True)
    assert project.validate()  # the quality reports: nothing refused


def test_a_run_dated_before_the_newest_stored_run_is_refused_before_any_work(
    project_copy: Path,
) -> None:
    # A run as of August after one as of November stored time going backwards: every
    # customer "left" the segments they would later join and each segment raised an alert.
    project = sw.Project.from_yaml(keep_segmentations(project_copy, "value"))
    runs = project.store.runs()
    newest = runs["as_of"][-1]
    earlier = newest - dt.timedelta(days=30)
    steps: list[str] = []
    with pytest.raises(SegwiseError, match=rf"as-of date {earlier} is before run 1's \({newest}\)"):
        project.run(as_of=earlier, progress=steps.append)
    assert "Building customer features" not in steps
    assert project.store.runs().height == runs.height
    assert project.store.failures()["error"][-1].startswith(f"as-of date {earlier}")
    # The same day again is allowed: that is how an edited definition is re-run.
    project.run(as_of=newest)
    assert project.store.runs()["as_of"].to_list() == [newest, newest]
