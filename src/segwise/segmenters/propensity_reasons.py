"""How a propensity reason reads a customer's values: each feature's typical value, as text.

A reason says "recency_days 210 (typical 45): +0.21": the customer's value, the typical
customer's (the median, or the most common category) and what the difference adds to
the score (:meth:`segwise.segmenters.PropensitySegmenter.reasons`).
"""

from __future__ import annotations

import numpy as np
import polars as pl


def typical_values(matrix: np.ndarray, categorical: list[bool]) -> list[float]:
    """Each column's typical value: the median, or the most common code of a category."""
    out = []
    for k, is_category in enumerate(categorical):
        column = matrix[:, k]
        known = column[~np.isnan(column)]
        if not known.size:
            out.append(float("nan"))
        elif is_category:
            values, counts = np.unique(known, return_counts=True)
            out.append(float(values[np.argmax(counts)]))
        else:
            out.append(float(np.median(known)))
    return out


def value_texts(rows: pl.DataFrame, name: str) -> np.ndarray:
    """A column's values as short text (whole numbers bare, others to two decimals)."""
    if name not in rows.columns:
        return np.full(rows.height, "missing", dtype=object)
    column = rows[name]
    if column.dtype.is_numeric():
        value = column.cast(pl.Float64).fill_null(np.nan).to_numpy()
        whole = np.isfinite(value) & ((value == np.round(value)) | (np.abs(value) >= 100))
        text = np.where(whole, np.char.mod("%.0f", value), np.char.mod("%.2f", value))
        return np.where(np.isnan(value), "missing", text).astype(object)
    text = column.cast(pl.String).fill_null("missing").to_numpy()
    return np.asarray(text, dtype=object)
