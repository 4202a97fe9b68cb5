"""Reading transactions for the data commands: the shared options, several files as one table."""

from __future__ import annotations

import sys
from typing import Any, TypeVar

import narwhals.stable.v2 as nw

D = TypeVar("D")


def read_purchases(files: list[str], **options: Any) -> nw.LazyFrame[Any]:
    """Read the files as one transactions table and return its purchases, lazily.

    The frame has ``customer_id, timestamp, amount`` (returns left out). Each
    file's quality report is computed first, so an unusable file fails with
    the one located line ``segwise quality`` gives.
    """
    import segwise as sw

    dataset = checked(sw.read_transactions(files, **options))
    purchases = dataset.data.filter(~nw.col("is_return"))
    return purchases.select("customer_id", "timestamp", "amount")


def checked(dataset: D) -> D:
    """``dataset``, once its files are known usable, with what was left out said.

    Each file's quality report is computed (an unusable file fails with the one located
    line ``segwise quality`` gives), files that repeat each other's rows are warned of,
    and the rows quarantined are counted on stderr: never left out unsaid.
    """
    for report in dataset.reports():  # type: ignore[attr-defined]
        say_left_out(report.source, report.rows_read, report.excluded)
    warn_of_overlaps(dataset)
    return dataset


def say_left_out_of(dataset: Any, used: int | None = None) -> None:
    """Say what each file of ``dataset`` left out, for the commands that compute no report.

    ``used``: the rows the command's own pass read (``segwise rfm`` counts them beside its
    metrics). When they are every row the files hold, nothing was left out and nothing is
    scanned again; otherwise one aggregation per file counts the rows by reason.
    """
    parts = getattr(dataset, "parts", [dataset])
    if used is not None and used == sum(part.rows_read() for part in parts):
        return
    counted = dataset.part_exclusions() if len(parts) > 1 else [dataset.exclusions()]
    for part, (read, excluded) in zip(parts, counted, strict=True):
        say_left_out(part.source, read, excluded)


def say_left_out(source: str, read: int, excluded: dict[str, int]) -> None:
    """Write the ``note:`` line for rows a source left out, when it left any."""
    note = left_out_note(source, read, excluded)
    if note:
        sys.stderr.write(f"note: {note}\n")


#: Reasons named in the note; the rest are counted together.
NAMED_REASONS = 3


def left_out_note(source: str, read: int, excluded: dict[str, int]) -> str | None:
    """One line for the rows a source quarantined (None: none were).

    Examples
    --------
    >>> excluded = {"missing_customer_id": 40, "zero_quantity": 1, "after_as_of": 0}
    >>> print(left_out_note("orders.csv", 1000, excluded))  # doctest: +NORMALIZE_WHITESPACE
    orders.csv: 41 of 1,000 rows left out (no customer id: 40; quantity is zero: 1); segwise
    quality orders.csv, with the same options, writes each with its reason
    >>> many = {"missing_customer_id": 9, "zero_quantity": 5, "missing_amount": 3,
    ...         "after_as_of": 2, "duplicate": 1}
    >>> left_out_note("o.csv", 100, many).split("(")[1].split(")")[0]
    'no customer id: 9; quantity is zero: 5; no amount: 3; 2 more reasons: 3'
    """
    from segwise.io.reasons import REASONS

    left = sum(excluded.values())
    if not left:
        return None
    counted = sorted(((rows, reason) for reason, rows in excluded.items() if rows), reverse=True)
    named = [f"{REASONS.get(reason, reason)}: {rows:,}" for rows, reason in counted[:NAMED_REASONS]]
    more = counted[NAMED_REASONS:]
    if more:
        reasons = "reason" if len(more) == 1 else "reasons"
        named.append(f"{len(more)} more {reasons}: {sum(rows for rows, _ in more):,}")
    return (
        f"{source}: {left:,} of {read:,} rows left out ({'; '.join(named)}); segwise quality "
        f"{source}, with the same options, writes each with its reason"
    )


def warn_of_overlaps(dataset: Any) -> None:
    """Several files read as one: a ``warning:`` line for each that repeats another's rows.

    Monthly exports that overlap by a few days would count the overlap's orders twice;
    the rows stay (two shops' files can share a row by chance), the user is told.
    """
    from segwise.io.combined import CombinedDataset

    if isinstance(dataset, CombinedDataset):
        dataset.overlaps()
