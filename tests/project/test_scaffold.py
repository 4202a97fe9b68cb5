"""The sample project `segwise init` writes: the core methods run, the others are ready."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import segwise as sw

if TYPE_CHECKING:
    from pathlib import Path


def test_the_commented_methods_validate_once_switched_on(tmp_path: Path) -> None:
    # "every method configured" said the README, and propensity, lookalike and hybrid were
    # not in the file; they are written out, commented, and each must work as written.
    config = sw.Project.init(tmp_path / "shop")
    text = config.read_text()
    assert "# churn:" in text and "#   method: lookalike" in text
    switched_on = re.sub(r"(?m)^  # (  |[a-z_]+:)", r"  \1", text)
    config.write_text(switched_on)
    project = sw.Project.from_yaml(config)
    methods = {name: spec.method for name, spec in project.config.segmentations.items()}
    assert {"propensity", "lookalike", "hybrid"} <= set(methods.values())
    project.validate()  # every feature, seed and rule they name exists
