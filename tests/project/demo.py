"""The scaffolded demo project, cut down to what a test needs (its runs then take seconds)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ruamel.yaml import YAML

if TYPE_CHECKING:
    from pathlib import Path


def keep_segmentations(config: Path, *names: str) -> Path:
    """Drop every segmentation of ``config`` but ``names``, keeping the file's formatting."""
    yaml = YAML()  # round-trip: the other keys keep their comments and flow style
    document = yaml.load(config.read_text())
    for name in list(document["segmentations"]):
        if name not in names:
            del document["segmentations"][name]
    with config.open("w") as handle:
        yaml.dump(document, handle)
    return config


def pin_k(config: Path, name: str, k: int) -> Path:
    """Fix cluster segmentation ``name`` at ``k`` segments: no search over k (a sixth of a fit)."""
    yaml = YAML()
    document = yaml.load(config.read_text())
    document["segmentations"][name]["k"] = k
    with config.open("w") as handle:
        yaml.dump(document, handle)
    return config
