"""profile_segments: numbers against the population, traits in words, names, defining rules."""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl
import pytest

from segwise.datasets.planted import planted_segments
from segwise.exceptions import ConfigError
from segwise.lang import parse_rule
from segwise.profiling import profile_segments
from segwise.profiling.traits import Trait, auto_names
from segwise.segmenters import ClusterSegmenter, RuleSegmenter, UnstableSegmentWarning

TABLE = pl.DataFrame(
    {
        "orders": [1, 1, 2, 2, 9, 8, 10, 11],
        "monetary": [10.0, 12, 9, 11, 400, 380, 500, 420],
        "device": ["web", "web", "ios", "web", "ios", "ios", "ios", "web"],
        "segment": ["low", "low", "low", "low", "high", "high", "high", "high"],
    }
)


def test_numbers_against_the_population() -> None:
    profiles = profile_segments(TABLE, "segment")
    assert profiles.total == 8
    high = next(p for p in profiles.segments if p.segment == "high")
    assert (high.size, high.share) == (4, 0.5)
    assert high.revenue_share == pytest.approx(1700 / 1742)
    orders = high.numeric.filter(pl.col("feature") == "orders").row(0, named=True)
    assert orders["mean"] == 9.5
    assert orders["population_mean"] == 5.5
    assert orders["lift"] == pytest.approx(9.5 / 5.5)
    device = high.categories.filter(pl.col("level") == "ios").row(0, named=True)
    assert (device["share"], device["population_share"]) == (0.75, 0.5)


def test_traits_are_words_and_names_are_unique() -> None:
    profiles = profile_segments(TABLE, "segment")
    high = next(p for p in profiles.segments if p.segment == "high")
    assert "spends 2.0× the average (425 vs 218)" in high.traits  # 425 against 217.75
    assert "buys 1.7× as often as average (9.50 vs 5.50 orders)" in high.traits
    assert 1 <= len(high.traits) <= 5
    assert len(set(profiles.names.values())) == len(profiles.segments)
    assert high.name.endswith("customers")


def test_names_are_editable_and_must_stay_unique() -> None:
    profiles = profile_segments(TABLE, "segment")
    profiles.rename({"high": "VIPs"})
    assert "VIPs" in profiles.names.values()
    with pytest.raises(ConfigError, match="unique"):
        profiles.rename({"low": "VIPs"})


def test_auto_names_are_deterministic_and_disambiguated() -> None:
    same = [Trait("monetary", "numeric", 1, 2.0, ""), Trait("orders", "numeric", 1, 1.0, "")]
    third = Trait("age", "numeric", -1, 0.5, "")
    names = auto_names({0: same, 1: [*same, third], 2: same})
    assert names == {
        0: "High-value frequent customers",
        1: "High-value frequent younger customers",
        2: "High-value frequent customers, group B",
    }
    assert auto_names({0: same, 1: [*same, third], 2: same}) == names


def test_defining_rule_parses_and_its_precision_recall_hold() -> None:
    table, _ = planted_segments(2_000, 4, seed=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnstableSegmentWarning)
        segmenter = ClusterSegmenter(id_col="customer_id", random_state=0, n_bootstrap=3).fit(table)
    profiles = profile_segments(table, segmenter.labels_, exclude=["customer_id"])
    segments = [p for p in profiles.segments if p.label >= 0]  # outliers have no rule
    assert len(segments) == segmenter.n_segments_
    for profile in segments:
        assert profile.rule is not None
        parse_rule(profile.rule)
        # The rule run through the rule engine selects what precision and recall say.
        selected = RuleSegmenter({"r": profile.rule}).fit_predict(table) == 0
        inside = segmenter.labels_ == profile.label
        assert selected[inside].mean() == pytest.approx(profile.rule_recall, abs=1e-4)
        assert inside[selected].mean() == pytest.approx(profile.rule_precision, abs=1e-4)
        assert profile.rule_precision > 0.8 and profile.rule_recall > 0.6


