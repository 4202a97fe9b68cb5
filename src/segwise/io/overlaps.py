"""Exports read as one whose rows repeat an earlier export's: counted, said, and dropped if asked.

Monthly exports that overlap by a few days give each order of the overlap twice (and
event logs each event). A row of a later source equal to a row of an earlier one, on the
columns that make a purchase (or an event) the same, is counted in the quality report's
``repeated_from_earlier_source`` check and said in a warning. Two shops' files share such
a row only by chance, so by default the rows stay. Under ``duplicates="drop"`` (the
policy that drops a file's own exact copies) they are quarantined from the later source
with that reason, and the source's report counts them as excluded.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw
import polars as pl

from segwise.engine.frames import move_to, to_lazy
from segwise.io import validate as v

if TYPE_CHECKING:
    from collections.abc import Sequence

    from segwise.io.dataset import Dataset
    from segwise.io.quality import QualityReport

#: The quarantine reason of a row repeated from an earlier source (``duplicates="drop"``).
REPEATED = "repeated_from_earlier_source"

#: The columns two rows must agree on to be the same purchase, or the same event, read
#: twice (those every part has); the first three are in every table of the kind.
_SAME_ROW = {
    "transactions": ("customer_id", "timestamp", "amount", "order_id", "quantity", "product"),
    "events": ("customer_id", "timestamp", "event"),
}

#: One type per compared column whatever each part read (an order id as a number in one file).
_TYPED: dict[str, Any] = {"order_id": nw.String, "product": nw.String, "quantity": nw.Float64}

_PART, _FIRST = "__sw_part", "__sw_first_part"


class OverlappingSourcesWarning(UserWarning):
    """Rows of one source read as one with others repeat rows of an earlier source."""


def overlap_text(part: Dataset, earlier: str, count: int, *, dropped: bool = False) -> str:
    """The note and warning for ``count`` rows of ``part`` repeated from ``earlier``."""
    rows = "1 row equals" if count == 1 else f"{count:,} rows equal"
    done = (
        f"quarantined from it as {REPEATED} (duplicates: drop)"
        if dropped
        else "each is counted in both; take the overlap out of one of them, or set duplicates: "
        "drop on the source (--duplicates drop) to quarantine it"
    )
    return f"{part.source}: {rows} a row of {earlier} (exports that overlap in time?): {done}"


def drops_repeats(parts: Sequence[Dataset]) -> bool:
    """Whether the parts' rows repeated from an earlier part are quarantined."""
    return parts[0].kind in _SAME_ROW and parts[0].policy.duplicates == "drop"


def _compared(parts: Sequence[Dataset]) -> list[str]:
    common = set.intersection(*(set(part.data.collect_schema().names()) for part in parts))
    return [c for c in _SAME_ROW[parts[0].kind] if c in common]


def _tagged(frames: Sequence[nw.LazyFrame[Any]], key: list[str], keep: list[str]) -> Any:
    """Each part's compared rows with the part's number and, per key, its first part.

    One pass over every part (a semi-join of each part with all before it read the k-th
    part's predecessors k times); a row with a compared column blank is not compared.
    """
    columns = [nw.col(c).cast(_TYPED[c]) if c in _TYPED else nw.col(c) for c in key]
    tagged = nw.concat(
        [
            frame.select(*keep, *columns)
            .drop_nulls(subset=key)
            .with_columns(nw.lit(k).alias(_PART))
            for k, frame in enumerate(frames)
        ]
    )
    return tagged.with_columns(nw.col(_PART).min().over(*key).alias(_FIRST)).filter(
        nw.col(_PART) > nw.col(_FIRST)
    )


