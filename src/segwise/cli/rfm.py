"""``segwise rfm FILE …``: the scored RFM table with named segments."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from segwise.cli import options as opt
from segwise.cli.console import json_text, progress, stdout, user_errors

if TYPE_CHECKING:
    from segwise.io.options import SourceOptions

from segwise.exceptions import ConfigError, DataError


def _thresholds(values: list[str] | None) -> dict[str, list[float]]:
    parsed: dict[str, list[float]] = {}
    for value in values or []:
        metric, _, cuts = value.partition("=")
        try:
            parsed[metric.strip()] = [float(c) for c in cuts.split(",") if c.strip()]
        except ValueError:
            raise ConfigError(
                f"--thresholds '{value}' is not METRIC=NUMBER,NUMBER,...",
                hint="e.g. --thresholds recency_days=30,90,180,365",
            ) from None
    return parsed


@user_errors
@opt.with_source_options
def rfm(
    files: opt.TransactionFiles,
    as_of: opt.AsOf = None,
    bins: Annotated[
        int | None, typer.Option("--bins", help="Score bins (default 5; pymc uses 4).")
    ] = None,
    preset: Annotated[
        str,
        typer.Option(
            "--preset", help="Segment names: segwise (8), segwise-detailed (11), r-rfm or pymc."
        ),
    ] = "segwise",
    binning: Annotated[
        str, typer.Option("--binning", help="quantile, fixed or jenks.")
    ] = "quantile",
    thresholds: Annotated[
        list[str] | None,
        typer.Option(
            "--thresholds",
            help="Fixed cut points, e.g. recency_days=30,90,180,365 (repeat per metric).",
        ),
    ] = None,
    frequency: Annotated[
        str, typer.Option("--frequency", help="Count distinct orders or distinct purchase days.")
    ] = "orders",
    segment_map: Annotated[
        Path | None,
        typer.Option("--map", help="A YAML score map instead of the preset's segments."),
    ] = None,
    orders_col: Annotated[
        str | None,
        typer.Option(
            "--orders-col",
            help="The file is a customer table: this column counts each customer's orders, "
            "--amount-col is their total revenue and --date-col their last order date.",
        ),
    ] = None,
    output: opt.Output = None,
    as_json: opt.Json = False,
    *,
    source: SourceOptions,
) -> None:
    """Score recency, frequency and monetary value (1..bins, bins = best) and name segments.

    Output columns: customer_id, recency_days, frequency, monetary, r_score,
    f_score, m_score, rfm_score, segment.
    """
    import segwise as sw
    from segwise.cli.data import warn_of_overlaps
    from segwise.features.score_map import MANAGEABLE_SEGMENTS, ScoreMap, too_many_segments
    from segwise.io.writers import write_table

    scoring: dict[str, Any] = {
        "as_of": as_of,
        "bins": bins,
        "binning": binning,
        "thresholds": _thresholds(thresholds),
        "preset": preset,
        "segment_map": str(segment_map) if segment_map else None,
    }
    with progress("Reading") as step:
        step("Reading " + ("transactions" if orders_col is None else "the customer table"))
        dataset = (
            sw.read_transactions(files, **source.keywords())
            if orders_col is None
            else sw.read_customers(_one(files), **source.keywords("customers"))
        )
        warn_of_overlaps(dataset)
        step("Scoring")
        frame, caught = _scored(dataset, orders_col, frequency, source, scoring)
        if output is not None:
            step(f"Writing {output}")
            write_table(frame, output)
    for warning in caught:
        sys.stderr.write(f"note: {warning.message}\n")
    score_map = ScoreMap.from_yaml(segment_map) if segment_map else ScoreMap.preset(preset)
    if len(score_map.segments) > MANAGEABLE_SEGMENTS:
        sys.stderr.write(f"note: {too_many_segments(len(score_map.segments))}\n")
    console = stdout()
    if as_json:
        console.print_json(json_text(frame.to_dicts()))
        return
    _print_summary(console, frame, score_map)
    if output is not None:
        console.print(f"{frame.height:,} customers written to {output}", highlight=False)


def _scored(
    dataset: Any,
    orders_col: str | None,
    frequency: str,
    source: SourceOptions,
    scoring: dict[str, Any],
) -> tuple[Any, list[warnings.WarningMessage]]:
    """The scored table, sorted by customer, and the binning notes its scoring raised.

    What the source left out is said after: the metrics count the rows they read in their
    own pass, and only when those are not every row is the file counted by reason.
    """
    from segwise.cli.data import say_left_out_of
    from segwise.engine.frames import to_lazy
    from segwise.features.rfm import rfm_table

    with warnings.catch_warnings(record=True) as caught, _explained_by_quality(dataset):
        warnings.simplefilter("always")
        counted: list[int] = []
        result = (
            rfm_table(
                dataset,
                monetary_value_col="amount",
                order_id_col="order_id"
                if "order_id" in dataset.data.collect_schema().names()
                else None,
                frequency=frequency,  # type: ignore[arg-type]
                count_rows=counted,
                **scoring,
            )
            if orders_col is None
            else _score_customer_table(dataset, orders_col, source, scoring)
        )
        frame = to_lazy(result).collect(backend="polars").to_native().sort("customer_id")
    say_left_out_of(dataset, counted[0] if counted else None)
    return frame, caught


def _print_summary(console: Any, frame: Any, score_map: Any) -> None:
    """Segment sizes, revenue shares and each segment's recommended action."""
    import polars as pl
    from rich.table import Table

    described = score_map.describe()
    sizes = (
        frame.group_by("segment")
        .agg(pl.len().alias("customers"), pl.col("monetary").sum().alias("revenue"))
        .sort("customers", descending=True)
    )
    total_revenue = float(frame["monetary"].sum()) or 1.0
    summary = Table(
        title=f"{frame.height:,} customers · preset {score_map.name}", title_justify="left"
    )
    for column in ("segment", "customers", "share", "revenue share", "recommended action"):
        summary.add_column(
            column, justify="right" if column in {"customers", "share", "revenue share"} else "left"
        )
    for name, customers, revenue in sizes.iter_rows():
        summary.add_row(
            name,
            f"{customers:,}",
            f"{customers / frame.height:.1%}",
            f"{revenue / total_revenue:.1%}" if revenue is not None else "",
            described.get(name, {}).get("action", ""),
        )
    console.print(summary)


def _one(files: list[Any]) -> Any:
    if len(files) != 1:
        raise ConfigError(
            "--orders-col reads one customer table, not several files",
            hint="stack the tables first, so each customer has one row",
        )
    return files[0]


def _score_customer_table(
    dataset: Any, orders_col: str, source: SourceOptions, scoring: dict[str, Any]
) -> Any:
    """RFM of a customer table (one row per customer), named by the source options."""
    from segwise.features.customer_table import rfm_table_customer

    if source.timestamp is None or source.amount is None:
        raise ConfigError(
            "--orders-col reads a customer table: name its last order date and total revenue",
            hint="add --date-col LAST_ORDER --amount-col REVENUE",
        )
    return rfm_table_customer(
        dataset.data,
        orders_col=orders_col,
        revenue_col=source.amount,
        last_order_col=source.timestamp,
        **scoring,
    )


@contextmanager
def _explained_by_quality(dataset: Any) -> Iterator[None]:
    """When nothing can be scored, fail with the quality report's own error for the input.

    A header-only file, or one where no row has a usable date or amount, gets the
    same one line here as from ``segwise quality`` (which names the file).
    """
    try:
        yield
    except DataError:
        dataset.reports()  # raises the located error when a file itself is unusable
        raise
