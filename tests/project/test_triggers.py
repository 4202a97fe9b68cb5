"""Triggers on a project: two runs with known movers give exactly their events, once."""

from __future__ import annotations

import base64
import gzip
import json
from typing import TYPE_CHECKING, Any

import polars as pl
import pytest
import yaml

import segwise as sw
from segwise.project.sync import sync_destinations
from segwise.project.triggers import fire_triggers
from tests.activation.receiver import Receiver

if TYPE_CHECKING:
    from pathlib import Path

SECRET = "whsec_" + base64.b64encode(b"triggers-test-secret-32-bytes-ok").decode()
RICH = 150_000


def configure(config: Path, url: str) -> None:
    """Only a rules segmentation on income (fast runs), a webhook, a file folder, a trigger."""
    settings = yaml.safe_load(config.read_text())
    settings["segmentations"] = {
        "wealth": {"method": "rules", "segments": [{"name": "Rich", "where": f"income > {RICH}"}]}
    }
    settings["destinations"] = {
        "hook": {"type": "webhook", "url": url, "secret_env": "TRIGGER_SECRET",
                 "segments": ["wealth/*"], "identifiers": ["email"], "consent": "consent_email",
                 "min_size": 0, "backoff": 0.01},
        "files": {"type": "file", "path": "exports/events", "segments": ["wealth/*"],
                  "format": "csv"},
    }  # fmt: skip
    settings["triggers"] = {"rich": {"segments": ["wealth/Rich"], "on_enter": "hook",
                                     "on_exit": "files"}}  # fmt: skip
    config.write_text(yaml.safe_dump(settings))


def edit_incomes(config: Path, incomes: dict[str, float]) -> None:
    path = config.parent / "data" / "customers.csv.gz"
    table = pl.read_csv(path, infer_schema=False)
    new = pl.col("customer_id").replace_strict(
        {k: str(v) for k, v in incomes.items()}, default=pl.col("income")
    )
    with gzip.open(path, "wb") as handle:
        table.with_columns(new.alias("income")).write_csv(handle)


def pick(config: Path) -> dict[str, list[str]]:
    """Customers to move: consented poor ones up, rich ones down, one unconsented up."""
    table = pl.read_csv(config.parent / "data" / "customers.csv.gz", infer_schema=False)
    income = pl.col("income").cast(pl.Float64)
    agreed = pl.col("consent_email") == "true"

    def ids(where: pl.Expr, count: int) -> list[str]:
        return table.filter(where).sort("customer_id")["customer_id"].head(count).to_list()

    return {
        "up": ids((income <= RICH) & agreed, 3),
        "down": ids(income > RICH, 2),
        "up_unconsented": ids((income <= RICH) & ~agreed, 1),
    }


