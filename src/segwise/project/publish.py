"""A run's last step: store it and write its report, both complete or neither.

The report is rendered to a temporary file before the run commits and
replaces the old one only after: a failed commit leaves the previous report,
a failed report stores no run. Work that must wait for the commit (a cluster
model fitted in this run, for the next ones) runs last.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import polars as pl

from segwise._version import __version__
from segwise.exceptions import SegwiseError
from segwise.io.writers import atomic_path
from segwise.profiling.profiles import value_column
from segwise.project.edits import edit_alert
from segwise.project.health import Alert, drift_alerts, size_alerts
from segwise.project.kpis import report_measurement
from segwise.project.population import source_name
from segwise.project.stale_models import stale_model_alerts
from segwise.project.tenure_window import censored_tenure
from segwise.project.write_back import write_back
from segwise.report.changes import PreviousRun, changes_section
from segwise.report.project import render_project_report
from segwise.store import RunRecord, SegmentationRecord
from segwise.store.definitions import edited_segmentations

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from segwise.io.quality import QualityReport
    from segwise.profiling.cards import SegmentationResult
    from segwise.project.methods import RunInputs
    from segwise.project.pipeline import Project
    from segwise.store import Workspace


@dataclass
class RunResult:
    """What a run produced."""

    run_id: int
    as_of: date
    engine: str
    customers: int
    report: Path
    store: Path
    quality: list[QualityReport]
    segmentations: list[SegmentationResult]
    #: Health findings against the previous run (size changes, feature drift).
    alerts: list[Alert] = field(default_factory=list)
    #: How long ago the previous successful run was, and the failures since (None: first run).
    since_last_success: str | None = None
    #: Accounts segmented (B2B projects with a segmentation at ``level: account``), else None.
    accounts: int | None = None
    #: ``(level, message)``: customers of the sources that no segment holds, and why.
    population: list[tuple[str, str]] = field(default_factory=list)
    #: ``(level, message)``: what the data's shape means for reading the cards (tenure cut
    #: short by the start of the orders: :mod:`segwise.project.tenure_window`).
    notes: list[tuple[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The run in brief, as ``segwise run --json`` prints it: segment sizes per segmentation."""
        return {
            "run_id": self.run_id,
            "as_of": self.as_of.isoformat(),
            "engine": self.engine,
            "customers": self.customers,
            "accounts": self.accounts,
            "report": str(self.report),
            "store": str(self.store),
            "segmentations": {
                s.name: {c.name: c.size for c in s.cards} for s in self.segmentations
            },
            "alerts": [a.to_dict() for a in self.alerts],
            "since_last_success": self.since_last_success,
            "population": [{"level": level, "message": text} for level, text in self.population],
            "notes": [{"level": level, "message": text} for level, text in self.notes],
        }


def publish(
    project: Project,
    inputs: RunInputs,
    quality: list[QualityReport],
    results: list[SegmentationResult],
    *,
    engine: str,
    started: datetime,
    step: Callable[[str], None],
    fingerprints: dict[str, Any] | None = None,
) -> RunResult:
    """Store the run and write its report: both complete, or neither."""
    config, store = project.config, project.store
    # The id first: on a first run that creates the store the reads then need.
    run_id = store.next_run_id()
    seen = _stored_so_far(project, inputs, results, started, step)
    previous, edits, alerts, since = seen.previous, seen.edits, seen.alerts, seen.since
    population, notes = _said(inputs, config.sources.customers)
    record = RunRecord(
        project=config.name,
        as_of=inputs.as_of,
        config_hash=project.config_hash,
        config=project.text,
        version=__version__,
        engine=engine,
        customers=inputs.features.height,
        started_at=started,
        segmentations=[_record(r) for r in results],
        features=_read_columns(seen.units, results),
        fingerprints=fingerprints,
        cached_features=inputs.features,
        alerts=[a.to_dict() for a in alerts],
        contacts=inputs.contacts,
    )
    report_path = project.resolve(config.report, key="report")
    with atomic_path(report_path) as pending:
        render_project_report(
            pending,
            project=config.name,
            run_id=run_id,
            as_of=inputs.as_of,
            engine=engine,
            quality=quality,
            segmentations=results,
            config_text=project.text,
            # The run's own start, not the clock: re-rendering a run gives the same bytes.
            generated=started.astimezone(UTC),
            currency=config.currency,
            changes=changes_section(
                previous,
                results,
                run_id=run_id,
                as_of=inputs.as_of,
                k_min=config.privacy.k_min,
                edited=edits,
            ),
            alerts=[a.to_dict() for a in alerts],
            since=since,
            measurement=seen.measurement,
            k_min=config.privacy.k_min,
            population=[*population, *notes],
            value_column=inputs.value or value_column(inputs.features),
        )
        step("Storing the run")
        write_back(project, record, run_id, step)
        stored = store.write_run(record, progress=step, lock=False)
        if stored != run_id:  # pragma: no cover - the lock makes this impossible
            raise SegwiseError(f"run {run_id} was stored as {stored}")
    store.mark_report(run_id, report_path)
    for result in results:
        if result.after_commit is not None:
            result.after_commit()
    return RunResult(
        run_id,
        inputs.as_of,
        engine,
        inputs.features.height,
        report_path,
        store.path,
        quality,
        results,
        alerts,
        since,
        None if inputs.accounts is None else inputs.accounts.features.height,
        population,
        notes,
    )


