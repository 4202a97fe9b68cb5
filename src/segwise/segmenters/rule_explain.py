"""Why one customer is in or out of one segment: every condition with its values and verdict."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw

from segwise._validation import hint_for
from segwise.exceptions import ConfigError, DataError
from segwise.lang import nodes
from segwise.lang.types import DaysSince, EventCount, EventDateOf, StaticMember

if TYPE_CHECKING:
    from collections.abc import Mapping

    from segwise.lang.compiler import RuleCompiler
    from segwise.lang.parser import Rule
    from segwise.segmenters.rule_catalog import RuleCatalog

Verdict = bool | None


@dataclass(frozen=True, slots=True)
class ExplainedCondition:
    """One condition: its text, its nesting depth, its verdict and the values it read."""

    depth: int
    text: str
    verdict: Verdict
    inputs: tuple[tuple[str, Any], ...]


@dataclass(frozen=True, slots=True)
class Explanation:
    """The answer to "why is this customer (not) in this segment?".

    ``member`` is the rule's verdict made final (NULL counts as out);
    ``assigned`` is the segment an exclusive catalog actually gives the
    customer, which can be an earlier one by priority.
    """

    customer_id: Any
    segment: str
    verdict: Verdict
    member: bool
    assigned: str | None
    conditions: tuple[ExplainedCondition, ...]
    assigned_is_other: bool = False
    #: The segment is an exclusive catalog's rest (``other``): one line per segment's rule.
    rest: bool = False

    def render(self) -> str:
        """Plain text, one condition a line, as ``segwise explain`` prints it."""
        status = "IN" if self.member else "NOT IN"
        why = (
            "the catalog's rest: customers no segment's rule matches"
            if self.rest
            else f"the rule is {_word(self.verdict)}"
        )
        lines = [f"customer {self.customer_id} is {status} segment '{self.segment}' ({why})"]
        width = max((len(c.text) + 2 * c.depth for c in self.conditions), default=0)
        width = min(width, 60)
        for condition in self.conditions:
            shown = ("  " * condition.depth + condition.text).ljust(width)
            values = ", ".join(f"{name} = {_value(value)}" for name, value in condition.inputs)
            lines.append(f"  {_word(condition.verdict):<5}  {shown}  {values}".rstrip())
        if self.assigned is not None and self.assigned != self.segment:
            if self.member:
                reason = "a segment earlier in priority matched first"
            elif self.assigned_is_other:
                reason = "it matches no segment's rule"
            else:
                reason = "it matches that segment's rule"
            lines.append(f"exclusive catalog: assigned to '{self.assigned}' ({reason})")
        return "\n".join(lines)


def _word(verdict: Verdict) -> str:
    return "NULL" if verdict is None else "TRUE" if verdict else "FALSE"


def _value(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:,.6g}"
    return str(value)


def _displayed(root: nodes.Node) -> list[tuple[int, nodes.Node]]:
    """The condition nodes shown: AND/OR/NOT groups and their leaves, with depth."""
    out: list[tuple[int, nodes.Node]] = []
    stack: list[tuple[int, nodes.Node]] = [(0, root)]
    while stack:
        depth, node = stack.pop()
        out.append((depth, node))
        if isinstance(node, nodes.Logical | nodes.Not):
            stack.extend((depth + 1, child) for child in reversed(node.children()))
    return out


def _inputs(node: nodes.Node, rule: Rule, compiler: RuleCompiler) -> list[tuple[str, str]]:
    """(label, column) pairs for the values a leaf condition reads."""
    found: list[tuple[str, str]] = []
    for sub in node.walk():
        if isinstance(sub, nodes.Column) and sub.name in compiler.schema:
            found.append((sub.name, sub.name))
        elif (
            isinstance(sub, nodes.Call)
            and sub.name == "days_since"
            and isinstance(sub.args[0], nodes.Column)
        ):
            column = compiler.derived.get(DaysSince(sub.args[0].name))
            if column:
                found.append((rule.text_of(sub), column))
        elif isinstance(sub, nodes.Performed):
            column = compiler.derived.get(EventCount(sub.filter))
            if column:
                found.append((f"count of '{sub.filter.event}'", column))
        elif isinstance(sub, nodes.EventDate):
            column = compiler.derived.get(EventDateOf(sub.which, sub.filter))
            if column:
                found.append((rule.text_of(sub), column))
    unique: dict[str, str] = {}
    for label, column in found:
        unique.setdefault(label, column)
    return list(unique.items())


def _match_id(frame: nw.LazyFrame[Any], id_col: str, customer_id: Any) -> Any:
    dtype = frame.collect_schema()[id_col]
    if dtype.is_numeric():
        try:
            return int(customer_id) if dtype.is_integer() else float(customer_id)
        except (TypeError, ValueError):
            raise DataError(
                f"customer id '{customer_id}' is not a number, but the ids are",
                column=id_col,
            ) from None
    return str(customer_id)


def explain(
    catalog: RuleCatalog,
    frame: nw.LazyFrame[Any],
    compiler: RuleCompiler,
    rules: Mapping[str, Rule],
    id_col: str,
    customer_id: Any,
    segment: str,
    labels: nw.Expr,
) -> Explanation:
    """Evaluate every condition of ``segment`` for one customer (see ``RuleSegmenter.explain``)."""
    names = [s.name for s in catalog.ordered()]
    rest = catalog.exclusive and segment == catalog.other and segment not in names
    if segment not in names and not rest:
        raise ConfigError(
            f"no segment '{segment}' in catalog '{catalog.name}'",
            hint=hint_for(segment, names).replace("the columns are", "the segments are"),
        )
    wanted = _match_id(frame, id_col, customer_id)
    one = frame.filter(nw.col(id_col) == wanted)
    rule = rules.get(segment)
    exprs: list[nw.Expr] = [labels.alias("__label")]
    shown: list[tuple[int, str, str, list[tuple[str, str]]]] = []
    if rest:  # in it exactly when no segment's rule is TRUE: each rule, whole, on its line
        for k, name in enumerate(names):
            alias = f"__explain_{k}"
            if name not in rules:
                column = compiler.derived[StaticMember(name)]
                ids = next(s.ids for s in catalog.segments if s.name == name)
                shown.append((0, f"{name}: listed in {ids}", column, []))
                continue
            whole = rules[name]
            exprs.append(compiler.node(whole, whole.root).expr.alias(alias))
            leaves = [
                n for _, n in _displayed(whole.root) if not isinstance(n, nodes.Logical | nodes.Not)
            ]
            read = dict.fromkeys(i for n in leaves for i in _inputs(n, whole, compiler))
            shown.append((0, f"{name}: {whole.text_of(whole.root)}", alias, list(read)))
    elif rule is None:  # a static segment
        column = compiler.derived[StaticMember(segment)]
        source = next(s.ids for s in catalog.segments if s.name == segment)
        shown.append((0, f"listed in {source}", column, []))
    else:
        for k, (depth, node) in enumerate(_displayed(rule.root)):
            alias = f"__explain_{k}"
            exprs.append(compiler.node(rule, node).expr.alias(alias))
            inputs = (
                [] if isinstance(node, nodes.Logical | nodes.Not) else _inputs(node, rule, compiler)
            )
            shown.append((depth, rule.text_of(node), alias, inputs))
    input_columns = sorted({column for *_, inputs in shown for _, column in inputs})
    static_columns = [alias for _, _, alias, _ in shown if alias.startswith("__segwise_derived")]
    collected = one.select(*exprs, *(nw.col(c) for c in {*input_columns, *static_columns})).collect(
        backend="polars"
    )
    if collected.shape[0] == 0:
        raise DataError(
            f"customer '{customer_id}' is not in the table",
            column=id_col,
            hint="check the id and the --id-col column",
        )
    row = dict(zip(collected.columns, collected.row(0), strict=True))
    conditions = tuple(
        ExplainedCondition(
            depth, text, row[alias], tuple((label, row[col]) for label, col in inputs)
        )
        for depth, text, alias, inputs in shown
    )
    label = int(row["__label"])
    verdict = (label < 0) if rest else conditions[0].verdict
    assigned = (names[label] if label >= 0 else catalog.other) if catalog.exclusive else None
    return Explanation(
        customer_id, segment, verdict, bool(verdict), assigned, conditions, label < 0, rest=rest
    )
