"""AST → Narwhals expression, by a whitelist dispatch on node types.

The compiler checks every column against the table's schema and every
operation against the types of its operands, so a rule that compiles runs the
same on Polars, DuckDB and Spark. Things a row-level expression cannot compute
(days since a date, event counts, static lists) are compiled to references to
*derived columns*; :mod:`segwise.lang.evaluate` adds those with joins and
aggregations before the expression runs.

SQL semantics are kept where SQL has them: three-valued logic (a comparison
with NULL is NULL, ``NULL AND FALSE`` is FALSE), ``x / 0`` is NULL, ``IN``
with a NULL in the list is NULL when nothing matches, and a customer belongs
to a segment only where the rule is TRUE.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import reduce
from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw

from segwise._validation import did_you_mean, hint_for
from segwise.exceptions import RuleError
from segwise.lang import nodes
from segwise.lang.functions import FUNCTIONS
from segwise.lang.parser import Rule
from segwise.lang.types import (
    Compiled,
    Derived,
    EventCount,
    EventDateOf,
    StaticMember,
    Type,
    type_of_dtype,
)
from segwise.lang.types import null_of as _null
from segwise.lang.types import require as _require

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping


@dataclass
class RuleCompiler:
    """Compile rules against one table's schema.

    Parameters
    ----------
    schema
        Column name → Narwhals dtype of the customer table.
    segments
        Other segments' rules, for ``in_segment()``.
    static_segments
        Names of segments defined by a list of ids.
    event_schemas
        ``{"events": schema, "transactions": schema}`` for the tables that
        event conditions read; a missing table makes its conditions an error.
    allow_derived
        False for event filters, which see one event row at a time.

    Examples
    --------
    >>> import polars as pl
    >>> from segwise.lang.parser import parse_rule
    >>> frame = nw.from_native(pl.DataFrame({"orders": [1, 5, None]}))
    >>> compiler = RuleCompiler(dict(frame.schema))
    >>> expr = compiler.condition(parse_rule("orders >= 3"))
    >>> frame.select(expr.alias("in")).to_native()["in"].to_list()
    [False, True, None]
    """

    schema: Mapping[str, Any]
    segments: Mapping[str, Rule] = field(default_factory=dict)
    static_segments: frozenset[str] = frozenset()
    event_schemas: Mapping[str, Mapping[str, Any] | None] = field(default_factory=dict)
    allow_derived: bool = True
    derived: dict[Derived, str] = field(default_factory=dict)
    #: Referenced segments, each compiled once into its own column: ``name -> (column,
    #: expression, level)``, dependencies first; see :meth:`add_segment_columns`.
    segment_columns: dict[str, tuple[str, nw.Expr, int]] = field(default_factory=dict)
    _segment_stack: list[str] = field(default_factory=list)
    _segment_refs: list[set[str]] = field(default_factory=list)

    def condition(self, rule: Rule, *, source: str | None = None) -> nw.Expr:
        """Compile a whole rule to a boolean expression (TRUE, FALSE or NULL per row)."""
        try:
            compiled = self.node(rule, rule.root)
        except RuleError as exc:
            if source and not exc.source:
                raise exc.with_source(source) from None
            raise
        if compiled.type not in (Type.BOOLEAN, Type.NULL):
            raise RuleError(
                f"the rule is {compiled.type.value}, not a condition",
                text=rule.text,
                start=rule.root.start,
                end=rule.root.end,
                hint="compare it with something, e.g. orders >= 3",
                source=source,
            )
        return compiled.expr if compiled.type is Type.BOOLEAN else _null(Type.BOOLEAN)

    def node(self, rule: Rule, node: nodes.Node) -> Compiled:
        """Compile any node (value or condition); used by ``explain`` for sub-conditions."""
        handler = _DISPATCH.get(type(node))
        if handler is None:  # pragma: no cover - every parser node has a handler
            raise RuleError(
                f"{type(node).__name__} is not supported", text=rule.text, start=node.start
            )
        return handler(self, rule, node)

    def add_segment_columns(self, frame: nw.LazyFrame[Any]) -> nw.LazyFrame[Any]:
        """Add the columns of every segment referenced with ``in_segment()``.

        Segments of one level (those whose references are all in lower levels) are
        added by one ``with_columns``, so references cost one column each however
        often they are used: never an inlined copy of the referenced rule.
        """
        levels: dict[int, list[nw.Expr]] = {}
        for column, expr, level in self.segment_columns.values():
            levels.setdefault(level, []).append(expr.alias(column))
        for level in sorted(levels):
            frame = frame.with_columns(*levels[level])
        return frame

    def derived_column(self, spec: Derived) -> str:
        """The column that will hold ``spec``'s value (allocated on first use)."""
        if spec not in self.derived:
            self.derived[spec] = f"__segwise_derived_{len(self.derived)}"
        return self.derived[spec]

    # -- errors ----------------------------------------------------------------------------
    @staticmethod
    def fail(rule: Rule, node: nodes.Node, description: str, hint: str | None = None) -> RuleError:
        """A RuleError pointing at ``node``."""
        return RuleError(description, text=rule.text, start=node.start, end=node.end, hint=hint)


