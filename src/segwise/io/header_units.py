r"""Units written in a column's header: ``Amount (EUR)``, ``Revenue [€]``, ``Order Date (UTC)``.

Exports put a column's unit after its name in brackets, spreadsheets often on a second
line of the header cell (``"Amount\n(EUR)"``). The name before the brackets is what says
the column's role, and a currency in the brackets says the amounts' currency where the
amounts themselves are plain numbers.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from segwise.io.currency_column import iso_code
from segwise.io.money import CURRENCY_SIGNS, currency_code

if TYPE_CHECKING:
    from collections.abc import Mapping

    from segwise.io.currency_column import Currencies
    from segwise.io.money import NumberFormat
    from segwise.io.roles import ColumnRoles

# The last bracketed part of a name, line breaks included: "Amount\n(EUR)".
_UNIT = re.compile(r"^(.*?\S)\s*[(\[]\s*([^()\[\]]*?)\s*[)\]]\s*$", re.DOTALL)
# A currency inside a unit: a sign, a prefixed dollar ("US$"), or an upper-case code.
_TOKEN = re.compile(rf"[A-Za-z]{{1,3}}\$|[{CURRENCY_SIGNS}]|[^\W\d_]+", re.UNICODE)

#: ISO 4217 codes in use (2025), which a header may name.
ISO_4217 = frozenset({
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD",
    "CDF", "CHF", "CLP", "CNY", "COP", "CRC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD",
    "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ",
    "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD",
    "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR",
    "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR",
    "MWK", "MXN", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN",
    "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR",
    "SDG", "SEK", "SGD", "SHP", "SLE", "SLL", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL",
    "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "UYU",
    "UZS", "VED", "VES", "VND", "VUV", "WST", "XAF", "XCD", "XCG", "XOF", "XPF", "YER", "ZAR",
    "ZMW", "ZWG",
})  # fmt: skip
# "Sales (ALL)" means every channel far more often than Albanian lek.
_NOT_IN_HEADERS = frozenset({"ALL"})


def split_unit(name: str) -> tuple[str, str | None]:
    r"""A column name without its bracketed unit, and the unit (None without one).

    Examples
    --------
    >>> split_unit("Amount (EUR)"), split_unit("Revenue\n[€]"), split_unit("amount")
    (('Amount', 'EUR'), ('Revenue', '€'), ('amount', None))
    """
    match = _UNIT.match(name)
    return (match.group(1), match.group(2)) if match else (name, None)


def header_currency(name: str) -> str | None:
    """The ISO code of the one currency a column's header names in its unit, or None.

    Lower-case words are never read as codes ("Total (net)"), nor is a unit naming two.

    Examples
    --------
    >>> header_currency("Amount (EUR)"), header_currency("Price [£, incl. VAT]")
    ('EUR', 'GBP')
    >>> header_currency("Total (net)"), header_currency("Amount (EUR/USD)")
    (None, None)
    """
    unit = split_unit(name)[1]
    if not unit:
        return None
    codes = {code for token in _TOKEN.findall(unit) if (code := _code(token)) is not None}
    return codes.pop() if len(codes) == 1 else None


def _code(token: str) -> str | None:
    if token in ISO_4217:
        return None if token in _NOT_IN_HEADERS else token
    return currency_code(token) if not token.isalpha() or token in ("zł", "Kč", "Ft") else None


def header_currency_notes(
    roles: ColumnRoles, formats: Mapping[str, NumberFormat], currencies: Currencies
) -> list[str]:
    """What the report says of a currency named in the money column's header.

    The amounts' own sign or code, then a currency column, outrank a header (they are
    written row by row), so a header that disagrees with them is said, not followed.
    """
    money = roles.get("amount") or roles.get("unit_price")
    header = header_currency(money) if money else None
    if money is None or header is None:
        return []
    written = formats[money].symbol if money in formats else None
    if (code := currency_code(written)) is not None:
        read, said = code, f"its amounts are written with '{written}' ({code})"
    elif (code := iso_code(currencies.main)) is not None:
        read, said = code, f"column '{currencies.column}' gives most rows {code}"
    else:
        return [f"the amounts are in {header}, as the header of column '{money}' says"]
    if read == header:
        return []
    return [
        f"column '{money}' is headed {header} but {said}: taken as {read}; check which is "
        "right before comparing it with other sources"
    ]
