"""Jenks natural breaks (Fisher's exact optimal partition), vectorised with numpy.

Breaks are the class upper bounds that minimise the within-class sum of
squared deviations. Large inputs are summarised first: the exact optimum is
computed on at most ``max_values`` evenly spaced order statistics, which
keeps the O(k·n²) search to a few milliseconds.

References
----------
Fisher, W. D. (1958). On grouping for maximum homogeneity. JASA, 53(284).
Jenks, G. F. (1967). The data model concept in statistical mapping.
International Yearbook of Cartography, 7.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from segwise.exceptions import DataError

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np


def jenks_breaks(
    values: Sequence[float] | np.ndarray, classes: int, *, max_values: int = 2_000
) -> list[float]:
    """Return the ``classes - 1`` inner breaks (upper bounds of all classes but the last).

    A value ``v`` is in class ``1 + #{breaks b : v > b}``.

    Examples
    --------
    >>> jenks_breaks([1, 2, 3, 10, 11, 12, 50, 51], 3)
    [3.0, 12.0]
    """
    import numpy as np  # noqa: PLC0415 - only jenks binning needs it (60 ms of every RFM start)

    data = np.sort(np.asarray([v for v in values if v is not None], dtype=float))
    data = data[np.isfinite(data)]
    if data.size == 0:
        raise DataError("there are no values to find natural breaks in")
    if data.size > max_values:
        data = data[np.linspace(0, data.size - 1, max_values).round().astype(int)]
    n = data.size
    if classes >= n:  # every value its own class
        return [float(v) for v in data[:-1]]
    prefix = np.concatenate([[0.0], np.cumsum(data)])
    prefix_sq = np.concatenate([[0.0], np.cumsum(data * data)])

    def cost(start: np.ndarray, stop: int) -> np.ndarray:
        """Sum of squared deviations of data[start:stop] for each start."""
        count = stop - start
        total = prefix[stop] - prefix[start]
        deviations: np.ndarray = (prefix_sq[stop] - prefix_sq[start]) - total * total / count
        return deviations

    # best[k][j]: least cost of data[:j] in k classes; back[k][j]: where the last class starts.
    best = np.full((classes + 1, n + 1), np.inf)
    back = np.zeros((classes + 1, n + 1), dtype=int)
    best[0, 0] = 0.0
    for k in range(1, classes + 1):
        for j in range(k, n + 1):
            starts = np.arange(k - 1, j)
            candidates = best[k - 1, starts] + cost(starts, j)
            pick = int(np.argmin(candidates))
            best[k, j] = candidates[pick]
            back[k, j] = starts[pick]
    breaks: list[float] = []
    j = n
    for k in range(classes, 1, -1):
        start = back[k, j]
        breaks.append(float(data[start - 1]))
        j = start
    return sorted(breaks)
