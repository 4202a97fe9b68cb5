"""PropensitySegmenter: leak-free, calibrated, backtested against recency, on real data too."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import TYPE_CHECKING, Any

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

import segwise as sw
from segwise.datasets import sample_paths
from segwise.exceptions import ConfigError, DataError
from segwise.segmenters import windows
from segwise.segmenters.propensity import PropensitySegmenter, _balanced_sample
from segwise.segmenters.windows import LABEL

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture(scope="module")
def retail() -> Any:
    return sw.read_transactions(sample_paths()["orders"])


@pytest.fixture(scope="module")
def fitted(retail: Any) -> PropensitySegmenter:
    return PropensitySegmenter("churn", 90).fit(retail)


def test_the_cutoffs_keep_train_calibration_and_test_windows_apart(
    fitted: PropensitySegmenter,
) -> None:
    stages = fitted.cutoffs_
    horizon = dt.timedelta(days=90)
    # Each stage's label window ends on or before the next stage's cut-off.
    assert max(stages["train"]) + horizon <= stages["calibrate"][0]
    assert stages["calibrate"][0] + horizon <= stages["test"][0]
    assert stages["test"][0] + horizon == stages["today"][0]
    assert max(stages["today_train"]) + horizon <= stages["today_calibrate"][0]


def test_cutoffs_before_the_first_purchase_are_said_to_teach_nothing(
    retail: Any, fitted: PropensitySegmenter
) -> None:
    # Online Retail (2011) asked for 8 cut-offs 45 days apart learnt from 3: the other five
    # fell before its first order, and nothing said so.
    assert not any("before any customer had bought" in w for w in fitted.warnings_)
    stretched = PropensitySegmenter("churn", 90, cutoffs=20).fit(retail)
    [note] = [w for w in stretched.warnings_ if "before any customer had bought" in w]
    first = stretched.cutoffs_["train"][0]
    assert note.startswith(f"{note.split(' of ')[0]} of 20 training cut-offs ({first}")
    assert "so the backtest's model learnt from" in note


def test_the_backtest_ranks_and_the_tiers_split_as_asked(fitted: PropensitySegmenter) -> None:
    found = fitted.backtest_
    assert 0.5 < found.auc <= 1 and 0 <= found.ece < 0.5
    assert found.deciles[0]["lift"] > 1 > found.deciles[-1]["lift"]
    assert found.deciles[-1]["capture"] == pytest.approx(1.0)
    scores = fitted.segment()
    propensity = scores["propensity"]
    tiers = ["High churn risk", "Medium churn risk", "Low churn risk"]
    lowest = {t: scores.filter(pl.col("segment") == t)["propensity"].min() for t in tiers}
    highest = {t: scores.filter(pl.col("segment") == t)["propensity"].max() for t in tiers}
    # Equal scores never straddle two tiers; each tier is as near its share (the top 20%,
    # then the next 30%) as they allow (tests/models/test_tiers.py checks the rule itself).
    for tier, below in itertools.pairwise(tiers):
        assert lowest[tier] > highest[below]
    assert (propensity >= lowest[tiers[0]]).mean() == pytest.approx(0.2, abs=0.05)
    assert (propensity >= lowest[tiers[1]]).mean() == pytest.approx(0.5, abs=0.05)
    assert set(fitted.importances_) == set(fitted.feature_names_)
    # The same tiers on the backtest's rows: what each did, against everyone.
    tested = {t["segment"]: t for t in found.tiers}
    assert list(tested) == ["High churn risk", "Medium churn risk", "Low churn risk"]
    assert sum(t["customers"] for t in found.tiers) == found.rows
    assert tested["High churn risk"]["customers"] == pytest.approx(0.2 * found.rows, rel=0.25)
    assert tested["High churn risk"]["rate"] > tested["Low churn risk"]["rate"]
    everyone = found.positives / found.rows
    for tier in found.tiers:
        assert tier["lift"] == pytest.approx(tier["rate"] / everyone)


def test_duckdb_puts_every_customer_in_the_tier_polars_does(
    retail: Any, fitted: PropensitySegmenter
) -> None:
    # Blocks of equal calibrated scores were cut by the rows' order: a DuckDB run of the
    # demo project put 690 of its 4,974 customers in another tier than a Polars run.
    from segwise.engine.sessions import on_engine

    on_duckdb = on_engine({"t": retail.data}, "duckdb", None)["t"]
    tiers = PropensitySegmenter("churn", 90).fit(on_duckdb).segment()
    assert tiers.sort("customer_id").equals(fitted.segment().sort("customer_id"))


def test_a_planted_leak_is_caught(retail: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A feature builder that reads the label window (a bug) fails the fit, naming the column."""
    honest = windows._with_recent_activity
    orders = windows.dated_rows(retail, "transactions")

    def leaky(features: pl.DataFrame, tx: Any, cutoff: dt.date) -> pl.DataFrame:
        end = sw.io.timestamps.AsOf(cutoff + dt.timedelta(days=90))
        after = orders.filter(
            ~sw.io.timestamps.AsOf(cutoff).keep("timestamp") & end.keep("timestamp")
        )
        ahead = windows._polars(after).group_by("customer_id").len("orders_ahead")
        out = honest(features, tx, cutoff).join(ahead, on="customer_id", how="left")
        return out.with_columns(pl.col("orders_ahead").fill_null(0))

    monkeypatch.setattr(windows, "_with_recent_activity", leaky)
    with pytest.raises(DataError, match="feature 'orders_ahead' alone predicts 'churn'"):
        PropensitySegmenter("churn", 90).fit(retail)


