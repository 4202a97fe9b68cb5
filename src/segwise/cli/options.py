"""Options shared by several commands, as ``Annotated`` aliases (DESIGN.md §4)."""

from __future__ import annotations

import functools
import inspect
import typing
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from collections.abc import Callable

CustomerCol = Annotated[
    str | None, typer.Option("--customer-col", "--id-col", help="Customer id column.")
]
DateCol = Annotated[str | None, typer.Option("--date-col", help="Timestamp column.")]
AmountCol = Annotated[
    str | None, typer.Option("--amount-col", help="Amount column (else quantity × price).")
]
QuantityCol = Annotated[str | None, typer.Option("--quantity-col", help="Quantity column.")]
PriceCol = Annotated[str | None, typer.Option("--price-col", help="Unit price column.")]
OrderCol = Annotated[str | None, typer.Option("--order-col", help="Order / invoice id column.")]
ProductCol = Annotated[
    str | None, typer.Option("--product-col", help="Product / stock code column.")
]
CategoryCol = Annotated[str | None, typer.Option("--category-col", help="Product category column.")]
ChannelCol = Annotated[str | None, typer.Option("--channel-col", help="Sales channel column.")]
RefundCol = Annotated[
    str | None,
    typer.Option(
        "--refund-col",
        help="Refunded amount column: taken off the amount (an order refunded in full is "
        "quarantined).",
    ),
]
CurrencyCol = Annotated[
    str | None,
    typer.Option(
        "--currency-col",
        help="Column naming each amount's currency: rows in another than most rows' are "
        "quarantined.",
    ),
]
StatusCol = Annotated[
    str | None,
    typer.Option(
        "--status-col",
        help="Order status column: cancelled, refunded, failed or voided orders are quarantined.",
    ),
]
EventCol = Annotated[str | None, typer.Option("--event-col", help="Event name column (events).")]
QuestionCol = Annotated[
    str | None, typer.Option("--question-col", help="Question column (survey responses).")
]
AnswerCol = Annotated[
    str | None, typer.Option("--answer-col", help="Answer column (survey responses).")
]
AsOf = Annotated[
    str | None, typer.Option("--as-of", help="Ignore data after this date (YYYY-MM-DD).")
]
DateFormat = Annotated[
    str | None,
    typer.Option(
        "--date-format",
        help="strftime pattern of the timestamps, e.g. '%d/%m/%Y' (recognised by default); "
        "epoch-s or epoch-ms for Unix times, excel-days for Excel's serial dates.",
    ),
]
Delimiter = Annotated[
    str | None, typer.Option("--delimiter", help="Field separator (sniffed by default).")
]
Encoding = Annotated[
    str | None, typer.Option("--encoding", help="Text encoding (sniffed by default).")
]
Sheet = Annotated[str | None, typer.Option("--sheet", help="Excel sheet name or 0-based number.")]
Table = Annotated[str | None, typer.Option("--table", help="Database table to read.")]
Query = Annotated[str | None, typer.Option("--query", help="SQL query to run on the database.")]
TextCols = Annotated[
    list[str] | None, typer.Option("--text-col", help="Read this column as text (repeatable).")
]
DateFormatsOf = Annotated[
    list[str] | None,
    typer.Option(
        "--date-format-of",
        help="COLUMN=PATTERN: a customer or account table's date column and its strftime "
        "pattern, e.g. birth_date=%m/%d/%Y (repeatable).",
    ),
]
Policy = Annotated[
    str,
    typer.Option(
        "--policy",
        help="Cleaning preset: default, or purchases-only (the common Online Retail cleaning).",
    ),
]
Returns = Annotated[
    str | None, typer.Option("--returns", help="Returns and cancellations: net, keep or exclude.")
]
Duplicates = Annotated[
    str | None,
    typer.Option(
        "--duplicates",
        help="Exact duplicate rows, and a folder's rows repeated from an earlier file: keep "
        "or drop (quarantined).",
    ),
]
NonPositivePrice = Annotated[
    str | None,
    typer.Option("--non-positive-price", help="Rows with a unit price <= 0: exclude or keep."),
]
NonProductCodes = Annotated[
    str | None,
    typer.Option(
        "--non-product-codes",
        help="Comma-separated product codes that are not products (CODE* = prefix), "
        "or 'online-retail'.",
    ),
]
Output = Annotated[
    Path | None,
    typer.Option("-o", "--output", help="Write the result here; the extension picks the format."),
]
EventsFile = Annotated[
    str | None, typer.Option("--events", help="Events table for performed(...) conditions.")
]
TransactionsFile = Annotated[
    str | None,
    typer.Option("--transactions", help="Transactions for performed('purchase', ...)."),
]
TransactionFiles = Annotated[
    list[str], typer.Argument(help="Transaction files or database URLs.", show_default=False)
]
Json = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]


def shares(text: str, option: str = "--tiers", example: str = "0.2,0.5") -> tuple[float, ...]:
    """Comma-separated shares (``0.2,0.5``), or one located error naming the option.

    Examples
    --------
    >>> shares("0.2, 0.6")
    (0.2, 0.6)
    """
    from segwise.exceptions import ConfigError

    try:
        return tuple(float(v) for v in text.split(","))
    except ValueError:
        raise ConfigError(
            f"{option} '{text}' is not numbers", hint=f"e.g. {option} {example}"
        ) from None


def sheet_value(sheet: str | None) -> str | int | None:
    """An Excel sheet option: a number means a position."""
    return int(sheet) if sheet is not None and sheet.isdigit() else sheet


