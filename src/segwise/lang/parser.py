"""Tokens → AST by recursive descent, one method per precedence level (lowest first).

::

    rule        := or END
    or          := and (OR and)*
    and         := not (AND not)*
    not         := NOT not | predicate
    predicate   := sum [compare sum | [NOT] BETWEEN sum AND sum | [NOT] IN (literals)
                        | [NOT] LIKE|ILIKE 'pattern' | IS [NOT] NULL]
    sum         := product (('+'|'-') product)*
    product     := unary (('*'|'/') unary)*
    unary       := '-' unary | '+' unary | primary
    primary     := number | 'string' | TRUE | FALSE | NULL | DATE 'y-m-d'
                 | TIMESTAMP 'y-m-d h:m:s' | name | "quoted name" | function(args) | ( or )

Nesting is capped at :data:`MAX_DEPTH` and size at :data:`MAX_NODES`, both
checked while parsing, so hostile input is refused before it can exhaust the
stack or the memory.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from segwise.exceptions import RuleSyntaxError
from segwise.lang import events, nodes
from segwise.lang.events import fold_literal, parse_date
from segwise.lang.functions import ALL_FUNCTIONS, EVENT_ARGUMENTS, EVENT_FUNCTIONS, FUNCTIONS
from segwise.lang.tokens import Kind, Token, tokenize

if TYPE_CHECKING:
    from collections.abc import Callable

MAX_DEPTH = 64
_N = TypeVar("_N", bound=nodes.Node)
MAX_NODES = 10_000

#: Scalar functions and their (fewest, most) arguments; None = any number.
SCALAR_FUNCTIONS: dict[str, tuple[int, int | None]] = {
    name: (spec.fewest, spec.most) for name, spec in FUNCTIONS.items()
}
_COMPARE = {"=", "<>", "<", "<=", ">", ">="}
#: Longest LIKE pattern: a regular expression is built from it on every engine.
MAX_PATTERN_LENGTH = 2_000
#: Terms in one flat chain of + - * /: depth-checked as one level, capped on its own.
MAX_CHAIN = 128


@dataclass(frozen=True, slots=True)
class Rule:
    """A parsed rule: its text and the root of its AST.

    Examples
    --------
    >>> rule = parse_rule("orders >= 3 AND lower(city) = 'leeds'")
    >>> sorted(rule.columns)
    ['city', 'orders']
    >>> [rule.text_of(c) for c in rule.conditions]
    ['orders >= 3', "lower(city) = 'leeds'"]
    """

    text: str
    root: nodes.Node

    @property
    def columns(self) -> frozenset[str]:
        """Customer-table columns the rule reads."""
        return frozenset(n.name for n in self.root.walk() if isinstance(n, nodes.Column))

    @property
    def conditions(self) -> tuple[nodes.Node, ...]:
        """The top-level AND terms (the whole rule when it is not an AND)."""
        root = self.root
        if isinstance(root, nodes.Logical) and root.op == "AND":
            return root.items
        return (root,)

    @property
    def segment_refs(self) -> tuple[nodes.SegmentRef, ...]:
        """Every ``in_segment(...)`` in the rule."""
        return tuple(n for n in self.root.walk() if isinstance(n, nodes.SegmentRef))

    def text_of(self, node: nodes.Node) -> str:
        """The words of the rule that ``node`` was parsed from."""
        return self.text[node.start : node.end]


def reads_as_rule(text: str | None) -> bool:
    """Whether a segment's definition is a rule (shown as code) rather than words.

    A cluster's definition carries its rule's fit in brackets after it; a lone name is
    a word, not a column to test.

    Examples
    --------
    >>> reads_as_rule("orders >= 3 AND net_revenue <= 2100 (precision 77%, recall 78%)")
    True
    >>> reads_as_rule("Bought recently, buy often and spend the most.")
    False
    >>> reads_as_rule("everyone else"), reads_as_rule("Champions")
    (False, False)
    """
    if not text:
        return False
    rule = text.split(" (precision ", 1)[0]
    try:
        return not isinstance(parse_rule(rule).root, nodes.Column)
    except RuleSyntaxError:
        return False


def parse_rule(text: str) -> Rule:
    """Parse rule text into a :class:`Rule`.

    Raises
    ------
    RuleSyntaxError
        With the line, column and a caret under the fault.

    Examples
    --------
    >>> parse_rule("age BETWEEN 35 AND 50").root
    Between(start=0, end=21, operand=Column(start=0, end=3, name='age'), ...)
    >>> parse_rule("monetary >=")
    Traceback (most recent call last):
    ...
    segwise.exceptions.RuleSyntaxError: expected a value after '>=' (line 1, col 12)
      monetary >=
                 ^
    """
    if not isinstance(text, str):
        raise TypeError(f"a rule is a string, not {type(text).__name__}")
    if not text.strip():
        raise RuleSyntaxError(
            "the rule is empty", text=text, start=0, hint="write a condition, e.g. orders >= 3"
        )
    return Rule(text, _Parser(text).parse())


class _Parser:
    def __init__(self, text: str, *, allow_events: bool = True) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.pos = 0
        self.depth = 0
        self.nodes = 0
        self.allow_events = allow_events
        self.tree_depth: dict[int, int] = {}

    # -- helpers ---------------------------------------------------------------------------
    @property
    def token(self) -> Token:
        return self.tokens[self.pos]

    def kind(self) -> Kind:
        """The current token's kind (a call, so type checkers do not over-narrow it)."""
        return self.tokens[self.pos].kind

    def advance(self) -> Token:
        token = self.tokens[self.pos]
        if token.kind is not Kind.END:
            self.pos += 1
        return token

    def at_keyword(self, *words: str) -> bool:
        return self.kind() is Kind.KEYWORD and self.token.value in words

    def error(
        self,
        description: str,
        token: Token | nodes.Node | None = None,
        *,
        end: int | None = None,
        **kw: str,
    ) -> RuleSyntaxError:
        """A located error at ``token`` (a token or node; default: the current token)."""
        where = token or self.token
        stop = where.end if end is None else end
        return RuleSyntaxError(description, text=self.text, start=where.start, end=stop, **kw)

    def make(self, node: _N, *, depth: int | None = None) -> _N:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self.error(
                f"the rule has more than {MAX_NODES:,} parts",
                node,
                hint="split it into several segments, or use a static segment for long id lists",
            )
        if depth is None:
            depth = 1 + max((self.tree_depth.get(id(c), 1) for c in node.children()), default=0)
        if depth > MAX_DEPTH:
            raise self.too_deep(node.start)
        self.tree_depth[id(node)] = depth
        return node

    def too_deep(self, start: int) -> RuleSyntaxError:
        return RuleSyntaxError(
            f"the rule nests deeper than {MAX_DEPTH} levels",
            text=self.text,
            start=start,
            hint="flatten it, or move parts into other segments and use in_segment()",
        )

    def descend(self, parse: Callable[[], nodes.Node]) -> nodes.Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.too_deep(self.token.start)
        try:
            return parse()
        finally:
            self.depth -= 1

    def expect_value_after(self, operator: Token) -> None:
        if self.kind() in (Kind.END, Kind.RPAREN, Kind.COMMA) or self.at_keyword("AND", "OR"):
            raise self.error(f"expected a value after '{operator.text}'")

    # -- grammar ---------------------------------------------------------------------------
    def parse(self) -> nodes.Node:
        node = self.or_()
        if self.kind() is not Kind.END:
            token = self.token
            if token.kind is Kind.RPAREN:
                raise self.error("unmatched ')'", hint="remove it or add the '(' it closes")
            raise self.error(
                f"unexpected {token.describe()} after a complete condition",
                hint="join conditions with AND or OR",
            )
        return node

    def or_(self) -> nodes.Node:
        return self.logical("OR", self.and_)

    def and_(self) -> nodes.Node:
        return self.logical("AND", self.not_)

    def logical(self, op: str, operand: Callable[[], nodes.Node]) -> nodes.Node:
        items = [operand()]
        while self.at_keyword(op):
            keyword = self.advance()
            self.expect_value_after(keyword)
            items.append(operand())
        if len(items) == 1:
            return items[0]
        return self.make(nodes.Logical(items[0].start, items[-1].end, op, tuple(items)))

    def not_(self) -> nodes.Node:
        if self.at_keyword("NOT"):
            keyword = self.advance()
            self.expect_value_after(keyword)
            operand = self.descend(self.not_)
            return self.make(nodes.Not(keyword.start, operand.end, operand))
        return self.predicate()

    def predicate(self) -> nodes.Node:
        left = self.sum_()
        token = self.token
        if token.kind is Kind.OPERATOR and token.value in _COMPARE:
            self.advance()
            self.expect_value_after(token)
            right = self.sum_()
            node: nodes.Node = self.make(
                nodes.Comparison(left.start, right.end, str(token.value), left, right)
            )
            follow = self.token
            if follow.kind is Kind.OPERATOR and follow.value in _COMPARE:
                raise self.error(
                    "comparisons cannot be chained",
                    follow,
                    hint="join them with AND, e.g. 1 < x AND x < 5, or use BETWEEN",
                )
            return node
        negated = False
        if self.at_keyword("NOT") and self.tokens[self.pos + 1].kind is Kind.KEYWORD:
            following = self.tokens[self.pos + 1].value
            if following in ("BETWEEN", "IN", "LIKE", "ILIKE"):
                self.advance()
                negated = True
        if self.at_keyword("BETWEEN"):
            return self.between(left, negated)
        if self.at_keyword("IN"):
            return self.in_list(left, negated)
        if self.at_keyword("LIKE", "ILIKE"):
            return self.like(left, negated)
        if self.at_keyword("IS"):
            self.advance()
            is_not = False
            if self.at_keyword("NOT"):
                self.advance()
                is_not = True
            if not self.at_keyword("NULL"):
                raise self.error(
                    "IS must be followed by NULL or NOT NULL",
                    hint="compare values with = or <>, e.g. x = 3",
                )
            end = self.advance().end
            return self.make(nodes.IsNull(left.start, end, left, is_not))
        return left

    def between(self, left: nodes.Node, negated: bool) -> nodes.Node:
        keyword = self.advance()
        self.expect_value_after(keyword)
        low = self.sum_()
        if not self.at_keyword("AND"):
            raise self.error("BETWEEN needs AND between its bounds", hint="write x BETWEEN 1 AND 5")
        and_token = self.advance()
        self.expect_value_after(and_token)
        high = self.sum_()
        return self.make(nodes.Between(left.start, high.end, left, low, high, negated))

    def in_list(self, left: nodes.Node, negated: bool) -> nodes.Node:
        keyword = self.advance()
        if self.kind() is not Kind.LPAREN:
            raise self.error(
                "IN needs a parenthesised list of values", hint="write x IN ('a', 'b')"
            )
        self.advance()
        items: list[nodes.Literal] = []
        while True:
            if self.kind() is Kind.RPAREN and not items:
                raise self.error("the IN list is empty", hint="list at least one value")
            item = self.sum_()
            literal = fold_literal(item)
            if literal is None:
                raise RuleSyntaxError(
                    "IN lists hold literal values only",
                    text=self.text,
                    start=item.start,
                    end=item.end,
                    hint="compare with = and OR for computed values",
                )
            items.append(literal)
            if self.kind() is Kind.COMMA:
                self.advance()
                continue
            if self.kind() is Kind.RPAREN:
                end = self.advance().end
                break
            raise self.error(
                f"expected ',' or ')' in the IN list after {keyword.text}, "
                f"found {self.token.describe()}"
            )
        return self.make(nodes.InList(left.start, end, left, tuple(items), negated))

    def like(self, left: nodes.Node, negated: bool) -> nodes.Node:
        keyword = self.advance()
        pattern = self.token
        if pattern.kind is not Kind.STRING:
            raise self.error(
                f"{keyword.value} needs a quoted pattern",
                hint="write x LIKE 'abc%' (% = any text, _ = one character)",
            )
        if len(str(pattern.value)) > MAX_PATTERN_LENGTH:
            raise self.error(
                f"the LIKE pattern is {len(str(pattern.value)):,} characters long; "
                f"the limit is {MAX_PATTERN_LENGTH:,}",
                pattern,
                hint="match on a shorter pattern, or use a static segment for long id lists",
            )
        self.advance()
        return self.make(
            nodes.Like(
                left.start, pattern.end, left, str(pattern.value), negated, keyword.value == "ILIKE"
            )
        )

    def sum_(self) -> nodes.Node:
        return self.binary(("+", "-"), self.product)

    def product(self) -> nodes.Node:
        return self.binary(("*", "/"), self.unary)

    def binary(self, ops: tuple[str, ...], operand: Callable[[], nodes.Node]) -> nodes.Node:
        left = operand()
        # A flat chain (a + b + c ...) nests only to the left: it counts as one level of
        # depth, so a 100-term sum is not "too deep", and has its own length cap.
        chain_depth = self.tree_depth.get(id(left), 1)
        terms = 1
        while self.kind() is Kind.OPERATOR and self.token.value in ops:
            op = self.advance()
            self.expect_value_after(op)
            terms += 1
            if terms > MAX_CHAIN:
                raise self.error(
                    f"more than {MAX_CHAIN} terms joined by {' and '.join(ops)}",
                    op,
                    hint="split the sum into parts in other segments, or precompute it",
                )
            right = operand()
            chain_depth = max(chain_depth, self.tree_depth.get(id(right), 1))
            left = self.make(
                nodes.Arithmetic(left.start, right.end, str(op.value), left, right),
                depth=chain_depth + 1,
            )
        return left

    def unary(self) -> nodes.Node:
        token = self.token
        if token.kind is Kind.OPERATOR and token.value in ("-", "+"):
            self.advance()
            self.expect_value_after(token)
            following = self.token
            if token.value == "-" and following.kind is Kind.NUMBER and following.value == 2**63:
                # The INT64 minimum: its magnitude alone does not fit, the negation does.
                self.advance()
                return self.make(nodes.Literal(token.start, following.end, -(2**63)))
            operand = self.descend(self.unary)
            if token.value == "+":
                return operand
            folded = fold_literal(operand)
            if isinstance(folded, nodes.Literal) and _is_number(folded.value):
                value = folded.value
                assert isinstance(value, int | float)
                return self.make(nodes.Literal(token.start, operand.end, -value))
            return self.make(nodes.Negate(token.start, operand.end, operand))
        return self.primary()

    def primary(self) -> nodes.Node:
        token = self.token
        kind = token.kind
        if kind is Kind.NUMBER and isinstance(token.value, int) and token.value >= 2**63:
            raise self.error(
                f"the number {token.text} is too large for a 64-bit integer",
                hint="write it as a decimal, e.g. 1.5e20",
            )
        if kind is Kind.NUMBER or kind is Kind.STRING:
            self.advance()
            return self.make(nodes.Literal(token.start, token.end, token.value))  # type: ignore[arg-type]
        if kind is Kind.KEYWORD:
            if token.value in ("TRUE", "FALSE", "NULL"):
                self.advance()
                value = {"TRUE": True, "FALSE": False, "NULL": None}[str(token.value)]
                return self.make(nodes.Literal(token.start, token.end, value))
            if token.value in ("DATE", "TIMESTAMP"):
                return self.typed_literal()
            raise self.error(f"expected a value, found {token.describe()}")
        if kind is Kind.QUOTED_NAME:
            self.advance()
            return self.make(nodes.Column(token.start, token.end, str(token.value)))
        if kind is Kind.NAME:
            self.advance()
            if self.kind() is Kind.LPAREN:
                return self.call(token)
            return self.make(nodes.Column(token.start, token.end, str(token.value)))
        if kind is Kind.LPAREN:
            self.advance()
            if self.kind() is Kind.RPAREN:
                raise self.error("empty parentheses", hint="put a condition or a value inside")
            inner = self.descend(self.or_)
            if self.kind() is not Kind.RPAREN:
                raise self.error(
                    f"expected ')' to close the '(' at col {_col(self.text, token.start)}, "
                    f"found {self.token.describe()}"
                )
            self.advance()
            return inner
        if kind is Kind.END:
            raise self.error("expected a value, found the end of the rule")
        raise self.error(f"expected a value, found {token.describe()}")

    def typed_literal(self) -> nodes.Node:
        keyword = self.advance()
        text = self.token
        if text.kind is not Kind.STRING:
            raise self.error(
                f"{keyword.value} needs a quoted value", hint=f"write {keyword.value} '2024-01-31'"
            )
        self.advance()
        value = parse_date(str(text.value), timestamp=keyword.value == "TIMESTAMP")
        if isinstance(value, datetime) and value.tzinfo is not None:
            # Engines disagree on offsets (one converts, one drops them): refuse, don't guess.
            raise self.error(
                f"{text.text} has a UTC offset; timestamps in rules have none",
                text,
                hint="write the time as it appears in the data, e.g. TIMESTAMP '2024-01-31 18:00'",
            )
        if value is None:
            shape = "YYYY-MM-DD HH:MM:SS" if keyword.value == "TIMESTAMP" else "YYYY-MM-DD"
            raise self.error(f"{text.text} is not a valid {keyword.text.lower()} ({shape})", text)
        return self.make(nodes.Literal(keyword.start, text.end, value))

    # -- functions -------------------------------------------------------------------------
    def call(self, name_token: Token) -> nodes.Node:
        name = str(name_token.value).lower()
        self.check_function(name, name_token)
        self.advance()  # (
        positional: list[nodes.Node] = []
        named: dict[str, tuple[Token, object]] = {}
        # The argument loop stays in this frame: each nested call costs Python stack frames,
        # and MAX_DEPTH levels of lower(lower(...)) must fit the interpreter's limit.
        more = self.kind() is not Kind.RPAREN
        while more:
            # "between" is also a keyword, so a named argument may start with one.
            if (
                self.kind() in (Kind.NAME, Kind.KEYWORD)
                and self.tokens[self.pos + 1].kind is Kind.ARROW
            ):
                self.named_argument(name, named)
            else:
                if named:
                    raise self.error(
                        "positional arguments must come before named ones",
                        hint=f"put the event name first: {name}('email_open', ...)",
                    )
                positional.append(self.descend(self.or_))
            more = self.kind() is Kind.COMMA  # after a comma, another argument must follow
            if more:
                self.advance()
        if self.kind() is not Kind.RPAREN:
            raise self.error(
                f"expected ',' or ')' in the arguments of {name}(), found {self.token.describe()}"
            )
        end = self.advance().end
        if name in EVENT_FUNCTIONS:
            return events.event_call(self, name, name_token, positional, named, end)
        if name == "in_segment":
            return self.segment_ref(name_token, positional, end)
        self.check_arity(name, name_token, positional, end)
        if name == "round" and len(positional) == 2:
            self.check_round_digits(positional[1])
        return self.make(nodes.Call(name_token.start, end, name, tuple(positional)))

    def check_function(self, name: str, name_token: Token) -> None:
        """The function exists, and event functions are not nested in an event filter."""
        if name not in ALL_FUNCTIONS:
            close = difflib.get_close_matches(name, ALL_FUNCTIONS, n=1)
            hint = (
                f"did you mean {close[0]}()?"
                if close
                else "the functions are " + ", ".join(ALL_FUNCTIONS)
            )
            raise self.error(f"unknown function '{name_token.text}'", name_token, hint=hint)
        if name in EVENT_FUNCTIONS and not self.allow_events:
            raise self.error(
                f"{name}() cannot be used inside an event filter",
                name_token,
                hint="the where => filter tests the event's own columns",
            )

    def named_argument(self, name: str, named: dict[str, tuple[Token, object]]) -> None:
        key = self.advance()
        self.advance()  # =>
        named_key = str(key.value).lower()
        if name not in EVENT_FUNCTIONS:
            raise self.error(
                f"{name}() takes no named arguments",
                key,
                hint="named arguments such as at_least => 3 go to performed()",
            )
        if named_key not in EVENT_ARGUMENTS:
            close = difflib.get_close_matches(named_key, EVENT_ARGUMENTS, n=1)
            hint = f"did you mean {close[0]}?" if close else "use " + ", ".join(EVENT_ARGUMENTS)
            raise self.error(f"unknown argument '{key.text}' of {name}()", key, hint=hint)
        if named_key in named:
            raise self.error(f"argument '{key.text}' is given twice", key)
        named[named_key] = (key, self.event_argument(named_key, key))

    def check_arity(
        self, name: str, name_token: Token, positional: list[nodes.Node], end: int
    ) -> None:
        fewest, most = SCALAR_FUNCTIONS[name]
        count = len(positional)
        if count < fewest or (most is not None and count > most):
            wanted = (
                f"{fewest}"
                if fewest == most
                else f"{fewest} or {most}"
                if most is not None and most == fewest + 1
                else f"at least {fewest}"
            )
            plural = "" if wanted == "1" else "s"
            raise RuleSyntaxError(
                f"{name}() takes {wanted} argument{plural}, got {count}",
                text=self.text,
                start=name_token.start,
                end=end,
            )

    def check_round_digits(self, argument: nodes.Node) -> None:
        digits = fold_literal(argument)
        if digits is None or not isinstance(digits.value, int) or isinstance(digits.value, bool):
            raise RuleSyntaxError(
                "round()'s second argument is a whole number of decimals",
                text=self.text,
                start=argument.start,
                end=argument.end,
                hint="write round(x, 2)",
            )
        if not 0 <= digits.value <= 15:
            raise RuleSyntaxError(
                "round() keeps between 0 and 15 decimals",
                text=self.text,
                start=argument.start,
                end=argument.end,
            )

    def within_days(self) -> float:
        return events.within_days(self)

    def event_argument(self, key: str, key_token: Token) -> object:
        return events.event_argument(self, key, key_token)

    def segment_ref(self, name_token: Token, positional: list[nodes.Node], end: int) -> nodes.Node:
        target = fold_literal(positional[0]) if len(positional) == 1 else None
        if target is None or not isinstance(target.value, str):
            raise RuleSyntaxError(
                "in_segment() takes one segment name as a quoted string",
                text=self.text,
                start=name_token.start,
                end=end,
                hint="write in_segment('VIP')",
            )
        return self.make(nodes.SegmentRef(name_token.start, end, target.value))


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _col(text: str, offset: int) -> int:
    return offset - (text.rfind("\n", 0, offset) + 1) + 1
