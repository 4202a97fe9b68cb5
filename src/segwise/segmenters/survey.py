"""Needs-based segments from survey answers: latent class analysis, the number of classes chosen.

Each respondent answers a set of questions (Likert items, multiple choice,
ranks). Latent class analysis (Lazarsfeld & Henry 1968; Goodman 1974)
assumes a few unobserved classes of respondents, each with its own chance of
giving every answer to every question, and answers independent within a
class. It is fitted by EM (:mod:`segwise.segmenters.latent_class`, checked
against StepMix, Morin et al. 2023) for 3 to 8 classes, and the one with the
lowest BIC whose smallest class is large enough to act on is kept. Answers
are categories: a column with more than ``max_categories`` distinct numbers
is cut into that many quantile bins.

References
----------
Goodman, L. A. (1974). Exploratory latent structure analysis using both
identifiable and unidentifiable models. *Biometrika* 61(2), 215–231.
Morin, S., Legault, R., Laliberté, F., Bakk, Z., Giguère, C.-É., de la Sablonnière, R.
& Lacourse, É. (2023). StepMix: A Python package for pseudo-likelihood estimation of
generalized mixture models with external variables. *arXiv:2304.03853*.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from segwise.engine.frames import to_lazy
from segwise.exceptions import ConfigError
from segwise.segmenters._input import (
    collected,
    estimator_input,
    id_order,
    like_input,
    per_row,
)
from segwise.segmenters.latent_class import LatentClassFit, fit_latent_classes

#: A numeric answer column with more distinct values than this is cut into quantile bins.
MAX_CATEGORIES = 10


@dataclass(frozen=True)
class AnswerCoder:
    """How each answer column becomes category codes 0…K−1 (NaN for no answer).

    ``levels`` holds, per column, the sorted answers seen (category columns)
    or the inner bin edges (binned numeric columns, ``binned`` True).
    """

    columns: tuple[str, ...]
    levels: tuple[tuple[Any, ...], ...]
    binned: tuple[bool, ...]

    @classmethod
    def learn(cls, table: pl.DataFrame, columns: list[str], max_categories: int) -> AnswerCoder:
        """The categories of each column of ``table``."""
        levels: list[tuple[Any, ...]] = []
        binned: list[bool] = []
        for name in columns:
            series = _answers(table[name])
            seen = series.drop_nulls().unique().sort()
            if series.dtype.is_numeric() and seen.len() > max_categories:
                quantiles = np.linspace(0, 1, max_categories + 1)[1:-1]
                values = series.drop_nulls().to_numpy().astype(float)
                levels.append(tuple(np.unique(np.quantile(values, quantiles)).tolist()))
                binned.append(True)
            else:
                levels.append(tuple(seen.to_list()))
                binned.append(False)
        return cls(tuple(columns), tuple(levels), tuple(binned))

    def encode(self, table: pl.DataFrame) -> np.ndarray:
        """Codes per row and column: a float array, NaN for a missing or unseen answer."""
        out = np.full((table.height, len(self.columns)), np.nan)
        for j, (name, levels, binned) in enumerate(
            zip(self.columns, self.levels, self.binned, strict=True)
        ):
            series = _answers(table[name])
            present = series.is_not_null().to_numpy()
            if binned:
                values = series.fill_null(0).to_numpy().astype(float)
                out[present, j] = np.searchsorted(np.asarray(levels), values[present], side="right")
                continue
            lookup = pl.DataFrame(
                {"answer": pl.Series(levels, dtype=series.dtype), "code": range(len(levels))}
            )
            codes = series.to_frame("answer").join(lookup, on="answer", how="left")["code"]
            found = codes.is_not_null().to_numpy()
            out[found, j] = codes.drop_nulls().to_numpy()
        return out

    def categories(self) -> list[int]:
        """How many categories each column has."""
        return [
            len(levels) + 1 if binned else len(levels)
            for levels, binned in zip(self.levels, self.binned, strict=True)
        ]


def _answers(series: pl.Series) -> pl.Series:
    """An answer column with NaN read as no answer, the way the rest of segwise reads it."""
    return series.fill_nan(None) if series.dtype.is_float() else series


class SurveySegmenter(ClusterMixin, BaseEstimator):  # type: ignore[misc]
    """Needs-based segments: latent classes of survey respondents, 3–8 chosen by BIC.

    Parameters
    ----------
    n_classes
        ``"auto"`` (the default) tries ``min_classes`` to ``max_classes``
        (stopping once two counts in a row fit worse than the best so far)
        and keeps the lowest BIC among those whose smallest class holds at
        least ``min_class_share`` of the respondents; an int fits that many.
    min_classes, max_classes
        The range tried by ``"auto"``.
    min_class_share
        A class count whose smallest class is below this share is not chosen.
    features
        Answer columns (default: every column but ``id_col``).
    max_categories
        A numeric column with more distinct values is cut into this many
        quantile bins.
    n_init, max_iter
        EM restarts per class count (the best likelihood is kept) and iterations per restart.
    id_col
        The respondent id column (left out of the answers; needed by :meth:`segment`).
    random_state
        Seed of the EM starts.

    Attributes
    ----------
    n_classes_ : int
        Classes of the chosen model.
    labels_ : numpy.ndarray
        Each training row's most likely class; class 0 is the largest. In the
        order the rows came: a query's is not fixed, so pair classes with
        respondents through :meth:`segment`.
    weights_ : numpy.ndarray
        Each class's share of the respondents (the model's mixing weights).
    log_likelihood_, bic_ : float
        Of the chosen model (weighted by ``sample_weight`` when given).
    entropy_ : float
        Relative entropy of the chosen model's class probabilities: 1 when
        every respondent clearly belongs to one class, 0 when none does.
    fit_table_ : polars.DataFrame
        One row per class count tried: ``classes, log_likelihood, parameters,
        bic, entropy, smallest_share, converged, chosen``.
    coder_ : AnswerCoder
        The categories of each answer column.
    n_iter_ : int
        EM iterations of the chosen model's best start.

    Examples
    --------
    The values survey (Stouffer & Toby 1951) of Goodman (1974): 216 people,
    four yes/no answers, here as each pattern of answers and how many gave it.

    >>> import numpy as np
    >>> patterns = np.array([[int(c) for c in f"{i:04b}"] for i in range(16)])
    >>> counts = [20, 2, 9, 2, 6, 1, 4, 1, 38, 7, 24, 6, 25, 6, 23, 42]
    >>> model = SurveySegmenter(2, n_init=10, random_state=0).fit(patterns, sample_weight=counts)
    >>> round(model.log_likelihood_, 2), np.round(model.weights_, 3).tolist()
    (-504.47, [0.721, 0.279])
    """

    def __init__(
        self,
        n_classes: int | str = "auto",
        *,
        min_classes: int = 3,
        max_classes: int = 8,
        min_class_share: float = 0.02,
        features: list[str] | None = None,
        max_categories: int = MAX_CATEGORIES,
        n_init: int = 3,
        max_iter: int = 1000,
        id_col: str | None = None,
        random_state: int | None = None,
    ) -> None:
        self.n_classes = n_classes
        self.min_classes = min_classes
        self.max_classes = max_classes
        self.min_class_share = min_class_share
        self.features = features
        self.max_categories = max_categories
        self.n_init = n_init
        self.max_iter = max_iter
        self.id_col = id_col
        self.random_state = random_state

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> SurveySegmenter:
        """Fit latent class models and keep the chosen one.

        Parameters
        ----------
        X
            One row per respondent, one column per question: any supported
            frame, a :class:`~segwise.Dataset`, or a 2-D array. Answers may be
            numbers or text; missing answers (NULL, NaN) are allowed.
        y
            Ignored.
        sample_weight
            How many respondents each row stands for (a table of answer patterns):
            the name of such a column of ``X`` (left out of the questions), or an
            array in the order of ``X``'s rows (not for a query: a Polars
            LazyFrame, DuckDB or Spark may return its rows in any order).
        """
        del y
        table = collected(estimator_input(self, X, reset=True))
        given = sample_weight
        if given is not None:
            given = per_row(sample_weight, table, X, what="sample_weight")
        weights = _weights(given, table.height)
        column = sample_weight if isinstance(sample_weight, str) else None
        names = self.features or [c for c in table.columns if c not in {self.id_col, column}]
        # EM's starts are drawn over the rows: in id order, a query's rows (which come in no
        # fixed order) give the same classes each time. labels_ go back to X's order below.
        by_id = id_order(table, self.id_col)
        table, weights = table[by_id], weights[by_id]
        n_init, max_iter = self._em_settings()
        self.coder_ = AnswerCoder.learn(table, names, self._max_categories())
        codes = self.coder_.encode(table)
        if table.height < 2:
            raise ValueError(
                f"a latent class model needs at least 2 respondents; got {table.height} sample"
            )
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        tried: list[_Fitted] = []
        for k in self._class_counts(table.height):
            tried.append(self._fit_one(k, codes, weights, seed, n_init, max_iter))
            if _past_the_minimum(tried):
                break
        self.fit_table_, best = _choose(tried, self.min_class_share)
        self.model_, order = best.model, best.order
        self.n_classes_ = len(order)
        self.order_ = order
        self.log_likelihood_ = best.log_likelihood
        self.bic_ = best.bic
        self.entropy_ = best.entropy
        self.weights_ = best.shares
        self.n_iter_ = best.model.n_iter
        labels: np.ndarray = np.empty(table.height, dtype=np.int64)
        labels[by_id] = self.predict_proba_codes(codes).argmax(axis=1)
        self.labels_ = labels
        if not best.converged:
            warnings.warn(
                f"the {self.n_classes_}-class model did not converge in {self.max_iter} EM "
                "iterations; raise max_iter",
                ConvergenceWarning,
                stacklevel=2,
            )
        return self

    def _max_categories(self) -> int:
        if not isinstance(self.max_categories, int) or self.max_categories < 2:
            raise ConfigError(f"max_categories must be an integer ≥ 2, not {self.max_categories!r}")
        return self.max_categories

    def _em_settings(self) -> tuple[int, int]:
        """``n_init`` and ``max_iter``, each a whole number of at least one."""
        for name in ("n_init", "max_iter"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
                raise ConfigError(f"{name} must be a whole number ≥ 1, not {value!r}")
        return int(self.n_init), int(self.max_iter)

    def _class_counts(self, rows: int) -> list[int]:
        if self.n_classes == "auto":
            low, high = int(self.min_classes), int(self.max_classes)
            if not 1 <= low <= high:
                raise ConfigError(
                    f"min_classes ({low}) must be at least 1 and at most max_classes ({high})"
                )
            return list(range(low, min(high, rows - 1) + 1)) or [min(low, rows)]
        if isinstance(self.n_classes, int | np.integer) and not isinstance(self.n_classes, bool):
            if not 1 <= self.n_classes <= rows:
                raise ValueError(
                    f"n_classes={self.n_classes} needs between 1 and {rows} respondents' classes"
                )
            return [int(self.n_classes)]
        raise ConfigError(f"n_classes must be 'auto' or a whole number, not {self.n_classes!r}")

    def _fit_one(
        self, k: int, codes: np.ndarray, weights: np.ndarray, seed: int, n_init: int, max_iter: int
    ) -> _Fitted:
        model = fit_latent_classes(
            codes,
            self.coder_.categories(),
            k,
            weights,
            n_init=n_init,
            max_iter=max_iter,
            # Stop once an iteration improves the log-likelihood by less than 1e-10 of its size.
            # Where the likelihood is flat the shares still move at 1e-8 (Goodman's two
            # classes: 0.2796 there, 0.2793 at 1e-10, 0.2792 at the limit).
            rel_tol=1e-10,
            rng=np.random.default_rng([seed, k]),
        )
        posterior = model.posterior(codes)
        total = float(weights.sum())
        hard = np.bincount(posterior.argmax(axis=1), weights=weights, minlength=k)
        # Classes in order of size, so class 0 is the largest and labels have no gaps.
        order = np.argsort(-hard, kind="stable")
        shares = (posterior * weights[:, None]).sum(axis=0)[order] / total
        return _Fitted(
            model=model,
            order=order,
            log_likelihood=model.log_likelihood,
            parameters=float(model.n_parameters),
            bic=-2.0 * model.log_likelihood + model.n_parameters * math.log(total),
            entropy=_relative_entropy(posterior, weights),
            shares=shares,
            smallest_share=float(hard.min() / total),
            converged=model.converged,
        )

    def predict_proba_codes(self, codes: np.ndarray) -> np.ndarray:
        """Class probabilities of already coded answers (see :class:`AnswerCoder`).

        Computed from the fitted answer probabilities, so a question a row left
        unanswered (or answered with a value never seen in ``fit``) is skipped
        rather than refused.
        """
        check_is_fitted(self)
        return np.asarray(self.model_.posterior(codes)[:, self.order_])

    def predict_proba(self, X: Any) -> np.ndarray:
        """Each row's probability of belonging to each class (columns in class order)."""
        check_is_fitted(self)
        table = collected(estimator_input(self, X, reset=False))
        return self.predict_proba_codes(self.coder_.encode(table))

    def predict(self, X: Any) -> np.ndarray:
        """Each row's most likely class."""
        return np.asarray(self.predict_proba(X).argmax(axis=1), dtype=np.int64)

    def fit_predict(self, X: Any, y: Any = None, sample_weight: Any = None) -> np.ndarray:
        """Fit, then return ``labels_``."""
        return np.asarray(self.fit(X, y, sample_weight=sample_weight).labels_)

    def segment(self, X: Any) -> Any:
        """``<id>, segment, confidence``: each row's class and its probability."""
        check_is_fitted(self)
        if self.id_col is None:
            raise ConfigError("segment() needs the respondent id column", hint="pass id_col=...")
        table = collected(estimator_input(self, X, reset=False))
        proba = self.predict_proba_codes(self.coder_.encode(table))
        out = table.select(self.id_col).with_columns(
            pl.Series("segment", proba.argmax(axis=1), dtype=pl.Int64),
            pl.Series("confidence", proba.max(axis=1)),
        )
        return like_input(to_lazy(out), X)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # a question left unanswered is common in surveys
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        return tags


