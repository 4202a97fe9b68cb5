"""Hypothesis strategies: random tables with NULLs and random rules in the SQL subset.

The rules are valid both for segwise and for DuckDB's ``WHERE`` clause, so
the two can be compared member for member. Division only ever divides by a
non-zero literal or ``abs(x) + 1``: DuckDB 2 returns ``inf`` for ``x / 0``
where segwise (like SQL's ``x / NULLIF(y, 0)`` idiom) returns NULL, which is
tested on its own.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
from hypothesis import strategies as st

INT_COLUMNS = ("i1", "i2")
FLOAT_COLUMNS = ("f1",)
TEXT_VALUES = ("a", "b", "ab", "B", "", "a_b", "x.y", "A%")
DATES = [dt.date(2024, 1, 1) + dt.timedelta(days=d) for d in range(0, 60, 7)]


@st.composite
def tables(draw: Any, min_rows: int = 1, max_rows: int = 25) -> pl.DataFrame:
    """A customer table with integer, float, text, boolean and date columns, NULLs in each."""
    n = draw(st.integers(min_rows, max_rows))

    def column(values: st.SearchStrategy[Any]) -> list[Any]:
        return draw(st.lists(st.one_of(st.none(), values), min_size=n, max_size=n))

    return pl.DataFrame(
        {
            "id": list(range(n)),
            "i1": column(st.integers(-4, 4)),
            "i2": column(st.integers(-4, 4)),
            "f1": column(st.integers(-8, 8).map(lambda v: v / 2)),
            "s1": column(st.sampled_from(TEXT_VALUES)),
            "b1": column(st.booleans()),
            "d1": column(st.sampled_from(DATES)),
        },
        schema={
            "id": pl.Int64,
            "i1": pl.Int64,
            "i2": pl.Int64,
            "f1": pl.Float64,
            "s1": pl.String,
            "b1": pl.Boolean,
            "d1": pl.Date,
        },
    )


# Procedural composites (rather than nested one_of/map trees) keep Hypothesis'
# representation of the strategies short, and shrink well.


@st.composite
def numbers(draw: Any, depth: int = 2) -> str:
    """A numeric expression over the integer and float columns."""
    kind = draw(st.integers(0, 12)) if depth > 0 else draw(st.integers(0, 1))
    if kind == 0:
        return str(draw(st.sampled_from(INT_COLUMNS + FLOAT_COLUMNS)))
    if kind == 1:
        return str(draw(st.sampled_from(["-4", "-1", "0", "1", "2", "3", "0.5", "-1.5", "2.0"])))
    a, b = draw(numbers(depth - 1)), draw(numbers(depth - 1))
    if kind in (2, 3):
        return f"({a} {draw(st.sampled_from(['+', '-', '*']))} {b})"
    if kind == 4:
        return f"({a} / {draw(st.sampled_from(['2', '-4', '0.5']))})"
    if kind == 5:
        return f"({a} / (abs({b}) + 1))"
    if kind == 6:
        return f"abs({a})"
    if kind == 7:
        return f"round({a})"
    if kind == 8:
        return f"-({a})"
    if kind == 9:
        return f"coalesce({a}, {b})"
    if kind == 10:
        return f"{draw(st.sampled_from(['least', 'greatest']))}({a}, {b})"
    if kind == 11:
        return f"length({draw(texts(0))})"
    return a


@st.composite
def texts(draw: Any, depth: int = 1) -> str:
    """A text expression over ``s1``."""
    kind = draw(st.integers(0, 4)) if depth > 0 else draw(st.integers(0, 1))
    if kind == 0:
        return "s1"
    if kind == 1:
        return "'" + draw(st.sampled_from(TEXT_VALUES)) + "'"
    a = draw(texts(depth - 1))
    if kind == 2:
        return f"lower({a})"
    if kind == 3:
        return f"upper({a})"
    return f"coalesce({a}, {draw(texts(depth - 1))})"


COMPARE = ["=", "<>", "!=", "<", "<=", ">", ">="]


@st.composite
def predicates(draw: Any) -> str:
    """One condition: a comparison, BETWEEN, IN, LIKE, IS NULL, or a boolean."""
    kind = draw(st.integers(0, 8))
    negation = draw(st.sampled_from(["", "NOT "]))
    op = draw(st.sampled_from(COMPARE))
    if kind == 0:
        return f"{draw(numbers())} {op} {draw(numbers())}"
    if kind == 1:
        return f"{draw(texts())} {op} {draw(texts())}"
    if kind == 2:
        return f"{draw(numbers())} {negation}BETWEEN {draw(numbers())} AND {draw(numbers())}"
    if kind == 3:
        items = draw(
            st.lists(st.sampled_from(["-1", "0", "1", "2", "NULL"]), min_size=1, max_size=4)
        )
        return f"{draw(st.sampled_from(INT_COLUMNS))} {negation}IN ({', '.join(items)})"
    if kind == 4:
        values = [*(f"'{v}'" for v in TEXT_VALUES), "NULL"]
        items = draw(st.lists(st.sampled_from(values), min_size=1, max_size=3))
        return f"{draw(texts())} {negation}IN ({', '.join(items)})"
    if kind == 5:
        keyword = draw(st.sampled_from(["LIKE", "ILIKE"]))
        pattern = draw(st.text(alphabet="ab%_.A", max_size=4))
        return f"{draw(texts())} {negation}{keyword} '{pattern}'"
    if kind == 6:
        return f"{draw(st.sampled_from(['i1', 'f1', 's1', 'b1', 'd1']))} IS {negation}NULL"
    if kind == 7:
        day = draw(st.sampled_from(DATES)).isoformat()
        return f"d1 {op} DATE '{day}'"
    return str(draw(st.sampled_from(["b1", "NOT b1", "b1 = TRUE", "TRUE", "FALSE", "NULL"])))


@st.composite
def rule_texts(draw: Any, depth: int = 3) -> str:
    """A random rule: conditions joined by AND/OR, negated and parenthesised."""
    kind = draw(st.integers(0, 4)) if depth > 0 else 0
    if kind <= 1:
        return str(draw(predicates()))
    if kind == 2:
        joiner = draw(st.sampled_from(["AND", "OR"]))
        return f"{draw(rule_texts(depth - 1))} {joiner} {draw(rule_texts(depth - 1))}"
    if kind == 3:
        return f"NOT ({draw(rule_texts(depth - 1))})"
    return f"({draw(rule_texts(depth - 1))})"


rules = rule_texts()
