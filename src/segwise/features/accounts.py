"""B2B accounts: the run's tables seen at account level, and features rolled up from contacts.

A contact (a row of the customers table) belongs to an account through a
mapping column. At account level every table is re-keyed: a contact's
orders and events become their account's, so the customer features
(recency, orders, revenue, category shares, engagement) are the account's
own, computed by the same code. On top, the roll-up adds what only an
account has:

* ``contacts``: people in the CRM linked to the account;
* ``buying_contacts``: contacts who have ever bought;
* ``buying_committee``: contacts who bought in the last 365 days, the
  committee's breadth (``committee_roles``: their distinct job functions,
  when the customers table has a role column);
* ``active_contacts``: contacts who bought or were active (events) in the
  last 90 days;
* ``top_contact_share``: the share of the account's revenue from its
  biggest buyer (1.0: everything hangs on one person).

The account table's firmographics (industry, employees, region…) are the
accounts' attributes. Everything stays in the run's engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw

from segwise.engine.frames import from_lazy, native_kind, to_lazy
from segwise.exceptions import ConfigError
from segwise.features.behaviour import customer_features, is_return

if TYPE_CHECKING:
    from collections.abc import Mapping

#: Windows of the roll-up (days before the as-of date).
COMMITTEE_DAYS = 365
ACTIVE_DAYS = 90
#: The roll-up's own columns, besides the customer features and the firmographics.
ROLLUP_COLUMNS = (
    "contacts",
    "buying_contacts",
    "buying_committee",
    "committee_roles",
    "active_contacts",
    "top_contact_share",
)


@dataclass(frozen=True)
class AccountView:
    """The run's tables keyed by account, and the account features.

    Attributes
    ----------
    tables
        ``transactions`` and ``events`` with each row's account in
        ``customer_id`` (the contact in ``contact_id``), and ``customers``:
        the accounts with their firmographics. Native frames of the run's engine.
    features
        One row per account: the customer features of the account's
        activity, its firmographics and the roll-up columns. Native.
    contacts
        The mapping, ``account_id, customer_id`` (one row per linked
        contact). Native.
    """

    tables: dict[str, Any]
    features: Any
    contacts: Any


def contact_mapping(customers: Any, account: str) -> nw.LazyFrame[Any]:
    """``customer_id, account_id`` for each contact linked to an account (blank ids left out)."""
    people = to_lazy(customers)
    if account not in people.collect_schema().names():
        raise ConfigError(
            f"sources.customers.account_id: column '{account}' is not in the customers table",
            hint="name the column that holds each contact's account",
        )
    linked = nw.col(account).cast(nw.String).str.strip_chars()
    return (
        people.select("customer_id", linked.alias("account_id"))
        .filter(~nw.col("account_id").is_null() & (nw.col("account_id") != ""))
        .unique(["customer_id"])
    )


def with_firmographics(customers: Any, accounts: Any, account: str) -> Any:
    """The contacts with their account's firmographics as attributes (contact-level rules).

    An account column named like a contact's own gets an ``account_`` prefix.

    Examples
    --------
    >>> import polars as pl
    >>> people = pl.LazyFrame({"customer_id": ["ann", "bob"], "company": ["A", None],
    ...                        "region": ["North", "South"]})
    >>> firms = pl.LazyFrame({"customer_id": ["A"], "region": ["EMEA"], "employees": [120]})
    >>> with_firmographics(people, firms, "company").sort("customer_id").collect().rows()
    [('ann', 'A', 'North', 'EMEA', 120), ('bob', None, 'South', None, None)]
    """
    people = to_lazy(customers)
    _check_column(customers, account, "account_id")
    own = set(people.collect_schema().names())
    firms = to_lazy(accounts)
    renamed = {
        c: (f"account_{c}" if c in own else c)
        for c in firms.collect_schema().names()
        if c != "customer_id"
    }
    firms = firms.rename(renamed).rename({"customer_id": "__sw_account"})
    key = nw.col(account).cast(nw.String).str.strip_chars().alias("__sw_account")
    joined = (
        people.with_columns(key).join(firms, on="__sw_account", how="left").drop("__sw_account")
    )
    return from_lazy(joined, native_kind(customers))


def _by_account(frame: Any, mapping: nw.LazyFrame[Any]) -> nw.LazyFrame[Any]:
    """A contact-keyed table re-keyed by account: unlinked contacts' rows are left out."""
    return (
        to_lazy(frame)
        .rename({"customer_id": "contact_id"})
        .join(mapping.rename({"customer_id": "contact_id"}), on="contact_id", how="inner")
        .rename({"account_id": "customer_id"})
    )


