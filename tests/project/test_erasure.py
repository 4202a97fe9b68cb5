"""``segwise forget``: the person gone from every byte segwise wrote, and kept out after.

One customer with distinctive identifiers is run, synced to a plain file destination
and a Meta audience, exported, and has a row quarantined. After ``forget``, every byte
of every file under the project (the sources apart: they are the user's) is read:
neither their raw values nor the SHA-256 of any form of them appears. The rest of
the store and files is what it was, minus them.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import polars as pl
import pytest
from typer.testing import CliRunner

import segwise as sw
from segwise.cli.app import app
from segwise.privacy.identifiers import hash_identifier, normalize_identifier
from tests.project.demo import keep_segmentations

runner = CliRunner()

ID = "ZQ-ERASE-7731"
EMAIL = "Zora.Quill+7731@Forget-Me.example"
PHONE = "+44 7700 900731"
KEY = "f3c1a9e07b5d4c2e8a6f1b3d5c7e9a0b"
DESTINATIONS = """
privacy: {key_file: segwise.key}
destinations:
  crm: {type: file, path: exports/crm, segments: [lifecycle/VIP], identifiers: [email, phone],
        consent: consent_email, min_size: 1}
  ads: {type: meta_custom_audience, path: exports/meta, segments: [lifecycle/VIP],
        identifiers: [email, phone], consent: consent_ads, min_size: 1}
"""


def _their_values() -> set[bytes]:
    """Every form of the person's identifiers that could be written, raw and hashed."""
    forms = {ID, EMAIL, PHONE, EMAIL.lower()}
    for platform in ("meta", "google"):
        forms |= {normalize_identifier(EMAIL, "email", platform) or ""}
        forms |= {normalize_identifier(PHONE, "phone", platform) or ""}
        forms |= {hash_identifier(EMAIL, "email", platform) or ""}
        forms |= {hash_identifier(PHONE, "phone", platform) or ""}
    forms |= {hashlib.sha256(f.encode()).hexdigest() for f in list(forms) if f}
    return {f.encode() for f in forms if f}


def _add_person(folder: Path) -> None:
    customers = pl.read_csv(folder / "data" / "customers.csv.gz", infer_schema=False)
    person = customers.head(1).with_columns(
        customer_id=pl.lit(ID), email=pl.lit(EMAIL), phone=pl.lit(PHONE),
        consent_email=pl.lit("true"), consent_ads=pl.lit("true"),
    )  # fmt: skip
    _write_gz(pl.concat([customers, person]), folder / "data" / "customers.csv.gz")
    orders = pl.read_csv(folder / "data" / "orders.csv.gz", infer_schema=False)
    theirs = pl.DataFrame(
        {
            "order_id": [f"OZQ{i}" for i in range(15)],
            "customer_id": [ID] * 15,
            "order_date": [f"2024-{m:02d}-15 10:00:00" for m in range(1, 13)]
            + ["2024-12-01 10:00:00", "2024-12-10 10:00:00", "2024-12-20 10:00:00"],
            "category": ["electronics"] * 15,
            "channel": ["web"] * 15,
            "quantity": ["1"] * 15,
            "amount": ["250.00"] * 14 + ["not a number"],  # the last one is quarantined
        }
    )
    _write_gz(pl.concat([orders, theirs]), folder / "data" / "orders.csv.gz")


def _write_gz(table: pl.DataFrame, path: Path) -> None:
    import gzip

    with gzip.open(path, "wb") as handle:
        table.write_csv(handle)


