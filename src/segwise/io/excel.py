"""Excel workbooks: the sheet asked for, its header found below any title rows.

A report saved from Excel often has a title, a date or a blank row above the table;
read as they are, the title became the only column name.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw
import polars as pl

from segwise._validation import hint_for
from segwise.exceptions import DataError
from segwise.io.sources import RawSource

if TYPE_CHECKING:
    from collections.abc import Collection
    from pathlib import Path

#: Rows searched for the header.
_HEADER_SEARCH = 25


def _header_row(path: Path, sheet_arg: dict[str, Any]) -> tuple[int, str]:
    """The sheet row of the header, and the first row above it (0 and "" when it is first).

    The header is the first row with two values or more; the rows above hold one at
    most (a title, a "generated on" line, blanks).
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            top = pl.read_excel(
                path,
                engine="calamine",
                read_options={"header_row": None, "n_rows": _HEADER_SEARCH},
                drop_empty_rows=False,
                infer_schema_length=0,
                **sheet_arg,
            )
    except Exception:  # noqa: BLE001 - the full read below says what is wrong
        return 0, ""
    for at, row in enumerate(top.iter_rows()):
        values = [value for value in row if value is not None and str(value).strip()]
        if len(values) >= 2:
            above = [v for r in top.head(at).iter_rows() for v in r if v is not None]
            return at, str(above[0]) if above else ""
    return 0, ""


def _sheet_names(path: Path) -> list[str]:
    import fastexcel  # noqa: PLC0415 - Polars' Excel engine, only for workbooks

    try:
        return list(fastexcel.read_excel(path).sheet_names)
    except Exception as exc:  # noqa: BLE001 - fastexcel raises its own types; all mean a bad workbook
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(
            f"cannot read the workbook: {first}", hint="check it opens in Excel", source=str(path)
        ) from None


def open_excel(path: Path, sheet: str | int | None) -> RawSource:
    """Open one sheet (a name, a 0-based position, or the first) of an ``.xlsx`` workbook.

    Raises
    ------
    DataError
        The workbook cannot be read, or has no such sheet (the sheets are named).
    """
    names = _sheet_names(path)
    listed = ", ".join(f"{i}: {name}" for i, name in enumerate(names))
    if isinstance(sheet, int) and not 0 <= sheet < len(names):
        raise DataError(
            f"--sheet {sheet} is out of range: the workbook has {len(names)} sheet(s) ({listed})",
            hint="sheets count from 0, or pass the sheet's name",
            source=str(path),
        )
    if isinstance(sheet, str) and sheet and sheet not in names:
        raise DataError(
            f"no sheet '{sheet}' in the workbook ({listed})",
            hint=hint_for(sheet, names).replace("the columns are", "the sheets are"),
            source=str(path),
        )
    sheet_arg: dict[str, Any] = (
        {"sheet_id": sheet + 1}
        if isinstance(sheet, int)
        else {"sheet_name": sheet}
        if sheet
        else {}
    )

    def read(text_columns: Collection[str], header_row: int) -> pl.DataFrame:
        try:
            with warnings.catch_warnings():
                # fastexcel warns about types it guesses: a second stderr line, no action.
                warnings.simplefilter("ignore")
                frame: pl.DataFrame = pl.read_excel(
                    path,
                    engine="calamine",
                    schema_overrides=dict.fromkeys(text_columns, pl.String),
                    infer_schema_length=10_000,
                    read_options={"header_row": header_row},
                    **sheet_arg,
                )
            return frame
        except Exception as exc:  # noqa: BLE001 — calamine raises its own types; all mean a bad workbook
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise DataError(
                f"cannot read the workbook: {first}",
                hint="check it opens in Excel, and --sheet",
                source=str(path),
            ) from None

    header_row, above = 0, ""
    header = read((), 0).columns
    # A title in the first row names one column and leaves the others unnamed: only then
    # is the sheet searched for its header (each look parses the whole sheet).
    if len(header) >= 2 and sum(not c.startswith("__UNNAMED__") for c in header) <= 1:
        header_row, above = _header_row(path, sheet_arg)
        if header_row:
            header = read((), header_row).columns
    return RawSource(
        name=str(path),
        columns=header,
        like="polars-eager",
        scan=lambda text: nw.from_native(read(text, header_row).lazy()),
        notes=[f"{header_row} row(s) above the header skipped (the first: {above!r})"]
        if header_row
        else [],
    )
