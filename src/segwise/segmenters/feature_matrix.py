"""A customer table as the numeric matrix a gradient-boosted model reads, the same way each time.

Numbers stay numbers (missing values as NaN, which the model handles);
text columns become category codes learned once, on the training rows, most
frequent first, so later rows are coded alike. A value never seen in
training is NaN; a column with more than :data:`MAX_CATEGORIES` values keeps
the most frequent and codes the rest as ``(other)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from segwise._validation import hint_for
from segwise.exceptions import ColumnNotFoundError

#: Most categories a text feature keeps (the model's bins cap it).
MAX_CATEGORIES = 250
OTHER = "(other)"


@dataclass(frozen=True)
class FeatureMatrix:
    """The feature columns, in order, and each text column's categories.

    Examples
    --------
    >>> import polars as pl
    >>> train = pl.DataFrame({"orders": [1, None, 3], "city": ["York", "Leeds", "York"]})
    >>> coder = FeatureMatrix.learn(train, ["orders", "city"])
    >>> coder.categorical_mask()
    [False, True]
    >>> coder.encode(pl.DataFrame({"orders": [2], "city": ["Hull"]})).tolist()
    [[2.0, nan]]
    """

    names: list[str]
    categories: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def learn(cls, train: pl.DataFrame, names: list[str]) -> FeatureMatrix:
        """Learn the codes of the text columns among ``names`` from ``train``."""
        missing = [name for name in names if name not in train.schema]
        if missing:
            raise ColumnNotFoundError(
                f"no feature column '{missing[0]}'", hint=hint_for(missing[0], train.columns)
            )
        found = {}
        for name in names:
            if train.schema[name] not in (pl.String, pl.Categorical, pl.Boolean):
                continue
            counts = (
                train.select(pl.col(name).cast(pl.String)).drop_nulls().group_by(name).len()
                .sort(["len", name], descending=[True, False])
            )  # fmt: skip
            values = counts[name].to_list()
            if len(values) > MAX_CATEGORIES:
                values = [*values[: MAX_CATEGORIES - 1], OTHER]
            found[name] = values
        return cls(list(names), found)

    def categorical_mask(self) -> list[bool]:
        """Which columns of the matrix are category codes."""
        return [name in self.categories for name in self.names]

    def encode(self, rows: pl.DataFrame) -> np.ndarray:
        """``rows`` as a float matrix, one column per name (absent columns are all NaN)."""
        columns = []
        for name in self.names:
            if name not in rows.columns:
                columns.append(np.full(rows.height, np.nan))
            elif name in self.categories:
                codes = {value: float(k) for k, value in enumerate(self.categories[name])}
                text = rows[name].cast(pl.String)
                columns.append(
                    text.replace_strict(codes, default=codes.get(OTHER), return_dtype=pl.Float64)
                    .fill_null(np.nan)
                    .to_numpy()
                )
            else:
                columns.append(rows[name].cast(pl.Float64).fill_null(np.nan).to_numpy())
        return np.column_stack(columns) if columns else np.empty((rows.height, 0))
