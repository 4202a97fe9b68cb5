"""Columns that look personal, read from their names: email, phone, name, address, birth date.

A project declares its personal columns (``pii:`` on the customers source); a
column that looks personal but is not declared is said in the source's quality
report, so it is not profiled, stored or pseudonymised by accident of naming.
"""

from __future__ import annotations

import re

#: Name patterns per kind, matched on the lowercased name with separators as ``_``.
_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("email", re.compile(r"e_?mail")),
    ("phone", re.compile(r"phone|mobile|msisdn|(^|_)tel(_|$)|telephone")),
    ("birth date", re.compile(r"birth|(^|_)dob(_|$)|date_of_birth")),
    ("address", re.compile(r"address|street|(^|_)addr(_|$)|postcode|postal_code|zip_?code")),
    ("name", re.compile(r"(^|_)(first|last|full|given|family|sur)_?name(_|$)|^name$|^surname$")),
)


def personal_kind(column: str) -> str | None:
    """The kind of personal data a column's name suggests, or None.

    Examples
    --------
    >>> [personal_kind(c) for c in ("Email", "mobile_phone", "DateOfBirth", "zip", "last_name")]
    ['email', 'phone', 'birth date', None, 'name']
    >>> personal_kind("consent_email"), personal_kind("username"), personal_kind("store_name")
    (None, None, None)
    """
    name = re.sub(r"(?<=[a-z])(?=[A-Z])", "_", column).lower().replace("-", "_").replace(" ", "_")
    if "consent" in name or "opt_in" in name:
        return None  # a flag about an email, not one
    for kind, pattern in _KINDS:
        if pattern.search(name):
            return kind
    return None


def undeclared(columns: list[str], declared: tuple[str, ...] | list[str]) -> list[str]:
    """The columns that look personal and are not in ``declared``, with their kind."""
    return [f"{c} ({kind})" for c in columns if c not in declared and (kind := personal_kind(c))]
