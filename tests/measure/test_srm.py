"""Sample-ratio mismatch: scipy's chi-square, and the issue's 52/48 case."""

from __future__ import annotations

import pytest
from scipy import stats

from segwise.measure import sample_ratio


def test_a_52_48_split_of_20k_on_a_50_50_design_is_flagged() -> None:
    check = sample_ratio([10_400, 9_600], [50, 50])
    assert check.flagged
    reference = stats.chisquare([10_400, 9_600], [10_000, 10_000])
    assert check.statistic == pytest.approx(reference.statistic, rel=1e-9)
    assert check.p_value == pytest.approx(reference.pvalue, rel=1e-9)


def test_a_fair_split_and_an_uneven_design_pass() -> None:
    assert not sample_ratio([10_080, 9_920], [50, 50]).flagged
    # 90/10 by design, observed as designed.
    assert not sample_ratio([18_030, 1_970], [0.9, 0.1]).flagged
    assert sample_ratio([18_030, 1_970], [0.5, 0.5]).flagged


@pytest.mark.parametrize(("observed", "shares"), [([1], [1]), ([5, 5], [1, 0]), ([5], [1, 1])])
def test_a_malformed_design_is_refused(observed: list[int], shares: list[float]) -> None:
    with pytest.raises(ValueError, match=r"share|variant"):
        sample_ratio(observed, shares)
