"""Clusters fitted afresh between runs: `changes` says so and maps old segments to new."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

import polars as pl
import pytest
from typer.testing import CliRunner

from segwise.cli.app import app
from segwise.store import RunRecord, SegmentationRecord, Workspace
from segwise.store.refits import SAME_GROUP, closest_segments, fitted_in_run, fitted_model

if TYPE_CHECKING:
    from pathlib import Path


def _cluster(model: dict[str, Any], *, kept: bool = False) -> dict[str, Any]:
    return {
        "method": "cluster",
        "model": model,
        "refitted": True,
        "model_path": "models/m.json" if kept else None,
    }


def _write(
    store: Workspace, as_of: dt.date, segments: dict[str, list[str]], **cluster: Any
) -> None:
    """One run: a cluster segmentation `groups` and a rule segmentation `value`, same customers."""
    ids = [c for members in segments.values() for c in members]
    members = pl.DataFrame(
        {
            "customer_id": ids,
            "segment": [name for name, held in segments.items() for _ in held],
        }
    )
    cards = [{"name": n, "size": len(m), "share": len(m) / len(ids)} for n, m in segments.items()]
    everyone = pl.DataFrame({"customer_id": ids, "segment": ["All"] * len(ids)})
    store.write_run(
        RunRecord(
            "shop",
            as_of,
            "hash",
            "name: shop",
            "0",
            "polars",
            len(ids),
            dt.datetime.combine(as_of, dt.time()),
            [
                SegmentationRecord("groups", "cluster", _cluster(**cluster), cards, members),
                SegmentationRecord(
                    "value",
                    "rules",
                    {"method": "rules"},
                    [{"name": "All", "size": len(ids), "share": 1.0}],
                    everyone,
                ),
            ],
        )
    )


def _ids(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{i:03d}" for i in range(n)]


def refitted_store_at(path: Path) -> Path:
    """Run 1: A (40) and B (60). Run 2, a new fit: "Big spenders" holds all of A and 5 of B
    (A under a new name), and the rest of B is split into "Quiet" and "Lapsed"."""
    store = Workspace(path)
    a, b = _ids("a", 40), _ids("b", 60)
    _write(store, dt.date(2024, 1, 31), {"A": a, "B": b}, model={"centres": [0]})
    second = {"Big spenders": a + b[:5], "Quiet": b[5:35], "Lapsed": b[35:]}
    _write(store, dt.date(2024, 2, 29), second, model={"centres": [1]})
    return path


@pytest.fixture
def refitted_store(tmp_path: Path) -> Path:
    return refitted_store_at(tmp_path / "store.duckdb")


def test_changes_say_which_segmentation_was_refitted_and_where_old_segments_went(
    refitted_store: Path,
) -> None:
    found = Workspace(refitted_store).changes()
    assert [r.segmentation for r in found.refits] == ["groups"]  # not the rule segmentation
    refit = found.refits[0]
    assert (refit.segments_before, refit.segments_after) == (2, 3)
    rows = {r["from_segment"]: r for r in refit.matches.to_dicts()}
    assert list(rows) == ["B", "A"]  # the larger old segment first
    assert rows["A"]["to_segment"] == "Big spenders"
    assert rows["A"]["share"] == 1.0
    assert rows["A"]["overlap"] == pytest.approx(40 / 45)
    # B's best overlap: Quiet holds 30 of its 60 (30 / 60), Lapsed 25 (25 / 60), Big 5 (5 / 100).
    assert rows["B"]["to_segment"] == "Quiet"
    assert rows["B"]["overlap"] == pytest.approx(0.5)
    note = refit.note(found.from_run, found.to_run)
    assert "groups was fitted afresh between run 1 and run 2" in note
    assert "1 of 2 old segments match a new one closely" in note
    assert "model: PATH under segmentations.groups" in note


def test_the_cli_and_json_carry_the_note(refitted_store: Path, tmp_path: Path) -> None:
    config = tmp_path / "segwise.yaml"
    config.write_text(
        "name: shop\nstore: store.duckdb\nsources: {transactions: {path: t.csv}}\n"
        "segmentations: {value: {method: rfm}}\n"
    )
    runner = CliRunner()
    shown = runner.invoke(app, ["changes", str(config)], terminal_width=200)
    assert shown.exit_code == 0, shown.stderr
    assert "note: groups was fitted afresh" in shown.stdout
    assert shown.stdout.index("note: groups") < shown.stdout.index("run 1 → run 2")
    assert "the closest new segment to each old one" in shown.stdout
    data = json.loads(runner.invoke(app, ["changes", str(config), "--json"]).stdout)
    [refit] = data["refits"]
    assert refit["segmentation"] == "groups" and refit["note"].startswith("groups was fitted")
    assert {m["from_segment"]: m["to_segment"] for m in refit["matches"]} == {
        "A": "Big spenders",
        "B": "Quiet",
    }
    alone = json.loads(
        runner.invoke(app, ["changes", str(config), "--segmentation", "value", "--json"]).stdout
    )
    assert alone["refits"] == []


def test_a_kept_model_is_no_refit_and_a_renewed_one_says_so(tmp_path: Path) -> None:
    store = Workspace(tmp_path / "store.duckdb")
    a, b = _ids("a", 40), _ids("b", 60)
    model = {"centres": [0]}
    _write(store, dt.date(2024, 1, 31), {"A": a, "B": b}, model=model, kept=True)
    # Same model: customers moved, nothing was refitted.
    _write(store, dt.date(2024, 2, 29), {"A": a + b[:10], "B": b[10:]}, model=model, kept=True)
    assert store.changes().refits == ()
    # A monthly refit of a kept model that regroups: noted, with the refit: setting named.
    renewed = {"centres": [2]}
    _write(store, dt.date(2024, 3, 31), {"C": a[:20] + b[:30], "D": a[20:] + b[30:]},
           model=renewed, kept=True)  # fmt: skip
    [refit] = store.changes().refits
    assert "its refit: setting renewed the kept model" in refit.note(2, 3)
    # A refit that finds the same groups under the same names is not worth a note.
    _write(store, dt.date(2024, 4, 30), {"C": a[:20] + b[:30], "D": a[20:] + b[30:]},
           model={"centres": [3]}, kept=True)  # fmt: skip
    assert store.changes().refits == ()


def test_closest_segments_by_hand() -> None:
    matrix = pl.DataFrame(
        {
            "from_segment": ["A", "A", "B", "B", "(none)", "A"],
            "to_segment": ["X", "Y", "Y", "(none)", "X", "(none)"],
            "customers": [6, 2, 8, 2, 4, 2],
        }
    )
    rows = closest_segments(matrix).to_dicts()
    # A: 10 customers (6 → X, 2 → Y, 2 gone); X: 10 (6 from A, 4 new); Y: 10.
    # A~X = 6 / 14, A~Y = 2 / 18; B: 10, B~Y = 8 / 12.
    assert [(r["from_segment"], r["to_segment"]) for r in rows] == [("A", "X"), ("B", "Y")]
    assert rows[0]["share"] == pytest.approx(0.6) and rows[0]["overlap"] == pytest.approx(6 / 14)
    assert rows[1]["overlap"] == pytest.approx(8 / 12) and rows[1]["overlap"] < SAME_GROUP
    assert closest_segments(matrix.clear()).height == 0


def test_only_fitted_segments_count_as_refits() -> None:
    assert fitted_model({"method": "rfm", "bins": 5}) is None
    assert fitted_model({"method": "clv", "bgnbd": {"r": 1.0}}) is None
    hybrid = {"method": "hybrid", "within": {"Active": {"method": "cluster", "model": {"k": 3}}}}
    other = {"method": "hybrid", "within": {"Active": {"method": "cluster", "model": {"k": 4}}}}
    assert fitted_model(hybrid) not in (None, fitted_model(other))
    survey = {"method": "survey", "fit": [{"classes": 3}], "profiles": {"Savers": ["price"]}}
    regrown = {**survey, "profiles": {"Savers": ["price"], "Fans": ["brand"]}}
    assert fitted_model(survey) not in (None, fitted_model(regrown))
    assert fitted_model(survey) == fitted_model({**survey, "respondents": 900})
    rules_inside = {"method": "hybrid", "within": {"Active": {"method": "rfm"}}}
    assert fitted_model(rules_inside) is None
    assert fitted_in_run("cluster", {}) and not fitted_in_run("cluster", {"refitted": False})
    assert fitted_in_run("hybrid", {"refitted": True}) and not fitted_in_run("hybrid", {})


@pytest.mark.parametrize(
    ("method", "kept", "advice"),
    [
        ("cluster", False, "model: PATH under segmentations.g) so later runs"),
        ("hybrid", False, "model: PATH under segmentations.g.within.<segment>)"),
        ("cluster", True, "its refit: setting renewed the kept model"),
        ("survey", False, "fitted on the responses each run"),
    ],
    ids=["cluster", "hybrid", "kept", "survey"],
)
def test_the_note_gives_the_advice_that_fits_the_method(
    method: str, kept: bool, advice: str
) -> None:
    from segwise.store.refits import Refit

    matches = closest_segments(
        pl.DataFrame({"from_segment": ["A"], "to_segment": ["X"], "customers": [5]})
    )
    refit = Refit("g", 1, 1, matches, model_kept=kept, method=method)
    assert advice in refit.note(1, 2)
    assert refit.to_dict()["method"] == method


def test_a_hybrid_refit_is_said_of_the_parent_whose_clusters_were_fitted() -> None:
    # Online Retail II: "mix was fitted afresh … (12 segments → 12; 1 of 12 old segments
    # match)" counted the RFM leaves of 'Everyone else' as regrouped too.
    from segwise.store.refits import find_refits, refitted_parents

    def hybrid(model: int) -> dict[str, Any]:
        big = {"method": "cluster", "model": {"k": model}, "refitted": True}
        return {"method": "hybrid", "separator": " › ",
                "within": {"Big": big, "Rest": {"method": "rfm"}}}  # fmt: skip

    before, after = {"mix": hybrid(3)}, {"mix": hybrid(4)}
    assert refitted_parents(after["mix"], before["mix"]) == ("Big",)
    assert refitted_parents(after["mix"], after["mix"]) == ()
    flows = [("Big › A", "Big › X", 5), ("Big › A", "Big › Y", 5), ("Big › B", "Big › Y", 10),
             ("Rest › Lost", "Rest › Lost", 50), ("Rest › Lost", "Rest › Champions", 20),
             ("Rest › Champions", "Big › X", 4)]  # fmt: skip
    matrix = pl.DataFrame(flows, schema=["from_segment", "to_segment", "customers"], orient="row")
    matrix = matrix.with_columns(segmentation=pl.lit("mix"))
    segments = ["Big › A", "Big › B", "Big › X", "Big › Y", "Rest › Lost", "Rest › Champions"]
    counts = pl.DataFrame(
        {
            "segmentation": "mix",
            "segment": segments,
            "before": [10, 10, 0, 0, 70, 4],
            "after": [0, 0, 9, 15, 50, 20],
        }
    )
    (refit,) = find_refits(before, after, counts, matrix)
    assert refit.parents == ("Big",) and (refit.segments_before, refit.segments_after) == (2, 2)
    assert set(refit.matches["from_segment"]) == {"Big › A", "Big › B"}
    note = refit.note(1, 2)
    assert note.startswith(
        "the clusters inside 'Big' of mix were fitted afresh between run 1 and run 2 "
        "(2 segments → 2; "
    )
    assert "(moves between rule segments, and inside the others, are customers who moved)" in note
    assert refit.covers("Big › X") and not refit.covers("Rest › Lost")
