"""An order's status: the rows of orders that brought no money are not purchases.

Shop and payment exports (Shopify's ``Financial Status``, WooCommerce's ``Order
Status``, Stripe's ``Status``) keep cancelled, refunded, failed and voided orders
beside the paid ones, each with its full amount. Counted as purchases they would
add revenue nobody received and orders nobody made, so such rows are quarantined
as ``void_order``. Every other status (paid, pending, partially refunded, shipped,
one this list does not know) is kept: only a status that says "no money" excludes.
"""

from __future__ import annotations

from typing import Any

import narwhals.stable.v2 as nw

VOID_ORDER_REASON = "void_order"

VOID = "__sw_void_order"
"""Internal flag column: the row's order brought no money."""

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
