"""Value words against the segmentation's top spenders: "mid-value" under half of them."""

from __future__ import annotations

import numpy as np
import polars as pl

from segwise.profiling import profile_segments
from segwise.profiling.traits import Trait, auto_names
from segwise.profiling.value_words import mid_value_segments


def _high(feature: str = "net_revenue") -> Trait:
    return Trait(feature, "numeric", 1, 1.0, "", concept="value")


def test_segments_spending_under_half_the_top_high_value_one_are_mid_value() -> None:
    """CDNOW's clusters: three above the average of 106, at 151, 220 and 613."""
    traits = {0: [_high()], 1: [_high()], 2: [_high()], 3: [Trait("orders", "numeric", 1, 1.0, "")]}
    means = {0: {"net_revenue": 151.0}, 1: {"net_revenue": 220.0}, 2: {"net_revenue": 613.0}}
    names = auto_names(traits, means=means)
    assert names[0].startswith("Mid-value") and names[1].startswith("Mid-value")
    assert names[2] == "High-value customers"
    assert names[3] == "Frequent customers"
    assert len(set(names.values())) == 4


def test_one_high_value_segment_or_a_close_second_stays_high_value() -> None:
    assert mid_value_segments({0: [_high()]}, {0: {"net_revenue": 10.0}}) == frozenset()
    close = {0: {"net_revenue": 310.0}, 1: {"net_revenue": 613.0}}
    assert mid_value_segments({0: [_high()], 1: [_high()]}, close) == frozenset()
    # Without the means nothing is compared: the plain words stand.
    assert auto_names({0: [_high()], 1: [_high(), Trait("orders", "numeric", 1, 1.0, "")]}) == {
        0: "High-value customers",
        1: "High-value frequent customers",
    }


def test_below_average_value_is_never_mid_value() -> None:
    low = Trait("net_revenue", "numeric", -1, 1.0, "", concept="value")
    means = {0: {"net_revenue": 20.0}, 1: {"net_revenue": 613.0}}
    assert mid_value_segments({0: [low], 1: [_high()]}, means) == frozenset()
    assert auto_names({0: [low], 1: [_high()]}, means=means)[0] == "Low-value customers"


def test_profiles_name_the_top_spenders_alone_high_value() -> None:
    rng = np.random.default_rng(2)
    # Everyone's average is 355: the middle segment spends 1.7× that, under half the top's.
    spend = {"top": (2_000.0, 100), "mid": (600.0, 200), "low": (50.0, 700)}
    table = pl.concat(
        pl.DataFrame(
            {
                "net_revenue": rng.normal(mean, mean / 10, size).clip(1),
                "segment": [name] * size,
            }
        )
        for name, (mean, size) in spend.items()
    )
    names = {p.segment: p.name for p in profile_segments(table, "segment").segments}
    assert names["top"] == "High-value customers"
    assert names["mid"] == "Mid-value customers"
    assert names["low"] == "Low-value customers"
