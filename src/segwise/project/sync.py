"""``segwise sync``: bring each destination of the project in step with the latest run.

For each destination: its segments' members in the latest run, the customers
source's identifier and consent columns, the suppression list and what the
destination holds as last sent (the store) go into
:func:`segwise.activation.sync.plan_sync`; the delivery is written
(:mod:`segwise.activation.files`), then recorded with the new state in one
transaction. Webhooks are queued in the store's outbox by that transaction and
sent after it; batches an earlier sync left unsent go first
(:mod:`segwise.store.outbox`). ``dry_run`` stops after the plan.

Syncs of one store go one at a time (a lock beside the store, apart from the
runs' lock: a run does not wait for a slow receiver).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

import polars as pl

from segwise._validation import hint_for
from segwise.activation.destinations import WebhookDestination
from segwise.activation.files import write_delivery
from segwise.activation.sync import SyncPlan, erasure_plan, plan_sync
from segwise.exceptions import ConfigError
from segwise.project.consents import granted_today
from segwise.project.holdouts import withheld
from segwise.project.sources import WRITTEN_ID, customer_columns
from segwise.project.webhooks import Hook, playbooks
from segwise.store import sync as state
from segwise.store.lock import hold_lock

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from segwise.activation.destinations import Destination
    from segwise.project.experiments import Assignment
    from segwise.project.pipeline import Project


@dataclass(frozen=True)
class SyncResult:
    """One destination's sync: its plan, and what was written (nothing on a dry run)."""

    plan: SyncPlan
    status: str  # planned (dry run), delivered, unchanged, failed (webhook batches parked)
    files: list[Path] = field(default_factory=list)
    #: Webhooks: batches of this delivery, and how many were parked as failed.
    batches: int = 0
    failed_batches: int = 0
    #: Webhooks: batches an earlier sync left unsent (sent first; on a dry run, waiting).
    earlier_batches: int = 0
    earlier_failed: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (counts, never identifiers)."""
        return {
            "destination": self.plan.destination,
            "mode": self.plan.mode,
            "run_id": self.plan.run_id,
            "delivery_id": self.plan.delivery_id,
            "status": self.status,
            "adds": self.plan.adds.height,
            "removes": self.plan.removes.height,
            "segments": [s.to_dict() for s in self.plan.segments],
            "files": [str(f) for f in self.files],
            "batches": self.batches,
            "failed_batches": self.failed_batches,
            "earlier_batches": self.earlier_batches,
            "earlier_failed": self.earlier_failed,
        }


def sync_destinations(
    project: Project,
    *,
    destination: str | None = None,
    dry_run: bool = False,
    progress: Callable[[str], None] | None = None,
) -> list[SyncResult]:
    """Sync every destination of the project (or the one named) with the latest run."""
    destinations = project.config.destinations
    if destination is not None and destination not in destinations:
        raise ConfigError(
            f"no destination '{destination}' in the project",
            hint=hint_for(destination, list(destinations)) if destinations else
            "declare destinations: in segwise.yaml (docs/activation.md)",
        )  # fmt: skip
    if not destinations:
        raise ConfigError(
            "the project has no destinations", hint="declare destinations: in segwise.yaml"
        )
    store = project.store
    run = store.last_run()
    if run is None:
        raise ConfigError("no run to sync", hint="run the project first: segwise run CONFIG")
    results = []
    with sync_lock(project, dry_run=dry_run, progress=progress):
        for name, spec in destinations.items():
            if destination is not None and name != destination:
                continue
            if progress:
                progress(f"Destination {name}")
            members = _members(project, name, spec, int(run["run_id"]))
            results.append(
                _sync_one(project, name, spec, run, members, dry_run=dry_run, progress=progress)
            )
    return results


def send_assignment(
    project: Project,
    assignment: Assignment,
    destination: str,
    *,
    dry_run: bool = False,
    progress: Callable[[str], None] | None = None,
) -> tuple[SyncResult, pl.DataFrame]:
    """Send an experiment's variants to ``destination``, one audience per variant.

    The variants go as the segments of ``experiment:<name>``, under the
    destination's identifiers, consent, suppression, hashing, minimum size and
    holdout, diffed against what it holds of that experiment only (the segments'
    syncs and this leave each other's audiences alone). Returned with the sync:
    the rows of the assignment the destination holds after it (on a dry run,
    would hold), the exposure log of who can be reached.
    """
    spec = project.config.destinations.get(destination)
    if spec is None:
        raise ConfigError(
            f"no destination '{destination}' in the project",
            hint=hint_for(destination, list(project.config.destinations))
            or "declare destinations: in segwise.yaml (docs/activation.md)",
        )
    runs = project.store.runs().filter(pl.col("run_id") == assignment.run_id)
    scope = state.experiment_scope(assignment.experiment)
    members = assignment.table.select(
        pl.lit(scope).alias("segmentation"),
        pl.col("variant").alias("segment"),
        pl.col("customer_id").cast(pl.String),
    )
    with sync_lock(project, dry_run=dry_run, progress=progress):
        before = state.sent(project.store, destination, scope)
        found = _sync_one(
            project,
            destination,
            spec,
            runs.to_dicts()[0],
            members,
            dry_run=dry_run,
            progress=progress,
            scope=scope,
        )
    keys = ["segment", "customer_id"]
    kept = before.clear() if spec.mode == "snapshot" else before  # a snapshot replaces it
    held = pl.concat(
        [
            kept.join(found.plan.removes, on=keys, how="anti").select(keys),
            found.plan.adds.select(keys),
        ]
    ).rename({"segment": "variant"})
    return found, assignment.table.join(held, on=["variant", "customer_id"], how="semi")


def sync_lock(
    project: Project, *, dry_run: bool = False, progress: Callable[[str], None] | None = None
) -> contextlib.AbstractContextManager[object]:
    """Syncs of one store go one at a time (a dry run changes nothing: no lock)."""
    store = project.store
    lock = store.path.with_name(store.path.name + ".sync")
    return contextlib.nullcontext() if dry_run else hold_lock(lock, store.lock_timeout, progress)


def _sync_one(
    project: Project,
    name: str,
    spec: Destination,
    run: dict[str, Any],
    members: pl.DataFrame,
    *,
    dry_run: bool,
    progress: Callable[[str], None] | None,
    scope: str | None = None,
) -> SyncResult:
    store = project.store
    run_id = int(run["run_id"])
    started = datetime.now()
    webhook = isinstance(spec, WebhookDestination)
    hook = Hook(project, name, spec, dry_run, progress) if webhook else None
    earlier = hook.resend() if hook else (0, 0)
    plan = plan_sync(
        name,
        spec,
        run_id=run_id,
        members=members,
        held_out=withheld(project, members, destination=name, spec=spec),
        contacts=(contacts := contacts_for(project, name, spec, members)),
        suppressed=suppressed_for(project, name, spec),
        sent=state.sent(store, name, scope),
        previous=state.previous_delivery(store, name),
    )
    plan = _as_written(plan, contacts)
    if dry_run:
        return SyncResult(plan, "planned", earlier_batches=earlier[0])
    target = spec.url if isinstance(spec, WebhookDestination) else str(folder_of(project, name))
    skipped = "; ".join(f"{s.segment}: {s.skipped}" for s in plan.segments if s.skipped)
    delivery = state.Delivery(
        plan.delivery_id, name, run_id, started, "queued" if hook else "delivered",
        plan.adds.height, plan.removes.height, target, skipped,
    )  # fmt: skip
    if plan.changes == 0 and spec.mode != "snapshot":
        unchanged = state.Delivery(
            plan.delivery_id, name, run_id, started, "unchanged", 0, 0, target, skipped
        )
        state.log_only(store, unchanged)
        return SyncResult(plan, "unchanged", earlier_batches=earlier[0], earlier_failed=earlier[1])
    replace = spec.mode == "snapshot"
    if hook is not None:
        batches = hook.batches(plan, run)
        state.commit(store, delivery, adds=plan.adds, removes=plan.removes, replace=replace,
                     batches=batches, scope=scope)  # fmt: skip
        failed = hook.send(batches)
        return SyncResult(plan, "failed" if failed else "delivered", [], len(batches), failed,
                          *earlier)  # fmt: skip
    files = write_delivery(plan, spec, folder_of(project, name), _manifest(project, plan, run))
    state.commit(
        store, delivery, adds=plan.adds, removes=plan.removes, replace=replace, scope=scope
    )
    return SyncResult(plan, "delivered", files)


def _as_written(plan: SyncPlan, contacts: pl.DataFrame) -> SyncPlan:
    """``plan`` sending the ids as the sources write them, when the store holds pseudonyms."""
    if WRITTEN_ID not in contacts.columns:
        return plan
    written = contacts.select("customer_id", pl.col(WRITTEN_ID).alias("written_id"))
    return replace(plan, written_ids=written)


def folder_of(project: Project, name: str) -> Path:
    """The folder destination ``name`` writes its files to."""
    spec = project.config.destinations[name]
    return project.resolve(getattr(spec, "path", "."), key=f"destinations.{name}.path")


def _members(project: Project, name: str, spec: Destination, run_id: int) -> pl.DataFrame:
    """``segmentation, segment, customer_id`` of the destination's segments in the run."""
    store = project.store
    held = store.sizes().filter(pl.col("run_id") == run_id).select("segmentation", "segment")
    wanted: list[tuple[str, str]] = []
    for pattern in spec.segments:
        segmentation, _, segment = pattern.partition("/")
        found = held.filter(pl.col("segmentation") == segmentation)
        if found.height == 0:
            raise ConfigError(
                f"destinations.{name}.segments: run {run_id} has no segmentation '{segmentation}'",
                hint=hint_for(segmentation, held["segmentation"].unique().to_list()),
            )
        if segment != "*":
            names = found["segment"].to_list()
            if segment not in names:
                raise ConfigError(
                    f"destinations.{name}.segments: '{segmentation}' has no segment "
                    f"'{segment}' in run {run_id}",
                    hint=hint_for(segment, names),
                )
            found = found.filter(pl.col("segment") == segment)
        wanted += [(a, b) for a, b in found.iter_rows()]
    pairs = pl.DataFrame(
        {"segmentation": [a for a, _ in wanted], "segment": [b for _, b in wanted]},
        schema={"segmentation": pl.String, "segment": pl.String},
    ).unique(maintain_order=True)
    everyone = store.memberships(run_id).with_columns(pl.col("customer_id").cast(pl.String))
    return everyone.join(pairs, on=["segmentation", "segment"], how="semi").select(
        "segmentation", "segment", "customer_id"
    )


def contacts_for(
    project: Project, name: str, spec: Destination, members: pl.DataFrame
) -> pl.DataFrame:
    """The customers source's id, identifier, consent and country columns (for ``name``).

    A destination that checks a purpose of the consent history gets its column
    (``consent:<purpose>``: ``granted`` where consent is in force today).
    """
    columns = [*spec.identifiers, *spec.consent_columns(), getattr(spec, "country_col", None)]
    wanted = list(dict.fromkeys(c for c in columns if c))
    pseudonyms = project.config.privacy.pseudonymise and project.config.sources.customers
    if not wanted and not pseudonyms:
        contacts = members.select(pl.col("customer_id").cast(pl.String)).unique()
    else:
        contacts = customer_columns(project, wanted, asked_by=f"destinations.{name}")
    if spec.consent_purpose is None:
        return contacts
    return contacts.join(
        granted_today(project, spec.consent_purpose, spec.consent_column or ""),
        on="customer_id",
        how="left",
    )


def suppressed_for(project: Project, name: str, spec: Destination) -> list[str]:
    """Customer ids of ``name``'s suppression list (``customer_id`` column, else the first)."""
    if spec.suppression is None:
        return []
    path = project.resolve(spec.suppression, key=f"destinations.{name}.suppression")
    if not path.exists():
        raise ConfigError(
            f"destinations.{name}.suppression: {path} does not exist",
            hint="give a CSV of customer ids",
        )
    table = pl.read_csv(path, infer_schema=False)
    column = "customer_id" if "customer_id" in table.columns else table.columns[0]
    return table[column].drop_nulls().str.strip_chars().to_list()


def _manifest(project: Project, plan: SyncPlan, run: dict[str, Any]) -> dict[str, Any]:
    """What travels with the audience: the run, each segment's counts and playbook."""
    found = playbooks(project, plan.run_id)
    return {
        "destination": plan.destination,
        "delivery_id": plan.delivery_id,
        "mode": plan.mode,
        "run_id": plan.run_id,
        "as_of": str(run["as_of"]),
        "identifiers": list(plan.identifiers),
        "segments": [
            {
                **s.to_dict(),
                "playbook": found.get((s.segmentation, s.segment)),
            }
            for s in plan.segments
        ],
    }


def send_erasure(project: Project, name: str, held: pl.DataFrame) -> tuple[str, int, int]:
    """Tell webhook ``name`` to drop erased customers: ``held`` (its rows for them) removed.

    Queued in the outbox with the state change, then sent at once; a batch that fails
    waits there (with its identifiers) for the next ``segwise sync``. Returns the
    delivery id, the batches and how many failed.
    """
    spec = project.config.destinations[name]
    store = project.store
    run = store.last_run()
    assert run is not None and isinstance(spec, WebhookDestination)
    contacts = contacts_for(project, name, spec, held)
    plan = erasure_plan(
        name, spec, run_id=int(run["run_id"]), held=held, contacts=contacts,
        previous=state.previous_delivery(store, name),
    )  # fmt: skip
    plan = _as_written(plan, contacts)
    hook = Hook(project, name, spec, dry_run=False, progress=None)
    batches = hook.batches(plan, run)
    delivery = state.Delivery(
        plan.delivery_id, name, plan.run_id, datetime.now(), "queued", 0, plan.removes.height,
        spec.url, "erasure (segwise forget)",
    )  # fmt: skip
    state.commit(store, delivery, adds=plan.adds, removes=plan.removes, batches=batches)
    return plan.delivery_id, len(batches), hook.send(batches)
