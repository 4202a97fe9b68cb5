"""Ingestion benchmark: reading transactions into the engine, and the quality report.

Baselines (named in issue 2):
* ``polars scan_parquet + collect``: reading the same Parquet with Polars alone.
  Target: segwise's read (roles, parsing, checks, clean rows) within 1.2× of it.
* ``hand-written polars report``: the same counts as segwise's quality report,
  written directly in Polars, for the report's cost.

Each case runs in a fresh process, best wall time of ``--repeat`` runs, with
that process's peak resident memory. Data comes from the seeded generator in
``segwise.datasets`` and is cached in benchmarks/data (git-ignored).

    python benchmarks/bench_ingest.py --rows 10000000
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

CASES: dict[str, str] = {
    "polars scan_parquet + collect": "out = pl.scan_parquet(PATH).collect()\nrows = out.height",
    "segwise read_transactions (clean rows)": (
        "out = sw.read_transactions(PATH).to_native()\nrows = out.height"
    ),
    "hand-written polars report": (
        "lf = pl.scan_parquet(PATH)\n"
        "cols = lf.collect_schema().names()\n"
        "exprs = [pl.len(), pl.col('customer_id').null_count(), pl.col('order_date').null_count(),\n"
        "    pl.col('amount').null_count(), pl.col('order_id').str.starts_with('C').sum(),\n"
        "    (pl.col('amount') < 0).sum(), (pl.col('quantity') == 0).sum(),\n"
        "    pl.col('customer_id').drop_nulls().n_unique(), pl.col('order_date').min(),\n"
        "    pl.col('order_date').max(), pl.col('amount').sum()]\n"
        "out = lf.select([e.alias(f'c{i}') for i, e in enumerate(exprs)]).collect(engine='streaming')\n"
        "dups = pl.len() - pl.struct(cols).hash(seed=0).n_unique()\n"
        "out2 = lf.select(dups).collect(engine='streaming')\n"
        "rows = out.item(0, 0)"
    ),
    "segwise quality report": (
        "report = sw.read_transactions(PATH).quality()\nrows = report.rows_read"
    ),
}

# Imports happen before the clock starts: start-up cost is not reading cost.
# Peak memory is VmHWM: ru_maxrss survives exec() and would report the parent's peak.
RUNNER = """
import re, time, sys
import polars as pl
import segwise as sw
PATH = sys.argv[1]
start = time.perf_counter()
{body}
elapsed = time.perf_counter() - start
peak = re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read()).group(1)
print(elapsed, peak, rows)
"""


def ensure_data(rows: int, folder: Path) -> Path:
    """Generate (once) an orders Parquet with at least ``rows`` rows, cut to exactly ``rows``."""
    import polars as pl

    from segwise.datasets import write_retailer

    target = folder / f"orders_{rows}.parquet"
    if target.exists():
        return target
    customers = int(rows / 7.0) + 1000
    paths = write_retailer(folder / "raw", customers, seed=20261122, tables=("orders",))
    pl.scan_parquet(paths["orders"]).head(rows).sink_parquet(target)
    return target


def run_case(body: str, path: Path) -> tuple[float, float, int]:
    """Run one case in a fresh interpreter; return (seconds, peak MiB, rows)."""
    done = subprocess.run(
        [sys.executable, "-c", RUNNER.format(body=body), str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds, peak_kib, rows = done.stdout.split()
    return float(seconds), int(peak_kib) / 1024, int(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", type=Path, default=HERE / "data")
    args = parser.parse_args()
    args.data.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    path = ensure_data(args.rows, args.data)
    print(
        f"data: {path} ({path.stat().st_size / 2**20:,.0f} MiB), made in {time.perf_counter() - started:.1f}s"
    )
    results: dict[str, dict[str, float]] = {}
    for name, body in CASES.items():
        runs = [run_case(body, path) for _ in range(args.repeat)]
        best = min(runs)
        results[name] = {"seconds": best[0], "peak_mib": max(r[1] for r in runs), "rows": best[2]}
    pairs = {
        "segwise read_transactions (clean rows)": "polars scan_parquet + collect",
        "segwise quality report": "hand-written polars report",
    }
    print(
        f"\n{args.rows:,} transactions · {platform.processor() or platform.machine()} · "
        f"python {platform.python_version()}\n"
    )
    print(f"{'case':<42}{'seconds':>10}{'peak MiB':>11}{'ratio':>9}  baseline")
    for name, result in results.items():
        base = pairs.get(name)
        ratio = f"{result['seconds'] / results[base]['seconds']:.2f}×" if base else ""
        print(
            f"{name:<42}{result['seconds']:>10.2f}{result['peak_mib']:>11,.0f}{ratio:>9}  {base or ''}"
        )
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "ingest.json").write_text(json.dumps({"rows": args.rows, "results": results}, indent=2))


if __name__ == "__main__":
    main()
