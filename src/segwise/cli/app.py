"""The root ``segwise`` command: version, and one sub-command per module."""

from __future__ import annotations

from typing import Annotated

import typer

from segwise._version import __version__
from segwise.cli.activation import deliveries, export, sync
from segwise.cli.cluster import cluster
from segwise.cli.clv import clv
from segwise.cli.demo import demo
from segwise.cli.experiment import experiment_app
from segwise.cli.features import features
from segwise.cli.history import changes, diff, history, preview
from segwise.cli.init import init
from segwise.cli.keys import audit, keys_app
from segwise.cli.measure import advise, experiments, kpis
from segwise.cli.privacy import access, forget, privacy, purge
from segwise.cli.project import alerts, members, refresh, run, runs, validate
from segwise.cli.propensity import propensity
from segwise.cli.quality import quality
from segwise.cli.retention import retention
from segwise.cli.rfm import rfm
from segwise.cli.rules import rules_app
from segwise.cli.segment import explain, segment
from segwise.cli.serve import serve
from segwise.cli.summary import summary

app = typer.Typer(
    name="segwise",
    help="Customer segmentation: ingest, features, segments, profiles and a project store.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"segwise {__version__}")
        raise typer.Exit


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Customer segmentation engine."""


app.command()(quality)
app.command()(demo)
app.command()(init)
app.command()(summary)
app.command()(features)
app.command()(rfm)
app.command()(clv)
app.command()(retention)
app.command()(propensity)
app.command()(segment)
app.command()(explain)
app.command()(cluster)
app.command()(run)
app.command()(refresh)
app.command()(validate)
app.command()(runs)
app.command()(members)
app.command()(export)
app.command()(sync)
app.command()(deliveries)
app.command()(alerts)
app.command()(changes)
app.command()(history)
app.command()(preview)
app.command()(diff)
app.command()(serve)
app.command()(audit)
app.command()(kpis)
app.command()(experiments)
app.command()(advise)
app.command()(purge)
app.command()(forget)
app.command()(access)
app.command()(privacy)
app.add_typer(rules_app)
app.add_typer(keys_app)
app.add_typer(experiment_app)


def main() -> None:
    """Entry point of the ``segwise`` script."""
    app()
