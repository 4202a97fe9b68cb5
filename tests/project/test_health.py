"""Drift and health: size changes, PSI drift per segment, failed runs, alerts on the CLI."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from typer.testing import CliRunner

from segwise.cli.app import app
from segwise.profiling.cards import SegmentationResult
from segwise.project import Project
from segwise.project.health import (
    PSI_CRITICAL,
    PSI_MIN_CUSTOMERS,
    drift_alerts,
    location_shift_by_group,
    psi,
    psi_by_group,
    size_alerts,
)
from tests.project.demo import keep_segmentations

if TYPE_CHECKING:
    from pathlib import Path

runner = CliRunner()


def _result(name: str, members: dict[str, str], reads: tuple[str, ...] = ()) -> SegmentationResult:
    frame = pl.DataFrame({"customer_id": list(members), "segment": list(members.values())})
    return SegmentationResult(name, "rules", frame, {}, [], reads=reads)


def _before(name: str, members: dict[str, str]) -> pl.DataFrame:
    return pl.DataFrame(
        {"segmentation": name, "customer_id": list(members), "segment": list(members.values())}
    )


def test_size_alerts_follow_the_thresholds() -> None:
    before = {f"c{i}": ("A" if i < 100 else "B" if i < 200 else "C") for i in range(300)}
    after = dict(before)
    for i in range(100, 130):  # B loses 30% to A: A +30%, B -30%
        after[f"c{i}"] = "A"
    for i in range(200, 300):  # C empties into a new D
        after[f"c{i}"] = "D"
    found = {
        (a.segment, a.level): a.value
        for a in size_alerts(_before("v", before), [_result("v", after)], 300)
    }
    assert found[("A", "warning")] == pytest.approx(0.3)
    assert found[("B", "warning")] == pytest.approx(-0.3)
    assert ("C", "warning") in found and ("D", "warning") in found  # emptied, appeared
    calm = size_alerts(_before("v", before), [_result("v", before)], 300)
    assert calm == []


def test_segments_growing_with_the_base_raise_no_size_alert() -> None:
    # UCI Online Retail, September → November 2011: the base grew 19% and 12 segments raised
    # size alerts, 9 of which had kept their share ("Stable: 2,075 → 2,632 customers (+27%)").
    before = {f"c{i}": ("A" if i < 100 else "B" if i < 200 else "C") for i in range(300)}
    grown = dict(before)
    grown |= {f"n{i}": ("A" if i < 30 else "B" if i < 60 else "C") for i in range(90)}  # +30%
    assert size_alerts(_before("v", before), [_result("v", grown)], 390) == []
    # A segment that doubled while the base grew by half did move: its share +30%.
    doubled = dict(grown) | {f"m{i}": "A" for i in range(70)}  # A 100 → 200, base 300 → 460
    [alert] = size_alerts(_before("v", before), [_result("v", doubled)], 460)
    assert alert.segment == "A" and alert.level == "warning"
    assert alert.value == pytest.approx(200 / (100 * 460 / 300) - 1)
    assert alert.message == "v · A: 100 → 200 customers (+100%; the base +53%)"


def test_a_size_alert_never_gives_a_small_segment_away() -> None:
    before = {f"c{i}": ("A" if i < 100 else "B") for i in range(150)}
    after = {c: (s if s == "A" or int(c[1:]) >= 146 else "C") for c, s in before.items()}
    # B: 50 → 4 (-92%); C: new, 46. Under k_min 10, B's 4 is "< 10" and gives no percentage.
    [b_alert] = [a for a in size_alerts(_before("v", before), [_result("v", after)], 150)
                 if a.segment == "B"]  # fmt: skip
    assert b_alert.message == "v · B: 50 → < 10 customers"
    assert b_alert.value == -1.0 and b_alert.level == "critical"
    [exact] = [a for a in size_alerts(_before("v", before), [_result("v", after)], 150, k_min=1)
               if a.segment == "B"]  # fmt: skip
    assert exact.message == "v · B: 50 → 4 customers (-92%)"
    assert exact.value == pytest.approx(-0.92)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.floats(-1e6, 1e6), min_size=60, max_size=300),
    st.lists(st.floats(-1e6, 1e6), min_size=60, max_size=300),
)
def test_psi_is_never_negative_and_zero_on_itself(a: list[float], b: list[float]) -> None:
    first, second = pl.Series(a), pl.Series(b)
    value = psi(first, second)
    assert value is not None and value >= -1e-12
    same = psi(first, first)
    assert same is not None and same < 1e-9


def _reference_psi(expected: np.ndarray, actual: np.ndarray) -> float | None:
    """PSI as written in the textbook, one group at a time in NumPy."""
    if len(expected) < PSI_MIN_CUSTOMERS or len(actual) < PSI_MIN_CUSTOMERS:
        return None
    edges = np.unique(np.quantile(expected, np.arange(1, 10) / 10, method="linear"))

    def shares(values: np.ndarray) -> np.ndarray:
        bins = (values[:, None] > edges[None, :]).sum(axis=1)
        return np.maximum(np.bincount(bins, minlength=len(edges) + 1) / len(values), 1e-4)

    e, a = shares(expected), shares(actual)
    return float(((a - e) * np.log(a / e)).sum())


group_values = st.lists(st.integers(0, 30).map(float), min_size=0, max_size=120)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(group_values, group_values), min_size=1, max_size=5))
def test_psi_by_group_is_each_groups_own_psi(groups: list[tuple[list[float], list[float]]]) -> None:
    # Whole numbers: ties and merged deciles, the case a feature like orders always has.
    def frame(side: int) -> pl.DataFrame:
        return pl.DataFrame(
            {"g": [k for k, pair in enumerate(groups) for _ in pair[side]],
             "value": [v for pair in groups for v in pair[side]]},
            schema={"g": pl.Int64, "value": pl.Float64},
        )  # fmt: skip

    found = dict(psi_by_group(frame(0), frame(1), ["g"]).iter_rows())
    for k, (old, new) in enumerate(groups):
        expected = _reference_psi(np.array(old), np.array(new))
        if expected is None:
            assert k not in found
        else:
            assert found[k] == pytest.approx(expected, abs=1e-12)


def test_drift_names_the_shifted_feature_once_per_segment() -> None:
    rng = np.random.default_rng(0)
    ids = [f"c{i}" for i in range(400)]
    members = dict.fromkeys(ids, "A")
    old = pl.DataFrame(
        {"customer_id": ids, "orders": rng.poisson(3, 400), "spend": rng.normal(100, 10, 400)}
    )
    new = old.with_columns(pl.col("spend") + 40.0, (pl.col("orders") * 1).alias("orders"))
    (alert,) = drift_alerts(
        _before("v", members), old, [_result("v", members, ("orders", "spend"))], new
    )
    assert alert.kind == "feature_drift" and alert.segment == "A"
    assert alert.level == "critical" and alert.value >= PSI_CRITICAL
    assert "spend (median " in alert.message and "orders" not in alert.message
    assert ", PSI " in alert.message


def _recency(as_of: np.datetime64, rng: np.random.Generator, n: int) -> np.ndarray:
    """Days since the last order of ``n`` recent buyers, in a shop shut on Saturdays."""
    days = np.arange(as_of - np.timedelta64(38, "D"), as_of + np.timedelta64(1, "D"))
    open_days = days[(days.astype("datetime64[D]").view("int64") - 2) % 7 != 0]  # not Saturday
    ages = (as_of - open_days).astype(int)
    weights = np.exp(-ages / 8)  # the most recent buyers are the most numerous
    return rng.choice(ages, n, p=weights / weights.sum())


def test_day_counts_landing_on_other_weekdays_are_not_a_shift() -> None:
    # Online Retail, shut on Saturdays, as of a Friday and then a Monday: the Champions' days
    # since their last order "shifted" with PSI 0.76 while their median went from 9 to 10.
    rng = np.random.default_rng(3)
    friday, monday = np.datetime64("2011-09-30"), np.datetime64("2011-10-31")
    ids = [f"c{i}" for i in range(700)]
    members = dict.fromkeys(ids, "Champions")
    old = pl.DataFrame({"customer_id": ids, "recency_days": _recency(friday, rng, 700)})
    new = pl.DataFrame({"customer_id": ids, "recency_days": _recency(monday, rng, 700)})
    assert psi(old["recency_days"], new["recency_days"]) >= 0.1  # PSI alone would alert
    result = [_result("value", members, ("recency_days",))]
    assert drift_alerts(_before("value", members), old, result, new) == []
    # Two weeks longer since their last order is a shift, and the alert says which way.
    later = new.with_columns(pl.col("recency_days") + 14)
    (alert,) = drift_alerts(_before("value", members), old, result, later)
    median_old, median_new = old["recency_days"].median(), later["recency_days"].median()
    assert f"recency_days (median {median_old:.0f} → {median_new:.0f}, PSI" in alert.message
    assert alert.level == "critical"
    # Two days more: a small move (delta 0.23 here), a warning whatever its PSI (2.3).
    nudged = new.with_columns(pl.col("recency_days") + 2)
    (alert,) = drift_alerts(_before("value", members), old, result, nudged)
    assert alert.level == "warning" and alert.value >= PSI_CRITICAL


def test_customers_a_quarter_more_lapsed_have_only_aged() -> None:
    # CDNOW, a closed cohort, a quarter apart: every lapsed segment "shifted" from a median of
    # 230 days since the last order to 320. Nobody bought: the clock explains it.
    rng = np.random.default_rng(4)
    ids = [f"c{i}" for i in range(600)]
    members = dict.fromkeys(ids, "Lost")
    old = pl.DataFrame({"customer_id": ids, "recency_days": rng.integers(150, 330, 600)})
    new = old.with_columns(pl.col("recency_days") + 92)
    result, before = [_result("value", members, ("recency_days",))], _before("value", members)
    assert drift_alerts(before, old, result, new, elapsed_days=92) == []
    assert drift_alerts(before, old, result, new)  # without the days between: a shift
    # A quarter of them bought since: less lapsed than the clock alone would make them.
    bought = new.with_columns(
        pl.when(pl.int_range(pl.len()) % 4 == 0).then(pl.lit(5)).otherwise("recency_days")
        .alias("recency_days")
    )  # fmt: skip
    (alert,) = drift_alerts(before, old, result, bought, elapsed_days=92)
    aged = (old["recency_days"] + 92).median()
    assert f"{aged:.0f} if none had bought since" in alert.message


def test_a_few_days_inside_a_narrow_segment_is_no_shift() -> None:
    # CDNOW's Need Attention spans 20 days of a base whose days since the last order spread
    # over 170 (IQR): 4 days off gave a "medium" delta (0.34) and a critical PSI of 9.5.
    rng = np.random.default_rng(5)
    ids = [f"c{i}" for i in range(2_000)]
    members = {c: "Need Attention" if i < 400 else "Other" for i, c in enumerate(ids)}
    wide = rng.integers(0, 400, 2_000)
    wide[:400] = rng.integers(198, 219, 400)
    old = pl.DataFrame({"customer_id": ids, "recency_days": wide})
    new = old.with_columns(
        pl.when(pl.int_range(pl.len()) < 400).then(pl.col("recency_days") - 4)
        .otherwise("recency_days").alias("recency_days")
    )  # fmt: skip
    result = [_result("value", members, ("recency_days",))]
    shifted = location_shift_by_group(
        old.head(400).select(g=0, value="recency_days"),
        new.head(400).select(g=0, value="recency_days"),
        ["g"],
    )
    assert abs(shifted["delta"][0]) > 0.3  # the customers did move, by 4 days
    assert drift_alerts(_before("value", members), old, result, new) == []


def _rfm(members: dict[str, str], binning: str) -> SegmentationResult:
    frame = pl.DataFrame({"customer_id": list(members), "segment": list(members.values())})
    return SegmentationResult(
        "value", "rfm", frame, {"binning": binning}, [], reads=("recency_days",)
    )


def _by_rank(values: np.ndarray, ids: list[str]) -> dict[str, str]:
    """Three equal segments by rank of ``values``, as quantile scores cut them."""
    order = np.argsort(np.argsort(values, kind="stable"), kind="stable")
    names = np.array(["Recent", "Middle", "Lapsed"])[order * 3 // len(values)]
    return dict(zip(ids, names.tolist(), strict=True))


def _a_month_later() -> tuple[list[str], np.ndarray, np.ndarray]:
    """3,000 customers' days since their last order, and a month later: a fifth bought again,
    the rest are a month older."""
    rng = np.random.default_rng(6)
    ids = [f"c{i}" for i in range(3_000)]
    old_days = rng.gamma(1.2, 60, 3_000).round()
    new_days = np.where(rng.random(3_000) < 0.2, rng.integers(0, 30, 3_000), old_days + 31)
    return ids, old_days, new_days


def test_segments_ranked_afresh_each_run_move_with_the_base_in_one_alert() -> None:
    # Online Retail II, September then October 2010: quantile RFM's Need Attention "shifted"
    # from a median of 70 days since the last order to 47 (PSI 3.45, critical) while the
    # base's own distribution barely moved (PSI 0.06): the score cut-offs had moved.
    ids, old_days, new_days = _a_month_later()
    old = pl.DataFrame({"customer_id": ids, "recency_days": old_days})
    new = pl.DataFrame({"customer_id": ids, "recency_days": new_days})
    before = _before("value", _by_rank(old_days, ids))
    ranked = _by_rank(new_days, ids)
    rules_like = _result("value", ranked, ("recency_days",))
    assert drift_alerts(before, old, [rules_like], new, elapsed_days=31)  # per segment: shifts
    quantile = _rfm(ranked, "quantile")
    assert drift_alerts(before, old, [quantile], new, elapsed_days=31) == []
    # The whole base two months more lapsed than the clock makes them: one alert, no segment.
    later = new.with_columns(pl.col("recency_days") + 60)
    (alert,) = drift_alerts(before, old, [quantile], later, elapsed_days=31)
    assert alert.kind == "base_drift" and alert.segment == ""
    assert alert.message.startswith("value: the whole base moved on recency_days (median ")
    # Fixed cut points do not follow the base: their segments are checked one by one.
    fixed = _rfm(ranked, "fixed")
    assert {a.kind for a in drift_alerts(before, old, [fixed], later, elapsed_days=31)} == {
        "feature_drift"
    }


@settings(max_examples=40, deadline=None)
@given(
    old=st.lists(st.integers(0, 30), min_size=1, max_size=60),
    new=st.lists(st.integers(0, 30), min_size=1, max_size=60),
)
def test_the_location_shift_is_mann_whitneys_u_scaled(old: list[int], new: list[int]) -> None:
    found = location_shift_by_group(
        pl.DataFrame({"g": 0, "value": old}), pl.DataFrame({"g": 0, "value": new}), ["g"]
    ).row(0, named=True)
    u = stats.mannwhitneyu(new, old).statistic
    assert found["delta"] == pytest.approx(2 * u / (len(old) * len(new)) - 1, abs=1e-12)
    assert (found["median_old"], found["median_new"]) == (np.median(old), np.median(new))


def test_a_project_stores_alerts_and_failures(tmp_path: Path) -> None:
    folder = tmp_path / "shop"
    keep_segmentations(Project.init(folder), "value", "lifecycle")
    project = Project.from_yaml(folder)
    project.run(as_of="2024-06-30")
    second = project.run()
    assert second.alerts, "six months later some segments must have moved"
    listed = runner.invoke(app, ["alerts", str(folder), "--json"])
    assert listed.exit_code == 0, listed.stderr
    stored = json.loads(listed.stdout)
    assert sorted(a["message"] for a in stored) == sorted(a.message for a in second.alerts)
    assert second.since_last_success is not None
    assert second.since_last_success.startswith("previous successful run: run 1, ")

    orders = project.resolve(project.config.sources.transactions.path)
    saved = orders.read_bytes()
    orders.write_bytes(b"")
    failed = runner.invoke(app, ["run", str(folder)])
    assert failed.exit_code == 1
    runs = runner.invoke(app, ["runs", str(folder)])
    assert "failed run at " in runs.stdout and "the file is empty" in runs.stdout
    orders.write_bytes(saved)
    third = project.run()
    assert third.since_last_success is not None
    assert "1 failed run since (last: " in third.since_last_success


def _clusters(held: dict[str, str], *, refitted: bool) -> SegmentationResult:
    members = pl.DataFrame({"customer_id": list(held), "segment": list(held.values())})
    return SegmentationResult("behaviour", "cluster", members, {"refitted": refitted}, [])


def test_a_refitted_clustering_gets_one_note_not_a_size_alert_per_renamed_segment() -> None:
    before = {f"c{i}": ("Old A" if i < 50 else "Old B") for i in range(100)}
    after = {f"c{i}": ("New A" if i < 50 else "New B") for i in range(100)}
    (alert,) = size_alerts(_before("behaviour", before), [_clusters(after, refitted=True)], 100)
    assert alert.kind == "refit" and "not comparable" in alert.message
    frozen = _clusters(after, refitted=False)
    kinds = {a.kind for a in size_alerts(_before("behaviour", before), [frozen], 100)}
    assert kinds == {"size_change"}  # a frozen model's segments are followed as usual
    # A refit that finds the same two groups under their names moved customers, not
    # segments: its sizes are followed too (Old A 30 → 40, overlap 75%; Old B 70 → 60).
    first = {f"c{i}": ("Old A" if i < 30 else "Old B") for i in range(100)}
    same = {f"c{i}": ("Old A" if i < 40 else "Old B") for i in range(100)}
    found = size_alerts(_before("behaviour", first), [_clusters(same, refitted=True)], 100)
    assert [(a.kind, a.segment) for a in found] == [("size_change", "Old A")]


def test_a_hybrid_refit_leaves_the_other_parents_segments_followed() -> None:
    # Online Retail II, clusters inside 'Big accounts' fitted afresh while RFM scored the
    # rest: "mix: the clusters were fitted afresh, so its segments are new" hid every size
    # alert of the RFM segments, whose moves were customers moving.
    before = {f"c{i}": "Rest › Lost" if i < 60 else "Rest › Champions" for i in range(90)}
    before |= {f"b{i}": "Big › Old A" if i < 10 else "Big › Old B" for i in range(20)}
    after = {f"c{i}": "Rest › Lost" if i < 30 else "Rest › Champions" for i in range(90)}
    after |= {f"b{i}": "Big › New A" if i < 10 else "Big › New B" for i in range(20)}
    within = {"Big": {"method": "cluster", "refitted": True}, "Rest": {"method": "rfm"}}
    definition = {"method": "hybrid", "separator": " › ", "within": within, "refitted": True}
    members = pl.DataFrame({"customer_id": list(after), "segment": list(after.values())})
    mix = SegmentationResult("mix", "hybrid", members, definition, [])
    found = size_alerts(_before("mix", before), [mix], 110)
    refit = [a for a in found if a.kind == "refit"]
    assert len(refit) == 1 and refit[0].message.startswith(
        "mix: the clusters inside 'Big' were fitted afresh, so the segments inside 'Big' are new"
    )
    sized = {a.segment for a in found if a.kind == "size_change"}
    assert sized == {"Rest › Lost", "Rest › Champions"}  # 60 → 30 and 30 → 60: followed


def test_a_hybrids_rfm_segments_move_with_their_parent_in_one_alert() -> None:
    # Online Retail II as of 2010-12-09, RFM inside 'Everyone else': "Need Attention: its
    # customers shifted on recency_days (median 76 → 55, PSI 3.92)", the parent moving.
    ids, old_days, new_days = _a_month_later()
    old = pl.DataFrame({"customer_id": ids, "recency_days": old_days})
    later = pl.DataFrame({"customer_id": ids, "recency_days": new_days + 60})
    before = {c: f"Rest › {s}" for c, s in _by_rank(old_days, ids).items()}
    after = {c: f"Rest › {s}" for c, s in _by_rank(new_days, ids).items()}
    within = {"Rest": {"method": "rfm"}, "Big": {"method": "cluster", "refitted": False}}
    definition = {"method": "hybrid", "separator": " › ", "within": within}
    frame = pl.DataFrame({"customer_id": list(after), "segment": list(after.values())})
    mix = SegmentationResult("mix", "hybrid", frame, definition, [], reads=("recency_days",))
    found = drift_alerts(_before("mix", before), old, [mix], later, elapsed_days=31)
    (alert,) = found
    assert alert.kind == "base_drift" and alert.segment == ""
    assert alert.message.startswith("mix: the customers of 'Rest' moved on recency_days (median ")
    # Were 'Rest' split by rules instead, its segments would be judged one by one.
    ruled = {**definition, "within": {"Rest": {"method": "rules"}}}
    by_rules = SegmentationResult("mix", "hybrid", frame, ruled, [], reads=("recency_days",))
    kinds = {
        a.kind
        for a in drift_alerts(_before("mix", before), old, [by_rules], later, elapsed_days=31)
    }
    assert kinds == {"feature_drift"}
