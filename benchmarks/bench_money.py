"""Amounts written for people (currency, grouping, decimal comma): what reading them costs.

For each way of writing the same seeded orders (plain ``1254.5``, ``£1,254.50``,
``1.254,50 €`` in a ``;`` file), ``sw.read_transactions(path).data`` is collected and
summed, against two baselines: the plain file read the same way (what a currency costs
segwise) and a hand-written Polars query that reads the same columns, strips the known
currency and separators and casts (no quality checks, no detection: the convention known).

    python benchmarks/bench_money.py --rows 2000000 --repeat 3
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

import segwise as sw

if TYPE_CHECKING:
    from collections.abc import Callable

WRITINGS = {
    "plain": (",", lambda a: a.map_elements(lambda x: f"{x:.2f}", return_dtype=pl.String)),
    "£1,254.50": (",", lambda a: a.map_elements(lambda x: f"£{x:,.2f}", return_dtype=pl.String)),
    "1.254,50 €": (
        ";",
        lambda a: a.map_elements(
            lambda x: f"{x:,.2f} €".translate(str.maketrans(",.", ".,")), return_dtype=pl.String
        ),
    ),
}


def orders(rows: int) -> pl.DataFrame:
    rng = np.random.default_rng(7)
    days = rng.integers(0, 700, rows)
    return pl.DataFrame(
        {
            "customer_id": rng.integers(0, rows // 10, rows).astype(str),
            "order_date": (np.datetime64("2023-01-01") + days).astype(str),
            "amount": np.round(rng.lognormal(4, 1.2, rows), 2),
        }
    )


def hand_written(path: Path, separator: str, name: str) -> float:
    text = pl.col("amount").str.strip_chars()
    if name == "£1,254.50":
        text = text.str.replace_all("£", "", literal=True).str.replace_all(",", "", literal=True)
    elif name == "1.254,50 €":
        text = (
            text.str.replace_all("€", "", literal=True)
            .str.replace_all(".", "", literal=True)
            .str.replace_all(",", ".", literal=True)
            .str.strip_chars()
        )
    frame = pl.scan_csv(path, separator=separator, infer_schema=False)
    # The same rows segwise gives: ids, parsed dates and amounts, collected.
    data = frame.select(
        pl.col("customer_id"),
        pl.col("order_date").str.to_datetime("%Y-%m-%d", time_unit="us").alias("timestamp"),
        text.cast(pl.Float64).alias("amount"),
    ).collect()
    return float(data["amount"].sum())


def segwise_read(path: Path) -> float:
    data = sw.read_transactions(path).data.collect(backend="polars").to_native()
    return float(data["amount"].sum())


def best_of(repeat: int, work: Callable[[], float]) -> tuple[float, float]:
    times, result = [], 0.0
    for _ in range(repeat):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    table = orders(args.rows)
    expected = float(table["amount"].sum())
    folder = Path(tempfile.mkdtemp())
    timings: dict[str, tuple[float, float]] = {}
    print(f"{args.rows:,} order rows, best of {args.repeat}")
    print(f"{'written as':<12} {'segwise':>9} {'hand':>9} {'vs hand':>8} {'vs plain':>9}")
    for name, (separator, write) in WRITINGS.items():
        path = folder / f"{name.replace(' ', '_')}.csv"
        written = table.with_columns(write(pl.col("amount")).alias("amount"))
        written.write_csv(path, separator=separator)
        ours, total = best_of(args.repeat, lambda p=path: segwise_read(p))
        hand, hand_total = best_of(
            args.repeat, lambda p=path, s=separator, n=name: hand_written(p, s, n)
        )
        assert abs(total - expected) < 1e-6 * expected, (name, total, expected)
        assert abs(hand_total - expected) < 1e-6 * expected, (name, hand_total, expected)
        timings[name] = (ours, hand)
        plain = timings["plain"][0]
        print(f"{name:<12} {ours:>8.2f}s {hand:>8.2f}s {ours / hand:>7.2f}× {ours / plain:>8.2f}×")


if __name__ == "__main__":
    main()
