"""``segwise forget``: a customer erased from every place segwise wrote, and kept out.

Places: the store (:mod:`segwise.store.erasure`: their rows, their names in
texts, then the file rewritten so the bytes are gone), the memberships written
back to the warehouse (``engine.spark.memberships``), the quarantine files,
every file a destination was sent, the exports the audit log recorded, the
report and the service's job files. Each file loses the rows, or the quoted
values, that name the customer: their id, the personal columns of the
customers source (``pii:`` and columns named like an email, phone, name, address or
birth date) and
those values hashed as they were sent (SHA-256 as written, and as Meta and
Google normalise them). A tombstone (a keyed hash of the id) makes later runs
drop the customer's rows from the sources again, counted as ``erased`` in the
quality report, until the source no longer holds them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from segwise.activation.audience import identifier_kind
from segwise.activation.destinations import WebhookDestination
from segwise.io.redact import redact_file
from segwise.privacy.identifiers import PLATFORMS, hash_identifier, normalize_identifier
from segwise.privacy.pii import personal_kind
from segwise.privacy.secret import keyed_hashes, require_key
from segwise.project.jobs import jobs_folder
from segwise.project.paths import QUARANTINE_DIR
from segwise.project.sync import send_erasure, sync_lock
from segwise.project.tombstones import project_key
from segwise.project.write_back import erase_written_back
from segwise.store import audit
from segwise.store.erasure import erase_customers
from segwise.store.sync import held_for

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from segwise.project.pipeline import Project


@dataclass(frozen=True)
class Erasure:
    """What ``forget`` removed (or, on a dry run, would): counts and places, never ids."""

    customers: int
    dry_run: bool
    #: Rows (or redacted texts) per store table.
    store: dict[str, int] = field(default_factory=dict)
    #: Rows dropped or values redacted per file, by path relative to the project.
    files: dict[str, int] = field(default_factory=dict)
    #: Values searched for: ids, personal columns, their hashes.
    tokens: int = 0
    #: Webhooks told to drop them: removes sent, batches, and batches that failed (queued).
    webhooks: dict[str, dict[str, int]] = field(default_factory=dict)
    #: Rows removed from the memberships written back to the warehouse, by its name.
    warehouse: dict[str, int] = field(default_factory=dict)

    @property
    def places(self) -> int:
        """How many places held the customers: store tables, files and warehouse tables."""
        return len(self.store) + len(self.files) + len(self.warehouse)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "customers": self.customers,
            "dry_run": self.dry_run,
            "places": self.places,
            "store": self.store,
            "files": self.files,
            "webhooks": self.webhooks,
            "warehouse": self.warehouse,
        }


def forget(
    project: Project, customer_ids: Sequence[str], *, dry_run: bool = False, actor: str = "segwise"
) -> Erasure:
    """Erase ``customer_ids`` from the store and every file segwise wrote, and tombstone them.

    Holds the store's lock, so no run writes meanwhile (it waits for one in progress).
    """
    ids = sorted({str(i).strip() for i in customer_ids if str(i).strip()})
    key = require_key(project_key(project), "segwise forget", project.config.privacy.key_env)
    hashes = keyed_hashes(key, ids)
    tokens = identifying_values(project, ids)
    # With pseudonyms the store holds their keyed hashes: the same as the tombstones.
    stored = hashes if project.config.privacy.pseudonymise else ids
    if project.config.privacy.pseudonymise:  # files written since hold their pseudonyms
        tokens |= set(keyed_hashes(key, sorted(tokens)))
    with project.store.locked(), sync_lock(project, dry_run=dry_run):
        webhooks, pending = _tell_webhooks(project, stored, dry_run=dry_run)
        files = {}
        for path in written_files(project):
            found = _count_only(path, tokens) if dry_run else redact_file(path, tokens)
            if found:
                files[_shown(project, path)] = found
        # A subject access file is about them alone: it goes whole, and its path (which
        # may carry their id) leaves the audit log with them.
        paths = set()
        for path in (p for p in recorded_outputs(project, "access") if p.is_file()):
            if _count_only(path, tokens):
                files[_shown(project, path)] = 1
                paths.add(str(path))
                if not dry_run:
                    path.unlink()
        # Before the store: a refused rewrite leaves the store as it was, to run forget again.
        warehouse = erase_written_back(project, stored, dry_run=dry_run)
        store = erase_customers(
            project.store, stored, tokens | paths, hashes, dry_run=dry_run, keep_deliveries=pending
        )
    erasure = Erasure(len(ids), dry_run, store, files, len(tokens), webhooks, warehouse)
    if not dry_run and project.store.path.exists():
        detail = {"customers": len(ids), "places": erasure.places, **store}
        audit.record(project.store, actor, "forget", "customers", detail=detail)
    return erasure


def _tell_webhooks(
    project: Project, ids: Sequence[str], *, dry_run: bool
) -> tuple[dict[str, dict[str, int]], set[str]]:
    """Send each webhook that holds them their removal; the deliveries still waiting."""
    told: dict[str, dict[str, int]] = {}
    pending: set[str] = set()
    if not project.store.path.exists():
        return told, pending
    for name, spec in project.config.destinations.items():
        if not isinstance(spec, WebhookDestination):
            continue
        held = held_for(project.store, name, ids)
        if not held.height:
            continue
        told[name] = {"removes": held.height, "batches": 0, "failed": 0}
        if dry_run:
            continue
        delivery, batches, failed = send_erasure(project, name, held)
        told[name].update(batches=batches, failed=failed)
        if failed:
            pending.add(delivery)
    return told, pending


def identifying_values(project: Project, customer_ids: Sequence[str]) -> set[str]:
    """Every value that names these customers in what segwise wrote.

    Their ids and personal columns as written, and each hashed with SHA-256 as
    written and as every ad platform normalises it.
    """
    tokens = set(customer_ids)
    # A numeric id read from a float column is written "12358.0" in a quarantine file.
    tokens |= {f"{i}.0" for i in customer_ids if i.isdigit()}
    for kind, value in _personal_values(project, customer_ids):
        tokens.add(value)
        for platform in PLATFORMS:
            for country in _countries(project):
                if kind is None:
                    continue
                normalised = normalize_identifier(value, kind, platform, country)  # type: ignore[arg-type]
                hashed = hash_identifier(value, kind, platform, country)  # type: ignore[arg-type]
                tokens.update(v for v in (normalised, hashed) if v)
    tokens |= {hashlib.sha256(t.encode("utf-8")).hexdigest() for t in list(tokens)}
    return {t for t in tokens if t}


def _personal_values(project: Project, customer_ids: Sequence[str]) -> Iterator[tuple[Any, str]]:
    """(kind, value) of each personal column of the customers source for these customers.

    A value another customer shares (``true`` in a flag, a country) names nobody, and
    redacting it would damage other people's rows: only values held by these
    customers alone are returned.
    """
    source = project.config.sources.customers
    if source is None or not customer_ids:
        return
    data = project.read_source("customers", keep_erased=True, as_written=True).data
    names = data.collect_schema().names()
    columns = [c for c in names if c in source.pii or personal_kind(c) is not None]
    if not columns:
        return
    table = data.select("customer_id", *columns).collect(backend="polars").to_native()
    table = table.with_columns(pl.col(columns).cast(pl.String).str.strip_chars())
    theirs = pl.col("customer_id").cast(pl.String).is_in(list(customer_ids))
    for column in columns:
        values = table.filter(theirs)[column].drop_nulls().unique().to_list()
        shared = table.filter(pl.col(column).is_in(values) & ~theirs)[column].unique().to_list()
        for value in sorted(set(values) - set(shared)):
            if value:
                yield identifier_kind(column), value


def _countries(project: Project) -> list[str | None]:
    """The countries phone numbers were read in (each ad destination's ``country``)."""
    found = {getattr(spec, "country", None) for spec in project.config.destinations.values()}
    return [None, *sorted(c for c in found if c)]


def written_files(project: Project) -> list[Path]:
    """Every file segwise wrote for the project that may name a customer."""
    folders = [project.resolve(QUARANTINE_DIR, key="quarantine"), jobs_folder(project.store.path)]
    for name, spec in project.config.destinations.items():
        path = getattr(spec, "path", None)
        if path is not None:
            folders.append(project.resolve(path, key=f"destinations.{name}.path"))
    files = [f for folder in folders if folder.is_dir() for f in sorted(folder.rglob("*"))]
    files.append(project.resolve(project.config.report, key="report"))
    files += recorded_outputs(project)
    seen: set[Path] = set()
    return [f for f in files if f.is_file() and not (f in seen or seen.add(f))]  # type: ignore[func-returns-value]


def recorded_outputs(project: Project, action: str | None = None) -> list[Path]:
    """The files an action wrote (every action's but ``access``), as the audit log recorded them.

    ``export``, ``members``, ``changes``, ``experiment assign`` and ``access`` record their
    ``-o`` file, ``segwise serve --log-file`` its log. A subject access file is left out of
    every action's: it is about one customer and goes whole.
    """
    if not project.store.path.exists():
        return []
    chosen = pl.col("action") != "access" if action is None else pl.col("action") == action
    entries = audit.entries(project.store).filter(chosen)
    details = [json.loads(d) for d in entries["detail"].drop_nulls().to_list()]
    paths = {d.get("output") or d.get("log_file") for d in details}
    return [Path(path) for path in sorted(p for p in paths if p)]


def _count_only(path: Path, tokens: set[str]) -> int:
    """What :func:`redact_file` would remove, without writing (a dry run)."""
    import shutil  # noqa: PLC0415 - a dry run's copy only
    import tempfile  # noqa: PLC0415

    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / path.name
        shutil.copyfile(path, copy)
        return redact_file(copy, tokens)


def _shown(project: Project, path: Path) -> str:
    try:
        return str(path.relative_to(project.root))
    except ValueError:
        return str(path)
