"""Versioned definitions: a content hash per run and a readable diff of what changed."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING

import polars as pl
from typer.testing import CliRunner

from segwise.cli.app import app
from segwise.store import RunRecord, SegmentationRecord, Workspace
from segwise.store.definitions import definition_hash, diff_definitions, edited_segmentations

if TYPE_CHECKING:
    from pathlib import Path

runner = CliRunner()
MEMBERS = pl.DataFrame({"customer_id": ["a"], "segment": ["VIP"]})


def _run(store: Workspace, day: int, definitions: dict[str, dict]) -> None:
    store.write_run(
        RunRecord(
            "shop",
            dt.date(2024, 1, day),
            "h",
            "name: shop",
            "0",
            "polars",
            1,
            dt.datetime(2024, 2, 1),
            [SegmentationRecord(n, "rules", d, [], MEMBERS) for n, d in definitions.items()],
        )
    )


def test_the_diff_shows_the_changed_rule_and_hides_fitted_numbers(tmp_path: Path) -> None:
    (tmp_path / "segwise.yaml").write_text(
        "name: shop\nstore: s.duckdb\nsources: {transactions: {path: a.csv}}\n"
        "segmentations: {v: {method: rfm}}\n"
    )
    store = Workspace(tmp_path / "s.duckdb")
    rules = {"method": "rules", "segments": [{"name": "VIP", "where": "net_revenue > 1500"}]}
    model = {"method": "cluster", "k": 3, "model": {"centres": [[0.1, 0.2], [0.3, 0.4]]}}
    _run(store, 1, {"lifecycle": rules, "behaviour": model, "old": {"method": "rfm"}})
    edited = {"method": "rules", "segments": [{"name": "VIP", "where": "net_revenue > 1000"}]}
    refit = {**model, "model": {"centres": [[0.5, 0.2], [0.3, 0.4]]}}
    _run(store, 2, {"lifecycle": edited, "behaviour": refit, "new": {"method": "rfm"}})
    changes = {c.segmentation: c for c in store.diff()}
    assert {n: c.status for n, c in changes.items()} == {
        "behaviour": "changed",
        "lifecycle": "changed",
        "new": "added",
        "old": "removed",
    }
    lines = changes["lifecycle"].lines
    assert '-      "where": "net_revenue > 1500"' in lines
    assert '+      "where": "net_revenue > 1000"' in lines
    assert not any("0.5" in line for line in changes["behaviour"].lines)
    assert any("<fitted, hash" in line for line in changes["behaviour"].lines)
    assert changes["lifecycle"].hash_after == definition_hash(edited)
    result = runner.invoke(app, ["diff", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.stderr
    assert [c["status"] for c in json.loads(result.stdout)] == [
        "changed",
        "changed",
        "added",
        "removed",
    ]


def test_equal_definitions_are_unchanged_whatever_their_key_order() -> None:
    same = diff_definitions({"x": {"a": 1, "b": [1, 2]}}, {"x": {"b": [1, 2], "a": 1}})
    assert [(c.status, c.lines) for c in same] == [("unchanged", [])]


def test_a_frozen_models_first_reuse_is_no_change() -> None:
    # Online Retail II: run 1 fitted the clusters and run 2 reused the file; `segwise diff` said
    # "behaviour: changed" for "refitted": true -> false and a warning's wording.
    model = {"method": "cluster", "k": 8, "model": {"centres": [[0.1, 0.2]]}}
    fitted = {**model, "refitted": True, "warnings": ["no number of segments is stable"]}
    reused = {**model, "refitted": False, "warnings": ["model reused: no number …"]}
    [same] = diff_definitions({"behaviour": fitted}, {"behaviour": reused})
    assert (same.status, same.lines) == ("unchanged", [])
    refit = {**reused, "model": {"centres": [[0.3, 0.2]]}}
    [changed] = diff_definitions({"behaviour": fitted}, {"behaviour": refit})
    assert changed.status == "changed"
    assert not any("refitted" in line or "warnings" in line for line in changed.lines)


def test_how_a_reused_model_fits_each_run_is_no_change() -> None:
    # After stale_after runs, every run's agreement with a fresh fit moved the hash, and so
    # would the share a model leaves as outliers: the definition is the same model.
    model = {"method": "cluster", "k": 8, "model": {"centres": [[0.1, 0.2]]}, "refitted": False}
    one = {**model, "staleness": {"runs_since_fit": 6, "agreement": 0.91, "stale": False}}
    two = {
        **model,
        "staleness": {"runs_since_fit": 7, "agreement": 0.62, "stale": True},
        "outgrown": {"outliers": 5426, "share": 0.23, "note": "23% of customers …"},
    }
    assert definition_hash(one) == definition_hash(two) == definition_hash(model)
    [same] = diff_definitions({"behaviour": one}, {"behaviour": two})
    assert (same.status, same.lines) == ("unchanged", [])


def test_a_hybrids_children_notes_are_not_its_definition_either() -> None:
    # A hybrid keeps each child's definition under `within`, run notes included: its first
    # reuse of a frozen child model read "within.Wholesale.refitted: true -> false".
    child = {"method": "cluster", "model": {"centres": [[0.1]]}}
    fitted = {"method": "hybrid", "within": {"Wholesale": {**child, "refitted": True,
              "warnings": ["k = 4"]}}}  # fmt: skip
    reused = {"method": "hybrid", "within": {"Wholesale": {**child, "refitted": False,
              "staleness": {"agreement": 0.9}, "outgrown": {"share": 0.2}}}}  # fmt: skip
    assert definition_hash(fitted) == definition_hash(reused)
    [same] = diff_definitions({"mix": fitted}, {"mix": reused})
    assert (same.status, same.lines) == ("unchanged", [])
    moved = {"method": "hybrid", "within": {"Wholesale": {**child, "model": {"centres": [[0.3]]}}}}
    [changed] = diff_definitions({"mix": fitted}, {"mix": moved})
    assert changed.status == "changed"


CONFIG = """segmentations:
  value: {method: rfm, bins: 5, description: "Scored on five bins"}
  future: {method: clv, horizon_days: 365}
