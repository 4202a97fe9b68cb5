"""Identifiers normalised and hashed the way each ad platform matches them.

Ad platforms match audiences on SHA-256 hashes of normalised identifiers: a
hash of ``John@Example.com `` matches nobody. Each platform documents its own
rules, and they differ:

- **Meta** (Custom Audiences): email trimmed and lowercased; phone as digits
  only, country code first, no ``+`` and no leading zeros; first and last
  names lowercased with letters only (no spaces, hyphens, apostrophes or
  digits; accented letters kept, in UTF-8).
- **Google** (Customer Match): email trimmed and lowercased, and for
  ``gmail.com`` / ``googlemail.com`` the dots and any ``+suffix`` taken out
  of the part before the ``@``; phone in E.164, with the ``+``; names trimmed
  and lowercased.

Both hash to lowercase hexadecimal SHA-256. A value that cannot be normalised
(no ``@``, a phone number without a country code and no country to supply
one, a number outside the country's assigned ranges) gives None: sending it would
match nobody and leak a raw value. Phone numbers are read with
``phonenumbers`` (Google's libphonenumber), so national formats such as
``(800) 555-0100`` or ``07123 456789`` are understood given the country.

References
----------
Meta, "Customer list custom audiences: hashing and normalising data".
Google Ads, "Customer Match: formatting guidelines" and "Enhanced conversions:
normalise and hash user-provided data".
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Literal

import phonenumbers

Kind = Literal["email", "phone", "name"]
Platform = Literal["meta", "google"]

IDENTIFIER_KINDS: tuple[str, ...] = ("email", "phone", "name")
PLATFORMS: tuple[str, ...] = ("meta", "google")

#: Domains whose mailboxes ignore dots and ``+tags`` in the local part (Google's own).
_GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalize_identifier(
    value: object,
    kind: Kind = "email",
    platform: Platform = "meta",
    country: str | None = None,
) -> str | None:
    """``value`` normalised as ``platform`` matches ``kind`` identifiers, or None.

    Parameters
    ----------
    value
        The raw identifier (None, blanks and values that cannot be normalised give None).
    kind
        ``"email"``, ``"phone"`` or ``"name"`` (a first or a last name).
    platform
        ``"meta"`` or ``"google"``.
    country
        ISO 3166 two-letter country of a phone number written without its
        country code (``"US"``, ``"GB"``); ignored for numbers written with ``+``.
        Without it, Meta reads a plain run of digits as its own format (country
        code first), so a normalised Meta number normalises to itself.

    Examples
    --------
    >>> normalize_identifier("cloudy.sanfrancisco+shopping@gmail.com", "email", "google")
    'cloudysanfrancisco@gmail.com'
    >>> normalize_identifier(" John.Smith@Example.com ", "email", "meta")
    'john.smith@example.com'
    >>> normalize_identifier("(800)555-0100", "phone", "google", country="US")
    '+18005550100'
    >>> normalize_identifier("+44 7123 456789", "phone", "meta")
    '447123456789'
    >>> normalize_identifier("07123 456789", "phone", "meta") is None  # which country?
    True
    >>> normalize_identifier(" Mary-Ann O'Neil ", "name", "meta")
    'maryannoneil'
    >>> normalize_identifier("Valéry", "name", "meta")
    'valéry'
    >>> normalize_identifier(" Jo Ann ", "name", "google")
    'jo ann'
    """
    _check(kind, platform)
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    if kind == "email":
        return _email(text, platform)
    if kind == "name":
        return _name(text, platform)
    return _phone(text, platform, country)


def hash_identifier(
    value: object,
    kind: Kind = "email",
    platform: Platform = "meta",
    country: str | None = None,
) -> str | None:
    """SHA-256 (lowercase hex) of :func:`normalize_identifier`'s result, or None.

    Examples
    --------
    >>> hash_identifier("User.Name+NYC@Example.com", "email", "google") == hash_identifier(
    ...     "user.name+nyc@example.com", "email", "google")
    True
    >>> hash_identifier("not an email") is None
    True
    """
    normalized = normalize_identifier(value, kind, platform, country)
    if normalized is None:
        return None
    return hashlib.sha256(normalized.encode("utf-8")).hexdigest()


def _check(kind: str, platform: str) -> None:
    if kind not in IDENTIFIER_KINDS:
        raise ValueError(f"unknown identifier kind {kind!r}; use one of {IDENTIFIER_KINDS}")
    if platform not in PLATFORMS:
        raise ValueError(f"unknown platform {platform!r}; use one of {PLATFORMS}")


def _email(text: str, platform: str) -> str | None:
    email = text.lower()
    if platform == "google":
        email = "".join(email.split())  # Google: no whitespace anywhere
    if not _EMAIL.match(email):
        return None
    local, _, domain = email.rpartition("@")
    if platform == "google" and domain in _GMAIL_DOMAINS:
        local = local.split("+", 1)[0].replace(".", "")
        if not local:
            return None
    return f"{local}@{domain}"


def _name(text: str, platform: str) -> str | None:
    # NFC first: an "é" typed as e + accent must hash like the one-character "é".
    name = unicodedata.normalize("NFC", text).lower()
    if platform == "meta":
        name = "".join(c for c in name if unicodedata.category(c).startswith("L"))
    return name.strip() or None


def _phone(text: str, platform: str, country: str | None) -> str | None:
    region = country.strip().upper() if country and country.strip() else None
    if region is None and platform == "meta" and text.isdigit() and not text.startswith("0"):
        text = "+" + text  # Meta's own format: digits with the country code first
    if not text.startswith("+") and region is None:
        # Digits alone do not say which country: guessing would hash someone else's number.
        return None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    # Valid, not merely possible: only numbers in assigned ranges can match anyone, and
    # malformed ones (a national part of zeros) do not read back as they were written.
    if not phonenumbers.is_valid_number(number):
        return None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return e164 if platform == "google" else e164.lstrip("+")
