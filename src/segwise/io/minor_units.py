"""Amounts in a currency's smallest unit, as payment APIs write them: 1250 is 12.50 EUR.

Stripe's API (a charge, a payment intent, an invoice saved from a list response) writes
every amount as an integer count of cents, or of yen for a currency without decimals.
Read as written, each order would be a hundred times its size. Its records say what they
are (``"object": "charge"``), so such amounts are divided by their currency's unit before
anything else reads them, and the report says so.
"""

from __future__ import annotations

import polars as pl

#: Stripe's objects whose amounts are in the smallest unit.
PAYMENT_OBJECTS = frozenset(
    {"charge", "payment_intent", "invoice", "refund", "checkout.session", "balance_transaction"}
)
#: Their amount fields.
AMOUNT_FIELDS = (
    *("amount", "amount_captured", "amount_refunded", "amount_received", "amount_paid"),
    *("amount_due", "amount_remaining", "total", "subtotal", "tax", "total_excluding_tax"),
)
# ISO 4217 currencies with no minor unit, and with three decimals (Stripe's list).
_NO_DECIMALS = frozenset({
    "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV",
    "XAF", "XOF", "XPF",
})  # fmt: skip
_THREE_DECIMALS = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})
_PEEK = 200


def from_minor_units(frame: pl.LazyFrame) -> tuple[pl.LazyFrame, list[str]]:
    """``frame`` with a payment API's integer amounts in currency units, and the note.

    Unchanged (and no note) unless its records are payment objects with integer amounts.

    Examples
    --------
    >>> charges = pl.LazyFrame({"object": ["charge", "charge"], "amount": [1250, 500],
    ...                         "currency": ["eur", "jpy"]})
    >>> read, notes = from_minor_units(charges)
    >>> read.collect()["amount"].to_list()
    [12.5, 500.0]
    """
    schema = frame.collect_schema()
    fields = [f for f in AMOUNT_FIELDS if f in schema and schema[f].is_integer()]
    if "object" not in schema or not fields:
        return frame, []
    objects = set(frame.select("object").head(_PEEK).collect()["object"].drop_nulls().to_list())
    if not objects or not objects <= PAYMENT_OBJECTS:
        return frame, []
    code = pl.col("currency").str.to_uppercase() if "currency" in schema else pl.lit(None)
    unit = (
        pl.when(code.is_in(list(_NO_DECIMALS)))
        .then(1)
        .when(code.is_in(list(_THREE_DECIMALS)))
        .then(1000)
        .otherwise(100)
    )
    read = frame.with_columns((pl.col(f) / unit).alias(f) for f in fields)
    shown = ", ".join(fields)
    note = (
        f"amounts ({shown}) written in the currency's smallest unit, as payment APIs write "
        "them (1250 = 12.50): divided by 100 (by 1 for JPY and other currencies without "
        "decimals)"
    )
    return read, [note]
