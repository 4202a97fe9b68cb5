"""What a run reads: personal columns stay out of the features, in a run and in validate."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

import segwise as sw
from segwise.exceptions import SegwiseError

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
