"""Data the models cannot fit gets an error that says why and what to do."""

from __future__ import annotations

import numpy as np
import pytest

import segwise as sw
from segwise.models import BetaGeoModel, GammaGammaModel, ParetoNBDModel


@pytest.mark.parametrize("model", [BetaGeoModel, ParetoNBDModel], ids=["bg-nbd", "pareto-nbd"])
def test_no_repeat_buyers(model: type) -> None:
    with pytest.raises(sw.DataError, match="no customer has a repeat purchase"):
        model().fit({"frequency": [0, 0], "recency": [0, 0], "T": [10, 20]})


def test_recency_beyond_t() -> None:
    with pytest.raises(sw.DataError, match="row 1: recency 30 is beyond T 10"):
        BetaGeoModel().fit({"frequency": [1, 2], "recency": [30, 5], "T": [10, 20]})


@pytest.mark.parametrize(
    ("summary", "message"),
    [
        (
            {"frequency": [1, 0], "recency": [5, 3], "T": [10, 20]},
            "column 'recency': row 2: frequency is 0 but recency is 3 (it must be 0)",
        ),
        (
            {"frequency": [1, 2.5], "recency": [5, 6], "T": [10, 20]},
            "column 'frequency': row 2: frequency 2.5 is not a whole number of purchases",
        ),
        (
            {"frequency": [1, 2, 0], "recency": [5, 6, 0], "T": [10, 20, -4]},
            "column 'T': row 3: T is negative (-4)",
        ),
        (
            {"frequency": [1, 2], "recency": [5, float("nan")], "T": [10, 20]},
            "column 'recency': row 2: recency is missing or infinite",
        ),
        (
            {"frequency": [], "recency": [], "T": []},
            "the summary has no customers",
        ),
    ],
    ids=["recency without repeats", "fractional frequency", "negative T", "gap", "empty"],
)
@pytest.mark.parametrize("model", [BetaGeoModel, ParetoNBDModel], ids=["bgnbd", "pareto"])
def test_impossible_summaries_are_refused_naming_the_row(
    summary: dict[str, list[float]], message: str, model: type
) -> None:
    # Issue 11, bad input: these summaries used to be fitted as if they were valid.
    with pytest.raises(sw.DataError) as caught:
        model().fit(summary)
    assert message in str(caught.value)


def test_gamma_gamma_needs_positive_spend() -> None:
    # The row is the summary's own (one-time buyers at 0 before it do not count).
    with pytest.raises(sw.DataError, match=r"row 3 is a repeat customer with a mean spend of 0\."):
        GammaGammaModel().fit({"frequency": [0, 1, 2], "monetary_value": [0.0, 10.0, 0.0]})
    with pytest.raises(sw.DataError, match=r"row 1 is a .* of 0 \(1 more like it\)"):
        GammaGammaModel().fit({"frequency": [2, 3], "monetary_value": [0.0, 0.0]})


def test_missing_columns_and_unfitted_models() -> None:
    import polars as pl

    with pytest.raises(sw.DataError, match="lacks the column"):
        BetaGeoModel().fit(pl.DataFrame({"frequency": [1]}))
    with pytest.raises(sw.DataError, match="not fitted"):
        BetaGeoModel().p_alive({"frequency": [1], "recency": [1], "T": [2]})
    with pytest.raises(sw.ConfigError, match="penalizer"):
        BetaGeoModel(penalizer=-1).fit({"frequency": [1, 0], "recency": [1, 0], "T": [2, 3]})


def test_predictions_stay_finite_for_very_frequent_customers() -> None:
    # Issue 11, bad input: P(alive) and E[Y(t)] overflowed for x in the thousands.
    from scipy.special import hyp2f1

    bgnbd = BetaGeoModel().fit({"frequency": [0, 1, 3, 2], "recency": [0, 5, 20, 9], "T": [30] * 4})
    bgnbd.params_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    summary = {
        "frequency": [2, 1000, 5000, 20000],
        "recency": [30.0, 38.9, 38.99, 38.999],
        "T": [39.0] * 4,
    }
    alive = bgnbd.p_alive(summary)
    expected = bgnbd.expected_purchases(summary, 39)
    assert np.all(np.isfinite(alive)) and np.all((alive > 0) & (alive <= 1))
    assert np.all(np.isfinite(expected)) and np.all(np.diff(expected) > 0)
    # For an ordinary customer the value is FHL (2005) eq. 10 as written.
    r, alpha, a, b, x, t_x, T, t = 0.243, 4.414, 0.793, 2.426, 2, 30.0, 39.0, 39  # noqa: N806
    z = t / (alpha + T + t)
    odds = a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x)
    direct = (
        (a + b + x - 1)
        / (a - 1)
        * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z))
        / (1 + odds)
    )
    assert expected[0] == pytest.approx(direct, rel=1e-9)
    assert alive[0] == pytest.approx(1 / (1 + odds), rel=1e-12)
    pareto = ParetoNBDModel().fit(
        {"frequency": [0, 1, 3, 2], "recency": [0, 5, 20, 9], "T": [30] * 4}
    )
    pareto.params_ = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
    assert np.all(np.isfinite(pareto.p_alive(summary)))
    assert np.all(np.isfinite(pareto.expected_purchases(summary, 39)))
