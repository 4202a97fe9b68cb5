"""Consent: whether a customer's consent column, or their consent history, lets them be used.

A consent column holds a yes/no flag (``true``, ``1``, ``yes``) or a status
(``granted``, ``denied``, ``revoked``). Only an explicit yes or ``granted``
counts; anything else, missing included, is no consent: a customer is sent
only when the data says they agreed. With a date column (when the status was
given) and an expiry column, consent is valid on a day only if granted, dated
on or before that day, and not expired by it (Apache Unomi's semantics); a
missing date is no proof of consent, a missing expiry never expires.

A consent *history* (a ``consents`` source: one row per change, per purpose)
is read by :func:`consent_in_force`: on a day, the status of the latest change
dated on or before it holds, and it grants consent only if it is ``granted``
and has not expired by the end of that day.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import narwhals.stable.v2 as nw

#: Values that mean yes, compared trimmed and lowercased.
GRANTED = ("true", "t", "yes", "y", "1", "granted", "opt-in", "opt_in", "opted_in", "subscribed")


def consented(
    column: str, *, since: str | None = None, until: str | None = None, on: date | None = None
) -> nw.Expr:
    """TRUE where ``column`` grants consent, FALSE elsewhere (NULL included).

    ``since`` and ``until`` name date columns (typed as dates): the day the status
    was given and the day it expires; consent then counts ``on`` that day only if
    given on or before it and expiring after it.

    Examples
    --------
    >>> import polars as pl
    >>> frame = nw.from_native(
    ...     pl.DataFrame({"ok": ["granted", " Yes", "revoked", None, "1", "false"]})
    ... )
    >>> frame.select(consented("ok"))["ok"].to_list()
    [True, True, False, False, True, False]
    >>> import datetime as dt
    >>> dated = nw.from_native(pl.DataFrame({
    ...     "ok": ["granted"] * 4,
    ...     "given": [dt.date(2024, 1, 1), dt.date(2024, 9, 1), None, dt.date(2024, 1, 1)],
    ...     "ends": [None, None, None, dt.date(2024, 3, 1)],
    ... }))
    >>> dated.select(consented("ok", since="given", until="ends", on=dt.date(2024, 6, 1))
    ...     )["ok"].to_list()
    [True, False, False, False]
    """
    text = nw.col(column).cast(nw.String()).str.strip_chars().str.to_lowercase()
    valid = text.is_in(GRANTED)
    if (since is not None or until is not None) and on is None:
        raise ValueError("dated consent needs the day it is checked on: pass on=")
    if since is not None:
        valid = valid & (nw.col(since) <= nw.lit(on))
    if until is not None:
        valid = valid & (nw.col(until).is_null() | (nw.col(until) > nw.lit(on)))
    return valid.fill_null(value=False)


def consent_in_force(history: nw.LazyFrame[Any], purpose: str, on: date) -> nw.LazyFrame[Any]:
    """``customer_id, granted`` for each customer with a status for ``purpose`` on day ``on``.

    ``history`` has ``customer_id, timestamp, purpose, status`` and optionally
    ``expires`` (a :func:`segwise.read_consents` dataset's ``data``). The latest
    change dated on or before ``on`` holds; changes at the same instant that
    disagree count as not granted. A customer with no change for ``purpose`` by
    then is absent: no consent.

    Examples
    --------
    >>> import datetime as dt, polars as pl, segwise as sw
    >>> log = sw.read_consents(pl.DataFrame({
    ...     "customer_id": ["a", "a", "b", "c"], "purpose": ["email"] * 4,
    ...     "status": ["granted", "revoked", "granted", "granted"],
    ...     "timestamp": ["2026-01-02", "2026-03-01", "2026-01-05", "2026-01-05"],
    ...     "expires": [None, None, None, "2026-02-01"]})).data
    >>> def on(day):
    ...     found = consent_in_force(log, "email", day).collect().to_native().sort("customer_id")
    ...     return dict(found.iter_rows())
    >>> on(dt.date(2026, 1, 31))
    {'a': True, 'b': True, 'c': True}
    >>> on(dt.date(2026, 3, 1))
    {'a': False, 'b': True, 'c': False}
    """
    end = datetime.combine(on + timedelta(days=1), time())
    names = history.collect_schema().names()
    rows = history.filter((nw.col("purpose") == purpose) & (nw.col("timestamp") < nw.lit(end)))
    unexpired = nw.col("expires").is_null() | (nw.col("expires") >= nw.lit(end))
    granted = nw.col("status") == "granted"
    if "expires" in names:
        granted = granted & unexpired
    rows = rows.with_columns(granted.fill_null(value=False).cast(nw.Int8()).alias("__ok"))
    latest = rows.group_by("customer_id").agg(nw.col("timestamp").max().alias("__latest"))
    current = rows.join(latest, on="customer_id").filter(nw.col("timestamp") == nw.col("__latest"))
    held = current.group_by("customer_id").agg(nw.col("__ok").min())
    return held.select("customer_id", (nw.col("__ok") == 1).alias("granted"))
