"""A project's sources, mapped from the project file to the readers in one place.

The config models use the readers' keyword names (``customer_id``,
``timestamp``, ``delimiter``…), so the mapping is the model's own fields; the
only translation is ``amount: {quantity, unit_price}``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import polars as pl

from segwise._validation import hint_for
from segwise.engine.warehouse import read_warehouse
from segwise.exceptions import ConfigError
from segwise.io.entity_readers import (
    read_accounts,
    read_consents,
    read_exposures,
    read_outcomes,
    read_responses,
)
from segwise.io.readers import (
    read_customers,
    read_events,
    read_transactions,
)
from segwise.io.sources import NamedFrame
from segwise.project.config import (
    AccountsSource,
    ConsentsSource,
    CustomersSource,
    EventsSource,
    ExposuresSource,
    OutcomesSource,
    ResponsesSource,
    TransactionsSource,
    WarehouseSource,
)

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from segwise.io.dataset import Dataset
    from segwise.project.pipeline import Project

_READERS = {
    TransactionsSource: read_transactions,
    CustomersSource: read_customers,
    EventsSource: read_events,
    ResponsesSource: read_responses,
    AccountsSource: read_accounts,
    ExposuresSource: read_exposures,
    OutcomesSource: read_outcomes,
    ConsentsSource: read_consents,
}

AnySource = (
    TransactionsSource
    | CustomersSource
    | EventsSource
    | ResponsesSource
    | AccountsSource
    | ExposuresSource
    | ConsentsSource
    | OutcomesSource
)


#: With pseudonyms, the column of :func:`customer_columns` with each id as written.
WRITTEN_ID = "__written_id"


def reader_options(source: AnySource) -> dict[str, Any]:
    """The reader's keyword arguments for a configured source (its path apart).

    Examples
    --------
    >>> from segwise.project.config import QuantityPrice
    >>> source = TransactionsSource(path="o.csv", amount=QuantityPrice(quantity="Q",
    ...                             unit_price="P"), delimiter=";")
    >>> sorted(reader_options(source).items())
    [('delimiter', ';'), ('policy', 'default'), ('quantity', 'Q'), ('unit_price', 'P')]
    """
    options = source.model_dump(exclude={"path", "warehouse"}, exclude_none=True)
    amount = options.get("amount")
    if isinstance(amount, dict):
        options.pop("amount")
        options.update(amount)
    for unset in ("pii", "date_formats"):
        if not options.get(unset, True):
            options.pop(unset)
    # The contact → account mapping is read by the roll-up, not the reader; as text, so
    # account ids like 00123 keep their zeros and match the accounts table's.
    if isinstance(source, CustomersSource):
        mapping = options.pop("account_id", None)
        options.pop("role", None)
        options.pop("joined", None)  # read by the features: tenure_days
        options.pop("value", None)  # read by the cards
        if mapping is not None:
            options["text_columns"] = [mapping]
    return options


def read_source(source: AnySource, location: Path | NamedFrame) -> Dataset:
    """Read one configured source (a resolved path, or its warehouse frame) with its roles."""
    reader: Any = _READERS[type(source)]
    return reader(location, **reader_options(source))  # type: ignore[no-any-return]


def warehouse_frame(project: Project, name: str, spec: WarehouseSource) -> NamedFrame:
    """The source's warehouse table as a frame of the project's Spark session.

    Options named in ``options_env`` are read from the environment now, so a
    password is never in the project file or the store.
    """
    where = f"sources.{name}.warehouse"
    options = spec.option_text()
    for option, variable in spec.options_env.items():
        value = os.environ.get(variable)
        if value is None:
            raise ConfigError(
                f"{where}.options_env.{option}: the environment variable {variable} is not set",
                hint=f"export {variable}=… before running segwise",
            )
        options[option] = value
    frame = read_warehouse(
        project.spark_session(),
        table=spec.table,
        path=spec.path,
        fmt=spec.format,
        options=options,
        where=where,
    )
    return NamedFrame(frame, spec.describe())


def customer_columns(project: Project, columns: Sequence[str], *, asked_by: str) -> pl.DataFrame:
    """``customer_id`` (text) and ``columns`` of the customers source, one row per customer.

    ``asked_by`` names what needs them (an option, a destination) in the errors.
    """
    if project.config.sources.customers is None:
        raise ConfigError(
            f"{asked_by}: {', '.join(columns)} {'comes' if len(columns) == 1 else 'come'} from "
            "the customers source, and the project has none",
            hint="add sources.customers to the project file",
        )
    # Identifiers as written: with pseudonyms, the id is the pseudonym (what the store
    # holds) and WRITTEN_ID the id as written, which is what destinations are sent.
    source = project.read_source("customers", as_written=True).data
    available = source.collect_schema().names()
    for column in columns:
        if column not in available:
            raise ConfigError(
                f"{asked_by}: the customers source has no column '{column}'; "
                + hint_for(column, available)
            )
    table: pl.DataFrame = (
        source.select("customer_id", *columns).collect(backend="polars").to_native()
    )
    table = table.with_columns(pl.col("customer_id").cast(pl.String)).unique(
        "customer_id", keep="first", maintain_order=True
    )
    if not project.config.privacy.pseudonymise:
        return table
    from segwise.project.pseudonyms import pseudonyms_of  # noqa: PLC0415 - loads DuckDB

    written = table["customer_id"]
    return table.with_columns(
        pl.Series("customer_id", pseudonyms_of(project, written.to_list())),
        written.alias(WRITTEN_ID),
    )


def ids_as_written(frame: pl.DataFrame, contacts: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with each pseudonymised ``customer_id`` as the sources write it.

    ``contacts`` is a :func:`customer_columns` table; without pseudonyms it has no
    :data:`WRITTEN_ID` and ``frame`` is returned as it is. Ids it does not know stay.
    """
    if WRITTEN_ID not in contacts.columns:
        return frame
    written = contacts.select("customer_id", WRITTEN_ID)
    joined = frame.join(written, on="customer_id", how="left", maintain_order="left")
    return joined.with_columns(
        pl.col(WRITTEN_ID).fill_null(pl.col("customer_id")).alias("customer_id")
    ).drop(WRITTEN_ID)
