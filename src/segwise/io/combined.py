"""Several sources of one kind read as one table: monthly exports, one file per shop.

Each part is read on its own (its own roles, formats and quarantine), so a
file whose columns are named differently still lines up. The parts' clean
rows are stacked, their quarantines too (with the ``source`` of each row),
and their reports add up into one.
"""

from __future__ import annotations

import warnings
from collections import Counter
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw

from segwise.engine.frames import from_lazy
from segwise.exceptions import DataError
from segwise.io.dataset import Dataset
from segwise.io.overlaps import (
    REPEATED,
    OverlappingSourcesWarning,
    drops_repeats,
    kept,
    overlap_text,
    quarantined,
    repeated_from_earlier_parts,
    repeated_rows,
    report_without,
    rows_of,
)
from segwise.io.writers import write_table

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

    import polars as pl

    from segwise._typing import StrPath
    from segwise.io.quality import QualityReport


def _check_compatible(parts: Sequence[Dataset]) -> None:
    # Ids are text in every part (the readers make them so); the engines must agree.
    first = parts[0].data.implementation
    for part in parts[1:]:
        if part.data.implementation is not first:
            raise DataError(
                f"cannot stack a {part.data.implementation.value} source on a {first.value} one",
                hint="pass sources of one kind (files, or frames of one library)",
                source=part.source,
            )
    # Parts in two currencies would be added up as one: refused, not converted. A part's
    # currency is the ISO code its amounts' sign or its currency column names ("€" and a
    # column of "EUR" agree); a sign that names several ("$") is compared as written.
    _refuse_two([(part.currency, part) for part in parts])
    _refuse_two([(part.written_currency, part) for part in parts if part.currency is None])


def _refuse_two(currencies: list[tuple[str | None, Dataset]]) -> None:
    named = {currency: part for currency, part in currencies if currency}
    if len(named) > 1:
        (one, first_part), (other, other_part) = list(named.items())[:2]
        raise DataError(
            f"the amounts are in '{one}' in {first_part.source} and in '{other}' "
            "here: they cannot be added up",
            hint="convert the amounts to one currency first, or read the sources apart",
            source=other_part.source,
        )