def repeated_from_earlier_parts(
    parts: Sequence[Dataset], rows: pl.DataFrame | None = None
) -> list[tuple[Dataset, str, int]]:
    """Each part's rows equal to a row of an earlier part: ``(part, earlier, count)``.

    Transactions are compared on the purchase columns every part has (customer,
    timestamp, amount, and the order id, quantity and product where all parts read
    them), events on customer, timestamp and event. A copy of a row within one file is
    the ``duplicates`` check's, not this. ``rows``: :func:`repeated_rows` of the parts,
    when found already (nothing is read again).

    Examples
    --------
    >>> import polars as pl, segwise as sw
    >>> january = pl.DataFrame({"customer_id": ["1", "2"], "order_id": ["A1", "A2"],
    ...                         "date": ["2024-01-05", "2024-01-31"], "amount": [10.0, 5.0]})
    >>> february = pl.DataFrame({"customer_id": ["2", "3"], "order_id": ["A2", "A3"],
    ...                          "date": ["2024-01-31", "2024-02-01"], "amount": [5.0, 4.5]})
    >>> both = sw.read_transactions([january, february])
    >>> [(part.source, earlier, count) for part, earlier, count in repeated_from_earlier_parts(
    ...     both.parts)]
    [('<polars frame>', '<polars frame>', 1)]
    """
    if parts[0].kind not in _SAME_ROW:
        return []
    if rows is None:
        counted = _tagged([part.data for part in parts], _compared(parts), []).group_by(
            _PART, _FIRST
        )
        counts = counted.agg(nw.len().alias("rows")).sort(_PART, _FIRST).collect().rows()
    else:
        counts = rows.group_by(_PART, _FIRST).len().sort(_PART, _FIRST).rows()
    found = []
    for k, part in enumerate(parts):
        seen = [(first, n) for at, first, n in counts if at == k]
        if seen:
            names = " + ".join(parts[first].source for first, _ in seen)
            found.append((part, names, int(sum(n for _, n in seen))))
    return found


def repeated_rows(parts: Sequence[Dataset]) -> pl.DataFrame:
    """Each part's rows repeated from an earlier part: its position, the earlier's, its number.

    Columns ``__sw_part, __sw_first_part, __sw_row`` (and ``is_return`` for transactions).
    Only the overlap comes back to this process: a few rows against the parts' millions.
    """
    keep = [v.ROW, "is_return"] if parts[0].kind == "transactions" else [v.ROW]
    found = _tagged([part.usable_rows() for part in parts], _compared(parts), keep)
    pairs: pl.DataFrame = found.select(_PART, _FIRST, *keep).collect(backend="polars").to_native()
    return pairs


def rows_of(pairs: pl.DataFrame) -> dict[int, pl.DataFrame]:
    """:func:`repeated_rows` per part (by position): the rows' numbers and return flags."""
    by_part = pairs.drop(_FIRST).partition_by(_PART, as_dict=True, include_key=False)
    return {int(k): rows for (k,), rows in by_part.items()}


def _rows_on(rows: pl.DataFrame, like: nw.LazyFrame[Any]) -> nw.LazyFrame[Any]:
    return move_to(to_lazy(rows.select(v.ROW).lazy()), like)


def kept(part: Dataset, rows: pl.DataFrame) -> nw.LazyFrame[Any]:
    """``part``'s :attr:`~Dataset.data` without its rows numbered in ``rows``."""
    usable = part.usable_rows()
    return usable.join(_rows_on(rows, usable), on=v.ROW, how="anti").drop(v.ROW)


def quarantined(part: Dataset, rows: pl.DataFrame) -> nw.LazyFrame[Any]:
    """``part``'s rows numbered in ``rows``, as its quarantine gives rows, with their reason."""
    return part.quarantined_as(_rows_on(rows, part.usable_rows()), REPEATED)


def report_without(part: Dataset, rows: pl.DataFrame, report: QualityReport) -> QualityReport:
    """``part``'s report with its rows in ``rows`` (:func:`rows_of`) quarantined, not used."""
    left = kept(part, rows)
    stats: dict[str, nw.Expr] = {"customers": nw.col("customer_id").n_unique()}
    if "timestamp" in left.collect_schema().names():
        stats |= {"first": nw.col("timestamp").min(), "last": nw.col("timestamp").max()}
    if part.kind == "transactions":
        stats["total"] = nw.col("amount").sum()
    after = left.select(*(e.alias(n) for n, e in stats.items())).collect().rows(named=True)[0]
    returns = int(rows["is_return"].sum()) if "is_return" in rows.columns else 0
    n, first_row = rows.height, rows.select(pl.col(v.ROW).min()).item()
    return replace(
        report,
        rows_used=report.rows_used - n,
        rows_quarantined=report.rows_quarantined + n,
        excluded={**report.excluded, REPEATED: n},
        first_excluded_row={**report.first_excluded_row, REPEATED: int(first_row)},
        customers=int(after["customers"]),
        first_timestamp=after.get("first", report.first_timestamp),
        last_timestamp=after.get("last", report.last_timestamp),
        total_amount=None if report.total_amount is None else float(after["total"] or 0.0),
        returns_kept=None if report.returns_kept is None else report.returns_kept - returns,
    )
