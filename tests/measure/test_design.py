"""Designs: the sample size, and the smallest lift a segment of a given size shows."""

from __future__ import annotations

import math

import pytest

from segwise.exceptions import ConfigError
from segwise.measure import power_of, proportion_effect
from segwise.measure.design import detectable, plan


def test_the_detectable_lift_of_the_planned_size_is_the_mde() -> None:
    design = plan(0.05, 0.01)
    assert detectable(design, design.n_total) == pytest.approx(0.01, abs=2e-5)
    # A quarter of the customers: about twice the lift (the error falls as 1/sqrt(n)).
    assert detectable(design, design.n_total // 4) == pytest.approx(0.02, rel=0.15)


def test_the_detectable_lift_is_reached_with_the_planned_power() -> None:
    design = plan(0.3, 0.05, ratio=2.0)
    lift = detectable(design, 3_000)
    effect = proportion_effect(0.3 + lift, 0.3)
    assert power_of(effect, 1_000, ratio=2.0) == pytest.approx(0.8, abs=1e-9)
    means = plan(40.0, 2.0, std=25.0)
    assert detectable(means, means.n_total) == pytest.approx(2.0, rel=1e-3)


def test_a_segment_too_small_for_any_lift_says_so() -> None:
    assert math.isnan(detectable(plan(0.5, 0.1), 2))


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"baseline": 0.05, "mde": 0.0}, "--mde 0"),
        ({"baseline": 0.95, "mde": 0.1}, "leaves 0..1"),
        ({"baseline": 0.05, "mde": 0.01, "alpha": 1.5}, "--alpha"),
        ({"baseline": 10.0, "mde": 1.0, "std": -1.0}, "--std"),
        ({"baseline": 0.05, "mde": 0.01, "ratio": 0.0}, "--ratio"),
    ],
)
def test_bad_designs_are_refused(arguments: dict[str, float], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        plan(**arguments)  # type: ignore[arg-type]
