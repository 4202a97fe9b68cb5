"""``segwise sync``'s triggers: each run's movers, as events, to each trigger's destinations.

For each trigger and each of its destinations, the runs after the last one it
fired for are taken in order. For each run, the customers who entered or
left a watched segment since the run before become events, with the reason
for the move (:meth:`segwise.store.Workspace.move_reasons`), governed by the
destination's consent and suppression. A webhook gets them as signed batches
through the outbox; a file destination as one file per trigger and run. The
events and the run they cover are recorded in one transaction: every run's
moves are sent once, none skipped.

A trigger's first sync sends nothing: it marks the latest run as its start,
so a trigger added to a project does not greet the whole customer base.
"""

from __future__ import annotations

import contextlib
import itertools
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import polars as pl

from segwise.activation.destinations import FileDestination, WebhookDestination
from segwise.activation.files import write_events
from segwise.activation.triggers import governed_events, trigger_events, watched
from segwise.activation.webhooks import cut_batches
from segwise.project.holdouts import withheld
from segwise.project.sources import ids_as_written
from segwise.project.sync import contacts_for, folder_of, suppressed_for
from segwise.project.webhooks import Hook, playbooks
from segwise.store import outbox
from segwise.store import triggers as fired
from segwise.store.lock import hold_lock
from segwise.store.sync import Delivery

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from segwise.activation.triggers import Trigger
    from segwise.project.pipeline import Project


@dataclass(frozen=True)
class TriggerResult:
    """One trigger's events for one run and one destination."""

    trigger: str
    destination: str
    run_id: int
    from_run: int | None
    entered: int
    exited: int
    left_out: int  # no consent, or suppressed
    status: str  # started (first sync), planned (dry run), delivered, failed, nothing to send
    batches: int = 0
    failed_batches: int = 0
    files: list[Path] = field(default_factory=list)
    #: Watched segmentations fitted afresh in this run: their moves are a regrouping, not sent.
    regrouped: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (counts, never identifiers)."""
        return {
            **self.__dict__,
            "files": [str(f) for f in self.files],
            "regrouped": list(self.regrouped),
        }


def fire_triggers(
    project: Project,
    *,
    destination: str | None = None,
    dry_run: bool = False,
    progress: Callable[[str], None] | None = None,
) -> list[TriggerResult]:
    """Send each trigger's events for the runs since it last fired (or those to one destination)."""
    store = project.store
    wanted = [
        (name, trigger, target)
        for name, trigger in project.config.triggers.items()
        for target in trigger.destinations()
        if destination is None or target == destination
    ]
    if not wanted or not store.path.exists():
        return []
    runs = store.runs().select("run_id", "as_of").sort("run_id").rows()
    if not runs:
        return []
    lock = store.path.with_name(store.path.name + ".sync")
    held = contextlib.nullcontext() if dry_run else hold_lock(lock, store.lock_timeout, progress)
    results: list[TriggerResult] = []
    with held:
        for name, trigger, target in wanted:
            if progress:
                progress(f"Trigger {name} → {target}")
            results += _fire(project, name, trigger, target, runs, dry_run, progress)
    return results


def _fire(
    project: Project,
    name: str,
    trigger: Trigger,
    target: str,
    runs: list[tuple[Any, ...]],
    dry_run: bool,
    progress: Callable[[str], None] | None,
) -> list[TriggerResult]:
    store = project.store
    last = fired.last_fired(store, name, target)
    latest = int(runs[-1][0])
    if last is None:
        if not dry_run:
            fired.fire(store, name, target, latest, entered=0, exited=0)
        return [TriggerResult(name, target, latest, None, 0, 0, 0, "started")]
    spec = project.config.destinations[target]
    webhook = isinstance(spec, WebhookDestination)
    hook = Hook(project, target, spec, dry_run, progress) if webhook else None
    out = []
    for (previous, _), (run_id, as_of) in itertools.pairwise(runs):
        if run_id > last:
            out.append(
                _fire_run(project, name, trigger, target, (previous, run_id, as_of), hook, dry_run)
            )
    return out


