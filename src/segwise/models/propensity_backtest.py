"""How good a propensity score is on a window it never saw: ranking, calibration, lift.

AUC and PR-AUC say how well the score ranks the customers who had the
outcome above those who did not; the expected calibration error (ECE) and
the calibration curve say whether a score of 0.3 means three in ten; lift
and capture by decile say what a campaign to the top tenth gets. Each is
set against a baseline score (recency, in either direction) on the same rows.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.stats import rankdata
from sklearn.metrics import average_precision_score, roc_auc_score

from segwise.models.tiers import tier_index

if TYPE_CHECKING:
    from collections.abc import Sequence

#: Bins of the calibration curve and of the ECE.
CALIBRATION_BINS = 10


def rank_auc(y: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """ROC AUC of each row of ``scores`` against the 0/1 labels ``y`` (Mann-Whitney U).

    The same number as scikit-learn's ``roc_auc_score`` (ties count a half), without its
    input checks: a propensity fit's feature importances take ~180 AUCs of 5,000 rows,
    7.4 ms each there, 0.85 ms here. Both classes must be present.

    Examples
    --------
    >>> rank_auc(np.array([0, 0, 1, 1]), np.array([[0.1, 0.4, 0.35, 0.8]])).tolist()
    [0.75]
    """
    positive = np.asarray(y) == 1
    n_positive = int(positive.sum())
    n_negative = positive.size - n_positive
    ranks = rankdata(np.atleast_2d(scores), axis=1)  # ties get their average rank
    won = ranks[:, positive].sum(axis=1) - n_positive * (n_positive + 1) / 2
    return np.asarray(won / (n_positive * n_negative), dtype=float)


@dataclass(frozen=True)
class PropensityBacktest:
    """A score's quality on held-out rows (and a baseline's on the same rows).

    ``calibration`` has one row per non-empty bin: ``predicted`` (mean
    score), ``observed`` (share with the outcome), ``customers``; ``deciles``
    one row per tenth, best scores first: ``customers``, ``rate``, ``lift``,
    ``capture`` (cumulative share of all outcomes); ``tiers`` one row per tier, cut at
    the tiers' shares of the held-out rows as today's tiers are: ``segment``,
    ``customers``, ``rate``, ``lift`` (what a tier did in the backtest).
    """

    rows: int
    positives: int
    auc: float
    pr_auc: float
    ece: float
    baseline_auc: float
    baseline: str
    calibration: list[dict[str, float]]
    deciles: list[dict[str, float]]
    #: The BG/NBD P(alive) as a second baseline, where a BTYD model could be fitted (AUC in
    #: its better direction); None where it could not.
    palive_auc: float | None = None
    tiers: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return asdict(self)


def backtest(
    observed: np.ndarray, scores: np.ndarray, baseline: np.ndarray, *, baseline_name: str
) -> PropensityBacktest:
    """Score ``scores`` (probabilities) against ``observed`` (0/1), with a baseline score.

    The baseline may rank either way (recency is high for churners, low for
    buyers): its AUC is taken in the better direction, so it is not beaten
    by a sign.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([0, 0, 1, 1]); p = np.array([0.1, 0.2, 0.7, 0.9])
    >>> found = backtest(y, p, -p, baseline_name="recency")
    >>> found.auc, found.baseline_auc
    (1.0, 1.0)
    """
    y = np.asarray(observed, dtype=float)
    p = np.asarray(scores, dtype=float)
    both = len(np.unique(y)) == 2
    return PropensityBacktest(
        rows=len(y),
        positives=int(y.sum()),
        auc=float(roc_auc_score(y, p)) if both else float("nan"),
        pr_auc=float(average_precision_score(y, p)) if both else float("nan"),
        ece=expected_calibration_error(y, p),
        baseline_auc=better_direction_auc(y, baseline),
        baseline=baseline_name,
        calibration=calibration_curve(y, p),
        deciles=deciles(y, p),
    )


def baseline_note(found: PropensityBacktest) -> list[str]:
    """A note when the score ranks no better than its baseline (recency) on the same rows.

    Examples
    --------
    >>> found = backtest(np.array([0, 1, 0, 1]), np.array([0.2, 0.1, 0.3, 0.9]),
    ...                  np.array([4.0, 1.0, 5.0, 0.0]), baseline_name="recency_days")
    >>> baseline_note(found)[0][:48]
    'the model ranks no better than recency_days alon'
    """
    if found.auc > found.baseline_auc:
        return []
    return [
        f"the model ranks no better than {found.baseline} alone on the latest complete window "
        f"(AUC {found.auc:.3f} against {found.baseline_auc:.3f}): segment by it instead, or "
        "give the model more history or other features"
    ]


def better_direction_auc(observed: np.ndarray, score: np.ndarray) -> float:
    """The AUC of a score that may rank either way, taken in its better direction."""
    y = np.asarray(observed, dtype=float)
    if len(np.unique(y)) < 2:
        return float("nan")
    filled = np.nan_to_num(np.asarray(score, dtype=float), nan=float(np.nanmedian(score)))
    auc = float(roc_auc_score(y, filled))
    return max(auc, 1 - auc)


def expected_calibration_error(observed: np.ndarray, scores: np.ndarray) -> float:
    """Mean |share observed − mean score| over equal-width score bins, weighted by size.

    Examples
    --------
    >>> import numpy as np
    >>> expected_calibration_error(np.array([0, 1, 0, 1]), np.array([0.5, 0.5, 0.5, 0.5]))
    0.0
    """
    return float(
        sum(row["customers"] * abs(row["observed"] - row["predicted"])
            for row in calibration_curve(observed, scores)) / max(len(scores), 1)
    )  # fmt: skip


def calibration_curve(observed: np.ndarray, scores: np.ndarray) -> list[dict[str, float]]:
    """Per equal-width score bin: mean score, share observed, customers (empty bins left out)."""
    y, p = np.asarray(observed, dtype=float), np.asarray(scores, dtype=float)
    bins = np.minimum((p * CALIBRATION_BINS).astype(int), CALIBRATION_BINS - 1)
    return [
        {
            "predicted": float(p[bins == b].mean()),
            "observed": float(y[bins == b].mean()),
            "customers": float((bins == b).sum()),
        }
        for b in range(CALIBRATION_BINS)
        if (bins == b).any()
    ]


def deciles(observed: np.ndarray, scores: np.ndarray) -> list[dict[str, float]]:
    """Customers by score in ten equal groups, best first: rate, lift and cumulative capture."""
    y = np.asarray(observed, dtype=float)
    order = np.argsort(-np.asarray(scores, dtype=float), kind="stable")
    groups = np.array_split(y[order], 10)
    overall = y.mean() if len(y) else 0.0
    total = y.sum()
    out, captured = [], 0.0
    for group in groups:
        if not len(group):
            continue
        captured += group.sum()
        rate = float(group.mean())
        out.append(
            {
                "customers": float(len(group)),
                "rate": rate,
                "lift": rate / overall if overall else float("nan"),
                "capture": captured / total if total else float("nan"),
            }
        )
    return out


def tier_rates(
    observed: np.ndarray, scores: np.ndarray, shares: Sequence[float], names: Sequence[str]
) -> list[dict[str, Any]]:
    """The outcome's rate in each tier, the tiers cut at cumulative ``shares`` of the best scores.

    Equal scores share a tier (:func:`segwise.models.tiers.tier_index`), as in the segments.

    ``names`` has one more entry than ``shares`` (the rest). Lift is the rate against
    everyone's.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([1, 1, 0, 1, 0, 0, 0, 0, 0, 0]); p = np.linspace(1, 0, 10)
    >>> [(t["segment"], round(t["rate"], 2), round(t["lift"], 2))
    ...  for t in tier_rates(y, p, [0.2, 0.5], "HML")]
    [('H', 1.0, 3.33), ('M', 0.33, 1.11), ('L', 0.0, 0.0)]
    """
    y = np.asarray(observed, dtype=float)
    tier = tier_index(np.asarray(scores, dtype=float), shares)
    overall = float(y.mean()) if len(y) else 0.0
    out = []
    for k, name in enumerate(names):
        group = y[tier == k]
        if not len(group):
            continue
        rate = float(group.mean())
        out.append(
            {
                "segment": name,
                "customers": len(group),
                "rate": rate,
                "lift": rate / overall if overall else float("nan"),
            }
        )
    return out


#: The AUC a feature must cost when shuffled to be named as one the score leans on.
DRIVER_FLOOR = 0.002


def drivers_text(importances: dict[str, float], top: int = 3) -> str:
    """The features a score leans on most, in words ("" when none costs much).

    ``importances`` maps each feature to the AUC lost when it is shuffled (as
    :attr:`segwise.PropensitySegmenter.importances_`, largest first); those under
    :data:`DRIVER_FLOOR` are left out, since a score barely notices them.

    Examples
    --------
    >>> drivers_text({"recency_days": 0.21, "orders_180d": 0.0072, "age": 0.0003})
    'leans most on recency_days (AUC −0.210 when shuffled), orders_180d (−0.007)'
    >>> drivers_text({"age": 0.0003})
    ''
    """
    kept = sorted(
        ((name, lost) for name, lost in importances.items() if lost >= DRIVER_FLOOR),
        key=lambda item: -item[1],
    )[:top]
    if not kept:
        return ""
    (first, lost), *rest = kept
    listed = [f"{first} (AUC −{lost:.3f} when shuffled)"]
    return "leans most on " + ", ".join(listed + [f"{n} (−{v:.3f})" for n, v in rest])
