"""``SourceOptions``: how to read a source, built once and passed around.

The same settings (which column is which, the cleaning policy, how the file
is written) reach the readers from the CLI, the project file and, later, the
API. Their names are the readers' own keywords, so
``read_transactions(path, **options.keywords())`` is the whole mapping, and
``options.keywords("events")`` keeps what ``read_events`` takes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

#: The keywords each reader takes besides the source (checked against the readers in tests).
READER_KEYWORDS: dict[str, frozenset[str]] = {
    "transactions": frozenset(
        {
            "customer_id", "timestamp", "amount", "quantity", "unit_price", "order_id",
            "product", "category", "channel", "order_status", "currency_column",
            "refunded_amount", "policy",
            "returns", "duplicates",
            "non_positive_price", "non_product_codes", "timestamp_format", "delimiter",
            "encoding", "sheet", "table", "query", "text_columns",
        }
    ),
    "customers": frozenset(
        {"customer_id", "duplicates", "delimiter", "encoding", "sheet", "table", "query",
         "text_columns", "date_formats"}
    ),
    "events": frozenset(
        {"customer_id", "timestamp", "event", "duplicates", "timestamp_format", "delimiter",
         "encoding", "sheet", "table", "query", "text_columns"}
    ),
    "responses": frozenset(
        {"customer_id", "question", "answer", "delimiter", "encoding", "sheet", "table", "query"}
    ),
    "accounts": frozenset(
        {"customer_id", "duplicates", "delimiter", "encoding", "sheet", "table", "query",
         "text_columns", "date_formats"}
    ),
    # Experiment, variant, metric and value are recognised by name, or named in the project file.
    "exposures": frozenset(
        {"customer_id", "timestamp", "timestamp_format", "delimiter", "encoding", "sheet",
         "table", "query"}
    ),
    "outcomes": frozenset(
        {"customer_id", "timestamp", "timestamp_format", "delimiter", "encoding", "sheet",
         "table", "query"}
    ),
    "consents": frozenset(
        {"customer_id", "timestamp", "timestamp_format", "delimiter", "encoding", "sheet",
         "table", "query"}
    ),
}  # fmt: skip


@dataclass(frozen=True)
class SourceOptions:
    """How to read a source (see :func:`segwise.read_transactions` for each setting).

    Examples
    --------
    >>> SourceOptions(customer_id="Customer ID", delimiter=";").keywords()
    {'customer_id': 'Customer ID', 'policy': 'default', 'delimiter': ';'}
    >>> SourceOptions(event="name", returns="keep").keywords("events")
    {'event': 'name'}
    """

    customer_id: str | None = None
    timestamp: str | None = None
    amount: str | None = None
    quantity: str | None = None
    unit_price: str | None = None
    order_id: str | None = None
    policy: str = "default"
    timestamp_format: str | None = None
    delimiter: str | None = None
    encoding: str | None = None
    sheet: str | int | None = None
    table: str | None = None
    query: str | None = None
    product: str | None = None
    category: str | None = None
    channel: str | None = None
    order_status: str | None = None
    currency_column: str | None = None
    refunded_amount: str | None = None
    event: str | None = None
    question: str | None = None
    answer: str | None = None
    returns: str | None = None
    duplicates: str | None = None
    non_positive_price: str | None = None
    non_product_codes: str | None = None
    text_columns: tuple[str, ...] | None = None
    #: ``(column, strftime pattern)`` pairs: date columns of a customer or account table.
    date_formats: tuple[tuple[str, str], ...] | None = None

    def keywords(self, kind: str = "transactions") -> dict[str, Any]:
        """The settings given (None left out) that ``kind``'s reader takes, as its keywords."""
        taken = READER_KEYWORDS[kind]
        given = {k: v for k, v in asdict(self).items() if v is not None and k in taken}
        if "date_formats" in given:
            given["date_formats"] = dict(given["date_formats"])
        if kind == "accounts" and "customer_id" in given:  # --customer-col names the account id
            given["account_id"] = given.pop("customer_id")
        return given