@dataclass(frozen=True)
class _Fitted:
    model: LatentClassFit
    order: np.ndarray
    log_likelihood: float
    parameters: float
    bic: float
    entropy: float
    shares: np.ndarray
    smallest_share: float
    converged: bool


#: ``"auto"`` stops once this many class counts in a row have a higher BIC than the best so far.
PATIENCE = 2


def _past_the_minimum(tried: list[_Fitted]) -> bool:
    """True once the last ``PATIENCE`` fits all have a higher BIC than an earlier one."""
    if len(tried) <= PATIENCE:
        return False
    best_before = min(f.bic for f in tried[:-PATIENCE])
    return all(f.bic > best_before for f in tried[-PATIENCE:])


def _choose(tried: list[_Fitted], min_share: float) -> tuple[pl.DataFrame, _Fitted]:
    """The lowest BIC among the fits whose smallest class is big enough (else the lowest BIC)."""
    sizable = [f for f in tried if f.smallest_share >= min_share] or tried
    best = min(sizable, key=lambda f: f.bic)
    table = pl.DataFrame(
        {
            "classes": [len(f.order) for f in tried],
            "log_likelihood": [f.log_likelihood for f in tried],
            "parameters": [int(f.parameters) for f in tried],
            "bic": [f.bic for f in tried],
            "entropy": [f.entropy for f in tried],
            "smallest_share": [f.smallest_share for f in tried],
            "converged": [f.converged for f in tried],
            "chosen": [f is best for f in tried],
        }
    )
    return table, best


def _relative_entropy(posterior: np.ndarray, weights: np.ndarray) -> float:
    """1 − entropy / (n log k) of the class probabilities (Ramaswamy et al. 1993)."""
    k = posterior.shape[1]
    if k < 2:
        return 1.0
    clipped = np.clip(posterior, 1e-300, 1.0)
    entropy = float(-(weights[:, None] * posterior * np.log(clipped)).sum())
    return 1.0 - entropy / (float(weights.sum()) * math.log(k))


def _weights(sample_weight: Any, rows: int) -> np.ndarray:
    if sample_weight is None:
        return np.ones(rows)
    weights = np.asarray(sample_weight, dtype=float).ravel()
    if weights.size != rows or not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise ValueError(f"sample_weight needs {rows} non-negative numbers, one per row")
    if not weights.any():
        raise ValueError("Sample weights must contain at least one non-zero number")
    return weights
