"""A clustering people can read: fit, profile every segment and name it from its traits.

``segwise cluster`` and a project's ``method: cluster`` both do this, so it is
written once here: fit the segmenter (unless a frozen model is reused),
profile the segments it found on the features it used, and give each segment
the profile's plain-words name. Assigning every customer stays with the
caller, who knows which engine and table to assign on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from segwise.exceptions import ConfigError
from segwise.profiling.profiles import SegmentProfiles, profile_segments
from segwise.segmenters.cluster_outliers import OUTLIER_ID

if TYPE_CHECKING:
    import numpy as np

    from segwise.segmenters import ClusterSegmenter


@dataclass(frozen=True)
class NamedClusters:
    """A fitted (or reused) clustering with its segments profiled and named.

    Attributes
    ----------
    segmenter
        The :class:`~segwise.segmenters.ClusterSegmenter`, renamed with the profiles' names.
    profiles
        Size, share, value and traits of each segment (outliers included, as ``-1``).
    labels
        Each customer's segment id, in the order of the table profiled.
    fitted
        Whether the segmenter was fitted here (False: a frozen model was reused).
    """

    segmenter: ClusterSegmenter
    profiles: SegmentProfiles
    labels: np.ndarray
    fitted: bool

    def to_dict(self) -> dict[str, Any]:
        """The choice of k, its quality and each segment's card, as JSON-ready data."""
        segmenter, profiles = self.segmenter, self.profiles
        return {
            "k": segmenter.n_segments_,
            "algorithm": segmenter.algorithm,
            "silhouette": segmenter.silhouette_,
            "stability": segmenter.stability_,
            "customers": profiles.total,
            "features": segmenter.transform_.input_names,
            "candidates": [
                {
                    "k": c.k,
                    "stability": c.stability,
                    "silhouette": c.silhouette,
                    "bic": c.bic,
                    "chosen": c.chosen,
                    "smallest_share": c.smallest_share,
                }
                for c in segmenter.candidates_
            ],
            "warnings": list(segmenter.warnings_),
            "transforms": {f.name: f.reason for f in segmenter.transform_.numeric},
            "segments": [
                {
                    "segment_id": p.label,
                    "name": p.name,
                    "size": p.size,
                    "share": p.share,
                    "revenue_share": p.revenue_share,
                    "traits": p.traits,
                    "rule": p.rule,
                    "rule_precision": p.rule_precision,
                    "rule_recall": p.rule_recall,
                    "stability": segmenter.segment_stability_.get(p.label),
                }
                for p in profiles.segments
            ],
        }


def name_clusters(
    segmenter: ClusterSegmenter,
    data: Any,
    *,
    fit: bool = True,
    currency: str | None = None,
    where: str = "",
    value: str | None = None,
) -> NamedClusters:
    """Fit ``segmenter`` on ``data`` (unless ``fit=False``), profile its segments and name them.

    Parameters
    ----------
    segmenter
        A :class:`~segwise.segmenters.ClusterSegmenter`; already fitted when ``fit=False``.
    data
        The customer table (any frame), one row per customer.
    fit
        False reuses a fitted (frozen) model: its segments keep their ids and
        names, and only the profiles follow the data.
    currency
        Money is written with it in the traits (e.g. ``"£"``).
    where
        Prefix of the error line when the data cannot be clustered (e.g. the segmentation).
    value
        The column a segment's value is read from (default: the first of
        ``monetary, net_revenue, revenue, clv, monetary_value, spend`` there).

    Returns
    -------
    NamedClusters

    Examples
    --------
    >>> import segwise as sw
    >>> from segwise.datasets.planted import planted_segments
    >>> data, _ = planted_segments(600, 3, seed=0)
    >>> named = name_clusters(sw.ClusterSegmenter(3, id_col="customer_id", n_bootstrap=3), data)
    >>> named.segmenter.segment_names_[0] == named.profiles.names[0]
    True
    >>> named.profiles.names[-1]  # the few customers far from every segment
    'Outliers'
    """
    if fit:
        try:
            segmenter.fit(data)
        except ValueError as exc:
            raise ConfigError(f"{where}{str(exc).splitlines()[0]}") from None
    labels = segmenter.labels_ if fit else segmenter.predict(data)
    profiles = profile_segments(
        data,
        labels,
        features=segmenter.transform_.input_names,
        exclude=[segmenter.id_col] if segmenter.id_col else (),
        random_state=segmenter.random_state or 0,
        currency=currency,
        value_col=value or "auto",
    )
    if fit:
        # Outliers keep their fixed name; a reused model keeps the names it was saved with.
        segmenter.rename({k: v for k, v in profiles.names.items() if k != OUTLIER_ID})
    return NamedClusters(segmenter, profiles, labels, fitted=fit)
