"""``privacy.pseudonymise``: the store, report and quarantine hold pseudonyms; deliveries don't."""

from __future__ import annotations

import csv
from typing import TYPE_CHECKING

import polars as pl
import pytest
from typer.testing import CliRunner

import segwise as sw
from segwise.cli.app import app
from segwise.privacy.identifiers import hash_identifier
from segwise.privacy.secret import keyed_hash
from tests.project.demo import keep_segmentations
from tests.project.test_erasure import EMAIL, ID, KEY, PHONE, _add_person

if TYPE_CHECKING:
    from pathlib import Path

runner = CliRunner()

SETTINGS = """
privacy: {key_file: segwise.key, pseudonymise: true}
destinations:
  crm: {type: file, path: exports/crm, segments: [lifecycle/VIP], identifiers: [email],
        consent: consent_email, min_size: 1}
  ads: {type: meta_custom_audience, path: exports/meta, segments: [lifecycle/VIP],
        identifiers: [email, phone], consent: consent_ads, min_size: 1}
"""


@pytest.fixture(scope="module")
def hidden(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pseudonyms")
    config = sw.Project.init(folder)
    keep_segmentations(config, "lifecycle", "value")
    config.write_text(config.read_text() + SETTINGS)
    (folder / "segwise.key").write_text(KEY + "\n")
    _add_person(folder)
    for args in (["run", str(config)], ["sync", str(config)]):
        done = runner.invoke(app, args)
        assert done.exit_code == 0, done.output
    return config


def _raw_values(folder: Path) -> list[bytes]:
    """The person's raw values, and a sample of other customers' emails and phones.

    The demo's other ids are 7 digits, which a float in a stored profile may hold by
    chance ("0.1576930960001261"): they are checked by query instead.
    """
    customers = pl.read_csv(folder / "data" / "customers.csv.gz", infer_schema=False)
    sample = customers.filter(pl.col("email").str.starts_with("customer00012"))
    return [v.encode() for v in (ID, EMAIL, PHONE, *sample["email"], *sample["phone"])]


def test_no_raw_id_or_email_in_the_store_report_or_quarantine(hidden: Path) -> None:
    folder = hidden.parent
    places = [folder / "segwise.duckdb", folder / "report.html",
              *sorted((folder / "quarantine").iterdir())]  # fmt: skip
    values = _raw_values(folder)
    for place in places:
        data = place.read_bytes()
        assert [v for v in values if v in data] == [], place
    pseudonym = keyed_hash(KEY.encode(), ID)
    store = sw.Project.from_yaml(hidden).store
    assert pseudonym in store.members("VIP")["customer_id"].to_list()
    stored = store.memberships()["customer_id"].cast(pl.String)
    assert stored.str.contains(r"^[0-9a-f]{64}$").all()  # pseudonyms only
    quarantined = (folder / "quarantine" / "transactions.quarantine.csv").read_text()
    assert pseudonym in quarantined  # their bad row is kept, under their pseudonym


def test_the_service_logs_pseudonyms_even_when_logging_ids(hidden: Path) -> None:
    from fastapi.testclient import TestClient

    from segwise.api.app import create_app
    from segwise.api.settings import Settings
    from segwise.project import open_workspace
    from segwise.store.keys import create_key

    key = create_key(open_workspace(hidden), "analyst", "admin")[1]
    log = hidden.parent / "logs" / "service.log"
    settings = Settings(project=hidden, debug_ids=True, log_file=log)
    pseudonym = keyed_hash(KEY.encode(), ID)
    with TestClient(create_app(settings)) as client:
        found = client.get(
            f"/api/v1/customers/{pseudonym}", headers={"Authorization": f"Bearer {key}"}
        )
        assert found.status_code == 200, found.text
    text = log.read_text()
    assert pseudonym in text
    assert not [v for v in _raw_values(hidden.parent) if v.decode() in text]


def test_a_customer_is_looked_up_by_the_id_as_written_or_as_stored(hidden: Path) -> None:
    """The store holds pseudonyms; "customer '0000001' is in no stored run" sent a support
    desk, which knows the CRM's id, to compute one by hand."""
    from fastapi.testclient import TestClient

    from segwise.api.app import create_app
    from segwise.api.settings import Settings
    from segwise.project import open_workspace
    from segwise.store.keys import create_key

    written, stored = "0000001", keyed_hash(KEY.encode(), "0000001")
    for given in (written, stored):
        done = runner.invoke(app, ["history", str(hidden), given, "--json"])
        assert done.exit_code == 0, done.output
        assert f'"customer_id": "{stored}"' in done.stdout
    assert runner.invoke(app, ["history", str(hidden), "0000001x"]).exit_code == 1
    key = create_key(open_workspace(hidden), "desk", "admin")[1]
    auth = {"Authorization": f"Bearer {key}"}
    with TestClient(create_app(Settings(project=hidden))) as client:
        for given in (written, stored):
            found = client.get(f"/api/v1/customers/{given}", headers=auth)
            assert found.status_code == 200, found.text
            assert found.json()["history"]["path"]
            why = client.post("/api/v1/rules/explain", headers=auth, json={
                "segmentation": "lifecycle", "segment": "VIP", "customer_id": given})  # fmt: skip
            assert why.status_code == 200, why.text
        page = client.post("/ui/login", data={"key": key}, follow_redirects=True)
        assert page.status_code == 200
        shown = client.get("/ui/customers", params={"id": written})
        assert shown.status_code == 200 and 'id="path"' in shown.text
        assert "in any stored run" not in shown.text


def test_the_features_hold_no_personal_column(hidden: Path) -> None:
    features = sw.Project.from_yaml(hidden).store.latest_features()
    assert features is not None
    assert not {"email", "phone"} & set(features.columns)


def test_deliveries_carry_the_real_identifiers(hidden: Path) -> None:
    folder = hidden.parent
    [crm_file] = (folder / "exports" / "crm").glob("*.csv")
    with crm_file.open() as handle:
        rows = {row["customer_id"]: row["email"] for row in csv.DictReader(handle)}
    assert rows[ID] == EMAIL  # the id as written, and the email to reach them
    [meta] = (folder / "exports" / "meta").glob("*/lifecycle--VIP--add.csv")
    hashed = set(pl.read_csv(meta)["email"].to_list())
    assert hash_identifier(EMAIL, "email", "meta") in hashed
    customers = pl.read_csv(folder / "data" / "customers.csv.gz", infer_schema=False)
    members = set(sw.Project.from_yaml(hidden).store.members("VIP")["customer_id"])
    key = KEY.encode()
    expected = {
        hash_identifier(email, "email", "meta")
        for customer, email, ads in customers.select("customer_id", "email", "consent_ads").rows()
        if keyed_hash(key, customer) in members and ads == "true"
    }
    assert hashed == expected


def test_the_exposure_log_holds_ids_as_written_and_reads_back_onto_the_members(
    hidden: Path,
) -> None:
    """A log of pseudonyms, read back as the exposures source, was hashed again and matched
    nobody: every VIP of an A/B test was "(not in a segment)" and bought nothing."""
    folder = hidden.parent
    done = runner.invoke(app, ["experiment", "assign", str(hidden), "promo", "--segment",
                               "lifecycle/VIP", "-o", str(folder / "exposures.csv")])  # fmt: skip
    assert done.exit_code == 0, done.output
    log = pl.read_csv(folder / "exposures.csv", infer_schema=False)
    written = set(pl.read_csv(folder / "data" / "customers.csv.gz", infer_schema=False)[
        "customer_id"])  # fmt: skip
    assert set(log["customer_id"]) <= written  # ids as the sources write them, no pseudonym
    reading = folder / "exposures.yaml"
    reading.write_text(hidden.read_text().replace(
        "sources:\n", "sources:\n  exposures: {path: exposures.csv}\n", 1))  # fmt: skip
    exposures = sw.Project.from_yaml(reading).read_source("exposures").data
    back = exposures.select("customer_id").collect(backend="polars").to_native()
    members = sw.Project.from_yaml(hidden).store.members("VIP")["customer_id"]
    assert set(back["customer_id"].cast(pl.String)) == set(members) and members.len() > 100


ID_FILES = """segmentations:
  service:
    method: rules
    segments:
      - {name: Complained, ids: chosen.csv}
  like_them:
    method: lookalike
    seed: {ids: chosen.csv}
    size: 10
    features: [age, income, household_size]
"""


def test_id_files_written_with_real_ids_name_their_customers(hidden: Path) -> None:
    """A static segment's list and a lookalike's seed, written with the ids a CRM knows,
    matched no pseudonym: the segment was empty and the lookalike refused its seed."""
    folder = hidden.parent
    customers = pl.read_csv(folder / "data" / "customers.csv.gz", infer_schema=False)
    chosen = customers["customer_id"].slice(100, 5).to_list()
    (folder / "chosen.csv").write_text("customer_id\n" + "\n".join(chosen) + "\n")
    text = hidden.read_text().replace("store: segwise.duckdb", "store: ids.duckdb")
    text = text.replace("report: report.html", "report: ids.html")
    config = folder / "ids.yaml"
    config.write_text(text.replace("segmentations:\n", ID_FILES, 1))
    result = sw.Project.from_yaml(config).run()
    found = {r.name: r.members for r in result.segmentations}
    expected = {keyed_hash(KEY.encode(), c) for c in chosen}
    service = found["service"].filter(pl.col("segment") == "Complained")
    assert set(service["customer_id"]) == expected
    seed = found["like_them"].filter(pl.col("segment") == "Seed")
    assert set(seed["customer_id"]) == expected
    # /classify: a customer named as the CRM writes them is known, and on their list.
    from segwise.project.classify import Classifier

    placed = Classifier(sw.Project.from_yaml(config)).classify({}, customer_id=chosen[0])
    assert placed.known and placed.segments["service"] == ["Complained"]
    assert placed.customer_id == chosen[0]


def test_access_and_forget_take_the_id_as_written(hidden: Path) -> None:
    record = runner.invoke(app, ["access", str(hidden), ID])
    assert record.exit_code == 0, record.output
    assert '"segment": "VIP"' in record.stdout and EMAIL in record.stdout
    forgot = runner.invoke(app, ["forget", str(hidden), ID, "--json"])
    assert forgot.exit_code == 0, forgot.output
    store = sw.Project.from_yaml(hidden).store
    assert keyed_hash(KEY.encode(), ID) not in store.members("VIP")["customer_id"].to_list()
    assert store.history(keyed_hash(KEY.encode(), ID)).path.height == 0


def test_a_folder_source_is_pseudonymised_file_by_file(tmp_path: Path) -> None:
    # A folder of exports (or several files) failed the run with AttributeError: '_raw'.
    orders = pl.DataFrame(
        {
            "customer_id": ["0001", "0002", "0002"],
            "date": ["2024-01-05", "2024-01-09", "2024-02-03"],
            "amount": [10.0, 20.0, 5.0],
        }
    )
    (tmp_path / "exports").mkdir()
    orders.head(2).write_csv(tmp_path / "exports" / "2024-01.csv")
    orders.tail(1).rename({"customer_id": "CustomerID"}).write_csv(
        tmp_path / "exports" / "2024-02.csv"
    )
    (tmp_path / "segwise.key").write_text(KEY + "\n")
    (tmp_path / "segwise.yaml").write_text(
        "name: shop\nstore: segwise.duckdb\nsources:\n  transactions: {path: exports}\n"
        "privacy: {key_file: segwise.key, pseudonymise: true}\n"
        "segmentations:\n  value: {method: rfm}\n"
    )
    project = sw.Project.from_yaml(tmp_path / "segwise.yaml")
    project.run()
    stored = sorted(project.store.memberships()["customer_id"].to_list())
    assert stored == sorted(keyed_hash(KEY.encode(), i) for i in ("0001", "0002"))
