"""CSV type inference: segwise's ``infer_csv_types`` against Polars' own date inference.

Baseline: ``pl.scan_csv(path, infer_schema_length=10_000, try_parse_dates=True)
.collect_schema()``, which segwise called for every CSV source until 2026-12-06. Both must
give the same types (checked here on every file, as the property test does on generated
ones). Files: the sample retailer's exports (bundled) and the CSV files of
``../shared/data`` when they are there.

    python benchmarks/bench_csv_types.py --repeat 5
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from segwise.datasets import sample_paths
from segwise.io.csv_types import INFERENCE_ROWS, infer_csv_types

if TYPE_CHECKING:
    from collections.abc import Callable

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def polars_types(path: Path) -> dict[str, pl.DataType]:
    schema = pl.scan_csv(
        path, infer_schema_length=INFERENCE_ROWS, try_parse_dates=True
    ).collect_schema()
    return dict(schema.items())


def best_of(repeat: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    files = [p for p in sample_paths().values() if ".csv" in p.name]
    files += sorted(SHARED.glob("*.csv*")) if SHARED.is_dir() else []
    print("| file | Polars, dates inferred (s) | segwise (s) | ratio | same types |")
    print("|---|---:|---:|---:|---|")
    for path in files:
        same = polars_types(path) == infer_csv_types(path)
        theirs = best_of(args.repeat, lambda p=path: polars_types(p))
        ours = best_of(args.repeat, lambda p=path: infer_csv_types(p))
        print(f"| {path.name} | {theirs:.3f} | {ours:.3f} | {ours / theirs:.2f}× | {same} |")


if __name__ == "__main__":
    main()
