"""How values are written: amounts in their currency and scale, durations, plain numbers.

Traits, cards and reports show numbers the way people write them: "£1,234",
"$47.6k", "3 weeks", "12.5". A column's name may declare the unit its amounts
are counted in ("Annual Income (k$)"), which then wins over the project's
currency.
"""

from __future__ import annotations

import math
import re

#: Currency codes shown as a symbol; any other code is written before the amount.
_SYMBOLS = {"GBP": "£", "USD": "$", "EUR": "€", "JPY": "¥", "INR": "₹"}


#: "(k$)", "($k)", "(EUR m)": amounts in thousands, millions or billions of a currency.
_SCALED = re.compile(
    r"\(\s*(?:(?P<before>k|m|bn)\s*(?P<currency>[$€£¥]|[a-z]{3})"
    r"|(?P<code>[$€£¥]|[a-z]{3})\s*(?P<after>k|m|bn))\s*\)\s*$",
    re.IGNORECASE,
)


def amount_unit(column: str) -> tuple[str, str] | None:
    """The currency and scale a column's name declares, or None.

    Examples
    --------
    >>> amount_unit("Annual Income (k$)"), amount_unit("revenue (EUR m)"), amount_unit("income")
    (('$', 'k'), ('EUR', 'm'), None)
    """
    found = _SCALED.search(column)
    if found is None:
        return None
    currency = found["currency"] or found["code"]
    scale = (found["before"] or found["after"]).lower()
    return (currency.upper() if currency.isalpha() else currency), scale


def duration(days: float, *, beside: float | None = None) -> str:
    """Days in the unit a person would say them.

    Shown ``beside`` a duration of about the same length said in another unit, both take
    the finer one: "every 10 weeks (typical customer: 8 weeks)", not "every 2 months
    (typical customer: 8 weeks)", which reads as no difference.

    Examples
    --------
    >>> duration(3), duration(45), duration(300), duration(1000)
    ('3 days', '6 weeks', '10 months', '2.7 years')
    >>> duration(72, beside=59), duration(59, beside=72), duration(100, beside=59)
    ('10 weeks', '8 weeks', '3 months')
    """
    if math.isnan(days):
        return "n/a"
    unit = _duration_unit(days)
    if beside is not None and not math.isnan(beside):
        other = _duration_unit(beside)
        near = max(abs(days), abs(beside)) < 1.5 * min(abs(days), abs(beside))
        unit = min(unit, other) if near else unit
    if unit == 0:
        value = round(days)
        return f"{value} day{'' if value == 1 else 's'}"
    if unit == 1:
        return f"{round(days / 7)} weeks"
    if unit == 2:
        return f"{round(days / 30.44)} months"
    return f"{days / 365.25:.1f} years"


def _duration_unit(days: float) -> int:
    """0 days, 1 weeks, 2 months, 3 years: the unit ``days`` is said in alone."""
    return next((i for i, limit in enumerate((14, 60, 730)) if abs(days) < limit), 3)


def number(value: float) -> str:
    """A plain number, rounded as people write it (1,234; 12.5; 0.42)."""
    if math.isnan(value):
        return "n/a"
    if abs(value) >= 100 or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}" if abs(value) < 10 else f"{value:,.1f}"


def money(
    value: float, currency: str | None = None, *, beside: float | None = None, scale: str = ""
) -> str:
    """An amount with the project's currency (a code like GBP, or a symbol), or none.

    Pence are shown under 100, unless the amount is shown ``beside`` one of 100
    or more: "(£137 vs £61)", not "(£137 vs £60.56)". An amount counted in
    thousands (``scale="k"``) has no pence but one decimal under 100: "$47.6k".

    Examples
    --------
    >>> money(1234.5, "GBP"), money(-44, "CHF"), money(12.5)
    ('£1,234', '-CHF 44.00', '12.50')
    >>> money(60.56, "GBP", beside=137.0), money(40, "$", scale="k", beside=60.56)
    ('£61', '$40.0k')
    >>> money(0.0, "GBP")  # nothing at all has no pence
    '£0'
    """
    if math.isnan(value):
        return "n/a"
    whole = value == 0 or abs(value) >= 100 or (beside is not None and abs(beside) >= 100)
    text = f"{abs(value):,.0f}" if whole else f"{abs(value):,.{1 if scale else 2}f}"
    text += scale
    sign = "-" if value < 0 else ""
    if not currency:
        return f"{sign}{text}"
    symbol = currency_symbol(currency)
    spacer = " " if symbol.isalpha() else ""
    return f"{sign}{symbol}{spacer}{text}"


def currency_symbol(currency: str) -> str:
    """How a currency is written before an amount: its symbol, else its code.

    Examples
    --------
    >>> currency_symbol("GBP"), currency_symbol("chf"), currency_symbol("$")
    ('£', 'chf', '$')
    """
    return _SYMBOLS.get(currency.upper(), currency)


def in_currency(heading: str, currency: str | None) -> str:
    """A table heading of amounts, with the currency they are in: "AOV (£)".

    Examples
    --------
    >>> in_currency("AOV", "GBP"), in_currency("AOV", None)
    ('AOV (£)', 'AOV')
    """
    return f"{heading} ({currency_symbol(currency)})" if currency else heading


def show(
    value: float,
    unit: str,
    currency: str | None = None,
    *,
    beside: float | None = None,
    scale: str = "",
) -> str:
    """A value in its concept's unit (``beside``: the value it is compared with)."""
    if unit == "money":
        return money(value, currency, beside=beside, scale=scale)
    if unit == "days":
        return duration(value, beside=beside)
    if unit == "share":
        return "n/a" if math.isnan(value) else f"{value:.0%}"
    return number(value)
