"""Calibration by simulation: corrected false positives stay at the nominal rate.

Each simulated experiment tests 5 segments × 2 metrics (conversion, revenue) ×
1 variant, corrected with Holm across its 10 tests, as ``experiment analyze``
does. Seeded: the same 2,000 experiments every run.
"""

from __future__ import annotations

import numpy as np

from segwise.measure import Arm, adjust, compare

SEGMENTS, PER_ARM = 5, 200


def experiment_p_values(rng: np.random.Generator, planted: float = 0.0) -> list[float]:
    """10 p-values of one experiment; ``planted`` lifts conversion in segment 0 only."""
    found = []
    for segment in range(SEGMENTS):
        base = rng.uniform(0.05, 0.3)
        lift = planted if segment == 0 else 0.0
        converted_c = rng.random(PER_ARM) < base
        converted_t = rng.random(PER_ARM) < base + lift
        found.append(
            compare(
                "binary",
                Arm.of_proportion(int(converted_c.sum()), PER_ARM),
                Arm.of_proportion(int(converted_t.sum()), PER_ARM),
            ).p_value
        )
        revenue_c, revenue_t = rng.gamma(2, 30, PER_ARM), rng.gamma(2, 30, PER_ARM)
        found.append(
            compare(
                "continuous",
                Arm(PER_ARM, revenue_c.mean(), revenue_c.var(ddof=1)),
                Arm(PER_ARM, revenue_t.mean(), revenue_t.var(ddof=1)),
            ).p_value
        )
    return found


def test_two_thousand_a_a_experiments_stay_at_five_percent() -> None:
    rng = np.random.default_rng(2026)
    any_raw = any_holm = any_bh = 0
    for _ in range(2_000):
        p_values = experiment_p_values(rng)
        any_raw += min(p_values) < 0.05
        any_holm += min(adjust(p_values, "holm")) < 0.05
        any_bh += min(adjust(p_values, "bh")) < 0.05
    # Ten uncorrected tests: about 1 - 0.95^10 = 40% of experiments "find" something.
    assert any_raw / 2_000 > 0.3
    # With every null true, Holm's family-wise rate and BH's are both at most alpha.
    assert any_holm / 2_000 <= 0.05 + 0.015
    assert any_bh / 2_000 <= 0.05 + 0.015


def test_a_planted_effect_is_found_in_its_segment_and_the_others_stay_quiet() -> None:
    rng = np.random.default_rng(7)
    found_there = false_elsewhere = 0
    runs = 400
    for _ in range(runs):
        adjusted = adjust(experiment_p_values(rng, planted=0.2), "holm")
        found_there += adjusted[0] < 0.05  # segment 0, conversion
        false_elsewhere += min(adjusted[2:]) < 0.05
    assert found_there / runs > 0.8
    assert false_elsewhere / runs <= 0.05 + 0.015