def test_works_for_rule_segments_too() -> None:
    labels = RuleSegmenter({"Big": "monetary > 100"}).fit_predict(TABLE)
    named = np.where(labels == 0, "Big", "Other")
    profiles = profile_segments(TABLE.drop("segment"), named)
    assert [p.segment for p in profiles.segments] == ["Big", "Other"]
    # The split is halfway between 12 and 380 (196), rounded to two figures for reading.
    assert profiles.segments[0].rule == "monetary > 200"


def test_label_count_must_match_rows() -> None:
    with pytest.raises(ConfigError, match="3 segment labels for 8 rows"):
        profile_segments(TABLE, np.array([0, 1, 0]))


def test_names_with_the_same_words_in_another_order_are_the_same_name() -> None:
    t = lambda f, d: Trait(f, "numeric", d, 1.0, "")  # noqa: E731
    names = auto_names(
        {
            0: [t("net_revenue", 1), t("orders", 1)],
            1: [t("orders", 1), t("net_revenue", 1), t("recency_days", 1)],
        }
    )
    assert names == {0: "High-value frequent customers", 1: "Frequent high-value lapsed customers"}


def test_a_name_uses_one_word_made_from_a_column_name_at_most() -> None:
    t = lambda f, d, e: Trait(f, "numeric", d, e, "")  # noqa: E731
    traits = [
        t("num_pets", 1, 2.0),
        t("sustainability_rating", 1, 1.5),
        t("recency_days", -1, 1.0),
    ]
    assert auto_names({0: traits}) == {0: "More pets recent customers"}


def test_children_name_families_and_fewer_children_name_nothing() -> None:
    # The sample CRM table's two largest clusters were "More children at home customers" and
    # "Fewer children at home customers".
    t = lambda f, d, e: Trait(f, "numeric", d, e, "")  # noqa: E731
    names = auto_names(
        {
            0: [t("children_at_home", 1, 2.0), t("household_size", 1, 1.0)],
            1: [t("children_at_home", -1, 2.0), t("household_size", -1, 1.0)],
        }
    )
    assert names == {0: "Family customers", 1: "Small household customers"}


def test_the_features_a_segment_is_defined_by_lead_its_card() -> None:
    """Lapsed big spenders in a base of many lapsed customers: their spend and orders stand out
    more than their recency, yet they are defined as lapsed, so the card says it first among
    the stronger traits and the name does not read like the active big spenders'."""
    rng = np.random.default_rng(3)
    n = {"active small": 2_000, "lapsed small": 1_300, "active big": 500, "lapsed big": 200}
    recency = {"active small": 30, "lapsed small": 250, "active big": 15, "lapsed big": 150}
    orders = {"active small": 3, "lapsed small": 1.5, "active big": 12, "lapsed big": 11}
    spend = {"active small": 300, "lapsed small": 60, "active big": 2_500, "lapsed big": 2_400}
    parts = [
        pl.DataFrame(
            {
                "recency_days": rng.normal(recency[s], 40, k).clip(1).round(),
                "orders": rng.poisson(orders[s], k) + 1,
                "net_revenue": rng.gamma(4, spend[s] / 4, k),
                "tenure_days": rng.normal(400, 150, k).clip(30),
                "avg_order_value": rng.gamma(4, spend[s] / 4 / orders[s], k),
                "segment": [s] * k,
            }
        )
        for s, k in n.items()
    ]
    table = pl.concat(parts)
    axes = {"recency_days", "orders", "net_revenue"}
    plain = profile_segments(table, "segment", definitions=False)
    led = profile_segments(table, "segment", definitions=False, defining=dict.fromkeys(n, axes))
    lapsed = {p.segment: p for p in led.segments}["lapsed big"]
    before = {p.segment: p for p in plain.segments}["lapsed big"]
    assert "lapsed" not in before.name.lower().split()  # "High-value frequent big-basket"
    assert {t.feature for t in lapsed.trait_details[:3]} == axes
    assert "lapsed" in lapsed.name.lower().split()
    assert lapsed.name != {p.segment: p for p in led.segments}["active big"].name


