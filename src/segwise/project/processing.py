"""``segwise privacy``: the project's record of processing, for a data-protection officer.

A data map read from the project file and the store, without reading a source
row: what each source holds (its columns by role, the personal ones), what the
data is used for (each segmentation's method, each destination's identifiers,
consent column and hashing), how long it is kept, where the secret key of the
tombstones comes from, and when people were last erased and data last purged
(counts only, from the audit log).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import polars as pl

from segwise.activation.audience import identifier_kind
from segwise.activation.destinations import hashing_of
from segwise.store import audit
from segwise.store.erasure import tombstones

if TYPE_CHECKING:
    from segwise.project.pipeline import Project

#: Source options that name a column, beside ``pii``.
_ROLES = ("customer_id", "timestamp", "amount", "order_id", "product", "category", "channel",
          "order_status", "currency_column", "refunded_amount",
          "event", "experiment", "variant", "metric", "value", "question", "answer",
          "account_id", "role", "purpose", "status", "expires")  # fmt: skip


def processing_record(project: Project) -> dict[str, Any]:
    """The data map of ``project``, JSON-ready (see the module docstring)."""
    config = project.config
    settings = config.privacy
    sources = [_source(n, s, config.retention) for n, s in config.sources if s is not None]
    return {
        "project": config.name,
        "store": config.store,
        "sources": sources,
        "purposes": {
            "segmentation": {n: s.method for n, s in config.segmentations.items()},
            "activation": {n: _destination(spec) for n, spec in config.destinations.items()},
        },
        "retention": {name: str(period) for name, period in config.retention.items()},
        "small_groups": {"k_min": settings.k_min},
        "profiling_consent": {
            "purpose": settings.profiling_purpose,
            "without_it": settings.profiling,
            "consent_history": config.sources.consents is not None,
        },
        "secret_key": {"env": settings.key_env, "file": settings.key_file},
        "erased_customers": len(tombstones(project.store)),
        "last_erasure": _last(project, "forget"),
        "last_purge": _last(project, "purge"),
    }


def _source(name: str, source: Any, retention: dict[str, Any]) -> dict[str, Any]:
    spec = source.model_dump(exclude_none=True)
    columns = {role: spec[role] for role in _ROLES if isinstance(spec.get(role), str)}
    declared = list(spec.get("pii", []))
    return {
        "source": name,
        "path": source.origin(),
        "columns": columns,
        "personal": declared,
        "retention": str(retention[name]) if name in retention else None,
    }


def _destination(spec: Any) -> dict[str, Any]:
    identifiers = list(getattr(spec, "identifiers", []) or [])
    return {
        "type": spec.type,
        "identifiers": identifiers,
        "personal": [c for c in identifiers if identifier_kind(c) is not None],
        "hashing": hashing_of(spec) or "none",
        "consent": spec.consent,
        "consent_purpose": spec.consent_purpose,
        "segments": list(getattr(spec, "segments", []) or []),
    }


def _last(project: Project, action: str) -> dict[str, Any] | None:
    """When ``action`` last happened, by whom, with its counts (never ids)."""
    if not project.store.path.exists():
        return None
    entries = audit.entries(project.store).filter(pl.col("action") == action)
    if not entries.height:
        return None
    row = entries.row(0, named=True)
    return {
        "at": row["happened_at"].isoformat(timespec="seconds"),
        "by": row["actor"],
        "counts": json.loads(row["detail"]) if row["detail"] else {},
    }


def as_text(record: dict[str, Any]) -> list[str]:
    """The record as plain lines, section by section."""
    lines = [f"Record of processing: {record['project']} (store {record['store']})", "", "Sources"]
    for source in record["sources"]:
        kept = f"; kept {source['retention']}" if source["retention"] else ""
        personal = ", ".join(source["personal"]) or "none declared"
        lines.append(f"  {source['source']}: {source['path']} (personal: {personal}{kept})")
    lines += ["", "Purposes", "  segmentation (profiling):"]
    lines += [
        f"    {name}: {method}" for name, method in record["purposes"]["segmentation"].items()
    ]
    activation = record["purposes"]["activation"]
    lines.append("  activation:" + ("" if activation else " none"))
    for name, spec in activation.items():
        consent = spec["consent"] or (
            f"purpose {spec['consent_purpose']} of the consent history"
            if spec["consent_purpose"]
            else "no consent column"
        )
        lines.append(
            f"    {name} ({spec['type']}): sends {', '.join(spec['identifiers']) or 'ids only'}, "
            f"hashing {spec['hashing']}, consent {consent}"
        )
    retention = record["retention"]
    lines += ["", "Retention"]
    lines += [f"  {k}: {v}" for k, v in retention.items()] or ["  none set: kept until deleted"]
    key = record["secret_key"]
    profiling = record["profiling_consent"]
    lines += [
        "",
        f"Small groups: shown as '< {record['small_groups']['k_min']}'",
        "Profiling consent: "
        + (
            f"purpose {profiling['purpose']} of the consent history; without it: "
            f"{profiling['without_it']}"
            if profiling["consent_history"]
            else "no consent history (profiling not based on consent)"
        ),
        f"Secret key: ${key['env']}" + (f", else the file {key['file']}" if key["file"] else ""),
        f"Erased customers (tombstones): {record['erased_customers']:,}",
    ]
    for label, key_name in (("Last erasure", "last_erasure"), ("Last purge", "last_purge")):
        last = record[key_name]
        lines.append(f"{label}: " + ("never" if last is None else f"{last['at']} by {last['by']}"))
    return lines
