"""CSV sniffing: encodings, delimiters, line endings, quoting and compression."""

from __future__ import annotations

import gzip
from typing import TYPE_CHECKING

import pytest

import segwise as sw
from segwise.io.csv import find_preamble, sniff, sniff_delimiter

if TYPE_CHECKING:
    from pathlib import Path

ROWS = [
    ("00042", "2024-01-05 10:00:00", "12.50", "Zoë, café"),
    ("00043", "2024-02-01 09:30:00", "7", "plain"),
]


def _csv(delimiter: str, newline: str = "\n") -> str:
    lines = [delimiter.join(["CustomerID", "InvoiceDate", "amount", "note"])]
    for row in ROWS:
        lines.append(delimiter.join([*row[:3], f'"{row[3]}"']))
    return newline.join(lines) + newline


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("latin-1", "latin-1")],
    ids=["utf8", "utf8-bom", "latin1"],
)
def test_encodings_are_sniffed_and_text_survives(
    tmp_path: Path, encoding: str, expected: str
) -> None:
    path = tmp_path / "orders.csv"
    path.write_bytes(_csv(",").encode(encoding))
    assert sniff(path).encoding == expected
    data = sw.read_transactions(path).to_native()
    assert data["customer_id"].to_list() == ["00042", "00043"]
    assert data["note"].to_list() == ["Zoë, café", "plain"]


@pytest.mark.parametrize(
    "delimiter", [",", ";", "\t", "|"], ids=["comma", "semicolon", "tab", "pipe"]
)
@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_delimiters_and_line_endings(tmp_path: Path, delimiter: str, newline: str) -> None:
    path = tmp_path / "orders.txt"
    path.write_text(_csv(delimiter, newline), newline="")
    dialect = sniff(path)
    assert dialect.delimiter == delimiter
    assert dialect.line_ending == newline
    report = sw.read_transactions(path).quality()
    assert (report.rows_read, report.rows_used) == (2, 2)
    assert report.total_amount == pytest.approx(19.5)


PREAMBLE = ["Orders export", "Generated 2024-03-05 by ShopX", ""]


@pytest.mark.parametrize(
    ("newline", "encoding", "compressed"),
    [("\n", "utf-8", False), ("\r\n", "utf-8-sig", True), ("\r", "latin-1", False)],
    ids=["lf", "crlf-bom-gzip", "cr-latin1"],
)
def test_lines_above_the_header_are_skipped_and_said(
    tmp_path: Path, newline: str, encoding: str, compressed: bool
) -> None:
    text = newline.join(PREAMBLE) + newline + _csv(";", newline)
    data = text.encode(encoding)
    path = tmp_path / ("orders.csv.gz" if compressed else "orders.csv")
    path.write_bytes(gzip.compress(data) if compressed else data)
    assert sniff(path).preamble == tuple(PREAMBLE)
    dataset = sw.read_transactions(path)
    frame = dataset.to_native()
    assert frame["customer_id"].to_list() == ["00042", "00043"]
    assert frame["note"].to_list() == ["Zoë, café", "plain"]
    report = dataset.quality()
    assert (report.rows_read, report.rows_used) == (2, 2)
    assert "3 line(s) above the header skipped (the first: 'Orders export')" in report.notes


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
@pytest.mark.parametrize(
    ("preamble", "header"),
    [
        # A quoted title over two lines, a delimiter inside it: one row to Polars, two lines.
        (['"Orders export', 'Europe; Q1"', ""], "customer_id;order_date;amount;note"),
        # A quoted header name over two lines under a plain title.
        (["Orders export", ""], 'customer_id;"order{nl}date";amount;note'),
    ],
    ids=["quoted-title", "quoted-header"],
)
def test_quoted_lines_above_or_in_the_header_are_skipped_as_csv_reads_them(
    tmp_path: Path, newline: str, preamble: list[str], header: str
) -> None:
    rows = "".join(f'{";".join(row[:3])};"{row[3]}"{newline}' for row in ROWS)
    text = newline.join(preamble) + newline + header.format(nl=newline) + newline + rows
    path = tmp_path / "orders.csv"
    path.write_bytes(text.encode("latin-1"))
    assert sniff(path).preamble == tuple(preamble)
    dataset = sw.read_transactions(path, timestamp=header.split(";")[1].strip('"').format(nl="\n"))
    frame = dataset.to_native()
    assert frame["customer_id"].to_list() == ["00042", "00043"]
    assert frame["note"].to_list() == ["Zoë, café", "plain"]
    assert f"{len(preamble)} line(s) above the header skipped" in " ".join(dataset.quality().notes)


@pytest.mark.parametrize(
    "text",
    [
        "a,b\n1,2,\n3,4,\n",  # a header narrower than its rows is still the header
        "id,amount\n1,2\n",
        "id\n1\n2\n",  # one column: nothing to tell a title by
        "Report, March\nid,amount\n1,2\n",  # two values above: a header, not a title
    ],
)
def test_a_header_on_the_first_line_is_kept(text: str) -> None:
    assert find_preamble(text, ",") == ()


