"""Consent at the edge: whether a customer's consent column lets them be sent somewhere.

A consent column holds a yes/no flag (``true``, ``1``, ``yes``) or a status
(``granted``, ``denied``, ``revoked``). Only an explicit yes or ``granted``
counts; anything else, missing included, is no consent: a customer is sent
only when the data says they agreed. With a date column (when the status was
given) and an expiry column, consent is valid on a day only if granted, dated
on or before that day, and not expired by it (Apache Unomi's semantics); a
missing date is no proof of consent, a missing expiry never expires.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import narwhals.stable.v2 as nw

if TYPE_CHECKING:
    from datetime import date

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
