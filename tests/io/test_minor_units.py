"""A payment API's amounts in cents: 1250 is 12.50, never 1,250."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import polars as pl
import pytest

import segwise as sw
from segwise.io.minor_units import from_minor_units

if TYPE_CHECKING:
    from pathlib import Path


def _charge(i: int, amount: int, **changes: object) -> dict[str, object]:
    charge: dict[str, object] = {
        "id": f"ch_{i}",
        "object": "charge",
        "amount": amount,
        "amount_captured": amount,
        "amount_refunded": 0,
        "created": 1704067200 + i * 86_400,
        "currency": "eur",
        "customer": f"cus_{i % 3}",
        "status": "succeeded",
        "billing_details": {"email": f"c{i % 3}@example.com"},
    }
    return charge | changes


def test_a_saved_stripe_list_of_charges_is_read_in_euros(tmp_path: Path) -> None:
    charges = [_charge(i, 1000 + 250 * i) for i in range(6)] + [
        _charge(6, 999, status="failed"),
        _charge(7, 4000, amount_refunded=1500),  # partly refunded: 25.00 came in
        _charge(8, 5000, currency="jpy"),  # another currency: not summed with euros
    ]
    path = tmp_path / "charges.json"
    path.write_text(json.dumps({"object": "list", "data": charges, "has_more": False}))
    orders = sw.read_transactions(path)
    assert orders.currency == "EUR"
    report = orders.quality()
    assert report.rows_used == 7
    assert report.total_amount == pytest.approx(sum(10 + 2.5 * i for i in range(6)) + 25.0)
    assert {k: v for k, v in report.excluded.items() if v} == {
        "void_order": 1,
        "other_currency": 1,
    }
    assert any("smallest unit" in note and "divided by 100" in note for note in report.notes)


def test_currencies_without_decimals_and_with_three_keep_their_unit() -> None:
    charges = pl.LazyFrame(
        {
            "object": ["charge", "charge", "charge"],
            "amount": [1250, 1250, 1250],
            "currency": ["usd", "krw", "kwd"],
        }
    )
    read, notes = from_minor_units(charges)
    assert read.collect()["amount"].to_list() == [12.5, 1250.0, 1.25]
    assert notes


@pytest.mark.parametrize(
    "records",
    [
        [{"object": "order", "amount": 1250}],  # not a payment object
        [{"object": "charge", "amount": 12.5}],  # already in units
        [{"amount": 1250}],  # says nothing of what it is
    ],
)
def test_other_records_keep_their_amounts(records: list[dict[str, object]]) -> None:
    frame = pl.LazyFrame(records)
    read, notes = from_minor_units(frame)
    assert read.collect().equals(frame.collect())
    assert notes == []


def test_square_and_adyen_money_objects_are_read_in_units(tmp_path: Path) -> None:
    # Square: {"amount_money": {"amount": 1250, "currency": "USD"}}, nested one level down too.
    payments = [
        {
            "id": f"p{i}",
            "created_at": f"2024-01-{1 + i:02d}T10:00:00Z",
            "customer_id": f"C{i % 2}",
            "amount_money": {"amount": 1000 + 500 * i, "currency": "USD"},
            "risk": {"level": "NORMAL"},
        }
        for i in range(4)
    ]
    path = tmp_path / "payments.json"
    path.write_text(json.dumps({"payments": payments}))
    orders = sw.read_transactions(path)
    assert orders.roles.columns["amount"] == "amount_money_amount"
    assert orders.currency == "USD"
    report = orders.quality()
    assert report.total_amount == pytest.approx(sum(10 + 5 * i for i in range(4)))
    assert any("amount_money_amount" in note for note in report.notes)
    nested = pl.LazyFrame({"payment": [{"amount": {"value": 1250, "currency": "EUR"}, "psp": "x"}]})
    read, notes = from_minor_units(nested)
    assert read.collect()["payment"].to_list() == [
        {"amount": {"value": 12.5, "currency": "EUR"}, "psp": "x"}
    ]
    assert notes and "payment_amount_value" in notes[0]
    # Shopify's money sets write decimals, as text: left as they are.
    shopify = pl.LazyFrame({"price_set": [{"amount": "12.50", "currency_code": "EUR"}]})
    assert from_minor_units(shopify)[1] == []
