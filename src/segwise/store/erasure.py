"""Erased customers, gone from the store: their rows, their names in texts, their bytes.

Every table with a ``customer_id`` column loses the customer's rows (memberships,
contacts, the feature tables, the movers' reasons, what each destination holds).
Texts that may quote an identifier (the audit log, failed runs' errors, alert and
delivery messages) have it replaced by ``[erased]``, and webhook batches still
waiting to be sent lose the customer's items. The customers are then remembered
only as tombstones: keyed hashes of their ids (:mod:`segwise.privacy.secret`).

DuckDB keeps deleted rows in the file's free blocks until they are reused, so a
delete alone leaves the bytes on disk. :func:`compact` therefore copies the whole
database into a new file and puts it in the old one's place: the new file never
held the deleted rows.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
from datetime import datetime
from typing import TYPE_CHECKING, Any

import duckdb
import polars as pl

from segwise.store.lock import write_intent
from segwise.store.schema import table_names
from segwise.store.segment_counts import ERASE_FROM_COUNTS
from segwise.store.transaction import transaction
from segwise.store.workspace import STORE_CONFIG

if TYPE_CHECKING:
    from collections.abc import Collection, Sequence

    from segwise.store.workspace import Workspace

#: Text columns that may quote an identifier (an error message, an audit detail).
TEXTS = (
    ("audit_log", "target"),
    ("audit_log", "detail"),
    ("failed_runs", "error"),
    ("alerts", "message"),
    ("deliveries", "message"),
    ("outbox", "error"),
)
REDACTED = "[erased]"
#: Characters that continue an identifier: a token counts only where none touches it.
_WORD = r"A-Za-z0-9_@.+\-"


def tombstones(store: Workspace) -> set[str]:
    """The keyed hashes of the erased customers' ids (empty before the first erasure)."""
    if not store.path.exists():
        return set()
    with store.reading() as connection:
        if "tombstones" not in table_names(connection):
            return set()
        return {row[0] for row in connection.execute("SELECT hash FROM tombstones").fetchall()}


def erase_customers(
    store: Workspace,
    customer_ids: Sequence[str],
    tokens: Collection[str],
    hashes: Sequence[str],
    *,
    dry_run: bool = False,
    keep_deliveries: Collection[str] = (),
) -> dict[str, int]:
    """Delete ``customer_ids`` everywhere in the store; rows (or texts) changed per table.

    ``tokens`` are every value that identifies them (ids, emails, phones, their
    hashes as sent): texts quoting one are redacted. ``hashes`` (their keyed ids)
    become tombstones. ``dry_run`` counts and changes nothing. Webhook batches of
    ``keep_deliveries`` (removals telling a receiver to drop them, not yet delivered)
    keep their bodies. The store is rewritten afterwards (:func:`compact`).
    """
    if not store.path.exists():
        return {}
    with store.writing() as connection:
        tables = table_names(connection)
        keyed = _customer_tables(connection, tables)
        connection.register("erased_ids", pl.DataFrame({"id": list(customer_ids)}).to_arrow())
        counts = {t: _count(connection, f"SELECT count(*) FROM {t} WHERE {_IN}") for t in keyed}
        wanted = [token for token in tokens if token]
        # One alternation per statement: thousands of ids stay a handful of statements.
        patterns = [_pattern(wanted[i : i + 500]) for i in range(0, len(wanted), 500)]
        texts = [(t, c) for t, c in TEXTS if t in tables]
        for table, column in texts:
            counts[f"{table}.{column}"] = _count(
                connection, f"SELECT count(*) FROM {table} WHERE {_matching(column, patterns)}"
            )
        pending = (
            _pending_batches(connection, tokens, keep_deliveries) if "outbox" in tables else {}
        )
        counts["outbox.body"] = len(pending)
        if not dry_run:
            with transaction(connection):
                if "segment_counts" in tables:  # before the intervals they are counted from go
                    connection.execute(ERASE_FROM_COUNTS)
                for table in keyed:
                    connection.execute(f"DELETE FROM {table} WHERE {_IN}")
                for table, column in texts:
                    _redact(connection, table, column, patterns)
                for (delivery, batch), (body, rows) in pending.items():
                    connection.execute(
                        "UPDATE outbox SET body = ?, rows = ? WHERE delivery_id = ? AND batch = ?",
                        [body, rows, delivery, batch],
                    )
                stamp = datetime.now()
                connection.executemany(
                    "INSERT OR IGNORE INTO tombstones VALUES (?, ?)", [[h, stamp] for h in hashes]
                )
        connection.unregister("erased_ids")
    found = {name: n for name, n in counts.items() if n}
    if not dry_run:
        compact(store)
    return found