# -- handlers ------------------------------------------------------------------------------


def _literal(compiler: RuleCompiler, rule: Rule, node: nodes.Literal) -> Compiled:
    value = node.value
    if value is None:
        return Compiled(_null(Type.BOOLEAN), Type.NULL)
    if isinstance(value, bool):
        return Compiled(nw.lit(value, dtype=nw.Boolean()), Type.BOOLEAN)
    if isinstance(value, int):
        return Compiled(nw.lit(value, dtype=nw.Int64()), Type.NUMBER, integer=True)
    if isinstance(value, float):
        return Compiled(nw.lit(value, dtype=nw.Float64()), Type.NUMBER)
    if isinstance(value, datetime):
        return Compiled(nw.lit(value, dtype=nw.Datetime("us")), Type.DATETIME)
    if isinstance(value, date):
        return Compiled(nw.lit(value, dtype=nw.Date()), Type.DATE)
    return Compiled(nw.lit(value, dtype=nw.String()), Type.STRING)


def column_hint(name: str, columns: Iterable[str], *, quoted: bool) -> str:
    """What to say of an unknown column: the nearest names, or that text takes single quotes.

    Double quotes name a column (SQL); people used to Python write ``country = "UK"``.

    Examples
    --------
    >>> print(column_hint("UK", ["country", "orders"], quoted=True))
    "UK" in double quotes is a column name; a text value takes single quotes: 'UK'
    >>> column_hint("contry", ["country", "orders"], quoted=True)
    "did you mean 'country'?"
    """
    pool = list(columns)
    if quoted and not did_you_mean(name, pool):
        return (
            f'"{name}" in double quotes is a column name; a text value takes single quotes: '
            f"'{name}'"
        )
    return hint_for(name, pool)


def _column(compiler: RuleCompiler, rule: Rule, node: nodes.Column) -> Compiled:
    if node.name not in compiler.schema:
        what = "event column" if not compiler.allow_derived else "column"
        quoted = rule.text[node.start : node.start + 1] == '"'
        hint = column_hint(node.name, compiler.schema, quoted=quoted)
        raise compiler.fail(rule, node, f"unknown {what} '{node.name}'", hint)
    kind = type_of_dtype(compiler.schema[node.name])
    if kind is None:
        raise compiler.fail(
            rule,
            node,
            f"column '{node.name}' has type {compiler.schema[node.name]}, which rules cannot read",
            "rules read numbers, text, booleans, dates and timestamps",
        )
    return Compiled(nw.col(node.name), kind, integer=compiler.schema[node.name].is_integer())


def _negate(compiler: RuleCompiler, rule: Rule, node: nodes.Negate) -> Compiled:
    operand = compiler.node(rule, node.operand)
    if operand.type is Type.NULL:
        return Compiled(_null(Type.NUMBER), Type.NUMBER)
    _require(compiler, rule, node.operand, operand, Type.NUMBER, "'-'")
    return Compiled(operand.expr * -1, Type.NUMBER)


