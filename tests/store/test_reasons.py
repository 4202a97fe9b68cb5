"""history says why a customer moved: the rule condition that flipped, the score that changed."""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import polars as pl

from segwise.store import RunRecord, SegmentationRecord, Workspace

if TYPE_CHECKING:
    from pathlib import Path

RULES = {
    "method": "rules",
    "exclusive": True,
    "other": "Other",
    "segments": [
        {"name": "VIP", "where": "orders >= 10 AND net_revenue > 1000"},
        {"name": "Lapsed", "where": "recency_days > 365"},
        {"name": "App fans", "where": "performed('app_session', at_least => 3)"},
    ],
}


def _run(
    store: Workspace,
    day: dt.date,
    features: pl.DataFrame,
    lifecycle: dict[str, str],
    value: dict[str, str],
    scores: pl.DataFrame,
) -> int:
    def members(held: dict[str, str]) -> pl.DataFrame:
        return pl.DataFrame({"customer_id": list(held), "segment": list(held.values())})

    return store.write_run(
        RunRecord(
            "shop",
            day,
            "h",
            "name: shop",
            "0",
            "polars",
            features.height,
            dt.datetime.combine(day, dt.time(6)),
            [
                SegmentationRecord("lifecycle", "rules", RULES, [], members(lifecycle)),
                SegmentationRecord(
                    "value", "rfm", {"method": "rfm"}, [], members(value), details=scores
                ),
            ],
            features=features,
        )
    )


def _features(orders: list[int], revenue: list[float], recency: list[int]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "customer_id": ["a", "b", "c"],
            "orders": orders,
            "net_revenue": revenue,
            "recency_days": recency,
            "first_order": [dt.datetime(2023, 1, 5)] * 3,
        }
    )


def _scores(r: list[int], f: list[int], m: list[int], recency: list[int]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "customer_id": ["a", "b", "c"],
            "r_score": r,
            "f_score": f,
            "m_score": m,
            "recency_days": recency,
            "frequency": [12, 3, 1],
            "monetary": [1500.0, 90.0, 20.0],
        }
    )


def _store(tmp_path: Path) -> Workspace:
    store = Workspace(tmp_path / "s.duckdb")
    _run(
        store,
        dt.date(2024, 3, 31),
        _features([12, 3, 1], [1500.0, 90.0, 20.0], [10, 200, 300]),
        {"a": "VIP", "b": "Other", "c": "Other"},
        {"a": "Champions", "b": "Loyal", "c": "At Risk"},
        _scores([5, 4, 2], [5, 3, 1], [5, 3, 1], [10, 200, 300]),
    )
    _run(
        store,
        dt.date(2024, 6, 30),
        # a: revenue falls below the VIP threshold; c: crosses a year without an order.
        _features([12, 3, 1], [950.0, 90.0, 20.0], [20, 291, 391]),
        {"a": "Other", "b": "Other", "c": "Lapsed"},
        {"a": "Champions", "b": "At Risk", "c": "Lost"},
        _scores([5, 2, 1], [5, 3, 1], [5, 3, 1], [20, 291, 391]),
    )
    return store


def test_a_rule_move_names_the_condition_and_its_values(tmp_path: Path) -> None:
    store = _store(tmp_path)
    (move,) = [m for m in store.history("a").moves if m.segmentation == "lifecycle"]
    assert (move.before, move.after) == (("VIP",), ("Other",))
    assert move.reason == (
        "left 'VIP': net_revenue > 1000 was true, now false (net_revenue 1,500 → 950)"
    )
    (lapsed,) = [m for m in store.history("c").moves if m.segmentation == "lifecycle"]
    assert lapsed.reason == (
        "entered 'Lapsed': recency_days > 365 was false, now true (recency_days 300 → 391)"
    )


def test_a_score_that_moved_while_its_metric_did_not_says_why() -> None:
    # Online Retail II, September to October 2010: "m_score 2 → 1 (monetary 222.16 → 222.16)".
    from segwise.store.reasons import _rfm_reason

    def move(old: dict[str, float], new: dict[str, float]) -> Any:
        return SimpleNamespace(segmentation="value", old=old, new=new, definition={})

    same = move({"value.m_score": 2, "value.monetary": 222.16},
                {"value.m_score": 1, "value.monetary": 222.16})  # fmt: skip
    assert _rfm_reason(same) == (
        "m_score 2 → 1 (monetary 222.16, unchanged: the cut-offs moved with the other customers)"
    )
    # More spend and a lower score: the others spent more still.
    against = move({"value.m_score": 3, "value.monetary": 400.0},
                   {"value.m_score": 2, "value.monetary": 410.0})  # fmt: skip
    assert _rfm_reason(against) == (
        "m_score 3 → 2 (monetary 400 → 410; the cut-offs moved with the other customers)"
    )
    # Fewer days since the last order and a higher score: the metric explains it alone.
    recent = move({"value.r_score": 2, "value.recency_days": 90},
                  {"value.r_score": 4, "value.recency_days": 10})  # fmt: skip
    assert _rfm_reason(recent) == "r_score 2 → 4 (recency_days 90 → 10)"