CustomerTable = Annotated[
    str | None,
    typer.Argument(
        help="Customer table (one row per customer): CSV, Parquet, Excel, JSON lines. "
        "Leave it out to build one from --transactions.",
        show_default=False,
    ),
]
CustomersFile = Annotated[
    str | None,
    typer.Option(
        "--customers", help="With --transactions and no table: customer attributes to add."
    ),
]


#: The transaction source options every data command takes: (parameter, type, SourceOptions
#: field). Declared once here and added to a command by :func:`with_source_options`.
_SOURCE_PARAMETERS: tuple[tuple[str, Any, str, Any], ...] = (
    ("customer_col", CustomerCol, "customer_id", None),
    ("date_col", DateCol, "timestamp", None),
    ("amount_col", AmountCol, "amount", None),
    ("quantity_col", QuantityCol, "quantity", None),
    ("price_col", PriceCol, "unit_price", None),
    ("order_col", OrderCol, "order_id", None),
    ("status_col", StatusCol, "order_status", None),
    ("currency_col", CurrencyCol, "currency_column", None),
    ("refund_col", RefundCol, "refunded_amount", None),
    ("policy", Policy, "policy", "default"),
    ("duplicates", Duplicates, "duplicates", None),
    ("date_format", DateFormat, "timestamp_format", None),
    ("delimiter", Delimiter, "delimiter", None),
    ("encoding", Encoding, "encoding", None),
    ("sheet", Sheet, "sheet", None),
    ("table", Table, "table", None),
    ("query", Query, "query", None),
)


#: What ``segwise quality`` adds: the roles and cleaning choices of every kind of source.
_CLEANING_PARAMETERS: tuple[tuple[str, Any, str, Any], ...] = (
    ("product_col", ProductCol, "product", None),
    ("category_col", CategoryCol, "category", None),
    ("channel_col", ChannelCol, "channel", None),
    ("event_col", EventCol, "event", None),
    ("question_col", QuestionCol, "question", None),
    ("answer_col", AnswerCol, "answer", None),
    ("returns", Returns, "returns", None),
    ("non_positive_price", NonPositivePrice, "non_positive_price", None),
    ("non_product_codes", NonProductCodes, "non_product_codes", None),
    ("text_col", TextCols, "text_columns", None),
    ("date_format_of", DateFormatsOf, "date_formats", None),
)


def _source_options(fields: dict[str, Any]) -> Any:
    from segwise.io.options import SourceOptions  # loads the readers: only when run

    fields["sheet"] = sheet_value(fields["sheet"])
    if fields.get("text_columns") is not None:
        fields["text_columns"] = tuple(fields["text_columns"])
    if fields.get("date_formats") is not None:
        fields["date_formats"] = tuple(_column_pattern(text) for text in fields["date_formats"])
    return SourceOptions(**fields)


def _column_pattern(text: str) -> tuple[str, str]:
    """``COLUMN=PATTERN`` as a pair, or one located error naming the option."""
    from segwise.exceptions import ConfigError

    column, equals, pattern = text.partition("=")
    if not (equals and column.strip() and pattern.strip()):
        raise ConfigError(
            f"--date-format-of '{text}' is not COLUMN=PATTERN",
            hint="e.g. --date-format-of birth_date=%d/%m/%Y",
        )
    return column.strip(), pattern.strip()


def delivering(
    parameters: tuple[tuple[str, Any, str, Any], ...],
    build: Callable[[dict[str, Any]], Any],
    name: str,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A decorator that shows ``parameters`` as CLI options and hands the command one object.

    Each parameter is ``(option parameter, Annotated type, field, default)``;
    the command declares a keyword-only parameter ``name`` and receives
    ``build({field: value, ...})`` there, so a group of options shared by
    several commands is declared once.
    """

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        signature = inspect.signature(command)
        # The command imports the delivered type only for type checking, and so does this
        # module (the import would load the readers for every --help): its parameter goes.
        delivered = signature.parameters[name].annotation
        hints = typing.get_type_hints(command, localns={str(delivered): Any}, include_extras=True)
        kept = [
            p.replace(annotation=hints.get(p.name, p.annotation))
            for p in signature.parameters.values()
            if p.name != name and p.kind is not inspect.Parameter.VAR_KEYWORD
        ]
        added = [
            inspect.Parameter(
                option, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=kind
            )
            for option, kind, _field, default in parameters
        ]

        @functools.wraps(command)
        def run(*args: Any, **kwargs: Any) -> Any:
            fields = {field: kwargs.pop(option) for option, _kind, field, _d in parameters}
            return command(*args, **{name: build(fields)}, **kwargs)

        run.__signature__ = signature.replace(parameters=kept + added)  # type: ignore[attr-defined]
        run.__annotations__ = {p.name: p.annotation for p in kept + added} | {
            "return": hints.get("return")
        }
        return run

    return decorate


#: Give a command the shared source options, delivered as one ``source: SourceOptions``:
#: the command declares a ``source`` parameter and the CLI shows the thirteen options
#: (``--customer-col``, ``--date-col`` … ``--query``) in its place.
with_source_options = delivering(_SOURCE_PARAMETERS, _source_options, "source")

#: The same, with the roles and cleaning choices of every kind (``segwise quality``).
with_all_source_options = delivering(
    _SOURCE_PARAMETERS + _CLEANING_PARAMETERS, _source_options, "source"
)
