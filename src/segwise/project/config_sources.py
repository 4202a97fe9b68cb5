"""The sources of a project file: what each input is and which column plays which role.

Part of the ``segwise.yaml`` model (:mod:`segwise.project.config`, which re-exports
these classes); unknown keys are errors there as here.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    """A part of the project file: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")


class QuantityPrice(Strict):
    """Amount as quantity × unit price."""

    quantity: str
    unit_price: str


class _Source(Strict):
    """Where a source is and how to read it (a file, a sheet, a database table or query)."""

    path: str
    delimiter: str | None = None
    encoding: str | None = None
    sheet: str | int | None = None
    table: str | None = None
    query: str | None = None


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
    """

    customer_id: str | None = None
    account_id: str | None = Field(default=None, min_length=1)
    role: str | None = Field(default=None, min_length=1)
    pii: list[str] = Field(default_factory=list)


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
    """The project's inputs."""

    transactions: TransactionsSource
    customers: CustomersSource | None = None
    events: EventsSource | None = None
    responses: ResponsesSource | None = None
    accounts: AccountsSource | None = None
    exposures: ExposuresSource | None = None
    outcomes: OutcomesSource | None = None
    consents: ConsentsSource | None = None
