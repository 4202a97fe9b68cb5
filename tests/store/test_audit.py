"""The audit log: appended, newest first, details as JSON."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from segwise.store import Workspace
from segwise.store.audit import entries, record

if TYPE_CHECKING:
    from pathlib import Path


def test_entries_come_back_newest_first(tmp_path: Path) -> None:
    store = Workspace(tmp_path / "s.duckdb")
    assert entries(store).height == 0
    record(store, "key:ana", "definition.update", "lifecycle", role="editor", detail={"to": "abc"})
    record(store, "cli:bob", "key.revoke", "crm")
    found = entries(store)
    assert found["action"].to_list() == ["key.revoke", "definition.update"]
    assert json.loads(found["detail"][1]) == {"to": "abc"}
    assert entries(store, limit=1).height == 1
