"""``RFMSegmenter``: RFM segments as a scikit-learn style estimator (DESIGN.md §4).

``fit`` reads transactions, scores each customer's recency, frequency and
monetary value, and names their segment from a score map (a preset, or the
project's own map). :func:`segwise.rfm_table` stays the frame-in, frame-out
convenience; both run the same code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.base import BaseEstimator

from segwise._validation import check_choice
from segwise.engine.frames import to_lazy
from segwise.features.rfm import RFM_PRESETS, rfm_table
from segwise.features.score_map import ScoreMap

if TYPE_CHECKING:
    from datetime import date, datetime
    from pathlib import Path

    import polars as pl


class RFMSegmenter(BaseEstimator):  # type: ignore[misc]
    """Segment customers by their RFM scores and a score map.

    Parameters
    ----------
    preset
        ``segwise`` (8 segments), ``segwise-detailed`` (11), ``r-rfm`` or
        ``pymc``: how metrics are computed and scored, and the segment names.
        See ``RFM_PRESETS``.
    segment_map
        A :class:`~segwise.ScoreMap` or the path of a YAML map, instead of the
        preset's names.
    bins, binning, thresholds, frequency
        As :func:`segwise.rfm_table`.
    as_of
        Purchases after this date are ignored; recency counts days to it.
    customer_id_col, datetime_col, monetary_value_col, order_id_col
        Column names for a plain frame (a :class:`~segwise.Dataset` knows its own).

    Attributes
    ----------
    table_ : polars.DataFrame
        One row per customer: metrics, scores, ``rfm_score`` and ``segment``.
    segment_names_ : dict[int, str]
        Label → segment name, in the score map's order (then the fallback).
    labels_ : numpy.ndarray
        Each customer's label, in ``table_``'s order (sorted by customer id).
    n_segments_ : int
        Segments in the map (fallback included).

    Examples
    --------
    >>> import polars as pl
    >>> rows = [(c, f"2024-0{n}-0{k}", 10.0 * n) for n, c in enumerate("abcde", 1)
    ...         for k in range(1, n + 1)]
    >>> tx = pl.DataFrame(rows, schema=["customer_id", "timestamp", "amount"], orient="row")
    >>> seg = RFMSegmenter(as_of="2024-06-01").fit(tx)
    >>> [seg.segment_names_[label] for label in seg.labels_]
    ['Lost', 'Lost', 'Need Attention', 'Loyal Customers', 'Champions']
    """

    def __init__(
        self,
        preset: str = "segwise",
        *,
        segment_map: ScoreMap | str | Path | None = None,
        bins: int | None = None,
        binning: str = "quantile",
        thresholds: dict[str, list[float]] | None = None,
        frequency: str = "orders",
        as_of: str | date | datetime | None = None,
        customer_id_col: str = "customer_id",
        datetime_col: str = "timestamp",
        monetary_value_col: str | None = "amount",
        order_id_col: str | None = None,
    ) -> None:
        self.preset = preset
        self.segment_map = segment_map
        self.bins = bins
        self.binning = binning
        self.thresholds = thresholds
        self.frequency = frequency
        self.as_of = as_of
        self.customer_id_col = customer_id_col
        self.datetime_col = datetime_col
        self.monetary_value_col = monetary_value_col
        self.order_id_col = order_id_col

    def _map(self) -> ScoreMap:
        if isinstance(self.segment_map, ScoreMap):
            return self.segment_map
        if self.segment_map is not None:
            return ScoreMap.from_yaml(self.segment_map)
        check_choice("preset", self.preset, list(RFM_PRESETS))
        return ScoreMap.preset(RFM_PRESETS[self.preset].map)

    def segment(self, transactions: Any) -> Any:
        """The RFM table for ``transactions``, in their engine (as :func:`segwise.rfm_table`)."""
        return rfm_table(
            transactions,
            customer_id_col=self.customer_id_col,
            datetime_col=self.datetime_col,
            monetary_value_col=self.monetary_value_col,
            order_id_col=self.order_id_col,
            as_of=self.as_of,
            bins=self.bins,
            binning=self.binning,  # type: ignore[arg-type]
            thresholds=self.thresholds,
            frequency=self.frequency,  # type: ignore[arg-type]
            preset=self.preset,
            segment_map=self._map() if self.segment_map is not None else None,
        )

    def fit(self, X: Any, y: Any = None) -> RFMSegmenter:
        """Score every customer of the transactions ``X`` and name their segment."""
        import polars as pl  # noqa: PLC0415 - the table is always collected to Polars

        score_map = self._map()
        table = pl.DataFrame(to_lazy(self.segment(X)).collect(backend="polars").to_native())
        self.table_: pl.DataFrame = table.sort("customer_id")
        names = [s.name for s in score_map.segments]
        if score_map.fallback not in names:
            names.append(score_map.fallback)
        self.segment_names_ = dict(enumerate(names))
        index = {name: label for label, name in self.segment_names_.items()}
        self.labels_ = np.asarray(
            [index[name] for name in self.table_["segment"].to_list()], dtype=np.int64
        )
        self.n_segments_ = len(names)
        return self

    def fit_predict(self, X: Any, y: Any = None) -> np.ndarray:
        """``fit(X).labels_``."""
        return self.fit(X).labels_
