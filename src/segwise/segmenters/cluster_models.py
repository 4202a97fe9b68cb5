"""The three clustering algorithms, as plain arrays that also compile to engine expressions.

Each fitted model is a small set of numbers (centres, variances, modes), so
assignment can run as Narwhals expressions on any engine and equal
``predict()`` exactly: every distance is written once, in
:func:`distance_exprs`, and ``predict()`` evaluates those same expressions.

* ``kmeans``: scikit-learn's k-means (k-means++ starts); squared Euclidean distance.
* ``gmm``: a Gaussian mixture with diagonal covariances; assignment is the
  highest log posterior.
* ``kprototypes``: Huang's (1998) k-prototypes: squared Euclidean distance on
  numeric features plus ``gamma`` per mismatched category, centres are means
  and modes.

References
----------
Huang, Z. (1998). Extensions to the k-Means Algorithm for Clustering Large Data
Sets with Categorical Values. *Data Mining and Knowledge Discovery* 2, 283-304.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, cast

import narwhals.stable.v2 as nw
import numpy as np
from sklearn.cluster import KMeans
from sklearn.mixture import GaussianMixture

ALGORITHMS = ("kmeans", "gmm", "kprototypes")


@dataclass
class FittedClusters:
    """A fitted clustering: everything assignment needs, as lists of numbers."""

    algorithm: str
    centres: list[list[float]]
    #: gmm: inverse variances and log weights + normalising constants per component.
    precisions: list[list[float]] = field(default_factory=list)
    log_terms: list[float] = field(default_factory=list)
    #: kprototypes: the mode of each categorical feature per cluster, and the weight of a mismatch.
    modes: list[list[str]] = field(default_factory=list)
    gamma: float = 0.0

    @property
    def k(self) -> int:
        """Number of clusters."""
        return len(self.centres)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values."""
        return {
            "algorithm": self.algorithm,
            "centres": self.centres,
            "precisions": self.precisions,
            "log_terms": self.log_terms,
            "modes": self.modes,
            "gamma": self.gamma,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FittedClusters:
        """Rebuild from :meth:`to_dict`."""
        return cls(**data)

    def reordered(self, order: list[int]) -> FittedClusters:
        """The same clusters, numbered in ``order`` (old index at each new position)."""

        def pick(values: list[Any]) -> list[Any]:
            return [values[i] for i in order] if values else values

        return FittedClusters(
            self.algorithm,
            pick(self.centres),
            pick(self.precisions),
            pick(self.log_terms),
            pick(self.modes),
            self.gamma,
        )


def fit_clusters(
    algorithm: str,
    k: int,
    matrix: np.ndarray,
    categories: np.ndarray,
    numeric_count: int,
    *,
    seed: int,
    n_init: int,
) -> tuple[FittedClusters, np.ndarray]:
    """Fit one algorithm with ``k`` clusters; return the model and the training labels."""
    if algorithm == "kmeans":
        model = KMeans(k, n_init=n_init, random_state=seed).fit(matrix)
        return FittedClusters("kmeans", model.cluster_centers_.tolist()), model.labels_
    if algorithm == "gmm":
        mixture = GaussianMixture(
            k,
            covariance_type="diag",
            n_init=max(1, n_init // 2),
            random_state=seed,
            # One-hot columns are nearly constant inside a segment; a variance floor keeps
            # components from collapsing onto them.
            reg_covar=0.05,
        ).fit(matrix)
        variances = mixture.covariances_
        precisions = 1.0 / variances
        # log w_k - 0.5 * sum(log(2 pi var_kj)): the part of the log density that is not x.
        log_terms = np.log(mixture.weights_) - 0.5 * np.sum(np.log(2 * math.pi * variances), 1)
        fitted = FittedClusters(
            "gmm", mixture.means_.tolist(), precisions.tolist(), log_terms.tolist()
        )
        return fitted, mixture.predict(matrix)
    return _kprototypes(k, matrix[:, :numeric_count], categories, seed=seed, n_init=n_init)


def _kprototypes(
    k: int,
    numeric: np.ndarray,
    categories: np.ndarray,
    *,
    seed: int,
    n_init: int,
    max_iter: int = 100,
) -> tuple[FittedClusters, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = numeric.shape[0]
    spread = numeric.std(axis=0).mean() if numeric.size else 1.0
    gamma = 0.5 * float(spread) if numeric.size else 1.0  # Huang's suggestion: ~half the mean std
    # Integer codes per categorical column: comparisons and modes become array operations.
    columns = categories.shape[1] if categories.size else 0
    levels, codes = [], np.zeros((n, columns), dtype=np.int64)
    for j in range(columns):
        values, inverse = np.unique(categories[:, j].astype(str), return_inverse=True)
        levels.append(values)
        codes[:, j] = inverse
    best: tuple[float, FittedClusters, np.ndarray] | None = None
    for _ in range(max(1, n_init)):
        start = rng.choice(n, size=k, replace=False)
        centres, modes = numeric[start].copy(), codes[start].copy()
        labels = np.full(n, -1)
        for _ in range(max_iter):
            cost = _kproto_costs(numeric, codes, centres, modes, gamma)
            new = cost.argmin(axis=1)
            if np.array_equal(new, labels):
                break
            labels = new
            counts = np.bincount(labels, minlength=k)
            for c in np.flatnonzero(counts == 0):  # an empty cluster restarts on the worst row
                worst = int(cost.min(axis=1).argmax())
                labels[worst] = c
                counts = np.bincount(labels, minlength=k)
            if numeric.size:
                sums = np.zeros((k, numeric.shape[1]))
                np.add.at(sums, labels, numeric)
                centres = sums / counts[:, None]
            for j in range(columns):
                tally = np.zeros((k, len(levels[j])), dtype=np.int64)
                np.add.at(tally, (labels, codes[:, j]), 1)
                modes[:, j] = tally.argmax(axis=1)
        total = float(_kproto_costs(numeric, codes, centres, modes, gamma).min(1).sum())
        if best is None or total < best[0]:
            named = [[str(levels[j][modes[c, j]]) for j in range(columns)] for c in range(k)]
            fitted = FittedClusters("kprototypes", centres.tolist(), modes=named, gamma=gamma)
            best = (total, fitted, labels.copy())
    assert best is not None
    return best[1], best[2]


def _kproto_costs(
    numeric: np.ndarray,
    codes: np.ndarray,
    centres: np.ndarray,
    modes: np.ndarray,
    gamma: float,
) -> np.ndarray:
    squared = ((numeric[:, None, :] - centres[None, :, :]) ** 2).sum(-1)
    if codes.size:
        squared = squared + gamma * (codes[:, None, :] != modes[None, :, :]).sum(-1)
    return np.asarray(squared, dtype=float)


def distance_exprs(
    clusters: FittedClusters, numeric: list[str], one_hot: list[str], categorical: list[str]
) -> list[nw.Expr]:
    """One cost per cluster (lower is closer), over transformed columns.

    Sums run left to right in a fixed order and use only ``-``, ``*`` and
    ``+``, so every engine computes the same bits.
    """
    exprs = []
    if clusters.algorithm == "kmeans":
        columns = numeric + one_hot
        for centre in clusters.centres:
            terms = [
                (nw.col(c) - v) * (nw.col(c) - v) for c, v in zip(columns, centre, strict=True)
            ]
            exprs.append(_sum(terms))
    elif clusters.algorithm == "gmm":
        columns = numeric + one_hot
        for centre, precision, log_term in zip(
            clusters.centres, clusters.precisions, clusters.log_terms, strict=True
        ):
            terms = [
                (nw.col(c) - m) * (nw.col(c) - m) * (0.5 * p)
                for c, m, p in zip(columns, centre, precision, strict=True)
            ]
            # cost = -log posterior (up to a constant): 0.5 * sum(p * d^2) - log_term
            exprs.append(_sum(terms) - log_term)
    else:
        for centre, modes in zip(clusters.centres, clusters.modes, strict=True):
            terms = [
                (nw.col(c) - v) * (nw.col(c) - v) for c, v in zip(numeric, centre, strict=True)
            ]
            terms += [
                nw.when(nw.col(c) == mode).then(nw.lit(0.0)).otherwise(nw.lit(clusters.gamma))
                for c, mode in zip(categorical, modes, strict=True)
            ]
            exprs.append(_sum(terms))
    return exprs


def _sum(terms: list[nw.Expr]) -> nw.Expr:
    total: nw.Expr = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def nearest_expr(costs: list[str]) -> nw.Expr:
    """The index of the smallest cost column (the first one on ties), as Int64."""
    smallest = nw.min_horizontal(*(nw.col(c) for c in costs))
    label: Any = nw.lit(len(costs) - 1, dtype=nw.Int64())
    for index in reversed(range(len(costs) - 1)):
        label = (
            nw.when(nw.col(costs[index]) == smallest)
            .then(nw.lit(index, dtype=nw.Int64()))
            .otherwise(label)
        )
    return cast("nw.Expr", label)