def _fire_run(
    project: Project,
    name: str,
    trigger: Trigger,
    target: str,
    runs: tuple[int, int, Any],
    hook: Hook | None,
    dry_run: bool,
) -> TriggerResult:
    store = project.store
    previous, run_id, as_of = runs
    started = datetime.now()
    spec = project.config.destinations[target]
    events, left_out, regrouped = _events(project, name, trigger, target, previous, run_id)
    entered = int((events["event"] == "enter").sum())
    exited = events.height - entered
    result = TriggerResult(
        name, target, run_id, previous, entered, exited, left_out, "planned", regrouped=regrouped
    )
    if dry_run:
        return result
    if events.height == 0:
        fired.fire(store, name, target, run_id, entered=0, exited=0)
        return _with(result, status="nothing to send")
    delivery_id = f"{name}-run{run_id}"
    header = {"trigger": name, "destination": target, "delivery_id": delivery_id,
              "run_id": run_id, "from_run": previous, "as_of": str(as_of)}  # fmt: skip
    where = spec.url if isinstance(spec, WebhookDestination) else str(folder_of(project, target))
    delivery = Delivery(delivery_id, target, run_id, started, "queued" if hook else "delivered",
                        entered, exited, where, f"trigger {name}: events")  # fmt: skip
    if hook is not None:
        assert isinstance(spec, WebhookDestination)
        batches = cut_batches(events, spec.batch_size, kind="segwise.segment.events",
                              header=header, playbooks=playbooks(project, run_id), items="events",
                              first_sequence=outbox.next_sequence(store, target))  # fmt: skip
        fired.fire(store, name, target, run_id, entered=entered, exited=exited,
                   delivery=delivery, batches=batches)  # fmt: skip
        failed = hook.send(batches)
        return _with(result, status="failed" if failed else "delivered", batches=len(batches),
                     failed_batches=failed)  # fmt: skip
    assert isinstance(spec, FileDestination)
    rows = events.with_columns(
        pl.lit(run_id).alias("run_id"), pl.lit(previous).alias("from_run"),
        pl.lit(as_of).alias("as_of"),
    )  # fmt: skip
    manifest = {**header, "entered": entered, "exited": exited, "segments": trigger.segments}
    files = write_events(rows, spec, folder_of(project, target), f"{target}-{name}-run{run_id}",
                         manifest)  # fmt: skip
    fired.fire(store, name, target, run_id, entered=entered, exited=exited, delivery=delivery)
    return _with(result, status="delivered", files=files)


def _events(
    project: Project, name: str, trigger: Trigger, target: str, previous: int, run_id: int
) -> tuple[pl.DataFrame, int, tuple[str, ...]]:
    """The governed events of one run, and what was not sent.

    Returns the events, how many customers were left out, and the watched
    segmentations whose moves were held back because the run fitted them afresh.
    """
    store = project.store
    spec = project.config.destinations[target]
    found = store.changes(previous, run_id)
    movers = found.movers.filter(watched(trigger.segments))
    # A cluster fitted afresh renames its groups: everyone would "enter" and "leave" without
    # buying anything differently, and a campaign would greet them all.
    refitted = [r.segmentation for r in found.refits]
    regrouped = tuple(sorted(set(movers["segmentation"].unique()) & set(refitted)))
    movers = movers.filter(~pl.col("segmentation").is_in(refitted))
    # A segmentation new in this run (or gone from it) has no moves, only a beginning.
    sizes = store.sizes()
    kept = [
        set(sizes.filter(pl.col("run_id") == run)["segmentation"]) for run in (previous, run_id)
    ]
    movers = movers.filter(pl.col("segmentation").is_in(sorted(kept[0] & kept[1])))
    reasons = store.move_reasons(previous, run_id, movers)
    events = trigger_events(trigger, target, movers, reasons)
    # Customers in a standing holdout get no event either (they are never activated).
    keys = ["segmentation", "segment", "customer_id"]
    held = withheld(project, events.select(keys), destination=target, spec=spec)
    sent = events.join(held, on=keys, how="anti")
    contacts = contacts_for(project, target, spec, sent)
    allowed, left_out = governed_events(sent, spec, contacts, suppressed_for(project, target, spec))
    # With pseudonyms in the store, receivers get the ids as the sources write them.
    return ids_as_written(allowed, contacts), left_out + events.height - sent.height, regrouped


def _with(result: TriggerResult, **changes: Any) -> TriggerResult:
    return TriggerResult(**{**result.__dict__, **changes})
