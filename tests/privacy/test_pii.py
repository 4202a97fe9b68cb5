"""Columns that look personal are found by name, and named when undeclared."""

from __future__ import annotations

import pytest

from segwise.privacy.pii import personal_kind, undeclared


@pytest.mark.parametrize(
    ("column", "kind"),
    [
        ("email", "email"), ("E-Mail", "email"), ("contactEmail", "email"),
        ("phone_number", "phone"), ("MobilePhone", "phone"), ("tel", "phone"),
        ("birth_date", "birth date"), ("DOB", "birth date"),
        ("street_address", "address"), ("postal_code", "address"),
        ("first_name", "name"), ("LastName", "name"), ("surname", "name"),
        ("consent_email", None), ("email_opt_in", None), ("username", None),
        ("hotel", None), ("orders", None), ("product_name", None),
    ],
)  # fmt: skip
def test_personal_kind_reads_the_name(column: str, kind: str | None) -> None:
    assert personal_kind(column) == kind


def test_only_undeclared_personal_columns_are_named() -> None:
    columns = ["customer_id", "email", "phone", "first_name", "age"]
    assert undeclared(columns, ("email", "phone")) == ["first_name (name)"]
    assert undeclared(columns, ("email", "phone", "first_name")) == []
