"""Column roles: which source column is the customer id, the timestamp, the amount, ...

Roles are given explicitly (keyword arguments, CLI options, the project file)
or recognised from common names. Names are compared without case, spaces or
punctuation, so ``Customer ID``, ``customer_id`` and ``CustomerID`` all match; a name
with a unit in brackets (``Amount (EUR)``) matches by the name before it, and a nested
field (``properties_distinct_id``) by its own name, where no column has the plain name.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from segwise._validation import did_you_mean, hint_for
from segwise.exceptions import ColumnNotFoundError
from segwise.io.csv import CANDIDATE_DELIMITERS
from segwise.io.header_units import split_unit
from segwise.io.role_names import ACCOUNT_ALIASES, CRM_RECORD_IDS, EMAIL_NAMES, ROLE_ALIASES

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from segwise._typing import InputKind

#: Roles read as text from CSV and Excel, so they are parsed (or kept) as written.
TEXT_ROLES: tuple[str, ...] = tuple(r for r in ROLE_ALIASES if r not in {"category", "channel"})

#: How each role is named on the command line and in Python, for hints.
ROLE_OPTIONS: dict[str, tuple[str, str]] = {
    "customer_id": ("--customer-col", "customer_id"),
    "timestamp": ("--date-col", "timestamp"),
    "amount": ("--amount-col", "amount"),
    "quantity": ("--quantity-col", "quantity"),
    "unit_price": ("--price-col", "unit_price"),
    "order_id": ("--order-col", "order_id"),
    "product": ("--product-col", "product"),
    "category": ("--category-col", "category"),
    "channel": ("--channel-col", "channel"),
    "order_status": ("--status-col", "order_status"),
    "currency_column": ("--currency-col", "currency_column"),
    "refunded_amount": ("--refund-col", "refunded_amount"),
    "event": ("--event-col", "event"),
    "question": ("--question-col", "question"),
    "answer": ("--answer-col", "answer"),
    # Exposures and outcomes are read from the project file only.
    "experiment": ("experiment: in the project file", "experiment"),
    "variant": ("variant: in the project file", "variant"),
    "metric": ("metric: in the project file", "metric"),
    "value": ("value: in the project file", "value"),
    # Consents too.
    "purpose": ("purpose: in the project file", "purpose"),
    "status": ("status: in the project file", "status"),
    "expires": ("expires: in the project file", "expires"),
}

ROLES_BY_KIND: dict[str, tuple[str, ...]] = {
    "transactions": (
        "customer_id",
        "timestamp",
        "amount",
        "quantity",
        "unit_price",
        "order_id",
        "product",
        "category",
        "channel",
        "order_status",
        "currency_column",
        "refunded_amount",
    ),
    "customers": ("customer_id",),
    "events": ("customer_id", "timestamp", "event"),
    "responses": ("customer_id", "question", "answer"),
    "accounts": ("customer_id",),
    "exposures": ("customer_id", "timestamp", "experiment", "variant"),
    "outcomes": ("customer_id", "timestamp", "metric", "value"),
    "consents": ("customer_id", "timestamp", "purpose", "status", "expires"),
}

_REQUIRED: dict[str, tuple[str, ...]] = {
    "transactions": ("customer_id", "timestamp"),
    "customers": ("customer_id",),
    "events": ("customer_id", "timestamp", "event"),
    "responses": ("customer_id", "question", "answer"),
    "accounts": ("customer_id",),
    "exposures": ("customer_id", "timestamp", "experiment", "variant"),
    "outcomes": ("customer_id", "timestamp", "metric", "value"),
    "consents": ("customer_id", "timestamp", "purpose", "status"),
}

_ROLE_WORDS = {
    "customer_id": "customer id",
    "timestamp": "timestamp (date)",
    "amount": "amount",
    "event": "event name",
    "question": "question",
    "answer": "answer",
    "experiment": "experiment",
    "variant": "variant",
    "metric": "metric name",
    "value": "value",
    "purpose": "consent purpose",
    "status": "consent status",
    "expires": "expiry date",
}


def find_role(
    kind: str, role: str, columns: Sequence[str], fields: Mapping[str, str] | None = None
) -> str | None:
    """The column that ``role`` is recognised in by its name, or None (see :func:`detect_roles`)."""
    return _find(kind, role, columns, set(), fields or {})


def name_key(name: str) -> str:
    """A column name as roles compare it: lower case, letters and digits only, no accents.

    Examples
    --------
    >>> name_key("Submitted At"), name_key("Quantité")
    ('submittedat', 'quantite')
    """
    return _key(name)


def _key(name: str) -> str:
    # Accents go too: "Quantité", "Menge (Stück)" and a plain-ASCII export's "Quantite" agree.
    decomposed = unicodedata.normalize("NFKD", name.lower())
    return "".join(ch for ch in decomposed if ch.isalnum() and not unicodedata.combining(ch))


class NamedColumnMissingError(ColumnNotFoundError):
    """A column named for a role is not in the data (one recognised by name may be)."""

    def among_several(self) -> NamedColumnMissingError:
        """The error for one of several files read as one, which may name it differently.

        "Did you mean" alone would fix this file and break the others.
        """
        return NamedColumnMissingError(
            self.message.removeprefix(f"{self.source}: "),
            hint=f"{self.hint or ''} If the files name it differently, leave the role "
            "unnamed: each file's column is then recognised by its name".strip(),
            source=self.source,
        )


@dataclass(frozen=True)
class ColumnRoles:
    """The source column behind each role, for one input.

    Attributes
    ----------
    kind
        ``transactions``, ``customers`` or ``events``.
    columns
        Role name to source column name, for every role present.
    pii
        Columns holding personal identifiers (emails, phones), for customers.

    Examples
    --------
    >>> roles = detect_roles("transactions", ["CustomerID", "InvoiceDate", "Quantity", "UnitPrice"])
    >>> roles.columns["customer_id"], roles.amount_is_computed
    ('CustomerID', True)
    """

    kind: InputKind
    columns: Mapping[str, str]
    pii: tuple[str, ...] = field(default=())

    @property
    def amount_is_computed(self) -> bool:
        """Whether the amount is quantity × unit price rather than a column of its own."""
        return "amount" not in self.columns and {"quantity", "unit_price"} <= set(self.columns)

    def get(self, role: str) -> str | None:
        """Return the source column for ``role``, or None."""
        return self.columns.get(role)


def _find(
    kind: str, role: str, columns: Sequence[str], taken: set[str], fields: Mapping[str, str]
) -> str | None:
    by_key: dict[str, str] = {}
    for column in columns:
        by_key.setdefault(_key(column), column)
    aliases = ROLE_ALIASES[role]
    if kind == "accounts" and role == "customer_id":
        aliases = ACCOUNT_ALIASES
    if kind == "customers" and role == "customer_id":
        # A bare "id", and a CRM's "Record ID" (HubSpot's) or "Profile ID" (Klaviyo's), is
        # the customer only in a customer table: elsewhere it numbers the rows.
        aliases = (*aliases, "id", *CRM_RECORD_IDS)
    for alias in aliases:
        match = by_key.get(_key(alias))
        if match is not None and match not in taken:
            return match
    # Then by a column's own name ("Amount (EUR)", a nested "properties_distinct_id"): only
    # where one column has it, as "Amount (EUR)" beside "Amount (USD)" is the user's choice.
    matches = _by_own_name(aliases, columns, taken, fields)
    return matches[0] if len(matches) == 1 else None


def _by_own_name(
    aliases: Sequence[str],
    columns: Sequence[str],
    taken: set[str],
    fields: Mapping[str, str],
) -> list[str]:
    """The columns whose own name is like the first alias that has any.

    A column's own name is its name without a bracketed unit, or a nested field's name.
    """
    by_base: dict[str, list[str]] = {}
    for column in columns:
        base = split_unit(fields.get(column, column))[0]
        if base != column and column not in taken:
            by_base.setdefault(_key(base), []).append(column)
    return next((found for a in aliases if (found := by_base.get(_key(a)))), [])


def _delimiter_hint(columns: Sequence[str]) -> str | None:
    if len(columns) != 1:
        return None
    for delimiter in CANDIDATE_DELIMITERS:
        if delimiter in columns[0]:
            shown = "\\t" if delimiter == "\t" else delimiter
            return (
                f"the header was read as one column; the file looks '{shown}'-separated: "
                f"pass --delimiter '{shown}' (delimiter= in Python)"
            )
    return None


def _missing(
    role: str,
    columns: Sequence[str],
    source: str,
    kind: str = "transactions",
    fields: Mapping[str, str] | None = None,
) -> ColumnNotFoundError:
    cli, python = ROLE_OPTIONS[role]
    words, aliases = _ROLE_WORDS.get(role, role), ROLE_ALIASES[role]
    if kind == "accounts":  # the accounts table's id is the account's
        words, aliases = "account id", ACCOUNT_ALIASES
    delimiter_hint = _delimiter_hint(columns)
    if delimiter_hint:
        return ColumnNotFoundError(f"no {words} column found", hint=delimiter_hint, source=source)
    if len(units := _by_own_name(aliases, columns, set(), fields or {})) > 1:
        return ColumnNotFoundError(
            f"{len(units)} columns could be the {words}: {', '.join(map(repr, units))}",
            hint=f"name the one to read with {cli} ({python}= in Python)",
            source=source,
        )
    close = units or [c for alias in aliases[:3] for c in did_you_mean(alias, columns, n=1)]
    shown = ", ".join(f"'{c}'" for c in dict.fromkeys(close)) if close else None
    looked = ", ".join(aliases[:4])
    hint = f"name it with {cli} ({python}= in Python)"
    if kind == "accounts":
        hint = "name it with account_id: in the project file (account_id= in Python)"
    email = _email_column(columns) if role == "customer_id" and kind != "accounts" else None
    if email is not None and not shown:
        # A shop's order export (Shopify's) knows its customers by e-mail alone.
        hint += f"; an export without ids may know them by e-mail: {cli} '{email}'"
    hint += (
        f"; did you mean {shown}?"
        if shown
        else f"; the columns are {', '.join(map(repr, columns[:12]))}"
    )
    return ColumnNotFoundError(
        f"no {words} column found (looked for names like {looked})",
        hint=hint,
        source=source,
    )


def _email_column(columns: Sequence[str]) -> str | None:
    by_key = {_key(column): column for column in reversed(columns)}
    return next((by_key[k] for k in map(_key, EMAIL_NAMES) if k in by_key), None)


def _pair_currency(found: dict[str, str], named: Mapping[str, str], columns: Sequence[str]) -> None:
    """A named ``Converted Amount`` is in ``Converted Currency``, not in the ``Currency`` found."""
    amount = found.get("amount")
    if amount is None or "amount" not in named or "currency_column" in named:
        return
    key = _key(amount)
    if "amount" not in key or key == "amount":
        return
    partner = {_key(c): c for c in columns}.get(key.replace("amount", "currency"))
    if partner is not None:
        found["currency_column"] = partner
    else:
        found.pop("currency_column", None)


def _refunds_need_an_amount(found: dict[str, str], named: Mapping[str, str], source: str) -> None:
    """A refund comes off an order's amount: with quantity × price per line there is none."""
    if "refunded_amount" not in found or "amount" in found:
        return
    if "refunded_amount" not in named:
        del found["refunded_amount"]  # recognised by its name only: not read
        return
    raise ColumnNotFoundError(
        f"the refunded amount '{found['refunded_amount']}' is taken off an order's amount, and "
        "this source's amount is quantity × unit price per line",
        hint="name the order's amount column too (--amount-col, amount= in Python), or leave "
        "the refunds out",
        source=source,
    )