@dataclass(frozen=True, slots=True)
class _StoredSoFar:
    """What the runs stored before this one say about it: its changes, alerts and KPIs."""

    previous: PreviousRun | None
    units: pl.DataFrame
    edits: frozenset[str]
    alerts: list[Alert]
    since: str | None
    measurement: dict[str, Any]


def _stored_so_far(
    project: Project,
    inputs: RunInputs,
    results: list[SegmentationResult],
    started: datetime,
    step: Callable[[str], None],
) -> _StoredSoFar:
    """Read what the report and the alerts need of the earlier runs, through one connection.

    They are 16 reads, and opening a connection costs ~20 ms: a fifth of a small run.
    """
    step("Checking the segments' health")
    store, k_min = project.store, project.config.privacy.k_min
    with store.reading():
        previous = _previous_run(store)
        units = unit_features(inputs, results)
        edits = _edits(store, previous, results, project.text)
        alerts = _alerts(store, previous, results, inputs, units, k_min, edits)
        since = last_success(store, started)
        step("Writing the report")
        orders = inputs.tables.get("transactions")
        measurement = report_measurement(project, inputs.as_of, orders)
    return _StoredSoFar(previous, units, edits, alerts, since, measurement)


def _said(inputs: RunInputs, customers: Any) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Who no segment holds, and what the data's shape means for reading the cards."""
    return _population(inputs, customers), _notes(inputs, customers)


def _notes(inputs: RunInputs, customers: Any) -> list[tuple[str, str]]:
    """What the data's shape means for reading the cards, as the CLI and the report say it."""
    if customers is not None and customers.joined is not None:
        return []  # tenure counts from the joining date, which the orders' window cannot cut
    note = censored_tenure(inputs.features, inputs.as_of)
    return [] if note is None else [("note", note)]


def _population(inputs: RunInputs, customers: Any) -> list[tuple[str, str]]:
    """Who in the sources no segment holds, as the CLI and the report say it."""
    if inputs.left_out is None:
        return []
    return inputs.left_out.notes(source_name(customers))


def unit_features(inputs: RunInputs, results: list[SegmentationResult]) -> pl.DataFrame:
    """The features of everyone a segmentation counts: customers, and accounts when segmented.

    Account rows go beside the customers' (movers' reasons and drift read
    them by id), unless an account id is also a customer id: then the
    account-level results say that their moves cannot be explained.
    """
    accounts = inputs.accounts
    if accounts is None or not any(r.level == "account" for r in results):
        return inputs.features
    ids = inputs.features.select(pl.col("customer_id").cast(pl.String))
    shared = accounts.features.select(pl.col("customer_id").cast(pl.String)).join(
        ids, on="customer_id", how="semi"
    )
    if shared.height == 0:
        return pl.concat([inputs.features, accounts.features], how="diagonal_relaxed")
    note = (
        f"{shared.height:,} account ids are also customer ids (e.g. '{shared['customer_id'][0]}'): "
        "account moves are kept, but their reasons and drift are not (prefix the account ids)"
    )
    for result in results:
        if result.level == "account":
            result.warnings.append(note)
            result.definition["warnings"] = list(result.warnings)
            result.definition["values_kept"] = False  # history must not read the contacts' rows
    return inputs.features


