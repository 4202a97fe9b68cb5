"""One exception hierarchy for every user-facing error in segwise.

User errors (bad files, missing columns, invalid options) derive from
:class:`SegwiseError`. The CLI and the API turn them into one clear line and a
non-zero exit code; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from typing import Any


class SegwiseError(Exception):
    """Base class of every error caused by input rather than by a bug.

    Parameters
    ----------
    message
        What went wrong, naming the file, column, row or option concerned.
    hint
        What the user can do about it.

    Examples
    --------
    >>> print(SegwiseError("orders.csv: the file is empty", hint="export it again"))
    orders.csv: the file is empty. Export it again.
    """

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(self.one_line())

    def one_line(self) -> str:
        r"""Render the error as the single line the CLI prints.

        Names from the data (a column called ``"A\x1ccustomer_id"``) may hold
        characters that break a line; they are shown escaped.

        >>> SegwiseError("no column 'a\u2028b'").one_line()
        "no column 'a\\u2028b'"
        """
        if not self.hint:
            return _one_line(self.message)
        hint = self.hint[0].upper() + self.hint[1:]
        end = "" if hint.endswith((".", "?", "!")) else "."
        return _one_line(f"{self.message.rstrip('.')}. {hint}{end}")


#: What ``str.splitlines`` breaks a line at, shown escaped inside a one-line message.
_LINE_BREAKS = {c: repr(chr(c))[1:-1] for c in (*range(0x0A, 0x0E), 0x1C, 0x1D, 0x1E, 0x85)}
_LINE_BREAKS |= {0x2028: "\\u2028", 0x2029: "\\u2029"}


def _one_line(text: str) -> str:
    return text.translate(_LINE_BREAKS)


class DataError(SegwiseError):
    """The data cannot be read or used: empty, binary, unparseable, wrong shape.

    Parameters
    ----------
    message
        What is wrong with the data.
    hint
        What to do about it.
    source
        The file, URL or frame the data came from.
    column
        The column concerned, if any.
    row
        The 1-based data row concerned (the header is not counted), if any.
    """

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        source: str | None = None,
        column: str | None = None,
        row: int | None = None,
    ) -> None:
        self.source = source
        self.column = column
        self.row = row
        where = [f"{source}:"] if source else []
        if column is not None:
            where.append(f"column '{column}'")
        if row is not None:
            where.append(f"row {row}")
        prefix = " ".join(where)
        if prefix and not prefix.endswith(":"):
            prefix += ":"
        super().__init__(f"{prefix} {message}" if prefix else message, hint=hint)


class ColumnNotFoundError(DataError):
    """A column the caller named, or a required role, is not in the data."""


class ConfigError(SegwiseError):
    """An option, a project file key or a policy has an invalid value."""


class NotFoundError(ConfigError):
    """A named thing (segmentation, segment, job, run) does not exist."""


class SeedError(ConfigError, ValueError):
    """A lookalike seed that is empty, or everyone: there is nothing to tell apart."""


class RuleError(SegwiseError):
    """A segment rule cannot be used: unknown column, wrong type, reference cycle.

    The error is data (``description, line, col, start, end``) and renders the
    rule's line with a caret under the fault, the same way in the CLI and in
    Python.

    Parameters
    ----------
    description
        What is wrong, in one sentence.
    text
        The whole rule.
    start, end
        Character offsets of the fault in ``text`` (``end`` exclusive).
    hint
        What to do about it.
    source
        Where the rule came from, e.g. ``"rules.yaml, segment 'VIP'"``.

    Examples
    --------
    >>> print(RuleError("unknown column 'frequncy'", text="frequncy > 3", start=0, end=8).render())
    RuleError: unknown column 'frequncy' (line 1, col 1)
      frequncy > 3
      ^^^^^^^^
    """

    def __init__(
        self,
        description: str,
        *,
        text: str,
        start: int,
        end: int | None = None,
        hint: str | None = None,
        source: str | None = None,
    ) -> None:
        self.description = description
        self.text = text
        self.start = max(0, min(start, len(text)))
        self.end = max(self.start + 1, end if end is not None else self.start + 1)
        self.source = source
        before = text[: self.start]
        self.line = before.count("\n") + 1
        self.col = self.start - (before.rfind("\n") + 1) + 1
        line_start = before.rfind("\n") + 1
        line_end = text.find("\n", self.start)
        self.highlight = text[line_start : len(text) if line_end < 0 else line_end]
        super().__init__(description, hint=hint)

    def render(self) -> str:
        """The error as the CLI and ``str()`` show it: a headline, the line, a caret."""
        where = f"{self.source}: " if self.source else ""
        position = f"(line {self.line}, col {self.col})"
        headline = f"{where}{type(self).__name__}: {self.description} {position}"
        shown = self.highlight.replace("\t", " ")
        width = max(1, min(self.end - self.start, len(shown) - self.col + 1))
        lines = [headline, f"  {shown}", "  " + " " * (self.col - 1) + "^" * width]
        if self.hint:
            hint = self.hint[0].upper() + self.hint[1:]
            lines.append(f"  {hint}{'' if hint.endswith(('.', '?', '!')) else '.'}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """The error as data: what, where (line, column, offsets), the line and the caret."""
        return {
            "message": self.description,
            "hint": self.hint,
            "line": self.line,
            "column": self.col,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "highlight": self.highlight,
            "caret": self.render(),
            "source": self.source,
        }

    def with_source(self, source: str) -> RuleError:
        """The same error, labelled with where the rule came from (a catalog and segment)."""
        return type(self)(
            self.description,
            text=self.text,
            start=self.start,
            end=self.end,
            hint=self.hint,
            source=source,
        )

    def one_line(self) -> str:
        """The rendered error: the CLI edge prints this for every SegwiseError."""
        return self.render() if hasattr(self, "highlight") else super().one_line()

    def __str__(self) -> str:
        # Tracebacks already print the class name before the message.
        return self.render().split(": ", 1)[1] if not self.source else self.render()


class RuleSyntaxError(RuleError):
    """A segment rule does not parse: an unexpected token, a missing value, too deep.

    Examples
    --------
    >>> print(RuleSyntaxError("expected a value after '>='", text="monetary >=", start=11).render())
    RuleSyntaxError: expected a value after '>=' (line 1, col 12)
      monetary >=
                 ^
    """


class ProblemsError(ConfigError):
    """Several problems found at once (``segwise validate`` lists them all).

    Parameters
    ----------
    problems
        Each problem as the one line the CLI prints for it.

    Examples
    --------
    >>> error = ProblemsError(["a.csv: no such file", "segmentation 'x': no column 'y'"])
    >>> str(error)
    "2 problems: (1) a.csv: no such file; (2) segmentation 'x': no column 'y'"
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        listed = "; ".join(f"({i}) {p}" for i, p in enumerate(self.problems, 1))
        super().__init__(f"{len(self.problems)} problems: {listed}")
