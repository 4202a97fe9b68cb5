"""Membership history: queries and store size against the naive full-snapshot design.

A seeded generator writes the same runs twice: through segwise's store
(validity intervals) and as full snapshots, one row per customer, segmentation
and run (segwise 0.1's design, the queries it would run). Targets (issue 14,
at 1M customers × 4 segmentations × 100 runs, 2% moving per run):
``members --on`` ≤ 100 ms, ``changes`` between any two runs ≤ 1 s,
``history ID`` ≤ 50 ms; store size on disk. Each figure is the median of
repeated runs, warm (the store's file in the page cache).

    python benchmarks/bench_history.py --customers 1000000 --runs 100
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import polars as pl

SEGMENTS = [
    "Champions",
    "Loyal",
    "Potential",
    "New",
    "At Risk",
    "Can't Lose",
    "Hibernating",
    "Lost",
]


def timed(action: Any, repeat: int = 7) -> float:
    """Median wall time of ``action()`` in milliseconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def generate(customers: int, segmentations: int, runs: int, churn: float, seed: int) -> Any:
    """Yield each run's memberships: ``segmentation -> DataFrame(customer_id, segment)``."""
    rng = np.random.default_rng(seed)
    ids = pl.Series("customer_id", [f"C{i:08d}" for i in range(customers)])
    states = [rng.integers(0, len(SEGMENTS), customers) for _ in range(segmentations)]
    for run in range(runs):
        if run:
            for state in states:
                moving = rng.random(customers) < churn
                state[moving] = rng.integers(0, len(SEGMENTS), int(moving.sum()))
        yield {
            f"seg{k}": pl.DataFrame({"customer_id": ids, "segment": np.array(SEGMENTS)[state]})
            for k, state in enumerate(states)
        }


def _cards(members: pl.DataFrame) -> list[dict[str, Any]]:
    """Each segment's size and share, as a run stores them with its profile cards."""
    sizes = members.group_by("segment").len().sort("segment")
    return [
        {"name": name, "size": size, "share": size / members.height}
        for name, size in sizes.iter_rows()
    ]


def _record(
    run: int, data: dict[str, pl.DataFrame], customers: int, features: pl.DataFrame | None = None
) -> Any:
    """Run ``run``'s record, a week after the one before (with a customer table if given)."""
    from segwise.store import RunRecord, SegmentationRecord

    return RunRecord(
        "bench",
        dt.date(2020, 1, 1) + dt.timedelta(days=7 * run),
        "h",
        "c",
        "0",
        "polars",
        customers,
        dt.datetime(2020, 1, 1),
        [SegmentationRecord(n, "rules", {}, _cards(m), m) for n, m in data.items()],
        features=features,
        fingerprints=None if features is None else {"orders": run},
        cached_features=features,
    )


def build(folder: Path, args: argparse.Namespace) -> tuple[Any, Path, float, float]:
    from segwise.store import Workspace

    store = Workspace(folder / "history.duckdb")
    naive = folder / "snapshots.duckdb"
    written = {"history": 0.0, "naive": 0.0}
    with duckdb.connect(str(naive)) as connection:
        connection.execute(
            "CREATE TABLE memberships (run_id INTEGER, segmentation VARCHAR, customer_id VARCHAR, "
            "segment VARCHAR)"
        )
        for run, data in enumerate(
            generate(args.customers, args.segmentations, args.runs, args.churn, 7), start=1
        ):
            record = _record(run, data, args.customers)
            start = time.perf_counter()
            store.write_run(record)
            written["history"] += time.perf_counter() - start
            start = time.perf_counter()
            rows = pl.concat(
                [
                    m.select(
                        pl.lit(run, dtype=pl.Int32).alias("run_id"),
                        pl.lit(n).alias("segmentation"),
                        "customer_id",
                        "segment",
                    )
                    for n, m in data.items()
                ]
            ).to_arrow()
            connection.register("rows", rows)
            connection.execute("INSERT INTO memberships SELECT * FROM rows")
            connection.unregister("rows")
            written["naive"] += time.perf_counter() - start
    return store, naive, written["history"], written["naive"]


