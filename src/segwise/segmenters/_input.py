"""What every segwise estimator accepts: any supported frame, a Dataset, or a plain 2-D array."""

from __future__ import annotations

from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import polars as pl
from sklearn.utils.validation import validate_data

from segwise.engine.frames import from_lazy, native_kind, to_lazy
from segwise.io.dataset import Dataset

_FRAME_KINDS = {"polars-lazy", "polars-eager", "pandas", "pyarrow", "duckdb", "spark"}


def as_lazy(data: Any) -> nw.LazyFrame[Any]:
    """A Dataset's data, or any supported frame, as a lazy frame on its engine."""
    return data.data if isinstance(data, Dataset) else to_lazy(data)


def is_frame(data: Any) -> bool:
    """True for frames and Datasets; False for arrays and lists (scikit-learn's inputs)."""
    if isinstance(data, Dataset | nw.LazyFrame | nw.DataFrame):
        return True
    return native_kind(data) in _FRAME_KINDS


def like_input(frame: nw.LazyFrame[Any], data: Any) -> Any:
    """``frame`` as the kind of object ``data`` was (same library, eager or lazy)."""
    return from_lazy(frame, like=native_kind(data.data if isinstance(data, Dataset) else data))


def estimator_input(estimator: Any, X: Any, *, reset: bool) -> nw.LazyFrame[Any]:
    """``X`` as a lazy frame, recording ``n_features_in_`` / ``feature_names_in_`` on ``reset``.

    Frames keep their columns (rules and features read them by name); arrays
    go through scikit-learn's ``validate_data`` (its errors, NaN allowed) and
    become columns ``x0 … xn`` with NaN read as NULL.
    """
    if is_frame(X):
        frame = as_lazy(X)
        if reset:
            names = frame.collect_schema().names()
            estimator.n_features_in_ = len(names)
            estimator.feature_names_in_ = np.asarray(names, dtype=object)
        return frame
    array = validate_data(estimator, X, reset=reset, ensure_all_finite="allow-nan", dtype="numeric")
    names = [f"x{i}" for i in range(array.shape[1])]
    data = pl.from_numpy(np.asarray(array, dtype=np.float64), schema=names, orient="row")
    return to_lazy(data.with_columns(pl.all().fill_nan(None)))


def collected(frame: Any) -> pl.DataFrame:
    """A lazy Narwhals frame collected into an eager Polars frame (what the models read)."""
    out = frame.collect(backend="polars").to_native()
    assert isinstance(out, pl.DataFrame)
    return out
