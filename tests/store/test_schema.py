"""Stores written before membership history migrate on first open, whole or not at all."""

from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING

import duckdb
import polars as pl
import pytest

from segwise.store import Workspace, schema
from segwise.store.workspace import StoreError
from tests.store.v1 import write_v1_run

if TYPE_CHECKING:
    from pathlib import Path

FIRST = dt.date(2024, 1, 31)


def _runs() -> list[dict[str, pl.DataFrame]]:
    rng = random.Random(11)
    customers = [f"{i:03d}" for i in range(120)]
    runs = []
    for k in range(6):
        present = [c for c in customers if rng.random() > 0.1]  # some leave and come back
        value = pl.DataFrame(
            {"customer_id": present, "segment": [rng.choice(["A", "B", "C"]) for _ in present]}
        )
        data = {"value": value}
        if k != 3:  # a segmentation missing from one run
            picked = [c for c in present if rng.random() < 0.3]
            data["audience"] = pl.DataFrame(
                {"customer_id": picked, "segment": ["Email"] * len(picked)}
            )
        runs.append(data)
    return runs


def _v1_store(path: Path) -> list[dict[str, pl.DataFrame]]:
    runs = _runs()
    for k, data in enumerate(runs):
        write_v1_run(path, FIRST + dt.timedelta(days=30 * k), data)
    return runs


def test_an_old_store_migrates_and_answers_as_before(tmp_path: Path) -> None:
    path = tmp_path / "segwise.duckdb"
    runs = _v1_store(path)
    with duckdb.connect(str(path), read_only=True) as old:
        before = old.execute(
            "SELECT run_id, segmentation, customer_id, segment FROM memberships"
        ).fetchall()
    store = Workspace(path)
    # The first open (a reader) migrates; every run then reads back as it was stored.
    for run_id in range(1, len(runs) + 1):
        expected = {(s, c, g) for r, s, c, g in before if r == run_id}
        assert set(store.memberships(run_id).iter_rows()) == expected
        for segment in ("A", "B", "C"):
            listed = store.members(segment, run=run_id, segmentation="value")["customer_id"]
            held = [c for r, s, c, g in before if (r, s, g) == (run_id, "value", segment)]
            assert listed.to_list() == sorted(held)
    with duckdb.connect(str(path), read_only=True) as migrated:
        tables = schema.table_names(migrated)
        version = migrated.execute(
            "SELECT value FROM store_meta WHERE key = 'schema_version'"
        ).fetchone()
    assert "memberships" not in tables and "membership_intervals" in tables
    assert version == (str(schema.VERSION),)
    assert not path.with_name(path.name + ".v1.bak").exists()
    changes = store.changes(2, 3, segmentation="value")
    after = {(c, g) for r, s, c, g in before if r == 3 and s == "value"}
    earlier = {(c, g) for r, s, c, g in before if r == 2 and s == "value"}
    assert int(changes.counts["entered"].sum()) == len(after - earlier)
    # New runs go on from the migrated history.
    assert store.runs()["run_id"].to_list() == list(range(1, len(runs) + 1))


def test_a_failed_migration_leaves_the_old_store_and_its_backup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "segwise.duckdb"
    _v1_store(path)
    original = path.read_bytes()
    monkeypatch.setattr(schema, "_INTERVALS_FROM_SNAPSHOTS", "INSERT INTO no_such_table SELECT 1")
    with pytest.raises(StoreError):
        Workspace(path).runs()
    with duckdb.connect(str(path), read_only=True) as still_old:
        assert "memberships" in schema.table_names(still_old)
        assert "membership_intervals" not in schema.table_names(still_old)
    assert path.with_name(path.name + ".v1.bak").read_bytes() == original


def test_a_project_run_on_an_old_store_migrates_it_without_waiting_on_itself(
    tmp_path: Path,
) -> None:
    # The run holds the store's lock; the migration inside it must not wait for that lock.
    import subprocess
    import sys

    from segwise.project import Project
    from tests.project.demo import keep_segmentations

    folder = tmp_path / "shop"
    keep_segmentations(Project.init(folder), "lifecycle")  # the migrated one: a quick run
    old = pl.DataFrame({"customer_id": ["0000001", "0000002"], "segment": ["VIP", "Other"]})
    write_v1_run(folder / "segwise.duckdb", dt.date(2024, 3, 31), {"lifecycle": old})
    done = subprocess.run(
        [sys.executable, "-c", "from segwise.cli.app import main; main()", "run", str(folder)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    store = Workspace(folder / "segwise.duckdb")
    assert store.runs()["run_id"].to_list() == [1, 2]
    assert store.members("VIP", run=1, segmentation="lifecycle")["customer_id"].to_list() == [
        "0000001"
    ]
    assert not (folder / "segwise.duckdb.v1.bak").exists()