_IN = "customer_id IN (SELECT id FROM erased_ids)"


def _customer_tables(connection: duckdb.DuckDBPyConnection, tables: set[str]) -> list[str]:
    rows = connection.execute(
        "SELECT DISTINCT table_name FROM information_schema.columns "
        "WHERE table_schema = 'main' AND column_name = 'customer_id' ORDER BY 1"
    ).fetchall()
    return [row[0] for row in rows if row[0] in tables]


def _count(connection: duckdb.DuckDBPyConnection, sql: str) -> int:
    return int(connection.execute(sql).fetchall()[0][0])


def _pattern(tokens: list[str]) -> str:
    """A regular expression (RE2) for any of ``tokens`` where no identifier character touches it."""
    # A full stop after the token ends a sentence unless a letter or digit follows it.
    after = f"($|[^{_WORD}]|\\.(?:$|[^A-Za-z0-9_]))"
    alternatives = "|".join(re.escape(t) for t in sorted(tokens, key=len, reverse=True))
    return f"(^|[^{_WORD}])(?:{alternatives}){after}"


def _matching(column: str, patterns: list[str]) -> str:
    if not patterns:
        return "FALSE"
    tests = " OR ".join(f"regexp_matches({column}, {_quoted(p)})" for p in patterns)
    return f"{column} IS NOT NULL AND ({tests})"


def _redact(
    connection: duckdb.DuckDBPyConnection, table: str, column: str, patterns: list[str]
) -> None:
    for pattern in patterns:
        # Twice: a match consumes the character after it, which may start the next one.
        for _ in range(2):
            connection.execute(
                f"UPDATE {table} SET {column} = regexp_replace({column}, {_quoted(pattern)}, "
                f"'\\1{REDACTED}\\2', 'g') WHERE regexp_matches({column}, {_quoted(pattern)})"
            )


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _pending_batches(
    connection: duckdb.DuckDBPyConnection, tokens: Collection[str], keep: Collection[str]
) -> dict[tuple[str, int], tuple[bytes, int]]:
    """Webhook bodies not yet delivered that carry a token: rewritten without those items."""
    wanted = set(tokens)
    rewritten: dict[tuple[str, int], tuple[bytes, int]] = {}
    rows = connection.execute(
        "SELECT delivery_id, batch, body FROM outbox WHERE body IS NOT NULL"
    ).fetchall()
    for delivery, batch, body in rows:
        if delivery in keep:
            continue
        envelope = json.loads(bytes(body))
        data = envelope.get("data", {})
        kept_rows = 0
        changed = False
        for key, value in data.items():
            if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
                kept = [item for item in value if not _names(item, wanted)]
                changed |= len(kept) != len(value)
                data[key] = kept
                kept_rows += len(kept)
        if changed:
            text = json.dumps(envelope, separators=(",", ":"))
            rewritten[(delivery, batch)] = (text.encode(), kept_rows)
    return rewritten


def _names(item: dict[str, Any], tokens: set[str]) -> bool:
    return any(isinstance(v, str) and v in tokens for v in item.values())


def compact(store: Workspace) -> None:
    """Rewrite the store into a new file that never held deleted rows, then swap it in.

    Held under the store's write intent, so the service's kept-open reader lets go
    first; a run in progress is waited for by the caller (the store's lock).
    """
    path = store.path
    fresh = path.with_name(f".{path.name}.{secrets.token_hex(4)}.compact")
    with write_intent(path):
        try:
            # The store's own settings but one: this connection writes a second file.
            settings = {k: v for k, v in STORE_CONFIG.items() if k != "enable_external_access"}
            connection = duckdb.connect(str(path), config=settings)
            with contextlib.closing(connection):
                name = connection.execute("SELECT current_database()").fetchall()[0][0]
                connection.execute(f"ATTACH {_quoted(str(fresh))} AS segwise_compacted")
                connection.execute(f'COPY FROM DATABASE "{name}" TO segwise_compacted')
                connection.execute("DETACH segwise_compacted")
            with fresh.open("rb") as handle:
                os.fsync(handle.fileno())
            fresh.replace(path)
            path.with_name(path.name + ".wal").unlink(missing_ok=True)
        finally:
            fresh.unlink(missing_ok=True)
            fresh.with_name(fresh.name + ".wal").unlink(missing_ok=True)
