"""RFM benchmark: `segwise rfm` on 10M transactions / ~1.4M customers, whole process, Parquet out.

Baselines (named in issue 3), each a whole process started fresh:
* a hand-written Polars script doing the same work (returns netted, distinct
  orders, last purchase, rank scores, the segwise preset's segments, Parquet out).
  Target: within 1.3× its time and 1.5× its peak memory;
* lifetimes' ``summary_data_from_transaction_data`` (only the BTYD summary),
  run with the Python given by ``--lifetimes-python`` (a scratch environment:
  lifetimes is archived and needs pandas < 2.2). Target: segwise at least 12× faster.

Peak memory is the child's ``ru_maxrss`` from ``wait4``; the parent stays small
(data is generated in a child too), so the figure is the child's own.

    python benchmarks/bench_rfm.py --rows 10000000 --lifetimes-python /tmp/lt/bin/python
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def timed(command: list[str]) -> tuple[float, float]:
    """Run a command; return (wall seconds, peak MiB of that child)."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        detail = process.stderr.read().decode() if process.stderr else ""
        raise SystemExit(f"failed: {' '.join(command)}\n{detail}")
    return elapsed, usage.ru_maxrss / 1024


def ensure_data(rows: int, folder: Path) -> Path:
    target = folder / f"orders_{rows}.parquet"
    if not target.exists():
        script = (
            "import sys; sys.path.insert(0, sys.argv[1]);"
            "from bench_ingest import ensure_data; from pathlib import Path;"
            "ensure_data(int(sys.argv[2]), Path(sys.argv[3]))"
        )
        subprocess.run(
            [sys.executable, "-c", script, str(HERE), str(rows), str(folder)], check=True
        )
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", type=Path, default=HERE / "data")
    parser.add_argument(
        "--lifetimes-python", help="Python of an environment with lifetimes installed"
    )
    args = parser.parse_args()
    args.data.mkdir(parents=True, exist_ok=True)
    path = ensure_data(args.rows, args.data)
    segwise = shutil.which("segwise", path=str(Path(sys.executable).parent)) or "segwise"
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch)
        cases = {
            "segwise rfm (CLI, Parquet out)": [
                segwise,
                "rfm",
                str(path),
                "-o",
                str(out / "segwise.parquet"),
            ],
            "hand-written Polars": [
                sys.executable,
                str(HERE / "rfm_hand_written.py"),
                str(path),
                str(out / "hand.parquet"),
            ],
        }
        if args.lifetimes_python:
            cases["lifetimes summary_data_from_transaction_data"] = [
                args.lifetimes_python,
                str(HERE / "rfm_lifetimes.py"),
                str(path),
                str(out / "lifetimes.parquet"),
            ]
        results = {}
        for name, command in cases.items():
            repeat = 1 if name.startswith("lifetimes") else args.repeat
            runs = [timed(command) for _ in range(repeat)]
            results[name] = {
                "seconds": min(r[0] for r in runs),
                "peak_mib": max(r[1] for r in runs),
            }
        import polars as pl

        same = pl.read_parquet(out / "segwise.parquet").equals(
            pl.read_parquet(out / "hand.parquet")
        )
    ours = results["segwise rfm (CLI, Parquet out)"]
    hand = results["hand-written Polars"]
    print(f"\n{args.rows:,} transactions; segwise output equals the hand-written one: {same}\n")
    print(f"{'case':<48}{'seconds':>10}{'peak MiB':>11}")
    for name, result in results.items():
        print(f"{name:<48}{result['seconds']:>10.2f}{result['peak_mib']:>11,.0f}")
    time_ratio = ours["seconds"] / hand["seconds"]
    memory_ratio = ours["peak_mib"] / hand["peak_mib"]
    print(f"\nsegwise / hand-written Polars: time {time_ratio:.2f}× (target ≤ 1.3×), ", end="")
    print(f"peak memory {memory_ratio:.2f}× (target ≤ 1.5×)")
    if "lifetimes summary_data_from_transaction_data" in results:
        lt = results["lifetimes summary_data_from_transaction_data"]
        print(f"lifetimes / segwise: {lt['seconds'] / ours['seconds']:.1f}× faster (target ≥ 12×)")
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "rfm.json").write_text(
        json.dumps({"rows": args.rows, "results": results}, indent=2)
    )


if __name__ == "__main__":
    main()
