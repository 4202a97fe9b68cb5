"""Never-matching rules, found symbolically: exact on interval rules, sound on every rule."""

from __future__ import annotations

import narwhals.stable.v2 as nw
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segwise.lang import parse_rule
from segwise.lang.compiler import RuleCompiler
from segwise.lang.satisfiability import never_matches
from tests.lang.rule_strategies import rules, tables
from tests.lang.test_duckdb_equivalence import duckdb_members

# Integer bounds, so every satisfiable interval contains a multiple of 0.25.
GRID = pl.DataFrame({"x": [v / 4 for v in range(-32, 33)] + [None]})


def members(rule: str) -> int:
    frame = nw.from_native(GRID)
    expr = RuleCompiler(dict(frame.schema)).condition(parse_rule(rule)).fill_null(value=False)
    return int(frame.select(expr.cast(nw.Int64()).sum()).item())


@st.composite
def interval_rules(draw: st.DrawFn) -> str:
    atoms = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.integers(0, 4))
        a, b = draw(st.integers(-6, 6)), draw(st.integers(-6, 6))
        if kind == 0:
            atoms.append(f"x {draw(st.sampled_from(['<', '<=', '>', '>=', '=', '<>']))} {a}")
        elif kind == 1:
            atoms.append(
                f"x {draw(st.sampled_from(['', 'NOT ']))}BETWEEN {min(a, b)} AND {max(a, b)}"
            )
        elif kind == 2:
            values = draw(st.lists(st.integers(-6, 6), min_size=1, max_size=3))
            atoms.append(
                f"x {draw(st.sampled_from(['', 'NOT ']))}IN ({', '.join(map(str, values))})"
            )
        elif kind == 3:
            atoms.append(f"x IS {draw(st.sampled_from(['', 'NOT ']))}NULL")
        else:
            atoms.append(f"NOT (x {draw(st.sampled_from(['<', '>=', '=']))} {a})")
    return " AND ".join(atoms)


@settings(max_examples=400, deadline=None)
@given(interval_rules())
def test_exact_on_conjunctions_of_intervals(rule: str) -> None:
    assert (never_matches(parse_rule(rule)) is not None) == (members(rule) == 0), rule


@settings(max_examples=200, deadline=None)
@given(table=tables(), rule=rules)
def test_sound_on_random_rules(table: pl.DataFrame, rule: str) -> None:
    if never_matches(parse_rule(rule)) is not None:
        assert duckdb_members(table, rule) == set(), rule


@pytest.mark.parametrize(
    ("rule", "conflict"),
    [
        ("age > 50 AND age < 40", ["age > 50", "age < 40"]),
        ("x IS NULL AND x > 3", ["x IS NULL", "x > 3"]),
        (
            "performed('a', at_least => 3) AND NOT performed('a')",
            ["performed('a', at_least => 3)", "performed('a')"],
        ),
        ("(x > 5 OR y = 1) AND x < 2 AND y <> 1", ["x > 5", "x < 2", "y = 1", "y <> 1"]),
        ("x NOT IN (1, NULL)", ["x NOT IN (1, NULL)"]),
    ],
)
def test_conflicts_name_the_conditions(rule: str, conflict: list[str]) -> None:
    assert never_matches(parse_rule(rule)) == conflict


@pytest.mark.parametrize(
    "rule", ["x > 1 AND x < 2", "x * 2 > 5 AND x < 1", "lower(c) = 'a' AND c = 'B'"]
)
def test_satisfiable_or_unknowable_rules_pass(rule: str) -> None:
    assert never_matches(parse_rule(rule)) is None