def _arithmetic(compiler: RuleCompiler, rule: Rule, node: nodes.Arithmetic) -> Compiled:
    left, right = compiler.node(rule, node.left), compiler.node(rule, node.right)
    _require(compiler, rule, node.left, left, Type.NUMBER, f"'{node.op}'")
    _require(compiler, rule, node.right, right, Type.NUMBER, f"'{node.op}'")
    if Type.NULL in (left.type, right.type):
        return Compiled(_null(Type.NUMBER), Type.NUMBER)
    a, b = left.expr, right.expr
    if node.op in ("+", "-", "*"):
        combine = _ARITHMETIC[node.op]
        exact = combine(a, b)
        if not (left.integer and right.integer):
            return Compiled(exact, Type.NUMBER)
        # 64-bit integers wrap silently on Polars and raise on DuckDB: an integer result
        # beyond ±9.2e18 is NULL on every engine (the float estimate decides; the engines'
        # CASE never evaluates the masked exact result, so nothing raises).
        estimate = combine(a.cast(nw.Float64()), b.cast(nw.Float64()))
        checked = nw.when(estimate.abs() < INTEGER_LIMIT).then(exact)
        return Compiled(checked, Type.NUMBER, integer=True)
    numerator = a.cast(nw.Float64())
    denominator = b.cast(nw.Float64())
    if isinstance(node.right, nodes.Literal):
        # Polars turns "x / literal" into "x * (1 / literal)", off in the last bit
        # against DuckDB and Spark; dividing by an expression keeps a true division.
        denominator = numerator * 0.0 + denominator
    return Compiled(nw.when(b != 0).then(numerator / denominator), Type.NUMBER)


#: Deepest chain of in_segment() references (A uses B uses C ...): each link is a
#: level of columns and of Python recursion while compiling.
MAX_SEGMENT_CHAIN = 100

#: Integer arithmetic results at or beyond this magnitude are NULL (just under 2**63).
INTEGER_LIMIT = 9.2e18

_ARITHMETIC: dict[str, Callable[[nw.Expr, nw.Expr], nw.Expr]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
}


def _comparable(
    compiler: RuleCompiler,
    rule: Rule,
    node: nodes.Node,
    left: Compiled,
    right: Compiled,
    left_node: nodes.Node,
    right_node: nodes.Node,
) -> tuple[nw.Expr, nw.Expr] | None:
    """Bring two operands to a common type, or None when one side is NULL."""
    if Type.NULL in (left.type, right.type):
        return None
    temporal = (Type.DATE, Type.DATETIME)
    a, b = left.expr, right.expr
    if left.type in temporal and right.type is Type.STRING:
        b = _date_from_text(compiler, rule, right_node, left.type)
        right = Compiled(b, left.type)
    elif right.type in temporal and left.type is Type.STRING:
        a = _date_from_text(compiler, rule, left_node, right.type)
        left = Compiled(a, right.type)
    if left.type in temporal and right.type in temporal:
        if left.type is not right.type:
            a = a.cast(nw.Datetime("us")) if left.type is Type.DATE else a
            b = b.cast(nw.Datetime("us")) if right.type is Type.DATE else b
        return a, b
    if left.type is not right.type:
        hint = (
            "quote the value: city = '12'"
            if Type.STRING in (left.type, right.type)
            else "compare like with like"
        )
        raise compiler.fail(
            rule, node, f"cannot compare {left.type.value} with {right.type.value}", hint
        )
    return a, b


def _date_from_text(compiler: RuleCompiler, rule: Rule, node: nodes.Node, kind: Type) -> nw.Expr:
    if not isinstance(node, nodes.Literal) or not isinstance(node.value, str):
        raise compiler.fail(
            rule,
            node,
            "cannot compare a date with a text column",
            "compare dates with dates, e.g. signup_date >= DATE '2024-01-01'",
        )
    try:
        if kind is Type.DATE:
            return nw.lit(date.fromisoformat(node.value), dtype=nw.Date())
        parsed = datetime.fromisoformat(node.value)
    except ValueError:
        raise compiler.fail(
            rule, node, f"'{node.value}' is not a date", "write dates as 'YYYY-MM-DD'"
        ) from None
    return nw.lit(parsed, dtype=nw.Datetime("us"))


