"""``segwise access``: everything segwise holds about one customer, for a subject access request.

One JSON document: the customer's row in the customers source (their own data,
personal columns included), their segments in the latest run, their path
through every run, their features as last computed, their consents (the
customers source's consent columns, and each destination's verdict), and what
each destination was sent about them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw
import polars as pl

from segwise.exceptions import NotFoundError
from segwise.privacy.consent import consent_in_force
from segwise.project.pseudonyms import pseudonyms_of

if TYPE_CHECKING:
    from segwise.project.pipeline import Project
    from segwise.store import Workspace


def customer_record(project: Project, customer_id: str) -> dict[str, Any]:
    """Everything held about ``customer_id``, JSON-ready.

    Raises
    ------
    NotFoundError
        Neither the store nor the customers source knows the customer.
    """
    customer = str(customer_id).strip()
    store = project.store
    row = _source_row(project, customer)
    # With pseudonyms the store knows them by their keyed hash.
    known_as = (
        pseudonyms_of(project, [customer])[0] if project.config.privacy.pseudonymise else customer
    )
    held = store.path.exists()
    segments = store.customer_segments(known_as).to_dicts() if held else []
    history = store.history(known_as).to_dict() if held else {}
    features = _features(store, known_as) if held else None
    sent = _sent(store, known_as) if held else []
    if row is None and not segments and features is None and not sent:
        raise NotFoundError(
            f"customer '{customer}': nothing is held about them (not in the store or the "
            "customers source)",
            hint="check the id as segwise writes it: segwise members CONFIG SEGMENT lists them",
        )
    return {
        "customer_id": customer,
        "project": project.config.name,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "customer": row,
        "consents": {**_consents(project, row), **_history(project, customer)},
        "segments": segments,
        "history": history,
        "features": features,
        "deliveries": sent,
    }


def _source_row(project: Project, customer: str) -> dict[str, Any] | None:
    if project.config.sources.customers is None:
        return None
    data = project.read_source("customers", as_written=True).data
    found = data.filter(nw.col("customer_id") == customer).collect(backend="polars").to_native()
    return _plain(found.row(0, named=True)) if found.height else None


def _consents(project: Project, row: dict[str, Any] | None) -> dict[str, Any]:
    """The source's consent columns, and which destination may send the customer."""
    if row is None:
        return {}
    found: dict[str, Any] = {k: v for k, v in row.items() if "consent" in k.lower()}
    for name, spec in project.config.destinations.items():
        column = getattr(spec, "consent", None)
        if column is not None and column in row:
            found.setdefault("destinations", {})[name] = {"column": column, "value": row[column]}
    return found


def _history(project: Project, customer: str) -> dict[str, Any]:
    """Their consent history (``sources.consents``) and, per purpose, whether it holds today."""
    if project.config.sources.consents is None:
        return {}
    data = project.read_source("consents", as_written=True).data
    data = data.filter(nw.col("customer_id") == customer)
    rows = data.sort("timestamp").collect(backend="polars").to_native()
    today = date.today()
    in_force = {
        purpose: bool(
            consent_in_force(data, purpose, today)
            .collect(backend="polars")
            .to_native()["granted"]
            .any()
        )
        for purpose in sorted(set(rows["purpose"].to_list()))
    }
    return {"history": [_plain(r) for r in rows.iter_rows(named=True)], "in_force": in_force}


def _features(store: Workspace, customer: str) -> dict[str, Any] | None:
    features = store.latest_features()
    if features is None:
        return None
    found = features.filter(pl.col("customer_id").cast(pl.String) == customer)
    return _plain(found.row(0, named=True)) if found.height else None


def _sent(store: Workspace, customer: str) -> list[dict[str, Any]]:
    with store.reading() as connection:
        tables = {r[0] for r in connection.execute("SHOW TABLES").fetchall()}
        if "sync_state" not in tables:
            return []
        rows = connection.execute(
            "SELECT s.destination, s.segmentation, s.segment, s.delivery_id, s.sent_at, "
            "d.status FROM sync_state s LEFT JOIN deliveries d USING (delivery_id) "
            "WHERE s.customer_id = ? ORDER BY s.destination, s.segmentation, s.segment",
            [customer],
        ).fetchall()
    names = ("destination", "segmentation", "segment", "delivery_id", "sent_at", "status")
    return [_plain(dict(zip(names, row, strict=True))) for row in rows]


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    """Dates as ISO text, the rest as JSON takes it."""
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in row.items()}
