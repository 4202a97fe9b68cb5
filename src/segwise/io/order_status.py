"""An order's status: the rows of orders that brought no money are not purchases.

Shop and payment exports (Shopify's ``Financial Status``, WooCommerce's ``Order
Status``, Stripe's ``Status``) keep cancelled, refunded, failed and voided orders
beside the paid ones, each with its full amount. Counted as purchases they would
add revenue nobody received and orders nobody made, so such rows are quarantined
as ``void_order``. Every other status (paid, pending, partially refunded, shipped,
one this list does not know) is kept: only a status that says "no money" excludes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw

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


#: Distinct statuses beyond which the column is tested row by row (free text, not a list).
_MOST_VALUES = 1_000


@dataclass(frozen=True)
class Statuses:
    """What an order status column holds, read once when the source is opened.

    ``void`` holds the statuses, as written, that say an order brought no money: the rows
    are then tested against them, never trimmed one by one (None: too many distinct values
    to list; each row is read). ``spread``: some row has no status while an order id is
    read, as where the status is on an order's first line only (Shopify), so every line of
    a void order is void (:func:`spread_void`).

    Examples
    --------
    >>> import polars as pl
    >>> from segwise.io.roles import ColumnRoles
    >>> rows = pl.LazyFrame({"o": ["1", "1", "2"], "s": [" Refunded", None, "paid"]})
    >>> roles = ColumnRoles("transactions", {"order_id": "o", "order_status": "s"})
    >>> Statuses.of(nw.from_native(rows), roles)
    Statuses(void=(' Refunded',), spread=True)
    """

    void: tuple[Any, ...] | None = ()
    spread: bool = False

    @classmethod
    def of(cls, frame: nw.LazyFrame[Any], roles: ColumnRoles) -> Statuses:
        """Read them: one group-by over the status column (nothing without one)."""
        if (status := roles.get("order_status")) is None:
            return cls()
        found = frame.group_by(status).agg(nw.len().alias("__n")).collect(backend="polars")
        written = found.to_native()[status].to_list()
        blank = any(w is None or not str(w).strip() for w in written)  # "" from a typed file
        spread = blank and roles.get("order_id") is not None
        if len(written) > _MOST_VALUES:
            return cls(None, spread)
        void = [w for w in written if w is not None and str(w).strip().lower() in VOID_STATUSES]
        return cls(tuple(sorted(void, key=str)), spread)

    def test(self, column: str, dtype: Any) -> nw.Expr:
        """Whether the row's status says its order brought no money."""
        if self.void is None:
            return is_void(column, dtype)
        if not self.void:
            return nw.lit(value=False)
        return nw.col(column).is_in(list(self.void)).fill_null(value=False)


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
