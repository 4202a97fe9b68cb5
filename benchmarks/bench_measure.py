"""``experiment analyze`` and ``kpis`` at scale (issue 18: 10M exposures ≤ 10 s; KPIs ≤ 5 s).

A project whose store holds one run of ``--customers`` customers in 5 segments,
an exposure log of ``--exposures`` rows (customers seen once or more, 50/50),
and ``--orders`` order lines around the exposures, all Parquet. Timed: the
whole readout of 3 metrics (conversion, revenue, orders) in 5 segments and
``(all)``: reading the sources, the first exposure per customer, each
customer's segment at exposure from the store (DuckDB ASOF join on the
intervals), the metrics in the window and the pre-period, the arm statistics,
and the statistics. Beside it, a hand-written Polars query of the same arm
statistics (no segment history, no CUPED, no tests): the floor.

Then ``segwise kpis`` of one run of ``--kpis-customers`` (1M) in 5 segments on
``--kpis-orders`` (10M) order lines after it: every KPI with its interval and the
retention curve.

    python benchmarks/bench_measure.py --exposures 10000000
"""

from __future__ import annotations

import argparse
import multiprocessing
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import numpy as np
import polars as pl

if TYPE_CHECKING:
    from collections.abc import Callable

SEGMENTS = ["Champions", "Loyal", "At Risk", "Lost", "New"]
EXPOSED = datetime(2026, 3, 1)
T = TypeVar("T")


def build(folder: Path, customers: int, exposures: int, orders: int) -> Path:
    """The project file, its Parquet sources and a store with one run."""
    from segwise.store import RunRecord, SegmentationRecord, Workspace

    rng = np.random.default_rng(11)
    ids = pl.Series("customer_id", [f"C{i:09d}" for i in range(customers)])
    members = pl.DataFrame({"customer_id": ids, "segment": rng.choice(SEGMENTS, customers)})
    store = Workspace(folder / "segwise.duckdb")
    store.write_run(
        RunRecord("bench", date(2026, 2, 28), "h", "name: bench", "0", "polars", customers,
                  datetime(2026, 2, 28, 6), [SegmentationRecord("tiers", "rules", {}, [], members)])
    )  # fmt: skip
    seen = rng.integers(0, customers, exposures)
    variant = np.where(rng.random(customers) < 0.5, "control", "offer")
    pl.DataFrame(
        {
            "customer_id": ids.gather(seen),
            "experiment": "spring",
            "variant": variant[seen],
            "timestamp": pl.Series([EXPOSED]).repeat_by(exposures).explode()
            + pl.Series(rng.integers(0, 86_400 * 7, exposures)).cast(pl.Duration("us")) * 1_000_000,
        }
    ).write_parquet(folder / "exposures.parquet")
    buyer = rng.integers(0, customers, orders)
    pl.DataFrame(
        {
            "customer_id": ids.gather(buyer),
            "order_id": [f"O{i}" for i in range(orders)],
            "timestamp": pl.Series([EXPOSED - timedelta(days=20)]).repeat_by(orders).explode()
            + pl.Series(rng.integers(0, 86_400 * 60, orders)).cast(pl.Duration("us")) * 1_000_000,
            "amount": rng.gamma(2, 30, orders).round(2),
        }
    ).write_parquet(folder / "orders.parquet")
    config = folder / "segwise.yaml"
    config.write_text(
        "name: bench\nstore: segwise.duckdb\n"
        "sources:\n"
        "  transactions: {path: orders.parquet}\n"
        "  exposures: {path: exposures.parquet}\n"
        "segmentations:\n"
        "  tiers: {method: rules, segments: [{name: Champions, where: 'orders > 10'}]}\n"
    )
    return config


