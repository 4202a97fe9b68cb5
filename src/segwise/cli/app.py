"""The root ``segwise`` command: version, and one sub-command per module."""

from __future__ import annotations

import functools
import importlib
import sys
import warnings
from typing import Annotated, Any

import typer

from segwise._version import __version__

# Each command by name, in the order ``segwise --help`` lists them, with the module that
# defines it (the function bears the command's name). A run imports and builds only the
# command it invokes: importing every command module and building the options of all 37
# commands and groups cost about 0.15 s on every start-up.
COMMANDS: tuple[tuple[str, str], ...] = (
    ("quality", "segwise.cli.quality"),
    ("demo", "segwise.cli.demo"),
    ("init", "segwise.cli.init"),
    ("summary", "segwise.cli.summary"),
    ("features", "segwise.cli.features"),
    ("rfm", "segwise.cli.rfm"),
    ("clv", "segwise.cli.clv"),
    ("retention", "segwise.cli.retention"),
    ("propensity", "segwise.cli.propensity"),
    ("segment", "segwise.cli.segment"),
    ("explain", "segwise.cli.segment"),
    ("cluster", "segwise.cli.cluster"),
    ("run", "segwise.cli.project"),
    ("refresh", "segwise.cli.project"),
    ("validate", "segwise.cli.project"),
    ("runs", "segwise.cli.project"),
    ("members", "segwise.cli.project"),
    ("export", "segwise.cli.activation"),
    ("sync", "segwise.cli.activation"),
    ("deliveries", "segwise.cli.activation"),
    ("alerts", "segwise.cli.project"),
    ("changes", "segwise.cli.history"),
    ("history", "segwise.cli.history"),
    ("preview", "segwise.cli.history"),
    ("diff", "segwise.cli.history"),
    ("serve", "segwise.cli.serve"),
    ("audit", "segwise.cli.keys"),
    ("kpis", "segwise.cli.measure"),
    ("experiments", "segwise.cli.measure"),
    ("advise", "segwise.cli.measure"),
    ("purge", "segwise.cli.privacy"),
    ("forget", "segwise.cli.privacy"),
    ("access", "segwise.cli.privacy"),
    ("privacy", "segwise.cli.privacy"),
)
# Command groups by name: the module and the Typer app it defines.
GROUPS: tuple[tuple[str, str, str], ...] = (
    ("rules", "segwise.cli.rules", "rules_app"),
    ("keys", "segwise.cli.keys", "keys_app"),
    ("experiment", "segwise.cli.experiment", "experiment_app"),
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"segwise {__version__}")
        raise typer.Exit


def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Customer segmentation engine."""
    _plain_warnings()


def _plain_warnings() -> None:
    """Segwise's own warnings that no command shows itself: one ``warning:`` line on stderr.

    Not Python's ``file:line: Category: message`` and the source line after it.
    """
    shown = warnings.showwarning
    if getattr(shown, "segwise", False):
        return

    def show(message: Any, category: type[Warning], *args: Any, **kwargs: Any) -> None:
        if category.__module__.partition(".")[0] == "segwise":
            sys.stderr.write(f"warning: {message}\n")
        else:
            shown(message, category, *args, **kwargs)

    show.segwise = True  # type: ignore[attr-defined]
    warnings.showwarning = show


def build_app(only: str | None = None) -> typer.Typer:
    """The ``segwise`` Typer app: every command, or only the one named ``only``.

    Parameters
    ----------
    only
        A command or group name; ``None`` builds them all.

    Returns
    -------
    typer.Typer
        The app, ready to call.

    Examples
    --------
    >>> from segwise.cli.app import build_app
    >>> [c.callback.__name__ for c in build_app("rfm").registered_commands]
    ['rfm']
    """
    app = typer.Typer(
        name="segwise",
        help="Customer segmentation: ingest, features, segments, profiles and a project store.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
    )
    app.callback()(root)
    for name, module in COMMANDS:
        if only in (None, name):
            app.command()(getattr(importlib.import_module(module), name))
    for name, module, attribute in GROUPS:
        if only in (None, name):
            app.add_typer(getattr(importlib.import_module(module), attribute))
    return app


@functools.cache
def _whole_app() -> typer.Typer:
    return build_app()


def __getattr__(name: str) -> typer.Typer:
    # ``app`` (every command) is built on first use: the entry point builds one command.
    if name == "app":
        return _whole_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    """Entry point of the ``segwise`` script."""
    args = sys.argv[1:]
    named = {name for name, _ in COMMANDS} | {name for name, _, _ in GROUPS}
    # Root options (``--help``, ``--version``) and unknown names get the whole app, so
    # that the listing and the "no such command" message stay as typer writes them.
    build_app(args[0] if args and args[0] in named else None)()
