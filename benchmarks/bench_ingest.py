"""Ingestion benchmark: reading transactions into the engine, and the quality report.

Baselines (named in issue 2):
* ``polars scan_parquet + collect``: reading the same Parquet with Polars alone.
  Target: segwise's read (roles, parsing, row checks, clean rows) within 1.2×.
* ``hand-written polars report``: the same counts as segwise's quality report,
  written directly in Polars.

Each case runs in a fresh process (this script with ``--case``), warmed up on
100 rows before the clock starts; the table shows the best wall time of ``--repeat``
runs and the process's peak resident memory (VmHWM: ``ru_maxrss`` survives
``exec`` and would report the parent's peak). Data comes from the seeded
generator in ``segwise.datasets``, cached in benchmarks/data (git-ignored).

    python benchmarks/bench_ingest.py --rows 10000000 [--parts 48]

``--parts N`` also reads the same rows cut into N Parquet files in ``part=K/`` folders
(as Spark writes them), against Polars scanning the folder.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

import segwise as sw

if TYPE_CHECKING:
    from collections.abc import Callable

HERE = Path(__file__).resolve().parent


def polars_read(path: Path) -> int:
    return pl.scan_parquet(path).collect().height


def segwise_read(path: Path) -> int:
    frame: pl.DataFrame = sw.read_transactions(path).to_native()
    return frame.height


def polars_report(path: Path) -> int:
    frame = pl.scan_parquet(path)
    counts = [
        pl.len(),
        pl.col("customer_id").null_count(),
        pl.col("order_date").null_count(),
        pl.col("amount").null_count(),
        pl.col("order_id").str.starts_with("C").sum(),
        (pl.col("amount") < 0).sum(),
        (pl.col("quantity") == 0).sum(),
        pl.col("customer_id").drop_nulls().n_unique(),
        pl.col("order_date").min(),
        pl.col("order_date").max(),
        pl.col("amount").sum(),
    ]
    named = [expr.alias(f"c{i}") for i, expr in enumerate(counts)]
    result = frame.select(named).collect(engine="streaming")
    columns = frame.collect_schema().names()
    distinct = pl.struct(columns).hash(seed=0).n_unique()
    frame.select(distinct).collect(engine="streaming")
    return int(result.item(0, 0))


def segwise_report(path: Path) -> int:
    return sw.read_transactions(path).quality().rows_read


def polars_read_folder(folder: Path) -> int:
    return pl.scan_parquet(folder / "**" / "*.parquet", hive_partitioning=True).collect().height


CASES: dict[str, Callable[[Path], int]] = {
    "polars scan_parquet + collect": polars_read,
    "segwise read_transactions (clean rows)": segwise_read,
    "hand-written polars report": polars_report,
    "segwise quality report": segwise_report,
}
#: The same rows in a folder of Parquet parts (``--parts``), as Spark writes them.
FOLDER_CASES: dict[str, Callable[[Path], int]] = {
    "polars scan of the folder + collect": polars_read_folder,
    "segwise read_transactions (folder)": segwise_read,
}
BASELINES = {
    "segwise read_transactions (clean rows)": "polars scan_parquet + collect",
    "segwise quality report": "hand-written polars report",
    "segwise read_transactions (folder)": "polars scan of the folder + collect",
}


def ensure_data(rows: int, folder: Path) -> Path:
    """Generate (once) an orders Parquet of exactly ``rows`` rows."""
    from segwise.datasets import write_retailer

    target = folder / f"orders_{rows}.parquet"
    if not target.exists():
        customers = int(rows / 7.0) + 1000
        paths = write_retailer(folder / "raw", customers, seed=20261122, tables=("orders",))
        pl.scan_parquet(paths["orders"]).head(rows).sink_parquet(target)
    return target


def ensure_folder(path: Path, parts: int) -> Path:
    """(Once) the rows of ``path`` cut into ``parts`` Parquet files under ``part=K/``."""
    folder = path.with_name(f"{path.stem}_in_{parts}_parts")
    if not folder.exists():
        rows = pl.scan_parquet(path).select(pl.len()).collect().item()
        size = -(-rows // parts)
        for part in range(parts):
            (folder / f"part={part}").mkdir(parents=True)
            piece = pl.scan_parquet(path).slice(part * size, size)
            piece.sink_parquet(folder / f"part={part}" / "data.parquet")
        (folder / "_SUCCESS").write_text("")
    return folder


def run_case(name: str, path: Path) -> tuple[float, float, int]:
    """Run one case in a fresh interpreter; return (seconds, peak MiB, rows)."""
    done = subprocess.run(
        [sys.executable, __file__, "--case", name, "--path", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds, peak_kib, rows = done.stdout.split()
    return float(seconds), int(peak_kib) / 1024, int(rows)


def measure_one(name: str, path: Path) -> None:
    # Warm up on the first 100 rows: lazy imports and first-call set-up are
    # start-up costs, not reading costs (about 55 ms for segwise, less for Polars).
    case = {**CASES, **FOLDER_CASES}[name]
    warm = path.with_suffix(".warmup.parquet")
    if path.is_dir():
        warm = path.with_name(f"{path.name}_warmup") / "part=0" / "data.parquet"
    if not warm.exists():
        warm.parent.mkdir(parents=True, exist_ok=True)
        source = next(path.rglob("*.parquet")) if path.is_dir() else path
        pl.scan_parquet(source).head(100).sink_parquet(warm)
    case(warm.parent.parent if path.is_dir() else warm)
    start = time.perf_counter()
    rows = case(path)
    elapsed = time.perf_counter() - start
    status = Path("/proc/self/status").read_text()
    match = re.search(r"VmHWM:\s+(\d+)", status)
    print(elapsed, match.group(1) if match else 0, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", type=Path, default=HERE / "data")
    parser.add_argument("--parts", type=int, default=0, help="also read it as N Parquet parts")
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--path", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        measure_one(args.case, args.path)
        return
    args.data.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    path = ensure_data(args.rows, args.data)
    size = path.stat().st_size / 2**20
    print(f"data: {path} ({size:,.0f} MiB), ready in {time.perf_counter() - started:.1f}s")
    cases = dict.fromkeys(CASES, path)
    if args.parts:
        cases |= dict.fromkeys(FOLDER_CASES, ensure_folder(path, args.parts))
    results: dict[str, dict[str, float]] = {}
    for name, source in cases.items():
        runs = [run_case(name, source) for _ in range(args.repeat)]
        best = min(runs)
        results[name] = {"seconds": best[0], "peak_mib": max(r[1] for r in runs), "rows": best[2]}
    machine = platform.processor() or platform.machine()
    print(f"\n{args.rows:,} transactions · {machine} · python {platform.python_version()}\n")
    print(f"{'case':<42}{'seconds':>10}{'peak MiB':>11}{'ratio':>9}  baseline")
    for name, result in results.items():
        base = BASELINES.get(name)
        ratio = f"{result['seconds'] / results[base]['seconds']:.2f}×" if base else ""
        cells = f"{result['seconds']:>10.2f}{result['peak_mib']:>11,.0f}{ratio:>9}"
        print(f"{name:<42}{cells}  {base or ''}")
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "ingest.json").write_text(json.dumps({"rows": args.rows, "results": results}, indent=2))


if __name__ == "__main__":
    main()
