"""``segwise features ORDERS…``: one row per customer, as of a date, from orders (and more)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from segwise.cli import options as opt
from segwise.cli.console import progress, stdout, user_errors

if TYPE_CHECKING:
    from segwise.io.options import SourceOptions


@user_errors
@opt.with_source_options
def features(
    files: opt.TransactionFiles,
    customers: Annotated[
        str | None,
        typer.Option("--customers", help="Customer attributes (one row per customer)."),
    ] = None,
    events: opt.EventsFile = None,
    as_of: opt.AsOf = None,
    output: opt.Output = None,
    *,
    source: SourceOptions,
) -> None:
    """Build the customer table (tenure, recency, orders, revenue, basket, returns, engagement).

    Columns of the orders export that never change within a customer (a country, a
    segment code) come along as customer attributes, usable in rules and profiles.
    -o writes it (.parquet, .csv, .json); cluster, segment and explain read it.
    """
    import segwise as sw
    from segwise.cli.data import checked
    from segwise.engine.frames import to_lazy
    from segwise.io.writers import write_table

    options = source.keywords()
    with progress("Building features") as step:
        step("Reading transactions")
        orders = checked(sw.read_transactions(files, **options))
        people = None if customers is None else sw.read_customers(customers)
        activity = None if events is None else sw.read_events(events)
        step("Computing features")
        built = sw.customer_features(orders, customers=people, events=activity, as_of=as_of)
        frame = to_lazy(built).collect(backend="polars").to_native().sort("customer_id")
        if output is not None:
            step(f"Writing {output}")
            write_table(frame, output)
    console = stdout()
    console.print(
        f"{frame.height:,} customers × {frame.width - 1} features"
        + (f" written to {output}" if output is not None else ""),
        highlight=False,
    )
    if output is None:
        console.print(frame.head(10))