def hand_written(folder: Path) -> float:
    """First exposure, orders in the window, arm means and variances: one Polars query."""
    start = time.perf_counter()
    exposed = (
        pl.scan_parquet(folder / "exposures.parquet")
        .group_by("customer_id")
        .agg(pl.col("variant").first(), pl.col("timestamp").min().alias("at"))
    )
    orders = pl.scan_parquet(folder / "orders.parquet")
    window = (
        orders.join(exposed.select("customer_id", "at"), on="customer_id")
        .filter(
            (pl.col("timestamp") >= pl.col("at"))
            & (pl.col("timestamp") < pl.col("at") + timedelta(30))
        )
        .group_by("customer_id")
        .agg(pl.col("amount").sum().alias("revenue"), pl.len().alias("orders"))
    )
    values = exposed.join(window, on="customer_id", how="left").fill_null(0)
    values.group_by("variant").agg(
        pl.len().alias("n"),
        *(getattr(pl.col(m), f)().alias(f"{m}_{f}") for m in ("revenue", "orders")
          for f in ("mean", "var")),
        (pl.col("orders") > 0).mean().alias("conversion"),
    ).collect()  # fmt: skip
    return time.perf_counter() - start


def kpis_time(folder: Path) -> float:
    """Seconds of ``kpis_by_segment`` on the project built in ``folder``."""
    import segwise as sw
    from segwise.project.kpis import kpis_by_segment

    project = sw.Project.from_yaml(folder / "segwise.yaml")
    start = time.perf_counter()
    _, found = kpis_by_segment(project, segmentation="tiers")
    elapsed = time.perf_counter() - start
    assert found[0].observed_days > 30
    return elapsed


def analyze_time(folder: Path) -> tuple[float, int, bool]:
    """Seconds of the readout of the project in ``folder``; its result count and SRM flag."""
    import segwise as sw
    from segwise.project.experiment_analysis import analyze_experiment

    project = sw.Project.from_yaml(folder / "segwise.yaml")
    start = time.perf_counter()
    found = analyze_experiment(
        project, "spring", segmentation="tiers", metrics=["conversion", "revenue", "orders"]
    )
    return time.perf_counter() - start, len(found.results), found.srm.flagged


def in_fresh_process(task: Callable[..., T], *args: object) -> T:
    """``task(*args)`` in a new interpreter: nothing left over from building the data
    (10M Python strings freed but held by the allocator slowed the readout by ~1.5 s)."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(task, *args).result()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exposures", type=int, default=10_000_000)
    parser.add_argument("--customers", type=int, default=None, help="default: exposures / 2")
    parser.add_argument("--orders", type=int, default=None, help="default: exposures")
    parser.add_argument("--kpis-customers", type=int, default=1_000_000)
    parser.add_argument("--kpis-orders", type=int, default=10_000_000)
    args = parser.parse_args()
    customers = args.customers or args.exposures // 2
    orders = args.orders or args.exposures
    with tempfile.TemporaryDirectory() as scratch:
        folder, kpis_folder = Path(scratch) / "analyze", Path(scratch) / "kpis"
        folder.mkdir()
        kpis_folder.mkdir()
        start = time.perf_counter()
        in_fresh_process(build, folder, customers, args.exposures, orders)
        built = time.perf_counter() - start
        in_fresh_process(build, kpis_folder, args.kpis_customers, args.kpis_customers,
                         args.kpis_orders)  # fmt: skip
        analysed, results, flagged = in_fresh_process(analyze_time, folder)
        floor = in_fresh_process(hand_written, folder)
        kpis = in_fresh_process(kpis_time, kpis_folder)
    print(f"built in {built:.1f} s: {args.exposures:,} exposures of {customers:,} customers, "
          f"{orders:,} order lines, {len(SEGMENTS)} segments")  # fmt: skip
    print(f"{'step (each in a fresh process)':<48} {'s':>7}")
    print(f"{'experiment analyze, 3 metrics x 6 segments':<48} {analysed:>7.2f}   target <= 10 s")
    print(f"{'hand-written Polars arm statistics (the floor)':<48} {floor:>7.2f}")
    print(
        f"{'kpis, ' + format(args.kpis_customers, ',') + ' customers':<48} {kpis:>7.2f}   "
        "target <= 5 s"
    )
    print(f"ratio analyze / floor: x{analysed / floor:.1f}; results: {results}, "
          f"SRM flagged: {flagged}")  # fmt: skip


if __name__ == "__main__":
    main()
