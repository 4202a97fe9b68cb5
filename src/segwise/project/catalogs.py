"""A rules segmentation's catalog, from the project file or its own YAML file.

Shared by the rules and hybrid methods and by ``segwise preview``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from segwise.segmenters import RuleCatalog

if TYPE_CHECKING:
    from collections.abc import Callable

    import polars as pl

    from segwise.project.config import RulesSegmentation
    from segwise.project.paths import ProjectPaths


def catalog_of(
    name: str,
    spec: RulesSegmentation,
    paths: ProjectPaths,
    id_map: Callable[[pl.Series], pl.Series] | None = None,
) -> RuleCatalog:
    """The segmentation's catalog: written in the project file or in its own YAML file.

    Static id lists stay inside the project folder unless the project allows otherwise;
    ``id_map`` turns their ids into the run's (:attr:`RunInputs.id_map`).
    """
    if spec.catalog is not None:
        catalog = RuleCatalog.from_yaml(
            paths.resolve(spec.catalog, key=f"segmentations.{name}.catalog")
        )
    else:
        catalog = RuleCatalog(
            name=name,
            exclusive=True if spec.exclusive is None else spec.exclusive,
            other=spec.other,
            segments=spec.segments,
            base_dir=str(paths.root),
        )
    if spec.exclusive is not None:
        catalog = catalog.model_copy(update={"exclusive": spec.exclusive})
    if not paths.allow_outside:
        catalog = catalog.model_copy(update={"confine_to": str(paths.root)})
    if id_map is not None:
        catalog = catalog.model_copy(update={"id_map": id_map})
    return catalog
