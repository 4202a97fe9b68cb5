"""BG/BB on the donations data of its paper, its identities, and its input errors.

Fader, P. S., Hardie, B. G. S., & Shang, J. (2010). Customer-base analysis in a
discrete-time noncontractual setting. Marketing Science, 29(6), 1086-1108: on the 11,104
donors of the 1995 cohort over 6 annual opportunities, α = 1.204, β = 0.750, γ = 0.657,
δ = 2.783, LL = -33,225.6.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import segwise as sw
from segwise.exceptions import DataError

if TYPE_CHECKING:
    from pathlib import Path

PUBLISHED = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}


@pytest.fixture(scope="module")
def donations(shared_data: Path) -> pl.DataFrame:
    return pl.read_csv(shared_data / "donations_bgbb_summary_lifetimes.csv")


def test_the_donations_fit_reproduces_the_paper(donations: pl.DataFrame) -> None:
    model = sw.BetaGeoBetaBinomModel().fit(donations)  # lifetimes' "periods" is read as n
    for name, value in PUBLISHED.items():
        assert model.params_[name] == pytest.approx(value, rel=0.005), name
    assert model.log_likelihood_ == pytest.approx(-33225.6, rel=0.005)
    assert model.n_customers_ == 11_104


def test_weights_are_the_same_as_repeated_rows(donations: pl.DataFrame) -> None:
    repeated = donations.select(pl.exclude("weights").repeat_by(donations["weights"]).explode())
    assert repeated.height == 11_104
    by_weight = sw.BetaGeoBetaBinomModel().fit(donations)
    by_row = sw.BetaGeoBetaBinomModel().fit(repeated)
    assert by_weight.log_likelihood_ == pytest.approx(by_row.log_likelihood_, rel=1e-7)
    for name in PUBLISHED:
        assert by_weight.params_[name] == pytest.approx(by_row.params_[name], rel=1e-3)


@settings(max_examples=60, deadline=None)
@given(
    st.tuples(*[st.floats(0.1, 8)] * 4),
    st.integers(1, 12),
    st.integers(1, 20),
)
def test_predictions_keep_their_identities(
    params: tuple[float, float, float, float], n: int, future: int
) -> None:
    model = sw.BetaGeoBetaBinomModel()
    model.params_ = dict(zip(PUBLISHED, params, strict=True))
    _, _, gamma, delta = params
    # Someone who transacted at the last opportunity is alive then: only the next one is open.
    always = {"frequency": [n], "recency": [n], "n_periods": [n]}
    assert model.p_alive(always)[0] == pytest.approx((delta + n) / (gamma + delta + n), rel=1e-9)
    # Seen at no opportunity yet, a customer is a new customer.
    new = {"frequency": [0], "recency": [0], "n_periods": [0]}
    assert model.expected_purchases(new, future)[0] == pytest.approx(
        float(model.expected_purchases_new_customer(future)), rel=1e-7, abs=1e-12
    )
    lapsed = {"frequency": [1], "recency": [1], "n_periods": [n + 1]}
    assert 0 < model.p_alive(lapsed)[0] <= model.p_alive({**lapsed, "recency": [n + 1]})[0]


def test_gamma_of_one_gives_the_limit_not_a_division_by_zero() -> None:
    # γ = 1 is a valid fit (hypothesis found it); the closed forms are 0/0 there.
    summary = {"frequency": [0, 2, 3], "recency": [0, 4, 5], "n_periods": [0, 5, 6]}
    at_one, near = sw.BetaGeoBetaBinomModel(), sw.BetaGeoBetaBinomModel()
    at_one.params_ = {"alpha": 1.2, "beta": 0.8, "gamma": 1.0, "delta": 2.5}
    near.params_ = at_one.params_ | {"gamma": 1.0 + 1e-5}
    assert np.all(np.isfinite(at_one.expected_purchases(summary, 4)))
    assert at_one.expected_purchases(summary, 4) == pytest.approx(
        near.expected_purchases(summary, 4), rel=1e-4
    )
    assert at_one.expected_purchases_new_customer(np.array([1.0, 6.0])) == pytest.approx(
        near.expected_purchases_new_customer(np.array([1.0, 6.0])), rel=1e-4
    )


def test_expected_purchases_match_a_simulation() -> None:
    rng = np.random.default_rng(7)
    alpha, beta, gamma, delta = PUBLISHED.values()
    people, n, future = 40_000, 6, 5
    p = rng.beta(alpha, beta, people)
    theta = rng.beta(gamma, delta, people)
    # Death comes at the start of an opportunity, the first one included (θ each time).
    lived = rng.geometric(theta) - 1  # opportunities lived before dying
    buys = rng.random((people, n + future)) < p[:, None]
    opportunities = np.arange(1, n + future + 1)
    buys &= opportunities[None, :] <= lived[:, None]
    model = sw.BetaGeoBetaBinomModel()
    model.params_ = dict(PUBLISHED)
    simulated = buys[:, :n].sum(1).mean()
    assert simulated == pytest.approx(float(model.expected_purchases_new_customer(n)), rel=0.02)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"frequency": [1.5], "recency": [2], "n_periods": [6]}, "row 1: frequency 1.5"),
        ({"frequency": [0], "recency": [2], "n_periods": [6]}, "frequency is 0 but recency"),
        ({"frequency": [3], "recency": [2], "n_periods": [6]}, "before the 3th transaction"),
        ({"frequency": [1], "recency": [7], "n_periods": [6]}, "beyond the 6 opportunities"),
        ({"frequency": [0, 0], "recency": [0, 0], "n_periods": [6, 6]}, "nobody transacted"),
        ({"frequency": [1], "recency": [1]}, "lacks the column"),
    ],
)
def test_bad_summaries_get_one_clear_error(table: dict[str, list[float]], message: str) -> None:
    with pytest.raises(DataError, match=message):
        sw.BetaGeoBetaBinomModel().fit(table)
