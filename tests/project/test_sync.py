"""``sync_destinations`` on the demo project: files a receiver can replay, consent, faults."""

from __future__ import annotations

import gzip
import json
from typing import TYPE_CHECKING

import polars as pl
import pytest

import segwise as sw
from segwise.exceptions import ConfigError
from segwise.project import open_workspace
from segwise.project.sync import sync_destinations
from segwise.store.sync import deliveries, sent
from tests.project.demo import keep_segmentations

if TYPE_CHECKING:
    from pathlib import Path

DESTINATIONS = """
destinations:
  crm: {type: file, path: exports/crm, segments: [lifecycle/VIP, lifecycle/Lapsed],
        identifiers: [email], consent: consent_email, min_size: 10}
  ads: {type: meta_custom_audience, path: exports/meta, segments: [lifecycle/VIP],
        identifiers: [email, phone], consent: consent_ads, min_size: 10}
"""


def with_destinations(config: Path) -> sw.Project:
    keep_segmentations(config, "lifecycle")  # the one synced: later runs take seconds
    config.write_text(config.read_text() + DESTINATIONS)
    return sw.Project.from_yaml(config)


def replay(config: Path, destination: str) -> set[tuple[str, str]]:
    """What a receiver holds after loading every delivery file in the order they were made."""
    held: set[tuple[str, str]] = set()
    log = deliveries(open_workspace(config), destination).reverse()
    for row in log.filter(pl.col("status") == "delivered").iter_rows(named=True):
        table = pl.read_csv(
            config.parent / "exports" / "crm" / f"crm-{row['delivery_id']}.csv", infer_schema=False
        )
        for action, segment, customer in table.select("action", "segment", "customer_id").rows():
            (held.add if action == "add" else held.discard)((segment, customer))
    return held


def eligible(config: Path, column: str) -> set[tuple[str, str]]:
    store = open_workspace(config)
    customers = pl.read_csv(config.parent / "data" / "customers.csv.gz", infer_schema=False)
    agreed = set(customers.filter(pl.col(column) == "true")["customer_id"])
    found = set()
    for segment in ("VIP", "Lapsed"):
        members = store.members(segment)["customer_id"].cast(pl.String).to_list()
        found |= {(segment, c) for c in members if c in agreed}
    return found


def revoke(config: Path, customer: str) -> None:
    path = config.parent / "data" / "customers.csv.gz"
    table = pl.read_csv(path, infer_schema=False).with_columns(
        pl.when(pl.col("customer_id") == customer).then(pl.lit("revoked")).otherwise(c).alias(c)
        for c in ("consent_email", "consent_ads")
    )
    with gzip.open(path, "wb") as handle:
        table.write_csv(handle)


def test_sync_then_revoked_consent_is_removed_everywhere(project_copy: Path) -> None:
    project = with_destinations(project_copy)
    first = {r.plan.destination: r for r in sync_destinations(project)}
    assert {r.status for r in first.values()} == {"delivered"}
    assert replay(project_copy, "crm") == eligible(project_copy, "consent_email")
    # Someone in both destinations withdraws consent; the next run and sync remove them.
    both = set(sent(project.store, "crm")["customer_id"]) & set(
        sent(project.store, "ads")["customer_id"]
    )
    who = sorted(both)[0]
    revoke(project_copy, who)
    sw.Project.from_yaml(project_copy).run()
    second = {r.plan.destination: r for r in sync_destinations(sw.Project.from_yaml(project_copy))}
    for name in ("crm", "ads"):
        assert who in second[name].plan.removes["customer_id"].to_list()
        assert who not in sent(project.store, name)["customer_id"].to_list()
    assert replay(project_copy, "crm") == eligible(project_copy, "consent_email")
    meta_files = list((project_copy.parent / "exports" / "meta").glob("*/*--remove.csv"))
    assert meta_files  # Meta gets the removal as a file of hashes


