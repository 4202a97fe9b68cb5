"""Values and names → rule text that parses back to them.

Everything segwise writes as a rule (decision-tree definitions, suggestions,
explanations) goes through these two functions, so a generated rule always
round-trips through the parser: keyword-named columns are quoted
(``"date" > 5``), booleans are ``TRUE``/``FALSE`` rather than ``'true'``.
"""

from __future__ import annotations

import math
from datetime import date, datetime

from segwise.lang.tokens import KEYWORDS


def quote_name(name: str) -> str:
    """A column name as rule text: bare when the tokenizer reads it back as that name.

    Examples
    --------
    >>> quote_name("orders"), quote_name("date"), quote_name("unit price"), quote_name('a"b')
    ('orders', '"date"', '"unit price"', '"a""b"')
    """
    plain = (
        bool(name)
        and (name[0].isalpha() or name[0] == "_")
        and all(ch.isalnum() or ch == "_" for ch in name)
        and not (name.isascii() and name.upper() in KEYWORDS)
    )
    return name if plain else '"' + name.replace('"', '""') + '"'


def literal(value: object) -> str:
    """A Python value as a rule literal of the same type.

    Examples
    --------
    >>> literal(True), literal(3), literal(0.25), literal("O'Neil"), literal(None)
    ('TRUE', '3', '0.25', "'O''Neil'", 'NULL')
    >>> literal(date(2024, 1, 31))
    "DATE '2024-01-31'"
    """
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            msg = f"{value} has no rule literal"
            raise ValueError(msg)
        if value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return f"TIMESTAMP '{value.isoformat(sep=' ')}'"
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"
