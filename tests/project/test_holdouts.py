"""Standing holdouts: the same customers kept out of every sync, and removed if sent before."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl
import pytest
from ruamel.yaml import YAML

import segwise as sw
from segwise.exceptions import ConfigError
from segwise.project import open_workspace
from segwise.project.holdouts import withheld
from segwise.project.sync import sync_destinations
from tests.project.test_sync import eligible, replay, with_destinations

if TYPE_CHECKING:
    from pathlib import Path


def set_holdout(config: Path, where: str, name: str, share: str) -> None:
    yaml = YAML()
    document = yaml.load(config.read_text())
    document[where][name]["holdout"] = share
    with config.open("w") as handle:
        yaml.dump(document, handle)


def test_a_segmentation_holdout_is_never_sent_and_leaves_when_it_starts(
    project_copy: Path,
) -> None:
    project = with_destinations(project_copy)
    sync_destinations(project)  # before the holdout: everyone eligible is sent
    assert replay(project_copy, "crm") == eligible(project_copy, "consent_email")
    set_holdout(project_copy, "segmentations", "lifecycle", "20%")
    project = sw.Project.from_yaml(project_copy)
    members = open_workspace(project_copy).memberships(segmentation="lifecycle")
    held = withheld(project, members.select("segmentation", "segment", "customer_id"))
    assert 0.15 < held["customer_id"].n_unique() / members["customer_id"].n_unique() < 0.25
    held_pairs = {(s, c) for s, c in held.select("segment", "customer_id").rows()}
    [crm] = [r for r in sync_destinations(project) if r.plan.destination == "crm"]
    # Those sent before and now held out are removed; no held-out customer is added.
    removed = set(crm.plan.removes.select("segment", "customer_id").rows())
    expected_gone = eligible(project_copy, "consent_email") & held_pairs
    assert expected_gone and expected_gone <= removed
    assert not set(crm.plan.adds.select("segment", "customer_id").rows()) & held_pairs
    assert replay(project_copy, "crm") == eligible(project_copy, "consent_email") - held_pairs
    counts = {s.segment: s.held_out for s in crm.plan.segments}
    for segment in ("VIP", "Lapsed"):
        assert counts[segment] == held.filter(pl.col("segment") == segment).height
    # Deterministic: the next sync holds out the same people and changes nothing.
    [again] = [r for r in sync_destinations(project) if r.plan.destination == "crm"]
    assert again.plan.changes == 0


def test_a_destination_holdout_keeps_its_share_out_of_that_destination_only(
    project_copy: Path,
) -> None:
    with_destinations(project_copy)
    set_holdout(project_copy, "destinations", "crm", "10%")
    project = sw.Project.from_yaml(project_copy)
    results = {r.plan.destination: r for r in sync_destinations(project)}
    crm_held = sum(s.held_out for s in results["crm"].plan.segments)
    assert crm_held > 0
    assert sum(s.held_out for s in results["ads"].plan.segments) == 0


def test_a_holdout_beyond_half_is_refused(project_copy: Path) -> None:
    set_holdout(project_copy, "segmentations", "lifecycle", "60%")
    with pytest.raises(ConfigError, match="holdout"):
        sw.Project.from_yaml(project_copy)