def test_a_sync_killed_before_it_was_recorded_sends_the_same_delivery_again(
    project_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = with_destinations(project_copy)
    import segwise.project.sync as running

    def killed(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt  # the process dies after the files, before the store

    monkeypatch.setattr(running.state, "commit", killed)
    with pytest.raises(KeyboardInterrupt):
        sync_destinations(project, destination="crm")
    written = sorted(p.name for p in (project_copy.parent / "exports" / "crm").iterdir())
    assert sent(project.store, "crm").height == 0
    monkeypatch.undo()
    again = sync_destinations(sw.Project.from_yaml(project_copy), destination="crm")
    assert sorted(p.name for p in (project_copy.parent / "exports" / "crm").iterdir()) == written
    assert again[0].plan.delivery_id in written[0]
    assert replay(project_copy, "crm") == eligible(project_copy, "consent_email")


def test_dry_run_sends_and_records_nothing(project_copy: Path) -> None:
    project = with_destinations(project_copy)
    planned = sync_destinations(project, dry_run=True)
    assert {r.status for r in planned} == {"planned"}
    assert planned[0].plan.adds.height > 0
    assert not (project_copy.parent / "exports").exists()
    assert deliveries(project.store).height == 0


def test_unknown_segments_are_named_in_the_error(project_copy: Path) -> None:
    project_copy.write_text(
        project_copy.read_text()
        + "destinations:\n  crm: {type: file, path: out, segments: [lifecycle/VIPs]}\n"
    )
    with pytest.raises(
        ConfigError, match=r"destinations.crm.segments: 'lifecycle' has no segment 'VIPs'"
    ):
        sync_destinations(sw.Project.from_yaml(project_copy))
    with pytest.raises(ConfigError, match="no destination 'crn'"):
        sync_destinations(sw.Project.from_yaml(project_copy), destination="crn")


def test_each_segment_travels_with_its_playbook_or_its_cards_action(project_copy: Path) -> None:
    project_copy.write_text(
        project_copy.read_text()
        + "destinations:\n  crm: {type: file, path: exports/crm, min_size: 0,"
        " segments: [value/Champions, lifecycle/VIP]}\n"
    )
    [result] = sync_destinations(sw.Project.from_yaml(project_copy))
    manifest = json.loads(result.files[1].read_text())
    found = {(s["segmentation"], s["segment"]): s["playbook"] for s in manifest["segments"]}
    cards = open_workspace(project_copy).profiles().filter(pl.col("segment") == "Champions")
    action = json.loads(cards["profile"][0])["action"]
    assert found[("value", "Champions")] == {"action": action}  # RFM: the card's action
    vip = found[("lifecycle", "VIP")]  # rules: the project's playbook, and the action
    assert vip["messaging"] == "Thank them; early access to new collections"
    assert vip["channels"] == ["email", "app"]
    assert vip["action"]


def test_an_experiments_variants_go_to_a_destination_beside_its_segments(
    project_copy: Path,
) -> None:
    from segwise.project.experiments import assign_experiment
    from segwise.project.sync import send_assignment
    from segwise.store.sync import experiment_scope

    project = with_destinations(project_copy)
    sync_destinations(project)
    segments_state = sent(project.store, "crm")
    found = assign_experiment(project, "spring", ["A", "B"], [50, 50], segment="Lapsed")
    planned, would = send_assignment(project, found, "crm", dry_run=True)
    assert planned.status == "planned"
    assert sent(project.store, "crm", experiment_scope("spring")).height == 0
    result, held = send_assignment(project, found, "crm")
    assert result.status == "delivered"
    assert held.equals(would)
    # Exactly the assigned customers who agreed to email, in the variant they were given.
    customers = pl.read_csv(project_copy.parent / "data" / "customers.csv.gz", infer_schema=False)
    agreed = customers.filter(pl.col("consent_email") == "true")["customer_id"]
    expected = found.table.filter(pl.col("customer_id").is_in(agreed.implode()))
    assert sorted(held.select("variant", "customer_id").rows()) == sorted(
        expected.select("variant", "customer_id").rows()
    )
    state = sent(project.store, "crm", experiment_scope("spring"))
    assert set(state["segmentation"]) == {"experiment:spring"}
    assert set(state.select("segment", "customer_id").rows()) == set(
        held.select("variant", "customer_id").rows()
    )
    delivered = pl.read_csv(
        project_copy.parent / "exports" / "crm" / f"crm-{result.plan.delivery_id}.csv",
        infer_schema=False,
    )
    assert set(delivered["segment"]) == {"A", "B"} and set(delivered["action"]) == {"add"}
    # The segments' sync and the experiment's leave each other alone.
    assert sent(project.store, "crm").equals(segments_state)
    [again] = sync_destinations(project, destination="crm")
    assert again.status == "unchanged"
    repeat, still = send_assignment(project, found, "crm")
    assert repeat.status == "unchanged" and still.equals(held)
    with pytest.raises(ConfigError, match="no destination 'nope'"):
        send_assignment(project, found, "nope")


def test_a_destination_checks_the_consent_history_on_the_day_of_the_sync(
    project_copy: Path,
) -> None:
    import datetime as dt

    keep_segmentations(project_copy, "lifecycle")
    store = open_workspace(project_copy)
    vip = sorted(store.members("VIP")["customer_id"].cast(pl.String).to_list())
    stays, revoked, later, expired, never = vip[:5]
    today = dt.date.today()
    rows = [(c, "email", "granted", "2024-01-01", None) for c in vip if c != never]
    rows += [
        (revoked, "email", "revoked", str(today - dt.timedelta(days=1)), None),
        (later, "email", "revoked", str(today + dt.timedelta(days=1)), None),
        (expired, "email", "granted", "2024-06-01", str(today)),  # expires at the start of today
        (stays, "sms", "revoked", str(today - dt.timedelta(days=3)), None),  # another purpose
    ]
    names = ["customer", "purpose", "status", "changed", "until"]
    history = pl.DataFrame(rows, schema=dict.fromkeys(names, pl.String), orient="row")
    history.write_csv(project_copy.parent / "data" / "consents.csv")
    text = project_copy.read_text().replace(
        "sources:\n",
        "sources:\n  consents: {path: data/consents.csv, customer_id: customer, purpose: purpose,"
        " status: status, timestamp: changed, expires: until}\n",
        1,
    )
    project_copy.write_text(
        text + "destinations:\n  crm: {type: file, path: exports/crm, segments: [lifecycle/VIP],"
        " identifiers: [email], consent_purpose: email, min_size: 1}\n"
    )
    [result] = sync_destinations(sw.Project.from_yaml(project_copy))
    held = set(sent(store, "crm")["customer_id"])
    assert {stays, later} <= held
    assert not {revoked, expired, never} & held
    assert held == set(vip) - {revoked, expired, never}
    assert result.plan.segments[0].not_consented == 3
    from segwise.project.access import customer_record

    record = customer_record(sw.Project.from_yaml(project_copy), revoked)["consents"]
    assert record["in_force"] == {"email": False}
    assert [r["status"] for r in record["history"]] == ["granted", "revoked"]


def test_consent_purpose_needs_a_consent_history(project_copy: Path) -> None:
    project_copy.write_text(
        project_copy.read_text() + "destinations:\n  crm: {type: file, path: exports/crm, "
        "segments: [lifecycle/VIP], consent_purpose: email}\n"
    )
    with pytest.raises(ConfigError, match="consent_purpose: the project has no consent history"):
        sw.Project.from_yaml(project_copy)
