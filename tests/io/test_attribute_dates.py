"""A customer table's dates: read as dates however written, and stand-ins for "no date" blank."""

from __future__ import annotations

import datetime as dt
import warnings
from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import segwise as sw
from segwise.io.attribute_dates import STAND_IN_DAYS, is_birth_date
from segwise.io.timestamps import AmbiguousDatesWarning

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

# A CRM export as HubSpot, Salesforce and a SQL Server back office write one: sign-up days,
# last logins with times, zoned creation times, birthdays day-first; "no date" written as
# 1900-01-01, Unix time 0, MySQL's zero date and N/A.
CRM = (
    "contact_id,signup_date,last_login,created,birth_date,phone,city\n"
    "c1,2023-02-14,2024-03-01 10:00:00,2023-02-14T09:30:00Z,23/04/1985,07700900123,Leeds\n"
    "c2,1900-01-01,2024-02-28 17:45:10,2022-11-30T23:00:00-0500,31/12/1969,07700900456,York\n"
    "c3,2021-07-01,1970-01-01 00:00:00,2021-07-01T08:00:00+0200,01/01/1900,07700900789,Hull\n"
    "c4,0000-00-00,N/A,,15/08/1990,,Bath\n"
)


def _crm(tmp_path: Path) -> sw.Dataset:
    path = tmp_path / "crm.csv"
    path.write_text(CRM)
    return sw.read_customers(path)


def test_dates_written_as_exports_write_them_are_dates(tmp_path: Path) -> None:
    people = _crm(tmp_path)
    schema = dict(people.data.collect_schema())
    assert schema["signup_date"] == nw.Date and schema["birth_date"] == nw.Date
    assert schema["last_login"] == nw.Datetime and schema["created"] == nw.Datetime
    # Phone numbers are digits, not Unix times; a city is text.
    assert schema["phone"] == nw.String and schema["city"] == nw.String
    rows = pl.DataFrame(people.to_native()).sort("customer_id")
    assert rows["last_login"][0] == dt.datetime(2024, 3, 1, 10)
    # Zoned times are their UTC instant, as an order's timestamp is.
    assert rows["created"].to_list()[:3] == [
        dt.datetime(2023, 2, 14, 9, 30),
        dt.datetime(2022, 12, 1, 4),
        dt.datetime(2021, 7, 1, 6),
    ]
    assert rows["phone"][0] == "07700900123"
    notes = " | ".join(people.notes)
    assert "column 'last_login' read as dates with the pattern %Y-%m-%d %H:%M:%S" in notes


def test_stand_ins_for_no_date_are_blank_and_counted_per_column(tmp_path: Path) -> None:
    people = _crm(tmp_path)
    rows = pl.DataFrame(people.to_native()).sort("customer_id")
    # 1900-01-01 and 0000-00-00 signed nobody up; Unix time 0 and N/A logged nobody in.
    assert rows["signup_date"].to_list() == [dt.date(2023, 2, 14), None, dt.date(2021, 7, 1), None]
    assert rows["last_login"].to_list()[2:] == [None, None]
    # A birthday on 31 December 1969 is a birthday; nobody alive was born on 1 Jan 1900.
    assert rows["birth_date"].to_list()[1:3] == [dt.date(1969, 12, 31), None]
    report = people.quality()
    assert report.checks["stand_in_dates"] == 5
    assert report.rows_used == 4  # blank dates, not quarantined customers
    assert (
        "column 'signup_date': 2 date(s) written for no date (1900-01-01, 1970-01-01, "
        "0000-00-00…): read as blank" in report.notes
    )


def test_days_since_and_tenure_leave_stand_ins_out(tmp_path: Path) -> None:
    people = _crm(tmp_path)
    features = sw.customer_features(customers=people, as_of="2024-03-31")
    table = pl.DataFrame(features).sort("customer_id")
    assert table["days_since_last_login"].to_list() == [30, 32, None, None]
    assert table["days_since_signup_date"].to_list()[:3] == [411, None, 1004]
    # Before: a sign-up "in 1900" made the longest customer of all (45,000 days).
    assert table["days_since_signup_date"].max() < 2_000


def test_typed_date_columns_get_the_same_blanks(to_engine: Callable[[pl.DataFrame], Any]) -> None:
    people = pl.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d"],
            "joined": [dt.date(2020, 5, 1), dt.date(1900, 1, 1), dt.date(1970, 1, 1), None],
            "dob": [dt.date(1970, 1, 1), dt.date(1988, 2, 2), dt.date(1, 1, 1), None],
            "last_seen": ["2024-01-02 03:04", "1969-12-31 19:00", None, "2024-02-29 00:00"],
        }
    )
    dataset = sw.read_customers(to_engine(people))
    rows = pl.DataFrame(nw.from_native(dataset.data).collect(backend="polars").to_native())
    rows = rows.sort("customer_id")
    assert rows["joined"].to_list() == [dt.date(2020, 5, 1), None, None, None]
    assert rows["dob"].to_list() == [dt.date(1970, 1, 1), dt.date(1988, 2, 2), None, None]
    assert rows["last_seen"].to_list() == [dt.datetime(2024, 1, 2, 3, 4), None, None,
                                           dt.datetime(2024, 2, 29)]  # fmt: skip
    assert dataset.quality().checks["stand_in_dates"] == 4