def _spenders_apart_newer_on_average(seed: int = 5) -> pl.DataFrame:
    """Low spenders, set apart by spend alone; a few whales stretch spend's spread, so the low
    spenders' shorter tenure (overlapping, never a boundary) is the larger effect."""
    rng = np.random.default_rng(seed)
    low = pl.DataFrame(
        {
            "net_revenue": rng.uniform(10, 100, 300),
            "tenure_days": rng.normal(150, 80, 300).clip(1),
            "cluster": ["low"] * 300,
        }
    )
    high_spend = np.concatenate([rng.uniform(200, 400, 290), rng.uniform(40_000, 60_000, 10)])
    high = pl.DataFrame(
        {
            "net_revenue": high_spend,
            "tenure_days": rng.normal(300, 80, 300).clip(1),
            "cluster": ["high"] * 300,
        }
    )
    return pl.concat([low, high])


def test_a_found_segment_is_led_by_what_its_rule_splits_on_first() -> None:
    """A cluster has no definition of its own: the rule fitted to it is one (spend), and its
    card and name lead with that, not with a stronger but overlapping difference (tenure)."""
    table = _spenders_apart_newer_on_average()
    low = {p.segment: p for p in profile_segments(table, "cluster").segments}["low"]
    assert low.rule is not None and low.rule.startswith("net_revenue <=")
    assert low.rule_precision == low.rule_recall == 1.0
    plain = {p.segment: p for p in profile_segments(table, "cluster", definitions=False).segments}
    tenure, spend = (
        {t.feature: t.effect for t in plain["low"].trait_details}[f]
        for f in ("tenure_days", "net_revenue")
    )
    assert tenure > spend  # without the rule, tenure would lead
    assert low.trait_details[0].feature == "net_revenue"
    assert low.name.lower().startswith("low-value")


def test_a_rough_rule_does_not_lead_the_card() -> None:
    """A rule that misses a fifth of the segment or more is a sketch, not what sets it apart."""
    table = _spenders_apart_newer_on_average()
    # Half the low spenders labelled with the high ones: no rule on spend is faithful.
    mixed = table.with_columns(
        pl.when((pl.col("cluster") == "low") & (pl.int_range(pl.len()) % 2 == 0))
        .then(pl.lit("high"))
        .otherwise(pl.col("cluster"))
        .alias("cluster")
    )
    low = {p.segment: p for p in profile_segments(mixed, "cluster").segments}["low"]
    assert low.rule_precision is not None and low.rule_precision < 0.8
    order = [t.feature for t in low.trait_details]
    effects = [t.effect for t in low.trait_details]
    assert effects == sorted(effects, reverse=True), order


def test_customers_who_never_bought_are_not_one_time_buyers() -> None:
    """No purchase at all leaves recency, tenure and the gap between orders empty: the card
    says "never bought" once, never "no second order yet" or "buys again every 0 days"; a
    one-time buyer's empty gap still reads as "no second order yet"."""
    n = 300
    buyers = pl.DataFrame(
        {
            "recency_days": np.linspace(5, 300, n),
            "tenure_days": np.linspace(100, 700, n),
            "inter_purchase_mean_days": [None if i % 3 == 0 else 40.0 for i in range(n)],
            "clv": np.linspace(10, 500, n),
            "p_alive": np.linspace(0.2, 0.99, n),
            "segment": ["Buyers"] * n,
        }
    )
    one_time = buyers.head(100).with_columns(
        pl.lit(None, pl.Float64).alias("inter_purchase_mean_days"),
        pl.lit("One-timers").alias("segment"),
    )
    never = pl.DataFrame(
        {
            "recency_days": [None] * 100,
            "tenure_days": [None] * 100,
            "inter_purchase_mean_days": [None] * 100,
            "clv": [None] * 100,
            "p_alive": [None] * 100,
            "segment": ["Prospects"] * 100,
        },
        schema=buyers.schema,
    )
    profiles = profile_segments(pl.concat([buyers, one_time, never]), "segment")
    cards = {p.segment: p for p in profiles.segments}
    prospects = cards["Prospects"].traits
    assert len([t for t in prospects if t.startswith("100% have never bought")]) == 1
    assert len([t for t in prospects if t.startswith("100% have no prediction")]) == 1
    assert not [t for t in prospects if "second order" in t or "buys again" in t]
    assert "non-buying" in cards["Prospects"].name.lower()
    assert any(t.startswith("100% have no second order yet") for t in cards["One-timers"].traits)


