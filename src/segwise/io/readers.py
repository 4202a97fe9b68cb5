"""Read customers, transactions and events from any source, with a data-quality report.

Each reader opens the source, maps columns to roles, chooses how to parse
timestamps and numbers from a sample, and returns a lazy :class:`Dataset`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw

from segwise.engine.datetimes import reads_as_utc
from segwise.exceptions import DataError
from segwise.io import column_formats as formats
from segwise.io import ids
from segwise.io import validate as v
from segwise.io.attribute_dates import detect_attribute_dates
from segwise.io.combined import CombinedDataset
from segwise.io.currency_column import Currencies
from segwise.io.dataset import Dataset
from segwise.io.folders import folder_exports
from segwise.io.header_units import header_currency_notes
from segwise.io.order_status import Statuses
from segwise.io.policy import CleaningPolicy
from segwise.io.roles import TEXT_ROLES, ColumnRoles, NamedColumnMissingError, detect_roles
from segwise.io.source_checks import id_type, refuse_odd_columns
from segwise.io.sources import EXTRA_FIELDS, RawSource, open_source, reading
from segwise.io.timestamps import (
    as_of_bound,
)
from segwise.io.wide_answers import long_answers

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from datetime import date, datetime

    from segwise._typing import InputKind


def _policy(
    policy: str | CleaningPolicy,
    *,
    returns: str | None,
    duplicates: str | None,
    non_positive_price: str | None,
    non_product_codes: Sequence[str] | str | None,
) -> CleaningPolicy:
    base = policy if isinstance(policy, CleaningPolicy) else CleaningPolicy.preset(policy)
    codes = (
        non_product_codes if isinstance(non_product_codes, str | None) else list(non_product_codes)
    )
    return base.with_options(
        returns=returns,
        duplicates=duplicates,
        non_positive_price=non_positive_price,
        non_product_codes=codes,
    )


def _notes(
    raw: RawSource, roles: ColumnRoles, fmt: str | None, policy: CleaningPolicy
) -> list[str]:
    notes: list[str] = []
    if raw.dialect is not None:
        d = raw.dialect
        shown = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe"}.get(
            d.delimiter, d.delimiter
        )
        notes.append(
            f"read as {'gzip-compressed ' if d.compressed else ''}{d.encoding} text, "
            f"{shown}-separated" + (", decimal comma" if d.decimal_comma else "")
        )
    notes.extend(raw.notes)
    if roles.amount_is_computed:
        notes.append(f"amount = {roles.columns['quantity']} × {roles.columns['unit_price']}")
    if fmt:
        unit = {"epoch-s": "seconds", "epoch-ms": "milliseconds"}.get(fmt)
        utc = " (as UTC times)" if reads_as_utc(fmt) else ""
        if unit:
            notes.append(f"timestamps read as Unix times in {unit} since 1970 (UTC)")
        elif fmt == "excel-days":
            notes.append("timestamps read as Excel serial dates (days since 1899-12-30)")
        else:
            notes.append(f"timestamps parsed with the pattern {fmt}{utc}")
    if roles.kind == "transactions":
        notes.append(
            {
                "net": "returns kept and flagged is_return (revenue is net of returns)",
                "keep": "returns kept as ordinary transactions",
                "exclude": "returns quarantined (policy: exclude)",
            }[policy.returns]
        )
    return notes


@dataclass(frozen=True)
class ReaderSettings:
    """How to open a source: the keywords every reader shares."""

    delimiter: str | None = None
    encoding: str | None = None
    sheet: str | int | None = None
    table: str | None = None
    query: str | None = None
    text_columns: Sequence[str] = ()
    #: Customer and account tables: ``column -> strftime pattern`` of date attributes.
    date_formats: Mapping[str, str] = field(default_factory=dict)


_ONE_CUSTOMER_TABLE = "join or stack the customer tables first, so each customer has one row"


def _read_several(kind: InputKind, sources: Sequence[Any], *args: Any, **kwargs: Any) -> Dataset:
    """Read each source on its own and stack them (see :class:`CombinedDataset`)."""
    if kind == "customers":
        # Stacking customer tables would hide an id present in two files.
        raise DataError("read_customers takes one source", hint=_ONE_CUSTOMER_TABLE)
    if not sources:
        raise DataError("no sources given", hint="pass a path, a frame, or a list of them")
    try:
        parts = [read_kind(kind, one, *args, **kwargs) for one in sources]
    except NamedColumnMissingError as missing:
        if len(sources) == 1:
            raise
        raise missing.among_several() from None
    return parts[0] if len(parts) == 1 else CombinedDataset(parts)


def _files_of(kind: InputKind, source: Any) -> Any:
    """A folder of exports as its files (a list), anything else as it is."""
    if isinstance(source, list | tuple):
        return source
    exports = folder_exports(source)  # a folder of monthly exports: its files
    if exports and kind == "customers":
        raise DataError(
            f"a folder of {len(exports)} exports; read_customers takes one source",
            hint=_ONE_CUSTOMER_TABLE,
            source=str(source),
        )
    return exports or source


def read_kind(
    kind: InputKind,
    source: Any,
    given: dict[str, str | None],
    options: ReaderSettings,
    *,
    policy: CleaningPolicy,
    as_of: str | date | datetime | None = None,
    timestamp_format: str | None = None,
    pii: Sequence[str] = (),
) -> Dataset:
    """Read one source as ``kind``: roles, parsing plan and cleaning policy; a lazy Dataset.

    Every public reader is this with its kind's roles; a list of sources, or a
    folder of exports, is read as one (a :class:`~segwise.io.combined.CombinedDataset`).
    """
    source = _files_of(kind, source)
    if isinstance(source, list | tuple):
        return _read_several(
            kind,
            source,
            given,
            options,
            policy=policy,
            as_of=as_of,
            timestamp_format=timestamp_format,
        )
    text_columns = options.text_columns
    raw = open_source(
        source,
        delimiter=options.delimiter,
        encoding=options.encoding,
        sheet=options.sheet,
        table=options.table,
        query=options.query,
    )
    refuse_odd_columns(raw, text_columns)
    if kind == "responses":
        raw = long_answers(raw, given)  # a survey tool's one column per question
    roles = detect_roles(kind, raw.columns, given, source=raw.name, pii=pii, fields=raw.fields)
    text = {roles.columns[r] for r in TEXT_ROLES if r in roles.columns} | set(text_columns)
    frame = raw.scan(text)
    id_column = roles.columns["customer_id"]
    id_dtype = id_type(frame, id_column, raw.name)
    fmt = formats.timestamp_format(raw, frame, roles, timestamp_format)
    whole_floats = id_dtype == nw.String and ids.written_as_whole_floats(
        frame, id_column, formats.sample_values(raw, frame, id_column)
    )
    bound, as_of_text = as_of_bound(as_of)
    number_formats = formats.number_formats(raw, frame, roles)
    with reading(raw.name):  # these read rows: a malformed one fails in one located line
        currencies = Currencies.of(frame, roles.columns.get("currency_column"))
        statuses = Statuses.of(frame, roles)
    dates, date_notes = _attribute_dates(raw, frame, roles, text, options.date_formats)
    plan = v.Plan(
        roles=roles,
        policy=policy,
        raw_columns=raw.columns,
        timestamp_format=fmt,
        decimal_comma=bool(raw.dialect and raw.dialect.decimal_comma),
        as_of_bound=bound,
        id_dtype=id_dtype,
        id_whole_floats=whole_floats,
        event_dtype=frame.collect_schema()[roles.columns["event"]]
        if "event" in roles.columns
        else None,
        expires_format=formats.expires_format(frame, roles),
        number_formats=number_formats,
        extra_fields=EXTRA_FIELDS in frame.collect_schema(),
        attribute_dates=dates,
        currencies=currencies,
        statuses=statuses,
    )
    return Dataset(
        kind=kind,
        source=raw.name,
        raw=frame,
        plan=plan,
        like=raw.like,
        as_of=as_of_text,
        notes=[n for n in _notes(raw, roles, fmt, policy) if not _retyped(n, date_notes)]
        + list(date_notes.values())
        + formats.number_notes(number_formats, plan.decimal_comma)
        + (
            ["customer ids written as whole numbers with .0 (pandas' float ids): read without it"]
            if whole_floats
            else []
        )
        + currencies.notes()
        + header_currency_notes(roles, number_formats, currencies),
        unchanged=raw.check_unchanged,
    )


def _attribute_dates(
    raw: RawSource,
    frame: nw.LazyFrame[Any],
    roles: ColumnRoles,
    text: set[str],
    given: Mapping[str, str],
) -> tuple[dict[str, str | None], dict[str, str]]:
    """A customer or account table's date attributes (see :mod:`.attribute_dates`)."""
    if roles.kind not in v.ONE_ROW_PER_ID:
        return {}, {}
    kept = set(roles.columns.values()) | set(roles.pii) | text | {EXTRA_FIELDS}
    schema = frame.collect_schema()
    candidates = [c for c in schema.names() if c not in kept]
    texts = [c for c in candidates if schema[c] == nw.String]
    samples = formats.sample_columns(raw, frame, texts) if texts else {}
    return detect_attribute_dates(frame, candidates, samples, source=raw.name, given=given)