_COMPARE_OPS: dict[str, Callable[[nw.Expr, nw.Expr], nw.Expr]] = {
    "=": lambda a, b: a == b,
    "<>": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _comparison(compiler: RuleCompiler, rule: Rule, node: nodes.Comparison) -> Compiled:
    left, right = compiler.node(rule, node.left), compiler.node(rule, node.right)
    pair = _comparable(compiler, rule, node, left, right, node.left, node.right)
    if pair is None:
        return Compiled(_null(Type.BOOLEAN), Type.BOOLEAN)
    return Compiled(_COMPARE_OPS[node.op](*pair), Type.BOOLEAN)


def _balanced(op: Callable[[nw.Expr, nw.Expr], nw.Expr], items: list[nw.Expr]) -> nw.Expr:
    """Combine with a balanced tree: depth log2(n), so long AND chains stay shallow."""
    while len(items) > 1:
        paired = [op(items[i], items[i + 1]) for i in range(0, len(items) - 1, 2)]
        if len(items) % 2:
            paired.append(items[-1])
        items = paired
    return items[0]


def _logical(compiler: RuleCompiler, rule: Rule, node: nodes.Logical) -> Compiled:
    parts = []
    for item in node.items:
        compiled = compiler.node(rule, item)
        _require(compiler, rule, item, compiled, Type.BOOLEAN, node.op)
        parts.append(compiled.expr if compiled.type is Type.BOOLEAN else _null(Type.BOOLEAN))
    combine = (lambda a, b: a & b) if node.op == "AND" else (lambda a, b: a | b)
    return Compiled(_balanced(combine, parts), Type.BOOLEAN)


def _not(compiler: RuleCompiler, rule: Rule, node: nodes.Not) -> Compiled:
    operand = compiler.node(rule, node.operand)
    _require(compiler, rule, node.operand, operand, Type.BOOLEAN, "NOT")
    if operand.type is Type.NULL:
        return Compiled(_null(Type.BOOLEAN), Type.BOOLEAN)
    return Compiled(~operand.expr, Type.BOOLEAN)


def _between(compiler: RuleCompiler, rule: Rule, node: nodes.Between) -> Compiled:
    value = compiler.node(rule, node.operand)
    low, high = compiler.node(rule, node.low), compiler.node(rule, node.high)
    lower = _comparable(compiler, rule, node, value, low, node.operand, node.low)
    upper = _comparable(compiler, rule, node, value, high, node.operand, node.high)
    above = _null(Type.BOOLEAN) if lower is None else lower[0] >= lower[1]
    below = _null(Type.BOOLEAN) if upper is None else upper[0] <= upper[1]
    inside = above & below
    return Compiled(~inside if node.negated else inside, Type.BOOLEAN)


def _in_list(compiler: RuleCompiler, rule: Rule, node: nodes.InList) -> Compiled:
    value = compiler.node(rule, node.operand)
    if value.type is Type.NULL:
        return Compiled(_null(Type.BOOLEAN), Type.BOOLEAN)
    values: list[Any] = []
    has_null = False
    for item in node.items:
        if item.value is None:
            has_null = True
            continue
        literal = _literal(compiler, rule, item)
        if value.type in (Type.DATE, Type.DATETIME) and literal.type is Type.STRING:
            literal = Compiled(_date_from_text(compiler, rule, item, value.type), value.type)
            parsed = date.fromisoformat(str(item.value))
            values.append(parsed if value.type is Type.DATE else datetime.combine(parsed, time()))
            continue
        if literal.type is not value.type:
            raise compiler.fail(
                rule,
                item,
                f"cannot compare {value.type.value} with {literal.type.value}",
                "every value in the IN list must have the column's type",
            )
        values.append(item.value)
    if not values:
        return Compiled(_null(Type.BOOLEAN), Type.BOOLEAN)
    operand = value.expr
    if value.type is Type.NUMBER:
        # Polars 2 will not compare floats with an integer list (or the reverse): integers
        # stay exact when both sides are integers, and everything else compares as Float64.
        integral = (
            isinstance(node.operand, nodes.Column)
            and compiler.schema[node.operand.name].is_integer()
        )
        if not (integral and all(isinstance(v, int) for v in values)):
            operand = operand.cast(nw.Float64())
            values = [float(v) for v in values]
    found = operand.is_in(values)
    if has_null:
        # x IN (1, NULL) is TRUE on a match and NULL otherwise, as in SQL.
        member = nw.when(found).then(nw.lit(True)).otherwise(_null(Type.BOOLEAN))
    else:
        member = nw.when(~value.expr.is_null()).then(found)
    return Compiled(~member if node.negated else member, Type.BOOLEAN)


_REGEX_META = set(".^$*+?()[]{}|\\")


def like_to_regex(pattern: str, *, case_insensitive: bool) -> str:
    r"""Translate a LIKE pattern into an anchored regular expression all three engines read.

    ``\A`` and ``\z`` anchor at the very ends (Java's ``$`` would also match
    before a final newline); ``(?s)`` lets ``%`` span newlines as in SQL.

    Examples
    --------
    >>> like_to_regex("50%_off.", case_insensitive=False)
    '(?s)\\A50.*.off\\.\\z'
    """
    body = "".join(
        ".*" if ch == "%" else "." if ch == "_" else "\\" + ch if ch in _REGEX_META else ch
        for ch in pattern
    )
    flags = "(?si)" if case_insensitive else "(?s)"
    return f"{flags}\\A{body}\\z"


def _like(compiler: RuleCompiler, rule: Rule, node: nodes.Like) -> Compiled:
    value = compiler.node(rule, node.operand)
    keyword = "ILIKE" if node.case_insensitive else "LIKE"
    _require(compiler, rule, node.operand, value, Type.STRING, keyword)
    if value.type is Type.NULL:
        return Compiled(_null(Type.BOOLEAN), Type.BOOLEAN)
    matched = value.expr.str.contains(
        like_to_regex(node.pattern, case_insensitive=node.case_insensitive)
    )
    return Compiled(~matched if node.negated else matched, Type.BOOLEAN)


def _is_null(compiler: RuleCompiler, rule: Rule, node: nodes.IsNull) -> Compiled:
    value = compiler.node(rule, node.operand)
    if value.type is Type.NULL:
        return Compiled(nw.lit(not node.negated), Type.BOOLEAN)
    missing = value.expr.is_null()
    return Compiled(~missing if node.negated else missing, Type.BOOLEAN)


def _call(compiler: RuleCompiler, rule: Rule, node: nodes.Call) -> Compiled:
    args = [compiler.node(rule, arg) for arg in node.args]
    return FUNCTIONS[node.name].build(compiler, rule, node, args)


def _event_table(compiler: RuleCompiler, rule: Rule, node: nodes.Node, event: str) -> str:
    if not compiler.allow_derived:
        raise compiler.fail(rule, node, "event conditions cannot be nested")
    table = "transactions" if event.lower() in ("purchase", "order") else "events"
    if compiler.event_schemas.get("transactions") is not None and table == "transactions":
        return table
    if compiler.event_schemas.get("events") is not None:
        return "events"
    what = "transactions or events" if table == "transactions" else "events"
    raise compiler.fail(
        rule,
        node,
        f"'{event}' needs the {what} table, and none was given",
        "pass events=... (or transactions=...), or --events FILE on the command line",
    )


def check_event_filter(
    compiler: RuleCompiler, rule: Rule, node: nodes.Node, event_filter: nodes.EventFilter
) -> str:
    """Check that an event condition can run; return the table it reads."""
    table = _event_table(compiler, rule, node, event_filter.event)
    if event_filter.where is not None and event_filter.where_text is not None:
        schema = compiler.event_schemas[table]
        assert schema is not None
        inner = RuleCompiler(schema, allow_derived=False)
        try:
            inner.condition(Rule(event_filter.where_text, event_filter.where))
        except RuleError as exc:
            offset = rule.text.find(event_filter.where_text, node.start)
            offset = node.start if offset < 0 else offset
            raise RuleError(
                f"in the event filter: {exc.description}",
                text=rule.text,
                start=offset + exc.start,
                end=offset + exc.end,
                hint=exc.hint,
            ) from None
    return table


def _performed(compiler: RuleCompiler, rule: Rule, node: nodes.Performed) -> Compiled:
    check_event_filter(compiler, rule, node, node.filter)
    count = nw.col(compiler.derived_column(EventCount(node.filter)))
    checks = []
    if node.at_least is not None:
        checks.append(count >= node.at_least)
    if node.at_most is not None:
        checks.append(count <= node.at_most)
    return Compiled(reduce(lambda a, b: a & b, checks), Type.BOOLEAN)


def _event_date(compiler: RuleCompiler, rule: Rule, node: nodes.EventDate) -> Compiled:
    check_event_filter(compiler, rule, node, node.filter)
    return Compiled(
        nw.col(compiler.derived_column(EventDateOf(node.which, node.filter))), Type.DATE
    )


def _segment_ref(compiler: RuleCompiler, rule: Rule, node: nodes.SegmentRef) -> Compiled:
    name = node.name
    if name in compiler.static_segments:
        return Compiled(nw.col(compiler.derived_column(StaticMember(name))), Type.BOOLEAN)
    if name not in compiler.segments:
        known = [*compiler.segments, *compiler.static_segments]
        raise compiler.fail(
            rule,
            node,
            f"unknown segment '{name}'",
            hint_for(name, known).replace("the columns are", "the segments are")
            if known
            else "in_segment() refers to another segment of the same catalog",
        )
    if name in compiler._segment_stack:
        cycle = [*compiler._segment_stack[compiler._segment_stack.index(name) :], name]
        raise compiler.fail(
            rule,
            node,
            "segment references form a cycle: " + " → ".join(cycle),
            "break the cycle: a segment cannot depend on itself",
        )
    if compiler._segment_refs:
        compiler._segment_refs[-1].add(name)
    if name not in compiler.segment_columns:
        if len(compiler._segment_stack) >= MAX_SEGMENT_CHAIN:
            error = compiler.fail(
                rule,
                node,
                f"in_segment() references chain more than {MAX_SEGMENT_CHAIN} segments deep",
                "reference the underlying conditions instead of a long chain of segments",
            )
            raise error.with_source(f"segment '{compiler._segment_stack[-1]}'")
        compiler._segment_stack.append(name)
        compiler._segment_refs.append(set())
        try:
            target = compiler.segments[name]
            compiled = compiler.node(target, target.root)
            if compiled.type not in (Type.BOOLEAN, Type.NULL):
                raise compiler.fail(target, target.root, "the rule is not a condition")
        finally:
            compiler._segment_stack.pop()
            refs = compiler._segment_refs.pop()
        level = 1 + max((compiler.segment_columns[r][2] for r in refs), default=0)
        expr = compiled.expr if compiled.type is Type.BOOLEAN else _null(Type.BOOLEAN)
        column = f"__segwise_segment_{len(compiler.segment_columns)}"
        compiler.segment_columns[name] = (column, expr.fill_null(value=False), level)
    return Compiled(nw.col(compiler.segment_columns[name][0]), Type.BOOLEAN)


_DISPATCH: dict[type, Callable[[RuleCompiler, Rule, Any], Compiled]] = {
    nodes.Literal: _literal,
    nodes.Column: _column,
    nodes.Negate: _negate,
    nodes.Arithmetic: _arithmetic,
    nodes.Comparison: _comparison,
    nodes.Logical: _logical,
    nodes.Not: _not,
    nodes.Between: _between,
    nodes.InList: _in_list,
    nodes.Like: _like,
    nodes.IsNull: _is_null,
    nodes.Call: _call,
    nodes.Performed: _performed,
    nodes.EventDate: _event_date,
    nodes.SegmentRef: _segment_ref,
}
