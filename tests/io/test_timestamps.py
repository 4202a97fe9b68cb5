"""Reading how dates are written: the pattern chosen, and when the column cannot tell."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from hypothesis import given
from hypothesis import strategies as st

import segwise as sw
from segwise.io.timestamps import detect_timestamp_format, month_day_twin

if TYPE_CHECKING:
    from pathlib import Path

DAYS = st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31))


@given(st.lists(DAYS, min_size=1, max_size=40), st.sampled_from(["%d/%m/%Y", "%m/%d/%Y"]))
def test_a_column_is_ambiguous_exactly_when_every_date_reads_both_ways(
    days: list[date], written: str
) -> None:
    values = [day.strftime(written) for day in days]
    fmt, parsed = detect_timestamp_format(values)
    assert parsed == len(values)
    found = month_day_twin(values, str(fmt))
    both_ways = all(day.day <= 12 for day in days)
    differ = any(day.day != day.month for day in days)
    assert (found is not None) == (both_ways and differ)
    if found is not None:
        twin, example = found
        assert {str(fmt), twin} == {"%d/%m/%Y", "%m/%d/%Y"}
        assert example in values and example[:2] != example[3:5]
    if not both_ways:  # a day past the 12th tells: the pattern read is the one written
        assert fmt == written


def test_patterns_without_a_swapped_twin_are_never_ambiguous() -> None:
    assert month_day_twin(["2024-03-04", "2024-04-03"], "%Y-%m-%d") is None
    assert month_day_twin(["03.04.2024"], "%d.%m.%Y") is None  # no %m.%d.%Y is read
    with_time = ["03/04/2024 10:00", "05/06/2024 11:30"]
    assert month_day_twin(with_time, "%d/%m/%Y %H:%M") == ("%m/%d/%Y %H:%M", with_time[0])


def test_zoned_and_utc_suffixed_times_are_recognised() -> None:
    cases = {
        "%Y-%m-%dT%H:%M:%S%#z": ["2024-01-03T10:00:00Z", "2024-01-04T10:00:00+01:00"],
        "%Y-%m-%dT%H:%M:%S%.f%#z": ["2024-01-03T10:00:00.123Z", "2024-01-03T10:00:00Z"],
        "%Y-%m-%d %H:%M:%S%#z": ["2024-01-03 10:00:00+00:00"],  # pandas, zoned
        "%Y-%m-%d %H:%M:%S UTC": ["2024-01-03 10:00:00 UTC"],  # BigQuery
    }
    for fmt, values in cases.items():
        assert detect_timestamp_format(values) == (fmt, len(values))
    shopify = ["2024-01-03 10:00:00 -0500"]  # a space before the offset: read by the same
    assert detect_timestamp_format(shopify) == ("%Y-%m-%d %H:%M:%S%#z", 1)


def test_unix_times_are_recognised_in_their_unit_and_dates_as_digits_stay_dates() -> None:
    assert detect_timestamp_format(["1704276000", "1720049400", "x"]) == ("epoch-s", 2)
    assert detect_timestamp_format(["1704276000250", "1720049400000"]) == ("epoch-ms", 2)
    assert detect_timestamp_format(["20240103", "20240704"]) == ("%Y%m%d", 2)
    # Small numbers (ids, prices) are no Unix time.
    assert detect_timestamp_format(["42", "1234567"]) == (None, 0)


def test_excel_serial_days_are_recognised_and_read_with_their_time(tmp_path: Path) -> None:
    assert detect_timestamp_format(["45294", "45294.604166667", "45300.0"]) == ("excel-days", 3)
    # Five digits below 1970's serial day (an order number, 12345) are no date.
    assert detect_timestamp_format(["12345", "23456"]) == (None, 0)
    path = tmp_path / "orders.csv"
    # A spreadsheet saved as CSV with its date cells formatted as numbers.
    path.write_text("customer_id,order_date,amount\na,45294.604166667,10\nb,45300,20\nc,7,5\n")
    orders = sw.read_transactions(path)
    report = orders.quality()
    assert report.timestamp_format == "excel-days"
    assert "timestamps read as Excel serial dates (days since 1899-12-30)" in report.notes
    assert report.excluded["unparseable_timestamp"] == 1
    times = sorted(orders.to_native()["timestamp"].to_list())
    assert times == [datetime(2024, 1, 3, 14, 30), datetime(2024, 1, 9)]


def test_month_names_are_recognised_in_english_and_a_european_exports_language() -> None:
    cases = {
        "%b %d, %Y": ["Jan 3, 2024", "Sep 13, 2024", "January 3, 2024", "Sept. 13, 2024"],
        "%d %b %Y": ["3 Jan 2024", "13 Sep 2024", "12 janv. 2024", "3 FÉVR. 2024", "1 mag 2024"],
        "%d-%b-%Y": ["03-Jan-2024", "13-Sep-2024", "03-JAN-2024"],
        "%d. %b %Y": ["3. März 2024", "12. Januar 2024", "1. Dez. 2024"],
        "%d de %b de %Y": ["7 de outubro de 2024", "3 de marzo de 2024"],
    }
    for fmt, values in cases.items():
        assert detect_timestamp_format(values) == (fmt, len(values)), fmt
    # A word that names no month in these languages stays unread.
    assert detect_timestamp_format(["3 Foo 2024"]) == (None, 0)


def test_a_french_export_is_read_with_its_dates(tmp_path: Path) -> None:
    path = tmp_path / "commandes.csv"
    path.write_text(
        "customer_id;order_date;amount\n"
        "a;12 janv. 2024;10,50\nb;3 févr. 2024;20\na;15 mars 2024;5\nc;31 févr. 2024;5\n"
    )
    orders = sw.read_transactions(path)
    report = orders.quality()
    assert report.timestamp_format == "%d %b %Y"
    assert report.excluded["unparseable_timestamp"] == 1  # 31 February: no such day
    times = orders.to_native().sort("timestamp")["timestamp"].to_list()
    assert times == [datetime(2024, 1, 12), datetime(2024, 2, 3), datetime(2024, 3, 15)]


def test_two_digit_years_are_read_in_this_century_or_the_last_never_as_year_23() -> None:
    # "%Y/%m/%d" and "%d/%m/%Y" read these too, as the years 31 and 23: no order is that old.
    assert detect_timestamp_format(["31/12/23", "15/01/24"]) == ("%d/%m/%y", 2)
    assert detect_timestamp_format(["12/31/23", "01/15/24"]) == ("%m/%d/%y", 2)
    assert detect_timestamp_format(["31.12.97", "15.01.98"]) == ("%d.%m.%y", 2)
    assert detect_timestamp_format(["31/12/2023", "15/01/2024"]) == ("%d/%m/%Y", 2)
