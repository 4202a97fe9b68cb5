"""``segwise preview``: what an edited project would do to the latest run's segments.

The edited segmentations are evaluated on the latest run's data and compared
with what that run stored, segment by segment: who would enter, who would
leave, their revenue, and the new sizes. Nothing is stored and nothing is
written. When the sources have not changed since that run, and the
segmentations read only the customer table (rules without event conditions,
clusters), the customer table kept by the run is used instead of reading the
sources again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import polars as pl

from segwise.engine.spark_cache import released_caches
from segwise.exceptions import ConfigError, SegwiseError
from segwise.lang import nodes
from segwise.lang.parser import parse_rule
from segwise.project.catalogs import catalog_of
from segwise.project.config import ClusterSegmentation, RulesSegmentation
from segwise.project.consents import PROFILING_METHODS
from segwise.project.fingerprints import source_fingerprints
from segwise.project.ingest import prepare
from segwise.project.methods import RunInputs
from segwise.project.publish import unit_features
from segwise.project.segmentations import run_segmentations

if TYPE_CHECKING:
    from collections.abc import Callable

    from segwise.profiling.cards import SegmentationResult
    from segwise.project.pipeline import Project

_KEYS = ["segmentation", "segment"]


@dataclass(frozen=True)
class ImpactPreview:
    """Per segment: members in the latest run, after the edit, entering and leaving.

    ``segments`` has ``segmentation, segment, before, after, entering, leaving,
    revenue_entering, revenue_leaving`` (revenue: the customers' net revenue
    up to the as-of date, when the customer table has it).
    """

    run_id: int
    from_cache: bool
    segments: pl.DataFrame

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "against_run": self.run_id,
            "from_cache": self.from_cache,
            "segments": self.segments.to_dicts(),
        }


def preview_project(
    project: Project, segmentation: str | None, step: Callable[[str], None]
) -> ImpactPreview:
    """Evaluate the edited project against the latest run, storing nothing."""
    # The service previews edit after edit in one process: a preview on Spark releases its
    # caches as a run does.
    with released_caches():
        return _preview(project, segmentation, step)


def _preview(
    project: Project, segmentation: str | None, step: Callable[[str], None]
) -> ImpactPreview:
    store = project.store
    latest = store.last_run()
    if latest is None:
        raise ConfigError("no run to compare with", hint="run the project first: segwise run")
    specs = dict(project.config.segmentations)
    if segmentation is not None:
        if segmentation not in specs:
            raise ConfigError(
                f"no segmentation '{segmentation}' in the project",
                hint=f"the segmentations are {', '.join(specs)}",
            )
        specs = {segmentation: specs[segmentation]}
    step("Checking the sources")
    cached = None
    if all(_reads_only_features(project, name, spec) for name, spec in specs.items()):
        cached = store.cached_features(source_fingerprints(project))
    if cached is not None:
        as_of, features = cached
        from segwise.project.pseudonyms import id_map  # noqa: PLC0415 - loads DuckDB

        inputs = RunInputs(
            {}, features, features, as_of, project.paths, project.config.currency,
            profile=False, id_map=id_map(project),
        )  # fmt: skip
    else:
        inputs, _ = prepare(
            project, latest["as_of"], project.config.engine_name, step, keep_quarantine=False
        )
        inputs = replace(inputs, profile=False)  # the preview needs memberships, not cards
    config = project.config.model_copy(update={"segmentations": specs})
    results = run_segmentations(config, inputs, step)
    step("Comparing with the latest run")
    # Only the previewed segmentations' memberships, on one connection: every result's, as a
    # method may give more than one (a clv segmentation's tiers are ``<name>_tiers``).
    with store.reading():
        before = pl.concat(
            [store.memberships(latest["run_id"], segmentation=r.name) for r in results]
        )
    return ImpactPreview(
        latest["run_id"],
        cached is not None,
        _impact(before, results, unit_features(inputs, results)),
    )


def _reads_only_features(project: Project, name: str, spec: Any) -> bool:
    if spec.level == "account":
        return False  # the cache holds the customers' features, not the accounts'
    if project.config.sources.consents is not None and spec.method in PROFILING_METHODS:
        return False  # who may be profiled is read from the consent history
    if isinstance(spec, ClusterSegmentation):
        return True
    if not isinstance(spec, RulesSegmentation):
        return False  # RFM and CLV read the transactions
    try:
        catalog = catalog_of(name, spec, project.paths)
        rules = [parse_rule(s.where) for s in catalog.segments if s.where]
    except SegwiseError:
        return False  # let the full path report it
    return not any(
        isinstance(node, nodes.Performed | nodes.EventDate)
        for rule in rules
        for node in rule.root.walk()
    )


def _impact(
    before: pl.DataFrame, results: list[SegmentationResult], features: pl.DataFrame
) -> pl.DataFrame:
    after = pl.concat(
        [
            r.members.select(
                pl.lit(r.name).alias("segmentation"),
                pl.col("customer_id").cast(pl.String),
                pl.col("segment").cast(pl.String),
            )
            for r in results
        ]
    ).unique()
    names = after["segmentation"].unique().to_list()
    before = before.filter(pl.col("segmentation").is_in(names))
    revenue = (
        features.select(pl.col("customer_id").cast(pl.String), pl.col("net_revenue"))
        if "net_revenue" in features.columns
        else features.select(
            pl.col("customer_id").cast(pl.String), pl.lit(None).alias("net_revenue")
        )
    )
    keys = ["segmentation", "customer_id", "segment"]
    # Only the movers need their revenue: anti-joins find them without a full join of everyone.
    moved = [
        frame.join(other, on=keys, how="anti")
        .join(revenue, on="customer_id", how="left")
        .group_by(_KEYS)
        .agg(pl.len().alias(count), pl.col("net_revenue").sum().alias(f"revenue_{count}"))
        for frame, other, count in ((after, before, "entering"), (before, after, "leaving"))
    ]
    sizes = (
        before.group_by(_KEYS)
        .len("before")
        .join(after.group_by(_KEYS).len("after"), on=_KEYS, how="full", coalesce=True)
    )
    table = sizes
    for part in moved:
        table = table.join(part, on=_KEYS, how="left")
    counts = ["before", "after", "entering", "leaving"]
    return table.select(
        *_KEYS,
        *(pl.col(c).fill_null(0).cast(pl.UInt32) for c in counts),
        pl.col("revenue_entering").fill_null(0),
        pl.col("revenue_leaving").fill_null(0),
    ).sort(_KEYS)