def test_a_segment_nobody_in_bought_is_not_described_by_its_zero_purchases() -> None:
    """Orders 0, revenue 0, no basket, no returns all restate "never bought"; a segment where
    only some never bought keeps them (its buyers' numbers say something)."""
    rng = np.random.default_rng(0)
    n = 200
    buyers = pl.DataFrame(
        {
            "recency_days": rng.uniform(1, 300, n),
            "orders": rng.integers(1, 12, n),
            "net_revenue": rng.uniform(20, 900, n),
            "avg_order_value": rng.uniform(20, 90, n),
            "return_rate": rng.uniform(0, 0.2, n),
            "segment": ["Buyers"] * n,
        }
    )
    never = pl.DataFrame(
        {
            "recency_days": [None] * 50,
            "orders": [0] * 50,
            "net_revenue": [0.0] * 50,
            "avg_order_value": [None] * 50,
            "return_rate": [None] * 50,
            "segment": ["Sign-ups"] * 50,
        },
        schema=buyers.schema,
    )
    mixed = pl.concat([never.head(30), buyers.head(20)]).with_columns(
        pl.lit("Mixed").alias("segment")
    )
    profiles = profile_segments(pl.concat([buyers, never, mixed]), "segment")
    cards = {p.segment: p for p in profiles.segments}
    assert cards["Sign-ups"].traits == ["100% have never bought (27% overall)"]
    assert any("orders" in t for t in cards["Mixed"].traits), cards["Mixed"].traits
    # A cluster of 2,010 sign-ups and one buyer read "Non-buying occasional customers", with
    # "orders far below average (0.00 vs 7.06)", "net revenue far below average" and "100% have
    # no avg order value" under "100% have never bought".
    nearly = pl.concat([never, never, buyers.head(1)]).with_columns(
        pl.lit("Nearly all sign-ups").alias("segment")
    )
    profiles = profile_segments(pl.concat([buyers, nearly]), "segment")
    card = next(p for p in profiles.segments if p.segment == "Nearly all sign-ups")
    assert card.traits == ["99% have never bought (33% overall)"], card.traits
    assert card.name == "Non-buying customers"


def test_what_purchases_measure_is_compared_with_the_average_buyer() -> None:
    """Sign-ups who never bought hold 0 orders and 0 spend: averaged in, every buyer looked
    frequent and valuable ("2.9× as often as average" in a table that is 2/3 sign-ups)."""
    frequent = pl.DataFrame(
        {"recency_days": [10.0] * 50, "orders": [12] * 50, "net_revenue": [900.0] * 50}
    )
    rare = pl.DataFrame(
        {"recency_days": [200.0] * 50, "orders": [2] * 50, "net_revenue": [100.0] * 50}
    )
    signups = pl.DataFrame(
        {"recency_days": [None] * 200, "orders": [0] * 200, "net_revenue": [0.0] * 200},
        schema=frequent.schema,
    )
    table = pl.concat([frequent, rare, signups]).with_columns(
        segment=pl.Series(["Frequent"] * 50 + ["Rare"] * 50 + ["Sign-ups"] * 200)
    )
    profiles = profile_segments(table, "segment")
    cards = {p.segment: p for p in profiles.segments}
    orders = next(t for t in cards["Frequent"].traits if "orders" in t)
    assert orders == "buys 1.7× as often as average (12 vs 7 orders)"
    lift = cards["Frequent"].numeric.filter(pl.col("feature") == "orders")["lift"][0]
    assert lift == pytest.approx(12 / 7)
    assert cards["Sign-ups"].traits == ["100% have never bought (67% overall)"]
