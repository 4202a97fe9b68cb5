"""Reading transactions for the data commands: the shared options, several files as one table."""

from __future__ import annotations

from typing import Any

import narwhals.stable.v2 as nw


def read_purchases(files: list[str], **options: Any) -> nw.LazyFrame[Any]:
    """Read the files as one transactions table and return its purchases, lazily.

    The frame has ``customer_id, timestamp, amount`` (returns left out). Each
    file's quality report is computed first, so an unusable file fails with
    the one located line ``segwise quality`` gives.
    """
    import segwise as sw

    dataset = sw.read_transactions(files, **options)
    dataset.reports()
    warn_of_overlaps(dataset)
    purchases = dataset.data.filter(~nw.col("is_return"))
    return purchases.select("customer_id", "timestamp", "amount")


def warn_of_overlaps(dataset: Any) -> None:
    """Several files read as one: a ``warning:`` line for each that repeats another's rows.

    Monthly exports that overlap by a few days would count the overlap's orders twice;
    the rows stay (two shops' files can share a row by chance), the user is told.
    """
    from segwise.io.combined import CombinedDataset

    if isinstance(dataset, CombinedDataset):
        dataset.overlaps()
