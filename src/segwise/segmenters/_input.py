"""What every segwise estimator accepts: any supported frame, a Dataset, or a plain 2-D array."""

from __future__ import annotations

from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import polars as pl
from sklearn.utils.validation import validate_data

from segwise.engine.frames import from_lazy, move_to, native_kind, to_lazy
from segwise.exceptions import ConfigError
from segwise.io.dataset import Dataset

_FRAME_KINDS = {"polars-lazy", "polars-eager", "pandas", "pyarrow", "duckdb", "spark"}
#: Frames that hold their rows in an order: a value per row pairs with them by position. A
#: query (a Polars LazyFrame, a DuckDB relation, a Spark DataFrame) may hand its rows back in
#: another order each time it runs (a group-by does), so it takes such values as a column.
_ORDERED_KINDS = {"polars-eager", "pandas", "pyarrow"}


def as_lazy(data: Any) -> nw.LazyFrame[Any]:
    """A Dataset's data, or any supported frame, as a lazy frame on its engine."""
    return data.data if isinstance(data, Dataset) else to_lazy(data)


def is_frame(data: Any) -> bool:
    """True for frames and Datasets; False for arrays and lists (scikit-learn's inputs)."""
    if isinstance(data, Dataset | nw.LazyFrame | nw.DataFrame):
        return True
    return native_kind(data) in _FRAME_KINDS


def like_input(frame: nw.LazyFrame[Any], data: Any) -> Any:
    """``frame`` as the kind of object ``data`` was (same library, eager or lazy).

    A table computed in Python for a DuckDB or Spark input goes back to that
    engine (its session, its connection), where it can be joined to the input.
    """
    native = data.data if isinstance(data, Dataset) else data
    kind = native_kind(native)
    if kind in {"duckdb", "spark"}:
        frame = move_to(frame, to_lazy(native))
    return from_lazy(frame, like=kind)


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


def per_row(values: Any, table: pl.DataFrame, X: Any, *, what: str) -> np.ndarray:
    """A value for each row of ``table`` (``X`` collected).

    ``values`` names a column of ``X`` (its values travel with their rows on any
    engine; read as floats), or is an array matched to the rows by position: only
    where ``X`` holds its rows in an order (an array, an eager frame). A query's
    rows may come back in another order, and the values would land on other rows.

    Examples
    --------
    >>> import polars as pl
    >>> table = pl.DataFrame({"id": ["a", "b"], "best": [True, False]})
    >>> per_row("best", table, table, what="y").tolist()
    [1.0, 0.0]
    """
    if isinstance(values, str):
        if values not in table.columns:
            raise ConfigError(
                f"{what}: X has no column '{values}'",
                hint=f"name one of X's columns: {', '.join(table.columns)}",
            )
        column = table.get_column(values).cast(pl.Float64, strict=False)
        return column.fill_null(float("nan")).to_numpy()
    kind = native_kind(X.data if isinstance(X, Dataset) else X) if is_frame(X) else "array"
    if kind not in _ORDERED_KINDS and kind != "array":
        raise ConfigError(
            f"{what} cannot be matched to X's rows by position: X is {_QUERIES.get(kind, kind)}, "
            "whose rows may come back in another order each time it runs",
            hint=f"put the values in a column of X and pass its name as {what}, or collect X",
        )
    return np.asarray(values)


def id_order(table: pl.DataFrame, id_col: str | None) -> np.ndarray:
    """The positions of ``table``'s rows in ``id_col`` order (as they are, without one).

    An estimator that draws folds or starts over rows fits in this order, so the
    same customers give the same result in whatever order a query returns them.

    Examples
    --------
    >>> import polars as pl
    >>> id_order(pl.DataFrame({"id": ["b", "c", "a"]}), "id").tolist()
    [2, 0, 1]
    """
    if id_col is None:
        return np.arange(table.height)
    if id_col not in table.columns:
        raise ConfigError(
            f"id_col: X has no column '{id_col}'",
            hint=f"name one of X's columns: {', '.join(table.columns)}",
        )
    return table.select(pl.arg_sort_by(id_col)).to_series().to_numpy()


_QUERIES = {
    "polars-lazy": "a Polars LazyFrame",
    "duckdb": "a DuckDB relation",
    "spark": "a Spark DataFrame",
}
