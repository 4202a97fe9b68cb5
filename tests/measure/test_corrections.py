"""Holm and Benjamini–Hochberg equal statsmodels' multipletests."""

from __future__ import annotations

import gc
import math
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.multitest import multipletests

from segwise.measure import adjust

p_values = st.lists(st.floats(0, 1), min_size=1, max_size=60)


@pytest.mark.parametrize(("ours", "theirs"), [("holm", "holm"), ("bh", "fdr_bh")])
@settings(max_examples=40)
@given(values=p_values)
def test_adjusted_p_values_equal_statsmodels(ours: str, theirs: str, values: list[float]) -> None:
    # statsmodels' Holm runs a full garbage collection on every call: 70 ms alone, up to
    # 0.5 s in a test worker's large heap. It changes no number, so the reference skips it.
    with mock.patch.object(gc, "collect", lambda *_: 0):
        expected = multipletests(values, method=theirs)[1]
    assert adjust(values, ours) == pytest.approx(list(expected), rel=1e-9, abs=1e-15)


@given(values=p_values, holes=st.lists(st.integers(0, 59), max_size=5))
def test_untested_comparisons_stay_untested_and_do_not_count(
    values: list[float], holes: list[int]
) -> None:
    with_nan = list(values)
    for hole in holes:
        if hole < len(with_nan):
            with_nan[hole] = math.nan
    kept = [v for v in with_nan if not math.isnan(v)]
    adjusted = adjust(with_nan, "holm")
    assert [math.isnan(a) for a in adjusted] == [math.isnan(v) for v in with_nan]
    assert [a for a in adjusted if not math.isnan(a)] == pytest.approx(adjust(kept, "holm"))


def test_holm_is_never_below_the_raw_p_value_and_bh_never_above_holm() -> None:
    rng = np.random.default_rng(3)
    values = rng.uniform(0, 0.2, 30).tolist()
    holm, bh = adjust(values, "holm"), adjust(values, "bh")
    assert all(h >= v for h, v in zip(holm, values, strict=True))
    assert all(b <= h + 1e-15 for b, h in zip(bh, holm, strict=True))


def test_an_unknown_method_is_refused() -> None:
    with pytest.raises(ValueError, match="holm, bh"):
        adjust([0.1], "bonferroni")  # type: ignore[arg-type]
