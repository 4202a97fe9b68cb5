"""strftime patterns as the Java patterns Spark parses timestamps with.

segwise writes one pattern (strftime, as Polars and DuckDB read it) wherever a date
format is chosen or detected; Spark gets its translation from here.
"""

from __future__ import annotations

import re

_JAVA_TOKENS = {
    "%Y": "yyyy",
    "%y": "yy",
    "%m": "MM",
    "%d": "dd",
    "%H": "HH",
    "%I": "hh",
    "%M": "mm",
    "%S": "ss",
    "%f": "SSSSSS",
    # Optional, as in Polars (chrono), which reads "10:00:00" with %S%.f too.
    "%.f": "[.SSSSSS]",
    "%p": "a",
    "%b": "MMM",
    "%B": "MMMM",
    "%z": "Z",
    "%#z": "XXX",
    "%%": "%",
}


#: Java's one-letter forms, which read "3" and "03" alike, as Polars and DuckDB do.
_ONE_OR_TWO_DIGITS = {"%m": "M", "%d": "d", "%H": "H"}
_NUMBERS = {"%Y", "%y", "%m", "%d", "%H", "%I", "%M", "%S", "%f"}


def strftime_to_java(pattern: str) -> str:
    """Translate a strftime pattern to the Java pattern Spark expects.

    A month, day or hour between separators reads one digit or two (``1/3/2024``), as
    Polars and DuckDB read it; beside another number (``%Y%m%d``) it keeps its two.

    Examples
    --------
    >>> strftime_to_java("%d/%m/%Y %H:%M")
    'd/M/yyyy H:mm'
    >>> strftime_to_java("%Y%m%d")
    'yyyyMMdd'
    """
    out: list[str] = []
    # %.f (a dot and the fractional seconds) is one token, not "%." then "f".
    pieces = [piece for piece in re.split(r"(%\.f|%#z|%.)", pattern) if piece]
    for at, piece in enumerate(pieces):
        beside = {pieces[at - 1] if at else "", pieces[at + 1] if at + 1 < len(pieces) else ""}
        if piece in _ONE_OR_TWO_DIGITS and not beside & _NUMBERS:
            out.append(_ONE_OR_TWO_DIGITS[piece])
        elif piece in _JAVA_TOKENS:
            out.append(_JAVA_TOKENS[piece])
        else:
            # Letters are pattern symbols in Java: quote literal text.
            out.append(
                "'" + piece.replace("'", "''") + "'" if re.search("[A-Za-z]", piece) else piece
            )
    return "".join(out)