def _population(accounts: Any, mapping: nw.LazyFrame[Any]) -> nw.LazyFrame[Any]:
    """The accounts table, plus accounts contacts point to that it lacks (no firmographics)."""
    linked = mapping.select(nw.col("account_id").alias("customer_id")).unique()
    if accounts is None:
        return linked
    table = to_lazy(accounts)
    missing = linked.join(table.select("customer_id"), on="customer_id", how="anti")
    return nw.concat([table, missing], how="diagonal")


def _contacts_only(
    events: nw.LazyFrame[Any] | None, mapping: nw.LazyFrame[Any], end: date
) -> nw.LazyFrame[Any]:
    """Without orders: the account's contacts, and those active (events) in the window."""
    table = (
        mapping.group_by("account_id")
        .agg(nw.len().alias("contacts"))
        .rename({"account_id": "customer_id"})
    )
    if events is None:
        return table
    day = nw.col("timestamp").dt.date()
    in_window = (day <= nw.lit(end)) & (day > nw.lit(end - timedelta(days=ACTIVE_DAYS)))
    active = (
        events.filter(in_window)
        .select("customer_id", "contact_id")
        .unique(["customer_id", "contact_id"])
        .group_by("customer_id")
        .agg(nw.len().alias("active_contacts"))
    )
    return table.join(active, on="customer_id", how="left")


def _rollup(
    orders: nw.LazyFrame[Any] | None,
    events: nw.LazyFrame[Any] | None,
    mapping: nw.LazyFrame[Any],
    roles: nw.LazyFrame[Any] | None,
    end: date,
) -> nw.LazyFrame[Any]:
    """The roll-up columns per account (``customer_id``), from orders re-keyed by account.

    Without orders (a list of target accounts and their people), only what the CRM and
    the event log say: contacts, and active contacts.
    """
    if orders is None:
        return _contacts_only(events, mapping, end)
    day = nw.col("timestamp").dt.date()
    names = orders.collect_schema().names()
    purchase = ~is_return(names)
    recent = purchase & (day > nw.lit(end - timedelta(days=COMMITTEE_DAYS)))
    in_window = day > nw.lit(end - timedelta(days=ACTIVE_DAYS))
    active = purchase & in_window
    keys = ["customer_id", "contact_id"]
    # Spend is net of returns, as the account's net revenue is; a buyer made a purchase.
    by_contact = (
        orders.filter(day <= nw.lit(end))
        .group_by(*keys)
        .agg(
            nw.col("amount").sum().clip(lower_bound=0.0).alias("__sw_spent"),
            purchase.cast(nw.Int64).max().alias("__sw_bought"),
            recent.cast(nw.Int64).max().alias("__sw_recent"),
            active.cast(nw.Int64).max().alias("__sw_active"),
        )
    )
    spent = nw.col("__sw_spent")
    per_account = by_contact.group_by("customer_id").agg(
        nw.col("__sw_bought").sum().alias("buying_contacts"),
        nw.col("__sw_recent").sum().alias("buying_committee"),
        nw.when(spent.sum() > 0).then(spent.max() / spent.sum()).alias("top_contact_share"),
    )
    # Active: bought, or did anything (an event) in the window.
    movers = [by_contact.filter(nw.col("__sw_active") == 1).select(*keys)]
    if events is not None:
        movers.append(events.filter((day <= nw.lit(end)) & in_window).select(*keys))
    active_contacts = (
        nw.concat(movers)
        .unique(keys)
        .group_by("customer_id")
        .agg(nw.len().alias("active_contacts"))
    )
    table = (
        mapping.group_by("account_id")
        .agg(nw.len().alias("contacts"))
        .rename({"account_id": "customer_id"})
        .join(per_account, on="customer_id", how="left")
        .join(active_contacts, on="customer_id", how="left")
    )
    if roles is None:
        return table
    committee = (
        by_contact.filter(nw.col("__sw_recent") == 1)
        .join(roles, on="contact_id", how="inner")
        .filter(~nw.col("__sw_role").is_null())
        .group_by("customer_id")
        .agg(nw.col("__sw_role").n_unique().alias("committee_roles"))
    )
    return table.join(committee, on="customer_id", how="left")


