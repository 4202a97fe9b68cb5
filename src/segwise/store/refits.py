"""Segmentations fitted afresh between two runs: their segments are new groups.

A cluster segmentation without a kept model (``model: PATH``) is fitted again
on every run. The new fit finds new groups with new names, and a customer
who bought exactly as before can land in a segment of another name. Counted
as entries and exits, that reads as the whole base moving. This module says
when two runs' segments come from different fits, and, for each old
segment, which new one holds most of the same customers (the best Jaccard
overlap), so the reader sees "renamed" where it is a rename and "split" or
"merged" where it is not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from segwise.store.definitions import definition_hash
from segwise.store.history import NONE

#: Overlap (Jaccard) at or above which a new segment is the old one under another name.
SAME_GROUP = 0.75

_MATCH_SCHEMA = {
    "from_segment": pl.String,
    "to_segment": pl.String,
    "customers": pl.Int64,
    "share": pl.Float64,
    "overlap": pl.Float64,
}


def fitted_model(definition: dict[str, Any]) -> str | None:
    """A hash of the fitted model that defines a segmentation's segments, or None.

    Clusters and a survey's latent classes define their segments by a fit (a
    hybrid by the clusters inside its rule segments); RFM scores, rules and
    predictive segments keep their segments whatever the data.

    Examples
    --------
    >>> fitted_model({"method": "rules", "segments": []}) is None
    True
    >>> a = fitted_model({"method": "cluster", "model": {"centres": [[0.0]]}})
    >>> a == fitted_model({"method": "cluster", "model": {"centres": [[1.0]]}})
    False
    """
    method = definition.get("method")
    if method == "cluster":
        return definition_hash({"model": definition.get("model")})
    if method == "survey":  # latent classes, fitted on the responses each run
        return definition_hash({k: definition.get(k) for k in ("fit", "profiles")})
    if method == "hybrid":
        within = definition.get("within") or {}
        models = {
            parent: child.get("model")
            for parent, child in within.items()
            if isinstance(child, dict) and child.get("method") == "cluster"
        }
        return definition_hash({"models": models}) if models else None
    return None


def fitted_in_run(method: str, definition: dict[str, Any]) -> bool:
    """Whether a run fitted the segmentation's segments afresh (clusters, or clusters in a hybrid).

    Examples
    --------
    >>> fitted_in_run("cluster", {"refitted": False}), fitted_in_run("rfm", {})
    (False, False)
    """
    if method == "hybrid":
        return bool(definition.get("refitted", False))
    return method == "cluster" and bool(definition.get("refitted", True))


def refitted_parents(
    after: dict[str, Any], before: dict[str, Any] | None = None
) -> tuple[str, ...]:
    """In a hybrid, the rule segments whose clusters were fitted afresh.

    Against ``before`` (the earlier run's definition): those whose cluster model changed;
    without it, those the run says it fitted (``refitted``). Empty for other methods.

    Examples
    --------
    >>> within = {"Big": {"method": "cluster", "model": {"k": 3}, "refitted": True},
    ...           "Rest": {"method": "rfm"}}
    >>> refitted_parents({"method": "hybrid", "within": within})
    ('Big',)
    >>> refitted_parents({"method": "hybrid", "within": within}, {"within": within})
    ()
    """
    if after.get("method") != "hybrid":
        return ()
    earlier = (before or {}).get("within") or {}
    found = []
    for parent, child in (after.get("within") or {}).items():
        if not isinstance(child, dict) or child.get("method") != "cluster":
            continue
        if before is None:
            fitted = bool(child.get("refitted", True))
        else:
            old = earlier.get(parent) if isinstance(earlier.get(parent), dict) else {}
            fitted = fitted_model(child) != fitted_model({"method": "cluster", **(old or {})})
        if fitted:
            found.append(str(parent))
    return tuple(found)


def inside(flows: pl.DataFrame, parents: tuple[str, ...], separator: str) -> pl.DataFrame:
    """The from → to flows among ``parents``' leaves (or, with a ``segment`` column, the rows).

    A customer who moved between rule segments moved by the rules, not by a new fit.
    All of ``flows`` when ``parents`` is empty (not a hybrid).
    """
    if not parents:
        return flows
    prefixes = [f"{parent}{separator}" for parent in parents]

    def under(column: str) -> pl.Expr:
        return pl.any_horizontal(pl.col(column).str.starts_with(p) for p in prefixes)

    if "segment" in flows.columns:
        return flows.filter(under("segment"))
    return flows.filter(under("from_segment") & under("to_segment"))


def keeps_model(definition: dict[str, Any]) -> bool:
    """Whether the project keeps the segmentation's model (or, in a hybrid, one of them)."""
    if definition.get("method") == "hybrid":
        within = (definition.get("within") or {}).values()
        return any(isinstance(c, dict) and c.get("model_path") for c in within)
    return definition.get("model_path") is not None


def member_flows(before: pl.DataFrame, now: pl.DataFrame) -> pl.DataFrame:
    """From → to counts of two runs' memberships (each ``customer_id, segment``).

    One row per ``from_segment, to_segment`` with its ``customers``, most first;
    ``(none)`` for customers in one run only. Exact for exclusive segmentations.
    """
    ids = pl.col("customer_id").cast(pl.String)
    joined = before.select(ids, pl.col("segment").alias("from_segment")).join(
        now.select(ids, pl.col("segment").alias("to_segment")),
        on="customer_id",
        how="full",
        coalesce=True,
    )
    return (
        joined.with_columns(pl.col("from_segment", "to_segment").fill_null(NONE))
        .group_by("from_segment", "to_segment")
        .len("customers")
        .sort("customers", "from_segment", "to_segment", descending=[True, False, False])
    )


def regrouped(before: pl.DataFrame, now: pl.DataFrame) -> bool:
    """Whether two runs' memberships of a segmentation are different groupings.

    False when they are the same segments with some customers moved (see
    :attr:`Refit.regrouped`).
    """
    counts = (before["segment"].n_unique(), now["segment"].n_unique())
    return Refit("", *counts, closest_segments(member_flows(before, now))).regrouped


def refit_scope(
    method: str, definition: dict[str, Any], before: pl.DataFrame, now: pl.DataFrame
) -> tuple[str, ...] | None:
    """What a run's fresh fit regrouped: None (nothing), ``()`` (every segment), or prefixes.

    ``before`` and ``now`` are the two runs' memberships (``customer_id, segment``). In a
    hybrid, only the leaves of the rule segments whose clusters were fitted afresh are new
    groups: their prefixes (``"Big accounts › "``) are returned, and the other leaves keep
    their meaning (RFM inside 'Everyone else', the rule segments themselves).
    """
    if not fitted_in_run(method, definition):
        return None
    parents = refitted_parents(definition)
    separator = str(definition.get("separator", " › "))
    if not regrouped(inside(before, parents, separator), inside(now, parents, separator)):
        return None
    return tuple(f"{parent}{separator}" for parent in parents)


def closest_segments(matrix: pl.DataFrame) -> pl.DataFrame:
    """For each old segment, the new segment that shares most of its customers.

    ``matrix`` holds from → to counts (``from_segment, to_segment,
    customers``; ``(none)`` for customers absent from one run). The result
    has one row per old segment, largest first: ``from_segment, to_segment,
    customers`` (in both), ``share`` (of the old segment) and ``overlap``
    (Jaccard: in both / in either).

    Examples
    --------
    >>> m = pl.DataFrame({"from_segment": ["A", "A", "B"], "to_segment": ["X", "Y", "Y"],
    ...                   "customers": [9, 1, 5]})
    >>> closest_segments(m).select("from_segment", "to_segment", "overlap").rows()
    [('A', 'X', 0.9), ('B', 'Y', 0.8333333333333334)]
    """
    if matrix.height == 0:
        return pl.DataFrame(schema=_MATCH_SCHEMA)
    counts = matrix.select("from_segment", "to_segment", pl.col("customers").cast(pl.Int64))
    old = pl.col("customers").sum().over("from_segment")
    new = pl.col("customers").sum().over("to_segment")
    return (
        counts.with_columns(
            (pl.col("customers") / old).alias("share"),
            (pl.col("customers") / (old + new - pl.col("customers"))).alias("overlap"),
            old.alias("size"),
        )
        .filter((pl.col("from_segment") != NONE) & (pl.col("to_segment") != NONE))
        .sort(["overlap", "to_segment"], descending=[True, False])
        .group_by("from_segment", maintain_order=True)
        .first()
        .sort(["size", "from_segment"], descending=[True, False])
        .select(list(_MATCH_SCHEMA))
    )


@dataclass(frozen=True)
class Refit:
    """A segmentation whose segments come from a different fit in each of two runs.

    Attributes
    ----------
    segmentation
        Its name.
    segments_before, segments_after
        How many segments each run's fit has.
    matches
        :func:`closest_segments` of the two runs' from → to counts.
    model_kept
        Whether the project keeps the model (``model: PATH``): then the fit
        was renewed by its ``refit:`` setting, not on every run.
    method
        The segmentation's method (``cluster``, ``hybrid`` or ``survey``): what
        the advice names.
    parents
        For a hybrid, the rule segments whose clusters were fitted afresh: the
        counts and matches are of their leaves alone.
    """

    segmentation: str
    segments_before: int
    segments_after: int
    matches: pl.DataFrame
    model_kept: bool = False
    method: str = "cluster"
    parents: tuple[str, ...] = ()
    separator: str = " › "

    def covers(self, segment: str) -> bool:
        """Whether ``segment`` is one of the groups the new fit made.

        In a hybrid, a leaf of the parents whose clusters were fitted afresh.
        """
        return not self.parents or any(
            segment.startswith(f"{parent}{self.separator}") for parent in self.parents
        )

    @property
    def regrouped(self) -> bool:
        """Whether the new fit's segments differ from the old ones.

        False when each old segment is found again under its own name with most of its
        customers: a refit that changed nothing a reader would see.
        """
        same = self.matches.filter(
            (pl.col("to_segment") == pl.col("from_segment")) & (pl.col("overlap") >= SAME_GROUP)
        )
        return self.segments_before != self.segments_after or same.height < self.matches.height

    def note(self, from_run: int, to_run: int) -> str:
        """One paragraph for the reader of ``segwise changes``: what the moves mean."""
        close = self.matches.filter(pl.col("overlap") >= SAME_GROUP).height
        found = (
            "no old segment matches a new one closely"
            if close == 0
            else f"{close} of {self.matches.height} old segments match a new one closely"
        )
        counts = f"{self.segments_before} segments → {self.segments_after}; {found}"
        if self.parents:
            where = ", ".join(f"'{p}'" for p in self.parents)
            return (
                f"the clusters inside {where} of {self.segmentation} were fitted afresh between "
                f"run {from_run} and run {to_run} ({counts}): the moves among the segments "
                f"inside {where} compare two groupings, not customers who changed (moves "
                f"between rule segments, and inside the others, are customers who moved); "
                f"{self._advice()}"
            )
        return (
            f"{self.segmentation} was fitted afresh between run {from_run} and run {to_run} "
            f"({counts}): its entries and exits compare two groupings, not customers who "
            f"changed; {self._advice()}"
        )

    def _advice(self) -> str:
        where = f"segmentations.{self.segmentation}"
        if self.method == "survey":
            return (
                "its needs classes are fitted on the responses each run, and new answers moved them"
            )
        if self.model_kept:
            return "its refit: setting renewed the kept model"
        if self.method == "hybrid":
            where += ".within.<segment>"
        return (
            f"keep the model (model: PATH under {where}) so later runs assign to the same segments"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "segmentation": self.segmentation,
            "segments_before": self.segments_before,
            "segments_after": self.segments_after,
            "model_kept": self.model_kept,
            "method": self.method,
            "parents": list(self.parents),
            "matches": self.matches.to_dicts(),
        }


def find_refits(
    before: dict[str, dict[str, Any]],
    after: dict[str, dict[str, Any]],
    counts: pl.DataFrame,
    matrix: pl.DataFrame,
) -> tuple[Refit, ...]:
    """The segmentations in both runs whose segments come from different fits, and differ.

    ``before`` and ``after`` are each run's definitions by segmentation;
    ``counts`` and ``matrix`` are :class:`~segwise.store.history.Changes`'
    per-segment counts and from → to counts.
    """
    found = []
    for name in sorted(set(before) & set(after)):
        model = fitted_model(after[name])
        if model is None or model == fitted_model(before[name]):
            continue
        parents = refitted_parents(after[name], before[name])
        separator = str(after[name].get("separator", " › "))
        sizes = inside(counts.filter(pl.col("segmentation") == name), parents, separator)
        flows = inside(matrix.filter(pl.col("segmentation") == name), parents, separator)
        refit = Refit(
            name,
            sizes.filter(pl.col("before") > 0).height,
            sizes.filter(pl.col("after") > 0).height,
            closest_segments(flows.select("from_segment", "to_segment", "customers")),
            model_kept=keeps_model(after[name]),
            method=str(after[name].get("method")),
            parents=parents,
            separator=separator,
        )
        if refit.regrouped:
            found.append(refit)
    return tuple(found)
