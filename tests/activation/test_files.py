"""Deliveries as files: a table with actions, or a platform folder, whole or not at all."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import polars as pl
from pydantic import TypeAdapter

from segwise.activation import hash_identifier
from segwise.activation.destinations import Destination
from segwise.activation.files import write_delivery
from segwise.activation.sync import plan_sync
from segwise.store.sync import STATE

if TYPE_CHECKING:
    from pathlib import Path

CONTACTS = pl.DataFrame(
    {"customer_id": ["1", "2", "3"], "email": ["a@x.com", "b@x.com", "c@x.com"],
     "phone": ["+44 7123 456789", None, "+1 800 555 0100"]}
)  # fmt: skip
MEMBERS = pl.DataFrame(
    {"segmentation": ["life"] * 3, "segment": ["VIP", "VIP", "At risk / high"],
     "customer_id": ["1", "2", "3"]}
)  # fmt: skip


def planned(**given: Any) -> tuple[Any, Any]:
    spec = TypeAdapter(Destination).validate_python(
        {"path": "out", "segments": ["life/*"], "min_size": 0, **given}
    )
    found = plan_sync(
        "crm", spec, run_id=3, members=MEMBERS, contacts=CONTACTS, suppressed=(),
        sent=pl.DataFrame(schema=STATE),
    )  # fmt: skip
    return spec, found


def test_a_file_destination_gets_one_table_and_a_manifest(tmp_path: Path) -> None:
    spec, found = planned(type="file", identifiers=["email"], format="parquet")
    written = write_delivery(found, spec, tmp_path, {"run_id": 3})
    table = pl.read_parquet(written[0])
    assert table.columns == ["action", "segmentation", "segment", "customer_id", "email"]
    assert table["action"].to_list() == ["add"] * 3
    manifest = json.loads(written[1].read_text())
    assert manifest == {"run_id": 3, "files": [written[0].name]}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in written)


def test_a_platform_gets_a_folder_of_files_in_its_column_names(tmp_path: Path) -> None:
    spec, found = planned(type="google_customer_match", identifiers=["email", "phone"])
    written = write_delivery(found, spec, tmp_path, {"run_id": 3})
    folder = tmp_path / f"crm-{found.delivery_id}"
    assert sorted(p.name for p in folder.iterdir()) == [
        "life--At-risk-high--add.csv",
        "life--VIP--add.csv",
        "manifest.json",
    ]
    vip = pl.read_csv(folder / "life--VIP--add.csv")
    assert vip.columns == ["Email", "Phone"] and vip.height == 2
    assert vip["Phone"].null_count() == 1
    assert written[-1] == folder / "manifest.json"
    # The same delivery again (a sync killed before it was recorded) replaces it whole.
    write_delivery(found, spec, tmp_path, {"run_id": 3, "again": True})
    assert json.loads((folder / "manifest.json").read_text())["again"] is True
    assert [p.name for p in tmp_path.iterdir()] == [folder.name]  # no scratch left


def test_removes_come_before_adds_so_a_changed_email_ends_with_the_new_one(tmp_path: Path) -> None:
    spec, first = planned(type="file", identifiers=["email"])
    state = first.adds.select(list(STATE))
    moved = CONTACTS.with_columns(
        pl.when(pl.col("customer_id") == "1").then(pl.lit("new@x.com")).otherwise("email")
        .alias("email")
    )  # fmt: skip
    found = plan_sync("crm", spec, run_id=4, members=MEMBERS, contacts=moved, suppressed=(),
                      sent=state)  # fmt: skip
    table = pl.read_csv(write_delivery(found, spec, tmp_path, {})[0], infer_schema=False)
    assert table.select("action", "customer_id", "email").rows() == [
        ("remove", "1", None),  # the store keeps only a hash of the old email
        ("add", "1", "new@x.com"),
    ]
    held: dict[str, str] = {}
    for action, customer, email in table.select("action", "customer_id", "email").rows():
        if action == "add":
            held[customer] = email
        else:
            held.pop(customer, None)
    assert held == {"1": "new@x.com"}


def test_google_gets_hashed_names_beside_country_and_zip_in_clear(tmp_path: Path) -> None:
    contacts = CONTACTS.with_columns(
        first_name=pl.Series([" Ann", "Bo", None]), country=pl.lit("GB"), zip=pl.lit("SW1A 1AA")
    )
    spec = TypeAdapter(Destination).validate_python(
        {"type": "google_customer_match", "path": "out", "segments": ["life/*"], "min_size": 0,
         "identifiers": ["email", "first_name", "country", "zip"]}
    )  # fmt: skip
    found = plan_sync("ads", spec, run_id=3, members=MEMBERS, contacts=contacts, suppressed=(),
                      sent=pl.DataFrame(schema=STATE))  # fmt: skip
    write_delivery(found, spec, tmp_path, {"run_id": 3})
    vip = pl.read_csv(tmp_path / f"ads-{found.delivery_id}" / "life--VIP--add.csv")
    assert vip.columns == ["Email", "First Name", "Country", "Zip"]
    assert vip["First Name"].to_list() == [
        hash_identifier("ann", "name", "google"), hash_identifier("bo", "name", "google"),
    ]  # fmt: skip
    assert vip.row(0)[2:] == ("GB", "SW1A 1AA")


def test_segment_names_that_slug_alike_get_files_of_their_own(tmp_path: Path) -> None:
    members = pl.DataFrame(
        {"segmentation": ["life"] * 3, "segment": ["At risk / VIP", "At risk VIP", "上客"],
         "customer_id": ["1", "2", "3"]}
    )  # fmt: skip
    spec = TypeAdapter(Destination).validate_python(
        {"type": "meta_custom_audience", "path": "out", "segments": ["life/*"], "min_size": 0,
         "identifiers": ["email"]}
    )  # fmt: skip
    found = plan_sync("ads", spec, run_id=3, members=members, contacts=CONTACTS, suppressed=(),
                      sent=pl.DataFrame(schema=STATE))  # fmt: skip
    write_delivery(found, spec, tmp_path, {})
    folder = tmp_path / f"ads-{found.delivery_id}"
    manifest = json.loads((folder / "manifest.json").read_text())
    files = {part["segment"]: part["file"] for part in manifest["parts"]}
    assert len(set(files.values())) == 3
    for part in manifest["parts"]:
        assert pl.read_csv(folder / part["file"]).height == part["rows"] == 1
    assert files["At risk / VIP"] == "life--At-risk-VIP--add.csv"
