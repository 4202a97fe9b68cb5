"""The customer table's dates as numbers, as of a date: tenure from joining, days since the rest.

A CRM export says when each customer joined (signed up) and when they last did
things (logged in, renewed). Rules, clusters and cards read numbers, so each
date becomes days before the as-of date: the joining date ``tenure_days``
(``sources.customers.joined``), every other date ``days_since_<column>``. A
date after the as-of date had not happened then, and gives NULL.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw

from segwise._validation import hint_for
from segwise.engine import portable
from segwise.exceptions import ConfigError

if TYPE_CHECKING:
    from datetime import date

#: The joining date's tenure beside the first purchase's, until the earlier is kept.
JOINED_TENURE = "__sw_tenure_joined"


def date_features(
    people: nw.LazyFrame[Any], end: date, *, joined: str | None, with_orders: bool
) -> list[nw.LazyFrame[Any]]:
    """The parts (``customer_id`` and days) the customer table's dates add to the features.

    With orders the joining date's tenure comes as :data:`JOINED_TENURE`, for
    :func:`customer_since_earlier` to weigh against the first purchase.

    Examples
    --------
    >>> import datetime as dt, polars as pl
    >>> people = nw.from_native(pl.LazyFrame({"customer_id": ["a"],
    ...     "signed_up": [dt.date(2024, 1, 1)], "last_login": [dt.date(2024, 1, 20)]}))
    >>> [p.collect().rows() for p in date_features(people, dt.date(2024, 1, 31),
    ...                                              joined="signed_up", with_orders=False)]
    [[('a', 11)], [('a', 30)]]
    """
    parts = []
    since = _days_since_dates(people, end, skip=joined)
    if since is not None:
        parts.append(since)
    if joined is not None:
        tenure = _tenure_from(people, joined, end)
        parts.append(tenure.rename({"tenure_days": JOINED_TENURE}) if with_orders else tenure)
    return parts


def _tenure_from(people: nw.LazyFrame[Any], joined: str, end: date) -> nw.LazyFrame[Any]:
    """``customer_id, tenure_days``: days from each customer's joining date to ``end``.

    A joining date after ``end`` (not yet a customer then) gives no tenure.
    """
    schema = people.collect_schema()
    if joined not in schema:
        raise ConfigError(
            f"sources.customers.joined: no column '{joined}' in the customer table",
            hint=hint_for(joined, list(schema.names())),
        )
    if not isinstance(schema[joined], nw.Date | nw.Datetime):
        raise ConfigError(
            f"sources.customers.joined: column '{joined}' is {schema[joined]}, not a date",
            hint="write its dates as YYYY-MM-DD (a CSV), or name the date column",
        )
    dated = people.select(
        "customer_id",
        nw.col(joined).cast(nw.Date).alias("__sw_joined"),
        nw.lit(end).alias("__sw_end"),
    )
    days = portable.add_days_between(dated, "__sw_end", "__sw_joined", "tenure_days")
    tenure = nw.when(nw.col("tenure_days") >= 0).then(nw.col("tenure_days"))
    return days.select("customer_id", tenure.alias("tenure_days"))


def _days_since_dates(
    people: nw.LazyFrame[Any], end: date, *, skip: str | None
) -> nw.LazyFrame[Any] | None:
    """``customer_id, days_since_<date>…``: the customer table's dates as days before ``end``.

    Profiles and rules read numbers: a last-login date is "last login 6 weeks ago". The
    joining date is ``tenure_days`` already; a date after ``end`` had not happened then.
    """
    schema = people.collect_schema()
    dated = [
        name
        for name, dtype in schema.items()
        if isinstance(dtype, nw.Date | nw.Datetime)
        and name not in {"customer_id", skip}
        and f"days_since_{name}" not in schema
    ]
    if not dated:
        return None
    frame = people.select(
        "customer_id",
        nw.lit(end).alias("__sw_end"),
        *(nw.col(n).cast(nw.Date).alias(f"__sw_date_{i}") for i, n in enumerate(dated)),
    )
    for i, name in enumerate(dated):
        frame = portable.add_days_between(frame, "__sw_end", f"__sw_date_{i}", f"days_since_{name}")
    since = [f"days_since_{n}" for n in dated]
    kept = (nw.when(nw.col(c) >= 0).then(nw.col(c)).alias(c) for c in since)
    return frame.select("customer_id", *kept)


def customer_since_earlier(table: nw.LazyFrame[Any]) -> nw.LazyFrame[Any]:
    """``tenure_days`` from the earlier of the joining date and the first purchase.

    A sign-up who never bought is a customer from joining; one whose orders predate
    the recorded sign-up (a migrated CRM) has been one since buying.
    """
    bought, joined = nw.col("tenure_days"), nw.col(JOINED_TENURE)
    longer = nw.when(bought.is_null() | (joined > bought)).then(joined).otherwise(bought)
    return table.with_columns(longer.alias("tenure_days")).drop(JOINED_TENURE)
