"""``segwise features ORDERS…``: one row per customer, as of a date, from orders (and more)."""

from __future__ import annotations

from typing import Annotated

import typer

from segwise.cli import options as opt
from segwise.cli.console import progress, stdout, user_errors


@user_errors
def features(
    files: Annotated[
        list[str], typer.Argument(help="Transaction files or database URLs.", show_default=False)
    ],
    customers: Annotated[
        str | None,
        typer.Option("--customers", help="Customer attributes (one row per customer)."),
    ] = None,
    events: opt.EventsFile = None,
    as_of: opt.AsOf = None,
    customer_col: opt.CustomerCol = None,
    date_col: opt.DateCol = None,
    amount_col: opt.AmountCol = None,
    quantity_col: opt.QuantityCol = None,
    price_col: opt.PriceCol = None,
    order_col: opt.OrderCol = None,
    date_format: opt.DateFormat = None,
    policy: opt.Policy = "default",
    delimiter: opt.Delimiter = None,
    encoding: opt.Encoding = None,
    sheet: opt.Sheet = None,
    table: opt.Table = None,
    query: opt.Query = None,
    output: opt.Output = None,
) -> None:
    """Build the customer table (tenure, recency, orders, revenue, basket, returns, engagement).

    Columns of the orders export that never change within a customer (a country, a
    segment code) come along as customer attributes, usable in rules and profiles.
    -o writes it (.parquet, .csv, .json); cluster, segment and explain read it.
    """
    import narwhals.stable.v2 as nw

    import segwise as sw
    from segwise.cli.data import transaction_options
    from segwise.engine.frames import to_lazy
    from segwise.io.writers import write_table

    options = transaction_options(
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
        quantity_col=quantity_col,
        price_col=price_col,
        order_col=order_col,
        policy=policy,
        date_format=date_format,
        delimiter=delimiter,
        encoding=encoding,
        sheet=sheet,
        table=table,
        query=query,
    )
    with progress("Building features") as step:
        step("Reading transactions")
        datasets = [sw.read_transactions(file, **options) for file in files]
        for dataset in datasets:
            dataset.quality()  # an unusable file fails here, as `segwise quality` says
        orders = (
            datasets[0]
            if len(datasets) == 1
            else nw.concat([d.data for d in datasets], how="diagonal")
        )
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
