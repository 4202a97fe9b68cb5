"""The rule AST: frozen dataclasses that know their children and their place in the text.

Every node keeps ``start``/``end`` offsets into the rule, so a compile error,
an explanation or a lint finding can point at the exact words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

Scalar = int | float | str | bool | date | datetime | None


@dataclass(frozen=True, slots=True)
class Node:
    """Base of every node: where it sits in the rule text."""

    start: int
    end: int

    def children(self) -> tuple[Node, ...]:
        """The direct sub-nodes, left to right."""
        return ()

    def walk(self) -> Iterator[Node]:
        """Yield this node and every node under it, depth first (iterative: no recursion limit)."""
        stack: list[Node] = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children()))


@dataclass(frozen=True, slots=True)
class Literal(Node):
    """A number, string, boolean, date, timestamp or NULL written in the rule."""

    value: Scalar


@dataclass(frozen=True, slots=True)
class Column(Node):
    """A column of the customer table."""

    name: str


@dataclass(frozen=True, slots=True)
class Negate(Node):
    """Unary minus."""

    operand: Node

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)


@dataclass(frozen=True, slots=True)
class Arithmetic(Node):
    """``left op right`` with ``op`` one of ``+ - * /``."""

    op: str
    left: Node
    right: Node

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)


@dataclass(frozen=True, slots=True)
class Comparison(Node):
    """``left op right`` with ``op`` one of ``= <> < <= > >=``."""

    op: str
    left: Node
    right: Node

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)


@dataclass(frozen=True, slots=True)
class Logical(Node):
    """``AND`` or ``OR`` over two or more conditions (kept flat, not nested pairs)."""

    op: str
    items: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        return self.items


@dataclass(frozen=True, slots=True)
class Not(Node):
    """``NOT condition``."""

    operand: Node

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)


@dataclass(frozen=True, slots=True)
class Between(Node):
    """``operand [NOT] BETWEEN low AND high`` (bounds included, as in SQL)."""

    operand: Node
    low: Node
    high: Node
    negated: bool

    def children(self) -> tuple[Node, ...]:
        return (self.operand, self.low, self.high)


@dataclass(frozen=True, slots=True)
class InList(Node):
    """``operand [NOT] IN (item, ...)``; items are literals."""

    operand: Node
    items: tuple[Literal, ...]
    negated: bool

    def children(self) -> tuple[Node, ...]:
        return (self.operand, *self.items)


@dataclass(frozen=True, slots=True)
class Like(Node):
    """``operand [NOT] LIKE|ILIKE 'pattern'`` with ``%`` and ``_`` wildcards."""

    operand: Node
    pattern: str
    negated: bool
    case_insensitive: bool

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)


@dataclass(frozen=True, slots=True)
class IsNull(Node):
    """``operand IS [NOT] NULL``."""

    operand: Node
    negated: bool

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)


@dataclass(frozen=True, slots=True)
class Call(Node):
    """A whitelisted scalar function: ``lower(city)``, ``days_since(signup_date)``."""

    name: str
    args: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        return self.args


@dataclass(frozen=True, slots=True)
class EventFilter:
    """Which events an event condition counts: name, time window, property filter."""

    event: str
    within_days: float | None = None
    between: tuple[date, date] | None = None
    where: Node | None = None
    where_text: str | None = None


@dataclass(frozen=True, slots=True)
class Performed(Node):
    """``performed('event', at_least => n, at_most => n, exactly => n, within => '30d', ...)``.

    True when the number of matching events lies in ``[at_least, at_most]``;
    never NULL (a customer with no events has a count of 0).
    """

    filter: EventFilter
    at_least: int | None
    at_most: int | None

    def children(self) -> tuple[Node, ...]:
        return ()


@dataclass(frozen=True, slots=True)
class EventDate(Node):
    """``first_performed('event', ...)`` or ``last_performed(...)``: a date, NULL if never."""

    which: str
    filter: EventFilter = field(compare=True)

    def children(self) -> tuple[Node, ...]:
        return ()


@dataclass(frozen=True, slots=True)
class SegmentRef(Node):
    """``in_segment('name')``: membership of another segment of the same catalog."""

    name: str
