"""The sources of a project file: what each input is and which column plays which role.

Part of the ``segwise.yaml`` model (:mod:`segwise.project.config`, which re-exports
these classes); unknown keys are errors there as here.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class Strict(BaseModel):
    """A part of the project file: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")


class QuantityPrice(Strict):
    """Amount as quantity × unit price."""

    quantity: str
    unit_price: str


#: Storage only a cluster reads (a ``path:`` is read by this process; a ``warehouse:`` by Spark).
_STORAGE_SCHEMES = (
    "s3://",
    "s3a://",
    "s3n://",
    "gs://",
    "abfs://",
    "abfss://",
    "wasbs://",
    "hdfs://",
    "dbfs:/",
    "oss://",
)
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

#: Spark reader and writer options as YAML writes them (``header: true``), passed on as text.
SparkOption = str | bool | int | float


def _as_option_text(values: dict[str, SparkOption]) -> dict[str, str]:
    return {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in values.items()}


class WarehouseLocation(Strict):
    """A table that stays where it lives, for Spark: a catalog table, or files at a path.

    ``table`` names a table of the Spark session's catalog (``sales.orders``,
    ``main.sales.orders`` on Unity Catalog); ``path`` a folder of files on the
    cluster's storage (``s3://``, ``abfss://``, ``gs://``, ``hdfs://``, ``dbfs:/``)
    in ``format`` (``parquet`` when not given; ``delta``, ``orc``, ``csv``, ``json``
    or any data source the cluster has).
    """

    table: str | None = Field(default=None, min_length=1)
    path: str | None = Field(default=None, min_length=1)
    format: str | None = Field(default=None, pattern=r"^[A-Za-z][A-Za-z0-9_.]*$")

    @model_validator(mode="after")
    def _one_place(self) -> WarehouseLocation:
        if (self.table is None) == (self.path is None) and self.format != "jdbc":
            raise ValueError("give one of table (a catalog table) and path (a folder of files)")
        if self.path is not None and not (self.path.startswith("/") or ":/" in self.path):
            raise ValueError(
                f"path '{self.path}' is relative, and Spark resolves it on the cluster, not from "
                "this file's folder: write the full path or URL (s3://…, /data/…)"
            )
        if self.table is not None and self.format not in (None, "jdbc"):
            raise ValueError(
                f"format '{self.format}' is for a path; a catalog table knows its own format"
            )
        return self

    def describe(self) -> str:
        """How reports and errors name it (``table sales.orders``, ``delta at s3://…``)."""
        from segwise.engine.warehouse import describe  # noqa: PLC0415 - keeps config light

        return describe(self.table, self.path, self.format)


class WarehouseSource(WarehouseLocation):
    """``warehouse:`` of a source: read by the run's Spark session, never through this process.

    A database is read with ``format: jdbc``, ``table`` its table, and the JDBC
    ``url`` (and ``user``…) in ``options``. Secrets are never written in the
    file: ``options_env`` maps an option to the environment variable that holds it.
    """

    options: dict[str, SparkOption] = Field(default_factory=dict)
    options_env: dict[str, str] = Field(default_factory=dict)

    @field_validator("options_env")
    @classmethod
    def _variables(cls, value: dict[str, str]) -> dict[str, str]:
        for option, variable in value.items():
            if not _VARIABLE.match(variable):
                raise ValueError(f"options_env.{option}: '{variable}' is not a variable name")
        return value

    @model_validator(mode="after")
    def _jdbc_has_a_url(self) -> WarehouseSource:
        if self.format == "jdbc":
            if "url" not in self.options and "url" not in self.options_env:
                raise ValueError("format: jdbc needs the database's url in options")
            if self.path is not None:
                raise ValueError("format: jdbc reads a table (or options.query), not a path")
            if self.table is None and "query" not in self.options and "dbtable" not in self.options:
                raise ValueError("format: jdbc needs table (or options.query)")
        return self

    def option_text(self) -> dict[str, str]:
        """The reader's options as text (the environment's values not included)."""
        return _as_option_text(self.options)


class _Source(Strict):
    """Where a source is and how to read it: a file, a sheet, a database, or the warehouse."""

    path: str | None = None
    delimiter: str | None = None
    encoding: str | None = None
    sheet: str | int | None = None
    table: str | None = None
    query: str | None = None
    #: Read by Spark where it lives (``engine: spark`` only), instead of ``path``.
    warehouse: WarehouseSource | None = None

    @model_validator(mode="after")
    def _one_origin(self) -> _Source:
        if self.warehouse is None:
            if self.path is None:
                raise ValueError("give path (a file or database URL), or warehouse: for Spark")
            if self.path.lower().startswith(_STORAGE_SCHEMES):
                raise ValueError(
                    f"path '{self.path}' is on object storage, which Spark reads where it lies: "
                    f"write warehouse: {{path: '{self.path}'}} (with engine: spark) instead"
                )
            return self
        given = [
            k
            for k in ("path", "delimiter", "encoding", "sheet", "table", "query")
            if getattr(self, k) is not None
        ]
        if given:
            raise ValueError(
                f"{given[0]} is for files and databases read here; a warehouse: source is read "
                "by Spark (put its table, path and options under warehouse:)"
            )
        return self

    def origin(self) -> str:
        """The path, or how the warehouse location reads (``table sales.orders``)."""
        return self.warehouse.describe() if self.warehouse is not None else str(self.path)


