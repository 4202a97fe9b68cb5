"""Predictions in the engine equal the in-memory ones, customer by customer, on every engine."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

import segwise as sw
from segwise.datasets import sample_paths
from segwise.exceptions import ConfigError
from segwise.models.engine_predictions import predict_in_engine
from segwise.models.histories import weighted_median
from segwise.models.predictions import predict_customers

if TYPE_CHECKING:
    from collections.abc import Callable

PREDICTED = ["p_alive", "expected_purchases", "expected_value", "clv", "tier", "segment"]


@pytest.fixture(scope="module")
def demo_summary() -> pl.DataFrame:
    orders = sw.read_transactions(sample_paths()["orders"])
    summary = sw.rfm_summary(orders, monetary_value_col="amount", time_unit="W")
    return summary.filter(pl.col("monetary_value") >= 0).sort("customer_id")


def _same(summary: pl.DataFrame, put: Callable[[pl.DataFrame], Any], **settings: Any) -> Any:
    """Both paths on ``summary``; every prediction must be equal to the last bit."""
    expected = predict_customers(summary, **settings)
    found = predict_in_engine(put(summary), **settings)
    table = pl.DataFrame(found.table.collect(backend="polars").to_native()).sort("customer_id")
    assert table["customer_id"].to_list() == expected.table["customer_id"].to_list()
    for column in PREDICTED:
        assert table[column].equals(expected.table[column]), column
    assert found.purchase_model.params_ == expected.purchase_model.params_
    assert found.spend_model.params_ == expected.spend_model.params_
    assert found.churn_basis == expected.churn_basis
    assert [str(w) for w in found.warnings] == [str(w) for w in expected.warnings]
    assert found.fit_note() == expected.fit_note()
    return found


@pytest.mark.parametrize(
    "settings",
    [
        {"horizon": 52.0},
        {"horizon": 26.0, "discount_rate": 0.01, "tiers": (0.1, 0.5)},
        {"horizon": 52.0, "churn_threshold": 0.6},
        {"horizon": 52.0, "fit_sample": 1_000},  # the seeded sample, drawn in the engine
        {"horizon": 52.0, "purchase_model": "MBG/NBD"},
        {"horizon": 26.0, "discount_rate": 0.01, "purchase_model": "Pareto/NBD"},
    ],
    ids=["default", "discounted", "churn-threshold", "sampled", "mbgnbd", "pareto-nbd"],
)
def test_every_engine_predicts_what_memory_does(
    demo_summary: pl.DataFrame, to_engine: Callable[[pl.DataFrame], Any], settings: dict[str, Any]
) -> None:
    found = _same(demo_summary, to_engine, **settings)
    assert settings.get("purchase_model", "BG/NBD") == found.purchase_model.MODEL
    assert found.histories < found.customers == demo_summary.height
    sizes = pl.DataFrame(found.table.collect(backend="polars").to_native())["segment"]
    assert sizes.n_unique() >= 3  # the check could fail: the segments are not all one


def test_a_fit_without_dropout_falls_back_to_purchase_cycles_in_both(
    to_engine: Callable[[pl.DataFrame], Any],
) -> None:
    # Nearly everyone bought within the last two weeks: the fit sees no dropout, and churn
    # is read from each customer's own purchase cycle (a few went quiet long ago).
    rng = np.random.default_rng(3)
    n = 600
    frequency = rng.integers(3, 12, n).astype(float)
    age = rng.integers(30, 60, n).astype(float)
    recency = (age - rng.uniform(0, 2, n)).round()
    recency = np.where(np.arange(n) % 30 == 0, (age / 3).round(), recency)
    summary = pl.DataFrame(
        {
            "customer_id": [f"c{i:04d}" for i in range(n)],
            "frequency": frequency,
            "recency": recency,
            "T": age,
            "monetary_value": rng.gamma(2.0, 20.0, n),
        }
    )
    found = _same(summary, to_engine, horizon=26.0)
    assert found.churn_basis == "purchase_cycle"
    segments = pl.DataFrame(found.table.collect(backend="polars").to_native())["segment"]
    # The quiet ones are churn risks, high spenders among them at risk; nobody is rising
    # (expected purchases span 4.2-4.8: no newer customer stands out at 1.5x the median).
    assert set(segments) == {"At-risk high value", "Churn risk", "Stable"}


def test_spend_covariates_are_refused_with_the_way_out(demo_summary: pl.DataFrame) -> None:
    from segwise.models.engine_predictions import _expected_value

    model = sw.GammaGammaModel(spend_covariates=["region"])
    model.params_ = {"p": 1.0, "q": 2.0, "v": 3.0}
    with pytest.raises(ConfigError, match="predict_customers"):
        _expected_value(model)


def test_bad_settings_are_refused_before_any_work(demo_summary: pl.DataFrame) -> None:
    with pytest.raises(ConfigError, match="tiers"):
        predict_in_engine(demo_summary, horizon=52.0, tiers=(0.6, 0.2))
    with pytest.raises(ConfigError, match="churn_threshold"):
        predict_in_engine(demo_summary, horizon=52.0, churn_threshold=1.2)


@pytest.mark.realdata
def test_cdnow_on_duckdb_equals_memory(cdnow: pl.DataFrame) -> None:
    import duckdb

    summary = cdnow.sort("customer_id")
    found = _same(summary, lambda f: duckdb.from_arrow(f.to_arrow()), horizon=52.0)
    # 2,357 customers, far fewer histories: what this process predicts.
    assert found.histories < 0.8 * found.customers


@given(
    st.lists(
        st.tuples(st.floats(-1e6, 1e6, allow_nan=False), st.integers(0, 6)),
        min_size=1,
        max_size=30,
    )
)
def test_the_weighted_median_is_the_median_of_the_repeated_values(
    pairs: list[tuple[float, int]],
) -> None:
    values = np.array([v for v, _ in pairs])
    weights = np.array([w for _, w in pairs])
    repeated = np.repeat(values, weights)
    found = weighted_median(values, weights)
    if repeated.size == 0:
        assert np.isnan(found)
    else:
        assert found == float(np.median(repeated))
