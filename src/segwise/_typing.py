"""Type aliases shared across segwise."""

from __future__ import annotations

from os import PathLike
from typing import Any, Literal, TypeAlias

#: Anything that names a file on disk.
StrPath: TypeAlias = str | PathLike[str]

#: A dataframe or relation of any supported library (pandas, Polars, PyArrow, DuckDB, Spark).
NativeFrame: TypeAlias = Any

#: The kinds of input segwise reads.
InputKind: TypeAlias = Literal[
    "transactions",
    "customers",
    "events",
    "responses",
    "accounts",
    "exposures",
    "outcomes",
    "consents",
]