def _retyped(note: str, date_notes: dict[str, str]) -> bool:
    """A CSV note that a column stays text, about a column the date reading has its say on."""
    return any(note.startswith(f"column '{c}' read as text:") for c in date_notes)


def read_transactions(
    source: Any,
    *,
    customer_id: str | None = None,
    timestamp: str | None = None,
    amount: str | None = None,
    quantity: str | None = None,
    unit_price: str | None = None,
    order_id: str | None = None,
    product: str | None = None,
    category: str | None = None,
    channel: str | None = None,
    order_status: str | None = None,
    currency_column: str | None = None,
    refunded_amount: str | None = None,
    policy: str | CleaningPolicy = "default",
    returns: str | None = None,
    duplicates: str | None = None,
    non_positive_price: str | None = None,
    non_product_codes: Sequence[str] | str | None = None,
    as_of: str | date | datetime | None = None,
    timestamp_format: str | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    table: str | None = None,
    query: str | None = None,
    text_columns: Sequence[str] = (),
) -> Dataset:
    """Read transactions (orders, invoice lines) from a file, a database or a frame.

    transactions *customer, timestamp, amount or quantity × price, ...* →
    a :class:`Dataset` whose ``data`` has ``customer_id, timestamp, amount,
    is_return`` and the other columns, and whose ``quality()`` counts every
    row read, used and quarantined.

    Parameters
    ----------
    source
        A path (CSV/TSV, optionally gzip; Parquet; Excel ``.xlsx``; JSON lines,
        an array or an API's response; a DuckDB or SQLite file; a folder of
        Parquet parts, read as one table), a database URL (``duckdb:///``,
        ``sqlite:///``, ``postgresql://``), or a pandas, Polars, PyArrow,
        DuckDB or Spark frame; or a list of them (monthly exports, one file
        per shop), or a folder of such exports, each read on its own and
        stacked into a :class:`~segwise.io.combined.CombinedDataset`.
    customer_id, timestamp, amount, quantity, unit_price, order_id, product, category, channel
        Column names for each role. Unnamed roles are recognised from common
        names (``CustomerID``, ``Customer ID``, ``InvoiceDate``, ``InvoiceNo``,
        ``Invoice``, ``UnitPrice``, ``Price``, ``Quantity``, ``amount``, ...).
        Without an amount column the amount is ``quantity × unit_price``.
    order_status, currency_column, refunded_amount
        What a shop or payment export says of each order's money (recognised by name:
        ``Financial Status``, ``Currency``, ``Refunded Amount``): cancelled, refunded and
        failed orders, refunds in full and amounts in another currency than most rows' are
        quarantined (``void_order``, ``other_currency``); a partial refund is taken off the
        amount. See :mod:`.order_status`, :mod:`.currency_column` and :mod:`.refunds`.
    policy
        ``"default"`` or ``"purchases-only"`` (the common Online Retail
        cleaning), or a :class:`CleaningPolicy`; see :mod:`segwise.io.policy`.
    returns, duplicates, non_positive_price, non_product_codes
        Override one part of the policy.
    as_of
        Rows after this date (its whole day included) are quarantined as ``after_as_of``.
    timestamp_format
        A strftime pattern; by default it is recognised from a sample.
    delimiter, encoding
        For delimited text; sniffed by default.
    sheet
        For Excel: a sheet name or 0-based position.
    table, query
        For databases: what to read.
    text_columns
        Further columns to read as text (role columns always are, so ids keep
        their leading zeros).

    Returns
    -------
    Dataset

    Raises
    ------
    DataError
        The source cannot be read, or a required column is missing.

    Examples
    --------
    >>> import polars as pl, segwise as sw
    >>> orders = pl.DataFrame({"Customer ID": ["7", "7", "8"], "order_date": ["2024-01-02"] * 3,
    ...                        "amount": ["10.5", "oops", "3"]})
    >>> ds = sw.read_transactions(orders)
    >>> ds.quality().excluded["non_numeric_amount"], ds.quality().rows_used
    (1, 2)

    References
    ----------
    Chen, D., Sain, S. L., & Guo, K. (2012). Data mining for the online retail
    industry. Journal of Database Marketing & Customer Strategy Management, 19(3).
    """
    given = {
        "customer_id": customer_id,
        "timestamp": timestamp,
        "amount": amount,
        "quantity": quantity,
        "unit_price": unit_price,
        "order_id": order_id,
        "product": product,
        "category": category,
        "channel": channel,
        "order_status": order_status,
        "currency_column": currency_column,
        "refunded_amount": refunded_amount,
    }
    options = ReaderSettings(delimiter, encoding, sheet, table, query, text_columns)
    cleaning = _policy(
        policy,
        returns=returns,
        duplicates=duplicates,
        non_positive_price=non_positive_price,
        non_product_codes=non_product_codes,
    )
    return read_kind(
        "transactions",
        source,
        given,
        options,
        policy=cleaning,
        as_of=as_of,
        timestamp_format=timestamp_format,
    )


