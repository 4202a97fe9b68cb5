"""``segwise kpis``: each stored run's segments, measured on the orders that came after.

For every run (or one), the members of each segment of ``segmentation`` as of
the run's date, and what they did in the window after it
(:mod:`segwise.measure.kpis`). Runs side by side make the trend per segment.
How many days of orders exist after each run is said with it: the latest run
is usually as of the data's end, with nothing after it yet.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import polars as pl

from segwise.exceptions import ConfigError
from segwise.measure.assignment import held_out
from segwise.measure.kpis import (
    EVERYONE,
    SegmentKpis,
    against_prediction,
    customer_outcomes,
    holdout_lifts,
    prediction_note,
    segment_kpis,
)
from segwise.project.experiment_analysis import customer_segmentation, polars_frame
from segwise.project.holdouts import segmentation_holdout
from segwise.store import experiments as memory

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import date

    from segwise.project.pipeline import Project


@dataclass(frozen=True)
class RunKpis:
    """One run's segments and their KPIs over the window after its as-of date."""

    run_id: int
    as_of: date
    window_days: int
    #: days of orders after the as-of date (the window is partial below window_days)
    observed_days: float
    segments: list[SegmentKpis]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "run_id": self.run_id,
            "as_of": self.as_of.isoformat(),
            "window_days": self.window_days,
            "observed_days": round(self.observed_days, 2),
            "segments": [s.to_dict() for s in self.segments],
            "prediction_note": prediction_note(self.segments, self.window_days),
        }


class Windowed(Protocol):
    """A run seen through its window: how many days of orders came after it, of how many."""

    @property
    def observed_days(self) -> float:
        """Days of orders after the run's as-of date."""

    @property
    def window_days(self) -> int:
        """Days the window lasts."""


Run = TypeVar("Run", bound=Windowed)


def judged(runs: Sequence[Run]) -> Run | None:
    """The run to judge the segments by: the latest whose whole window is in the orders.

    Else the latest with any orders after it, and None when no run has any. A window
    still open reads as a collapse: Online Retail II's run of 2010-11-30 had 8.83 of
    its 30 days, and every segment converted about a third as often as the month before.

    Examples
    --------
    >>> from datetime import date
    >>> runs = [RunKpis(1, date(2024, 9, 30), 30, 61.0, []),
    ...         RunKpis(2, date(2024, 10, 31), 30, 30.0, []),
    ...         RunKpis(3, date(2024, 11, 30), 30, 8.5, [])]
    >>> judged(runs).run_id, judged(runs[2:]).run_id
    (2, 3)
    """
    measured = [r for r in runs if r.observed_days > 0]
    whole = [r for r in measured if r.observed_days >= r.window_days]
    chosen = whole or measured
    return chosen[-1] if chosen else None


def no_orders_note(runs: Sequence[RunKpis]) -> str:
    """Why no run can be judged yet: none has a day of orders after its date."""
    return (
        f"no orders after any stored run's date yet (the latest run is as of "
        f"{runs[-1].as_of}); KPIs need the orders that come after a run"
    )


def open_window_note(runs: Sequence[RunKpis], shown: RunKpis) -> str | None:
    """What a later run's window still lacks, when ``shown`` (see :func:`judged`) is not it."""
    later = [r for r in runs if r.run_id > shown.run_id and r.observed_days > 0]
    if not later:
        return None
    last = later[-1]
    return (
        f"run {last.run_id} (as of {last.as_of}) has only {last.observed_days:g} of its "
        f"{last.window_days} days of orders so far: these are run {shown.run_id}'s, the "
        "latest whole window"
    )


def kpis_payload(name: str, found: Sequence[RunKpis]) -> dict[str, Any]:
    """JSON-ready: the segmentation, every run's KPIs, the run judged by and why not a later one."""
    shown = judged(found)
    return {
        "segmentation": name,
        "runs": [r.to_dict() for r in found],
        "judged_run": None if shown is None else shown.run_id,
        "window_note": no_orders_note(found) if shown is None else open_window_note(found, shown),
    }


