"""``ClusterSegmenter``: natural segments found by clustering, assignable in any engine.

Fit on a sample (a matrix that fits in memory), assign everyone in the
engine: the fitted transform and the nearest-centre rule compile to Narwhals
expressions, so ``assign()`` on Polars, DuckDB or Spark equals ``predict()``.
"""

from __future__ import annotations

import json
import warnings
from numbers import Integral, Real
from pathlib import Path
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import polars as pl
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from segwise._validation import hint_for
from segwise._version import __version__
from segwise.exceptions import ColumnNotFoundError, ConfigError
from segwise.io.writers import write_text
from segwise.segmenters._input import as_lazy, estimator_input, like_input
from segwise.segmenters.cluster_features import FeatureTransform, split_features
from segwise.segmenters.cluster_models import (
    ALGORITHMS,
    FittedClusters,
    distance_exprs,
    nearest_expr,
)
from segwise.segmenters.cluster_selection import (
    UNSTABLE_SEGMENT,
    Candidate,
    choose_k,
    evaluate_k,
)

#: Auto-detected text columns with more distinct values than this are identifiers, not categories.
MAX_AUTO_LEVELS = 50
#: The segment id and name of customers far from every segment's centre.
OUTLIER_ID = -1
OUTLIER_NAME = "Outliers"
#: At most this share of the fitted sample is called an outlier by its distance.
MAX_OUTLIER_SHARE = 0.01
#: A value this many interquartile ranges from the median (after any log) is an outlier
#: whatever its distance: winsorising would otherwise hide an age of 999 among the 80-year-olds.
#: Per column, the limit rises to the 99.5th percentile, so one column flags at most 0.5%.
EXTREME_SPREADS = 6.0
EXTREME_SHARE = 0.005


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
    outlier_cutoff
        A customer whose distance to the nearest centre exceeds the sample's
        third quartile plus ``outlier_cutoff`` interquartile ranges (and the
        99th percentile, so at most 1% of customers) goes to segment ``-1``
        (k-means and k-prototypes; a mixture assigns everyone), and so does
        one with any value more than 6 interquartile ranges from the median
        (after the log, when the column is logged),
        "Outliers", instead of stretching a segment or forming a look-alike
        clone of one. None assigns everyone to a segment.
    id_col
        The customer id column, kept in ``assign()``'s output and never a feature.
    random_state
        Seed; results are deterministic for a seed.

    Attributes
    ----------
    n_segments_ : int
    labels_ : numpy.ndarray
        int64 labels of the rows ``fit`` saw (0 = largest segment, -1 = outlier).
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

    def _sample(self, frame: nw.LazyFrame[Any], seed: int) -> pl.DataFrame:
        collected = frame.collect(backend="polars").to_native()
        if collected.height > self.sample_size:
            collected = collected.sample(self.sample_size, seed=seed, shuffle=False)
        return pl.DataFrame(collected)

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
    def fit(self, X: Any, y: Any = None) -> ClusterSegmenter:
        """Learn the transform, choose ``k`` and fit the clusters on a sample of ``X``."""
        self._validate_params()
        if self.k_min > self.k_max:
            raise ConfigError(f"k_min ({self.k_min}) is above k_max ({self.k_max})")
        seed = self._seed()
        frame = self._frame(X, reset=True)
        sample = self._sample(frame, seed)
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
        if self.n_segments == "auto":
            ks = [k for k in range(self.k_min, self.k_max + 1) if k < n]
        else:
            ks = [int(self.n_segments)]
        if not ks or ks[0] > n:
            raise ValueError(
                f"n_samples={n} is too few for {ks[0] if ks else self.k_min} segments; "
                "pass more rows or a smaller k"
            )
        # One OpenMP thread: on small matrices scikit-learn's threaded Lloyd loop spends its
        # time synchronising (a 5,000 × 9 k-means took 5.6 s on 2 threads, 0.15 s on 1).
        with threadpool_limits(limits=1, user_api="openmp"):
            measured = []
            for k in ks:
                boots = self.n_bootstrap if len(ks) > 1 or self.n_bootstrap else 0
                measured.append(
                    evaluate_k(
                        self.algorithm,
                        k,
                        matrix,
                        categories,
                        len(numeric),
                        seed=seed,
                        n_bootstrap=boots,
                        n_init=10,
                    )
                )
        candidates = [m[0] for m in measured]
        chosen = (
            choose_k(candidates, self.min_stability, self.min_segment_share)
            if len(ks) > 1
            else ks[0]
        )
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
        self.warnings_: list[str] = []
        if self.n_bootstrap and len(ks) > 1 and candidate.stability < self.min_stability:
            self.warnings_.append(
                f"no number of segments from {ks[0]} to {ks[-1]} is stable (the best, k = "
                f"{chosen}, has bootstrap ARI {candidate.stability:.3f} < {self.min_stability}): "
                "these customers do not fall into clear groups on these features; treat the "
                "segments as a rough split, or choose other features"
            )
        if self.n_segments == "auto" and candidate.smallest_share < self.min_segment_share:
            self.warnings_.append(
                f"the smallest segment holds {candidate.smallest_share:.1%} of customers, below "
                f"the minimum of {self.min_segment_share:.0%}: no k gave segments all large "
                "enough to act on"
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
        self.outlier_limits_ = self._extreme_limits(sample)
        self.outlier_threshold_, distance = self._outlier_threshold(sample)
        if self.outlier_threshold_ is None:
            return np.zeros(rows, dtype=bool)
        return np.asarray(distance > self.outlier_threshold_)

    def _extreme_limits(self, sample: pl.DataFrame) -> list[float]:
        raw = nw.from_native(sample).select(*self.transform_.numeric_exprs(clip=False))
        limits = []
        for column in raw.to_native().iter_columns():
            values = np.abs(column.to_numpy().astype(float))
            values = values[np.isfinite(values)]
            top = float(np.quantile(values, 1 - EXTREME_SHARE)) if values.size else 0.0
            limits.append(max(EXTREME_SPREADS, top))
        return limits

    def _outlier_threshold(self, sample: pl.DataFrame) -> tuple[float | None, np.ndarray]:
        """Q3 + cutoff × IQR of the sample's distances to their nearest centre, at least its P99.

        Returns the threshold (None when nobody is beyond it) and the sample's distances.
        """
        costs = self._assignment(nw.from_native(sample).lazy(), [], cost=True)
        distance = costs.collect(backend="polars").to_native()["__distance"].to_numpy()
        finite = distance[np.isfinite(distance)]
        if self.algorithm == "gmm" or finite.size < 100:
            # A mixture's cost is a log-likelihood with no common scale; too few rows say nothing.
            return None, distance
        # Quartiles of the distance itself (not its square, whose tail is long even for
        # clean data): about 1 in 10,000 of a Gaussian cluster lies past Q3 + 3 IQR.
        root = np.sqrt(np.maximum(finite, 0.0))
        q1, q3, top = np.quantile(root, [0.25, 0.75, 1 - MAX_OUTLIER_SHARE])
        cut = max(float(q3 + float(self.outlier_cutoff or 0) * (q3 - q1)), float(top))
        return cut**2, distance

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
            far = nw.col("__distance") > threshold
            for i in range(len(raw)):
                far = far | (nw.col(f"__raw_{i}") > limits[i])
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
        payload = {
            "format": "segwise.ClusterSegmenter",
            "version": __version__,
            "params": self.get_params(),
            "n_segments": self.n_segments_,
            "segment_names": {str(k): v for k, v in self.segment_names_.items()},
            "transform": self.transform_.to_dict(),
            "clusters": self.clusters_.to_dict(),
            "stability": self.stability_,
            "silhouette": self.silhouette_,
            "segment_stability": {str(k): v for k, v in self.segment_stability_.items()},
            "candidates": [_candidate(c) for c in self.candidates_],
            "warnings": list(getattr(self, "warnings_", [])),
            "outlier_threshold": getattr(self, "outlier_threshold_", None),
            "outlier_limits": list(getattr(self, "outlier_limits_", [])),
            "metadata": dict(metadata or {}),
            "n_features_in": self.n_features_in_,
            "feature_names_in": [str(n) for n in getattr(self, "feature_names_in_", [])],
        }
        return write_text(json.dumps(payload, indent=1), path)

    @classmethod
    def load(cls, path: str | Path) -> ClusterSegmenter:
        """Read a model written by :meth:`save`."""
        target = Path(path)
        try:
            payload = json.loads(target.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{target}: cannot read the model ({exc})".splitlines()[0]) from None
        if payload.get("format") != "segwise.ClusterSegmenter":
            raise ConfigError(f"{target}: not a segwise cluster model")
        model = cls(**payload["params"])
        model.n_segments_ = int(payload["n_segments"])
        model.segment_names_ = {int(k): v for k, v in payload["segment_names"].items()}
        model.transform_ = FeatureTransform.from_dict(payload["transform"])
        model.clusters_ = FittedClusters.from_dict(payload["clusters"])
        model.stability_ = payload["stability"]
        model.silhouette_ = payload["silhouette"]
        model.segment_stability_ = {int(k): v for k, v in payload["segment_stability"].items()}
        model.candidates_ = [Candidate(**c) for c in payload["candidates"]]
        model.warnings_ = list(payload.get("warnings", []))  # models saved before 0.1 have none
        model.outlier_threshold_ = payload.get("outlier_threshold")
        model.outlier_limits_ = list(payload.get("outlier_limits", []))
        model.metadata_ = dict(payload.get("metadata") or {})
        model.n_features_in_ = payload["n_features_in"]
        if payload["feature_names_in"]:
            model.feature_names_in_ = np.asarray(payload["feature_names_in"], dtype=object)
        return model

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


def _candidate(candidate: Candidate) -> dict[str, Any]:
    return {
        "k": candidate.k,
        "stability": candidate.stability,
        "silhouette": candidate.silhouette,
        "bic": candidate.bic,
        "chosen": candidate.chosen,
        "smallest_share": candidate.smallest_share,
    }
