"""Prediction intervals: 500 parameter draws on 1M customers in at most 2 GB (issue 20).

Customers are drawn from BG/NBD (CDNOW's parameters) and Gamma-Gamma, joined
over two years on a daily grid and summarised in weeks, so their histories are
about as varied as a real daily export's. The intervals run in a fresh
interpreter that reads the summary from Parquet; its peak resident memory
(``ru_maxrss``) includes the interpreter, the imports, the summary, the fits
and the intervals.

    python benchmarks/bench_intervals.py --customers 1000000 --draws 500
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

TARGET_MIB = 2048


def simulate(customers: int, seed: int = 20261201) -> pl.DataFrame:
    """``frequency, recency, T, monetary_value`` of BG/NBD + Gamma-Gamma customers."""
    rng = np.random.default_rng(seed)
    age = rng.integers(1, 730, customers) / 7  # joined on a day of the last two years
    rate = rng.gamma(0.243, 1 / 4.414, customers)
    drop = rng.beta(0.793, 2.426, customers)
    frequency = np.zeros(customers)
    recency = np.zeros(customers)
    clock = np.zeros(customers)
    active = np.ones(customers, dtype=bool)
    for _ in range(60):  # purchases one at a time, for every customer at once
        clock = clock + rng.exponential(1 / np.maximum(rate, 1e-9))
        bought = active & (clock <= age)
        frequency += bought
        recency = np.where(bought, np.floor(clock * 7) / 7, recency)
        active = bought & (rng.random(customers) >= drop)
    nu = rng.gamma(6.0, 1 / 15.0, customers)
    spend = rng.gamma(4.0 * np.maximum(frequency, 1), 1 / (np.maximum(frequency, 1) * nu))
    return pl.DataFrame(
        {
            "frequency": frequency,
            "recency": recency,
            "T": np.floor(age * 7) / 7,
            "monetary_value": np.where(frequency > 0, spend, 0.0),
        }
    )


def measure(path: Path, draws: int) -> None:
    """In the child: fit, draw, print seconds per stage and the peak RSS in MiB."""
    from segwise.models import BetaGeoModel, GammaGammaModel, prediction_intervals

    summary = pl.read_parquet(path)
    start = time.perf_counter()
    purchases = BetaGeoModel().fit(summary)
    spend = GammaGammaModel().fit(summary)
    fitted = time.perf_counter()
    distinct = summary.unique().height
    bounds = prediction_intervals(
        purchases, summary, horizon=52, spend_model=spend, periods=12, draws=draws
    )
    done = time.perf_counter()
    assert bounds.height == summary.height
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{fitted - start:.2f} {done - fitted:.2f} {distinct} {peak:.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--draws", type=int, default=500)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        measure(args.child, args.draws)
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "summary.parquet"
        simulate(args.customers).write_parquet(path)
        done = subprocess.run(
            [sys.executable, __file__, "--child", str(path), "--draws", str(args.draws)],
            capture_output=True,
            text=True,
            check=True,
        )
    fit, intervals, distinct, peak = done.stdout.split()
    shape = f"{args.customers:,} customers, {int(distinct):,} distinct histories"
    print(f"\n{shape}, {args.draws} draws\n")
    print(f"{'BG/NBD + Gamma-Gamma fit':<52}{float(fit):>8.2f} s")
    print(f"{'intervals: P(alive), 52-week purchases, CLV':<52}{float(intervals):>8.2f} s")
    print(f"{'peak resident memory (whole process)':<52}{float(peak):>8.0f} MiB")
    print(f"\npeak / target: {float(peak) / TARGET_MIB:.2f} (target ≤ 1.00, {TARGET_MIB} MiB)")


if __name__ == "__main__":
    main()