def test_an_rfm_move_names_the_score_that_changed(tmp_path: Path) -> None:
    store = _store(tmp_path)
    (move,) = [m for m in store.history("b").moves if m.segmentation == "value"]
    assert (move.before, move.after) == (("Loyal",), ("At Risk",))
    assert move.reason == "r_score 4 → 2 (recency_days 200 → 291)"
    # A customer who did not move has no move, only a path.
    history = store.history("a")
    assert [m.segmentation for m in history.moves] == ["lifecycle"]
    assert history.path.filter(pl.col("segmentation") == "value")["segment"].to_list() == [
        "Champions",
        "Champions",
    ]


def test_only_movers_values_are_kept(tmp_path: Path) -> None:
    store = _store(tmp_path)
    kept = store._read("SELECT run_id, customer_id FROM moves ORDER BY run_id, customer_id")
    # Run 1: everyone is new, which no move explains. Run 2: a, b and c each moved somewhere.
    assert kept.filter(pl.col("run_id") == 1).is_empty()
    assert kept.filter(pl.col("run_id") == 2)["customer_id"].to_list() == ["a", "b", "c"]
    moved = set(store.changes(1, 2).movers["customer_id"].to_list())
    assert set(kept.filter(pl.col("run_id") == 2)["customer_id"].to_list()) == moved


def test_a_clv_move_names_what_changed_and_how_churn_was_judged() -> None:
    from segwise.store.reasons import reason_for

    old = {"customer_id": "a", "future.p_alive": 0.9991, "future.clv": 437.05}
    new = {"customer_id": "a", "future.p_alive": 0.9996, "future.clv": 1832.8}
    kept = {"features_before": json.dumps(old), "features_after": json.dumps(new)}
    reason = reason_for(
        "clv", "future", {"churn_basis": "recency"}, ("Churn risk",), ("Stable",), kept
    )
    assert reason.startswith("clv 437.05 → 1,832.8, churn risk is judged by the time since")
    assert "p_alive" not in reason  # 1 → 1 as printed: no explanation
    # A one-time buyer judged by their silence: P(alive) stays 1, the reason says why.
    quiet = {"customer_id": "a", "future.p_alive": 1.0, "future.clv": 20.0}
    kept = {"features_before": json.dumps(quiet), "features_after": json.dumps(quiet)}
    why = reason_for(
        "clv", "future", {"churn_basis": "p_alive"}, ("Stable",), ("Churn risk",), kept
    )
    assert why is not None and why.startswith("one purchase only, and none since")
    back = reason_for(
        "clv", "future", {"churn_basis": "p_alive"}, ("Churn risk",), ("Stable",), kept
    )
    assert back is None or "one purchase only" not in back
    # Under Pareto/NBD a one-time buyer has a P(alive) of their own, but the silence rule
    # still decides; the reason cannot claim the model's P(alive) is 1.
    low = {"customer_id": "a", "future.p_alive": 0.45, "future.clv": 20.0}
    kept = {"features_before": json.dumps(low), "features_after": json.dumps(low)}
    pareto = {"churn_basis": "p_alive", "purchase_model": "Pareto/NBD"}
    said = reason_for("clv", "future", pareto, ("Stable",), ("Churn risk",), kept)
    assert said is not None and said.startswith("one purchase only, and none since")
    assert "too little for Pareto/NBD's P(alive)" in said and "= 1" not in said


