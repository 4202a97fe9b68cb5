"""Impact preview: one edited rule on a project of many customers, warm.

Writes a seeded orders file (``--customers`` customers, about three orders
each), a project with a rules segmentation of six segments, runs it once
(stored, with its customer table cached), then edits one threshold and times
``Project.preview`` (median of three, the store and the sources unchanged, so
the cached customer table is used). The baseline is what the preview saves:
the same run done again in full. Target (issue 14, at 1M customers): ≤ 2 s.

    python benchmarks/bench_preview.py --customers 1000000
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

RULES = """name: bench
store: segwise.duckdb
report: report.html
as_of: 2024-12-31
sources:
  transactions: {{path: orders.parquet, customer_id: customer, timestamp: day, amount: amount}}
segmentations:
  lifecycle:
    method: rules
    exclusive: true
    segments:
      - {{name: VIP, where: "net_revenue > {vip} AND orders >= 4"}}
      - {{name: Lapsed, where: "recency_days > 300"}}
      - {{name: New, where: "tenure_days < 60"}}
      - {{name: Loyal, where: "orders >= 3"}}
      - {{name: Big basket, where: "net_revenue / orders > 150"}}
      - {{name: Occasional, where: "orders <= 2"}}
"""


def orders(customers: int, seed: int) -> pl.DataFrame:
    """About three orders per customer over two years, lognormal amounts."""
    rng = np.random.default_rng(seed)
    per = rng.poisson(2.0, customers) + 1
    ids = np.repeat(np.arange(customers), per)
    start = np.datetime64("2023-01-01")
    days = rng.integers(0, 730, ids.size).astype("timedelta64[D]")
    return pl.DataFrame(
        {
            "customer": [f"C{i:08d}" for i in ids],
            "day": start + days,
            "amount": np.round(rng.lognormal(4.0, 0.8, ids.size), 2),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    args = parser.parse_args()
    from segwise.project import Project

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        table = orders(args.customers, 7)
        table.write_parquet(folder / "orders.parquet")
        config = folder / "segwise.yaml"
        config.write_text(RULES.format(vip=1000))
        start = time.perf_counter()
        Project.from_yaml(config).run()
        full_run = time.perf_counter() - start
        config.write_text(RULES.format(vip=800))  # the edit: a lower VIP threshold
        times, found = [], None
        for _ in range(3):
            start = time.perf_counter()
            found = Project.from_yaml(config).preview()
            times.append(time.perf_counter() - start)
    assert found is not None
    vip = found.segments.filter(pl.col("segment") == "VIP").row(0, named=True)
    print(f"{args.customers:,} customers, {table.height:,} orders; one threshold edited")
    print(f"{'step':<36} {'seconds':>9}")
    print(f"{'preview (cached customer table)':<36} {statistics.median(times):>9.2f}")
    print(f"{'baseline: the full run again':<36} {full_run:>9.2f}")
    print(f"ratio {statistics.median(times) / full_run:.2f}; from cache: {found.from_cache}; "
          f"VIP +{vip['entering']:,} / -{vip['leaving']:,}")  # fmt: skip


if __name__ == "__main__":
    main()
