"""Choosing the number of segments: bootstrap stability, then fit, then the richest stable fit.

For every candidate ``k`` in ``[k_min, k_max]`` (3–8 by default):

1. **Stability.** Fit on ``n_bootstrap`` bootstrap resamples and compare each
   with the full fit on a reference sample by the adjusted Rand index (ARI).
   Over-splitting cuts real groups at arbitrary places, which moves from one
   resample to the next, so its ARI drops; a real structure comes back every
   time. Candidates are the ``k`` whose mean ARI is at least ``min_stability``
   (0.95; if none is, those within 0.05 of the most stable).
2. **Fit.** The silhouette of each candidate on a sample (at most 3,000 rows),
   and for the Gaussian mixture its BIC, are recorded. Candidates within 10% of
   the best silhouette are equally good fits.
3. **Size.** A ``k`` whose smallest segment holds less than ``min_segment_share``
   (2%) of the sample, or fewer than ``min_segment_size`` customers (30), is dropped
   while any candidate meets it.
4. **Choice.** Among equally good, stable fits, the largest ``k`` (the smallest
   when every ``k`` fails step 3). Taking the maximum silhouette alone
   under-splits: merging two real groups often *raises* the silhouette (fewer,
   bigger, well-separated blobs), and step 1 has already removed the
   over-splits. Parsimony comes from the stability requirement and
   the 3–8 bounds marketers can act on.

Per-segment stability is the mean best Jaccard similarity of each segment
with the clusters of every bootstrap fit (Hennig, 2007); below 0.6 a segment
is flagged unstable.

References
----------
Hennig, C. (2007). Cluster-wise assessment of cluster stability.
*Computational Statistics & Data Analysis* 52, 258-271.
Rousseeuw, P. J. (1987). Silhouettes. *J. Comput. Appl. Math.* 20, 53-65.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from sklearn.metrics import adjusted_rand_score, silhouette_score

from segwise.segmenters.cluster_models import FittedClusters, fit_clusters

if TYPE_CHECKING:
    from collections.abc import Sequence

SILHOUETTE_ROWS = 3_000
REFERENCE_ROWS = 3_000
EQUAL_FIT = 0.9
UNSTABLE_SEGMENT = 0.6


@dataclass(frozen=True, slots=True)
class Candidate:
    """One candidate ``k``: its stability, silhouette and (mixtures) BIC."""

    k: int
    stability: float
    silhouette: float
    bic: float | None
    chosen: bool = False
    #: The smallest segment's share of the sample.
    smallest_share: float = 1.0


def _assign(
    clusters: FittedClusters, matrix: np.ndarray, categories: np.ndarray, numeric_count: int
) -> np.ndarray:
    """Nearest cluster in numpy (for resampling only; final labels run in the engine)."""
    centres = np.asarray(clusters.centres)
    if clusters.algorithm == "kmeans":
        return np.asarray(((matrix[:, None, :] - centres[None]) ** 2).sum(-1).argmin(1))
    if clusters.algorithm == "gmm":
        precisions = np.asarray(clusters.precisions)
        cost = 0.5 * (((matrix[:, None, :] - centres[None]) ** 2) * precisions[None]).sum(-1)
        return np.asarray((cost - np.asarray(clusters.log_terms)[None]).argmin(1))
    numeric = matrix[:, :numeric_count]
    cost = ((numeric[:, None, :] - centres[None]) ** 2).sum(-1)
    if categories.size:
        modes = np.asarray(clusters.modes, dtype=object)
        cost = cost + clusters.gamma * (categories[:, None, :] != modes[None]).sum(-1)
    return np.asarray(cost.argmin(1))


def _silhouette(matrix: np.ndarray, labels: np.ndarray, rng: np.random.Generator) -> float:
    if len(set(labels.tolist())) < 2:
        return -1.0
    rows = rng.choice(len(matrix), min(len(matrix), SILHOUETTE_ROWS), replace=False)
    if len(set(labels[rows].tolist())) < 2:
        return -1.0
    return float(silhouette_score(matrix[rows], labels[rows]))


def jaccard_per_cluster(reference: np.ndarray, other: np.ndarray, k: int) -> np.ndarray:
    """Each cluster ``0..k-1`` of ``reference``: its best Jaccard overlap with one of ``other``.

    Examples
    --------
    >>> jaccard_per_cluster(np.array([0, 0, 1, 1]), np.array([5, 5, 5, 7]), 2).tolist()
    [0.6666666666666666, 0.5]
    """
    best = np.zeros(k)
    for c in range(k):
        inside = reference == c
        if not inside.any():
            continue
        for d in set(other.tolist()):
            theirs = other == d
            union = np.logical_or(inside, theirs).sum()
            best[c] = max(best[c], np.logical_and(inside, theirs).sum() / union)
    return best


def evaluate_k(
    algorithm: str,
    k: int,
    matrix: np.ndarray,
    categories: np.ndarray,
    numeric_count: int,
    *,
    seed: int,
    n_bootstrap: int,
    n_init: int,
) -> tuple[Candidate, FittedClusters, np.ndarray, np.ndarray]:
    """Fit ``k`` clusters and measure them.

    Returns the candidate, the model, its labels and the per-segment Jaccard.
    """
    rng = np.random.default_rng(seed + 7919 * k)
    clusters, labels = fit_clusters(
        algorithm, k, matrix, categories, numeric_count, seed=seed, n_init=n_init
    )
    n = len(matrix)
    reference = rng.choice(n, min(n, REFERENCE_ROWS), replace=False)
    reference_labels = _assign(
        clusters, matrix[reference], _rows(categories, reference), numeric_count
    )
    aris, jaccards = [], []
    for b in range(n_bootstrap):
        resample = rng.choice(n, n, replace=True)
        boot, _ = fit_clusters(
            algorithm,
            k,
            matrix[resample],
            _rows(categories, resample),
            numeric_count,
            seed=seed + b + 1,
            n_init=max(1, n_init // 2),
        )
        theirs = _assign(boot, matrix[reference], _rows(categories, reference), numeric_count)
        aris.append(adjusted_rand_score(reference_labels, theirs))
        jaccards.append(jaccard_per_cluster(reference_labels, theirs, k))
    stability = float(np.mean(aris)) if aris else 1.0
    per_segment = np.mean(jaccards, axis=0) if jaccards else np.ones(k)
    bic = None
    if algorithm == "gmm":
        d = matrix.shape[1]
        log_likelihood = _gmm_log_likelihood(clusters, matrix)
        parameters = k * 2 * d + (k - 1)
        bic = float(-2 * log_likelihood + parameters * np.log(n))
    smallest = float(np.bincount(labels, minlength=k).min() / max(n, 1))
    candidate = Candidate(
        k, stability, _silhouette(matrix, labels, rng), bic, smallest_share=smallest
    )
    return candidate, clusters, labels, per_segment


def _rows(categories: np.ndarray, rows: np.ndarray) -> np.ndarray:
    return categories[rows] if categories.size else categories


def _gmm_log_likelihood(clusters: FittedClusters, matrix: np.ndarray) -> float:
    centres, precisions = np.asarray(clusters.centres), np.asarray(clusters.precisions)
    cost = 0.5 * (((matrix[:, None, :] - centres[None]) ** 2) * precisions[None]).sum(-1)
    log_joint = np.asarray(clusters.log_terms)[None] - cost
    top = log_joint.max(1, keepdims=True)
    return float((top[:, 0] + np.log(np.exp(log_joint - top).sum(1))).sum())


def choose_k(
    candidates: list[Candidate], min_stability: float, min_segment_share: float = 0.0
) -> int:
    """Apply the documented rule to measured candidates.

    A ``k`` whose smallest segment holds less than ``min_segment_share`` of the
    customers is not chosen (while any ``k`` meets it): a 0.1% segment is an
    outlier, not an audience. When every ``k`` leaves a segment that small, the
    fewest segments among the good fits are chosen, not the most: they are the
    largest to act on (152 wholesale customers: k = 4 with 13 in the smallest
    segment, where the richest fit, k = 8, had 5).

    Examples
    --------
    >>> choose_k([Candidate(3, 1.0, 0.49, None), Candidate(4, 1.0, 0.45, None),
    ...           Candidate(5, 0.88, 0.37, None)], 0.95)
    4
    >>> choose_k([Candidate(3, 1.0, 0.49, None, smallest_share=0.2),
    ...           Candidate(4, 1.0, 0.48, None, smallest_share=0.001)], 0.95, 0.02)
    3
    >>> choose_k([Candidate(3, 1.0, 0.49, None, smallest_share=0.1),
    ...           Candidate(4, 1.0, 0.48, None, smallest_share=0.05)], 0.95, 0.2)
    3
    """
    sized = [c for c in candidates if c.smallest_share >= min_segment_share]
    pick = max if sized else min
    candidates = sized or candidates
    stable = _stable(candidates, min_stability)
    best = max(c.silhouette for c in stable)
    good = [c for c in stable if c.silhouette >= (EQUAL_FIT * best if best > 0 else best)]
    return pick(c.k for c in good)


def _stable(candidates: Sequence[Candidate], min_stability: float) -> list[Candidate]:
    """The stable candidates: ARI at least ``min_stability``, else within 0.05 of the most."""
    most = max(c.stability for c in candidates)
    return [c for c in candidates if c.stability >= min_stability] or [
        c for c in candidates if c.stability >= most - 0.05
    ]


def choice_warnings(
    candidate: Candidate,
    ks: list[int],
    *,
    stability: float | None,
    smallest: tuple[float, int, int] | None,
    candidates: Sequence[Candidate] = (),
) -> list[str]:
    """What the user must know about the chosen ``candidate``: unstable, too small, or floored.

    ``stability`` is the ARI a stable ``k`` needs (None without bootstrap); ``smallest`` the
    least share a segment may hold, the size floor in customers and the customers in all
    (None when ``k`` was given, not chosen); ``candidates`` every ``k`` measured. When the
    size floor alone kept out a stable ``k`` that fits as well or better, the user is told
    which and by how much: the floor trades fit for segments large enough to act on, a
    trade the user may not want on a small table.

    Examples
    --------
    >>> chosen = Candidate(8, 0.62, 0.3, None, smallest_share=0.07)
    >>> [w[:40] for w in choice_warnings(chosen, [3, 8], stability=0.95,
    ...                                  smallest=(30 / 160, 30, 160))]
    ['no number of segments from 3 to 8 is sta', 'the smallest segment holds 7.0% of custo']
    >>> three = Candidate(3, 0.96, 0.47, None, smallest_share=0.19)
    >>> five = Candidate(5, 0.97, 0.55, None, smallest_share=0.11)
    >>> choice_warnings(three, [3, 5], stability=0.95, smallest=(0.15, 30, 200),
    ...                 candidates=[three, five])[0][:60]
    'k = 5 separates the customers better (silhouette 0.55 agains'
    """
    measured = list(candidates) or [candidate]
    out = []
    if stability is not None and len(ks) > 1 and candidate.stability < stability:
        top = max(measured, key=lambda c: (c.stability, -c.k))
        if top.stability >= stability:
            # Only the size floor kept the stable k out; the floor's own note says which.
            out.append(
                f"k = {candidate.k} is not stable (bootstrap ARI {candidate.stability:.3f} < "
                f"{stability}), and every stable k leaves a segment under the minimum size: "
                "treat the segments as a rough split"
            )
        else:
            chosen = (
                ""
                if top.k == candidate.k
                else f"; k = {candidate.k}, chosen, has {candidate.stability:.3f}"
            )
            out.append(
                f"no number of segments from {ks[0]} to {ks[-1]} is stable (the most stable, "
                f"k = {top.k}, has bootstrap ARI {top.stability:.3f} < {stability}{chosen}): "
                "these customers do not fall into clear groups on these features; treat the "
                "segments as a rough split, or choose other features"
            )
    if smallest is None:
        return out
    floor, size, rows = smallest
    by_size = abs(floor - size / max(rows, 1)) < 1e-12
    minimum = f"{size} customers" if by_size else f"{floor:.0%} of customers"
    if candidate.smallest_share < floor:
        out.append(
            f"the smallest segment holds {candidate.smallest_share:.1%} of customers (about "
            f"{round(candidate.smallest_share * rows):,}), below the minimum of {minimum}: "
            "no k gave segments all large enough to act on"
        )
    elif len(measured) > 1:
        floored = _floored_out(candidate, measured, stability, floor)
        if floored is not None:
            steadier = (
                ""
                if stability is None
                else f", bootstrap ARI {floored.stability:.3f} against {candidate.stability:.3f}"
            )
            fits = (
                "separates the customers better"
                if floored.silhouette > candidate.silhouette
                else "fits as well"
            )
            out.append(
                f"k = {floored.k} {fits} (silhouette "
                f"{floored.silhouette:.2f} against {candidate.silhouette:.2f}{steadier}), but "
                f"its smallest segment holds about {round(floored.smallest_share * rows):,} "
                f"customers ({floored.smallest_share:.1%}), below the minimum of {minimum}: "
                f"k = {candidate.k} keeps every segment large enough to act on; ask for "
                f"k = {floored.k} for the finer split, or lower the minimum segment size"
            )
    return out


def _floored_out(
    candidate: Candidate, measured: list[Candidate], stability: float | None, floor: float
) -> Candidate | None:
    """The best-separated stable, good ``k`` the size floor alone kept out, if any."""
    stable = _stable(measured, 0.0 if stability is None else stability)
    best = max(c.silhouette for c in stable)
    good = [c for c in stable if c.silhouette >= (EQUAL_FIT * best if best > 0 else best)]
    kept_out = [c for c in good if c.smallest_share < floor and c.k != candidate.k]
    return max(kept_out, key=lambda c: (c.silhouette, -c.k)) if kept_out else None
