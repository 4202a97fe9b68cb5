"""Seeded samples of customer summaries: what the fits read when there are many customers.

A purchase model's four parameters are pinned down long before every customer of a
large base has been read: fitting on a seeded sample, then predicting for everyone,
keeps a run's fit time flat as the base grows.
"""

from __future__ import annotations

from typing import Any

import narwhals.stable.v2 as nw
import numpy as np


def seeded_sample(frame: Any, size: int, seed: int = 0) -> tuple[Any, int]:
    """``frame`` cut to ``size`` rows drawn with ``seed`` (in their order), and its row count.

    ``frame`` is a dict of columns or any eager dataframe with a ``frequency`` column;
    at or below ``size`` rows it comes back as it is.

    Examples
    --------
    >>> sample, rows = seeded_sample({"frequency": [0, 1, 2, 3]}, 2, seed=1)
    >>> len(sample["frequency"]), rows
    (2, 4)
    """
    columns = frame if isinstance(frame, dict) else nw.from_native(frame, eager_only=True)
    rows = len(columns["frequency"])
    if rows <= size:
        return frame, rows
    keep = np.sort(np.random.default_rng(seed).choice(rows, size, replace=False))
    if isinstance(frame, dict):
        return {name: np.asarray(values)[keep] for name, values in frame.items()}, rows
    return columns[keep.tolist()].to_native(), rows
