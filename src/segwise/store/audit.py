"""The audit log: who changed which definition, ran what, exported what, when.

One row per action, appended in its own short transaction. Actors are key
names (``key:crm-sync``) or the operating-system user of a CLI command
(``cli:ana``); targets are definitions, runs and keys, never customer data.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

import polars as pl

if TYPE_CHECKING:
    from pathlib import Path

    from segwise.store.workspace import Workspace

_COLUMNS = pl.Schema(
    {
        "happened_at": pl.Datetime("us"),
        "actor": pl.String(),
        "role": pl.String(),
        "action": pl.String(),
        "target": pl.String(),
        "detail": pl.String(),
    }
)


def record(
    store: Workspace,
    actor: str,
    action: str,
    target: str,
    *,
    role: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one entry (``detail`` is kept as JSON)."""
    with store.writing() as connection:
        connection.execute(
            "INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?)",
            [
                datetime.now(),
                actor,
                role,
                action,
                target,
                None if detail is None else json.dumps(detail, sort_keys=True, default=str),
            ],
        )


def record_written(
    store: Workspace, actor: str, action: str, target: str, output: Path, **detail: Any
) -> None:
    """Append one entry for a file written with customers in it, naming where it is.

    ``segwise forget`` reads these paths to erase a customer from the files too.
    """
    record(store, actor, action, target, detail={**detail, "output": str(output.resolve())})


def entries(store: Workspace, *, limit: int | None = None) -> pl.DataFrame:
    """The log, newest first (empty with its columns before the first entry)."""
    empty = pl.DataFrame(schema=_COLUMNS)
    if not store.path.exists():
        return empty
    with store.reading() as connection:
        found = connection.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'audit_log'"
        ).fetchall()
        if not found[0][0]:
            return empty
        sql = (
            "SELECT happened_at, actor, role, action, target, detail FROM audit_log "
            "ORDER BY happened_at DESC"
        )
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        table = pl.from_arrow(connection.sql(sql).to_arrow_table())
    assert isinstance(table, pl.DataFrame)
    return table
