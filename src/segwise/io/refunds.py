"""An order's refunded amount: revenue is what the customer kept paying for.

Shop and payment exports keep a refunded order's full total and write the refund
beside it (Shopify's ``Refunded Amount``, Stripe's ``Amount Refunded``). The
amount read is the total less the refund; an order refunded in full brought no
money and is quarantined as ``void_order``, as a status that says "refunded" is
(:mod:`.order_status`). A refund is taken off the order's own amount, so it needs
an amount column: with quantity × price per line there is no order total to take
it from.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw

from segwise.io.money import parse_number

if TYPE_CHECKING:
    from segwise.io.money import NumberFormat

REFUNDED = "__sw_refunded"
"""Internal column: the refund read as a number (its size: some exports write it negative)."""

REFUNDED_IN_FULL = "__sw_refunded_in_full"
"""Internal flag column: a purchase whose refund is its whole amount, or more."""


def net_of_refunds(
    frame: nw.LazyFrame[Any], column: str, fmt: NumberFormat, amount: str
) -> nw.LazyFrame[Any]:
    """Read ``column`` as the refund, take it off ``amount`` and flag refunds in full.

    A blank refund is none; a return (a negative amount) is left as it is.

    Examples
    --------
    >>> import polars as pl
    >>> from segwise.io.money import NumberFormat
    >>> rows = pl.LazyFrame({"total": [90.0, 20.0, 15.0, -5.0], "refund": ["10", "20", None, "5"]})
    >>> out = net_of_refunds(nw.from_native(rows), "refund", NumberFormat(), "total").collect()
    >>> out["total"].to_list(), out[REFUNDED_IN_FULL].to_list()
    ([80.0, 0.0, 15.0, -5.0], [False, True, False, False])
    """
    frame = parse_number(frame, column, REFUNDED, fmt)
    refund, gross = nw.col(REFUNDED).abs().fill_null(0), nw.col(amount)
    purchase = (gross > 0).fill_null(value=False)
    return frame.with_columns(
        (purchase & (refund >= gross)).fill_null(value=False).alias(REFUNDED_IN_FULL),
        nw.when(purchase).then(gross - refund).otherwise(gross).alias(amount),
    )


def partly_refunded(amount: str) -> nw.Expr:
    """Purchases whose refund is part of their amount (counted in the quality report)."""
    refunded = (nw.col(REFUNDED).abs() > 0) & (nw.col(amount) > 0)
    return refunded.fill_null(value=False) & ~nw.col(REFUNDED_IN_FULL)
