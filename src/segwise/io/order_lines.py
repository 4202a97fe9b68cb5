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

from segwise.io.order_status import VOID

if TYPE_CHECKING:
    from segwise.io.roles import ColumnRoles

ORDER_LINE = "__sw_order_line"
"""Internal flag column: the row is a further line of an order priced on another row."""

ORDER_LINE_REASON = "order_line_without_amount"

_VOID_ORDER = "__sw_void_order_any"


def flag_order_lines(frame: nw.LazyFrame[Any], roles: ColumnRoles) -> nw.LazyFrame[Any]:
    """Add :data:`ORDER_LINE`: no amount, but the row's order has one on another row.

    Only a transaction source with both an amount column and an order id column
    gets the flag (a window over the order id, so only the quality report and the
    quarantine compute it: for the rows used it changes nothing, since such a row
    has no amount either way). With an order status, a further line of a void order
    (:mod:`.order_status`) is void too: its flag goes to that reason's column.

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
    # The windows' results in their own columns first (DESIGN.md §3.2).
    frame = frame.with_columns(nw.col(amount).count().over(order).alias(ORDER_LINE))
    line = nw.col(amount).is_null() & ~nw.col(order).is_null()
    if roles.get("order_status") is None:
        return frame.with_columns((line & (nw.col(ORDER_LINE) > 0)).alias(ORDER_LINE))
    # A void order's status is on its first line too: its further lines are void as well.
    void_order = nw.col(VOID).cast(nw.Int8()).max().over(order).alias(_VOID_ORDER)
    frame = frame.with_columns(void_order)
    void = line & (nw.col(_VOID_ORDER) == 1)
    return frame.with_columns(
        (nw.col(VOID) | void).alias(VOID),
        (line & ~void & (nw.col(ORDER_LINE) > 0)).alias(ORDER_LINE),
    ).drop(_VOID_ORDER)
