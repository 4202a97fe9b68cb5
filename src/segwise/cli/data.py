"""Reading transactions for the data commands: the shared options, several files as one table."""

from __future__ import annotations

from typing import Any

import narwhals.stable.v2 as nw


def transaction_options(
    *,
    customer_col: str | None,
    date_col: str | None,
    amount_col: str | None,
    quantity_col: str | None,
    price_col: str | None,
    order_col: str | None,
    policy: str,
    date_format: str | None,
    delimiter: str | None,
    encoding: str | None,
    sheet: str | None,
    table: str | None,
    query: str | None,
) -> dict[str, Any]:
    """The shared CLI options as keyword arguments of :func:`segwise.read_transactions`."""
    from segwise.cli.options import sheet_value

    return {
        "customer_id": customer_col,
        "timestamp": date_col,
        "amount": amount_col,
        "quantity": quantity_col,
        "unit_price": price_col,
        "order_id": order_col,
        "policy": policy,
        "timestamp_format": date_format,
        "delimiter": delimiter,
        "encoding": encoding,
        "sheet": sheet_value(sheet),
        "table": table,
        "query": query,
    }


def read_purchases(files: list[str], **options: Any) -> tuple[nw.LazyFrame[Any], list[Any]]:
    """Read every file as transactions and return their purchases as one lazy frame.

    Returns the frame (``customer_id, timestamp, amount``, returns left out)
    and each file's quality report, so commands can say what was excluded.
    """
    import segwise as sw

    frames: list[nw.LazyFrame[Any]] = []
    reports = []
    for file in files:
        dataset = sw.read_transactions(file, **options)
        reports.append(dataset.quality())
        purchases = dataset.data.filter(~nw.col("is_return"))
        frames.append(purchases.select("customer_id", "timestamp", "amount"))
    combined = frames[0] if len(frames) == 1 else nw.concat(frames, how="vertical")
    return combined, reports
