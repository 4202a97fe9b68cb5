"""₂F₁(a, b; a + 1; z): mpmath's arbitrary precision is the reference, SciPy the fallback."""

from __future__ import annotations

import mpmath
import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st
from scipy.special import hyp2f1

from segwise.models.hypergeometric import NEAR_ONE, hyp2f1_a_plus_1

mpmath.mp.dps = 40


def _exact(a: float, b: float, z: float) -> float:
    return float(mpmath.hyp2f1(mpmath.mpf(a), mpmath.mpf(b), mpmath.mpf(a) + 1, mpmath.mpf(z)))


@given(
    a=st.floats(0.05, 500),
    b=st.floats(0.05, 50),
    # 1 - z from 1e-6 to 1: the whole range, weighted towards z near 1 where SciPy is slow.
    gap=st.floats(-6, 0).map(lambda e: 10.0**e),
)
# b = 47.5: the series' terms shrank to nothing by n = 32, then grew again near its pole at
# n = 45.5; stopping at 32 lost 1.07e-9 of the value (found by a local run).
@example(a=336.0, b=47.5, gap=1.0 - 0.9726158036573563)
def test_agrees_with_arbitrary_precision_at_least_as_well_as_scipy(
    a: float, b: float, gap: float
) -> None:
    z = 1.0 - gap
    exact = _exact(a, b, z)
    if not np.isfinite(exact):
        return  # beyond float64's range: no value to be right about
    found = float(hyp2f1_a_plus_1(np.array([a]), b, np.array([z]))[0])
    # Where the formula's terms cancel (b at an integer) SciPy answers, with its own failures
    # there (inf or NaN at a = 171, b = 1 or 2, z = 0.99): never worse than SciPy (a value
    # that is not a number being the worst), and within 1e-9 wherever SciPy is.
    error = _relative_error(found, exact)
    assert error < 1e-9 or error <= _relative_error(float(hyp2f1(a, b, a + 1, z)), exact)


def _relative_error(value: float, exact: float) -> float:
    return abs(value / exact - 1) if np.isfinite(value) else np.inf


def test_near_one_it_is_right_where_scipy_returns_nan() -> None:
    # SciPy's series gives NaN here; the connection formula the exact value.
    a, b, z = 361.4242095199168, 0.05438506143570199, 0.9999760083106191
    assert np.isnan(hyp2f1(a, b, a + 1, z))
    found = float(hyp2f1_a_plus_1(np.array([a]), b, np.array([z]))[0])
    assert abs(found / _exact(a, b, z) - 1) < 1e-12


def test_where_the_two_terms_would_cancel_scipy_answers() -> None:
    # b = 2 makes Γ(1 − b) infinite: the formula cannot be used; the value must still be right.
    a = np.array([1.5, 30.0, 3.0])
    z = np.array([0.95, 0.999, 0.5])
    found = hyp2f1_a_plus_1(a, 2.0, z)
    assert np.allclose(found, [_exact(x, 2.0, y) for x, y in zip(a, z, strict=True)], rtol=1e-12)
    assert z[0] > NEAR_ONE  # the cases above do reach the near-one branch
