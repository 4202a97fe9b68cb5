"""Multiple-comparison corrections: many segments × metrics × variants, one error budget.

Testing 5 segments, 3 metrics and 2 variants is 30 tests: at 5% each, about one
and a half "significant" results appear with no effect at all. Holm's step-down
procedure keeps the chance of any false positive at ``alpha`` (the family-wise
error rate) and is never less powerful than Bonferroni; Benjamini–Hochberg
keeps the expected share of false discoveries at ``alpha`` instead. Both give
the same adjusted p-values as ``statsmodels.stats.multitest.multipletests``
(``"holm"``, ``"fdr_bh"``).

References
----------
Holm, S. (1979). A simple sequentially rejective multiple test procedure.
*Scandinavian Journal of Statistics* 6, 65–70.
Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery rate.
*Journal of the Royal Statistical Society B* 57, 289–300.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Literal

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Sequence

#: ``holm`` (family-wise error) or ``bh`` (false discovery rate).
Correction = Literal["holm", "bh"]
CORRECTIONS: tuple[Correction, ...] = ("holm", "bh")


def adjust(p_values: Sequence[float], method: Correction = "holm") -> list[float]:
    """Adjusted p-values, in the order given; a NaN (no test) stays NaN and is not counted.

    Examples
    --------
    >>> adjust([0.01, 0.04, 0.03])
    [0.03, 0.06, 0.06]
    >>> [round(p, 3) for p in adjust([0.01, 0.04, 0.03], "bh")]
    [0.03, 0.04, 0.04]
    """
    if method not in CORRECTIONS:
        raise ValueError(f"unknown correction {method!r}: use one of {', '.join(CORRECTIONS)}")
    values = np.asarray(p_values, dtype=float)
    tested = np.flatnonzero(~np.isnan(values))
    out = np.full(values.shape, math.nan)
    m = len(tested)
    if m == 0:
        return [float(v) for v in out]
    order = tested[np.argsort(values[tested], kind="stable")]
    ranked = values[order]
    if method == "holm":
        # Step down: the i-th smallest is multiplied by (m - i), never below an earlier one.
        scaled = np.maximum.accumulate(ranked * (m - np.arange(m)))
    else:
        # Step up: the i-th smallest times m / i, never above a later one.
        scaled = np.minimum.accumulate((ranked * m / np.arange(1, m + 1))[::-1])[::-1]
    out[order] = np.minimum(scaled, 1.0)
    return [float(v) for v in out]