class _TimedSource(_Source):
    """A long table of dated rows by customer."""

    customer_id: str | None = None
    timestamp: str | None = None
    timestamp_format: str | None = None


class TransactionsSource(_TimedSource):
    """One row per order line (see ``sw.read_transactions`` for every option)."""

    amount: str | QuantityPrice | None = None
    order_id: str | None = None
    product: str | None = None
    category: str | None = None
    channel: str | None = None
    order_status: str | None = None
    currency_column: str | None = None
    refunded_amount: str | None = None
    policy: str = "default"
    returns: Literal["net", "keep", "exclude"] | None = None
    duplicates: Literal["keep", "drop"] | None = None
    non_positive_price: Literal["exclude", "keep"] | None = None
    non_product_codes: list[str] | str | None = None


class CustomersSource(_Source):
    """One row per customer; ``pii`` lists personal identifiers.

    In a B2B project each row is a contact: ``account_id`` names the column
    holding the contact's account (company), and ``role`` the column with
    their job function, which measures a buying committee's breadth.
    ``joined`` names the date each customer joined (signed up, registered):
    their ``tenure_days`` counts from it (with orders, from it or the first
    purchase, whichever is earlier). ``value`` names the column a segment's
    value is read from on the cards (``total_spend``, ``lifetime_value``);
    without it, the first of the usual names (net revenue with orders).
    """

    customer_id: str | None = None
    joined: str | None = Field(default=None, min_length=1)
    value: str | None = Field(default=None, min_length=1)
    account_id: str | None = Field(default=None, min_length=1)
    role: str | None = Field(default=None, min_length=1)
    pii: list[str] = Field(default_factory=list)
    #: ``column: strftime pattern`` of date columns the reader does not recognise alone.
    date_formats: dict[str, str] = Field(default_factory=dict)


class EventsSource(_TimedSource):
    """Engagement events: one row per visit, open, session."""

    event: str | None = None


class ResponsesSource(_Source):
    """Survey answers: one row per respondent (a customer id), question and answer."""

    customer_id: str | None = None
    question: str | None = None
    answer: str | None = None


class AccountsSource(_Source):
    """B2B accounts: one row per company, with its firmographics (``sw.read_accounts``)."""

    account_id: str | None = None
    #: As for the customers: ``column: strftime pattern`` of date columns.
    date_formats: dict[str, str] = Field(default_factory=dict)


class ExposuresSource(_TimedSource):
    """Experiment exposures: who saw which variant of which experiment, when."""

    experiment: str | None = None
    variant: str | None = None


class OutcomesSource(_TimedSource):
    """Outcomes beyond orders, long: customer, time, metric name and value."""

    metric: str | None = None
    value: str | None = None


class ConsentsSource(_TimedSource):
    """A consent history: customer, purpose, status (granted, denied, revoked), date, expiry."""

    purpose: str | None = None
    status: str | None = None
    expires: str | None = None


#: Sources that measure segments rather than build them: no feature or segment reads them.
MEASUREMENT_SOURCES = frozenset({"exposures", "outcomes"})
#: Sources no customer feature is built from: those, and the consent history (which says who
#: may be profiled and sent, not what they did).
NOT_FEATURES = MEASUREMENT_SOURCES | {"consents"}


class Sources(Strict):
    """The project's inputs: orders, a customer table, or both, and what else there is.

    Without transactions the population is the customer table (a CRM export, a
    panel of survey respondents) and the segmentations read its attributes,
    events and answers; methods that model purchases need the orders.
    """

    transactions: TransactionsSource | None = None
    customers: CustomersSource | None = None
    events: EventsSource | None = None
    responses: ResponsesSource | None = None
    accounts: AccountsSource | None = None
    exposures: ExposuresSource | None = None
    outcomes: OutcomesSource | None = None
    consents: ConsentsSource | None = None

    @model_validator(mode="after")
    def _someone_to_segment(self) -> Sources:
        if self.transactions is None and self.customers is None:
            raise ValueError(
                "sources: no population to segment; add sources.transactions (an orders "
                "export) or sources.customers (one row per customer), or both"
            )
        return self
