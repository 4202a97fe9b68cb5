"""The sample project with its segmentations replaced: what the method tests run."""

from __future__ import annotations

from typing import TYPE_CHECKING

from segwise.project import Project

if TYPE_CHECKING:
    from pathlib import Path


def sample_project(folder: Path, segmentations: str, engine: str = "polars") -> Project:
    """``segwise init`` in ``folder``, with ``segmentations:`` (YAML text) and ``engine``."""
    Project.init(folder)
    config = folder / "segwise.yaml"
    text = config.read_text().replace("\nengine: polars", f"\nengine: {engine}")
    assert f"\nengine: {engine}" in text
    config.write_text(text[: text.index("segmentations:")] + segmentations)
    return Project.from_yaml(config)
