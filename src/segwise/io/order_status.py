"""An order's status: the rows of orders that brought no money are not purchases.

Shop and payment exports (Shopify's ``Financial Status``, WooCommerce's ``Order
Status``, Stripe's ``Status``) keep cancelled, refunded, failed and voided orders
beside the paid ones, each with its full amount. Counted as purchases they would
add revenue nobody received and orders nobody made, so such rows are quarantined
as ``void_order``. Every other status (paid, pending, partially refunded, shipped,
one this list does not know) is kept: only a status that says "no money" excludes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw

from segwise.engine import portable

if TYPE_CHECKING:
    from segwise.io.roles import ColumnRoles

VOID_ORDER_REASON = "void_order"

VOID = "__sw_void_order"
"""Internal flag column: the row's order brought no money."""

_ANY_VOID = "__sw_void_order_any"

#: Statuses, trimmed and lowercased, of an order that brought no money, in the languages
#: the column names are recognised in (with and without their accents).
VOID_STATUSES: frozenset[str] = frozenset(
    {
        *("cancelled", "canceled", "refunded", "fully refunded", "fully_refunded", "voided"),
        *("void", "failed", "payment failed", "payment_failed", "declined", "rejected"),
        *("reversed", "chargeback", "charged back", "charged_back"),
        # French
        *("annulé", "annulée", "annule", "annulee", "remboursé", "remboursée", "rembourse"),
        *("remboursee", "échoué", "échouée", "echoue", "echouee", "refusé", "refusée"),
        *("refuse", "refusee"),
        # German
        *("storniert", "abgebrochen", "erstattet", "rückerstattet", "ruckerstattet"),
        *("zurückerstattet", "zuruckerstattet", "fehlgeschlagen", "abgelehnt"),
        # Spanish, Portuguese
        *("cancelado", "cancelada", "anulado", "anulada", "reembolsado", "reembolsada"),
        *("fallido", "fallida", "rechazado", "rechazada", "falhou", "falhado", "recusado"),
        *("recusada", "estornado", "estornada"),
        # Italian
        *("annullato", "annullata", "cancellato", "cancellata", "rimborsato", "rimborsata"),
        *("fallito", "fallita", "rifiutato", "rifiutata"),
        # Dutch
        *("geannuleerd", "terugbetaald", "mislukt", "geweigerd"),
    }
)


def may_be_void(roles: ColumnRoles) -> bool:
    """Whether a row of the source can say its order brought no money (a status, a refund)."""
    return roles.get("order_status") is not None or roles.get("refunded_amount") is not None


def status_on_one_line(frame: nw.LazyFrame[Any], roles: ColumnRoles) -> bool:
    """Whether some row names its order but not its status (Shopify writes it once an order).

    Then every line of a void order is void (:func:`spread_void`); the search stops at the
    first such row.
    """
    status, order = roles.get("order_status"), roles.get("order_id")
    if status is None or order is None:
        return False
    blank = frame.filter(nw.col(status).is_null() & ~nw.col(order).is_null())
    return bool(portable.collect_one_row(blank.head(1).select(nw.len().alias("n")))["n"])


def spread_void(frame: nw.LazyFrame[Any], order: str) -> nw.LazyFrame[Any]:
    """Every line of an order one of whose lines is void is void (a window over the order).

    Examples
    --------
    >>> import polars as pl
    >>> rows = pl.LazyFrame({"order": ["#1", "#1", "#2", None], VOID: [True, False, False, False]})
    >>> spread_void(nw.from_native(rows), "order").collect()[VOID].to_list()
    [True, True, False, False]
    """
    # The window's result in its own column first (DESIGN.md §3.2).
    frame = frame.with_columns(nw.col(VOID).cast(nw.Int8()).max().over(order).alias(_ANY_VOID))
    spread = (nw.col(_ANY_VOID) == 1) & ~nw.col(order).is_null()
    return frame.with_columns((nw.col(VOID) | spread).alias(VOID)).drop(_ANY_VOID)


def is_void(column: str, dtype: Any) -> nw.Expr:
    """Whether ``column`` says the order brought no money (NULL statuses are not void).

    Examples
    --------
    >>> import polars as pl
    >>> rows = pl.DataFrame({"s": [" Refunded", "paid", "partially_refunded", None, "Storniert"]})
    >>> nw.from_native(rows).select(is_void("s", nw.String()).alias("v"))["v"].to_list()
    [True, False, False, False, True]
    """
    text = nw.col(column) if dtype == nw.String else nw.col(column).cast(nw.String())
    said = text.str.strip_chars().str.to_lowercase()
    return said.is_in(sorted(VOID_STATUSES)).fill_null(value=False)