def test_settings_are_checked() -> None:
    with pytest.raises(ConfigError, match="tiers must be increasing shares"):
        PropensitySegmenter(tiers=(0.5, 0.2)).fit(pl.DataFrame())
    with pytest.raises(ConfigError, match="calibration must be isotonic or sigmoid"):
        PropensitySegmenter(calibration="platt").fit(pl.DataFrame())


@pytest.mark.slow
def test_cdnow_churn_beats_recency_and_is_calibrated(shared_data: Path) -> None:
    orders = sw.read_transactions(shared_data / "cdnow_master_transactions.csv.gz")
    fitted = PropensitySegmenter("churn", 90).fit(orders)
    found = fitted.backtest_
    assert found.auc > found.baseline_auc
    assert found.palive_auc is not None and found.auc > found.palive_auc  # BG/NBD's P(alive)
    assert found.ece < 0.05
    # A closed cohort most of whom are gone: the top 60% by score all churned (96-97%), so
    # High and Medium churn risk are one group in all but name, and the user is told.
    high, medium, low = found.tiers
    assert abs(high["rate"] - medium["rate"]) < 0.01 < medium["rate"] - low["rate"]
    assert any("High churn risk and Medium churn risk churned alike" in n for n in fitted.warnings_)


def _online_retail_ii(shared: Path) -> pl.DataFrame:
    """Online Retail II's two years (2009-12 to 2011-12) from the two shared files.

    The 2010-2011 year is ``online_retail_uci``; the 2009-2010 sheet's rows
    from 2010-12-01 on are the same invoices, so they are dropped (the data
    README's overlap trap).
    """
    ids = {"Invoice": pl.String, "StockCode": pl.String, "Customer ID": pl.String}
    first = pl.read_csv(shared / "online_retail_ii_2009_2010.csv.gz", schema_overrides=ids)
    first = first.rename(
        {"Invoice": "InvoiceNo", "Price": "UnitPrice", "Customer ID": "CustomerID"}
    )
    second = pl.read_csv(
        shared / "online_retail_uci.csv.gz",
        schema_overrides={"InvoiceNo": pl.String, "StockCode": pl.String, "CustomerID": pl.String},
    )
    first = first.filter(pl.col("InvoiceDate") < "2010-12-01").select(second.columns)
    return pl.concat([first, second])


@pytest.mark.slow
def test_online_retail_ii_churn_beats_recency_and_is_calibrated_over_the_seasons(
    shared_data: Path,
) -> None:
    orders = sw.read_transactions(_online_retail_ii(shared_data))
    fitted = PropensitySegmenter("churn", 90).fit(orders)
    found = fitted.backtest_
    assert fitted.cutoffs_["test"] == [dt.date(2011, 9, 10)]  # the last complete 90 days
    assert found.auc > found.baseline_auc
    assert found.palive_auc is not None and found.auc > found.palive_auc
    # The test window runs into Christmas, when fewer customers lapse than in the summer the
    # probabilities are calibrated on: the cut-offs over a year and the day of the year
    # carry the season.
    assert found.ece < 0.05
    assert "day_of_year" in fitted.feature_names_


