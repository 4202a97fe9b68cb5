"""Further lines of an order whose amount is written on one of its lines only.

A shop's order export (Shopify's, for one) writes one row per line item and the
order's total on its first row; the order's other rows repeat its number, its
customer and its date, with the total left blank. Those rows hold no amount, but
nothing is missing: the order counts once, with the amount its first row holds.
They are told apart from rows that really lack an amount, so the quality report
does not call half of such a file bad.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw

if TYPE_CHECKING:
    from segwise.io.roles import ColumnRoles

ORDER_LINE = "__sw_order_line"
"""Internal flag column: the row is a further line of an order priced on another row."""

ORDER_LINE_REASON = "order_line_without_amount"


def flag_order_lines(frame: nw.LazyFrame[Any], roles: ColumnRoles) -> nw.LazyFrame[Any]:
    """Add :data:`ORDER_LINE`: no amount, but the row's order has one on another row.

    Only a transaction source with both an amount column and an order id column
    gets the flag (a window over the order id, so only the quality report and the
    quarantine compute it: for the rows used it changes nothing, since such a row
    has no amount either way).

    Examples
    --------
    >>> import polars as pl
    >>> from segwise.io.roles import ColumnRoles
    >>> rows = pl.LazyFrame({"order": ["#1", "#1", "#2"], "total": ["12.5", None, None]})
    >>> roles = ColumnRoles("transactions", {"order_id": "order", "amount": "total"})
    >>> flag_order_lines(nw.from_native(rows), roles).collect()[ORDER_LINE].to_list()
    [False, True, False]
    """
    amount, order = roles.get("amount"), roles.get("order_id")
    if roles.kind != "transactions" or amount is None or order is None:
        return frame
    # The window's result in its own column first (DESIGN.md §3.2).
    frame = frame.with_columns(nw.col(amount).count().over(order).alias(ORDER_LINE))
    line = nw.col(amount).is_null() & ~nw.col(order).is_null()
    return frame.with_columns((line & (nw.col(ORDER_LINE) > 0)).alias(ORDER_LINE))
