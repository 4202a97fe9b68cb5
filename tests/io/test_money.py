"""Numbers written for people (currency, grouped thousands, decimal comma), read back."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import duckdb
import narwhals.stable.v2 as nw
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import segwise as sw
from segwise.io.money import NumberFormat, in_other_currency, parse_number, read_number_format

if TYPE_CHECKING:
    from decimal import Decimal
    from pathlib import Path


@pytest.mark.parametrize(
    ("sample", "guess", "expected"),
    [
        (["12.50", "3", "7.25"], False, NumberFormat()),
        (["12,50", "3"], False, NumberFormat(decimal_comma=True)),
        # The column shows a decimal point: the file-wide decimal-comma guess is wrong for it.
        (["12.50", "3"], True, NumberFormat()),
        (["£1,254.00", "£9.99"], False, NumberFormat(symbol="£", grouped=True)),
        (["254,99 €", "1.254,00 €"], False, NumberFormat(True, "€", grouped=True)),
        (["1 254,99 kr", "12,00 kr"], False, NumberFormat(True, "kr", grouped=True)),
        (["1\u00a0254,99\u00a0€"], False, NumberFormat(True, "€", grouped=True)),
        (["US$ 1,254.99", "US$ 3.00"], False, NumberFormat(symbol="US$", grouped=True)),
        (["CHF 1'254.50"], False, NumberFormat(symbol="CHF", grouped=True)),
        # "1,254" alone reads either way: the file's convention decides.
        (["1,254", "2,000"], False, NumberFormat(grouped=True)),
        (["1,254", "2,000"], True, NumberFormat(decimal_comma=True)),
        # Accounting and SAP negatives.
        (["(12.50)", "3.25"], False, NumberFormat(signs_outside=True)),
        (["1.254,00-", "12,50"], False, NumberFormat(True, grouped=True, signs_outside=True)),
        # A ledger's credits and debits: the mark is no currency.
        (["120.00 CR", "45.00 DR", "10.00"], False, NumberFormat(credit_marks=True)),
        (
            ["£1,254.00 Cr", "£45.00"],
            False,
            NumberFormat(symbol="£", grouped=True, credit_marks=True),
        ),
        (["1.254,00 CR", "3,00"], False, NumberFormat(True, grouped=True, credit_marks=True)),
        (["45,00 € CR", "3,00 €"], False, NumberFormat(True, "€", credit_marks=True)),
        # A code ending in DR is a currency (the rupiah), not a debit.
        (["12000 IDR", "5000 IDR"], False, NumberFormat(symbol="IDR")),
        # After a code the mark stands apart, so both read.
        (["45,00 EUR CR", "3,00 EUR"], False, NumberFormat(True, "EUR", credit_marks=True)),
        (["12000 IDR CR", "5000 IDR"], False, NumberFormat(symbol="IDR", credit_marks=True)),
        # A mark after text is not a ledger's.
        (["Ref 12 ABC CR", "3.00"], False, NumberFormat()),
        # A scale is no currency: "12.5k" is not read as 12.5 (its rows are not numbers).
        (["12.5k", "3M", "7.25"], False, NumberFormat()),
        # The commonest currency is the column's; values that are no number are left alone.
        (["€5", "€6", "$7", "n/a", ""], False, NumberFormat(symbol="€")),
    ],
)
def test_the_format_is_read_off_the_values(
    sample: list[str], guess: bool, expected: NumberFormat
) -> None:
    assert read_number_format(sample, decimal_comma=guess) == expected


WRITTEN = [
    "(£2.00)",
    "£2.00-",
    "(2)",
    "2-",
    "-(2)",
    "£1,254.00",
    " £9.99 ",
    "-£3.50",
    "£-3.50",
    "£ 1 254.5",
    "12",
    "$5",
    "5 USD",
    "£2.00 CR",
    "£1,254.00 DR",
    "£9.99Cr",
    "12 dr.",
    "2.00 £ Cr",
    "5 USD CR",
    "n/a",
    None,
]
READ = [
    -2.0,
    -2.0,
    -2.0,
    -2.0,
    None,
    1254.0,
    9.99,
    -3.5,
    -3.5,
    1254.5,
    12.0,
    None,
    None,
    -2.0,
    1254.0,
    -9.99,
    12.0,
    -2.0,
    None,
    None,
    None,
]
OTHER = [
    False,
    False,
    False,
    False,
    False,
    False,
    False,
    False,
    False,
    False,
    False,
    True,
    True,
    False,
    False,
    False,
    False,
    False,
    True,
    False,
    False,
]


def _read(frame: Any, fmt: NumberFormat | None = None) -> tuple[list[Any], list[Any]]:
    """The values ``fmt`` reads from column ``x``, and which are in another currency."""
    fmt = fmt or NumberFormat(symbol="£", grouped=True, signs_outside=True, credit_marks=True)
    out = (
        parse_number(nw.from_native(frame), "x", "v", fmt)
        .with_columns(in_other_currency("x", fmt).alias("other"))
        .sort("i")
        .collect()
    )
    return out["v"].to_list(), out["other"].to_list()


@pytest.mark.parametrize("engine", ["polars", "duckdb"])
def test_every_row_is_read_its_currency_checked_on_embedded_engines(engine: str) -> None:
    rows = pl.DataFrame({"i": range(len(WRITTEN)), "x": WRITTEN})
    frame = rows.lazy() if engine == "polars" else duckdb.sql("SELECT * FROM rows")
    assert _read(frame) == (READ, OTHER)


@pytest.mark.spark
def test_every_row_is_read_its_currency_checked_on_spark(spark: Any) -> None:
    table = spark.createDataFrame(list(enumerate(WRITTEN)), "i long, x string")
    assert _read(table) == (READ, OTHER)


# A ledger whose amounts carry their currency's code, then the mark.
IN_CODES = ["45,00 EUR CR", "1.254,00 EUR DR", "12,00 EUR", "3,00 EUR Cr.", "5,00 USD CR"]
IN_RUPIAH = ["12000 IDR CR", "5000 IDR", "700 IDR DR", "12000 I DR"]


CODED = [
    (IN_CODES, NumberFormat(True, "EUR", grouped=True, credit_marks=True)),
    (IN_RUPIAH, NumberFormat(symbol="IDR", credit_marks=True)),
]
CODED_READ = [
    ([-45.0, 1254.0, 12.0, -3.0, None], [False, False, False, False, True]),
    # "12000 I DR" is no rupiah amount: not read; a debit in a currency "I" as "5 USD CR" is.
    ([-12000.0, 5000.0, 700.0, None], [False, False, False, True]),
]


@pytest.mark.parametrize("engine", ["polars", "duckdb"])
def test_a_mark_after_a_currency_code_is_read_on_embedded_engines(engine: str) -> None:
    for (written, fmt), expected in zip(CODED, CODED_READ, strict=True):
        rows = pl.DataFrame({"i": range(len(written)), "x": written})
        frame = rows.lazy() if engine == "polars" else duckdb.sql("SELECT * FROM rows")
        assert read_number_format(written) == fmt
        assert _read(frame, fmt) == expected, written


@pytest.mark.spark
def test_a_mark_after_a_currency_code_is_read_on_spark(spark: Any) -> None:
    for (written, fmt), expected in zip(CODED, CODED_READ, strict=True):
        table = spark.createDataFrame(list(enumerate(written)), "i long, x string")
        assert _read(table, fmt) == expected, written


def test_numeric_columns_are_cast_whatever_the_format() -> None:
    frame = nw.from_native(pl.LazyFrame({"x": [1.5, None]}))
    fmt = NumberFormat(symbol="€", grouped=True, decimal_comma=True)
    assert parse_number(frame, "x", "v", fmt).collect()["v"].to_list() == [1.5, None]


def _written(amount: Decimal, convention: tuple[str | None, bool, bool, bool, str]) -> str:
    symbol, comma, grouped, after, negative = convention
    number = f"{abs(amount):,.2f}" if grouped else f"{abs(amount):.2f}"
    if comma:
        number = number.translate(str.maketrans(",.", ".,"))
    if symbol is not None:
        number = f"{number} {symbol}" if after else f"{symbol}{number}"
    if amount >= 0:
        return number
    return {"front": f"-{number}", "parentheses": f"({number})", "trailing": f"{number}-"}[negative]


@settings(max_examples=60, deadline=None)
@given(
    amounts=st.lists(
        st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False),
        min_size=1,
        max_size=25,
    ),
    symbol=st.sampled_from([None, "€", "$", "£", "EUR", "US$", "kr", "zł"]),
    comma=st.booleans(),
    grouped=st.booleans(),
    after=st.booleans(),
    negative=st.sampled_from(["front", "parentheses", "trailing"]),
)
def test_any_convention_reads_back_the_amounts_written(
    amounts: list[Decimal],
    symbol: str | None,
    comma: bool,
    grouped: bool,
    after: bool,
    negative: str,
) -> None:
    written = [_written(a, (symbol, comma, grouped, after, negative)) for a in amounts]
    # Two decimals always show the mark, so the file's guess (the opposite) must not win.
    fmt = read_number_format(written, decimal_comma=not comma)
    frame = nw.from_native(pl.LazyFrame({"x": written}))
    read = parse_number(frame, "x", "v", fmt).collect()["v"].to_list()
    assert read == pytest.approx([float(a) for a in amounts], abs=1e-6)


@pytest.mark.parametrize(
    ("text", "amounts"),
    [
        # "CR" was read as the column's currency: the credit counted as a sale and every
        # debit was quarantined as written in another currency.
        (
            "customer_id,order_date,amount\n"
            "c1,2024-01-03,120.00 CR\nc2,2024-01-04,45.00 DR\nc1,2024-01-05,10.00\n",
            [-120.0, 45.0, 10.0],
        ),
        # "45,00 EUR CR" was quarantined as no number: only a mark right after the digits
        # was read.
        (
            "customer_id;order_date;amount\n"
            "c1;2024-01-03;120,00 EUR CR\nc2;2024-01-04;1.045,00 EUR DR\nc1;2024-01-05;10,00 EUR\n",
            [-120.0, 1045.0, 10.0],
        ),
    ],
)
def test_a_ledgers_credits_are_refunds_and_its_debits_sales(
    tmp_path: Path, text: str, amounts: list[float]
) -> None:
    path = tmp_path / "ledger.csv"
    path.write_text(text)
    orders = sw.read_transactions(path)
    report = orders.quality()
    assert not any(report.excluded.values())
    assert any("credits marked CR (read as negative: refunds)" in note for note in report.notes)
    rows = orders.to_native().sort("timestamp")
    assert rows["amount"].to_list() == amounts
    assert rows["is_return"].to_list() == [True, False, False]
