"""The parser: valid rules parse, invalid and hostile ones fail with pinned messages."""

from __future__ import annotations

import ast as python_ast
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import segwise.lang
from segwise.exceptions import RuleSyntaxError
from segwise.lang import nodes, parse_rule
from segwise.lang.parser import MAX_DEPTH, MAX_NODES

DATA = Path(__file__).parent / "data"
VALID = [line for line in (DATA / "valid_rules.txt").read_text().splitlines() if line.strip()]
INVALID = yaml.safe_load((DATA / "invalid_rules.yaml").read_text())


@pytest.mark.parametrize("rule", VALID, ids=range(len(VALID)))
def test_valid_rules_parse(rule: str) -> None:
    parsed = parse_rule(rule)
    assert parsed.root.start >= 0
    assert parsed.root.end <= len(rule)


def test_multi_line_rule_parses_across_lines() -> None:
    parsed = parse_rule("orders >= 3\n  AND monetary > 500")
    assert [parsed.text_of(c) for c in parsed.conditions] == ["orders >= 3", "monetary > 500"]


def test_at_least_25_invalid_rules_are_pinned() -> None:
    assert len(INVALID) >= 25


@pytest.mark.parametrize("case", INVALID, ids=[c["rule"][:40] for c in INVALID])
def test_invalid_rule_gives_its_pinned_error(case: dict[str, object]) -> None:
    with pytest.raises(RuleSyntaxError) as caught:
        parse_rule(str(case["rule"]))
    error = caught.value
    assert (error.description, error.line, error.col) == (
        case["message"],
        case["line"],
        case["col"],
    )


def test_error_renders_the_line_with_a_caret() -> None:
    with pytest.raises(RuleSyntaxError) as caught:
        parse_rule("frequency >= 3 AND monetary >=")
    assert caught.value.render() == (
        "RuleSyntaxError: expected a value after '>=' (line 1, col 31)\n"
        "  frequency >= 3 AND monetary >=\n"
        "                                ^"
    )


def test_caret_spans_the_faulty_token() -> None:
    with pytest.raises(RuleSyntaxError) as caught:
        parse_rule("orders > 3 AND evaluate(x) > 1")
    lines = caught.value.render().splitlines()
    assert lines[1] == "  orders > 3 AND evaluate(x) > 1"
    assert lines[2] == "                 ^^^^^^^^"
    assert lines[3].startswith("  The functions are lower, upper, length, abs, round, coalesce,")


def test_precedence_and_binds_tighter_than_or() -> None:
    root = parse_rule("a = 1 OR b = 2 AND c = 3").root
    assert isinstance(root, nodes.Logical)
    assert root.op == "OR"
    assert isinstance(root.items[1], nodes.Logical)
    assert root.items[1].op == "AND"


def test_not_applies_to_the_whole_comparison() -> None:
    root = parse_rule("NOT a = 1").root
    assert isinstance(root, nodes.Not)
    assert isinstance(root.operand, nodes.Comparison)


def test_multiplication_binds_tighter_than_addition() -> None:
    root = parse_rule("a + b * c > 1").root
    assert isinstance(root, nodes.Comparison)
    left = root.left
    assert isinstance(left, nodes.Arithmetic)
    assert left.op == "+"
    assert isinstance(left.right, nodes.Arithmetic)
    assert left.right.op == "*"


def test_event_condition_arguments() -> None:
    root = parse_rule(
        "performed('email_open', at_least => 3, within => '2w', where => \"channel = 'app'\")"
    ).root
    assert isinstance(root, nodes.Performed)
    assert (root.at_least, root.at_most, root.filter.within_days) == (3, None, 14.0)
    assert root.filter.where_text == "channel = 'app'"


def test_event_filter_error_points_into_the_outer_rule() -> None:
    with pytest.raises(RuleSyntaxError) as caught:
        parse_rule("performed('a', where => \"channel = \")")
    assert caught.value.col == 36
    assert caught.value.description == "in the event filter: expected a value after '='"


# -- caps and safety --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rule",
    [
        "(" * 5000 + "x > 1" + ")" * 5000,
        "NOT " * 5000 + "x",
        "- " * 5000 + "1 > 0",
        "lower(" * 5000 + "x" + ")" * 5000 + " = 'a'",
    ],
    ids=["parentheses", "not", "minus", "calls"],
)
def test_deep_nesting_is_refused_cleanly(rule: str) -> None:
    with pytest.raises(RuleSyntaxError) as caught:
        parse_rule(rule)
    assert caught.value.description == f"the rule nests deeper than {MAX_DEPTH} levels"