def read_customers(
    source: Any,
    *,
    customer_id: str | None = None,
    pii: Sequence[str] = (),
    duplicates: str | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    table: str | None = None,
    query: str | None = None,
    text_columns: Sequence[str] = (),
    date_formats: Mapping[str, str] | None = None,
) -> Dataset:
    """Read a customer table (one row per customer, with attributes).

    A row without a customer id, or repeating an id already seen, is
    quarantined. Every other column is kept as an attribute. A text column
    whose values are dates (``2024-03-01 10:00``, ``05/01/2024``) is read as
    dates; a date written for "no date" (1900-01-01, 1970-01-01, 0000-00-00)
    is read as blank and counted under ``checks["stand_in_dates"]``.

    Parameters
    ----------
    source
        As for :func:`read_transactions`.
    customer_id
        The id column; recognised from common names (also a bare ``id``).
    pii
        Columns holding personal identifiers (email, phone), for later
        pseudonymisation and export rules.
    duplicates
        ``"keep"`` or ``"drop"`` exact duplicate rows.
    text_columns
        Columns to keep as written, as text.
    date_formats
        ``column -> strftime pattern`` for date columns whose pattern is not
        recognised, or whose dates read both day-first and month-first.

    Examples
    --------
    >>> import pandas as pd, segwise as sw
    >>> people = pd.DataFrame({"id": ["001", "002", "001"], "age": [31, 45, 31]})
    >>> report = sw.read_customers(people).quality()
    >>> report.rows_used, report.excluded["duplicate_customer_id"]
    (2, 1)
    """
    return read_kind(
        "customers",
        source,
        {"customer_id": customer_id},
        ReaderSettings(delimiter, encoding, sheet, table, query, text_columns, date_formats or {}),
        policy=CleaningPolicy().with_options(duplicates=duplicates),
        pii=pii,
    )


