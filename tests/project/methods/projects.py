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


#: A hybrid whose one rule segment is scored by RFM inside: "Big spenders › Champions"…
BIG_SPENDERS_BY_RFM = """segmentations:
  mix:
    method: hybrid
    other: Everyone else
    segments:
      - {name: Big spenders, where: "net_revenue > 1200"}
    within:
      Big spenders: {method: rfm}
"""


def big_spender_leaf(folder: Path) -> tuple[Project, str, str]:
    """The sample project with :data:`BIG_SPENDERS_BY_RFM`, run; one big spender and their leaf."""
    import polars as pl

    project = sample_project(folder, BIG_SPENDERS_BY_RFM)
    project.run(as_of="2024-09-30")
    big = project.store.memberships(segmentation="mix").filter(
        pl.col("segment").str.starts_with("Big spenders › ")
    )
    return project, str(big["customer_id"][0]), str(big["segment"][0])


#: Clusters on four features, their model kept in models/behaviour.json; ``{refit}`` is
#: empty or a ``refit:`` line.
KEPT_MODEL = """segmentations:
  behaviour:
    method: cluster
    features: [recency_days, tenure_days, orders, net_revenue]
    seed: 0
    model: models/behaviour.json
{refit}"""