def _require_amount(
    found: Mapping[str, str], columns: Sequence[str], source: str, fields: Mapping[str, str]
) -> None:
    if "amount" in found or {"quantity", "unit_price"} <= set(found):
        return
    if "quantity" not in found and "unit_price" not in found:
        raise _missing("amount", columns, source, fields=fields)
    missing = "unit_price" if "quantity" in found else "quantity"
    raise _missing(missing, columns, source, fields=fields)


def detect_roles(
    kind: InputKind,
    columns: Sequence[str],
    given: Mapping[str, str | None] | None = None,
    *,
    source: str = "input",
    pii: Sequence[str] = (),
    fields: Mapping[str, str] | None = None,
) -> ColumnRoles:
    """Map roles to columns: the given ones checked, the others recognised by name.

    Parameters
    ----------
    kind
        Which input this is; it decides the roles and which are required.
    columns
        The source's column names.
    given
        Role to column name, for the roles the user named.
    source
        Shown in errors.
    pii
        Columns the user marked as personal identifiers.
    fields
        Columns made of a nested record's fields, to the field's own name
        (``properties_time``: ``time``), by which they are recognised.

    Raises
    ------
    ColumnNotFoundError
        A named column does not exist, or a required role was not found.
    """
    named: dict[str, str] = {role: col for role, col in (given or {}).items() if col}
    unknown_roles = set(named) - set(ROLES_BY_KIND[kind])
    if unknown_roles:
        raise ColumnNotFoundError(
            f"{kind} have no role {sorted(unknown_roles)[0]!r}",
            hint="the roles are " + ", ".join(ROLES_BY_KIND[kind]),
            source=source,
        )
    found: dict[str, str] = {}
    for role, column in named.items():
        if column not in columns:
            raise NamedColumnMissingError(
                f"column '{column}' (given as the "
                f"{'account id' if kind == 'accounts' else role.replace('_', ' ')}) "
                "is not in the data",
                hint=hint_for(column, columns),
                source=source,
            )
        found[role] = column
    taken = set(found.values())
    for role in ROLES_BY_KIND[kind]:
        if role in found:
            continue
        if role == "amount" and {"quantity", "unit_price"} <= set(named):
            continue  # the user asked for quantity × price explicitly
        match = _find(kind, role, columns, taken, fields or {})
        if match is not None:
            found[role] = match
            taken.add(match)
    for role in _REQUIRED[kind]:
        if role not in found:
            raise _missing(role, columns, source, kind, fields)
    if kind == "transactions":
        _require_amount(found, columns, source, fields or {})
        _pair_currency(found, named, columns)
        _refunds_need_an_amount(found, named, source)
    for column in pii:
        if column not in columns:
            raise ColumnNotFoundError(
                f"column '{column}' (marked as PII) is not in the data",
                hint=hint_for(column, columns),
                source=source,
            )
    return ColumnRoles(kind=kind, columns=found, pii=tuple(pii))