def read_events(
    source: Any,
    *,
    customer_id: str | None = None,
    timestamp: str | None = None,
    event: str | None = None,
    duplicates: str | None = None,
    as_of: str | date | datetime | None = None,
    timestamp_format: str | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    table: str | None = None,
    query: str | None = None,
    text_columns: Sequence[str] = (),
) -> Dataset:
    """Read engagement events (visits, email opens, app sessions, ...).

    Parameters
    ----------
    source
        As for :func:`read_transactions`.
    customer_id, timestamp, event
        Column names; recognised from common names (``user_id``, ``ts``, ``event_name``, ...).
    duplicates
        ``"keep"`` or ``"drop"`` exact duplicate rows.
    as_of, timestamp_format
        As for :func:`read_transactions`.

    Examples
    --------
    >>> import polars as pl, segwise as sw
    >>> events = pl.DataFrame({"user_id": [1, 2], "ts": ["2024-01-01 10:00:00", "never"],
    ...                        "event": ["email_open", "visit"]})
    >>> sw.read_events(events).quality().excluded["unparseable_timestamp"]
    1
    """
    return read_kind(
        "events",
        source,
        {"customer_id": customer_id, "timestamp": timestamp, "event": event},
        ReaderSettings(delimiter, encoding, sheet, table, query, text_columns),
        policy=CleaningPolicy().with_options(duplicates=duplicates),
        as_of=as_of,
        timestamp_format=timestamp_format,
    )