def test_node_cap_refuses_huge_rules() -> None:
    rule = " OR ".join("x=1" for _ in range(MAX_NODES // 2))
    with pytest.raises(RuleSyntaxError) as caught:
        parse_rule(rule)
    assert caught.value.description == f"the rule has more than {MAX_NODES:,} parts"


def test_long_flat_and_chain_is_fine_below_the_cap() -> None:
    rule = " AND ".join(f"x <> {i}" for i in range(1000))
    parsed = parse_rule(rule)
    assert len(parsed.conditions) == 1000


def test_lang_package_never_evaluates_or_opens_anything() -> None:
    # Safety by construction: no eval/exec/compile/open/__import__ anywhere in segwise.lang.
    forbidden = {"eval", "exec", "compile", "open", "__import__", "getattr", "globals", "locals"}
    package = Path(segwise.lang.__file__).parent
    for source in package.glob("*.py"):
        tree = python_ast.parse(source.read_text())
        for node in python_ast.walk(tree):
            if isinstance(node, python_ast.Call) and isinstance(node.func, python_ast.Name):
                assert node.func.id not in forbidden, (
                    f"{source.name}:{node.lineno} calls {node.func.id}"
                )


# -- fuzzing ----------------------------------------------------------------------------------

PIECES = [
    "x",
    "y",
    "'a'",
    '"b c"',
    "1",
    "2.5",
    "1e3",
    "(",
    ")",
    ",",
    "=>",
    "=",
    "<>",
    "<",
    ">=",
    "+",
    "-",
    "*",
    "/",
    "AND",
    "OR",
    "NOT",
    "BETWEEN",
    "IN",
    "LIKE",
    "ILIKE",
    "IS",
    "NULL",
    "TRUE",
    "DATE",
    "'2024-01-01'",
    "lower",
    "round",
    "coalesce",
    "performed",
    "in_segment",
    "within",
    "at_least",
    "where",
    "between",
    "'30d'",
    " ",
    "\n",
    ";",
    ".",
    "'",
    '"',
    "%",
]


@settings(max_examples=600, deadline=None)
@given(st.text(max_size=80))
def test_any_text_parses_or_raises_rule_syntax_error(text: str) -> None:
    try:
        parse_rule(text)
    except RuleSyntaxError as error:
        assert error.line >= 1
        assert error.col >= 1
        assert error.render().count("\n") >= 2


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=30).map(" ".join))
def test_any_token_soup_parses_or_raises_rule_syntax_error(text: str) -> None:
    try:
        parse_rule(text)
    except RuleSyntaxError as error:
        assert 0 <= error.start <= len(text)


def test_flat_100_term_sum_is_not_too_deep() -> None:
    # Issue 12, defect 21: a flat sum nests only to the left and counts as one level.
    rule = parse_rule(" + ".join(f"c{i}" for i in range(100)) + " > 0")
    assert len(rule.columns) == 100
    with pytest.raises(RuleSyntaxError) as caught:
        parse_rule("x" + " + 1" * 5000 + " > 0")
    assert caught.value.description == "more than 128 terms joined by + and -"


def test_int64_minimum_can_be_written() -> None:
    # Issue 12, defect 21: -9223372036854775808 was "too large".
    root = parse_rule("x = -9223372036854775808").root
    assert root.right.value == -(2**63)  # type: ignore[attr-defined]
    with pytest.raises(RuleSyntaxError, match="too large for a 64-bit integer"):
        parse_rule("x = 9223372036854775808")


def test_long_like_pattern_is_refused_at_parse_time() -> None:
    # Issue 12, defect 21: a 90,000-character pattern reached the regex engines.
    with pytest.raises(RuleSyntaxError) as caught:
        parse_rule("email LIKE '" + "a%" * 45_000 + "'")
    assert caught.value.description.startswith("the LIKE pattern is 90,000 characters long")


def test_dotless_i_is_a_name_not_the_keyword_in() -> None:
    # Issue 12, defect 21: "ın".upper() == "IN".
    assert parse_rule("ın > 1").columns == {"ın"}


def test_within_beyond_any_date_is_a_located_error() -> None:
    # Issue 12, defect 11: within => '999999999d' overflowed with a traceback.
    with pytest.raises(RuleSyntaxError) as caught:
        parse_rule("performed('visit', within => '999999999d')")
    assert caught.value.description == "within is at most 365,250 days (1,000 years)"
    assert caught.value.col == 30


def test_timestamp_with_an_offset_is_refused() -> None:
    # Issue 12, defect 20: the engines disagreed on TIMESTAMP '...+02:00'.
    with pytest.raises(RuleSyntaxError) as caught:
        parse_rule("ts > TIMESTAMP '2024-01-01 10:00:00+02:00'")
    assert caught.value.description.endswith("has a UTC offset; timestamps in rules have none")


def test_integers_of_thousands_of_digits_are_a_located_error() -> None:
    # Python refuses int() of over 4,300 digits; the tokenizer must answer first, in words.
    from segwise.exceptions import RuleSyntaxError

    with pytest.raises(RuleSyntaxError, match="too large for a 64-bit integer"):
        parse_rule("orders > " + "9" * 5000)
    assert parse_rule("0" * 5000 + " = 0").root is not None