def _files(folder: Path) -> dict[str, bytes]:
    """Every file under the project but the sources (the user's), by relative path."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.is_relative_to(folder / "data")
    }


def _tables(store: Path) -> dict[str, pl.DataFrame]:
    with duckdb.connect(str(store), read_only=True) as connection:
        names = [r[0] for r in connection.execute("SHOW TABLES").fetchall()]
        return {n: connection.sql(f"SELECT * FROM {n}").pl() for n in names}


def _look_them_up(config: Path) -> None:
    """The service, logging ids to a file in the project, is asked about them."""
    from fastapi.testclient import TestClient

    from segwise.api.app import create_app
    from segwise.api.settings import Settings
    from segwise.project import open_workspace
    from segwise.store.keys import create_key

    key = create_key(open_workspace(config), "dpo", "admin")[1]
    settings = Settings(project=config, debug_ids=True, log_file=Path("logs/service.log"))
    with TestClient(create_app(settings)) as client:
        found = client.get(f"/api/v1/customers/{ID}", headers={"Authorization": f"Bearer {key}"})
        assert found.status_code == 200, found.text
    assert ID in (config.parent / "logs" / "service.log").read_text()


@pytest.fixture(scope="module")
def erased(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    folder = tmp_path_factory.mktemp("erasure")
    config = sw.Project.init(folder)
    keep_segmentations(config, "lifecycle", "value")
    config.write_text(config.read_text() + DESTINATIONS)
    (folder / "segwise.key").write_text(KEY + "\n")
    _add_person(folder)
    (folder / "exports").mkdir()
    steps = [
        ["run", str(config), "--as-of", "2024-09-30"],  # an earlier run: it must read back the same
        ["run", str(config)],
        ["sync", str(config)],
        ["export", str(config), "lifecycle/VIP", "--columns", "email,phone", "-o",
         str(folder / "exports" / "vip.csv")],
        ["export", str(config), "lifecycle/VIP", "--hash", "meta", "--columns", "email,phone",
         "-o", str(folder / "exports" / "vip-meta.parquet")],
        ["access", str(config), ID, "-o", str(folder / "exports" / "access.json")],
        # Project commands that write customers to a file record where (the audit log).
        ["members", str(config), "VIP", "-o", str(folder / "exports" / "members.csv")],
        ["changes", str(config), "-o", str(folder / "exports" / "movers.parquet")],
        ["experiment", "assign", str(config), "offer", "--segment", "lifecycle/VIP",
         "-o", str(folder / "exports" / "exposures.csv")],
    ]  # fmt: skip
    for args in steps:
        done = runner.invoke(app, args)
        assert done.exit_code == 0, (args, done.output)
    _look_them_up(config)
    before_files = _files(folder)
    before_tables = _tables(folder / "segwise.duckdb")
    forgot = runner.invoke(app, ["forget", str(config), ID, "--json"])
    assert forgot.exit_code == 0, forgot.output
    return {
        "folder": folder,
        "config": config,
        "before_files": before_files,
        "before_tables": before_tables,
        "after_files": _files(folder),
        "after_tables": _tables(folder / "segwise.duckdb"),
        "forgot": json.loads(forgot.stdout),
    }


def test_the_person_was_everywhere_before(erased: dict[str, object]) -> None:
    """The scan can see them: without this, a clean scan would prove nothing."""
    before: dict[str, bytes] = erased["before_files"]  # type: ignore[assignment]
    values = _their_values()
    holding = {name for name, data in before.items() if any(v in data for v in values)}
    for place in ("segwise.duckdb", "quarantine/transactions.quarantine.csv",
                  "exports/vip.csv", "exports/access.json", "logs/service.log",
                  "exports/members.csv", "exports/exposures.csv"):  # fmt: skip
        assert place in holding
    movers = pl.read_parquet(before["exports/movers.parquet"])  # compressed: read, not grepped
    assert ID in movers["customer_id"].to_list()
    assert any(name.startswith("exports/crm/") for name in holding)
    assert any(name.startswith("exports/meta/") for name in holding)


def test_no_byte_of_them_is_left(erased: dict[str, object]) -> None:
    after: dict[str, bytes] = erased["after_files"]  # type: ignore[assignment]
    values = _their_values()
    left = {name: [v for v in values if v in data] for name, data in after.items()}
    assert {name: found for name, found in left.items() if found} == {}
    movers = pl.read_parquet(after["exports/movers.parquet"])  # compressed: read, not grepped
    assert movers.height > 0 and ID not in movers["customer_id"].to_list()
    forgot: dict[str, object] = erased["forgot"]  # type: ignore[assignment]
    assert forgot["customers"] == 1 and forgot["places"] >= 11


def _counts_without_them(counts: pl.DataFrame, intervals: pl.DataFrame) -> pl.DataFrame:
    """Each run's stored counts less the erased person's memberships in that run."""
    theirs = intervals.filter(pl.col("customer_id") == ID)
    held = (
        counts.select("run_id", "segmentation", "segment")
        .join(theirs, on=["segmentation", "segment"])
        .filter(
            (pl.col("run_id") >= pl.col("from_run"))
            & (pl.col("to_run").is_null() | (pl.col("run_id") <= pl.col("to_run")))
        )
        .group_by("run_id", "segmentation", "segment")
        .agg(pl.len().cast(counts["members"].dtype).alias("theirs"))
    )
    assert held.height > 0  # they were counted somewhere, so the check can fail
    return (
        counts.join(held, on=["run_id", "segmentation", "segment"], how="left")
        .with_columns(pl.col("members") - pl.col("theirs").fill_null(0))
        .drop("theirs")
    )


def test_everything_else_is_unchanged(erased: dict[str, object]) -> None:
    before: dict[str, pl.DataFrame] = erased["before_tables"]  # type: ignore[assignment]
    after: dict[str, pl.DataFrame] = erased["after_tables"]  # type: ignore[assignment]
    for name, table in before.items():
        if name in ("audit_log", "tombstones"):
            continue
        kept = table
        if name == "segment_counts":
            kept = _counts_without_them(table, before["membership_intervals"])
        if "customer_id" in table.columns:
            kept = table.filter(pl.col("customer_id").ne_missing(ID))
            assert kept.height < table.height or name in ("contact_intervals",), name
        assert after[name].sort(after[name].columns).equals(kept.sort(kept.columns)), name
    assert after["runs"].height == 2  # both runs read back as they were, minus them
    assert after["tombstones"].height == 1
    assert ID not in after["tombstones"]["hash"][0]
    log = after["audit_log"].filter(pl.col("action") == "forget")
    assert json.loads(log["detail"][0])["customers"] == 1
    old = after["audit_log"].filter(pl.col("action") != "forget").drop("happened_at")
    # The subject access file went whole, and its path with it.
    accessed = pl.col("action") == "access"
    expected = (
        before["audit_log"]
        .drop("happened_at")
        .with_columns(
            detail=pl.when(accessed).then(pl.lit('{"output": "[erased]"}')).otherwise("detail")
        )
    )
    assert old.equals(expected)
    assert not (erased["folder"] / "exports" / "access.json").exists()  # type: ignore[operator]


def test_files_lose_only_their_rows(erased: dict[str, object]) -> None:
    folder: Path = erased["folder"]  # type: ignore[assignment]
    before: dict[str, bytes] = erased["before_files"]  # type: ignore[assignment]
    [delivery] = [n for n in before if n.startswith("exports/crm/") and n.endswith(".csv")]
    for name in ("exports/vip.csv", "quarantine/transactions.quarantine.csv", delivery,
                 "exports/members.csv", "exports/exposures.csv"):  # fmt: skip
        old = pl.read_csv(before[name], infer_schema=False)
        new = pl.read_csv(folder / name, infer_schema=False)
        assert new.equals(old.filter(pl.col("customer_id").ne_missing(ID))), name
        assert new.height == old.height - 1


def test_a_new_run_leaves_them_out_and_counts_them(erased: dict[str, object]) -> None:
    config: Path = erased["config"]  # type: ignore[assignment]
    result = sw.Project.from_yaml(config).run()
    transactions = next(q for q in result.quality if q.kind == "transactions")
    customers = next(q for q in result.quality if q.kind == "customers")
    assert transactions.checks["erased"] == 15 and customers.checks["erased"] == 1
    store = sw.Project.from_yaml(config).store
    assert ID not in store.members("VIP")["customer_id"].to_list()
    quarantined = (config.parent / "quarantine" / "transactions.quarantine.csv").read_bytes()
    assert ID.encode() not in quarantined
    assert not any(v in (config.parent / "report.html").read_bytes() for v in _their_values())