class CombinedDataset(Dataset):
    """Several :class:`Dataset` parts of one kind, used as one.

    ``data`` stacks the parts' rows (columns one part lacks are null in the
    others), ``quarantine()`` stacks their excluded rows with a ``source``
    column, and ``quality()`` adds their reports up; ``parts`` keeps each one.
    The added-up ``first_excluded_row`` of a reason is its first row in the
    first part that has one; ``reports()`` gives each part's own.

    Examples
    --------
    >>> import polars as pl, segwise as sw
    >>> january = pl.DataFrame({"customer_id": ["1", "2"], "date": ["2024-01-05", "2024-01-09"],
    ...                         "amount": [10.0, None]})
    >>> february = pl.DataFrame({"CustomerID": ["1"], "InvoiceDate": ["2024-02-01"],
    ...                          "Amount": [4.5]})
    >>> both = sw.read_transactions([january, february])
    >>> both.quality().rows_used, both.quality().rows_quarantined, both.quality().customers
    (2, 1, 1)
    """

    def __init__(self, parts: Sequence[Dataset]) -> None:
        if len(parts) < 2:
            raise ValueError("a combined dataset needs at least two parts")
        kinds = {part.kind for part in parts}
        if len(kinds) > 1:
            raise ValueError(f"cannot combine {' and '.join(sorted(kinds))} in one dataset")
        _check_compatible(parts)
        first = parts[0]
        self.parts = list(parts)
        self.kind = first.kind
        self.source = " + ".join(part.source for part in parts)
        self.roles = first.roles
        self.policy = first.policy
        formats = {part.timestamp_format for part in parts}
        self.timestamp_format = formats.pop() if len(formats) == 1 else None
        self.as_of = first.as_of
        self.notes = [f"{part.source}: {note}" for part in parts for note in part.notes]
        self._like = first._like  # the parts' frames are of one kind (checked)
        self._report: QualityReport | None = None
        self._overlaps: list[tuple[Dataset, str, int]] | None = None
        self._pairs: pl.DataFrame | None = None
        self._without: dict[int, QualityReport] | None = None

    @property
    def written_currency(self) -> str | None:
        """The currency sign or code the parts write their amounts with (the first found)."""
        return next((c for part in self.parts if (c := part.written_currency)), None)

    @property
    def currency(self) -> str | None:
        """The ISO code of the parts' one currency (checked): see :attr:`Dataset.currency`."""
        return next((c for part in self.parts if (c := part.currency)), None)

    def __repr__(self) -> str:
        return f"CombinedDataset(kind={self.kind!r}, parts={len(self.parts)})"

    @property
    def data(self) -> nw.LazyFrame[Any]:
        """Every part's rows used, stacked (see :attr:`Dataset.data`).

        A column the parts read with different types (an order number in one file, an
        order code in another) is stacked as text, or as a float where every type is a
        number.
        """
        repeated = self.repeated()
        frames = [
            kept(part, repeated[k]) if k in repeated else part.data
            for k, part in enumerate(self.parts)
        ]
        types: dict[str, set[Any]] = {}
        for frame in frames:
            for name, dtype in frame.collect_schema().items():
                types.setdefault(name, set()).add(dtype)
        common = {
            name: nw.Float64 if all(t.is_numeric() for t in found) else nw.String
            for name, found in types.items()
            if len(found) > 1
        }
        if common:
            frames = [_cast(frame, common) for frame in frames]
        return nw.concat(frames, how="diagonal")

    def to_native(self) -> Any:
        """Return :attr:`data` as the kind of frame that was read (as :meth:`Dataset.to_native`)."""
        return from_lazy(self.data, like=self._like)

    def quarantine(self) -> nw.LazyFrame[Any]:
        """Every part's excluded rows, with the ``source`` each came from after ``row``."""
        frames = []
        repeated = self.repeated()
        for k, part in enumerate(self.parts):
            excluded = part.quarantine()
            if k in repeated:
                excluded = nw.concat([excluded, quarantined(part, repeated[k])]).sort("row")
            names = excluded.collect_schema().names()
            frames.append(
                excluded.with_columns(nw.lit(part.source).alias("source")).select(
                    "row", "source", *[n for n in names if n != "row"]
                )
            )
        return nw.concat(frames, how="diagonal")

    def write_quarantine(self, path: StrPath) -> Path:
        """Write every part's quarantined rows to one file, atomically."""
        return write_table(self.quarantine(), path)

    def customer_ids(self) -> nw.LazyFrame[Any]:
        """The distinct customer ids of every part (see :meth:`Dataset.customer_ids`)."""
        return nw.concat([part.customer_ids() for part in self.parts]).unique()

    def without_customers(self, customer_ids: Sequence[str]) -> CombinedDataset:
        """Every part without the rows of ``customer_ids`` (:meth:`Dataset.without_customers`)."""
        return CombinedDataset([part.without_customers(customer_ids) for part in self.parts])

    def exposures_with_crossovers(self) -> nw.LazyFrame[Any]:
        """Every part's exposures, customers seen in several variants kept (in any parts).

        The readout drops a customer seen in two variants, in one file or across two.
        """
        return nw.concat([part.exposures_with_crossovers() for part in self.parts], how="diagonal")

    def rows_read(self) -> int:
        """How many rows the parts hold together."""
        return sum(part.rows_read() for part in self.parts)

    def part_exclusions(self) -> list[tuple[int, dict[str, int]]]:
        """Each part's rows read and quarantined per reason, its repeats if dropped included."""
        repeated, found = self.repeated(), []
        for k, part in enumerate(self.parts):
            rows, reasons = part.exclusions()
            if k in repeated:  # quarantined beside its own (duplicates: drop)
                reasons = {**reasons, REPEATED: repeated[k].height}
            found.append((rows, reasons))
        return found

    def exclusions(self) -> tuple[int, dict[str, int]]:
        """Rows read and quarantined per reason, added up over the parts (see :meth:`reports`)."""
        read, excluded = 0, Counter[str]()
        for rows, reasons in self.part_exclusions():
            read += rows
            excluded.update(reasons)
        return read, dict(excluded)

    def with_pseudonyms(
        self, pseudonyms: Callable[[pl.Series], Sequence[str]], columns: Sequence[str] = ()
    ) -> CombinedDataset:
        """Every part with its ids, and those of ``columns`` it has, pseudonymised.

        The same id gets the same pseudonym in every part (see :meth:`Dataset.with_pseudonyms`).
        """
        return CombinedDataset(
            [
                part.with_pseudonyms(pseudonyms, [c for c in columns if c in part.raw_columns])
                for part in self.parts
            ]
        )

    def reports(self) -> list[QualityReport]:
        """Each part's own quality report, less its rows repeated from earlier parts if dropped."""
        reports = [part.quality() for part in self.parts]  # first: an unusable part's own line
        if self._without is None:
            repeated = self.repeated()
            self._without = {
                k: report_without(self.parts[k], rows, reports[k]) for k, rows in repeated.items()
            }
        return [self._without.get(k, report) for k, report in enumerate(reports)]

    def repeated(self) -> dict[int, pl.DataFrame]:
        """Under ``duplicates="drop"``: per part (by position), its rows repeated from an earlier.

        Empty otherwise: the repeats are counted and said (:meth:`overlaps`), not dropped.
        """
        pairs = self._repeated_rows()
        return {} if pairs is None else rows_of(pairs)

    def _repeated_rows(self) -> pl.DataFrame | None:
        if self._pairs is None and drops_repeats(self.parts):
            self._pairs = repeated_rows(self.parts)
        return self._pairs

    def quality(self) -> QualityReport:
        """The parts' reports added up; ``customers`` counts distinct ids across parts.

        Its ``checks`` also count the rows ``repeated_from_earlier_source``: rows of a part
        equal to a row of an earlier part (see :func:`repeated_from_earlier_parts`).
        """
        if self._report is None:
            reports = self.reports()  # first: an unusable part fails in its own line
            repeated = self.overlaps()
            dropped = drops_repeats(self.parts)
            notes = self.notes + [overlap_text(*found, dropped=dropped) for found in repeated]
            report = _added_up(reports, self.source, notes, self.data)
            report.checks["repeated_from_earlier_source"] = sum(n for *_, n in repeated)
            self._report = report
        return self._report

    def overlaps(self) -> list[tuple[Dataset, str, int]]:
        """The parts' rows repeated from an earlier part (:func:`repeated_from_earlier_parts`).

        Computed once; each overlap is said in an :class:`OverlappingSourcesWarning` then.
        """
        if self._overlaps is None:
            pairs = self._repeated_rows()  # found already when they are dropped
            self._overlaps = repeated_from_earlier_parts(self.parts, pairs)
            dropped = pairs is not None
            for found in self._overlaps:
                text = overlap_text(*found, dropped=dropped)
                warnings.warn(OverlappingSourcesWarning(text), stacklevel=2)
        return self._overlaps


