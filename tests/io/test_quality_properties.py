"""Property: over any messy CSV, rows read = used + quarantined, and each count is right."""

from __future__ import annotations

import csv
import math
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import segwise as sw

ids = st.one_of(st.just(""), st.from_regex(r"0{0,2}[1-9][0-9]{0,3}", fullmatch=True))
dates = st.one_of(
    st.just(""),
    st.sampled_from(["not a date", "2024-13-40 10:00:00", "2024-02-30 12:00:00"]),
    st.dates().map(lambda d: f"{d.year:04d}-{d.month:02d}-{d.day:02d} 12:00:00"),
)
amounts = st.one_of(
    st.just(""),
    st.sampled_from(["abc", "12,3,4", "nan"]),
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).map(lambda x: f"{x:.2f}"),
)
rows = st.lists(st.tuples(ids, dates, amounts), min_size=1, max_size=40)


def _is_date(text: str) -> bool:
    # A date in 1900-2099: an order in the year 23 is a misread, quarantined.
    return (
        len(text) == 19
        and text[4] == "-"
        and not text.startswith(("2024-13", "2024-02-30"))
        and 1900 <= int(text[:4]) <= 2099
    )


def _is_number(text: str) -> bool:
    try:
        value = float(text)
    except ValueError:
        return False
    return not math.isnan(value) and "," not in text


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=rows)
def test_rows_balance_and_reasons_match_an_oracle(rows: list[tuple[str, str, str]]) -> None:
    if not any(i and _is_date(d) and a and _is_number(a) for i, d, a in rows):
        rows = [*rows, ("1", "2024-01-01 12:00:00", "1.00")]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "messy.csv"
        with path.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["customer_id", "order_date", "amount"])
            writer.writerows(rows)
        report = sw.read_transactions(path).quality()
    assert report.rows_read == len(rows)
    assert report.rows_read == report.rows_used + report.rows_quarantined
    missing_id = sum(1 for i, _, _ in rows if not i)
    bad_date = sum(1 for i, d, _ in rows if i and d and not _is_date(d))
    no_date = sum(1 for i, d, _ in rows if i and not d)
    assert report.excluded["missing_customer_id"] == missing_id
    assert report.excluded["missing_timestamp"] == no_date
    assert report.excluded["unparseable_timestamp"] == bad_date
    usable = sum(1 for i, d, a in rows if i and _is_date(d) and a and _is_number(a))
    assert report.rows_used == usable
