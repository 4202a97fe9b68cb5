"""Start-up: how long ``segwise`` takes before it does any work (issue 21, item 1).

Whole-process wall time (median of ``--repeat`` runs) of ``segwise --version``,
``segwise --help`` and ``segwise COMMAND --help`` for every command: the import,
the parsing and the help text, no work. Then ``python -X importtime`` of the CLI
skeleton: the slowest imports, and whether any heavy library (SciPy,
scikit-learn, Plotly, Polars, DuckDB, NumPy, pandas) is among them. Targets:
``--help`` and ``--version`` ≤ 0.3 s; a command's fixed cost ≤ 0.4 s.

    python benchmarks/bench_startup.py --repeat 5
"""

from __future__ import annotations

import argparse
import compileall
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEAVY = ("scipy", "sklearn", "plotly", "polars", "duckdb", "numpy", "pandas", "pyarrow")
SEGWISE = str(Path(sys.executable).with_name("segwise"))
HERE = Path(__file__).resolve().parent


def compile_segwise() -> None:
    """Write segwise's bytecode, as installing the package does.

    A source checkout run with ``PYTHONDONTWRITEBYTECODE`` (this machine) recompiles
    every changed module at every start: 30-50 ms of segwise's own code no user pays.
    """
    import segwise

    compileall.compile_dir(Path(segwise.__file__).parent, quiet=1)


def median_seconds(command: list[str], repeat: int) -> float:
    """Median whole-process seconds of ``command``."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def wall(args: list[str], repeat: int) -> float:
    """Median whole-process seconds of ``segwise args``."""
    return median_seconds([SEGWISE, *args], repeat)


def commands() -> list[str]:
    """Every command's name, as ``segwise --help`` lists them."""
    text = subprocess.run([SEGWISE, "--help"], check=True, capture_output=True, text=True).stdout
    listed = text.split("Commands:", 1)[1].splitlines()
    return [line.split()[0] for line in listed if line.startswith("  ") and line.split()]


def import_profile(top: int = 8) -> tuple[list[tuple[int, str]], list[str]]:
    """The slowest cumulative imports of the CLI skeleton (µs, module) and the heavy ones."""
    found = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import segwise.cli.app"],
        check=True,
        capture_output=True,
        text=True,
    ).stderr
    rows = []
    for line in found.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = (part.strip() for part in line.split(":", 1)[1].split("|"))
        rows.append((int(cumulative), name))
    heavy = sorted({name.split(".")[0] for _, name in rows} & set(HEAVY))
    return sorted(rows, reverse=True)[:top], heavy


def fixed_cost(repeat: int) -> tuple[float, float]:
    """``segwise rfm`` and the hand-written Polars query on a 1,000-row file (s, s).

    On so small a file the work is nil on both sides: what segwise takes beyond the
    hand query (which imports Polars too) is its fixed cost.
    """
    with tempfile.TemporaryDirectory() as scratch:
        source, out = Path(scratch) / "tiny.parquet", Path(scratch) / "out.parquet"
        write = (
            "import sys, datetime as dt, polars as pl\n"
            "n = 1000\n"
            "pl.DataFrame({'customer_id': [str(i % 100) for i in range(n)],"
            " 'order_date': [dt.datetime(2024, 1, 1) + dt.timedelta(hours=7 * i)"
            " for i in range(n)],"
            " 'amount': [1.0 + i % 7 for i in range(n)]}).write_parquet(sys.argv[1])"
        )
        subprocess.run([sys.executable, "-c", write, str(source)], check=True)
        ours = median_seconds([SEGWISE, "rfm", str(source), "-o", str(out)], repeat)
        hand = [sys.executable, str(HERE / "rfm_hand_written_plain.py"), str(source), str(out)]
        return ours, median_seconds(hand, repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    compile_segwise()
    print(f"{'segwise …':<32} {'s (median)':>10}   target")
    for flags, target in ((["--version"], 0.3), (["--help"], 0.3)):
        seconds = wall(flags, args.repeat)
        print(f"{' '.join(flags):<32} {seconds:>10.2f}   ≤ {target} s")
    costs = {name: wall([name, "--help"], args.repeat) for name in commands()}
    for name, seconds in sorted(costs.items(), key=lambda item: -item[1]):
        print(f"{name + ' --help':<32} {seconds:>10.2f}   ≤ 0.4 s")
    ours, hand = fixed_cost(args.repeat)
    print(
        f"\nsegwise rfm, 1,000 rows: {ours:.2f} s; the hand-written query: {hand:.2f} s;"
        f" fixed cost above it: {ours - hand:.2f} s (target ≤ 0.4 s)"
    )
    slow, heavy = import_profile()
    print("\nslowest imports of segwise.cli.app (cumulative ms):")
    for micro, name in slow:
        print(f"  {micro / 1000:>7.1f}  {name}")
    print(f"heavy libraries imported by the skeleton: {', '.join(heavy) or 'none'}")
    over = {name: round(s, 2) for name, s in costs.items() if s > 0.4}
    print(f"commands over 0.4 s: {over or 'none'}")


if __name__ == "__main__":
    main()
