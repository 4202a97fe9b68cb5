"""Propensity segments: the chance of an outcome over the next days, learned from the past.

The model is fitted on leak-free rows (:mod:`segwise.segmenters.windows`):
features as of several past cut-offs, each labelled by what happened in the
``horizon_days`` after it. Its probabilities are calibrated on a later
cut-off, and the whole procedure is backtested on the most recent complete
window, against recency as a baseline, before the same procedure, moved
forward by one horizon, scores every customer as of today. Customers are
then put in tiers by score (the top 20% "High …", and so on).

Cut-offs, with ``h`` the horizon and ``L`` the last day of the data::

    backtest:   train ≤ L − 3h (and earlier steps) · calibrate L − 2h · test L − h
    today:      train ≤ L − 2h (and earlier steps) · calibrate L − h  · score L
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl
from sklearn.base import BaseEstimator, clone
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.utils.validation import check_is_fitted

from segwise._validation import hint_for
from segwise.exceptions import ConfigError, DataError
from segwise.features._timestamps import as_day
from segwise.models.propensity_backtest import backtest, baseline_note, rank_auc, tier_rates
from segwise.models.tiers import tier_index
from segwise.segmenters.feature_matrix import FeatureMatrix
from segwise.segmenters.propensity_models import gradient_boosting, palive_auc
from segwise.segmenters.propensity_reasons import typical_values, value_texts
from segwise.segmenters.propensity_tiers import off_share_tiers, unseparated_tiers
from segwise.segmenters.windows import (
    CUTOFF,
    LABEL,
    Outcome,
    latest_day,
    read_once,
    training_rows,
    unfilled_cutoffs,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

#: A single feature that ranks the outcome this well on its own reads the future.
LEAK_AUC = 0.99
#: Smallest rise in the score a reason must account for.
REASON_FLOOR = 0.005
#: A move of the outcome's rate between calibration and test windows worth a warning…
DRIFT = 0.05
#: …when it left the backtest's probabilities this far off (ECE) or more.
CALIBRATED = 0.05
#: Held-out rows the importances are measured on: each feature costs three predictions of
#: them all (58 features × 3 × 4,722 rows took 8 s here), so a million would take hours.
IMPORTANCE_ROWS = 5_000
_TIER_WORDS = {"churn": "churn risk", "purchase": "purchase propensity"}


class PropensitySegmenter(BaseEstimator):  # type: ignore[misc]
    """Predict an outcome over the next ``horizon_days`` and segment customers by its chance.

    Parameters
    ----------
    outcome
        ``churn`` (no purchase in the window), ``purchase`` (at least one), or
        any rule over the window's customer features (``share_garden > 0``,
        ``performed('email_open')``).
    horizon_days
        The window after each cut-off the outcome is read from.
    cutoffs
        How many training cut-offs, ``step_days`` apart. The default, eight
        45 days apart, spreads them over a year, so the model sees every
        season twice and learns from ``day_of_year`` how the outcome's rate
        moves with it (on shorter histories the early cut-offs hold fewer
        customers, or none).
    step_days
        Days between training cut-offs.
    features
        Feature columns to learn from (default: every column of
        :func:`segwise.customer_features` but the id).
    estimator
        A scikit-learn classifier (default ``HistGradientBoostingClassifier``);
        cloned for each fit.
    calibration
        ``isotonic`` or ``sigmoid`` (Platt), fitted on the later cut-off.
    tiers
        Shares of customers in the top tiers, by score: ``(0.2, 0.5)`` is the
        top 20% "High", the next 30% "Medium", the rest "Low". Equal scores share a
        tier (each cut on the side of a block of equal scores that leaves the tier
        nearer its share), so a tier can hold a little more or less than its share.
    random_state
        Seed of the default estimator.

    Attributes
    ----------
    outcome_ : Outcome
        The outcome and its rule.
    cutoffs_ : dict[str, list[date]]
        The cut-offs of each stage (``train``, ``calibrate``, ``test``, and the
        same for ``today``).
    backtest_ : PropensityBacktest
        AUC, PR-AUC, ECE, calibration curve and deciles on the test window,
        with the recency baseline's AUC.
    feature_names_ : list[str]
        The features the model reads.
    importances_ : dict[str, float]
        Permutation importance (drop in AUC) of each feature on the test window.
    scores_ : polars.DataFrame
        ``customer_id, propensity, segment`` as of the last day.
    thresholds_ : dict[str, float]
        The lowest score of each tier.
    warnings_ : list[str]
        What to be careful of: the outcome's rate moving between windows, adjacent
        tiers the backtest did not tell apart, ties leaving a tier far from its share.

    Examples
    --------
    >>> import segwise as sw
    >>> orders = sw.datasets.load_sample_retail().transactions  # doctest: +SKIP
    >>> seg = PropensitySegmenter("churn", 90).fit(orders)  # doctest: +SKIP
    >>> seg.backtest_.auc > seg.backtest_.baseline_auc  # doctest: +SKIP
    True
    """

    def __init__(
        self,
        outcome: str = "churn",
        horizon_days: int = 90,
        *,
        cutoffs: int = 8,
        step_days: int = 45,
        features: Sequence[str] | None = None,
        estimator: Any = None,
        calibration: str = "isotonic",
        tiers: Sequence[float] = (0.2, 0.5),
        random_state: int = 0,
    ) -> None:
        self.outcome = outcome
        self.horizon_days = horizon_days
        self.cutoffs = cutoffs
        self.step_days = step_days
        self.features = features
        self.estimator = estimator
        self.calibration = calibration
        self.tiers = tiers
        self.random_state = random_state

    # -- fitting ---------------------------------------------------------------------------
    def fit(
        self,
        transactions: Any,
        y: Any = None,
        *,
        customers: Any = None,
        events: Any = None,
        as_of: str | date | None = None,
    ) -> PropensitySegmenter:
        """Backtest the procedure on the last complete window, then score as of the last day.

        Parameters
        ----------
        transactions, customers, events
            As :func:`segwise.customer_features` takes them, on any engine.
        y
            Ignored (the labels come from the data after each cut-off).
        as_of
            The last day (default: the latest transaction).
        """
        self._check_settings()
        outcome = Outcome.of(self.outcome, self.horizon_days)
        transactions = read_once(transactions, "transactions")
        events = None if events is None else read_once(events, "events")
        last = as_day(as_of) or latest_day(transactions)
        h = timedelta(days=self.horizon_days)
        test, today = last - h, last
        stages = {
            "test": [test],
            "calibrate": [test - h],
            "train": self._train_cutoffs(test - 2 * h),
            "today": [today],
            "today_calibrate": [today - h],
            "today_train": self._train_cutoffs(today - 2 * h),
        }
        sources = {"customers": customers, "events": events}
        # The stages share cut-offs (today's calibration one is the test one, and so on):
        # each cut-off's labelled rows are built once.
        built: dict[date, pl.DataFrame] = {}

        def at(cutoff: date) -> pl.DataFrame:
            if cutoff not in built:
                built[cutoff] = training_rows(
                    transactions, cutoff=cutoff, outcome=outcome, **sources
                )
            return built[cutoff]

        def rows(stage: str) -> pl.DataFrame:
            found = pl.concat([at(c) for c in stages[stage]], how="diagonal_relaxed")
            if found.height == 0 or found[LABEL].n_unique() < 2:
                raise DataError(
                    f"no mix of outcomes to learn from at the {stage} cut-off(s) "
                    f"{', '.join(str(c) for c in stages[stage])} ({found.height} customers)",
                    hint="use a shorter horizon or fewer cut-offs, or more history",
                )
            return found

        train, calibrate, held_out = rows("train"), rows("calibrate"), rows("test")
        self.outcome_ = outcome
        self.cutoffs_ = stages
        self.feature_names_ = self._feature_names(train)
        self._coder = FeatureMatrix.learn(train, self.feature_names_)
        self._check_leaks(train)
        model, mapping = self._fit_stage(train, calibrate)
        probabilities = self._score(model, mapping, held_out)
        self.backtest_ = backtest(
            held_out[LABEL].to_numpy(),
            probabilities,
            held_out["recency_days"].to_numpy(),
            baseline_name="recency_days",
        )
        palive = palive_auc(transactions, test, held_out)
        tiers = tier_rates(
            held_out[LABEL].to_numpy(), probabilities, self.tiers, self._tier_names()
        )
        self.backtest_ = replace(self.backtest_, palive_auc=palive, tiers=tiers)
        self.importances_ = self._importances(model, mapping, held_out)
        self.warnings_ = self._drift_notes(calibrate, held_out)
        self.warnings_ += baseline_note(self.backtest_) + unseparated_tiers(tiers, outcome.name)
        # Today: the same procedure one horizon later, scoring everyone as of the last day.
        today_train = rows("today_train")
        held = {cutoff: found.height for cutoff, found in built.items()}
        self.warnings_ += unfilled_cutoffs(stages, held)
        model, mapping = self._fit_stage(today_train, rows("today_calibrate"))
        current = training_rows(transactions, cutoff=today, outcome=None, **sources)
        self.model_, self._mapping, self._current = model, mapping, current
        self._typical = typical_values(self._matrix(today_train), self._coder.categorical_mask())
        self.scores_ = self._tiered(current, self._score(model, mapping, current))
        return self

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        # It learns from a transaction log (customer, timestamp, amount), not a feature matrix:
        # scikit-learn's matrix checks cannot feed it (tests/test_common.py runs the others).
        tags.input_tags.two_d_array = False
        tags.requires_fit = True
        return tags

    def _drift_notes(self, calibrate: pl.DataFrame, held_out: pl.DataFrame) -> list[str]:
        """Say when the outcome's rate moved between the calibration and the test window.

        Calibration learns the rate of its own window; when the next window's
        rate differs (a season, a trend), every probability is off by about
        as much, and the user should know before acting on the numbers.
        """
        was = float(calibrate[LABEL].to_numpy().mean())
        now = float(held_out[LABEL].to_numpy().mean())
        notes = []
        if abs(was - now) >= DRIFT and self.backtest_.ece >= CALIBRATED:
            notes.append(
                f"the share of customers with the outcome moved from {was:.0%} (window after "
                f"{self.cutoffs_['calibrate'][0]}) to {now:.0%} (window after "
                f"{self.cutoffs_['test'][0]}): a season or a trend the model did not learn; "
                f"its probabilities were off by {self.backtest_.ece:.2f} on average (ECE), so "
                "trust the ranking (AUC) more than the percentages (the training cut-offs span "
                "a year when the history allows: with more history the season is learnt)"
            )
        return notes

    def _check_settings(self) -> None:
        if self.calibration not in {"isotonic", "sigmoid"}:
            raise ConfigError(f"calibration must be isotonic or sigmoid, not {self.calibration!r}")
        if self.cutoffs < 1 or self.step_days < 1:
            raise ConfigError("cutoffs and step_days must be at least 1")
        shares = list(self.tiers)
        if not shares or any(not 0 < s < 1 for s in shares) or shares != sorted(set(shares)):
            raise ConfigError(
                f"tiers must be increasing shares between 0 and 1, not {shares}",
                hint="for example (0.2, 0.5): the top 20% High, the next 30% Medium",
            )

    def _train_cutoffs(self, latest: date) -> list[date]:
        step = timedelta(days=self.step_days)
        return [latest - step * k for k in reversed(range(self.cutoffs))]

    def _feature_names(self, train: pl.DataFrame) -> list[str]:
        available = [c for c in train.columns if c not in {"customer_id", CUTOFF, LABEL}]
        if self.features is None:
            return available
        missing = [c for c in self.features if c not in available]
        if missing:
            raise ConfigError(
                f"no feature '{missing[0]}' in the customer features",
                hint=hint_for(missing[0], available),
            )
        return list(self.features)

    def _check_leaks(self, train: pl.DataFrame) -> None:
        """Refuse a feature that alone predicts the outcome almost perfectly: it saw the future."""
        y = train[LABEL].to_numpy()
        matrix = self._matrix(train)
        for k, name in enumerate(self.feature_names_):
            column = matrix[:, k]
            known = ~np.isnan(column)
            if known.sum() < 2 or len(np.unique(y[known])) < 2 or len(np.unique(column[known])) < 2:
                continue
            auc = roc_auc_score(y[known], column[known])
            if max(auc, 1 - auc) >= LEAK_AUC and known.mean() > 0.5:
                raise DataError(
                    f"feature '{name}' alone predicts '{self.outcome_.name}' almost perfectly "
                    f"(AUC {max(auc, 1 - auc):.3f}): it most likely holds information from after "
                    "the cut-off (an attribute written later, a total over all time)",
                    hint="drop it (features=[...]) or take it from a source dated before the "
                    "cut-off",
                    column=name,
                )

    def _fit_stage(self, train: pl.DataFrame, calibrate: pl.DataFrame) -> tuple[Any, Any]:
        model = (
            clone(self.estimator)
            if self.estimator is not None
            else gradient_boosting(self._coder.categorical_mask(), train.height, self.random_state)
        )
        model.fit(self._matrix(train), train[LABEL].to_numpy())
        raw = model.predict_proba(self._matrix(calibrate))[:, 1]
        observed = calibrate[LABEL].to_numpy().astype(float)
        if self.calibration == "isotonic":
            mapping: Any = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
            mapping.fit(raw, observed)
        else:
            mapping = LogisticRegression().fit(raw.reshape(-1, 1), observed)
        return model, mapping

    def _score(self, model: Any, mapping: Any, rows: pl.DataFrame) -> np.ndarray:
        raw = model.predict_proba(self._matrix(rows))[:, 1]
        if isinstance(mapping, IsotonicRegression):
            return np.asarray(mapping.predict(raw), dtype=float)
        return np.asarray(mapping.predict_proba(raw.reshape(-1, 1))[:, 1], dtype=float)

    def _importances(self, model: Any, mapping: Any, rows: pl.DataFrame) -> dict[str, float]:
        """Drop in test AUC when each feature is shuffled (three shuffles, a fixed seed)."""
        rows = _balanced_sample(rows, IMPORTANCE_ROWS, self.random_state)
        y = rows[LABEL].to_numpy()
        matrix = self._matrix(rows)
        base = float(rank_auc(y, model.predict_proba(matrix)[:, 1])[0])
        rng = np.random.default_rng(self.random_state)
        found = {}
        for k, name in enumerate(self.feature_names_):
            # The three shuffles in one call: the model's per-call cost was a third of the loop.
            shuffled = np.tile(matrix, (3, 1))
            for copy in range(3):
                shuffled[copy * len(y) : (copy + 1) * len(y), k] = rng.permutation(matrix[:, k])
            scores = model.predict_proba(shuffled)[:, 1].reshape(3, len(y))
            found[name] = float(np.mean(base - rank_auc(y, scores)))
        return dict(sorted(found.items(), key=lambda item: -item[1]))

    def _matrix(self, rows: pl.DataFrame) -> np.ndarray:
        return self._coder.encode(rows)

    # -- segments --------------------------------------------------------------------------
    def _tier_names(self) -> list[str]:
        words = _TIER_WORDS.get(self.outcome_.name, f"propensity ({self.outcome_.name})")
        levels = ["High", "Medium", "Low"] if len(self.tiers) == 2 else None
        names = levels or [f"Tier {k + 1}" for k in range(len(self.tiers) + 1)]
        return [f"{name} {words}" for name in names]

    def _tiered(self, rows: pl.DataFrame, scores: np.ndarray) -> pl.DataFrame:
        names = self._tier_names()
        tier = tier_index(scores, self.tiers)
        segments = [names[t] for t in tier]
        self.warnings_ += off_share_tiers(scores, tier, names, self.tiers)
        self.thresholds_ = {
            names[k]: float(scores[tier == k].min()) for k in range(len(names)) if (tier == k).any()
        }
        return pl.DataFrame(
            {
                "customer_id": rows["customer_id"],
                "propensity": scores,
                "segment": segments,
            }
        )

    def reasons(self, top: int = 3) -> pl.DataFrame:
        """Per customer, the features that raise their score most, in words.

        Each feature in turn is set to its typical value (the training
        median, or the most common category) and the customer scored again;
        the features whose typical value would lower the score most are the
        reasons (the model's own sensitivity: no SHAP needed).

        Returns
        -------
        polars.DataFrame
            ``customer_id, propensity, reasons`` (a list of up to ``top`` texts
            such as ``recency_days 210 (typical 45): +0.21``).
        """
        check_is_fitted(self)
        rows = self._current
        matrix = self._matrix(rows)
        base = self._score(self.model_, self._mapping, rows)
        lifts = np.zeros_like(matrix)
        for column, usual in enumerate(self._typical):
            changed = matrix.copy()
            changed[:, column] = usual
            lifts[:, column] = base - self._calibrated(self.model_.predict_proba(changed)[:, 1])
        order = np.argsort(-lifts, axis=1)[:, :top]
        names = np.array(self.feature_names_, dtype=object)
        values = np.column_stack([value_texts(rows, name) for name in self.feature_names_])
        typical = np.array([self._typical_text(k) for k in range(len(names))], dtype=object)
        every = np.arange(rows.height)
        ranked = {}
        for rank in range(order.shape[1]):
            pick = order[:, rank]
            lift = lifts[every, pick]
            text = (
                names[pick] + " " + values[every, pick] + " (typical " + typical[pick] + "): +"
                + np.char.mod("%.2f", lift).astype(object)
            )  # fmt: skip
            kept = np.where(lift > REASON_FLOOR, text, None)
            ranked[f"r{rank}"] = list(np.asarray(kept, dtype=object))
        texts = pl.DataFrame(ranked, schema=dict.fromkeys(ranked, pl.String)).select(
            pl.concat_list(pl.all()).list.drop_nulls().alias("reasons")
        )
        return pl.DataFrame({"customer_id": rows["customer_id"], "propensity": base}).with_columns(
            texts["reasons"]
        )

    def _typical_text(self, k: int) -> str:
        typical = self._typical[k]
        if np.isnan(typical):
            return "missing"
        name = self.feature_names_[k]
        if name in self._coder.categories:
            return self._coder.categories[name][int(typical)]
        return str(value_texts(pl.DataFrame({name: [typical]}), name)[0])

    def _calibrated(self, raw: np.ndarray) -> np.ndarray:
        if isinstance(self._mapping, IsotonicRegression):
            return np.asarray(self._mapping.predict(raw), dtype=float)
        return np.asarray(self._mapping.predict_proba(raw.reshape(-1, 1))[:, 1], dtype=float)

    def predict_proba(self) -> pl.DataFrame:
        """``customer_id, propensity`` as of the last day (calibrated)."""
        check_is_fitted(self)
        return self.scores_.select("customer_id", "propensity")

    def segment(self) -> pl.DataFrame:
        """``customer_id, propensity, segment`` as of the last day."""
        check_is_fitted(self)
        return self.scores_


def _balanced_sample(rows: pl.DataFrame, limit: int, seed: int | None) -> pl.DataFrame:
    """At most ``limit`` rows, half of each label where both have enough (seeded).

    AUC does not depend on the outcome's rate, and equal classes measure it most precisely
    for the rows read.

    Examples
    --------
    >>> rows = pl.DataFrame({LABEL: [True] * 10 + [False] * 90, "x": range(100)})
    >>> _balanced_sample(rows, 20, 0)[LABEL].value_counts().sort(LABEL).rows()
    [(False, 10), (True, 10)]
    """
    if rows.height <= limit:
        return rows
    positives, negatives = (rows.filter(pl.col(LABEL) == value) for value in (True, False))
    # The rarer outcome keeps up to half the rows; the other fills the rest.
    n_positive = min(positives.height, max(limit // 2, limit - negatives.height))
    n_negative = min(negatives.height, limit - n_positive)
    return pl.concat(
        [positives.sample(n=n_positive, seed=seed), negatives.sample(n=n_negative, seed=seed)]
    )
