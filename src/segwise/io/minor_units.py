"""Amounts in a currency's smallest unit, as payment APIs write them: 1250 is 12.50 EUR.

Stripe's API (a charge, a payment intent, an invoice saved from a list response) writes
every amount as an integer count of cents, or of yen for a currency without decimals.
Read as written, each order would be a hundred times its size. Its records say what they
are (``"object": "charge"``), so such amounts are divided by their currency's unit before
anything else reads them, and the report says so. Square's and Adyen's money objects
(``"total_money": {"amount": 1250, "currency": "USD"}``, ``{"value": 1250, "currency":
"EUR"}``) hold an integer in the smallest unit beside its currency: the same. Shopify's
(``{"amount": "12.50", "currency_code": "EUR"}``) writes decimals, as text: left alone.
"""

from __future__ import annotations

from typing import Any

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
_MONEY_AMOUNTS = ("amount", "value")


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
    if fields and "object" in schema and _payment_objects(frame):
        code = pl.col("currency") if "currency" in schema else pl.lit(None, pl.String)
        frame = frame.with_columns((pl.col(f) / _unit(code)).alias(f) for f in fields)
    else:
        fields = []
    found: list[str] = []
    for name, dtype in schema.items():
        converted = _in_units(pl.col(name), name, dtype, found)
        if converted is not None:
            frame = frame.with_columns(converted.alias(name))
    shown = ", ".join([*fields, *found])
    if not shown:
        return frame, []
    note = (
        f"amounts ({shown}) written in the currency's smallest unit, as payment APIs write "
        "them (1250 = 12.50): divided by 100 (by 1 for JPY and other currencies without "
        "decimals)"
    )
    return frame, [note]


def _payment_objects(frame: pl.LazyFrame) -> bool:
    """Whether the first records say they are payment objects (``"object": "charge"``)."""
    objects = frame.select("object").head(_PEEK).collect()["object"].drop_nulls().to_list()
    return bool(objects) and set(objects) <= PAYMENT_OBJECTS


def _in_units(expr: pl.Expr, path: str, dtype: Any, found: list[str]) -> pl.Expr | None:
    """``expr`` (a struct) with every money object in it in currency units; None if none.

    A money object is a struct of one integer amount (``amount`` or ``value``) and a text
    ``currency``, at any depth; ``found`` gets the columns it will flatten to.
    """
    if not isinstance(dtype, pl.Struct):
        return None
    fields = {f.name: f.dtype for f in dtype.fields}
    amounts = [name for name in _MONEY_AMOUNTS if name in fields]
    if (
        len(amounts) == 1
        and fields[amounts[0]].is_integer()
        and fields.get("currency") == pl.String
    ):
        found.append(f"{path}_{amounts[0]}")
        divided = pl.field(amounts[0]) / _unit(pl.field("currency"))
        return expr.struct.with_fields(divided.alias(amounts[0]))
    inner = [
        converted.alias(name)
        for name, kind in fields.items()
        if (converted := _in_units(pl.field(name), f"{path}_{name}", kind, found)) is not None
    ]
    return expr.struct.with_fields(inner) if inner else None


def _unit(code: pl.Expr) -> pl.Expr:
    """How many of the currency's smallest unit make one (100 for cents)."""
    upper = code.str.to_uppercase()
    return (
        pl.when(upper.is_in(list(_NO_DECIMALS)))
        .then(1)
        .when(upper.is_in(list(_THREE_DECIMALS)))
        .then(1000)
        .otherwise(100)
    )
