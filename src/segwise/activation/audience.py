"""An audience's identifier columns, hashed for the platform that receives them.

Ad platforms take SHA-256 hashes of identifiers normalised by their own rules
(:mod:`segwise.privacy.identifiers`). Customer exports hold one distinct
email or phone per customer, so each column's *distinct* values are
normalised and hashed once (in Python: the normalisers are the platforms'
documented rules, and Polars has no SHA-256), then joined back in the engine.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Literal

import polars as pl

from segwise.exceptions import ConfigError
from segwise.privacy.identifiers import hash_identifier

if TYPE_CHECKING:
    from collections.abc import Sequence

    from segwise.privacy.identifiers import Kind, Platform

Hashing = Literal["meta", "google", "sha256"]
HASHINGS: tuple[str, ...] = ("meta", "google", "sha256")

#: Columns Google takes in clear beside the hashed identifiers (its documented fields).
GOOGLE_CLEAR = frozenset({"country", "country_code", "zip", "zip_code", "postal_code", "postcode"})
_FIRST_NAMES = ("first_name", "firstname", "fname", "given_name", "givenname", "forename")
_LAST_NAMES = ("last_name", "lastname", "lname", "surname", "family_name", "familyname")


def identifier_kind(column: str) -> Kind | None:
    """The kind of identifier a column holds, read from its name (``email``, ``mobile``…).

    Examples
    --------
    >>> identifier_kind("Email_Address"), identifier_kind("mobile_phone"), identifier_kind("age")
    ('email', 'phone', None)
    >>> identifier_kind("first_name"), identifier_kind("Surname"), identifier_kind("username")
    ('name', 'name', None)
    """
    name = column.lower()
    if "mail" in name:
        return "email"
    if name_part(column) is not None:
        return "name"
    if any(part in name for part in ("phone", "mobile", "msisdn", "tel")):
        return "phone"
    return None


def name_part(column: str) -> Literal["first", "last"] | None:
    """Whether a column holds first or last names, read from its name (``fname``, ``surname``)."""
    name = column.lower().replace("-", "_").replace(" ", "_")
    if any(part in name for part in _FIRST_NAMES):
        return "first"
    if any(part in name for part in _LAST_NAMES):
        return "last"
    return None


def platform_header(platform: Platform, column: str) -> str:
    """The platform's upload header for ``column`` (Meta ``email, phone, fn, ln``; Google's)."""
    kind = identifier_kind(column)
    if kind == "name":
        first = name_part(column) == "first"
        if platform == "meta":
            return "fn" if first else "ln"
        return "First Name" if first else "Last Name"
    if kind is None:  # Google's clear columns
        return {"country": "Country", "country_code": "Country"}.get(column.lower(), "Zip")
    return kind if platform == "meta" else kind.capitalize()


def hash_columns(
    frame: pl.DataFrame,
    columns: Sequence[str],
    hashing: Hashing,
    *,
    country: str | None = None,
    country_col: str | None = None,
) -> tuple[pl.DataFrame, dict[str, int]]:
    """``frame`` with ``columns`` hashed as ``hashing`` asks, and the values that could not be.

    ``meta`` and ``google`` normalise and hash email and phone columns (found by
    name) and refuse other columns they would have to receive in clear, except
    Google's country and postal code. ``sha256`` hashes every listed column's
    text as it is (a pseudonymous export). Phone numbers written without their
    country code are read in ``country_col``'s country (ISO codes), else in
    ``country``. Values that cannot be normalised become null; the second
    result counts them per column.

    Examples
    --------
    >>> frame = pl.DataFrame(
    ...     {"email": ["A@Example.com", "nope"], "phone": ["+44 7123 456789", None]}
    ... )
    >>> hashed, failed = hash_columns(frame, ["email", "phone"], "meta")
    >>> hashed["email"][0][:12], failed
    ('08168cd80dfd', {'email': 1, 'phone': 0})
    """
    if hashing not in HASHINGS:
        raise ConfigError(f"unknown hashing '{hashing}'", hint=f"use one of {', '.join(HASHINGS)}")
    failed: dict[str, int] = {}
    out = frame
    for column in columns:
        if hashing == "sha256":
            out = _replaced(out, column, [column], _sha256)
            continue
        kind = identifier_kind(column)
        if kind is None:
            if hashing == "google" and column.lower() in GOOGLE_CLEAR:
                continue
            raise ConfigError(
                f"column '{column}' is not an email, phone or name column; {hashing} matches "
                "on hashed emails, phone numbers and first and last names",
                hint="export only those columns (named like email, phone, first_name, "
                "last_name), or use --hash sha256",
            )
        keys = [column] + ([country_col] if kind == "phone" and country_col else [])
        before = out.height - out[column].null_count()

        def one(value: object, place: object = None, kind: Kind = kind) -> str | None:
            where = place if isinstance(place, str) and place else country
            return hash_identifier(value, kind, _platform(hashing), where)

        out = _replaced(out, column, keys, one)
        failed[column] = before - (out.height - out[column].null_count())
    return out, failed


def _platform(hashing: Hashing) -> Platform:
    return "google" if hashing == "google" else "meta"


def _sha256(value: object) -> str | None:
    return None if value is None else hashlib.sha256(str(value).encode("utf-8")).hexdigest()


def _replaced(frame: pl.DataFrame, column: str, keys: list[str], hashed: object) -> pl.DataFrame:
    """``column`` replaced by ``hashed(*keys)``, computed once per distinct key."""
    distinct = frame.select(keys).unique()
    values = [hashed(*row) for row in distinct.iter_rows()]  # type: ignore[operator]
    mapping = distinct.with_columns(pl.Series("__hashed", values, dtype=pl.String))
    joined = frame.join(mapping, on=keys, how="left", nulls_equal=True, maintain_order="left")
    return joined.with_columns(pl.col("__hashed").alias(column)).drop("__hashed")
