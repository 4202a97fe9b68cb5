"""The audit log: appended, newest first, details as JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from segwise.store import Workspace
from segwise.store.audit import entries, record, record_written

if TYPE_CHECKING:
    import pytest


def test_entries_come_back_newest_first(tmp_path: Path) -> None:
    store = Workspace(tmp_path / "s.duckdb")
    assert entries(store).height == 0
    record(store, "key:ana", "definition.update", "lifecycle", role="editor", detail={"to": "abc"})
    record(store, "cli:bob", "key.revoke", "crm")
    found = entries(store)
    assert found["action"].to_list() == ["key.revoke", "definition.update"]
    assert json.loads(found["detail"][1]) == {"to": "abc"}
    assert entries(store, limit=1).height == 1


def test_a_written_file_is_recorded_by_its_absolute_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Workspace(tmp_path / "s.duckdb")
    monkeypatch.chdir(tmp_path)
    record_written(store, "cli:ana", "members", "VIP", Path("out.csv"), rows=3)
    detail = json.loads(entries(store)["detail"][0])
    assert detail == {"rows": 3, "output": str(tmp_path / "out.csv")}