def kpis_by_segment(
    project: Project,
    *,
    segmentation: str | None = None,
    window: timedelta = timedelta(days=30),
    runs: Sequence[int] | None = None,
    orders: pl.LazyFrame | None = None,
) -> tuple[str, list[RunKpis]]:
    """The segmentation measured, and each run's KPIs (every stored run by default).

    ``orders`` (the checked transactions, as a run already holds them) saves reading the
    source again.

    Examples
    --------
    >>> import tempfile, segwise as sw
    >>> project = sw.Project.from_yaml(sw.Project.init(tempfile.mkdtemp()))
    >>> _ = project.run(as_of="2024-10-31")
    >>> name, found = kpis_by_segment(project, segmentation="lifecycle")
    >>> round(found[0].observed_days), found[0].segments[0].segment
    (61, '(everyone)')
    """
    if orders is None and project.config.sources.transactions is None:
        raise ConfigError(
            "KPIs measure each segment on the orders after the run, and the project has no "
            "sources.transactions",
            hint="add the orders export to the project file",
        )
    name = customer_segmentation(project, segmentation)
    store = project.store
    stored = store.runs()
    if stored.height == 0:
        raise ConfigError("no runs stored yet", hint="run the project first")
    wanted = stored if runs is None else stored.filter(pl.col("run_id").is_in(list(runs)))
    if wanted.height == 0:
        raise ConfigError(
            f"no run {', '.join(map(str, runs or []))} in the store",
            hint=f"the runs are {', '.join(map(str, stored['run_id'].to_list()))}",
        )
    holdout = segmentation_holdout(project, name)
    if orders is None:
        orders = polars_frame(project.read_source("transactions").data)
    last = orders.select(pl.col("timestamp").max()).collect().item()
    found = []
    for run_id, as_of in wanted.select("run_id", "as_of").iter_rows():
        members = store.memberships(run_id, segmentation=name).select("customer_id", "segment")
        if holdout is not None:
            members = members.with_columns(held_out(members["customer_id"], *holdout))
        start = datetime.combine(as_of, time()) + timedelta(days=1)
        observed = 0.0 if last is None else max(0.0, (last - start).total_seconds() / 86_400)
        outcomes = customer_outcomes(members.lazy(), orders, as_of, window)
        segments = segment_kpis(outcomes, observed)
        if holdout is not None:
            lifts = holdout_lifts(outcomes)
            segments = [replace(s, holdout=lifts.get(s.segment)) for s in segments]
        predicted = stored_predictions(store, int(run_id), name, window.days)
        if predicted:
            segments = _with_predictions(segments, predicted, complete=observed >= window.days)
        found.append(
            RunKpis(
                int(run_id),
                as_of,
                window.days,
                math.floor(observed * 100) / 100,
                segments,
            )
        )
    return name, found


def stored_predictions(store: Any, run_id: int, segmentation: str, days: int) -> dict[str, float]:
    """Segment → the revenue per customer the run predicted over the next ``days``.

    Only predictive (CLV) segments store predictions, for their usual windows
    (:data:`segwise.models.predictions.PREDICTION_WINDOWS`) and horizon; empty otherwise.
    """
    profiles = store.profiles(run_id).filter(pl.col("segmentation") == segmentation)
    found: dict[str, float] = {}
    for segment, profile in profiles.select("segment", "profile").iter_rows():
        value = json.loads(profile).get("predicted_revenue", {}).get(str(days))
        if value is not None:
            found[segment] = float(value)
    return found


def _with_predictions(
    segments: list[SegmentKpis], predicted: dict[str, float], *, complete: bool
) -> list[SegmentKpis]:
    """Each predicted segment set against its prediction; everyone too when all are.

    Everyone's prediction is the members' mean: the segments' weighted by their members.
    """
    members = [s for s in segments if s.segment != EVERYONE]
    if members and all(s.segment in predicted for s in members):
        total = sum(s.customers for s in members)
        if total:
            weighted = sum(predicted[s.segment] * s.customers for s in members)
            predicted = {**predicted, EVERYONE: weighted / total}
    return [
        against_prediction(s, predicted[s.segment], complete=complete)
        if s.segment in predicted
        else s
        for s in segments
    ]


#: The report's KPI section shows at most this many earlier runs per segmentation.
REPORT_RUNS = 6


def report_measurement(project: Project, as_of: date, orders: Any | None) -> dict[str, Any]:
    """The report's "How the segments did" section, for a run as of ``as_of``.

    The stored runs dated before ``as_of`` are measured on ``orders`` (the run's checked
    transactions, in its engine; moved to Polars only when such runs exist), the latest
    six; the analysed experiments' verdicts come from the store.
    """
    store = project.store
    earlier = store.runs().filter(pl.col("as_of") < as_of).tail(REPORT_RUNS)
    kpis = []
    if earlier.height and orders is not None:  # without orders there is nothing to measure
        runs = earlier["run_id"].to_list()
        for name, spec in project.config.segmentations.items():
            if spec.level != "customer" or name not in set(store.sizes()["segmentation"]):
                continue
            _, found = kpis_by_segment(
                project, segmentation=name, runs=runs, orders=polars_frame(orders)
            )
            kpis.append(kpis_payload(name, found))
    return {
        "kpis": kpis,
        "experiments": memory.readouts(store),
        "findings": memory.findings(store).to_dicts(),
    }
