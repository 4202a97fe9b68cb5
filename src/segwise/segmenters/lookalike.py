"""Lookalike audiences: the customers who look most like a seed group.

A seed (the Champions, a list of best customers) is known; who else would
belong with it is not: everyone outside the seed is *unlabelled*, not a
negative. This is positive-unlabelled learning (Elkan & Noto, 2008): a
classifier learns to tell seed members from the rest on the profile
features; its score ranks the rest by resemblance. Every row is scored
by a model fitted without it (cross-fitting), so the seed members' own scores
show how a true lookalike scores. How many of them reach the audience's
threshold estimates its recall; how many outside customers score above the
seed's median estimates how many lookalikes there are (half of them should);
the two give the audience's expected precision.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import polars as pl
from sklearn.base import BaseEstimator, clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.utils.validation import check_is_fitted

from segwise.engine.frames import to_lazy
from segwise.exceptions import ConfigError, SeedError
from segwise.segmenters._input import (
    collected,
    estimator_input,
    id_order,
    like_input,
    per_row,
)
from segwise.segmenters.feature_matrix import FeatureMatrix

SEGMENTS = {0: "Others", 1: "Seed", 2: "Lookalikes"}
#: Below this estimated share of true lookalikes, the audience is mostly not alike.
WEAK_PRECISION = 0.5
#: Fewer estimated lookalikes than this share of the audience: none outside the seed at all.
NONE_ALIKE = 0.01
#: Cross-fitting folds: each row is scored by a model fitted on the other four fifths
#: (fewer folds when the seed, or the rest, has fewer than five customers).
FOLDS = 5


class LookalikeWarning(UserWarning):
    """The audience is not what a lookalike audience should be (none alike, or mostly not)."""


class LookalikeSegmenter(BaseEstimator):  # type: ignore[misc]
    """Score every customer by resemblance to a seed group; the top ones are the audience.

    Parameters
    ----------
    size
        The audience: a share of the customers outside the seed (``0.1``, the
        default) or a number of customers (``5000``).
    features
        Columns to compare on (default: every column but ``id_col``).
    estimator
        A scikit-learn classifier with ``predict_proba`` (default:
        ``HistGradientBoostingClassifier``, whose probabilities the estimates
        need unweighted); cloned.
    id_col
        The customer id column (left out of the features; needed by :meth:`segment`,
        which matches rows to the fitted ones by it).
    random_state
        Seed of the holdout draw and the default estimator.

    Attributes
    ----------
    scores_ : numpy.ndarray
        Each training row's resemblance score: the probability given by a model
        fitted without that row (five-fold cross-fitting).
    labels_ : numpy.ndarray
        0 others, 1 seed, 2 lookalike audience (see ``segment_names_``).
    ids_ : numpy.ndarray or None
        The ``id_col`` of each training row, in the order of ``scores_`` and
        ``labels_`` (None without ``id_col``).
    threshold_ : float
        The lowest score in the audience.
    recall_ : float
        Share of the seed members whose (cross-fitted) score reaches the
        threshold: the share of true lookalikes the audience should hold.
    precision_ : float
        Estimated share of true lookalikes in the audience:
        ``recall_ × lookalikes_ / audience size`` (within about 0.15 of the truth
        on planted segments, ``tests/segmenters/test_lookalike.py``).
    lookalikes_ : float
        Estimated number of true lookalikes outside the seed: twice the
        customers scoring above the seed's median score (an upper estimate
        where the seed's group and the rest overlap).
    warnings_ : list[str]
        What the estimates say is wrong with the audience: no one outside the seed
        scores like its members (the seed is defined by these features), or the
        audience is mostly not alike. Each is also issued as a
        :class:`LookalikeWarning`.

    Examples
    --------
    >>> import polars as pl
    >>> customers = pl.DataFrame(
    ...     {"id": list("abcdefghijklmno"),
    ...      "orders": [20, 22, 19, 21, 23, 18, 2, 3, 1, 2, 4, 3, 2, 1, 5]}
    ... )
    >>> seed = [1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]  # the five best customers
    >>> seg = LookalikeSegmenter(size=1, id_col="id").fit(customers, seed)
    >>> seg.segment(customers).filter(pl.col("segment") == "Lookalikes")["id"].to_list()
    ['f']
    """

    def __init__(
        self,
        size: float = 0.1,
        *,
        features: list[str] | None = None,
        estimator: Any = None,
        id_col: str | None = None,
        random_state: int = 0,
    ) -> None:
        self.size = size
        self.features = features
        self.estimator = estimator
        self.id_col = id_col
        self.random_state = random_state

    def fit(self, X: Any, y: Any) -> LookalikeSegmenter:
        """Learn the seed from the rest and pick the audience.

        Parameters
        ----------
        X
            Customers: any supported frame, a :class:`~segwise.Dataset`, or a
            2-D array.
        y
            1 (or True) for the seed's rows, 0 for everyone else: the name of
            such a column of ``X`` (left out of the features), or an array in
            the order of ``X``'s rows. A query (a Polars LazyFrame, a DuckDB
            relation, a Spark DataFrame) may return its rows in any order, so
            with one ``y`` must be a column's name.
        """
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None "
                "(1 for the seed's rows, 0 for everyone else)"
            )
        table = collected(estimator_input(self, X, reset=True))
        seed = _seed(per_row(y, table, X, what="y"), table.height)
        flag = y if isinstance(y, str) else None
        if flag is not None and self.features and flag in self.features:
            raise ConfigError(
                f"the seed column '{flag}' is among the features: it would tell the seed apart "
                "by itself, and no one outside it would look alike",
                hint=f"leave '{flag}' out of features",
            )
        names = self.features or [c for c in table.columns if c not in {self.id_col, flag}]
        # Fitted in id order, then put back in X's: the folds, the model's own holdout and
        # the audience's ties go by position, and a query's rows come in no fixed order.
        order = id_order(table, self.id_col)
        ids = None if self.id_col is None else table.get_column(self.id_col).to_numpy()
        table, seed = table[order], seed[order]
        self.coder_ = FeatureMatrix.learn(table, names)
        matrix = self.coder_.encode(table)
        target = seed.astype(int)
        smaller = int(min(target.sum(), target.size - target.sum()))
        if smaller < 2:
            raise SeedError(
                "a lookalike needs at least 2 seed members and 2 other customers to tell apart "
                f"(the seed has {int(target.sum())} of {target.size}: one class only)",
                hint="give a seed that is some, not all, of the customers",
            )
        # Every row is scored by a model that did not see it (cross-fitting): the seed's own
        # scores then say how a true lookalike scores, which the estimates below rely on.
        folds = StratifiedKFold(min(FOLDS, smaller), shuffle=True, random_state=self.random_state)
        crossed = cross_val_predict(self._model(), matrix, target, cv=folds, method="predict_proba")
        scores = np.asarray(crossed[:, 1], dtype=float)
        self.model_ = self._model().fit(matrix, target)
        labels = self._pick_audience(scores, seed)
        self.scores_ = np.empty_like(scores)
        self.scores_[order] = scores
        self.labels_ = np.empty_like(labels)
        self.labels_[order] = labels
        self.ids_ = ids
        self.segment_names_ = dict(SEGMENTS)
        self.warnings_ = self._audience_notes(int((labels == 2).sum()))
        for note in self.warnings_:
            warnings.warn(note, LookalikeWarning, stacklevel=2)
        return self

    def _audience_notes(self, audience: int) -> list[str]:
        """What the estimates say is wrong with the audience, in words (none: it looks alike)."""
        if self.lookalikes_ < NONE_ALIKE * max(audience, 1):
            # The seed's scores sit above every outside customer's: a seed drawn by rules on
            # these very features (an RFM segment) has no hidden members left to find.
            return [
                "no customer outside the seed scores like its members: the seed is defined by "
                "these features (an RFM segment by recency, orders and revenue, say), so everyone "
                "like it is in it already and the audience is only the nearest of the rest; "
                "compare on other features to find lookalikes"
            ]
        if self.precision_ < WEAK_PRECISION:
            return [
                f"about {self.precision_:.0%} of the audience is estimated to be truly like the "
                "seed: the seed does not stand out on these features; choose a smaller audience, "
                "other features, or a larger seed"
            ]
        return []

    def _pick_audience(self, scores: np.ndarray, seed: np.ndarray) -> np.ndarray:
        """The labels (audience: the best scores outside the seed) and the audience's estimates."""
        pool = ~seed
        wanted = self._audience_size(int(pool.sum()))
        order = np.argsort(-np.where(pool, scores, -np.inf), kind="stable")[:wanted]
        self.threshold_ = float(scores[order].min()) if wanted else 1.0
        self.recall_ = float((scores[seed] >= self.threshold_).mean())
        # How many true lookalikes the pool holds: above the seed's median score sit half of
        # them (the seed scores as they do), and few others where the groups are apart.
        median = float(np.median(scores[seed]))
        self.lookalikes_ = float(2 * (scores[pool] >= median).sum())
        found = self.recall_ * self.lookalikes_
        self.precision_ = float(min(found / wanted, 1.0)) if wanted else float("nan")
        labels = np.where(seed, 1, 0)
        labels[order] = 2
        return labels.astype(np.int64)

    def _model(self) -> Any:
        if self.estimator is not None:
            return clone(self.estimator)
        return HistGradientBoostingClassifier(
            categorical_features=self.coder_.categorical_mask() or None,
            random_state=self.random_state,
        )

    def _scores(self, matrix: np.ndarray) -> np.ndarray:
        return np.asarray(self.model_.predict_proba(matrix)[:, 1], dtype=float)

    def _audience_size(self, pool: int) -> int:
        if (
            isinstance(self.size, int | np.integer)
            and not isinstance(self.size, bool)
            and self.size >= 1
        ):
            return min(int(self.size), pool)
        if isinstance(self.size, float) and 0 < self.size <= 1:
            return round(self.size * pool)
        raise ConfigError(
            f"size must be a share between 0 and 1 or a number of customers, not {self.size!r}"
        )

    def score_samples(self, X: Any) -> np.ndarray:
        """Resemblance to the seed of each row (the classifier's probability)."""
        check_is_fitted(self)
        table = collected(estimator_input(self, X, reset=False))
        return self._scores(self.coder_.encode(table))

    def predict(self, X: Any) -> np.ndarray:
        """1 for new customers who would make the audience (score ≥ ``threshold_``), else 0.

        Scored by the model fitted on every row of ``fit``; for those rows use
        ``labels_`` (their cross-fitted scores): the model has seen them as
        "not in the seed" and scores them low.
        """
        return (self.score_samples(X) >= self.threshold_).astype(np.int64)

    def segment(self, X: Any) -> Any:
        """``<id>, score, segment`` of the training rows (Seed, Lookalikes, Others).

        Rows are matched to the fitted ones by ``id_col``, not by position: a
        query run again may return its rows in another order.
        """
        check_is_fitted(self)
        if self.id_col is None or self.ids_ is None:
            raise ConfigError("segment() needs the customer id column", hint="pass id_col=...")
        table = collected(estimator_input(self, X, reset=False))
        fitted = pl.DataFrame(
            {
                self.id_col: pl.Series(self.ids_, dtype=table.schema[self.id_col]),
                "score": self.scores_,
                "segment": pl.Series([self.segment_names_[k] for k in self.labels_]),
            }
        )
        repeated = fitted.filter(pl.col(self.id_col).is_duplicated())
        if repeated.height:
            raise ConfigError(
                f"segment() matches rows by {self.id_col}, and the fitted table repeats "
                f"{self.id_col} {repeated.item(0, 0)!r}",
                hint=f"give every row its own {self.id_col}, or read labels_ and scores_",
            )
        out = table.select(self.id_col).join(
            fitted, on=self.id_col, how="left", maintain_order="left"
        )
        if table.height != fitted.height or out.get_column("segment").null_count():
            raise ConfigError(
                "segment() labels the customers the segmenter was fitted on",
                hint="pass the same table as to fit(); use predict() for new customers",
            )
        return like_input(to_lazy(out), X)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # a missing value is information, as for the rules
        tags.target_tags.required = True
        return tags


def _seed(y: Any, rows: int) -> np.ndarray:
    seed = np.asarray(y).ravel()
    if seed.size != rows:
        raise ConfigError(f"y has {seed.size} values for {rows} customers: one per customer")
    return np.asarray(seed.astype(float) == 1.0, dtype=bool)
