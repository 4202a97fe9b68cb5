"""Rule text → tokens, each with its kind, value and position.

The tokenizer accepts a deliberately small alphabet: names, numbers, quoted
strings, the SQL operators, parentheses, commas and ``=>``. Anything else
(``;``, ``.``, backslashes, ``{``) is refused at its position, which is how
statements, attribute access and SQL passthrough are kept out of rule text.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from segwise.exceptions import RuleSyntaxError

#: Longest rule accepted, in characters: far above any hand-written rule,
#: low enough that hostile input cannot make the parser work for long.
MAX_RULE_LENGTH = 100_000

KEYWORDS = frozenset(
    {"AND", "OR", "NOT", "BETWEEN", "IN", "LIKE", "ILIKE", "IS", "NULL", "TRUE", "FALSE"}
    | {"DATE", "TIMESTAMP"}
)


class Kind(StrEnum):
    """What a token is."""

    NUMBER = "number"
    STRING = "string"
    NAME = "name"
    QUOTED_NAME = "quoted name"
    KEYWORD = "keyword"
    OPERATOR = "operator"
    LPAREN = "'('"
    RPAREN = "')'"
    COMMA = "','"
    ARROW = "'=>'"
    END = "end of rule"


@dataclass(frozen=True, slots=True)
class Token:
    """One token: ``text`` as written, ``value`` as meant, ``start``/``end`` offsets."""

    kind: Kind
    text: str
    value: object
    start: int
    end: int

    def describe(self) -> str:
        """How error messages name this token."""
        if self.kind is Kind.END:
            return "the end of the rule"
        return f"'{self.text}'" if len(self.text) <= 30 else f"'{self.text[:27]}...'"


_DIGITS = frozenset("0123456789")
_OPERATORS = ("<>", "!=", "<=", ">=", "=>", "=", "<", ">", "+", "-", "*", "/")
_REFUSED = {
    ";": "a rule is one condition; ';' and statements are not allowed",
    ".": "attribute access is not allowed; name a column directly",
    "[": "indexing is not allowed; name a column directly",
    "{": "braces are not part of the rule language",
    "\\": "backslashes are not part of the rule language",
    "|": "use OR, not '|'",
    "&": "use AND, not '&'",
    "!": "use NOT, or '<>' for not equal",
    "%": "'%' is only a wildcard inside LIKE patterns",
    "#": "comments are not part of the rule language",
    "`": "quote column names with double quotes",
    "$": "'$' is not part of the rule language; write amounts as plain numbers",
}


def tokenize(text: str) -> list[Token]:
    """Split rule text into tokens, ending with an ``END`` token.

    Raises
    ------
    RuleSyntaxError
        At the first character that cannot start a token.

    Examples
    --------
    >>> [t.text for t in tokenize("orders >= 3 AND city IN ('Leeds', 'York')")]
    ['orders', '>=', '3', 'AND', 'city', 'IN', '(', "'Leeds'", ',', "'York'", ')', '']
    """
    if len(text) > MAX_RULE_LENGTH:
        raise RuleSyntaxError(
            f"the rule is {len(text):,} characters long; the limit is {MAX_RULE_LENGTH:,}",
            text=text[:200],
            start=0,
            hint="split it into smaller segments, or use a static segment for long id lists",
        )
    tokens: list[Token] = []
    pos, n = 0, len(text)
    while pos < n:
        ch = text[pos]
        if ch.isspace():
            pos += 1
        elif ch in _DIGITS or (ch == "." and pos + 1 < n and text[pos + 1] in _DIGITS):
            tokens.append(_number(text, pos))
            pos = tokens[-1].end
        elif ch == "'":
            tokens.append(_quoted(text, pos, "'", Kind.STRING))
            pos = tokens[-1].end
        elif ch == '"':
            tokens.append(_quoted(text, pos, '"', Kind.QUOTED_NAME))
            pos = tokens[-1].end
        elif ch.isalpha() or ch == "_":
            end = pos
            while end < n and (text[end].isalnum() or text[end] == "_"):
                end += 1
            word = text[pos:end]
            upper = word.upper()
            # ASCII only: "ın".upper() is "IN", and a Turkish column name is not a keyword.
            if word.isascii() and upper in KEYWORDS:
                tokens.append(Token(Kind.KEYWORD, word, upper, pos, end))
            else:
                tokens.append(Token(Kind.NAME, word, word, pos, end))
            pos = end
        elif ch == "(":
            tokens.append(Token(Kind.LPAREN, ch, ch, pos, pos + 1))
            pos += 1
        elif ch == ")":
            tokens.append(Token(Kind.RPAREN, ch, ch, pos, pos + 1))
            pos += 1
        elif ch == ",":
            tokens.append(Token(Kind.COMMA, ch, ch, pos, pos + 1))
            pos += 1
        elif text.startswith("--", pos):
            raise RuleSyntaxError(
                "'--' starts a comment in SQL; comments are not part of the rule language",
                text=text,
                start=pos,
                end=pos + 2,
                hint="to negate a negative number write -(-4)",
            )
        else:
            operator = next((op for op in _OPERATORS if text.startswith(op, pos)), None)
            if operator is None:
                reason = _REFUSED.get(ch, "it cannot start a value, a name or an operator")
                raise RuleSyntaxError(
                    f"unexpected character {ch!r}: {reason}", text=text, start=pos
                )
            kind = Kind.ARROW if operator == "=>" else Kind.OPERATOR
            value = "<>" if operator == "!=" else operator
            tokens.append(Token(kind, operator, value, pos, pos + len(operator)))
            pos += len(operator)
    tokens.append(Token(Kind.END, "", None, n, n))
    return tokens


def _digits(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _DIGITS:
        pos += 1
    return pos


def _number(text: str, start: int) -> Token:
    n = len(text)
    end = _digits(text, start)
    is_float = False
    if end < n and text[end] == ".":
        is_float = True
        end = _digits(text, end + 1)
    if end < n and text[end] in "eE":
        exponent = end + 1
        if exponent < n and text[exponent] in "+-":
            exponent += 1
        if exponent < n and text[exponent] in _DIGITS:
            is_float = True
            end = _digits(text, exponent)
    if end < n and (text[end].isalnum() or text[end] in "_."):
        stop = end
        while stop < n and (text[stop].isalnum() or text[stop] in "_."):
            stop += 1
        raise RuleSyntaxError(
            f"malformed number '{text[start:stop]}'",
            text=text,
            start=start,
            end=stop,
            hint="write numbers like 1200, 0.5 or 1e6, without units or thousands separators",
        )
    literal = text[start:end]
    if not is_float and len(literal.lstrip("0")) > 20:
        # Longer than any 64-bit integer (and past Python's own limit for int("...")).
        raise RuleSyntaxError(
            f"the number {literal[:24]}… is too large for a 64-bit integer",
            text=text,
            start=start,
            end=end,
            hint="write it as a decimal, e.g. 1.5e20",
        )
    # Leading zeros never change the value; without them int() stays under Python's digit cap.
    value: object = float(literal) if is_float else int(literal.lstrip("0") or "0")
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        raise RuleSyntaxError(
            f"the number {literal} is too large",
            text=text,
            start=start,
            end=end,
            hint="numbers must be below 1.8e308",
        )
    # 2**63 itself is allowed here: the parser accepts it only as -(2**63), the INT64 minimum.
    if isinstance(value, int) and abs(value) > 2**63:
        raise RuleSyntaxError(
            f"the number {literal} is too large for a 64-bit integer",
            text=text,
            start=start,
            end=end,
            hint="write it as a decimal, e.g. 1.5e20",
        )
    return Token(Kind.NUMBER, literal, value, start, end)


def _quoted(text: str, start: int, quote: str, kind: Kind) -> Token:
    """A quoted string or name; the quote character doubled stands for itself (SQL)."""
    parts: list[str] = []
    pos, n = start + 1, len(text)
    while pos < n:
        ch = text[pos]
        if ch == quote:
            if pos + 1 < n and text[pos + 1] == quote:
                parts.append(quote)
                pos += 2
                continue
            value = "".join(parts)
            if kind is Kind.QUOTED_NAME and not value:
                raise RuleSyntaxError(
                    "empty quoted column name", text=text, start=start, end=pos + 1
                )
            return Token(kind, text[start : pos + 1], value, start, pos + 1)
        parts.append(ch)
        pos += 1
    what = "string" if kind is Kind.STRING else "quoted name"
    raise RuleSyntaxError(
        f"unterminated {what}: no closing {quote}",
        text=text,
        start=start,
        hint=f"close it with {quote}; write {quote}{quote} for a {quote} inside it",
    )