def test_orders_dated_on_a_stand_in_day_are_quarantined(
    to_engine: Callable[[pl.DataFrame], Any],
) -> None:
    orders = pl.DataFrame(
        {
            "customer_id": ["a", "a", "b", "c", "d"],
            "order_date": [
                dt.datetime(2024, 1, 5),
                dt.datetime(1970, 1, 1),
                dt.datetime(1900, 1, 1),
                dt.datetime(1969, 12, 31, 19),
                dt.datetime(1971, 1, 1),
            ],
            "amount": [10.0, 20.0, 30.0, 40.0, 50.0],
        }
    )
    report = sw.read_transactions(to_engine(orders)).quality()
    assert report.excluded["placeholder_timestamp"] == 3
    assert report.first_excluded_row["placeholder_timestamp"] == 2
    assert report.rows_used == 2 and report.first_timestamp == dt.datetime(1971, 1, 1)


def test_a_stand_in_timestamp_gets_a_located_line_when_every_row_has_one(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("customer_id,date,amount\na,1900-01-01,5\nb,1900-01-01,7\n")
    with pytest.raises(sw.DataError) as caught:
        sw.read_transactions(path).quality()
    message = str(caught.value)
    assert "1900-01-01" in message and "'date'" in message and "\n" not in message


def test_dates_that_read_both_ways_say_how_to_choose(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text("id,renewal\n" + "".join(f"p{i},0{1 + i % 9}/0{1 + i % 7}/2024\n"
                                            for i in range(40)))  # fmt: skip
    with pytest.warns(AmbiguousDatesWarning, match=r"set date_formats: \{renewal: '%m/%d/%Y'\}"):
        day_first = sw.read_customers(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        month_first = sw.read_customers(path, date_formats={"renewal": "%m/%d/%Y"})
    first = [d.data.select("renewal").head(1).collect().item() for d in (day_first, month_first)]
    assert first == [dt.date(2024, 1, 1), dt.date(2024, 1, 1)]
    second = [d.data.select("renewal").collect()["renewal"][1] for d in (day_first, month_first)]
    assert second == [dt.date(2024, 2, 2), dt.date(2024, 2, 2)]
    third = [d.data.select("renewal").collect()["renewal"][2] for d in (day_first, month_first)]
    assert third == [dt.date(2024, 3, 3), dt.date(2024, 3, 3)]
    ninth = [d.data.select("renewal").collect()["renewal"][8] for d in (day_first, month_first)]
    assert ninth == [dt.date(2024, 2, 9), dt.date(2024, 9, 2)]


def test_a_given_pattern_must_name_a_date_attribute(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text("id,renewal\np1,2024-01-05\n")
    with pytest.raises(sw.DataError, match="date_formats: column 'renwal' is not in the table"):
        sw.read_customers(path, date_formats={"renwal": "%Y-%m-%d"})
    with pytest.raises(sw.DataError, match="column 'id' is not a date attribute"):
        sw.read_customers(path, date_formats={"id": "%Y-%m-%d"})


def test_a_given_pattern_that_does_not_read_leaves_text_and_says_the_row(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text("id,renewal\np1,05/01/2024\np2,2024-01-06\n")
    people = sw.read_customers(path, date_formats={"renewal": "%d/%m/%Y"})
    assert people.data.collect_schema()["renewal"] == nw.String
    assert "column 'renewal' read as text: row 2 is not a date written %d/%m/%Y" in (
        " ".join(people.notes)
    )


def test_a_given_pattern_reads_a_number_column_and_is_noted_unused_on_a_date_column(
    to_engine: Callable[[pl.DataFrame], Any],
) -> None:
    # Both were ignored without a word: 20240103 stayed a number, the pattern unused.
    people = pl.DataFrame(
        {
            "customer_id": ["a", "b", "c"],
            "signup": [20240103, 20231215, None],
            "renewal": [dt.date(2025, 1, 3), None, dt.date(2024, 6, 1)],
        }
    )
    formats = {"signup": "%Y%m%d", "renewal": "%d/%m/%Y"}
    dataset = sw.read_customers(to_engine(people), date_formats=formats)
    rows = pl.DataFrame(nw.from_native(dataset.data).collect(backend="polars").to_native())
    rows = rows.sort("customer_id")
    assert rows["signup"].to_list() == [dt.date(2024, 1, 3), dt.date(2023, 12, 15), None]
    assert "column 'signup' read as dates with the pattern %Y%m%d" in dataset.notes
    assert (
        "column 'renewal' is typed as dates already: its date_formats pattern %d/%m/%Y is not used"
    ) in dataset.notes


def test_birth_dates_are_recognised_by_name() -> None:
    assert [is_birth_date(c) for c in ("dob", "Date of Birth", "geburtsdatum", "last_login")] == [
        True,
        True,
        True,
        False,
    ]


_PATTERNS = ("%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%Y-%m-%d %H:%M:%S", "%d %b %Y")


@settings(max_examples=25, deadline=None)
@given(
    days=st.lists(st.dates(dt.date(1900, 1, 1), dt.date(2099, 12, 31)), min_size=1, max_size=30),
    pattern=st.sampled_from(_PATTERNS),
)
def test_any_dates_in_any_pattern_read_back_with_stand_ins_blank(
    days: list[dt.date], pattern: str
) -> None:
    # Day 13 or later in the column settles which of day and month comes first.
    days = [*days, dt.date(2024, 12, 25)]
    frame = pl.DataFrame({"id": [f"c{i}" for i in range(len(days))],
                          "seen": [d.strftime(pattern) for d in days]})  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read = sw.read_customers(frame).data.collect().to_native()["seen"].to_list()
    wanted = [None if d in STAND_IN_DAYS else d for d in days]
    if "%H" in pattern:
        read = [None if r is None else r.date() for r in read]
    assert read == wanted
