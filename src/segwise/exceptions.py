"""One exception hierarchy for every user-facing error in segwise.

User errors (bad files, missing columns, invalid options) derive from
:class:`SegwiseError`. The CLI and the API turn them into one clear line and a
non-zero exit code; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


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
        """Render the error as the single line the CLI prints."""
        if not self.hint:
            return self.message
        hint = self.hint[0].upper() + self.hint[1:]
        end = "" if hint.endswith((".", "?", "!")) else "."
        return f"{self.message.rstrip('.')}. {hint}{end}"


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
