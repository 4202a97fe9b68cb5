"""Degenerate BTYD fits are found and said plainly; predictive segments fall back (issue 11)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import segwise as sw
from segwise.models.diagnostics import (
    churn_flags,
    diagnose_fit,
    overdue,
    quiet_cycles,
    repeat_histogram,
)
from segwise.models.predictions import predict_customers

if TYPE_CHECKING:
    from pathlib import Path


def test_a_sound_fit_has_no_warnings() -> None:
    # CDNOW's published BG/NBD fit (Fader, Hardie & Lee 2005).
    rng = np.random.default_rng(0)
    x = rng.integers(0, 6, 2000).astype(float)
    t_x = np.where(x > 0, rng.uniform(5, 35, 2000), 0.0)
    warnings = diagnose_fit(
        {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}, x, t_x, np.full(2000, 39.0)
    )
    assert warnings == []


@pytest.mark.parametrize(
    ("params", "frequency", "code"),
    [
        ({"r": 0.8, "alpha": 9.6, "a": 0.0006, "b": 172.0}, [1, 2, 0] * 100, "no_dropout"),
        ({"r": 0.8, "alpha": 2e4, "a": 0.8, "b": 2.4}, [1, 2, 0] * 100, "at_bound"),
        ({"r": 0.2, "alpha": 4.0, "a": 0.8, "b": 2.4}, [1] + [0] * 299, "few_repeat_buyers"),
    ],
    ids=["no dropout", "at bound", "few repeat buyers"],
)
def test_degenerate_fits_are_named(
    params: dict[str, float], frequency: list[int], code: str
) -> None:
    x = np.array(frequency, dtype=float)
    warnings = diagnose_fit(params, x, x * 3, np.full(x.size, 39.0))
    assert code in [w.code for w in warnings]
    assert all(w.advice for w in warnings)


def test_no_dropout_is_said_once_and_never_blamed_on_the_time_unit() -> None:
    # Online Retail II to 2010-07-01: "almost no dropout" and "a at the edge of its range" for
    # the same a, advising a daily time unit, which fits a and b exactly as weeks do.
    x = np.array([1, 2, 0] * 100, dtype=float)
    warnings = diagnose_fit(
        {"r": 0.84, "alpha": 9.6, "a": 3.1e-5, "b": 1191.5}, x, x * 3, np.full(x.size, 30.0)
    )
    assert [w.code for w in warnings] == ["no_dropout"]
    assert "time unit" not in str(warnings[0])
    days = diagnose_fit(
        {"r": 0.84, "alpha": 2e4, "a": 3.1e-5, "b": 1191.5}, x, x * 21, np.full(x.size, 210.0)
    )
    assert [w.code for w in days] == ["no_dropout", "at_bound"]
    assert "alpha = 2e+04" in days[1].message and "time unit" in days[1].advice


@pytest.mark.realdata
def test_the_unit_rescales_the_purchase_rate_only(shared_data: Path) -> None:
    # Why the advice leaves the unit out: CDNOW's calibration in weeks and in days.
    weeks = pl.read_csv(shared_data / "cdnow_sample_calibration_summary_lifetimes.csv").select(
        frequency="x", recency="t_x", T="T"
    )
    by_week = sw.BetaGeoModel().fit(weeks).params_
    by_day = sw.BetaGeoModel().fit(weeks.with_columns(pl.col("recency", "T") * 7)).params_
    assert by_day["alpha"] == pytest.approx(7 * by_week["alpha"], rel=1e-3)
    for name in ("r", "a", "b"):
        assert by_day[name] == pytest.approx(by_week[name], rel=1e-3)


def test_short_window_for_the_purchase_cycle() -> None:
    x = np.array([1.0, 1.0, 2.0, 0.0] * 50)
    warnings = diagnose_fit(
        {"r": 0.2, "alpha": 4.0, "a": 0.8, "b": 2.4}, x, x * 9.0, np.full(x.size, 12.0)
    )
    assert "short_window" in [w.code for w in warnings]


def test_overdue_compares_each_customer_with_their_own_cycle() -> None:
    frequency = np.array([4.0, 4.0, 1.0, 0.0, 0.0])
    recency = np.array([8.0, 8.0, 10.0, 0.0, 0.0])
    T = np.array([9.0, 20.0, 12.0, 3.0, 30.0])  # noqa: N806 - the papers' name
    # cycles: 2, 2, 10; one-timers use the repeaters' median cycle (2).
    assert overdue(frequency, recency, T).tolist() == [False, True, False, False, True]


def test_flat_p_alive_falls_back_to_the_purchase_cycle() -> None:
    # Almost everyone bought again recently: P(alive) is near 1 for all but a few.
    rng = np.random.default_rng(3)
    n = 600
    frequency = rng.integers(1, 12, n).astype(float)
    T = np.full(n, 52.0)  # noqa: N806
    recency = np.where(np.arange(n) < 60, 10.0, 51.0)
    summary = pl.DataFrame(
        {
            "customer_id": [str(i) for i in range(n)],
            "frequency": frequency,
            "recency": recency,
            "T": T,
            "monetary_value": rng.uniform(10, 90, n),
        }
    )
    predictions = predict_customers(summary, horizon=52.0)
    shares = predictions.table["segment"].value_counts(normalize=True)
    assert shares["proportion"].max() <= 0.95
    if predictions.churn_basis == "purchase_cycle":
        assert predictions.warnings


@pytest.mark.realdata
@pytest.mark.parametrize(
    ("model", "widest"),
    # Pareto/NBD's 1 and 5 bars are 10% and 21% off on CDNOW (a simulation of the fitted
    # model gives the same bars: tests/models/test_pareto_counts.py checks the counts).
    [(sw.BetaGeoModel, 0.13), (sw.ParetoNBDModel, 0.22)],
)
def test_the_repeat_histogram_sets_the_model_against_the_calibration(
    cdnow: pl.DataFrame, model: type, widest: float
) -> None:
    table = repeat_histogram(model().fit(cdnow), cdnow)
    assert table["purchases"].to_list() == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    counts = cdnow["frequency"].clip(upper_bound=7).value_counts().sort("frequency")
    assert table["actual"].to_list() == counts["count"].to_list()
    assert table["expected"].sum() == pytest.approx(cdnow.height)
    gaps = (table["expected"] - table["actual"]).abs() / table["actual"]
    assert gaps.max() < widest, table
    assert gaps[0] < 0.02  # the customers who never came back, within 2%


histories = st.lists(
    st.tuples(
        st.integers(0, 30),  # repeat purchases
        st.floats(0.5, 100.0, allow_nan=False),  # first to last purchase
        st.floats(0.0, 100.0, allow_nan=False),  # quiet since the last one
        st.integers(1, 5),  # customers with this history
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(rows=histories, factor=st.floats(0.5, 5.0))
def test_quiet_cycles_are_what_overdue_compares(rows: list, factor: float) -> None:
    """The trait a churn card shows and the rule that chose its members are one number:
    overdue means more than ``factor`` cycles quiet, weights count customers, and a repeat
    buyer's cycles are their quiet time over their own mean gap."""
    x = np.array([r[0] for r in rows], dtype=float)
    span = np.array([r[1] for r in rows])
    recency = np.where(x > 0, span, 0.0)
    T = recency + np.array([r[2] for r in rows])  # noqa: N806
    weights = np.array([r[3] for r in rows])
    cycles = quiet_cycles(x, recency, T, weights=weights)
    assert overdue(x, recency, T, factor=factor, weights=weights).tolist() == [
        bool(c > factor) if np.isfinite(c) else False for c in cycles
    ]
    repeat = x > 0
    assert cycles[repeat] == pytest.approx((T - recency)[repeat] * x[repeat] / recency[repeat])
    # Weights are repeated rows: the one-time buyers' yardstick (the median cycle) agrees.
    spread = np.repeat(np.arange(x.size), weights)
    assert np.allclose(
        quiet_cycles(x[spread], recency[spread], T[spread]), cycles[spread], equal_nan=True
    )