def _cast(frame: nw.LazyFrame[Any], types: dict[str, Any]) -> nw.LazyFrame[Any]:
    names = frame.collect_schema().names()
    return frame.with_columns(*(nw.col(n).cast(t) for n, t in types.items() if n in names))


def _added_up(
    reports: list[QualityReport], source: str, notes: list[str], data: nw.LazyFrame[Any]
) -> QualityReport:
    def total(key: str) -> Counter[str]:
        counts: Counter[str] = Counter()
        for report in reports:
            counts.update(getattr(report, key))
        return counts

    first_rows: dict[str, int] = {}
    for report in reports:
        for reason, row in report.first_excluded_row.items():
            first_rows.setdefault(reason, row)
    firsts = [r.first_timestamp for r in reports if r.first_timestamp is not None]
    lasts = [r.last_timestamp for r in reports if r.last_timestamp is not None]
    amounts = [r.total_amount for r in reports if r.total_amount is not None]
    returns = [r.returns_kept for r in reports if r.returns_kept is not None]
    customers = data.select(nw.col("customer_id").n_unique()).collect().item()
    return replace(
        reports[0],
        source=source,
        rows_read=sum(r.rows_read for r in reports),
        rows_used=sum(r.rows_used for r in reports),
        rows_quarantined=sum(r.rows_quarantined for r in reports),
        excluded=dict(total("excluded")),
        first_excluded_row=first_rows,
        checks=dict(total("checks")),
        customers=int(customers),
        first_timestamp=min(firsts) if firsts else None,
        last_timestamp=max(lasts) if lasts else None,
        total_amount=sum(amounts) if amounts else None,
        returns_kept=sum(returns) if returns else None,
        timestamp_format=None
        if len({r.timestamp_format for r in reports}) > 1
        else reports[0].timestamp_format,
        notes=notes,
    )