def test_a_move_by_silence_says_how_long_the_customer_has_been_quiet() -> None:
    # Online Retail II, customer 12346 at 2010-09-30: Stable → Churn risk was explained by
    # "clv 995.6 → 740.6" and how churn is judged in general, never by their own silence.
    from segwise.store.reasons import reason_for

    old = {"customer_id": "a", "orders": 4, "future.clv": 995.6, "future.quiet_cycles": 0.2}
    new = {"customer_id": "a", "orders": 4, "future.clv": 740.6, "future.quiet_cycles": 3.14}
    kept = {"features_before": json.dumps(old), "features_after": json.dumps(new)}
    recency = {"churn_basis": "purchase_cycle"}
    why = reason_for("clv", "future", recency, ("Stable",), ("Churn risk",), kept)
    assert why.startswith(
        "quiet for 3.1× their own time between purchases (0.2× at the run before; a churn "
        "risk from 2×): P(alive) could not tell customers apart on this data, clv 995.6 → 740.6"
    )
    assert "quiet_cycles" not in why
    back = reason_for(
        "clv", "future", recency, ("Churn risk",), ("Stable",),
        {"features_before": json.dumps(new), "features_after": json.dumps(old)},
    )  # fmt: skip
    assert back.startswith("quiet for 0.2× their own time between purchases (3.1× at the run")
    # A one-time buyer is measured against the repeat buyers' cycle, under any basis.
    once = {"customer_id": "b", "orders": 1, "future.p_alive": 1.0, "future.quiet_cycles": 2.6}
    first = once | {"future.quiet_cycles": 1.4}
    kept = {"features_before": json.dumps(first), "features_after": json.dumps(once)}
    said = reason_for(
        "clv", "future", {"churn_basis": "p_alive"}, ("Stable",), ("Churn risk",), kept
    )
    assert said == (
        "one purchase only, and quiet for 2.6× the repeat buyers' typical time between purchases"
        " (1.4× at the run before; a churn risk from 2×): BG/NBD gives every one-time buyer "
        "P(alive) = 1"
    )
    # Without the order count (a project whose rules and clusters do not read it): no claim.
    bare = {k: v for k, v in new.items() if k != "orders"}
    unsure = reason_for(
        "clv", "future", recency, ("Stable",), ("Churn risk",),
        {"features_before": json.dumps(old), "features_after": json.dumps(bare)},
    )  # fmt: skip
    assert unsure.startswith("quiet for 3.1× the usual time between purchases (0.2× at")
    # A move within the healthy segments says nothing of silence.
    risen = {
        "features_before": json.dumps(old),
        "features_after": json.dumps(old | {"future.clv": 2000.0}),
    }
    calm = reason_for("clv", "future", recency, ("Stable",), ("Rising",), risen)
    assert calm == "clv 995.6 → 2,000"


def test_a_hybrid_move_is_explained_by_the_level_it_happened_at() -> None:
    from segwise.store.reasons import reason_for

    hybrid = {
        "method": "hybrid",
        "separator": " › ",
        "parent": RULES,
        "within": {"Other": {"method": "rfm"}},
    }
    old = {"orders": 12, "net_revenue": 1500.0, "recency_days": 20, "mix.r_score": 4}
    # Between parents: the rule that flipped, with its values.
    dropped = old | {"net_revenue": 900.0}
    kept = {"features_before": json.dumps(old), "features_after": json.dumps(dropped)}
    why = reason_for("hybrid", "mix", hybrid, ("VIP",), ("Other › Champions",), kept)
    assert "left 'VIP'" in why and "net_revenue 1,500 → 900" in why
    # Inside a parent: the child's reason (an RFM score), named with the parent.
    low = {"orders": 3, "net_revenue": 300.0, "recency_days": 20}
    before = low | {"mix.r_score": 4, "mix.recency_days": 20}
    after = low | {"mix.r_score": 2, "mix.recency_days": 291}
    kept = {"features_before": json.dumps(before), "features_after": json.dumps(after)}
    why = reason_for("hybrid", "mix", hybrid, ("Other › Champions",), ("Other › At Risk",), kept)
    assert why.startswith("within 'Other': r_score 4 → 2")


def test_a_survey_move_says_whether_they_answered_or_their_behaviour_moved() -> None:
    from segwise.store.reasons import reason_for

    projected = {"customer_id": "a", "needs.answered": False, "needs.confidence": 0.61}
    answered = {"customer_id": "a", "needs.answered": True, "needs.confidence": 0.99}
    moved = projected | {"needs.confidence": 0.72}
    cases = [(projected, answered, "answered the survey"), (projected, moved, "behaviour now")]
    for old, new, words in cases:
        kept = {"features_before": json.dumps(old), "features_after": json.dumps(new)}
        assert words in reason_for(
            "survey", "needs", {}, ("Price-sensitive",), ("Explorers",), kept
        )
    kept = {"features_before": json.dumps(moved), "features_after": json.dumps(moved)}
    assert "probability 0.72" in reason_for("survey", "needs", {}, ("A",), ("B",), kept)


def test_a_cluster_move_after_a_refit_is_called_a_regrouping() -> None:
    from segwise.store.reasons import reason_for

    kept = {
        "features_before": json.dumps({"orders": 3, "net_revenue": 120.0}),
        "features_after": json.dumps({"orders": 4, "net_revenue": 480.0}),
    }
    features = ["orders", "net_revenue"]
    reused = reason_for("cluster", "g", {"features": features, "refitted": False},
                        ("A",), ("B",), kept)  # fmt: skip
    assert reused == (
        "the nearest segment centre changed; largest changes: net_revenue 120 → 480, orders 3 → 4"
    )
    refitted = reason_for("cluster", "g", {"features": features, "refitted": True},
                          ("A",), ("B",), kept)  # fmt: skip
    assert refitted.startswith("the clusters were fitted afresh in this run (new groups)")
    assert refitted.endswith("net_revenue 120 → 480, orders 3 → 4")
