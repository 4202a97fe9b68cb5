"""Consoles, the error edge, progress that shows on a terminal only, and report tables."""

from __future__ import annotations

import csv
import errno
import functools
import getpass
import json
import math
import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from segwise.exceptions import ProblemsError, RuleError, SegwiseError

P = ParamSpec("P")
R = TypeVar("R")


def json_text(payload: Any, *, indent: int | None = None) -> str:
    """Strict JSON for ``--json`` and report files: NaN and infinities become ``null``.

    Python's ``json`` writes ``NaN`` and ``Infinity``, which no JSON parser accepts.

    Examples
    --------
    >>> json_text({"share": float("nan"), "sizes": [1.5, float("inf")]})
    '{"share": null, "sizes": [1.5, null]}'
    """
    return json.dumps(_finite(payload), default=str, allow_nan=False, indent=indent)


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def stdout() -> Console:
    """The console for results (stdout); 120 columns when piped, so tables are not squeezed."""
    console = Console(soft_wrap=True)
    return console if console.is_terminal else Console(soft_wrap=True, width=120)


def stderr() -> Console:
    """The console for progress and errors (stderr)."""
    return Console(stderr=True, soft_wrap=True)


def user_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn a SegwiseError into one line on stderr and exit code 1, with no traceback."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except RuleError as exc:
            # The same text as the Python API's exc.render(): headline, rule line, caret.
            sys.stderr.write(exc.render() + "\n")
            raise typer.Exit(1) from None
        except ProblemsError as exc:
            # Every problem on its own line, so one validate round fixes them all.
            for problem in exc.problems:
                sys.stderr.write(f"error: {problem}\n")
            raise typer.Exit(1) from None
        except SegwiseError as exc:
            # Plain write: rich would wrap the line and read markup in file names.
            sys.stderr.write(f"error: {exc.one_line()}\n")
            raise typer.Exit(1) from None
        except BrokenPipeError:
            # The reader went away (``segwise members … | head``): stop quietly, as the
            # shell's own tools do; stdout goes to /dev/null so the exit flush cannot fail too.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(128 + signal.SIGPIPE) from None
        except (OSError, RecursionError, UnicodeError, csv.Error) as exc:
            # Imported here, as below: a PySpark driver that died under a call is an OSError.
            from segwise.engine.failures import driver_stopped, engine_failure

            line = engine_failure(exc) if driver_stopped(exc) else _system_error(exc)
            sys.stderr.write(f"error: {line}\n")
            raise typer.Exit(1) from None
        except Exception as exc:
            # The safety net under the located errors: an engine failing on user data
            # (a value Polars or DuckDB cannot read) is still one line, never a traceback.
            # Imported here: the engine package loads Polars, which parsing a command must not.
            from segwise.engine.failures import engine_failure, is_engine_error

            if not is_engine_error(exc):
                raise
            sys.stderr.write(f"error: {engine_failure(exc)}\n")
            raise typer.Exit(1) from None

    return run


def _system_error(exc: BaseException) -> str:
    """One line for an operating-system or decoding failure."""
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        reason = exc.strerror or str(exc) or type(exc).__name__
        hint = " Free some disk space and run again." if exc.errno == errno.ENOSPC else ""
        return f"{where}{reason}.{hint}"
    if isinstance(exc, RecursionError):
        return "the input is nested too deeply to process. Simplify the definition."
    first = (str(exc).splitlines() or [type(exc).__name__])[0]
    return f"{first}. Check the file's encoding and format."


@contextmanager
def progress(description: str) -> Iterator[Callable[[str], None]]:
    """Show a spinner with the current step on a terminal; stay silent in pipes.

    Yields a function that names the next step.
    """
    with _progress(description, None) as step:
        yield step


@contextmanager
def progress_bar(description: str, total: int) -> Iterator[Callable[[str], None]]:
    """A bar over ``total`` steps on a terminal; silent in pipes.

    Yields a function to call with each step's name; names that start with a
    lower-case letter are sub-steps and do not advance the bar.
    """
    with _progress(description, total) as step:
        yield step


@contextmanager
def _progress(description: str, total: int | None) -> Iterator[Callable[[str], None]]:
    console = stderr()
    if not console.is_terminal:
        yield lambda _step: None
        return
    # Loaded here: pipes and scripts, the usual case for a fast command, never draw a bar.
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    counted = () if total is None else (BarColumn(), MofNCompleteColumn())
    columns = (SpinnerColumn(), TextColumn("{task.description}"), *counted, TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(description, total=total)
        started = [False]

        def step(name: str) -> None:
            if total is not None and name[:1].isupper():
                if started[0]:
                    bar.advance(task)
                started[0] = True
            bar.update(task, description=name)

        yield step


def quality_table(report: Any, currency: str | None = None) -> Table:
    """A rich table of one quality report (its net amount in ``currency``, where known)."""
    table = Table(title=f"{report.kind}: {report.source}", title_justify="left", show_header=True)
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("rows read", f"{report.rows_read:,}")
    table.add_row("rows used", f"{report.rows_used:,}")
    table.add_row("rows quarantined", f"{report.rows_quarantined:,}")
    for reason, rows in report.excluded.items():
        if rows:
            table.add_row(f"  excluded: {reason}", f"{rows:,}")
    for check, rows in report.checks.items():
        if rows:
            table.add_row(f"check: {check}", f"{rows:,}")
    table.add_row("accounts" if report.kind == "accounts" else "customers", f"{report.customers:,}")
    if report.first_timestamp is not None:
        table.add_row(
            "date range", f"{report.first_timestamp:%Y-%m-%d} .. {report.last_timestamp:%Y-%m-%d}"
        )
    if report.total_amount is not None:
        from segwise.profiling.amounts import currency_symbol

        symbol = currency_symbol(currency) if currency else ""
        spacer = " " if symbol.isalpha() else ""  # "CHF 1,234.50", "£1,234.50"
        table.add_row("net amount", f"{symbol}{spacer}{report.total_amount:,.2f}")
    balance = "yes" if report.balanced else "NO"
    table.add_row("read = used + quarantined", balance)
    return table


def print_rows(console: Console, frame: Any, *, rows: int = 20, noun: str = "customers") -> None:
    """Print the first ``rows`` of a Polars frame as a table, and how many more there are."""
    table = Table(title=f"{frame.height:,} {noun}", title_justify="left")
    for column in frame.columns:
        table.add_column(column, justify="left" if column == "customer_id" else "right")
    for row in frame.head(rows).iter_rows():
        table.add_row(*["" if v is None else f"{v:.4g}" if isinstance(v, float) else str(v)
                        for v in row])  # fmt: skip
    console.print(table)
    if frame.height > rows:
        console.print(
            f"… {frame.height - rows:,} more; write them all with -o FILE", highlight=False
        )


def cli_actor() -> str:
    """Who the audit log says acted from the command line: ``cli:<user>``."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"