"""


def test_an_edit_is_what_decides_members_not_what_is_said_of_them() -> None:
    fitted = {"value": {"method": "rfm"}, "future": {"method": "clv", "bgnbd": {"r": 0.2}}}
    refitted = {**fitted, "future": {"method": "clv", "bgnbd": {"r": 0.3}}}
    # A CLV model fitted afresh each run changes its stored definition, not the project file.
    assert edited_segmentations(CONFIG, fitted, CONFIG, refitted) == set()
    reworded = CONFIG.replace("Scored on five bins", "Five bins")
    assert edited_segmentations(CONFIG, fitted, reworded, refitted) == set()
    rebinned = CONFIG.replace("bins: 5", "bins: 4")
    assert edited_segmentations(CONFIG, fitted, rebinned, refitted) == {"value"}
    longer = CONFIG.replace("365", "730")
    assert edited_segmentations(CONFIG, fitted, longer, fitted) == {"future"}
    # A segmentation new in this run, or a stored text that no longer parses: no edit.
    added = {**fitted, "new": {"method": "rfm"}}
    assert edited_segmentations(CONFIG, fitted, CONFIG + "  new: {method: rfm}\n", added) == set()
    assert edited_segmentations("{: [", fitted, rebinned, fitted) == set()


def test_rule_segmentations_are_compared_on_their_stored_rules() -> None:
    # A catalog file's rules are in the stored definition, not in the project file.
    config = "segmentations:\n  life: {method: rules, catalog: life.yaml}\n"
    rules = {"method": "rules", "segments": [{"name": "VIP", "where": "orders > 5"}]}
    same = {"life": {**rules, "warnings": ["a run's note"]}}
    assert edited_segmentations(config, {"life": rules}, config, same) == set()
    said = {"life": {**rules, "segments": [{**rules["segments"][0], "description": "Best"}]}}
    assert edited_segmentations(config, {"life": rules}, config, said) == set()
    raised = {"life": {**rules, "segments": [{"name": "VIP", "where": "orders > 9"}]}}
    assert edited_segmentations(config, {"life": rules}, config, raised) == {"life"}


def test_a_clv_fitted_again_with_the_same_settings_reads_refitted(
    predicted_shop: Path, tmp_path: Path
) -> None:
    # Online Retail II run a quarter later: "future: changed", though nobody touched it.
    import segwise as sw
    from tests.project.experiment_demo import copy_project

    config = copy_project(predicted_shop, tmp_path / "shop")
    sw.Project.from_yaml(config).run()
    result = runner.invoke(app, ["diff", str(config)])
    assert result.exit_code == 0, result.stderr
    said = {line.split(":")[0]: line for line in result.stdout.splitlines() if line[:1] != " "}
    for name in ("future", "future_tiers"):
        assert said[name].startswith(
            f"{name}: refitted: the same settings, fitted again on this run's data (definition "
        )
    assert said["value"].startswith("value: unchanged")
    assert '"bgnbd": {' in result.stdout  # the parameters that moved are still shown


def test_an_edited_setting_is_a_change_and_unknown_settings_are_not_called_refitted() -> None:
    from segwise.store.definitions import refitted_segmentations

    spec = "segmentations:\n  f: {method: clv, holdout_weeks: 13}\n"
    fits = {"f": {"method": "clv", "r": 0.79}}, {"f": {"method": "clv", "r": 0.87}}
    tiers = {"f_tiers": {"method": "clv", "of": "f", "high": 2123.0}}
    later = {**fits[1], "f_tiers": {"method": "clv", "of": "f", "high": 2265.0}}
    assert refitted_segmentations(spec, {**fits[0], **tiers}, spec, later) == {"f", "f_tiers"}
    edited = spec.replace("13", "26")
    assert refitted_segmentations(spec, {**fits[0], **tiers}, edited, later) == set()
    assert refitted_segmentations(None, fits[0], spec, fits[1]) == set()  # a run before config
    assert refitted_segmentations(spec, fits[0], spec, fits[0]) == set()  # nothing differs
    changes = diff_definitions(fits[0], fits[1], refitted={"f"})
    assert [c.status for c in changes] == ["refitted"]
