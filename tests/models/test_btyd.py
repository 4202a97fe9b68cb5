"""BG/NBD, Pareto/NBD and Gamma-Gamma against the published CDNOW fits."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest

import segwise as sw
from segwise.models import BetaGeoModel, GammaGammaModel, ParetoNBDModel

if TYPE_CHECKING:
    import polars as pl

pytestmark = pytest.mark.realdata


def _close(got: dict[str, float], expected: dict[str, float], tolerance: float = 0.005) -> None:
    for name, value in expected.items():
        assert got[name] == pytest.approx(value, rel=tolerance), name


def test_bg_nbd_published_fit(cdnow: pl.DataFrame) -> None:
    model = BetaGeoModel().fit(cdnow)
    _close(model.params_, {"r": 0.2426, "alpha": 4.4137, "a": 0.7930, "b": 2.4262})
    assert model.log_likelihood_ == pytest.approx(-9582.43, abs=0.05)
    assert all(0 < se < 1 for se in model.standard_errors_.values())
    assert float(model.expected_purchases_new_customer(52)) == pytest.approx(1.444, abs=0.0005)
    one = {"frequency": [2.0], "recency": [30.43], "T": [38.86]}
    assert model.expected_purchases(one, 39)[0] == pytest.approx(1.226, abs=0.0005)
    alive = model.p_alive(cdnow)
    assert alive.shape == (2_357,) and np.all((alive > 0) & (alive <= 1))
    assert np.all(alive[cdnow["frequency"].to_numpy() == 0] == 1.0)


def test_gamma_gamma_published_fit(cdnow: pl.DataFrame) -> None:
    model = GammaGammaModel().fit(cdnow)
    assert model.n_customers_ == 946
    _close(model.params_, {"p": 6.2488, "q": 3.7446, "v": 15.4477})
    expected = model.expected_average_value(cdnow)
    p, q, v = model.params_["p"], model.params_["q"], model.params_["v"]
    no_repeat = cdnow["frequency"].to_numpy() == 0
    assert np.allclose(expected[no_repeat], p * v / (q - 1))


def test_pareto_nbd_published_fit(cdnow: pl.DataFrame) -> None:
    model = ParetoNBDModel().fit(cdnow)
    _close(model.params_, {"r": 0.5533, "alpha": 10.5776, "s": 0.6062, "beta": 11.668})
    assert model.log_likelihood_ == pytest.approx(-9594.98, abs=0.05)
    alive = model.p_alive(cdnow)
    assert np.all((alive > 0) & (alive <= 1))
    assert model.expected_purchases(cdnow, 39).sum() == pytest.approx(
        BetaGeoModel().fit(cdnow).expected_purchases(cdnow, 39).sum(), rel=0.1
    )


def test_penalizer_shrinks_the_parameters(cdnow: pl.DataFrame) -> None:
    plain = BetaGeoModel().fit(cdnow).params_
    shrunk = BetaGeoModel(penalizer=0.1).fit(cdnow).params_
    assert sum(v**2 for v in shrunk.values()) < sum(v**2 for v in plain.values())


def test_probability_of_n_purchases_is_a_distribution_with_the_right_mean(
    cdnow: pl.DataFrame,
) -> None:
    model = BetaGeoModel().fit(cdnow)
    counts = np.arange(400)
    probabilities = model.probability_of_purchases(52, counts)
    assert np.all(probabilities >= 0)
    assert probabilities.sum() == pytest.approx(1.0, abs=1e-9)
    assert (counts * probabilities).sum() == pytest.approx(
        float(model.expected_purchases_new_customer(52))
    )
    with pytest.raises(sw.DataError, match="whole numbers"):
        model.probability_of_purchases(52, np.array([1.5]))
