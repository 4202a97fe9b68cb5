"""Consent in force on a day, from a consent history: Unomi's semantics, checked at random."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import segwise as sw
from segwise.io.timestamps import AmbiguousDatesWarning
from segwise.privacy import consent_in_force

if TYPE_CHECKING:
    from collections.abc import Callable

START = dt.date(2026, 1, 1)
STATUSES = ("granted", "denied", "revoked")

change = st.tuples(
    st.integers(0, 3),  # customer
    st.sampled_from(["email", "profiling"]),
    st.sampled_from(STATUSES),
    st.integers(0, 60),  # day of the change
    st.integers(0, 23),  # hour
    st.one_of(st.none(), st.integers(0, 90)),  # day it expires
)


def reference(changes: list[tuple], purpose: str, on: dt.date) -> dict[str, bool]:
    """The rule written plainly: latest change by the end of ``on``; granted and unexpired."""
    end = dt.datetime.combine(on + dt.timedelta(days=1), dt.time())
    found: dict[str, bool] = {}
    for customer in {c[0] for c in changes}:
        mine = [c for c in changes if c[0] == customer and c[1] == purpose and c[3] < end]
        if not mine:
            continue
        latest = max(c[3] for c in mine)
        verdicts = [c[2] == "granted" and (c[4] is None or c[4] >= end)
                    for c in mine if c[3] == latest]  # fmt: skip
        found[str(customer)] = all(verdicts)
    return found


@settings(max_examples=150, deadline=None)
@given(st.lists(change, min_size=1, max_size=25), st.integers(0, 80))
def test_in_force_matches_the_plain_rule(changes: list[tuple], day: int) -> None:
    rows = [
        (customer, purpose, status, dt.datetime.combine(START + dt.timedelta(d), dt.time(h)),
         None if e is None else dt.datetime.combine(START + dt.timedelta(e), dt.time()))
        for customer, purpose, status, d, h, e in changes
    ]  # fmt: skip
    table = pl.DataFrame(
        {
            "customer_id": [str(r[0]) for r in rows],
            "purpose": [r[1] for r in rows],
            "status": [r[2] for r in rows],
            "timestamp": [r[3] for r in rows],
            "expires": [r[4] for r in rows],
        },
        schema_overrides={"expires": pl.Datetime("us")},
    )
    history = sw.read_consents(table).data
    on = START + dt.timedelta(day)
    for purpose in ("email", "profiling"):
        found = consent_in_force(history, purpose, on).collect().to_native()
        assert dict(found.iter_rows()) == reference(
            [(str(r[0]), *r[1:]) for r in rows], purpose, on
        )


def test_revoking_takes_effect_on_its_day_not_before() -> None:
    history = sw.read_consents(
        pl.DataFrame(
            {
                "customer_id": ["a", "a"],
                "purpose": ["email", "email"],
                "status": ["granted", "revoked"],
                "timestamp": ["2026-01-01 09:00:00", "2026-03-10 18:30:00"],
            }
        )
    ).data

    def granted(day: dt.date) -> bool:
        found = consent_in_force(history, "email", day).collect().to_native()
        return bool(found["granted"][0])

    assert granted(dt.date(2026, 3, 9)) and not granted(dt.date(2026, 3, 10))
    before = consent_in_force(history, "email", dt.date(2025, 12, 31)).collect().to_native()
    assert before.height == 0  # nothing given yet: no consent


def test_bad_consent_rows_are_quarantined_with_their_reason() -> None:
    table = pl.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d"],
            "purpose": ["email", None, "email", "sms"],
            "status": ["GRANTED ", "granted", "opt-in?", "granted"],
            "timestamp": ["2026-01-01"] * 4,
            "expires": ["2026-12-31", None, None, "next year"],
        }
    )
    found = sw.read_consents(table)
    excluded = found.quality().excluded
    assert (excluded["missing_purpose"], excluded["unknown_status"]) == (1, 1)
    assert excluded["unparseable_expiry"] == 1
    assert found.to_native()["status"].to_list() == ["granted"]


def test_grants_that_never_expire_hold_however_never_is_written(
    to_engine: Callable[[pl.DataFrame], Any],
) -> None:
    # 9999-12-31 in every row (how many CRMs write "never"), the word, a blank: the grants
    # were quarantined as unreadable expiries, and the customers taken as without consent.
    for nevers in (["9999-12-31"] * 3, ["never", "N/A", ""], ["9999-12-31", "2026-06-30", "-"]):
        table = pl.DataFrame(
            {
                "customer_id": ["a", "b", "c"],
                "purpose": ["email"] * 3,
                "status": ["granted"] * 3,
                "timestamp": ["2026-01-01"] * 3,
                "expires": nevers,
            }
        )
        consents = sw.read_consents(to_engine(table))
        assert consents.quality().excluded["unparseable_expiry"] == 0
        found = consent_in_force(consents.data, "email", dt.date(2026, 3, 1))
        held = nw.from_native(found).collect(backend="polars").to_native().sort("customer_id")
        assert held["granted"].to_list() == [True, True, True]
        later = consent_in_force(consents.data, "email", dt.date(2026, 7, 1))
        lapsed = nw.from_native(later).collect(backend="polars").to_native().sort("customer_id")
        assert lapsed["granted"].to_list() == [True, nevers[1] != "2026-06-30", True]


def test_expiries_written_month_first_are_read_month_first_past_the_sample() -> None:
    # The first 2,000 expiries (the sample) are 5 December: day-first read them as 12 May,
    # and those consents lapsed seven months early.
    expires = ["12/05/2026"] * 2_050 + ["12/20/2026"] * 50
    table = pl.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(len(expires))],
            "purpose": ["email"] * len(expires),
            "status": ["granted"] * len(expires),
            "timestamp": ["2026-01-01"] * len(expires),
            "expires": expires,
        }
    )
    found = sw.read_consents(table).to_native()
    assert found["expires"].dt.date().min() == dt.date(2026, 12, 5)
    assert found["expires"].dt.date().max() == dt.date(2026, 12, 20)
    with pytest.warns(AmbiguousDatesWarning, match="consent expiries, column 'expires'"):
        sw.read_consents(table.head(3))
