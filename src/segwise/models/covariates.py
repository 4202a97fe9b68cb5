"""Time-invariant covariates: the columns a model reads and how they shift its parameters.

Fader & Hardie (2007) let a customer's parameters depend on their covariates
through ``θ_i = θ₀ exp(γ'z_i)``: the population parameter is that of a customer
whose covariates are all 0, and each coefficient is the log of the factor one
unit of its covariate multiplies the parameter by.

References
----------
Fader, P. S., & Hardie, B. G. S. (2007). Incorporating time-invariant covariates
into the Pareto/NBD and BG/NBD models. http://brucehardie.com/notes/019/
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from segwise.engine.frames import to_lazy
from segwise.exceptions import DataError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence


def coefficient_names(groups: Mapping[str, Sequence[str]]) -> list[str]:
    """``group:column`` for each covariate, in the order the coefficients are fitted.

    Examples
    --------
    >>> coefficient_names({"purchase": ["web"], "dropout": ["web", "age"]})
    ['purchase:web', 'dropout:web', 'dropout:age']
    """
    return [f"{group}:{column}" for group, columns in groups.items() for column in columns]


def covariate_matrix(summary: Any, columns: Sequence[str], rows: int) -> np.ndarray:
    """The covariate columns of a summary as a ``rows × len(columns)`` float matrix.

    Covariates must be numbers without gaps: encode categories as 0/1 columns first
    (one per level but a reference level) and fill or drop missing values.

    Examples
    --------
    >>> covariate_matrix({"web": [1, 0], "age": [30, 41]}, ["web", "age"], 2).tolist()
    [[1.0, 30.0], [0.0, 41.0]]
    """
    if not columns:
        return np.empty((rows, 0))
    names = summary.keys() if isinstance(summary, dict) else to_lazy(summary).collect_schema()
    missing = [c for c in columns if c not in names]
    if missing:
        raise DataError(
            f"the summary lacks the covariate column(s) {', '.join(missing)}",
            hint="join each customer's covariates to the summary before fit or predict",
        )
    if isinstance(summary, dict):
        arrays = [np.asarray(summary[c]) for c in columns]
    else:
        frame = to_lazy(summary).select(*columns).collect(backend="polars").to_native()
        arrays = [frame[c].to_numpy() for c in columns]
    matrix = np.empty((rows, len(columns)))
    for index, (name, values) in enumerate(zip(columns, arrays, strict=True)):
        if values.dtype.kind not in "biuf":
            raise DataError(
                f"covariate {name} is not numeric ({values.dtype})",
                column=name,
                hint="encode a category as 0/1 columns, one per level but a reference level",
            )
        matrix[:, index] = values.astype(float)
        bad = ~np.isfinite(matrix[:, index])
        if bad.any():
            raise DataError(
                f"row {int(np.argmax(bad)) + 1}: covariate {name} is missing",
                column=name,
                hint="fill the gaps or leave those customers out",
            )
    return matrix


def shifted(base: Any, covariates: np.ndarray, coefficients: np.ndarray) -> Any:
    """``base · exp(covariates @ coefficients)`` per row, or ``base`` without covariates.

    Examples
    --------
    >>> shifted(2.0, np.array([[0.0], [1.0]]), np.array([np.log(3.0)])).round(6).tolist()
    [2.0, 6.0]
    """
    if coefficients.size == 0:
        return base
    return base * np.exp(covariates @ coefficients)
