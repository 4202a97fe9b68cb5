"""``performed()``, ``first_performed()`` and ``last_performed()``: their arguments, parsed.

The event functions take named arguments (``at_least => 3``, ``within =>
'30d'``, ``between => ('2024-01-01', '2024-03-31')``, ``where => "..."``)
with their own checks. The grammar (:mod:`segwise.lang.parser`) hands them
over here.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import TYPE_CHECKING

from segwise.exceptions import RuleSyntaxError
from segwise.lang import nodes
from segwise.lang.tokens import Kind

if TYPE_CHECKING:
    from segwise.lang.parser import _Parser
    from segwise.lang.tokens import Token

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([hdw])\s*$")
_DURATION_DAYS = {"h": 1 / 24, "d": 1.0, "w": 7.0}
#: Longest ``within`` window: far past any data, short of every engine's date range.
MAX_WITHIN_DAYS = 365_250


def fold_literal(node: nodes.Node) -> nodes.Literal | None:
    """The node as a literal, or None (arguments that must be constants)."""
    return node if isinstance(node, nodes.Literal) else None


def parse_date(text: str, *, timestamp: bool) -> date | datetime | None:
    """An ISO date (or timestamp) literal, or None when the text is not one."""
    try:
        if timestamp:
            return datetime.fromisoformat(text.strip())
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def within_days(parser: _Parser) -> float:
    """``within => '30d'``: a quoted duration in hours, days or weeks, as days."""
    token = parser.token
    match = _DURATION.match(str(token.value)) if token.kind is Kind.STRING else None
    if match is None:
        raise parser.error("within needs a quoted duration such as '30d', '12w' or '24h'")
    parser.advance()
    days = float(match.group(1)) * _DURATION_DAYS[match.group(2)]
    if days <= 0:
        raise parser.error("within needs a duration above zero", token)
    if days > MAX_WITHIN_DAYS:
        # Beyond any date an engine can hold: defined as an error, not an overflow.
        raise parser.error(
            f"within is at most {MAX_WITHIN_DAYS:,} days (1,000 years)",
            token,
            hint="leave within out to count every event up to the as-of date",
        )
    return days


def event_argument(  # noqa: PLR0912 - one branch per named argument, each with its check
    parser: _Parser, key: str, key_token: Token
) -> object:
    """The value of one named argument, checked for its kind."""
    token = parser.token
    if key in ("at_least", "at_most", "exactly"):
        if token.kind is not Kind.NUMBER or not isinstance(token.value, int):
            raise parser.error(f"{key} needs a whole number, e.g. {key} => 3")
        parser.advance()
        return token.value
    if key == "within":
        return parser.within_days()
    if key == "between":
        if token.kind is not Kind.LPAREN:
            raise parser.error(
                "between needs two dates in parentheses",
                hint="write between => ('2024-01-01', '2024-03-31')",
            )
        parser.advance()
        bounds: list[date] = []
        for position in range(2):
            item = parser.token
            value = item.value
            if item.kind is Kind.KEYWORD and value in ("DATE", "TIMESTAMP"):
                literal = parser.typed_literal()
                value = literal.value if isinstance(literal, nodes.Literal) else None
            elif item.kind is Kind.STRING:
                parser.advance()
                value = parse_date(str(value), timestamp=False)
            else:
                value = None
            if not isinstance(value, date):
                raise parser.error("between needs two dates such as '2024-01-31'", item)
            bounds.append(value.date() if isinstance(value, datetime) else value)
            if position == 0:
                if parser.kind() is not Kind.COMMA:
                    raise parser.error("between needs two dates separated by a comma")
                parser.advance()
        if parser.kind() is not Kind.RPAREN:
            raise parser.error("between takes exactly two dates; expected ')'")
        parser.advance()
        if bounds[0] > bounds[1]:
            raise parser.error(
                "between's first date is after its second",
                key_token,
                hint="write the earlier date first",
            )
        return (bounds[0], bounds[1])
    # where => "property condition"
    if token.kind not in (Kind.STRING, Kind.QUOTED_NAME):
        raise parser.error(
            "where needs the event filter as a quoted condition",
            hint="write where => \"channel = 'app'\"",
        )
    parser.advance()
    inner_text = str(token.value)
    try:
        if not inner_text.strip():
            raise RuleSyntaxError("the event filter is empty", text=inner_text, start=0)
        inner = type(parser)(inner_text, allow_events=False).parse()
    except RuleSyntaxError as exc:
        raise RuleSyntaxError(
            f"in the event filter: {exc.description}",
            text=parser.text,
            start=token.start + 1 + exc.start,
            end=token.start + 1 + exc.end,
            hint=exc.hint,
        ) from None
    return (inner_text, inner)


def event_call(
    parser: _Parser,
    name: str,
    name_token: Token,
    positional: list[nodes.Node],
    named: dict[str, tuple[Token, object]],
    end: int,
) -> nodes.Node:
    """The node of a ``performed()``, ``first_performed()`` or ``last_performed()`` call."""
    event = fold_literal(positional[0]) if positional else None
    if event is None or not isinstance(event.value, str):
        raise parser.error(
            f"{name}() needs the event name as a quoted string first",
            name_token,
            end=end,
            hint=f"write {name}('email_open')",
        )
    if len(positional) > 1:
        raise parser.error(
            f"{name}() takes one event name; name the other arguments",
            positional[1],
            hint="write at_least => 3, within => '30d'",
        )
    values = {key: value for key, (_, value) in named.items()}
    where = values.get("where")
    where_text, where_node = where if isinstance(where, tuple) else (None, None)
    within = values.get("within")
    between = values.get("between")
    event_filter = nodes.EventFilter(
        event=event.value,
        within_days=float(within) if isinstance(within, float) else None,
        between=between if isinstance(between, tuple) else None,
        where=where_node,
        where_text=where_text,
    )
    if name != "performed":
        counts = [key for key in ("at_least", "at_most", "exactly") if key in named]
        if counts:
            raise parser.error(
                f"{name}() returns a date and takes no {counts[0]}", named[counts[0]][0]
            )
        which = "first" if name == "first_performed" else "last"
        return parser.make(nodes.EventDate(name_token.start, end, which, event_filter))
    exactly = values.get("exactly")
    at_least = values.get("at_least")
    at_most = values.get("at_most")
    if exactly is not None:
        if at_least is not None or at_most is not None:
            raise parser.error(
                "exactly cannot be combined with at_least or at_most",
                named["exactly"][0],
                hint="use exactly alone, or at_least and at_most",
            )
        at_least = at_most = exactly
    if at_least is None and at_most is None:
        at_least = 1
    if isinstance(at_least, int) and isinstance(at_most, int) and at_least > at_most:
        raise parser.error(
            f"at_least {at_least} is above at_most {at_most}: this can never match",
            named["at_least"][0],
        )
    return parser.make(
        nodes.Performed(
            name_token.start,
            end,
            event_filter,
            at_least if isinstance(at_least, int) else None,
            at_most if isinstance(at_most, int) else None,
        )
    )