def writes(args: argparse.Namespace) -> None:
    """Each run's write into a fresh store, with the movers' features and the feature cache."""
    from segwise.store import Workspace

    with tempfile.TemporaryDirectory() as scratch:
        store = Workspace(Path(scratch) / "history.duckdb")
        runs = generate(args.customers, args.segmentations, args.runs, args.churn, 7)
        for run, data in enumerate(runs, start=1):
            ids = data["seg0"]["customer_id"]
            spread = np.arange(ids.len())
            features = pl.DataFrame(
                {"customer_id": ids, "recency": spread % 365, "orders": spread % 17}
            ).with_columns(net_revenue=pl.col("orders") * 12.5 + run)
            record = _record(run, data, args.customers, features)
            start = time.perf_counter()
            store.write_run(record)
            print(
                f"run {run}: {time.perf_counter() - start:.1f} s "
                f"({args.customers:,} customers × {args.segmentations} segmentations)",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--segmentations", type=int, default=4)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--churn", type=float, default=0.02)
    parser.add_argument(
        "--writes-only",
        action="store_true",
        help="Time only segwise's writes, run by run (issue 21: ≤ 30 s a run at 10M customers "
        "× 4 segmentations), each run with a customer table of four columns.",
    )
    parser.add_argument(
        "--keep",
        type=Path,
        help="Build the two stores in this folder and keep them; reuse them when present "
        "(writing times are then not measured).",
    )
    args = parser.parse_args()
    if args.writes_only:
        writes(args)
        return
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        if args.keep and (folder / "snapshots.duckdb").exists():
            from segwise.store import Workspace

            store, naive = Workspace(folder / "history.duckdb"), folder / "snapshots.duckdb"
            history_write = naive_write = float("nan")
        else:
            folder.mkdir(parents=True, exist_ok=True)
            store, naive, history_write, naive_write = build(folder, args)
        middle = args.runs // 2
        day = dt.date(2020, 1, 1) + dt.timedelta(days=7 * middle + 3)
        customer = f"C{args.customers // 3:08d}"
        segwise = {
            "members --on DATE": timed(
                lambda: store.members("At Risk", on=day, segmentation="seg0")
            ),
            "changes (first → last run)": timed(
                lambda: store.changes(1, args.runs, segmentation="seg0"), repeat=3
            ),
            "changes (last two runs)": timed(store.changes, repeat=3),
            "history ID": timed(lambda: store.history(customer)),
        }
        with duckdb.connect(str(naive), read_only=True) as db:

            def members() -> Any:
                return db.sql(
                    "SELECT customer_id FROM memberships WHERE run_id = $run "
                    "AND segmentation = 'seg0' AND segment = 'At Risk' ORDER BY customer_id",
                    params={"run": middle},
                ).to_arrow_table()

            def changes(first: int, last: int, only: str | None) -> Any:
                where = f"AND segmentation = '{only}'" if only else ""
                one = "SELECT segmentation, segment, customer_id FROM memberships WHERE run_id ="
                return db.sql(
                    f"({one} $last {where} EXCEPT {one} $first {where}) UNION ALL "
                    f"({one} $first {where} EXCEPT {one} $last {where})",
                    params={"first": first, "last": last},
                ).to_arrow_table()

            baseline = {
                "members --on DATE": timed(members),
                "changes (first → last run)": timed(
                    lambda: changes(1, args.runs, "seg0"), repeat=3
                ),
                "changes (last two runs)": timed(
                    lambda: changes(args.runs - 1, args.runs, None), repeat=3
                ),
                "history ID": timed(
                    lambda: db.sql(
                        "SELECT run_id, segmentation, segment FROM memberships "
                        "WHERE customer_id = $id ORDER BY run_id",
                        params={"id": customer},
                    ).to_arrow_table()
                ),
            }
        sizes = (store.path.stat().st_size, naive.stat().st_size)
    print(
        f"{args.customers:,} customers × {args.segmentations} segmentations × {args.runs} runs, "
        f"{args.churn:.0%} moving per run"
    )
    print(f"{'query':<30} {'segwise ms':>12} {'snapshots ms':>14} {'ratio':>7}")
    for name, ms in segwise.items():
        print(f"{name:<30} {ms:>12.1f} {baseline[name]:>14.1f} {ms / baseline[name]:>7.2f}")
    print(f"{'store size (MB)':<30} {sizes[0] / 1e6:>12.1f} {sizes[1] / 1e6:>14.1f} "
          f"{sizes[0] / sizes[1]:>7.2f}")  # fmt: skip
    print(f"{'writing every run (s)':<30} {history_write:>12.1f} {naive_write:>14.1f} "
          f"{history_write / naive_write:>7.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
