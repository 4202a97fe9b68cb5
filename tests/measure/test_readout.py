"""The readout: per segment and variant, numbers equal scipy on the customers' own values."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportions_ztest

from segwise.measure.outcomes import PRE, Metric
from segwise.measure.readout import ALL, arm_statistics, readout

METRICS = [Metric("conversion", "binary", "orders"), Metric("revenue", "continuous", "orders")]


def simulated(seed: int = 1, n: int = 4_000, planted: float = 0.0) -> pl.DataFrame:
    """Customers in 3 segments, 2 variants; ``planted`` adds conversion in segment S0 only."""
    rng = np.random.default_rng(seed)
    segment = rng.choice(["S0", "S1", "S2"], n)
    variant = rng.choice(["control", "B"], n)
    pre = rng.gamma(2, 20, n) * (rng.random(n) < 0.5)
    boost = np.where((segment == "S0") & (variant == "B"), planted, 0.0)
    converted = (rng.random(n) < 0.2 + boost).astype(float)
    revenue = 0.6 * pre + converted * rng.gamma(2, 30, n)
    return pl.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(n)],
            "segment": segment,
            "variant": variant,
            "conversion": converted,
            "conversion" + PRE: (pre > 0).astype(float),
            "revenue": revenue,
            "revenue" + PRE: pre,
        }
    )


def analysed(table: pl.DataFrame, **options: object):
    statistics = arm_statistics(
        table.drop("segment").lazy(), table.select("customer_id", "segment").lazy(), METRICS
    )
    return readout("test", statistics, METRICS, control="control", **options)  # type: ignore[arg-type]


def test_each_row_equals_scipy_and_statsmodels_on_the_raw_values() -> None:
    table = simulated()
    found = analysed(table, use_cuped=False)
    for result in found.results:
        part = table if result.segment == ALL else table.filter(pl.col("segment") == result.segment)
        y_t = part.filter(pl.col("variant") == "B")[result.metric].to_numpy()
        y_c = part.filter(pl.col("variant") == "control")[result.metric].to_numpy()
        if result.metric == "conversion":
            _, p_value = proportions_ztest([y_t.sum(), y_c.sum()], [len(y_t), len(y_c)])
        else:
            p_value = stats.ttest_ind(y_t, y_c, equal_var=False).pvalue
        assert result.comparison.p_value == pytest.approx(p_value, rel=1e-9)
        assert result.comparison.n == len(y_t)
        assert result.comparison.control_mean == pytest.approx(y_c.mean(), rel=1e-12)


def test_cuped_rows_equal_the_regression_adjustment_within_each_segment() -> None:
    table = simulated(seed=2)
    found = analysed(table)
    row = next(r for r in found.results if (r.segment, r.metric) == ("S1", "revenue"))
    part = table.filter(pl.col("segment") == "S1")
    y, x = part["revenue"].to_numpy(), part["revenue" + PRE].to_numpy()
    theta = np.cov(y, x, ddof=1)[0, 1] / x.var(ddof=1)
    adjusted = y - theta * (x - x.mean())
    is_b = (part["variant"] == "B").to_numpy()
    reference = stats.ttest_ind(adjusted[is_b], adjusted[~is_b], equal_var=False)
    assert row.comparison.p_value == pytest.approx(reference.pvalue, rel=1e-9)
    assert row.variance_reduction is not None
    # The pre-period explains part of revenue: about the squared correlation goes.
    assert row.variance_reduction == pytest.approx(np.corrcoef(y, x)[0, 1] ** 2, abs=0.02)


def test_a_planted_effect_is_named_in_its_segment_only() -> None:
    found = analysed(simulated(seed=3, planted=0.15))
    significant = {(r.segment, r.metric) for r in found.results if r.significant}
    assert ("S0", "conversion") in significant
    assert not {s for s, m in significant if m == "conversion"} - {"S0", ALL}
    assert found.verdicts["S0"].startswith("Variant B lifts conversion in S0 by +")
    assert found.verdicts["S1"] == "No detectable effect in S1 after correction."
    differs = next(h for h in found.heterogeneity if h["metric"] == "conversion")
    assert differs["p_value"] < 0.001


def test_a_52_48_split_is_flagged_and_the_json_has_the_issue_keys() -> None:
    table = simulated(seed=4, n=20_000).with_columns(
        variant=pl.when(pl.int_range(pl.len()) < 10_400)
        .then(pl.lit("control"))
        .otherwise(pl.lit("B"))
    )
    found = analysed(table, split={"B": 50, "control": 50})
    assert found.srm.flagged
    payload = json.loads(json.dumps(found.to_dict()))
    assert payload["srm"]["flagged"] is True
    assert set(payload) >= {"experiment", "srm", "results"}
    assert set(payload["results"][0]) >= {
        "segment",
        "variant",
        "metric",
        "n",
        "mean",
        "control_mean",
        "lift",
        "ci_low",
        "ci_high",
        "p_value",
        "p_adjusted",
        "significant",
    }
    assert payload["results"][0]["segment"] == ALL


def test_aov_is_compared_as_a_ratio_of_the_arms_sums() -> None:
    table = simulated(seed=6).with_columns(
        pl.col("revenue").alias("aov"), (pl.col("conversion") * 2).alias("aov" + PRE)
    )
    metrics = [Metric("aov", "ratio", "orders")]
    statistics = arm_statistics(
        table.drop("segment").lazy(), table.select("customer_id", "segment").lazy(), metrics
    )
    found = readout("test", statistics, metrics, control="control")
    overall = next(r for r in found.results if r.segment == ALL)
    arms = {v: table.filter(pl.col("variant") == v) for v in ("control", "B")}
    expected = {v: t["aov"].sum() / t["aov" + PRE].sum() for v, t in arms.items()}
    assert overall.comparison.kind == "ratio"
    assert overall.comparison.control_mean == pytest.approx(expected["control"], rel=1e-9)
    assert overall.comparison.lift == pytest.approx(expected["B"] - expected["control"], rel=1e-9)
    assert overall.variance_reduction is None


def test_the_bayesian_readout_is_added_when_asked() -> None:
    plain = analysed(simulated(seed=7)).results[0].to_dict()
    assert "prob_beat_control" not in plain
    with_bayes = analysed(simulated(seed=7), bayes=True).results[0].to_dict()
    assert 0 <= with_bayes["prob_beat_control"] <= 1
    assert with_bayes["expected_loss"] >= 0
