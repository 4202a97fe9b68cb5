"""Retention periods: read as written, counted back in calendar days, weeks, months, years."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from segwise.privacy.retention import Period


@pytest.mark.parametrize(
    ("text", "day", "first"),
    [
        ("36 months", date(2026, 5, 31), date(2023, 5, 31)),
        ("1 month", date(2026, 3, 31), date(2026, 2, 28)),
        ("1 month", date(2024, 3, 30), date(2024, 2, 29)),
        ("2 years", date(2024, 2, 29), date(2022, 2, 28)),
        ("90 days", date(2026, 1, 1), date(2025, 10, 3)),
        (" 12 Weeks ", date(2026, 1, 1), date(2025, 10, 9)),
    ],
)
def test_periods_count_back_in_their_unit(text: str, day: date, first: date) -> None:
    assert Period.parse(text).start(day) == first


@pytest.mark.parametrize("text", ["soon", "0 days", "-3 months", "3 fortnights", "months", ""])
def test_what_is_not_a_period_is_refused_with_an_example(text: str) -> None:
    with pytest.raises(ValueError, match=r"e\.g\. 36 months"):
        Period.parse(text)


@given(
    st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)),
    st.integers(min_value=1, max_value=600),
)
def test_a_longer_period_never_starts_later_and_months_stay_within_a_month(
    day: date, months: int
) -> None:
    shorter, longer = Period(months, "months").start(day), Period(months + 1, "months").start(day)
    assert longer < shorter < day
    # Counting back N months lands in the calendar month N before, on the same day or its end.
    assert (day.year * 12 + day.month) - (shorter.year * 12 + shorter.month) == months
    assert shorter.day == day.day or (shorter + timedelta(days=1)).day == 1
    assert Period(months * 12, "months").start(day) == Period(months, "years").start(day)
    assert str(Period.parse(str(Period(months, "months")))) == str(Period(months, "months"))
