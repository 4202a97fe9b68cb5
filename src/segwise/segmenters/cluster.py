"""``ClusterSegmenter``: natural segments found by clustering, assignable in any engine.

Fit on a sample (a matrix that fits in memory), assign everyone in the
engine: the fitted transform and the nearest-centre rule compile to Narwhals
expressions, so ``assign()`` on Polars, DuckDB or Spark equals ``predict()``.
"""

from __future__ import annotations

import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw
import numpy as np
import polars as pl
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from segwise._validation import hint_for
from segwise.exceptions import ColumnNotFoundError, ConfigError
from segwise.segmenters._input import as_lazy, estimator_input, like_input
from segwise.segmenters.cluster_features import FeatureTransform, split_features
from segwise.segmenters.cluster_models import (
    ALGORITHMS,
    distance_exprs,
    nearest_expr,
)
from segwise.segmenters.cluster_outliers import (
    OUTLIER_ID,
    OUTLIER_NAME,
    distance_threshold,
    extreme_limits,
    outlier_expr,
)
from segwise.segmenters.cluster_persistence import load_model, model_from_definition, save_model
from segwise.segmenters.cluster_selection import (
    UNSTABLE_SEGMENT,
    Candidate,
    choice_warnings,
    choose_k,
    evaluate_k,
)

if TYPE_CHECKING:
    from pathlib import Path

#: Auto-detected text columns with more distinct values than this are identifiers, not categories.
MAX_AUTO_LEVELS = 50


class UnstableSegmentWarning(UserWarning):
    """A segment does not come back when the data is resampled: treat it with care."""