def test_one_time_buyers_are_churn_risks_by_their_silence(cdnow: pl.DataFrame) -> None:
    # BG/NBD gives every one-time buyer P(alive) = 1: on CDNOW's 39 weeks 1,411 of 2,357
    # customers, none of them ever a churn risk by P(alive), whenever they bought.
    model = sw.BetaGeoModel().fit(cdnow)
    p_alive = model.p_alive(cdnow)
    x, t_x, age = (cdnow[c].to_numpy() for c in ("frequency", "recency", "T"))
    assert np.all(p_alive[x == 0] == 1.0)
    flags = churn_flags(p_alive, x, t_x, age, threshold=0.3)
    quiet = overdue(x, t_x, age)
    # Repeat buyers keep the model's verdict; one-time buyers are judged by how long they have
    # been quiet against the repeat buyers' typical cycle.
    assert np.array_equal(flags[x > 0], p_alive[x > 0] < 0.3)
    assert np.array_equal(flags[x == 0], quiet[x == 0])
    # Everyone joined in the first 12 weeks, so every one-time buyer has been quiet for 27
    # weeks or more: over twice the repeat buyers' typical cycle. A one-time buyer of last
    # week is not.
    assert flags[x == 0].all()
    repeat = {"p": 0.9, "x": 2.0, "t_x": 8.0, "T": 9.0}  # a 4-week cycle
    for weeks, flagged in ((1.0, False), (8.0, False), (9.0, True)):
        found = churn_flags(
            np.array([repeat["p"], 1.0]),
            np.array([repeat["x"], 0.0]),
            np.array([repeat["t_x"], 0.0]),
            np.array([repeat["T"], weeks]),
            threshold=0.3,
        )
        assert found.tolist() == [False, flagged]
