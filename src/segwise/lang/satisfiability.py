"""Find rules that can never match, symbolically: interval and set reasoning, no sampling.

The rule is put in negation normal form (NOT pushed down to the comparisons),
then every AND-group is checked column by column: the intersection of its
bounds (``age > 50 AND age < 40``), its ``IN`` sets and ``=`` values, its
``<>`` exclusions, and ``IS NULL`` against any comparison (a comparison with
NULL is never TRUE). An OR can never match when none of its branches can.
Event counts (``performed``) are checked the same way, so
``performed('x', at_least => 3) AND NOT performed('x')`` is caught too.

The analysis is sound, not complete: "can never match" is always right, but
some impossible rules (``x * 2 > 5 AND x < 1``) are not detected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from segwise.lang import nodes

if TYPE_CHECKING:
    from segwise.lang.parser import Rule

_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "<>": "<>"}
_NEGATE = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "=": "<>", "<>": "="}


@dataclass(frozen=True, slots=True)
class _Atom:
    """``subject op value`` on a column or event count; ``op`` may also be IN, NOTIN, NULL."""

    subject: str
    op: str
    value: Any
    node: nodes.Node


@dataclass(frozen=True, slots=True)
class _And:
    items: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class _Or:
    items: tuple[Any, ...]


_TRUE = _And(())
_FALSE = _Or(())
_UNKNOWN = object()  # a condition the analysis cannot reason about: assumed satisfiable


def _subject(node: nodes.Node) -> str | None:
    if isinstance(node, nodes.Column):
        return node.name
    if isinstance(node, nodes.Call) and node.name in ("lower", "upper", "length", "abs"):
        return None
    return None


def _value(node: nodes.Node) -> Any:
    if isinstance(node, nodes.Literal) and node.value is not None:
        return node.value
    return _UNKNOWN


def _event_subject(node: nodes.Performed) -> str:
    return f"count of {node.filter!r}"


def _normal(node: nodes.Node, negated: bool = False) -> Any:
    """Negation normal form over atoms; ``_UNKNOWN`` where nothing can be said."""
    if isinstance(node, nodes.Not):
        return _normal(node.operand, not negated)
    if isinstance(node, nodes.Logical):
        parts = tuple(_normal(item, negated) for item in node.items)
        is_and = (node.op == "AND") != negated
        return _And(parts) if is_and else _Or(parts)
    if isinstance(node, nodes.Literal):
        if node.value is None:
            return _FALSE  # NULL is never TRUE, and NOT NULL is NULL too
        if isinstance(node.value, bool):
            return _TRUE if node.value != negated else _FALSE
        return _UNKNOWN
    if isinstance(node, nodes.Comparison):
        op = _NEGATE[node.op] if negated else node.op
        left, right = _subject(node.left), _subject(node.right)
        if left is not None and _value(node.right) is not _UNKNOWN:
            return _Atom(left, op, _value(node.right), node)
        if right is not None and _value(node.left) is not _UNKNOWN:
            return _Atom(right, _FLIP[op], _value(node.left), node)
        if _value(node.left) is None or _value(node.right) is None:
            return _UNKNOWN
        return _UNKNOWN
    if isinstance(node, nodes.Between):
        subject, low, high = _subject(node.operand), _value(node.low), _value(node.high)
        if subject is None or low is _UNKNOWN or high is _UNKNOWN:
            return _UNKNOWN
        outside = negated != node.negated
        if outside:
            return _Or((_Atom(subject, "<", low, node), _Atom(subject, ">", high, node)))
        return _And((_Atom(subject, ">=", low, node), _Atom(subject, "<=", high, node)))
    if isinstance(node, nodes.InList):
        subject = _subject(node.operand)
        values = frozenset(item.value for item in node.items if item.value is not None)
        has_null = any(item.value is None for item in node.items)
        if subject is None:
            return _UNKNOWN
        if node.negated != negated:
            # x NOT IN (..., NULL) is never TRUE.
            return _FALSE if has_null else _Atom(subject, "NOTIN", values, node)
        return _Atom(subject, "IN", values, node)
    if isinstance(node, nodes.IsNull):
        subject = _subject(node.operand)
        if subject is None:
            return _UNKNOWN
        wants_null = node.negated == negated
        return _Atom(subject, "NULL" if wants_null else "NOTNULL", None, node)
    if isinstance(node, nodes.Performed):
        subject = _event_subject(node)
        low = node.at_least if node.at_least is not None else 0
        high = node.at_most
        if negated:
            below = _Atom(subject, "<", low, node)
            above = _Atom(subject, ">", high, node) if high is not None else _FALSE
            return _Or((below, above))
        atoms = [_Atom(subject, ">=", low, node)]
        if high is not None:
            atoms.append(_Atom(subject, "<=", high, node))
        return _And(tuple(atoms))
    return _UNKNOWN


@dataclass
class _Column:
    """What an AND-group says about one column."""

    low: Any = None
    low_open: bool = False
    high: Any = None
    high_open: bool = False
    allowed: frozenset[Any] | None = None
    excluded: set[Any] = field(default_factory=set)
    null: bool = False
    not_null: bool = False
    mixed: bool = False
    atoms: list[_Atom] = field(default_factory=list)

    def add(self, atom: _Atom) -> None:
        """Record one atom (values of mixed types make the column unknowable)."""
        self.atoms.append(atom)
        op, value = atom.op, atom.value
        if op == "NULL":
            self.null = True
            return
        self.not_null = True
        try:
            self._narrow(op, value)
        except TypeError:  # mixed types: the compiler reports those
            self.mixed = True

    def _narrow(self, op: str, value: Any) -> None:
        if op == "IN":
            self.allowed = value if self.allowed is None else self.allowed & value
        elif op == "NOTIN":
            self.excluded |= set(value)
        elif op == "=":
            self.allowed = frozenset({value}) if self.allowed is None else self.allowed & {value}
        elif op == "<>":
            self.excluded.add(value)
        elif op in (">", ">=") and (
            self.low is None or _greater(value, self.low) or (value == self.low and op == ">")
        ):
            self.low, self.low_open = value, op == ">"
        elif op in ("<", "<=") and (
            self.high is None or _greater(self.high, value) or (value == self.high and op == "<")
        ):
            self.high, self.high_open = value, op == "<"

    def impossible(self) -> bool:
        """True when no value (and not NULL either) satisfies every atom recorded."""
        if self.null and self.not_null:
            return True
        if self.mixed:
            return False
        try:
            if (
                self.low is not None
                and self.high is not None
                and (
                    _greater(self.low, self.high)
                    or (self.low == self.high and (self.low_open or self.high_open))
                )
            ):
                return True
            if self.low is not None and self.low == self.high and self.low in self.excluded:
                return True  # a single point, and it is excluded
            if self.allowed is not None:
                return not [v for v in self.allowed if v not in self.excluded and self._inside(v)]
        except TypeError:
            return False
        return False

    def _inside(self, value: Any) -> bool:
        if self.low is not None and (
            _greater(self.low, value) or (value == self.low and self.low_open)
        ):
            return False
        return not (
            self.high is not None
            and (_greater(value, self.high) or (value == self.high and self.high_open))
        )


def _greater(a: Any, b: Any) -> bool:
    if isinstance(a, date) != isinstance(b, date) or isinstance(a, str) != isinstance(b, str):
        raise TypeError("mixed types")
    return bool(a > b)


def _conjunctions(form: Any, limit: int = 256) -> list[list[_Atom]] | None:
    """The rule as a disjunction of AND-groups of atoms (None when it would be too large)."""
    if form is _UNKNOWN:
        return [[]]
    if isinstance(form, _Atom):
        return [[form]]
    if isinstance(form, _Or):
        out: list[list[_Atom]] = []
        for item in form.items:
            groups = _conjunctions(item, limit)
            if groups is None:
                return None
            out.extend(groups)
            if len(out) > limit:
                return None
        return out
    groups_so_far: list[list[_Atom]] = [[]]
    for item in form.items:
        groups = _conjunctions(item, limit)
        if groups is None:
            return None
        groups_so_far = [a + b for a in groups_so_far for b in groups]
        if len(groups_so_far) > limit:
            return None
    return groups_so_far


def never_matches(rule: Rule) -> list[str] | None:
    """If the rule can never be TRUE, the conflicting conditions (as written); else None.

    Examples
    --------
    >>> from segwise.lang.parser import parse_rule
    >>> never_matches(parse_rule("age > 50 AND age < 40"))
    ['age > 50', 'age < 40']
    >>> never_matches(parse_rule("age > 50 OR age < 40")) is None
    True
    >>> never_matches(parse_rule("city IN ('a', 'b') AND city = 'c'"))
    ["city IN ('a', 'b')", "city = 'c'"]
    """
    groups = _conjunctions(_normal(rule.root))
    if groups is None:
        return None
    if not groups:  # an empty OR: FALSE or NULL
        return [rule.text]
    reasons: list[str] = []
    for group in groups:
        columns: dict[str, _Column] = {}
        conflict: list[_Atom] | None = None
        for atom in group:
            column = columns.setdefault(atom.subject, _Column())
            column.add(atom)
            if column.impossible():
                conflict = column.atoms
                break
        if conflict is None:
            return None
        for atom in conflict:
            text = rule.text_of(atom.node)
            if text not in reasons:
                reasons.append(text)
    return reasons
