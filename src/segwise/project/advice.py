"""``segwise advise``: merge segments that do not respond differently; name the unusable ones.

For each segmentation of customers (or one): the latest run's segments and
customer features (do their customers behave alike), the orders after the
latest run that has some (did they do alike), and the analysed experiments
(were they treated differently); :mod:`segwise.measure.advice` decides.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw
import polars as pl

from segwise.exceptions import ConfigError
from segwise.features.behaviour import customer_features
from segwise.measure import advice as rules
from segwise.measure.kpis import customer_outcomes
from segwise.project.experiment_analysis import customer_segmentation, polars_frame
from segwise.project.kpis import judged
from segwise.project.results import as_polars
from segwise.segmenters.cluster_outliers import OUTLIER_ID
from segwise.store import experiments as memory

if TYPE_CHECKING:
    from segwise.project.pipeline import Project

#: Days after a run over which "did alike" is measured.
WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class Advised:
    """The advice for one segmentation, and what it could not judge."""

    segmentation: str
    advice: list[rules.Advice]
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "segmentation": self.segmentation,
            "advice": [a.to_dict() for a in self.advice],
            "notes": self.notes,
        }


def advise_project(
    project: Project,
    *,
    segmentation: str | None = None,
    min_size: int = rules.MIN_ACTIONABLE,
    splits: bool = True,
) -> list[Advised]:
    """Advice for ``segmentation``, or for every segmentation of customers.

    Examples
    --------
    >>> import tempfile, segwise as sw
    >>> project = sw.Project.from_yaml(sw.Project.init(tempfile.mkdtemp()))
    >>> _ = project.run()
    >>> found = advise_project(project, segmentation="value", splits=False)
    >>> [a.kind for a in found[0].advice][:2]
    ['too small', 'too small']
    """
    names = (
        [customer_segmentation(project, segmentation)]
        if segmentation is not None
        else [n for n, s in project.config.segmentations.items() if s.level == "customer"]
    )
    store = project.store
    runs = store.runs() if store.path.exists() else pl.DataFrame()
    if runs.height == 0:
        raise ConfigError(
            "no runs stored yet: advice reads the segments of a run",
            hint="run the project first (segwise run)",
        )
    if project.config.sources.transactions is None:
        raise ConfigError(
            "advice compares how the segments bought after each run, and the project has no "
            "sources.transactions",
            hint="add the orders export to the project file",
        )
    latest = int(runs["run_id"].max())  # type: ignore[arg-type]
    orders = polars_frame(project.read_source("transactions").data)
    last = orders.select(pl.col("timestamp").max()).collect().item()
    measured = [
        _Window(int(r), d, (last - start).total_seconds() / 86_400)
        for r, d in runs.select("run_id", "as_of").iter_rows()
        if last is not None and (start := datetime.combine(d, time()) + timedelta(days=1)) < last
    ]
    # The latest run whose whole window has been seen: Online Retail's run of 2011-11-30 had
    # 8.5 of its 30 days, and every segment's conversion looked a third of the month before.
    chosen = judged(measured)
    features = store.latest_features()
    return [
        _advised(
            project,
            name,
            latest,
            chosen,
            orders,
            features,
            (min_size, splits),
        )
        for name in names
    ]


@dataclass(frozen=True)
class _Window:
    """A stored run and the days of orders after it (of the 30 advice reads)."""

    run_id: int
    as_of: date
    observed_days: float
    window_days: int = WINDOW.days


def _advised(
    project: Project,
    name: str,
    latest: int,
    measured: _Window | None,
    orders: pl.LazyFrame,
    features: pl.DataFrame | None,
    options: tuple[int, bool],
) -> Advised:
    min_size, splits = options
    store = project.store
    members = store.memberships(latest, segmentation=name).select("customer_id", "segment")
    sizes = dict(members.group_by("segment").len().iter_rows())
    skip = [s for s in sizes if s.startswith("(")]  # "(not scored)": not a segment to act on
    cards = _cards(store.profiles(latest).filter(pl.col("segmentation") == name))
    apart = [s for s, card in cards.items() if card.get("segment_id") == OUTLIER_ID]
    revenue = {
        s: float(c["revenue_share"]) for s, c in cards.items() if c.get("revenue_share") is not None
    }
    notes = []
    differences = (
        {}
        if features is None
        else rules.standardised_differences(
            features.with_columns(pl.col("customer_id").cast(pl.String)), members
        )
    )
    if features is None:
        notes.append("no customer features kept for the latest run: run the project again")
    arms = None
    if measured is None:
        notes.append(
            "no orders after any stored run yet: whether segments do alike cannot be shown, "
            "so no merge is advised"
        )
    else:
        run_id, as_of, seen = measured.run_id, measured.as_of, measured.observed_days
        then = store.memberships(run_id, segmentation=name).select("customer_id", "segment")
        outcomes = customer_outcomes(then.lazy(), orders, as_of, WINDOW).collect()
        arms = rules.outcome_arms(outcomes)
        so_far = f" (only {math.floor(seen * 100) / 100:g} days of orders so far)"
        notes.append(
            f"behaviour after a run: the {WINDOW.days} days after run {run_id} ({as_of})"
            + (so_far if seen < WINDOW.days else "")
        )
    findings = memory.findings(store, segmentation=name)
    found = _refit(name, store.definitions(latest).get(name, {}), apart)
    found += rules.advise(
        name,
        sizes,
        differences,
        arms,
        findings,
        min_size=min_size,
        skip=skip,
        apart=apart,
        revenue_shares=revenue,
        method=_method(project, name),
    )
    if splits and measured is not None:
        # Features as of that run, from the orders up to it: the latest run's would already
        # hold the orders the groups are judged on.
        before = as_polars(customer_features(nw.from_native(orders), as_of=measured.as_of))
        found += _splits(name, then, outcomes, before, sizes, [*skip, *apart], min_size)
    return Advised(name, found, notes)


def _refit(name: str, definition: dict[str, Any], apart: list[str]) -> list[rules.Advice]:
    """Refit a kept cluster model the latest run found outgrown or stale, before all else.

    79% of Online Retail II's customers were Outliers of a model fitted on its first two
    months; the advice split one of its segments of 529 and said nothing of the 4,665.
    """
    outgrown, staleness = definition.get("outgrown"), definition.get("staleness") or {}
    if not outgrown and not staleness.get("stale"):
        return []
    model = definition.get("model_path") or "the kept model"
    evidence = (
        []
        if not outgrown
        else [
            f"{outgrown['share']:.0%} of customers ({outgrown['outliers']:,}) are Outliers "
            "(a fit puts about 1% there per rule)"
        ]
    )
    if staleness.get("stale"):
        evidence.append(
            f"a fit on the latest run's customers agrees with it on {staleness['agreement']:.0%} "
            f"of each segment, {staleness['runs_since_fit']} runs after it was fitted"
        )
    fitted = definition.get("fitted_as_of")
    return [
        rules.Advice(
            "refit",
            name,
            apart,
            f"fit {model} afresh (delete it, or set refit: when_outgrown to have runs do it) "
            f"and rename the new segments: fitted as of {fitted or 'an earlier run'}, its "
            "segments no longer cover today's customers",
            evidence,
        )
    ]


def _method(project: Project, name: str) -> str | None:
    """The segmentation's method (None for a derived one, such as a clv's ``<name>_tiers``)."""
    spec = project.config.segmentations.get(name)
    return None if spec is None else spec.method


def _cards(profiles: pl.DataFrame) -> dict[str, dict[str, Any]]:
    """Each stored segment's card data (size, revenue share, cluster id), by name."""
    return {
        segment: json.loads(profile) if profile else {}
        for segment, profile in profiles.select("segment", "profile").iter_rows()
    }


def _splits(
    name: str,
    members: pl.DataFrame,
    outcomes: pl.DataFrame,
    features: pl.DataFrame,
    sizes: dict[str, int],
    skip: list[str],
    min_size: int,
) -> list[rules.Advice]:
    """Split advice for each segment large enough to hold two actionable groups."""
    converted = outcomes.select(
        "customer_id", "segment", (pl.col("orders") > 0).cast(pl.Int64).alias("converted")
    )
    table = features.with_columns(pl.col("customer_id").cast(pl.String))
    found = []
    for segment, size in sorted(sizes.items()):
        if segment in skip or size < 2 * min_size:
            continue
        ids = members.filter(pl.col("segment") == segment).select("customer_id")
        split = rules.split_evidence(
            table.join(ids, on="customer_id", how="semi"),
            converted.filter(pl.col("segment") == segment).drop("segment"),
            min_size=min_size,
        )
        if split is not None:
            action = (
                f"split {segment} by {split.rule}: those customers did differently"
                if split.rule
                else f"split {segment}: it holds groups that do differently"
            )
            found.append(rules.Advice("split", name, [segment], action, split.evidence))
    return found
