"""Consent at the edge: whether a customer's consent column lets them be sent somewhere.

A consent column holds a yes/no flag (``true``, ``1``, ``yes``) or a status
(``granted``, ``denied``, ``revoked``). Only an explicit yes or ``granted``
counts; anything else, missing included, is no consent: a customer is sent
only when the data says they agreed. Dated statuses and expiries (consent
valid only if granted before the as-of date and not expired) come with the
consent source of the privacy work (issue 19).
"""

from __future__ import annotations

import narwhals.stable.v2 as nw

#: Values that mean yes, compared trimmed and lowercased.
GRANTED = ("true", "t", "yes", "y", "1", "granted", "opt-in", "opt_in", "opted_in", "subscribed")


def consented(column: str) -> nw.Expr:
    """TRUE where ``column`` grants consent, FALSE elsewhere (NULL included).

    Examples
    --------
    >>> import polars as pl
    >>> frame = nw.from_native(
    ...     pl.DataFrame({"ok": ["granted", " Yes", "revoked", None, "1", "false"]})
    ... )
    >>> frame.select(consented("ok"))["ok"].to_list()
    [True, True, False, False, True, False]
    """
    text = nw.col(column).cast(nw.String()).str.strip_chars().str.to_lowercase()
    return text.is_in(GRANTED).fill_null(value=False)