@pytest.mark.slow
def test_online_retail_churn_beats_recency_and_says_when_the_season_moved(
    shared_data: Path,
) -> None:
    orders = sw.read_transactions(shared_data / "online_retail_ii_2009_2010.csv.gz")
    fitted = PropensitySegmenter("churn", 90).fit(orders)
    assert fitted.backtest_.auc > fitted.backtest_.baseline_auc + 0.02
    assert fitted.backtest_.palive_auc is not None
    assert fitted.backtest_.auc > fitted.backtest_.palive_auc
    # Churn fell from the summer to the Christmas quarter (52% to 42%), and one year holds no
    # earlier autumn to learn it from: when the probabilities ran high the estimator says so,
    # and only then.
    warned = any("a season or a trend" in note for note in fitted.warnings_)
    assert warned == (fitted.backtest_.ece >= 0.05)


def test_each_customers_reasons_name_what_raises_their_score(fitted: PropensitySegmenter) -> None:
    found = fitted.reasons(top=3)
    assert found.height == fitted.scores_.height
    assert found["reasons"].list.len().max() <= 3
    # Setting a reason's feature to its typical value lowers the customer's score by the lift.
    row = found.sort("propensity", descending=True).row(0, named=True)
    first = row["reasons"][0]
    name = first.split(" ")[0]
    assert name in fitted.feature_names_
    lift = float(first.rsplit("+", 1)[1])
    k = fitted.feature_names_.index(name)
    customer = fitted._current.filter(pl.col("customer_id") == row["customer_id"])
    matrix = fitted._matrix(customer)
    matrix[:, k] = fitted._typical[k]
    lowered = fitted._calibrated(fitted.model_.predict_proba(matrix)[:, 1])[0]
    assert row["propensity"] - lowered == pytest.approx(lift, abs=0.006)
    # Churn risk is mostly about being away: the riskiest tenth is mostly explained by recency.
    risky = found.sort("propensity", descending=True).head(found.height // 10)
    firsts = risky["reasons"].list.first().drop_nulls()
    assert (firsts.str.starts_with("recency_days")).mean() > 0.5


def test_fit_returns_itself_keeps_its_parameters_and_repeats_exactly(retail: Any) -> None:
    # scikit-learn's matrix checks cannot feed a transaction log: its fit contract, here.
    estimator = PropensitySegmenter("purchase", 30, cutoffs=1, random_state=3)
    before = estimator.get_params()
    assert estimator.fit(retail) is estimator
    assert estimator.get_params() == before
    again = clone(estimator).fit(retail)
    assert again.scores_.equals(estimator.scores_)
    assert again.backtest_.auc == estimator.backtest_.auc
    with pytest.raises(NotFittedError):
        clone(estimator).segment()


@given(
    positives=st.integers(0, 60),
    negatives=st.integers(0, 60),
    limit=st.integers(2, 50),
    seed=st.integers(0, 3),
)
def test_importances_read_a_balanced_sample_of_the_held_out_rows(
    positives: int, negatives: int, limit: int, seed: int
) -> None:
    rows = pl.DataFrame(
        {LABEL: [True] * positives + [False] * negatives, "row": range(positives + negatives)}
    )
    kept = _balanced_sample(rows, limit, seed)
    assert kept.height == min(limit, rows.height)
    assert kept["row"].n_unique() == kept.height  # no row twice, and each one of the input
    assert kept.join(rows, on=["row", LABEL], how="anti").height == 0
    rarer = min(positives, negatives)
    if rows.height > limit:
        # The rarer outcome keeps all it has, up to half: AUC is most precise with equal sides.
        assert min(kept[LABEL].sum(), kept.height - kept[LABEL].sum()) == min(rarer, limit // 2)
    assert _balanced_sample(rows, limit, seed).equals(kept)