def account_view(
    tables: Mapping[str, Any],
    *,
    account: str,
    as_of: date,
    role: str | None = None,
) -> AccountView:
    """The run's tables re-keyed by account, and one row of features per account.

    Parameters
    ----------
    tables
        The run's native tables: ``customers`` (contacts, with the
        ``account`` column), optionally ``transactions``, ``events`` and
        ``accounts`` (one row per account; its id in ``customer_id``).
        Without transactions the accounts are described by their
        firmographics, contacts and events alone.
    account
        The customers table's column naming each contact's account.
    as_of
        The run's day: nothing after it counts.
    role
        The customers table's column with each contact's job function.

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import date
    >>> tx = pl.DataFrame({"customer_id": ["ann", "bob", "cy"], "order_id": ["1", "2", "3"],
    ...     "timestamp": [date(2024, 1, 5), date(2024, 6, 1), date(2024, 6, 2)],
    ...     "amount": [100.0, 300.0, 50.0]}).lazy()
    >>> people = pl.DataFrame({"customer_id": ["ann", "bob", "cy", "dee"],
    ...                        "company": ["A", "A", "B", "A"]}).lazy()
    >>> view = account_view({"transactions": tx, "customers": people}, account="company",
    ...                     as_of=date(2024, 6, 30))
    >>> view.features.select("customer_id", "orders", "contacts",
    ...     "buying_contacts", "top_contact_share").sort("customer_id").collect().rows()
    [('A', 2, 3, 2, 0.75), ('B', 1, 1, 1, 1.0)]
    """
    if "customers" not in tables:
        raise ConfigError(
            "level: account needs the customers table that maps contacts to accounts",
            hint="add sources.customers with account_id: <column>",
        )
    bought = tables.get("transactions")
    like = native_kind(bought if bought is not None else tables["customers"])
    mapping = contact_mapping(tables["customers"], account)
    orders = _by_account(bought, mapping) if bought is not None else None
    events = _by_account(tables["events"], mapping) if tables.get("events") is not None else None
    population = _population(tables.get("accounts"), mapping)
    if role is not None:
        _check_column(tables["customers"], role, "role")
    roles = (
        to_lazy(tables["customers"]).select(
            nw.col("customer_id").alias("contact_id"), nw.col(role).alias("__sw_role")
        )
        if role is not None
        else None
    )
    native = {"customers": from_lazy(population, like)}
    if orders is not None:
        native["transactions"] = from_lazy(orders, like)
    if events is not None:
        native["events"] = from_lazy(events, like)
    base = to_lazy(
        customer_features(
            native.get("transactions"),
            customers=native["customers"],
            events=native.get("events"),
            as_of=as_of,
        )
    )
    extra = _rollup(orders, events, mapping, roles, as_of)
    counts = [c for c in ROLLUP_COLUMNS if c != "top_contact_share"]
    features = base.join(extra, on="customer_id", how="left").with_columns(
        *(nw.col(c).fill_null(0).cast(nw.Int64) for c in counts if c in extra.collect_schema())
    )
    return AccountView(native, from_lazy(features, like), from_lazy(mapping, like))


def _check_column(customers: Any, column: str, key: str) -> None:
    if column not in to_lazy(customers).collect_schema().names():
        raise ConfigError(
            f"sources.customers.{key}: column '{column}' is not in the customers table",
            hint="name a column of the customers file",
        )