class ClusterSegmenter(ClusterMixin, BaseEstimator):  # type: ignore[misc]
    """Segment customers by clustering, choosing 3–8 segments automatically.

    Parameters
    ----------
    n_segments
        ``"auto"`` (choose in ``[k_min, k_max]``, see
        :mod:`segwise.segmenters.cluster_selection`) or a number.
    k_min, k_max
        The range ``"auto"`` searches.
    algorithm
        ``"kmeans"`` (default), ``"gmm"`` (Gaussian mixture, diagonal
        covariances) or ``"kprototypes"`` (for categorical-heavy data).
    features
        Columns to cluster on; default every numeric and categorical column
        except ``id_col`` (text columns with more than 50 distinct values are
        skipped as identifiers).
    categorical
        Columns to treat as categories even if numeric.
    log_transform
        ``"auto"`` logs skewed non-negative columns (money, counts); or a list.
    sample_size
        Fit on at most this many rows (a seeded random sample); everyone is
        still assigned, in the engine.
    n_bootstrap
        Resamples per candidate ``k`` for the stability measures.
    min_stability
        Mean bootstrap ARI a ``k`` needs to be a candidate.
    min_segment_share, min_segment_size
        The smallest segment a chosen ``k`` may give, as a share of the customers and as a
        number of them (whichever is larger): ``"auto"`` passes over a ``k`` with a smaller
        one while any ``k`` meets both. Thirty customers is the least a segment's KPIs and
        experiments can measure: on a rule segment of 152 wholesale customers, ``k = 8``
        gave segments of 11 and 12.
    outlier_cutoff
        A customer whose distance to the nearest centre exceeds the sample's third quartile
        plus ``outlier_cutoff`` interquartile ranges (and the 99th percentile, so at most 1%
        of customers) goes to segment ``-1``, "Outliers" (k-means and k-prototypes; a
        mixture assigns everyone), and so does one with any value more than 6 interquartile
        ranges from the median (after the log, when the column is logged), instead of
        stretching a segment or forming a look-alike clone of one. None assigns everyone
        to a segment.
    id_col
        The customer id column, kept in ``assign()``'s output and never a feature.
    random_state
        Seed; results are deterministic for a seed.

    Attributes
    ----------
    n_segments_ : int
    labels_ : numpy.ndarray
        int64 labels of the rows ``fit`` saw, in their order (0 = largest segment,
        -1 = outlier); a query's order is not fixed: :meth:`assign` gives the ids.
    outlier_threshold_ : float or None
        The (squared) distance beyond which a customer is an outlier.
    outlier_limits_ : list[float]
        Per numeric feature, the scaled value beyond which a customer is an outlier.
    segment_names_ : dict[int, str]
        Label → name; ``"Segment 1"``… until :meth:`rename` (``sw.profile_segments``
        derives names from the traits).
    transform_ : FeatureTransform
    clusters_ : FittedClusters
    candidates_ : list[Candidate]
        Stability, silhouette and BIC per candidate ``k``.
    stability_ : float
        Mean bootstrap ARI of the chosen ``k``.
    silhouette_ : float
    segment_stability_ : dict[int, float]
        Mean best Jaccard per segment across bootstrap fits.
    n_features_in_ : int
    feature_names_in_ : numpy.ndarray (frames only)

    Examples
    --------
    >>> from segwise.datasets.planted import planted_segments
    >>> table, truth = planted_segments(600, 3, seed=1)
    >>> seg = ClusterSegmenter(id_col="customer_id", random_state=0, n_bootstrap=3).fit(table)
    >>> seg.n_segments_
    3
    >>> seg.assign(table).columns
    ['customer_id', 'segment_id', 'segment']
    """

    _parameter_constraints: dict[str, list[Any]] = {  # noqa: RUF012 - scikit-learn's convention
        "n_segments": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "k_min": [Interval(Integral, 1, None, closed="left")],
        "k_max": [Interval(Integral, 1, None, closed="left")],
        "algorithm": [StrOptions(set(ALGORITHMS))],
        "features": [list, tuple, None],
        "categorical": [list, tuple, None],
        "log_transform": [StrOptions({"auto"}), list, tuple],
        "sample_size": [Interval(Integral, 10, None, closed="left")],
        "n_bootstrap": [Interval(Integral, 0, None, closed="left")],
        "min_stability": [Interval(Real, 0, 1, closed="both")],
        "min_segment_share": [Interval(Real, 0, 0.5, closed="both")],
        "min_segment_size": [Interval(Integral, 1, None, closed="left")],
        "outlier_cutoff": [Interval(Real, 0, None, closed="left"), None],
        "id_col": [str, None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        n_segments: str | int = "auto",
        *,
        k_min: int = 3,
        k_max: int = 8,
        algorithm: str = "kmeans",
        features: list[str] | None = None,
        categorical: list[str] | None = None,
        log_transform: str | list[str] = "auto",
        sample_size: int = 20_000,
        n_bootstrap: int = 10,
        min_stability: float = 0.95,
        min_segment_share: float = 0.02,
        min_segment_size: int = 30,
        outlier_cutoff: float | None = 3.0,
        id_col: str | None = None,
        random_state: int | None = None,
    ) -> None:
        self.n_segments = n_segments
        self.k_min = k_min
        self.k_max = k_max
        self.algorithm = algorithm
        self.features = features
        self.categorical = categorical
        self.log_transform = log_transform
        self.sample_size = sample_size
        self.n_bootstrap = n_bootstrap
        self.min_stability = min_stability
        self.min_segment_share = min_segment_share
        self.min_segment_size = min_segment_size
        self.outlier_cutoff = outlier_cutoff
        self.id_col = id_col
        self.random_state = random_state

    # -- input -----------------------------------------------------------------------------
    def _frame(self, X: Any, *, reset: bool) -> nw.LazyFrame[Any]:
        return estimator_input(self, X, reset=reset)

    def _seed(self) -> int:
        if self.random_state is None:
            return int(np.random.default_rng().integers(0, 2**31 - 1))
        if isinstance(self.random_state, np.random.RandomState):
            return int(self.random_state.randint(0, 2**31 - 1))
        return int(self.random_state)

    def _sample(self, frame: nw.LazyFrame[Any], seed: int) -> tuple[pl.DataFrame, int]:
        """A seeded sample of at most ``sample_size`` rows, and how many rows there were.

        Sorted first (by ``id_col``, else every column): engines hand rows over in any order.
        """
        collected = frame.collect(backend="polars").to_native()
        keyed = self.id_col is not None and self.id_col in collected.columns
        collected = collected.sort(self.id_col if keyed else collected.columns)
        rows = collected.height
        if rows > self.sample_size:
            collected = collected.sample(self.sample_size, seed=seed, shuffle=False)
        return pl.DataFrame(collected), rows

    def _smallest_share(self, rows: int) -> float:
        """The least share a segment may hold: the share floor, or the size floor's share."""
        return max(self.min_segment_share, self.min_segment_size / max(rows, 1))

    def _features(self, sample: pl.DataFrame) -> tuple[list[str], list[str]]:
        schema = dict(nw.from_native(sample).schema)
        exclude = [self.id_col] if self.id_col else []
        numeric, text = split_features(
            schema, features=self.features, categorical=self.categorical, exclude=exclude
        )
        if self.features is None:
            kept = []
            for name in text:
                if sample[name].n_unique() <= MAX_AUTO_LEVELS:
                    kept.append(name)
                else:
                    self.skipped_features_.append(name)
            text = kept
            dates = [n for n, d in schema.items() if isinstance(d, nw.Date | nw.Datetime)]
            self.skipped_features_.extend(d for d in dates if d not in exclude)
        if not numeric and not text:
            raise ConfigError("no usable features", hint="name numeric or categorical columns")
        return numeric, text

    # -- fit -------------------------------------------------------------------------------
    def _candidate_ks(self, n: int) -> list[int]:
        if self.n_segments == "auto":
            ks = [k for k in range(self.k_min, self.k_max + 1) if k < n]
        else:
            ks = [int(self.n_segments)]
        if not ks or ks[0] > n:
            raise ValueError(
                f"n_samples={n} is too few for {ks[0] if ks else self.k_min} segments; "
                "pass more rows or a smaller k"
            )
        return ks

    def _measure(
        self, ks: list[int], matrix: np.ndarray, categories: np.ndarray, n_numeric: int, seed: int
    ) -> list[Any]:
        """Fit and measure every candidate k (stability, silhouette, BIC, smallest share)."""
        # One OpenMP thread: on small matrices scikit-learn's threaded Lloyd loop spends its
        # time synchronising (a 5,000 × 9 k-means took 5.6 s on 2 threads, 0.15 s on 1).
        boots = self.n_bootstrap if len(ks) > 1 or self.n_bootstrap else 0

        def measured(k: int) -> Any:
            return evaluate_k(
                self.algorithm,
                k,
                matrix,
                categories,
                n_numeric,
                seed=seed,
                n_bootstrap=boots,
                n_init=10,
            )

        # The same holds for BLAS, whose threads spun beside the fits (2 cores of CPU for one
        # core's progress). The candidates are independent (each k has its own seeds), so
        # they run side by side instead, one thread each: the same results, ~2x sooner.
        with threadpool_limits(limits=1), ThreadPoolExecutor(_workers(len(ks))) as pool:
            return list(pool.map(measured, ks))

    def fit(self, X: Any, y: Any = None) -> ClusterSegmenter:
        """Learn the transform, choose ``k`` and fit the clusters on a sample of ``X``."""
        self._validate_params()
        if self.k_min > self.k_max:
            raise ConfigError(f"k_min ({self.k_min}) is above k_max ({self.k_max})")
        seed = self._seed()
        frame = self._frame(X, reset=True)
        sample, rows = self._sample(frame, seed)
        floor = self._smallest_share(rows)
        self.skipped_features_: list[str] = []
        numeric, text = self._features(sample)
        transform = FeatureTransform.fit(
            sample, numeric=numeric, categorical=text, log_transform=self.log_transform
        )
        matrix = transform.matrix(sample)
        categories = (
            transform.categories(sample) if self.algorithm == "kprototypes" else np.empty((0, 0))
        )
        n = matrix.shape[0]
        ks = self._candidate_ks(n)
        measured = self._measure(ks, matrix, categories, len(numeric), seed)
        candidates = [m[0] for m in measured]
        chosen = choose_k(candidates, self.min_stability, floor) if len(ks) > 1 else ks[0]
        candidate, clusters, labels, jaccard = next(m for m in measured if m[0].k == chosen)
        self.transform_ = transform
        self.clusters_ = clusters
        outlier = self._fit_outliers(sample, len(labels))
        # Segment 0 is the largest: names and charts then read in a stable order.
        sizes = np.bincount(labels[~outlier], minlength=chosen)
        order = sorted(range(chosen), key=lambda c: (-sizes[c], c))
        self.clusters_ = clusters.reordered(order)
        self.n_segments_ = chosen
        self.candidates_ = [
            Candidate(
                m[0].k,
                m[0].stability,
                m[0].silhouette,
                m[0].bic,
                m[0].k == chosen,
                m[0].smallest_share,
            )
            for m in measured
        ]
        self.stability_ = candidate.stability
        self.silhouette_ = candidate.silhouette
        # Said once here, so the CLI, the cards and the stored run all carry the same words.
        self.warnings_: list[str] = choice_warnings(
            candidate,
            ks,
            stability=self.min_stability if self.n_bootstrap else None,
            smallest=(floor, self.min_segment_size, rows) if self.n_segments == "auto" else None,
            candidates=candidates,
        )
        for message in self.warnings_:
            warnings.warn(message, UnstableSegmentWarning, stacklevel=2)
        self.segment_stability_ = {new: float(jaccard[old]) for new, old in enumerate(order)}
        self.segment_names_ = {i: f"Segment {i + 1}" for i in range(chosen)}
        self.sample_rows_ = n
        self.labels_ = self._predict_frame(frame)
        for segment, value in self.segment_stability_.items():
            if self.n_bootstrap and value < UNSTABLE_SEGMENT:
                warnings.warn(
                    f"segment id {segment} is unstable: its mean bootstrap Jaccard is "
                    f"{value:.2f} (below {UNSTABLE_SEGMENT}); treat it with care",
                    UnstableSegmentWarning,
                    stacklevel=2,
                )
        return self

    def _fit_outliers(self, sample: pl.DataFrame, rows: int) -> np.ndarray:
        """Set the outlier limits; return which sample rows are outliers by their distance."""
        self.outlier_threshold_: float | None = None
        self.outlier_limits_: list[float] = []
        if self.outlier_cutoff is None:
            return np.zeros(rows, dtype=bool)
        self.outlier_limits_ = extreme_limits(self.transform_, sample)
        self.outlier_threshold_, distance = self._outlier_threshold(sample)
        if self.outlier_threshold_ is None:
            return np.zeros(rows, dtype=bool)
        return np.asarray(distance > self.outlier_threshold_)

    def _outlier_threshold(self, sample: pl.DataFrame) -> tuple[float | None, np.ndarray]:
        """The distance limit fitted on the sample, and the sample's distances."""
        costs = self._assignment(nw.from_native(sample).lazy(), [], cost=True)
        distance = costs.collect(backend="polars").to_native()["__distance"].to_numpy()
        cutoff = float(self.outlier_cutoff or 0)
        return distance_threshold(distance, cutoff, self.algorithm), distance

    # -- assignment ------------------------------------------------------------------------
    def _assignment(
        self, frame: nw.LazyFrame[Any], keep: list[str], *, cost: bool = False
    ) -> nw.LazyFrame[Any]:
        """``keep`` columns plus ``segment_id`` (Int64), computed in the engine of ``frame``."""
        transform, clusters = self.transform_, self.clusters_
        numeric = [f.name for f in transform.numeric]
        one_hot = [n for n in transform.output_names if n not in numeric]
        categorical = [f.name for f in transform.categorical]
        missing = [c for c in transform.input_names if c not in frame.collect_schema()]
        if missing:
            raise ColumnNotFoundError(
                f"the model needs column '{missing[0]}'",
                hint=hint_for(missing[0], frame.collect_schema().names()),
            )
        kept = [nw.col(c).alias(f"__keep_{i}") for i, c in enumerate(keep)]
        threshold = getattr(self, "outlier_threshold_", None)
        limits = getattr(self, "outlier_limits_", [])
        raw = [
            e.abs().alias(f"__raw_{i}")
            for i, e in enumerate(transform.numeric_exprs(clip=False))
            if threshold is not None and not cost and i < len(limits)
        ]
        if clusters.algorithm == "kprototypes":
            space = frame.select(
                *kept, *transform.numeric_exprs(), *transform.category_exprs(), *raw
            )
        else:
            space = frame.select(
                *kept, *transform.numeric_exprs(), *transform.one_hot_exprs(), *raw
            )
        costs = [f"__cost_{k}" for k in range(clusters.k)]
        exprs = distance_exprs(clusters, numeric, one_hot, categorical)
        # Costs first in their own columns (DESIGN.md §3.2), then the nearest one.
        space = space.with_columns(*(e.alias(c) for e, c in zip(exprs, costs, strict=True)))
        labelled = space.with_columns(
            nearest_expr(costs).alias("__nearest"),
            nw.min_horizontal(*(nw.col(c) for c in costs)).alias("__distance"),
        )
        segment = nw.col("__nearest")
        if threshold is not None and not cost:
            far = outlier_expr(threshold, limits, [f"__raw_{i}" for i in range(len(raw))])
            segment = (
                nw.when(far)
                .then(nw.lit(OUTLIER_ID, dtype=nw.Int64()))
                .otherwise(nw.col("__nearest"))
            )
        extra = ["__distance"] if cost else []
        return labelled.select(
            *(nw.col(f"__keep_{i}").alias(c) for i, c in enumerate(keep)),
            segment.alias("segment_id"),
            *extra,
        )

    def _predict_frame(self, frame: nw.LazyFrame[Any]) -> np.ndarray:
        out = self._assignment(frame, []).collect(backend="polars").to_native()
        return np.asarray(out["segment_id"].to_numpy(), dtype=np.int64)

    def predict(self, X: Any) -> np.ndarray:
        """Each row's segment (int64), by the same expressions ``assign()`` runs."""
        check_is_fitted(self)
        return self._predict_frame(self._frame(X, reset=False))

    def fit_predict(self, X: Any, y: Any = None) -> np.ndarray:
        """``fit(X).labels_``."""
        return self.fit(X).labels_

    def assign(self, X: Any) -> Any:
        """``<id>, segment_id, segment`` for every row, computed in ``X``'s engine.

        Returns the same kind of frame as ``X`` (lazy for DuckDB and Spark).
        """
        check_is_fitted(self)
        if self.id_col is None:
            raise ConfigError("assign() needs the customer id column", hint="pass id_col=...")
        frame = as_lazy(X)
        labelled = self._assignment(frame, [self.id_col])
        names: Any = nw.lit(None, dtype=nw.String())
        if getattr(self, "outlier_threshold_", None) is not None:
            names = nw.when(nw.col("segment_id") == OUTLIER_ID).then(nw.lit(OUTLIER_NAME))
            names = names.otherwise(nw.lit(None, dtype=nw.String()))
        for index in reversed(range(self.n_segments_)):
            names = (
                nw.when(nw.col("segment_id") == index)
                .then(nw.lit(self.segment_names_[index]))
                .otherwise(names)
            )
        out = labelled.with_columns(names.alias("segment"))
        return like_input(out, X)

    def rename(self, names: dict[int, str]) -> ClusterSegmenter:
        """Set segment names (e.g. ``sw.profile_segments``' auto-names); they must be unique."""
        check_is_fitted(self)
        merged = {**self.segment_names_, **{int(k): str(v) for k, v in names.items()}}
        if len(set(merged.values())) != len(merged):
            raise ConfigError("segment names must be unique", hint="give each segment its own name")
        self.segment_names_ = merged
        return self

    # -- persistence -----------------------------------------------------------------------
    def save(self, path: str | Path, *, metadata: dict[str, Any] | None = None) -> Path:
        """Write the fitted model as JSON (never a pickle): parameters, transform, clusters.

        ``metadata`` (plain values, e.g. the as-of date it was fitted on) is kept
        with it and comes back as ``metadata_`` from :meth:`load`.
        """
        check_is_fitted(self)
        return save_model(self, path, metadata)

    @classmethod
    def load(cls, path: str | Path) -> ClusterSegmenter:
        """Read a model written by :meth:`save`."""
        model: ClusterSegmenter = load_model(cls, path)
        return model

    @classmethod
    def from_definition(cls, stored: dict[str, Any]) -> ClusterSegmenter:
        """The segmenter a project run used, from that run's stored definition (assign only)."""
        model: ClusterSegmenter = model_from_definition(cls, stored)
        return model

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


def _workers(candidates: int) -> int:
    """Threads to measure ``candidates`` values of k with: one per core, at most one each."""
    return max(1, min(candidates, os.cpu_count() or 1))
