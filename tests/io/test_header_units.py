"""Units in a column's header: ``Amount (EUR)`` is the amount, in euros."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl
import pytest
import xlsxwriter
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

import segwise as sw
from segwise.cli.app import app
from segwise.exceptions import ColumnNotFoundError, DataError
from segwise.io.header_units import header_currency, split_unit
from segwise.io.role_names import ROLE_ALIASES
from segwise.io.roles import detect_roles

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Amount (EUR)", "EUR"),
        ("Umsatz [€]", "EUR"),
        ("Unit Price (£)", "GBP"),
        ("Total (US$, incl. tax)", "USD"),
        ("Kwota (zł)", "PLN"),
        ("Revenue\n(SEK)", "SEK"),
        ("Amount ($)", None),  # "$" names several currencies
        ("Total (net)", None),
        ("Amount (eur)", None),  # lower-case words are words, not codes
        ("Sales (ALL)", None),  # every channel, not Albanian lek
        ("Amount (EUR/USD)", None),
        ("Amount", None),
        ("Amount (EUR) net", None),  # the brackets must close the name
    ],
)
def test_a_header_names_one_currency_or_none(name: str, code: str | None) -> None:
    assert header_currency(name) == code


@given(
    alias=st.sampled_from(ROLE_ALIASES["amount"]),
    unit=st.text(st.characters(blacklist_characters="()[]"), min_size=1, max_size=12),
    brackets=st.sampled_from(["()", "[]"]),
    gap=st.sampled_from(["", " ", "\n", "\r\n"]),
)
def test_any_amount_name_with_a_unit_is_the_amount(
    alias: str, unit: str, brackets: str, gap: str
) -> None:
    column = f"{alias.replace('_', ' ').title()}{gap}{brackets[0]}{unit}{brackets[1]}"
    assert split_unit(column)[0] == alias.replace("_", " ").title()
    roles = detect_roles("transactions", ["customer_id", "order_date", column])
    assert roles.columns["amount"] == column


def test_a_plain_name_comes_before_one_with_a_unit() -> None:
    roles = detect_roles("transactions", ["Customer ID", "Amount (EUR)", "Date", "Amount"])
    assert roles.columns["amount"] == "Amount"
    roles = detect_roles("transactions", ["Customer (internal)", "Date (UTC)", "Price (£)", "Qty"])
    assert roles.columns == {
        "customer_id": "Customer (internal)",
        "timestamp": "Date (UTC)",
        "unit_price": "Price (£)",
        "quantity": "Qty",
    }


def test_two_amounts_with_units_are_left_to_the_user(tmp_path: Path) -> None:
    with pytest.raises(ColumnNotFoundError, match=r"2 columns could be the amount: "):
        detect_roles("transactions", ["customer_id", "date", "Amount (EUR)", "Amount (USD)"])
    export = tmp_path / "payments.csv"
    export.write_text("customer_id,date,Amount (EUR),Amount (USD)\n1,2024-01-05,10,11\n")
    refused = CliRunner().invoke(app, ["quality", str(export)])
    assert refused.exit_code == 1
    assert "2 columns could be the amount: 'Amount (EUR)', 'Amount (USD)'" in refused.output
    assert "--amount-col" in refused.output
    assert "Traceback" not in refused.output
    chosen = sw.read_transactions(export, amount="Amount (USD)")
    assert chosen.currency == "USD"
    assert chosen.quality().total_amount == pytest.approx(11.0)


def test_a_spreadsheet_header_wrapped_over_lines_below_a_title_is_read(tmp_path: Path) -> None:
    export = tmp_path / "sales.csv"
    export.write_bytes(
        b'Sales export\r\nGenerated 2024-01-05\r\n\r\n"Customer\r\nID","Order\r\nDate",'
        b'"Amount\r\n(EUR)"\r\nA1,2023-03-01,10.00\r\nA2,2023-04-01,20.50\r\nA1,2023-05-01,5\r\n'
    )
    orders = sw.read_transactions(export)
    report = orders.quality()
    assert (report.rows_used, report.customers) == (3, 2)
    assert report.total_amount == pytest.approx(35.5)
    assert orders.currency == "EUR"
    assert "the amounts are in EUR, as the header of column 'Amount\r\n(EUR)' says" in report.notes


def test_an_excel_header_cell_with_a_line_break_is_read(tmp_path: Path) -> None:
    path = tmp_path / "orders.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["Customer\nID", "Order\nDate", "Revenue\n[£]"])
    sheet.write_row(1, 0, ["A", "2024-01-03", 10.5])
    sheet.write_row(2, 0, ["B", "2024-01-05", 12.0])
    book.close()
    orders = sw.read_transactions(path)
    assert orders.roles.columns["amount"] == "Revenue\n[£]"
    assert orders.currency == "GBP"
    assert orders.quality().total_amount == pytest.approx(22.5)


def _orders(amounts: list[str], header: str, **extra: list[str]) -> pl.DataFrame:
    days = [f"2024-01-{d:02d}" for d in range(1, len(amounts) + 1)]
    ids = [f"c{i}" for i in range(len(amounts))]
    return pl.DataFrame({"customer_id": ids, "date": days, header: amounts, **extra})


def test_a_header_says_which_dollars_and_the_amounts_outrank_it() -> None:
    canadian = sw.read_transactions(_orders(["$10.00", "$5.50"], "Amount (CAD)"))
    assert canadian.currency == "CAD"
    assert "the amounts are in CAD, as the header of column 'Amount (CAD)' says" in (
        canadian.quality().notes
    )
    # Amounts written in euros under a dollar header: the rows are believed, and it is said.
    euros = sw.read_transactions(_orders(["10,00 €", "5,50 €"], "Amount (USD)"))
    assert euros.currency == "EUR"
    assert any(
        note.startswith("column 'Amount (USD)' is headed USD but its amounts are written with")
        and "taken as EUR" in note
        for note in euros.quality().notes
    )
    by_column = sw.read_transactions(_orders(["10", "5"], "Amount (USD)", Currency=["EUR", "EUR"]))
    assert by_column.currency == "EUR"
    assert any(
        "is headed USD but column 'Currency' gives most rows EUR" in note
        for note in by_column.quality().notes
    )
    agreeing = sw.read_transactions(_orders(["10,00 €", "5,50 €"], "Amount (EUR)"))
    assert not any("header" in note for note in agreeing.quality().notes)


def test_files_headed_with_two_currencies_are_not_added_up() -> None:
    euros = _orders(["10", "5"], "Amount (EUR)")
    dollars = _orders(["7", "8"], "Amount (USD)")
    with pytest.raises(DataError, match=r"in 'EUR' in .* and in 'USD' here"):
        sw.read_transactions([euros, dollars])
    more_euros = _orders(["1", "2"], "Total [€]")
    assert sw.read_transactions([euros, more_euros]).currency == "EUR"
