"""The rule language's functions in one table: arity, argument types and the engine builder.

The parser checks a call's arity here and the compiler builds its Narwhals
expression from here, as sqlglot keeps ``FUNCTIONS``: adding a scalar
function is one entry (plus a line in ``docs/rules.md``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import narwhals.stable.v2 as nw

from segwise.engine import portable
from segwise.lang import nodes
from segwise.lang.types import Compiled, DaysSince, EventDateOf, Type, null_of, require

if TYPE_CHECKING:
    from segwise.lang.compiler import RuleCompiler
    from segwise.lang.parser import Rule

Builder = Callable[["RuleCompiler", "Rule", nodes.Call, list[Compiled]], Compiled]


@dataclass(frozen=True)
class FunctionSpec:
    """One scalar function: how many arguments it takes and how it compiles."""

    fewest: int
    most: int | None  # None: any number
    build: Builder


def _bound(compiler: RuleCompiler, rule: Rule, node: nodes.Call) -> Compiled:
    """lower(x) and upper(x) of a prediction: the stored bound of its interval, ``x_lower``.

    Predictions with intervals (``draws:`` on a clv segmentation) keep each bound as its
    own column; the rule reads it as the prediction's lower or upper value.
    """
    column = node.args[0]
    if not isinstance(column, nodes.Column):
        raise compiler.fail(
            rule,
            node.args[0],
            f"{node.name}() of a number reads a prediction's interval bound",
            f"pass the prediction's column, e.g. {node.name}(p_alive)",
        )
    bound = f"{column.name}_{node.name}"
    if bound not in compiler.schema:
        raise compiler.fail(
            rule,
            node,
            f"{column.name} has no interval: there is no column {bound}",
            "intervals come with predictions drawn with draws: (a clv segmentation)",
        )
    return Compiled(nw.col(bound), Type.NUMBER)


def _text(compiler: RuleCompiler, rule: Rule, node: nodes.Call, args: list[Compiled]) -> Compiled:
    """lower(), upper(), length(): full Unicode case mapping on every engine.

    On a number, lower() and upper() are the bounds of a prediction's interval.
    """
    name = node.name
    if name in ("lower", "upper") and args[0].type is Type.NUMBER:
        return _bound(compiler, rule, node)
    require(compiler, rule, node.args[0], args[0], Type.STRING, f"{name}()")
    result = Type.NUMBER if name == "length" else Type.STRING
    if args[0].type is Type.NULL:
        return Compiled(null_of(result), result)
    if name == "lower":
        return Compiled(portable.to_lowercase(args[0].expr), Type.STRING)
    if name == "upper":
        return Compiled(portable.to_uppercase(args[0].expr), Type.STRING)
    return Compiled(args[0].expr.str.len_chars().cast(nw.Int64()), Type.NUMBER)


def _number(compiler: RuleCompiler, rule: Rule, node: nodes.Call, args: list[Compiled]) -> Compiled:
    """abs() and round(x[, digits]) (half away from zero, as SQL rounds)."""
    require(compiler, rule, node.args[0], args[0], Type.NUMBER, f"{node.name}()")
    if args[0].type is Type.NULL:
        return Compiled(null_of(Type.NUMBER), Type.NUMBER)
    if node.name == "abs":
        return Compiled(args[0].expr.abs(), Type.NUMBER)
    digits = node.args[1].value if len(node.args) == 2 else 0  # type: ignore[attr-defined]
    return Compiled(portable.round_half_away(args[0].expr, int(digits)), Type.NUMBER)


def _days_since(
    compiler: RuleCompiler, rule: Rule, node: nodes.Call, args: list[Compiled]
) -> Compiled:
    """Whole days from a date column (or an event's first/last date) to the as-of date."""
    if args[0].type not in (Type.DATE, Type.DATETIME, Type.NULL):
        raise compiler.fail(
            rule,
            node.args[0],
            f"days_since() needs a date or timestamp, but this is {args[0].type.value}",
            "pass a date column, e.g. days_since(signup_date)",
        )
    if not compiler.allow_derived:
        raise compiler.fail(
            rule,
            node,
            "days_since() cannot be used in an event filter",
            "use within => '30d' to limit events by age",
        )
    if isinstance(node.args[0], nodes.Column):
        source = node.args[0].name
    elif isinstance(node.args[0], nodes.EventDate):
        # The event date's own derived column is allocated first, so it exists in time.
        source = compiler.derived[EventDateOf(node.args[0].which, node.args[0].filter)]
    else:
        raise compiler.fail(
            rule,
            node.args[0],
            "days_since() takes a date column or first_performed()/last_performed()",
            "write days_since(signup_date)",
        )
    return Compiled(nw.col(compiler.derived_column(DaysSince(source))), Type.NUMBER)


def _combine(
    compiler: RuleCompiler, rule: Rule, node: nodes.Call, args: list[Compiled]
) -> Compiled:
    """coalesce(), least(), greatest(): every argument of one type."""
    name = node.name
    typed = [a for a in args if a.type is not Type.NULL]
    if not typed:
        return Compiled(null_of(Type.NUMBER), Type.NULL)
    kind = typed[0].type
    for arg, arg_node in zip(args, node.args, strict=True):
        if arg.type not in (kind, Type.NULL):
            raise compiler.fail(
                rule,
                arg_node,
                f"{name}() needs arguments of one type: {kind.value}, not {arg.type.value}",
            )
    exprs = [a.expr if a.type is not Type.NULL else null_of(kind) for a in args]
    if name == "coalesce":
        return Compiled(nw.coalesce(*exprs), kind)
    if kind not in (Type.NUMBER, Type.STRING, Type.DATE, Type.DATETIME):
        raise compiler.fail(rule, node, f"{name}() compares numbers, text or dates")
    combined = nw.min_horizontal(*exprs) if name == "least" else nw.max_horizontal(*exprs)
    return Compiled(combined, kind)


#: Every scalar function of the rule language.
FUNCTIONS: dict[str, FunctionSpec] = {
    "lower": FunctionSpec(1, 1, _text),
    "upper": FunctionSpec(1, 1, _text),
    "length": FunctionSpec(1, 1, _text),
    "abs": FunctionSpec(1, 1, _number),
    "round": FunctionSpec(1, 2, _number),
    "coalesce": FunctionSpec(1, None, _combine),
    "least": FunctionSpec(2, None, _combine),
    "greatest": FunctionSpec(2, None, _combine),
    "days_since": FunctionSpec(1, 1, _days_since),
}
#: Event functions (their named arguments are checked by the parser's event rules).
EVENT_FUNCTIONS = ("performed", "first_performed", "last_performed")
EVENT_ARGUMENTS = ("at_least", "at_most", "exactly", "within", "between", "where")
ALL_FUNCTIONS = (*FUNCTIONS, *EVENT_FUNCTIONS, "in_segment")
