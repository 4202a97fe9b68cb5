"""The compiler: SQL semantics (three-valued logic, x / 0 is NULL), types, located errors."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import narwhals.stable.v2 as nw
import polars as pl
import pytest

from segwise.exceptions import RuleError
from segwise.lang import parse_rule
from segwise.lang.compiler import RuleCompiler, like_to_regex
from segwise.segmenters import RuleSegmenter

TABLE = pl.DataFrame(
    {
        "id": [1, 2, 3, 4],
        "orders": [0, 3, None, 10],
        "revenue": [0.0, 150.0, 20.0, None],
        "city": ["Leeds", "leeds", None, "York"],
        "vip": [True, None, False, True],
        "signup": [dt.date(2024, 1, 1), dt.date(2024, 2, 15), None, dt.date(2023, 12, 31)],
        "seen": [
            dt.datetime(2024, 3, 1, 10),
            None,
            dt.datetime(2024, 2, 1),
            dt.datetime(2024, 3, 2),
        ],
    }
)


def evaluate(rule: str, table: pl.DataFrame = TABLE) -> list[bool | None]:
    frame = nw.from_native(table)
    expr = RuleCompiler(dict(frame.schema)).condition(parse_rule(rule))
    return frame.with_columns(expr.alias("r")).to_native()["r"].to_list()


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("orders >= 3", [False, True, None, True]),
        ("revenue / orders > 10", [None, True, None, None]),  # 0 orders: x / 0 is NULL
        ("orders / 0 IS NULL", [True, True, True, True]),
        ("vip AND orders > 5", [False, False, False, True]),  # NULL AND FALSE is FALSE
        ("vip OR orders > 5", [True, None, None, True]),  # NULL OR TRUE is TRUE
        ("NOT vip", [False, None, True, False]),
        ("orders IN (3, 10)", [False, True, None, True]),
        ("orders IN (3, NULL)", [None, True, None, None]),
        ("orders NOT IN (3, NULL)", [None, False, None, None]),
        ("orders BETWEEN 3 AND 10", [False, True, None, True]),
        ("orders NOT BETWEEN 1 AND 5", [True, False, None, True]),
        ("city = 'Leeds'", [True, False, None, False]),
        ("city ILIKE 'leeds'", [True, True, None, False]),
        ("city LIKE 'L%'", [True, False, None, False]),
        ("city LIKE '_ork'", [False, False, None, True]),
        ("lower(city) = 'leeds'", [True, True, None, False]),
        ("length(city) = 4", [False, False, None, True]),
        ("coalesce(city, 'none') = 'none'", [False, False, True, False]),
        ("greatest(orders, 5) = 5", [True, True, True, False]),  # NULLs are skipped, as in SQL
        ("signup >= '2024-01-01'", [True, True, None, False]),
        ("signup < DATE '2024-01-01'", [False, False, None, True]),
        ("seen >= DATE '2024-03-01'", [True, None, False, True]),
        ("seen > signup", [True, None, None, True]),
        ("round(revenue / 100) = 2", [False, True, False, None]),  # 1.5 rounds away from zero
        ("NULL", [None, None, None, None]),
        ("city IS NULL OR orders IS NULL", [False, False, True, False]),
        ("-orders < -5", [False, False, None, True]),
        ('"orders" = 3', [False, True, None, False]),
    ],
)
def test_sql_semantics(rule: str, expected: list[bool | None]) -> None:
    assert evaluate(rule) == expected


def test_like_escapes_regex_characters() -> None:
    table = pl.DataFrame({"code": ["a.b", "axb", "50% off", "50 off", "a\nb"]})
    assert evaluate("code LIKE 'a.b'", table) == [True, False, False, False, False]
    assert evaluate("code LIKE '50%off'", table) == [False, False, True, True, False]
    assert evaluate("code LIKE 'a%b'", table) == [True, True, False, False, True]
    assert like_to_regex("(x)", case_insensitive=True) == "(?si)\\A\\(x\\)\\z"


COMPILE_ERRORS = [
    ("ordrs > 3", "unknown column 'ordrs'", 1, "did you mean 'orders'?"),
    (
        'city = "Leeds"',
        "unknown column 'Leeds'",
        8,
        "\"Leeds\" in double quotes is a column name; a text value takes single quotes: 'Leeds'",
    ),
    ('"ordrs" > 3', "unknown column 'ordrs'", 1, "did you mean 'orders'?"),
    ("city > 3", "cannot compare text with a number", 1, "quote the value: city = '12'"),
    ("orders = 'three'", "cannot compare a number with text", 1, "quote the value: city = '12'"),
    ("orders + city > 1", "'+' needs a number, but this is text", 10, None),
    (
        "orders",
        "the rule is a number, not a condition",
        1,
        "compare it with something, e.g. orders >= 3",
    ),
    ("city LIKE 'x' AND orders", "AND needs a condition, but this is a number", 19, None),
    ("orders LIKE '1%'", "LIKE needs text, but this is a number", 1, None),
    ("days_since(city) > 3", "days_since() needs a date or timestamp, but this is text", 12, None),
    ("signup > 'soon'", "'soon' is not a date", 10, "write dates as 'YYYY-MM-DD'"),
    ("orders IN (1, 'a')", "cannot compare a number with text", 15, None),
    ("in_segment('vip')", "unknown segment 'vip'", 1, None),
    ("performed('email_open')", "'email_open' needs the events table, and none was given", 1, None),
    (
        "coalesce(orders, city) = 1",
        "coalesce() needs arguments of one type: a number, not text",
        18,
        None,
    ),
]


@pytest.mark.parametrize(
    ("rule", "message", "col", "hint"), COMPILE_ERRORS, ids=[c[0] for c in COMPILE_ERRORS]
)
def test_compile_errors_are_located(rule: str, message: str, col: int, hint: str | None) -> None:
    with pytest.raises(RuleError) as caught:
        evaluate(rule)
    error = caught.value
    assert (error.description, error.line, error.col) == (message, 1, col)
    if hint is not None:
        assert error.hint == hint


def test_segment_reference_cycles_are_rejected() -> None:
    segments = {
        "a": parse_rule("orders > 1 AND in_segment('b')"),
        "b": parse_rule("in_segment('c') OR city = 'x'"),
        "c": parse_rule("in_segment('a')"),
    }
    compiler = RuleCompiler(dict(nw.from_native(TABLE).schema), segments=segments)
    with pytest.raises(RuleError) as caught:
        compiler.condition(segments["a"])
    assert caught.value.description == "segment references form a cycle: b → c → a → b"


def test_segment_reference_uses_the_other_rule() -> None:
    segments = {
        "big": parse_rule("orders >= 3"),
        "big_leeds": parse_rule("in_segment('big') AND city ILIKE 'leeds'"),
    }
    frame = nw.from_native(TABLE)
    compiler = RuleCompiler(dict(frame.schema), segments=segments)
    expr: Any = compiler.condition(segments["big_leeds"])
    # The referenced segment is one column of its own, added before the rule runs.
    assert list(compiler.segment_columns) == ["big"]
    prepared = compiler.add_segment_columns(frame.lazy()).collect()
    assert prepared.select(expr.alias("r")).to_native()["r"].to_list() == [
        False,
        True,
        False,
        False,
    ]


def test_integer_overflow_is_null_on_every_engine() -> None:
    # Issue 12, defect 11: 2**62 + 2**62 wrapped silently on Polars and raised on DuckDB.
    big_table = pl.DataFrame({"id": ["a", "b"], "big": [2**62, 5]})
    rules = {"Positive": "big + big > 0", "Unknown": "big * big IS NULL"}
    segmenter = RuleSegmenter(rules, id_col="id", exclusive=False).fit(big_table)
    expected = {"Positive": [False, True], "Unknown": [True, False]}
    on_polars = segmenter.segment(big_table)
    on_duckdb = segmenter.segment(duckdb.sql("SELECT * FROM big_table")).pl().sort("id")
    for name, values in expected.items():
        assert on_polars[name].to_list() == values
        assert on_duckdb[name].to_list() == values


def test_lower_and_upper_agree_on_every_engine_for_special_cases() -> None:
    # Issue 12, defect 20: DuckDB mapped İ and ß one-to-one; Polars and Spark fully.
    cities = pl.DataFrame({"id": ["1", "2", "3"], "city": ["İstanbul", "Straße", "ﬁne"]})
    rules = {
        "Istanbul": "lower(city) = 'i\u0307stanbul'",
        "Strasse": "upper(city) = 'STRASSE'",
        "Fine": "upper(city) = 'FINE'",
    }
    segmenter = RuleSegmenter(rules, id_col="id", exclusive=False).fit(cities)
    on_polars = segmenter.segment(cities)
    on_duckdb = segmenter.segment(duckdb.sql("SELECT * FROM cities")).pl().sort("id")
    for name in rules:
        assert on_polars[name].to_list() == on_duckdb[name].to_list()
    assert on_polars.select(rules.keys()).to_numpy().diagonal().all()


def test_lower_and_upper_of_a_prediction_read_its_interval_bounds() -> None:
    predictions = pl.DataFrame(
        {
            "p_alive": [0.2, 0.25, None],
            "p_alive_lower": [0.1, 0.05, None],
            "p_alive_upper": [0.28, 0.6, 0.5],
            "clv": [100.0, 300.0, 50.0],
        }
    )
    # "Surely at risk": even the optimistic bound is low; the second is merely likely.
    assert evaluate("upper(p_alive) < 0.3", predictions) == [True, False, False]
    assert evaluate("lower(p_alive) >= 0.1 and p_alive < 0.3", predictions) == [True, False, None]
    with pytest.raises(RuleError, match="clv has no interval: there is no column clv_lower") as err:
        evaluate("lower(clv) > 80", predictions)
    assert err.value.start == 0
    with pytest.raises(RuleError, match=r"upper\(\) of a number reads a prediction's interval"):
        evaluate("upper(clv * 2) > 80", predictions)