@pytest.fixture
def hook(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("TRIGGER_SECRET", SECRET)
    with Receiver(SECRET) as receiver:
        yield receiver


def event_bodies(hook: Receiver) -> list[dict[str, Any]]:
    return [body for body in hook.bodies if body["type"] == "segwise.segment.events"]


def events_received(hook: Receiver) -> list[dict[str, Any]]:
    return [e for body in event_bodies(hook) for e in body["data"]["events"]]


def test_two_runs_with_known_movers_give_exactly_their_events(
    project_copy: Path, hook: Receiver
) -> None:
    configure(project_copy, hook.url)
    sw.Project.from_yaml(project_copy).run()
    [started] = [
        t for t in fire_triggers(sw.Project.from_yaml(project_copy)) if t.destination == "hook"
    ]
    assert started.status == "started"  # a new trigger greets nobody
    assert hook.requests == 0
    movers = pick(project_copy)
    edit_incomes(project_copy, dict.fromkeys(movers["up"] + movers["up_unconsented"], 250000)
                 | dict.fromkeys(movers["down"], 1000))  # fmt: skip
    project = sw.Project.from_yaml(project_copy)
    project.run()
    sync_destinations(project)
    found = {t.destination: t for t in fire_triggers(project)}
    assert (found["hook"].entered, found["hook"].exited, found["hook"].left_out) == (3, 0, 1)
    assert found["hook"].status == "delivered"
    events = events_received(hook)
    assert sorted(e["customer_id"] for e in events) == sorted(movers["up"])
    assert {(e["event"], e["segment"]) for e in events} == {("enter", "Rich")}
    assert all("income" in e["reason"] and "250" in e["reason"] for e in events)
    assert all(e["email"].endswith("@example.com") for e in events)
    [payload] = event_bodies(hook)
    assert payload["type"] == "segwise.segment.events"
    assert payload["data"]["trigger"] == "rich"
    assert payload["data"]["run_id"] == payload["data"]["from_run"] + 1
    # The exits went to the file destination: one file for the run, with its manifest.
    [written] = found["files"].files[:1]
    table = pl.read_csv(written, infer_schema=False)
    assert sorted(table["customer_id"]) == sorted(movers["down"])
    assert set(table["event"]) == {"exit"}
    manifest = json.loads(found["files"].files[1].read_text())
    assert (manifest["entered"], manifest["exited"]) == (0, 2)
    # Synced again: those runs have fired; nothing is sent twice.
    again = fire_triggers(sw.Project.from_yaml(project_copy))
    assert again == []
    assert len(event_bodies(hook)) == 1


def test_a_dry_run_counts_events_and_fires_nothing(project_copy: Path, hook: Receiver) -> None:
    configure(project_copy, hook.url)
    sw.Project.from_yaml(project_copy).run()
    fire_triggers(sw.Project.from_yaml(project_copy))
    movers = pick(project_copy)
    edit_incomes(project_copy, dict.fromkeys(movers["up"], 250000))
    sw.Project.from_yaml(project_copy).run()
    planned = fire_triggers(sw.Project.from_yaml(project_copy), dry_run=True)
    assert {(t.destination, t.status, t.entered) for t in planned} == {
        ("hook", "planned", 3), ("files", "planned", 0),
    }  # fmt: skip
    assert hook.requests == 0
    assert not (project_copy.parent / "exports" / "events").exists()
    sent = fire_triggers(sw.Project.from_yaml(project_copy), destination="hook")
    assert [(t.destination, t.entered) for t in sent] == [("hook", 3)]


def test_triggers_must_name_event_destinations(project_copy: Path) -> None:
    configure(project_copy, "http://127.0.0.1:9/x")
    settings = yaml.safe_load(project_copy.read_text())
    settings["triggers"]["rich"]["on_exit"] = "nowhere"
    project_copy.write_text(yaml.safe_dump(settings))
    with pytest.raises(sw.ConfigError, match=r"triggers\.rich: no destination 'nowhere'"):
        sw.Project.from_yaml(project_copy)


def test_with_pseudonyms_receivers_get_the_ids_as_written(
    project_copy: Path, hook: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEGWISE_PRIVACY_KEY", "0123456789abcdef0123456789abcdef")
    configure(project_copy, hook.url)
    project_copy.write_text(project_copy.read_text() + "privacy: {pseudonymise: true}\n")
    sw.Project.from_yaml(project_copy).run()
    fire_triggers(sw.Project.from_yaml(project_copy))
    movers = pick(project_copy)
    edit_incomes(project_copy, dict.fromkeys(movers["up"], 250000)
                 | dict.fromkeys(movers["down"], 1000))  # fmt: skip
    project = sw.Project.from_yaml(project_copy)
    project.run()
    assert not set(movers["up"]) & set(project.store.members("Rich")["customer_id"])
    found = {t.destination: t for t in fire_triggers(project)}
    assert sorted(e["customer_id"] for e in events_received(hook)) == sorted(movers["up"])
    table = pl.read_csv(found["files"].files[0], infer_schema=False)
    assert sorted(table["customer_id"]) == sorted(movers["down"])


def test_a_cluster_fitted_afresh_sends_no_events_and_says_why(project_copy: Path) -> None:
    # Without a kept model a refit renames the groups: "entering" them is no event.
    settings = yaml.safe_load(project_copy.read_text())
    behaviour = {**settings["segmentations"]["behaviour"], "k": 3}
    behaviour.pop("model", None)
    settings["segmentations"] = {
        "behaviour": behaviour,
        "wealth": {"method": "rules", "segments": [{"name": "Rich", "where": f"income > {RICH}"}]},
    }
    settings["destinations"] = {
        "files": {"type": "file", "path": "exports/events", "segments": ["wealth/*"],
                  "format": "csv"},
    }  # fmt: skip
    settings["triggers"] = {"moves": {"segments": ["behaviour/*", "wealth/Rich"],
                                      "on_enter": "files"}}  # fmt: skip
    project_copy.write_text(yaml.safe_dump(settings))
    sw.Project.from_yaml(project_copy).run()
    fire_triggers(sw.Project.from_yaml(project_copy))
    movers = pick(project_copy)
    edit_incomes(project_copy, dict.fromkeys(movers["up"], 250000))
    settings["segmentations"]["behaviour"]["k"] = 4  # a new fit: four groups, new names
    project_copy.write_text(yaml.safe_dump(settings))
    project = sw.Project.from_yaml(project_copy)
    project.run()
    assert [r.segmentation for r in project.store.changes().refits] == ["behaviour"]
    [result] = fire_triggers(project)
    assert result.regrouped == ("behaviour",)
    # Only the rule segment's movers are sent (the three who became rich and consented).
    assert (result.entered, result.status) == (3, "delivered")
    table = pl.read_csv(result.files[0], infer_schema=False)
    assert set(table["segmentation"]) == {"wealth"}
    assert result.to_dict()["regrouped"] == ["behaviour"]
