"""Audience columns hashed per platform: the same hashes as the scalar rules, once per value."""

from __future__ import annotations

import hashlib

import polars as pl
import pytest

from segwise.activation import hash_identifier
from segwise.activation.audience import hash_columns, identifier_kind, platform_header
from segwise.exceptions import ConfigError

AUDIENCE = pl.DataFrame(
    {
        "customer_id": ["1", "2", "3", "4", "5"],
        "email": ["Ann@Example.com", " ann@example.com", "bad", None, "b.o.b+x@gmail.com"],
        "phone": ["+44 7123 456789", "07123 456789", "(800)555-0100", None, "12"],
        "country": ["GB", "GB", "US", "US", "FR"],
    }
)


@pytest.mark.parametrize("platform", ["meta", "google"])
def test_each_value_hashes_as_the_scalar_rule_says(platform: str) -> None:
    hashed, failed = hash_columns(AUDIENCE, ["email", "phone"], platform, country_col="country")  # type: ignore[arg-type]
    for row, out in zip(AUDIENCE.iter_rows(named=True), hashed.iter_rows(named=True), strict=True):
        assert out["email"] == hash_identifier(row["email"], "email", platform)  # type: ignore[arg-type]
        assert out["phone"] == hash_identifier(row["phone"], "phone", platform, row["country"])  # type: ignore[arg-type]
    # Nulls stay null and are not failures; "bad" and "12" cannot be normalised.
    assert failed == {"email": 1, "phone": 1}
    assert hashed["email"][0] == hashed["email"][1]  # the same address, written twice
    assert hashed.columns == AUDIENCE.columns and hashed["customer_id"].equals(
        AUDIENCE["customer_id"]
    )


def test_phones_without_code_need_a_country() -> None:
    hashed, failed = hash_columns(AUDIENCE, ["phone"], "google")
    assert failed == {"phone": 3}  # national GB and US numbers, and "12"
    as_british, failed = hash_columns(AUDIENCE, ["phone"], "google", country="GB")
    assert failed == {"phone": 1}  # "12"
    assert as_british["phone"][1] == hashed["phone"][0]
    # The country decides whose number it is: (800)555-0100 is also a British freephone one.
    assert as_british["phone"][2] == hash_identifier("+448005550100", "phone", "google")


def test_google_takes_country_in_clear_and_meta_refuses_other_columns() -> None:
    hashed, _ = hash_columns(AUDIENCE, ["email", "country"], "google")
    assert hashed["country"].equals(AUDIENCE["country"])
    with pytest.raises(ConfigError, match="'country' is not an email, phone or name column"):
        hash_columns(AUDIENCE, ["email", "country"], "meta")


def test_names_are_hashed_and_headed_as_each_platform_takes_them() -> None:
    people = pl.DataFrame({"first_name": [" Mary-Ann"], "Surname": ["O'Neil"]})
    meta, failed = hash_columns(people, ["first_name", "Surname"], "meta")
    assert meta.row(0) == (hash_identifier("maryann", "name"), hash_identifier("oneil", "name"))
    assert failed == {"first_name": 0, "Surname": 0}
    headers = [platform_header(p, c) for p in ("meta", "google") for c in people.columns]
    assert headers == ["fn", "ln", "First Name", "Last Name"]
    assert [platform_header("google", c) for c in ("email", "phone", "country", "zip")] == [
        "Email", "Phone", "Country", "Zip",
    ]  # fmt: skip


def test_sha256_hashes_any_column_as_written() -> None:
    hashed, failed = hash_columns(AUDIENCE, ["customer_id", "country"], "sha256")
    assert hashed["customer_id"].to_list() == [
        hashlib.sha256(c.encode()).hexdigest() for c in AUDIENCE["customer_id"]
    ]
    assert hashed["country"][0] == hashlib.sha256(b"GB").hexdigest()
    assert failed == {}


def test_unknown_hashing_is_refused() -> None:
    with pytest.raises(ConfigError, match="unknown hashing 'md5'"):
        hash_columns(AUDIENCE, ["email"], "md5")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("column", "kind"),
    [("email", "email"), ("E_Mail", "email"), ("mobile", "phone"), ("phone_number", "phone"),
     ("tel", "phone"), ("country", None), ("age", None)],
)  # fmt: skip
def test_identifier_kind_from_the_column_name(column: str, kind: str | None) -> None:
    assert identifier_kind(column) == kind
