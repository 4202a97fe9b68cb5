"""Rules first, then another segmenter inside each rule segment.

The estimator behind ``method: hybrid`` on a customer table: an exclusive
:class:`~segwise.segmenters.RuleSegmenter` splits the rows into parent
segments, and each parent named in ``within`` is split again by a clone of
its estimator, fitted on that parent's rows alone. A leaf is called
``parent › child``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import check_is_fitted

from segwise.engine.frames import to_lazy
from segwise.exceptions import ConfigError
from segwise.segmenters._input import collected, estimator_input, like_input
from segwise.segmenters.rules import RuleSegmenter

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from segwise.segmenters.rule_catalog import RuleCatalog

SEPARATOR = " › "


class HybridSegmenter(BaseEstimator):  # type: ignore[misc]
    """Split customers by rules, then split chosen rule segments again with another segmenter.

    Parameters
    ----------
    rules
        The parent level, as :class:`RuleSegmenter` takes it (a catalog, a
        YAML path or ``{segment name: rule}``); always exclusive.
    within
        ``{parent segment name: estimator}``: the estimator (a
        :class:`ClusterSegmenter`, a :class:`RuleSegmenter`, or any estimator
        with ``fit``, ``predict`` and ``segment_names_``) is cloned and fitted
        on that parent's rows. Parents not named stay whole.
    id_col
        The customer id column (needed by :meth:`segment`).

    Attributes
    ----------
    parent_ : RuleSegmenter
        The fitted rule level.
    children_ : dict[str, estimator]
        The fitted estimator of each split parent.
    segment_names_ : dict[int, str]
        Leaf label → leaf name (``parent › child``, or the parent's name).
    labels_ : numpy.ndarray
        Each training row's leaf label (int64), in the order the rows came: a
        query's is not fixed, so pair labels with customers through :meth:`segment`.
    n_features_in_ : int
        Number of columns seen in ``fit``.

    Examples
    --------
    >>> import polars as pl
    >>> from segwise.segmenters import RuleSegmenter
    >>> customers = pl.DataFrame(
    ...     {"id": ["a", "b", "c", "d"], "orders": [12, 15, 1, 2], "returns": [0, 3, 0, 1]}
    ... )
    >>> hybrid = HybridSegmenter(
    ...     {"Frequent": "orders >= 10"},
    ...     {"Frequent": RuleSegmenter({"Returners": "returns > 0"})},
    ...     id_col="id",
    ... ).fit(customers)
    >>> hybrid.segment(customers)["segment"].to_list()
    ['Frequent › Other', 'Frequent › Returners', 'Other', 'Other']
    """

    def __init__(
        self,
        rules: RuleCatalog | str | Path | Mapping[str, str] | None = None,
        within: Mapping[str, Any] | None = None,
        *,
        id_col: str | None = None,
    ) -> None:
        self.rules = rules
        self.within = within
        self.id_col = id_col

    def fit(self, X: Any, y: Any = None) -> HybridSegmenter:
        """Fit the rules on ``X``, then each child on its parent's rows.

        Parameters
        ----------
        X
            Customers: any supported frame, a :class:`~segwise.Dataset`, or a
            2-D array (columns ``x0 … xn``).
        y
            Ignored.
        """
        table = collected(estimator_input(self, X, reset=True))
        parent = RuleSegmenter(self.rules, exclusive=True, id_col=self.id_col).fit(table)
        names = parent.segment_names_
        within = {k: v for k, v in (self.within or {}).items() if v is not None}
        unknown = sorted(set(within) - set(names.values()))
        if unknown:
            raise ConfigError(
                f"within: '{unknown[0]}' is not one of the rule segments",
                hint=f"the segments are {', '.join(repr(n) for n in names.values())}",
            )
        children: dict[str, Any] = {}
        for label, name in names.items():
            rows = table.filter(pl.Series(parent.labels_ == label))
            if name in within and rows.height:
                children[name] = clone(within[name]).fit(rows)
        self.parent_ = parent
        self.children_ = children
        self.segment_names_ = self._leaves()
        self.labels_ = self._labels(table, parent.labels_)
        return self

    def _leaves(self) -> dict[int, str]:
        leaves: list[str] = []
        for name in self.parent_.segment_names_.values():
            child = self.children_.get(name)
            if child is None:
                leaves.append(name)
            else:
                leaves.extend(name + SEPARATOR + n for n in child.segment_names_.values())
        return dict(enumerate(leaves))

    def _labels(self, table: pl.DataFrame, parents: np.ndarray) -> np.ndarray:
        codes = {name: label for label, name in self.segment_names_.items()}
        out = np.full(table.height, -1, dtype=np.int64)
        for label, name in self.parent_.segment_names_.items():
            rows = parents == label
            child = self.children_.get(name)
            if not rows.any():
                continue
            if child is None:
                out[rows] = codes[name]
                continue
            inner = np.asarray(child.predict(table.filter(pl.Series(rows))), dtype=np.int64)
            leaf = {k: codes[name + SEPARATOR + n] for k, n in child.segment_names_.items()}
            out[rows] = [leaf[k] for k in inner]
        return out

    def predict(self, X: Any) -> np.ndarray:
        """Each row's leaf label (int64), a key of ``segment_names_``."""
        check_is_fitted(self)
        table = collected(estimator_input(self, X, reset=False))
        return self._labels(table, self.parent_.predict(table))

    def fit_predict(self, X: Any, y: Any = None) -> np.ndarray:
        """``fit(X).labels_``."""
        return self.fit(X).labels_

    def segment(self, X: Any) -> Any:
        """``<id>, segment`` (the leaf's name) for every row, as the kind of frame ``X`` is."""
        check_is_fitted(self)
        if self.id_col is None:
            raise ConfigError("segment() needs the customer id column", hint="pass id_col=...")
        table = collected(estimator_input(self, X, reset=False))
        labels = self._labels(table, self.parent_.predict(table))
        names = np.array([self.segment_names_[k] for k in labels], dtype=object)
        out = table.select(self.id_col).with_columns(pl.Series("segment", names, dtype=pl.String))
        return like_input(to_lazy(out), X)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # NaN is a missing value, as for the rules
        return tags
