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


def strftime_to_java(pattern: str) -> str:
    """Translate a strftime pattern to the Java pattern Spark expects.

    Examples
    --------
    >>> strftime_to_java("%d/%m/%Y %H:%M")
    'dd/MM/yyyy HH:mm'
    """
    out: list[str] = []
    # %.f (a dot and the fractional seconds) is one token, not "%." then "f".
    for piece in re.split(r"(%\.f|%#z|%.)", pattern):
        if piece in _JAVA_TOKENS:
            out.append(_JAVA_TOKENS[piece])
        elif piece:
            # Letters are pattern symbols in Java: quote literal text.
            out.append(
                "'" + piece.replace("'", "''") + "'" if re.search("[A-Za-z]", piece) else piece
            )
    return "".join(out)
