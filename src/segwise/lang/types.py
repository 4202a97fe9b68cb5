"""The rule language's types, derived columns and compiled expressions.

Shared by the compiler and the function table (:mod:`segwise.lang.functions`),
so each function's builder sits beside its arity without an import cycle.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw

if TYPE_CHECKING:
    from segwise.lang import nodes
    from segwise.lang.compiler import RuleCompiler
    from segwise.lang.parser import Rule


class Type(StrEnum):
    """What a rule expression evaluates to."""

    NUMBER = "a number"
    STRING = "text"
    BOOLEAN = "a condition"
    DATE = "a date"
    DATETIME = "a timestamp"
    NULL = "NULL"


def type_of_dtype(dtype: Any) -> Type | None:
    """The rule type of a column's dtype, or None when rules cannot read it."""
    if dtype.is_numeric():
        return Type.NUMBER
    if isinstance(dtype, nw.String | nw.Categorical | nw.Enum):
        return Type.STRING
    if isinstance(dtype, nw.Boolean):
        return Type.BOOLEAN
    if isinstance(dtype, nw.Datetime):
        return Type.DATETIME
    if isinstance(dtype, nw.Date):
        return Type.DATE
    return None


@dataclass(frozen=True, slots=True)
class DaysSince:
    """Derived column: whole days from the date of ``column`` to the as-of date."""

    column: str


@dataclass(frozen=True, slots=True)
class EventCount:
    """Derived column: how many matching events each customer performed (0 if none)."""

    filter: nodes.EventFilter


@dataclass(frozen=True, slots=True)
class EventDateOf:
    """Derived column: the first or last date of a matching event (NULL if none)."""

    which: str
    filter: nodes.EventFilter


@dataclass(frozen=True, slots=True)
class StaticMember:
    """Derived column: TRUE for the ids listed in a static segment."""

    segment: str


Derived = DaysSince | EventCount | EventDateOf | StaticMember


@dataclass(frozen=True, slots=True)
class Compiled:
    """A compiled expression and its rule type."""

    expr: nw.Expr
    type: Type
    #: Whole numbers in a 64-bit integer column: their sums and products are overflow-checked.
    integer: bool = False


def null_of(kind: Type) -> nw.Expr:
    """A typed NULL literal (a NULL argument keeps the type the function needs)."""
    dtype = {
        Type.NUMBER: nw.Float64(),
        Type.STRING: nw.String(),
        Type.BOOLEAN: nw.Boolean(),
        Type.DATE: nw.Date(),
        Type.DATETIME: nw.Datetime("us"),
        Type.NULL: nw.Boolean(),
    }[kind]
    return nw.lit(None, dtype=dtype)


def require(
    compiler: RuleCompiler, rule: Rule, node: nodes.Node, got: Compiled, want: Type, where: str
) -> None:
    """Refuse an argument of the wrong type, naming where it is and how to fix it."""
    if got.type is not want and got.type is not Type.NULL:
        raise compiler.fail(
            rule, node, f"{where} needs {want.value}, but this is {got.type.value}", _fix(want)
        )


def _fix(want: Type) -> str | None:
    return {
        Type.NUMBER: "use a numeric column, or compare text with quoted values",
        Type.STRING: "text functions and LIKE apply to text columns",
        Type.BOOLEAN: "write a comparison, e.g. orders >= 3",
        Type.DATE: "pass a date or timestamp column",
    }.get(want)