@pytest.mark.parametrize("compressed", [False, True], ids=["plain", "gzip"])
def test_a_row_wider_than_the_header_is_quarantined_with_what_it_held_beyond(
    tmp_path: Path, compressed: bool
) -> None:
    # An unquoted delimiter inside a value ("Widget; blue") shifts the row's columns; a
    # trailing delimiter (an empty field past the header) shifts nothing.
    text = (
        "Orders\n\ncustomer_id;order_date;amount;product\n"
        'A;2024-01-03;10;"x;y"\n'
        + "B;2024-01-04;11;plain;\n" * 3
        + "C;2024-01-05;12;Widget; blue\n"
    )
    path = tmp_path / ("orders.csv.gz" if compressed else "orders.csv")
    path.write_bytes(gzip.compress(text.encode()) if compressed else text.encode())
    dataset = sw.read_transactions(path)
    report = dataset.quality()
    assert (report.rows_used, report.excluded["extra_fields"]) == (4, 1)
    assert report.first_excluded_row["extra_fields"] == 5
    quarantined = dataset.quarantine().collect(backend="polars").to_native()
    assert quarantined.select("row", "reason", "product", "extra_fields").rows() == [
        (5, "extra_fields", "Widget", " blue")
    ]


def test_quoted_fields_with_commas_and_newlines(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(
        "customer_id,date,amount,comment\n"
        '1,2024-01-01,5,"says ""hi"", then\nleaves"\n2,2024-01-02,6,ok\n'
    )
    data = sw.read_transactions(path).to_native()
    assert data["comment"].to_list() == ['says "hi", then\nleaves', "ok"]


def test_gzip_is_read_transparently(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv.gz"
    path.write_bytes(gzip.compress(_csv(";").encode("latin-1")))
    dialect = sniff(path)
    assert (dialect.compressed, dialect.delimiter, dialect.encoding) == (True, ";", "latin-1")
    assert sw.read_transactions(path).to_native()["note"].to_list() == ["Zoë, café", "plain"]


def test_decimal_comma_in_semicolon_files(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("customer_id;date;amount\n1;2024-01-01;1.234,50\n2;2024-01-02;7,25\n")
    assert sniff(path).decimal_comma
    assert sw.read_transactions(path).to_native()["amount"].to_list() == [1234.5, 7.25]


def test_sniff_delimiter_ignores_delimiters_inside_quotes() -> None:
    text = 'a,b,c\n"x;y;z",1,2\n"p;q",3,4\n'
    assert sniff_delimiter(text) == ","


def test_file_that_grows_while_read_is_refused(tmp_path: Path) -> None:
    # Issue 12, defect 24: a growing file gave a quarantine that disagreed with the report.
    path = tmp_path / "orders.csv"
    path.write_text("customer_id,order_date,amount\n1,2024-01-01,3\n2,2024-01-02,x\n")
    dataset = sw.read_transactions(path)
    with path.open("a") as handle:
        handle.write("3,2024-01-03,5\n")
    with pytest.raises(sw.DataError, match="the file changed while segwise was reading it"):
        dataset.quality()


def test_utf16_is_named_not_called_binary(tmp_path: Path) -> None:
    # Issue 12, defect 25: UTF-16 (with or without a byte-order mark) was "binary".
    for encoding in ("utf-16", "utf-16-le"):
        path = tmp_path / f"{encoding}.csv"
        path.write_bytes("customer_id,order_date,amount\n1,2024-01-01,3\n".encode(encoding))
        with pytest.raises(sw.DataError, match="the file is UTF-16 text"):
            sw.read_transactions(path)


def test_symlink_loop_is_named(tmp_path: Path) -> None:
    # Issue 12, defect 25: a symlink loop was reported as "no such file".
    (tmp_path / "a.csv").symlink_to(tmp_path / "b.csv")
    (tmp_path / "b.csv").symlink_to(tmp_path / "a.csv")
    with pytest.raises(sw.DataError, match="symlink loop"):
        sw.read_transactions(tmp_path / "a.csv")


def test_sheet_out_of_range_names_the_sheets(tmp_path: Path) -> None:
    # Issue 12, defect 25: --sheet 7 said "sheet_id is 8".
    import polars as pl

    path = tmp_path / "book.xlsx"
    pl.DataFrame({"customer_id": ["1"], "order_date": ["2024-01-01"], "amount": [1.0]}).write_excel(
        path
    )
    with pytest.raises(sw.DataError) as caught:
        sw.read_transactions(path, sheet=7)
    assert "--sheet 7 is out of range: the workbook has 1 sheet(s) (0: Sheet1)" in str(caught.value)


def test_a_repeated_column_name_is_said(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("customer_id,order_date,amount,amount\nA,2024-01-03,10,11\n")
    report = sw.read_transactions(path).quality()
    assert report.total_amount == pytest.approx(10.0)  # the first is the amount
    assert "column 'amount' appears twice: the second is read as 'amount_duplicated_0'" in (
        report.notes
    )


def test_empty_header_cells_are_said_once_as_columns_without_a_name(tmp_path: Path) -> None:
    # A spreadsheet saved as CSV ends every line with the delimiters of its empty columns.
    path = tmp_path / "orders.csv"
    path.write_text("customer_id,order_date,amount,,,\nA,2024-01-03,10,,,\nB,2024-01-04,5,,,\n")
    report = sw.read_transactions(path).quality()
    assert report.rows_used == 2
    assert (
        report.notes.count(
            "3 column(s) without a name in the header: read as '', '_duplicated_0', '_duplicated_1'"
        )
        == 1
    )
    assert not any("appears twice" in note for note in report.notes)