def _read_columns(features: pl.DataFrame, results: list[SegmentationResult]) -> pl.DataFrame:
    """The customer-table columns the segmentations read: kept for customers who move."""
    read = {column for result in results for column in result.reads}
    return features.select("customer_id", *[c for c in features.columns if c in read])


def _previous_run(store: Workspace) -> PreviousRun | None:
    """The last stored run's members and every run's sizes, for "What changed"."""
    last = store.last_run()
    if last is None:
        return None
    with store.reading():
        runs = store.runs()["run_id"].to_list()
        # The moves of the last dozen run pairs, as `segwise changes --forecast` fits on.
        since = runs[-12] if len(runs) >= 12 else 0
        return PreviousRun(
            last["run_id"],
            last["as_of"],
            store.memberships(last["run_id"]),
            store.sizes(),
            store.transitions(since=since),
        )


def _record(result: SegmentationResult) -> SegmentationRecord:
    """What the store keeps of one segmentation: definition, cards, members, decided-from values."""
    cards = [c.to_dict() for c in result.cards]
    return SegmentationRecord(
        result.name, result.method, result.definition, cards, result.members, details=result.details
    )


def _edits(
    store: Workspace, previous: PreviousRun | None, results: list[SegmentationResult], text: str
) -> frozenset[str]:
    """The segmentations edited since the previous run (none on a first run)."""
    if previous is None:
        return frozenset()
    return frozenset(
        edited_segmentations(
            store.run_config(previous.run_id),
            store.definitions(previous.run_id),
            text,
            {r.name: {**r.definition, "method": r.method} for r in results},
        )
    )


def _alerts(
    store: Workspace,
    previous: PreviousRun | None,
    results: list[SegmentationResult],
    inputs: RunInputs,
    units: pl.DataFrame,
    k_min: int,
    edits: frozenset[str],
) -> list[Alert]:
    """Stale frozen models; size changes and feature drift against the previous run.

    A segmentation edited since the previous run gets one alert saying so instead of its
    size and drift alerts (:mod:`segwise.project.edits`).
    """
    found = stale_model_alerts(results)
    if previous is None:
        return found
    for result in results:
        if result.name in edits:
            before = previous.members.filter(pl.col("segmentation") == result.name)
            found.append(edit_alert(result, before, previous.run_id, k_min))
    results = [r for r in results if r.name not in edits]
    for level in ("customer", "account"):
        at_level = [r for r in results if r.level == level]
        if at_level:
            customers = inputs.at(level).features.height
            found += size_alerts(previous.members, at_level, customers, k_min)
    # Drift reads members' rows by id: account segments only when their rows are there.
    watched = [r for r in results if r.definition.get("values_kept") is not False]
    elapsed = (inputs.as_of - previous.as_of).days
    found += drift_alerts(
        previous.members, store.latest_features(), watched, units, elapsed_days=elapsed
    )
    return found


def last_success(store: Workspace, now: datetime) -> str | None:
    """When the previous successful run was, and the failures since; None for a first run.

    E.g. ``previous successful run: run 4, 3 days ago; 1 failed run since (last: …)``.
    """
    last = store.last_run()
    if last is None:
        return None
    finished = last["finished_at"]
    failures = store.failures()
    since = failures.filter(pl.col("failed_at") > finished) if failures.height else failures
    text = f"previous successful run: run {last['run_id']}, {_ago(now - finished)} ago"
    if since.height:
        error = str(since["error"][-1]).splitlines()[0][:200]
        text += (
            f"; {since.height} failed run{'s' if since.height > 1 else ''} since (last: {error})"
        )
    return text


def _ago(delta: timedelta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count > 1 else ''}"
    return f"{seconds} seconds"
