"""How a number column is written for people, and how to read it back in the engine.

Shop, spreadsheet and accounting exports write amounts to be read, not parsed:
``£1,254.00``, ``254,99 €``, ``US$ 12.50``, ``1 254,99``. :func:`read_number_format`
reads the convention off a sample of one column (its currency sign or code, its decimal
mark, whether thousands are grouped); :func:`parse_number` then reads every row with
it inside the engine. A row written in another currency than the column's is told
apart (:func:`in_other_currency`), so it is quarantined with that reason and never
summed with the others.

The column's own values decide its decimal mark where they show it (``12,50`` or
``1.254,99``); the file-wide guess of the CSV sniffer is used only where they do not
(every value ``1,254``: a thousands separator or a decimal comma alike).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw

from segwise.engine import portable

if TYPE_CHECKING:
    from collections.abc import Sequence

#: Currency signs (Unicode's currency symbols block and the common ones outside it).
CURRENCY_SIGNS = "$¢£¤¥֏৳฿៛₠₡₢₣₤₥₦₧₨₩₪₫€₭₮₯₰₱₲₳₴₵₶₷₸₹₺₻₼₽₾₿﷼"

# A currency as written beside a number: "US$", "€", "EUR", "kr.", "zł", "R$".
_MARK = rf"(?:[^\W\d_]{{1,3}}\$|[{CURRENCY_SIGNS}]|[^\W\d_]{{1,3}}\.?)"
_PLAIN = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_WRITTEN = re.compile(
    rf"([+-]?)\s*(?:({_MARK})\s*)?([+-]?)\s*(\d(?:[\d.,'\s]*\d)?)\s*({_MARK})?", re.UNICODE
)
# A negative written outside the number: "(12.50)" or "12.50-" (the inside in group 1 or 2).
_OUTSIDE = re.compile(r"\((.+)\)|([^-].*?)\s*-")
# Spaces that group thousands: plain, no-break (French exports) and narrow no-break.
_SPACES = " \u00a0\u202f"
_TEMP = "__sw_number_text"
# An accounting export's credit or debit mark after the number ("120.00 CR", "£45.00 Dr"),
# as every engine's regex reads it. Right after a number or a sign, or a space after a
# currency's code ("45,00 EUR CR"): "12000 IDR" is a rupiah amount, not a debit of "12000 I".
_MARK_AT_END = f"[\\s{_SPACES}]*[CcDd][Rr]\\.?$"
_MARK_AFTER_NUMBER = f"[0-9){CURRENCY_SIGNS}]{_MARK_AT_END}"
_MARK_SPACED = f"[\\s{_SPACES}]+[CcDd][Rr]\\.?$"
_MARKED = re.compile(rf"(.*?[0-9){CURRENCY_SIGNS}])[\s{_SPACES}]*([CcDd][Rr])\.?")
_MARKED_AFTER_CODE = re.compile(rf"(.*?[0-9].*?[A-Za-z]{{3}})[\s{_SPACES}]+([CcDd][Rr])\.?")

#: Letters that scale a number rather than name its currency ("12.5k", "3M", "2 bn").
_SCALES = frozenset({"k", "m", "b", "bn", "mn", "mio", "mrd", "t"})

#: Signs that name one currency; "$", "¥" and "kr" name several, so they are not here.
_CODES = {
    "€": "EUR", "£": "GBP", "₹": "INR", "₩": "KRW", "₽": "RUB", "₺": "TRY", "₪": "ILS",
    "฿": "THB", "₫": "VND", "₴": "UAH", "₦": "NGN", "₱": "PHP", "₸": "KZT", "₼": "AZN",
    "₾": "GEL", "zł": "PLN", "Kč": "CZK", "Ft": "HUF", "US$": "USD", "A$": "AUD",
    "AU$": "AUD", "C$": "CAD", "CA$": "CAD", "NZ$": "NZD", "HK$": "HKD", "S$": "SGD",
    "R$": "BRL", "MX$": "MXN",
}  # fmt: skip


@dataclass(frozen=True)
class NumberFormat:
    """How one column writes its numbers.

    Attributes
    ----------
    decimal_comma
        ``12,50`` rather than ``12.50``.
    symbol
        The currency (or unit) written before or after every number, as written.
    grouped
        Thousands are grouped (``1,254.00``, ``1.254,00``, ``1 254,00``, ``1'254.00``).
    signs_outside
        Negatives are written in parentheses (``(12.50)``, accounting) or with a
        trailing minus (``12,50-``, as SAP exports them).
    credit_marks
        Numbers are marked ``CR`` (a credit: a refund or credit note, read as
        negative) or ``DR`` (a debit: a sale), as a ledger of what customers owe
        writes them.

    Examples
    --------
    >>> NumberFormat(decimal_comma=True, symbol="€", grouped=True).describe()
    "'€', decimal comma, thousands grouped"
    """

    decimal_comma: bool = False
    symbol: str | None = None
    grouped: bool = False
    signs_outside: bool = False
    credit_marks: bool = False

    @property
    def plain(self) -> bool:
        """Whether a plain cast reads the column (no currency, no grouping, signs in front)."""
        marked = self.signs_outside or self.credit_marks
        return self.symbol is None and not self.grouped and not marked

    def describe(self) -> str:
        """The convention in words, for notes: ``'€', decimal comma, thousands grouped``."""
        parts = [f"'{self.symbol}'"] if self.symbol is not None else []
        parts.append("decimal comma" if self.decimal_comma else "decimal point")
        if self.grouped:
            parts.append("thousands grouped")
        if self.signs_outside:
            parts.append("negatives as (12.50) or 12.50-")
        if self.credit_marks:
            parts.append("credits marked CR (read as negative: refunds), debits DR")
        return ", ".join(parts)

    def pattern(self) -> str:
        """A regular expression every engine reads (Rust, RE2, Java) matching one value."""
        decimal, group = (",", ".") if self.decimal_comma else (".", ",")
        whole = "[0-9]+"
        if self.grouped:
            separator = f"[{re.escape(group)}\\s'{_SPACES}]"
            whole = rf"([0-9]+|[0-9]{{1,3}}({separator}[0-9]{{3}})+)"
        number = rf"{whole}({re.escape(decimal)}[0-9]+)?"
        # RE2 (DuckDB) and Java (Spark) take \s as ASCII spaces only: no-break ones added.
        space = f"[\\s{_SPACES}]*"
        core = number
        if self.symbol is not None:
            symbol = re.escape(self.symbol)
            core = rf"({symbol}{space})?[+-]?{space}{number}({space}{symbol})?"
        if self.credit_marks:
            core = rf"{core}({space}[CcDd][Rr]\.?)?"
        signed = rf"^[+-]?{space}{core}$"
        if not self.signs_outside:
            return signed
        return rf"{signed}|^\({space}{core}{space}\)$|^{core}{space}-$"


def currency_code(symbol: str | None) -> str | None:
    """The ISO 4217 code a written currency names, or None where it names several.

    Examples
    --------
    >>> currency_code("€"), currency_code("EUR"), currency_code("$")
    ('EUR', 'EUR', None)
    """
    if symbol is None:
        return None
    if re.fullmatch("[A-Z]{3}", symbol):
        return symbol
    return _CODES.get(symbol)


def _decimal_shown(number: str) -> str | None:
    """The decimal mark a written number shows, or None where it could be either."""
    marks = [c for c in number if c in ".,"]
    if not marks:
        return None
    last = marks[-1]
    if len(set(marks)) == 2:
        return last  # "1.254,99", "1,254.99"
    if len(marks) > 1:
        return "," if last == "." else "."  # "1,254,000": grouping, so the other is decimal
    after = len(number) - number.rfind(last) - 1
    return None if after == 3 else last  # "1,254" could be either


def read_number_format(sample: Sequence[str], *, decimal_comma: bool = False) -> NumberFormat:
    """Read how a text column writes its numbers, from a sample of its values.

    Parameters
    ----------
    sample
        Values of the column as written.
    decimal_comma
        The decimal mark to assume where no value shows one (the CSV sniffer's guess).

    Returns
    -------
    NumberFormat
        The most common currency among the values, the decimal mark most values
        show, and whether any groups thousands. Values that read as no number are
        left to the row checks.

    Examples
    --------
    >>> read_number_format(["254,99 €", "1.254,00 €", "9,99 €"]).describe()
    "'€', decimal comma, thousands grouped"
    >>> read_number_format(["120.00 CR", "45.00 DR"]).credit_marks
    True
    >>> read_number_format(["12.50", "3"]).plain
    True
    """
    shown: Counter[str] = Counter()
    symbols: Counter[str] = Counter()
    numbers: list[str] = []
    outside = marks = False
    for value in sample:
        text = value.strip()
        marked = _MARKED.fullmatch(text) or _MARKED_AFTER_CODE.fullmatch(text)
        if marked is not None and marked[1]:
            text = marked[1]
        if _PLAIN.fullmatch(text):
            shown["."] += "." in text
            marks = marks or marked is not None
            continue
        inner = _OUTSIDE.fullmatch(text)
        written = _WRITTEN.fullmatch(inner[1] or inner[2] if inner else text)
        if written is None or (written[2] and written[5]):
            continue
        symbol = written[2] or written[5]
        if symbol is not None and symbol.rstrip(".").lower() in _SCALES:
            continue  # "12.5k" is 12,500: not a currency to strip, so no number read here
        # A mark counts where what it marks is a number ("Ref 12 ABC CR" is text).
        marks = marks or marked is not None
        outside = outside or inner is not None
        numbers.append(written[4])
        if symbol:
            symbols[symbol] += 1
        if (mark := _decimal_shown(written[4])) is not None:
            shown[mark] += 1
    comma = shown[","] > shown["."] if shown[","] != shown["."] else decimal_comma
    group = "." if comma else ","
    grouped = any(re.search(rf"[{re.escape(group)}\s']", number) for number in numbers)
    symbol = symbols.most_common(1)[0][0] if symbols else None
    return NumberFormat(comma, symbol, grouped=grouped, signs_outside=outside, credit_marks=marks)


def parse_number(
    frame: nw.LazyFrame[Any], column: str, out: str, fmt: NumberFormat
) -> nw.LazyFrame[Any]:
    """Add ``out``: ``column`` read as Float64 the way ``fmt`` says, NULL where it is not.

    Examples
    --------
    >>> import polars as pl
    >>> frame = nw.from_native(pl.LazyFrame({"x": ["£1,254.00", "£9.99", "$5", "n/a"]}))
    >>> fmt = NumberFormat(symbol="£", grouped=True)
    >>> parse_number(frame, "x", "v", fmt).collect()["v"].to_list()
    [1254.0, 9.99, None, None]
    """
    if fmt.plain or frame.collect_schema()[column].is_numeric():
        return portable.try_to_float(frame, column, out, decimal_comma=fmt.decimal_comma)
    text = nw.col(column).cast(nw.String).str.strip_chars()
    digits = text
    if fmt.credit_marks:
        marked = _credit_or_debit(text, fmt)
        digits = nw.when(marked).then(text.str.replace_all(_MARK_AT_END, "")).otherwise(text)
    if fmt.symbol is not None:
        digits = digits.str.replace_all(fmt.symbol, "", literal=True)
    group = "." if fmt.decimal_comma else ","
    digits = digits.str.replace_all(f"[{re.escape(group)}\\s'{_SPACES}]", "")
    if fmt.decimal_comma:
        digits = digits.str.replace_all(",", ".", literal=True)
    if fmt.signs_outside:
        outside = text.str.starts_with("(") | text.str.ends_with("-")
        digits = digits.str.replace_all(r"[()]|-$", "")
        digits = nw.when(outside).then(nw.concat_str(nw.lit("-"), digits)).otherwise(digits)
    if fmt.credit_marks:
        credit = _credit_or_debit(text, fmt) & text.str.contains(r"[Cc][Rr]\.?$")
        digits = nw.when(credit).then(nw.concat_str(nw.lit("-"), digits)).otherwise(digits)
    written = text.str.contains(fmt.pattern())
    frame = frame.with_columns(nw.when(written).then(digits).alias(_TEMP))
    return portable.try_to_float(frame, _TEMP, out).drop(_TEMP)


def _credit_or_debit(text: nw.Expr, fmt: NumberFormat) -> nw.Expr:
    """Whether the written value ends in a credit or debit mark (not a code ending in DR)."""
    marked = text.str.contains(_MARK_AFTER_NUMBER)
    if fmt.symbol is not None and fmt.symbol[-1:].isalpha():
        # "45,00 EUR CR": after a code the mark stands apart, so "IDR" stays a code.
        marked = marked | text.str.contains(f"{re.escape(fmt.symbol)}{_MARK_SPACED}")
    return marked


def in_other_currency(column: str, fmt: NumberFormat) -> nw.Expr:
    """True where ``column`` holds a number written with another currency than ``fmt``'s.

    Examples
    --------
    >>> import polars as pl
    >>> frame = pl.DataFrame({"x": ["254,99 €", "$12.00", "12 USD", "abc"]})
    >>> test = in_other_currency("x", NumberFormat(decimal_comma=True, symbol="€"))
    >>> nw.from_native(frame).select(test.alias("t"))["t"].to_list()
    [False, True, True, False]
    """
    if fmt.symbol is None:
        return nw.lit(value=False)
    text = nw.col(column).cast(nw.String).str.strip_chars()
    if fmt.credit_marks:
        # "5 USD CR" is a credit in dollars: the mark goes, the other currency stays.
        marked = text.str.contains(_MARK_AFTER_NUMBER) | text.str.contains(_MARK_SPACED)
        text = nw.when(marked).then(text.str.replace_all(_MARK_AT_END, "")).otherwise(text)
    mark = rf"([A-Za-z]{{1,3}}\$?|[{CURRENCY_SIGNS}])"
    number = f"[0-9][0-9.,'{_SPACES}]*"
    space = f"[\\s{_SPACES}]*"
    other = rf"^[+-]?{space}{mark}{space}[+-]?{number}$|^[+-]?{number}{space}{mark}\.?$"
    mine = text.str.contains(fmt.symbol, literal=True)
    return (~mine & text.str.contains(other)).fill_null(value=False)
