"""Data the models cannot fit gets an error that says why and what to do."""

from __future__ import annotations

import pytest

import segwise as sw
from segwise.models import BetaGeoModel, GammaGammaModel, ParetoNBDModel


@pytest.mark.parametrize("model", [BetaGeoModel, ParetoNBDModel], ids=["bg-nbd", "pareto-nbd"])
def test_no_repeat_buyers(model: type) -> None:
    with pytest.raises(sw.DataError, match="no customer has a repeat purchase"):
        model().fit({"frequency": [0, 0], "recency": [0, 0], "T": [10, 20]})


def test_recency_beyond_t() -> None:
    with pytest.raises(sw.DataError, match="recency is larger than T"):
        BetaGeoModel().fit({"frequency": [1, 2], "recency": [30, 5], "T": [10, 20]})


def test_gamma_gamma_needs_positive_spend() -> None:
    with pytest.raises(sw.DataError, match="1 repeat customers have zero or negative mean spend"):
        GammaGammaModel().fit({"frequency": [1, 2, 0], "monetary_value": [10.0, 0.0, 0.0]})


def test_missing_columns_and_unfitted_models() -> None:
    import polars as pl

    with pytest.raises(sw.DataError, match="lacks the column"):
        BetaGeoModel().fit(pl.DataFrame({"frequency": [1]}))
    with pytest.raises(sw.DataError, match="not fitted"):
        BetaGeoModel().p_alive({"frequency": [1], "recency": [1], "T": [2]})
    with pytest.raises(sw.ConfigError, match="penalizer"):
        BetaGeoModel(penalizer=-1).fit({"frequency": [1, 0], "recency": [1, 0], "T": [2, 3]})
