"""Excel workbooks: the header found below a report's title rows."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
import xlsxwriter

import segwise as sw

if TYPE_CHECKING:
    from pathlib import Path

ROWS = [("A", "2024-01-03", 10.5), ("B", "2024-01-05", 12.0), ("A", "2024-02-03", 5.0)]


def _workbook(path: Path, above: list[str | None]) -> Path:
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("Orders")
    book.add_worksheet("Notes").write(0, 0, "nothing here")
    for at, line in enumerate(above):
        if line is not None:
            sheet.write(at, 0, line)
    start = len(above)
    for column, name in enumerate(("customer_id", "order_date", "amount")):
        sheet.write(start, column, name)
    for row, values in enumerate(ROWS, start=start + 1):
        for column, value in enumerate(values):
            sheet.write(row, column, value)
    book.close()
    return path


@pytest.mark.parametrize("sheet", [None, "Orders", 0])
def test_title_rows_above_the_header_are_skipped_and_said(
    tmp_path: Path, sheet: str | int | None
) -> None:
    path = _workbook(tmp_path / "report.xlsx", ["Orders report", "Generated 2024-03-05", None])
    dataset = sw.read_transactions(path, sheet=sheet)
    report = dataset.quality()
    assert (report.rows_read, report.rows_used, report.customers) == (3, 3, 2)
    assert report.total_amount == pytest.approx(27.5)
    assert "3 row(s) above the header skipped (the first: 'Orders report')" in report.notes


def test_a_header_in_the_first_row_is_read_as_before(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "plain.xlsx", [])
    report = sw.read_transactions(path).quality()
    assert report.rows_used == 3
    assert not any("above the header" in note for note in report.notes)
