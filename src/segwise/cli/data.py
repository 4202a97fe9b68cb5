"""Reading transactions for the data commands: the shared options, several files as one table."""

from __future__ import annotations

from typing import Any

import narwhals.stable.v2 as nw


def read_purchases(files: list[str], **options: Any) -> tuple[nw.LazyFrame[Any], list[Any]]:
    """Read every file as transactions and return their purchases as one lazy frame.

    Returns the frame (``customer_id, timestamp, amount``, returns left out)
    and each file's quality report, so commands can say what was excluded.
    """
    import segwise as sw

    frames: list[nw.LazyFrame[Any]] = []
    reports = []
    for file in files:
        dataset = sw.read_transactions(file, **options)
        reports.append(dataset.quality())
        purchases = dataset.data.filter(~nw.col("is_return"))
        frames.append(purchases.select("customer_id", "timestamp", "amount"))
    combined = frames[0] if len(frames) == 1 else nw.concat(frames, how="vertical")
    return combined, reports
