"""Scale: the whole main job (rfm, rules, cluster, clv) on generated data, stage by stage.

A seeded generator writes ``--rows`` transactions, a tenth as many customers
and half as many events as Parquet, chunk by chunk (never the whole table in
memory), once per size under ``benchmarks/data/scale_<rows>/``. A project with
every method runs on them in a fresh child process, as ``segwise run`` does
(``Project.run``, the store and the report included); the child reports each
stage's wall time, CPU time and peak resident memory (the high-water mark,
reset at every stage through ``/proc/self/clear_refs``). Targets (issue 21):
100M rows complete on this machine (2 cores, 24 GB) with peak RSS ≤ 12 GB.

    python benchmarks/bench_scale.py --rows 10M
    python benchmarks/bench_scale.py --rows 100M
    python benchmarks/bench_scale.py --curve 1M,10M,30M,100M
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
#: Rows a generated chunk holds: about 250 MB of columns at a time.
CHUNK = 5_000_000
#: The generated history spans 2021-01-01 .. 2024-12-30; the project runs as of its end.
START = np.datetime64("2021-01-01")
DAYS = 1460
AS_OF = "2024-12-31"
CATEGORIES = np.array(["apparel", "beauty", "books", "electronics", "grocery", "home"])
CHANNELS = np.array(["app", "store", "web"])
EVENTS = np.array(["app_session", "email_open", "visit"])
REGIONS = np.array(["north", "south", "east", "west", "central"])
DEVICES = np.array(["android", "ios", "web"])

PROJECT = """\
name: scale
store: segwise.duckdb
engine: {engine}
as_of: {as_of}
report: report.html
sources:
  transactions:
    {orders}
    customer_id: customer_id
    timestamp: order_date
    amount: amount
    order_id: order_id
    category: category
    channel: channel
  customers:
    {customers}
    customer_id: customer_id
  events:
    {events}
    customer_id: customer_id
    timestamp: ts
    event: event
segmentations:
  value:
    method: rfm
    bins: 5
    preset: segwise
  lifecycle:
    method: rules
    exclusive: true
    segments:
      - {{name: VIP, where: "net_revenue > 3000 AND orders >= 25", priority: 1}}
      - {{name: App engaged, where: "performed('app_session', at_least => 3, within => '30d')",
         priority: 2}}
      - {{name: Young mobile, where: "age < 30 AND device IN ('ios', 'android')", priority: 3}}
      - {{name: Lapsed, where: "recency_days > 365", priority: 4}}
  behaviour:
    method: cluster
    features: [recency_days, orders, net_revenue, avg_order_value, visit_30d, email_open_30d]
    k: auto
    seed: 0
  future:
    method: clv
    calibration_end: auto
    holdout_weeks: 26
    tiers: [0.2, 0.6]
"""


def parse_rows(text: str) -> int:
    """``10M``, ``1.5M``, ``300k`` or a plain number."""
    scale = {"k": 1_000, "m": 1_000_000, "b": 1_000_000_000}.get(text[-1].lower())
    return int(float(text[:-1]) * scale) if scale else int(text)


def label(rows: int) -> str:
    return f"{rows / 1e6:g}M" if rows >= 1_000_000 else f"{rows:,}"


# -- the generator -----------------------------------------------------------------------


def _customers_of(rng: np.random.Generator, size: int, customers: int) -> np.ndarray:
    """Skewed customer ids: low ids buy far more often (a few whales, a long tail)."""
    return (customers * rng.random(size) ** 1.6).astype(np.int64)


def _days_of(rng: np.random.Generator, customer: np.ndarray) -> np.ndarray:
    """Each customer buys between a first and a last active day of their own, then stops."""
    first = (customer * 7919) % 1300
    last = np.minimum(first + 30 + (customer * 104729) % 1400, DAYS - 1)
    return first + (rng.random(customer.size) * (last - first + 1)).astype(np.int64)


def _write(path: Path, chunks: Any) -> None:
    import pyarrow.parquet as pq

    pending = path.with_suffix(".partial")
    writer = None
    for table in chunks:
        if writer is None:
            writer = pq.ParquetWriter(pending, table.schema, compression="zstd")
        writer.write_table(table, row_group_size=1_000_000)
    assert writer is not None
    writer.close()
    pending.rename(path)


def _order_chunks(rows: int, customers: int, seed: int) -> Any:
    import pyarrow as pa

    for index, offset in enumerate(range(0, rows, CHUNK)):
        size = min(CHUNK, rows - offset)
        rng = np.random.default_rng([seed, 1, index])
        customer = _customers_of(rng, size, customers)
        amount = np.round(rng.lognormal(3.6, 0.7, size), 2)
        amount[rng.random(size) < 0.02] *= -1  # returns
        yield pa.table(
            {
                "order_id": np.arange(offset, offset + size, dtype=np.int64),
                "customer_id": customer,
                "order_date": START + _days_of(rng, customer).astype("timedelta64[D]"),
                "amount": amount,
                "category": pa.array(CATEGORIES[rng.integers(0, CATEGORIES.size, size)]),
                "channel": pa.array(CHANNELS[rng.integers(0, CHANNELS.size, size)]),
            }
        )


def _event_chunks(rows: int, customers: int, seed: int) -> Any:
    import pyarrow as pa

    last_day = (START + np.timedelta64(DAYS, "D")).astype("datetime64[s]")
    for index, offset in enumerate(range(0, rows, CHUNK)):
        size = min(CHUNK, rows - offset)
        rng = np.random.default_rng([seed, 2, index])
        seconds = rng.integers(0, 180 * 86_400, size).astype("timedelta64[s]")
        yield pa.table(
            {
                "customer_id": _customers_of(rng, size, customers),
                "ts": last_day - seconds,
                "event": pa.array(EVENTS[rng.integers(0, EVENTS.size, size)]),
            }
        )


def _customer_chunks(customers: int, seed: int) -> Any:
    import pyarrow as pa

    for index, offset in enumerate(range(0, customers, CHUNK)):
        size = min(CHUNK, customers - offset)
        rng = np.random.default_rng([seed, 3, index])
        yield pa.table(
            {
                "customer_id": np.arange(offset, offset + size, dtype=np.int64),
                "region": pa.array(REGIONS[rng.integers(0, REGIONS.size, size)]),
                "device": pa.array(DEVICES[rng.integers(0, DEVICES.size, size)]),
                "age": rng.integers(18, 80, size).astype(np.int16),
            }
        )


def ensure_data(rows: int, folder: Path, seed: int = 21) -> Path:
    """Write (once) the orders, customers and events of one size; return their folder."""
    target = folder / f"scale_{rows}"
    target.mkdir(parents=True, exist_ok=True)
    customers = max(rows // 10, 1)
    files = {
        "orders.parquet": lambda: _order_chunks(rows, customers, seed),
        "customers.parquet": lambda: _customer_chunks(customers, seed),
        "events.parquet": lambda: _event_chunks(rows // 2, customers, seed),
    }
    for name, chunks in files.items():
        if not (target / name).exists():
            start = time.perf_counter()
            _write(target / name, chunks())
            print(f"wrote {target / name} in {time.perf_counter() - start:.1f} s", flush=True)
    return target


# -- the measured child ------------------------------------------------------------------


def _peak_mib(reset: bool) -> float:
    """This process's resident high-water mark (MiB) since the last reset."""
    with Path("/proc/self/status").open() as status:
        peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
    if reset:  # resets VmHWM, and with it the ru_maxrss the parent reads at the end
        Path("/proc/self/clear_refs").write_text("5")
    return peak / 1024


def child(config: Path) -> None:
    """Run the project, printing one JSON line per finished stage."""
    started = time.perf_counter()
    _peak_mib(reset=True)
    import segwise as sw  # the imports are the first stage, as in a CLI call

    stage = {"name": "Start-up", "wall": started, "cpu": time.process_time()}

    def finish(next_name: str | None) -> None:
        # The store reports each segmentation it writes: one stage for the parent's table.
        if next_name is not None and next_name.startswith("storing "):
            if stage["name"] == "Writing to the store":
                return
            next_name = "Writing to the store"
        now, cpu = time.perf_counter(), time.process_time()
        record = {
            "stage": stage["name"],
            "seconds": now - stage["wall"],
            "cpu": cpu - stage["cpu"],
            "peak_mib": _peak_mib(reset=True),
        }
        print(json.dumps(record), flush=True)
        stage.update(name=next_name, wall=now, cpu=cpu)

    project = sw.Project.from_yaml(config, allow_outside=True)
    project.run(progress=finish)
    finish(None)


#: Spark here: a local driver on this machine's cores, the sources read by Spark where they
#: lie (``warehouse:``), as a cluster reads object storage.
SPARK = (
    "{spark: {master: 'local[2]', config: {spark.driver.memory: '10g', "
    "spark.sql.shuffle.partitions: '16', spark.ui.enabled: 'false'}}}"
)


def project_text(engine: str, data: Path) -> str:
    """The benchmark's project file for ``engine``, reading the data in ``data``."""
    if engine == "spark":
        where = {n: f"warehouse: {{path: '{data}/{n}.parquet'}}" for n in SOURCES}
        return PROJECT.format(engine=SPARK, as_of=AS_OF, **where)
    where = {n: f"path: {data}/{n}.parquet" for n in SOURCES}
    return PROJECT.format(engine=engine, as_of=AS_OF, **where)


SOURCES = ("orders", "customers", "events")


def measure(
    rows: int, engine: str, data: Path, keep: Path | None = None
) -> tuple[list[dict[str, Any]], float, float]:
    """Run the project on one size in a child; its stages, wall seconds and peak MiB.

    The peak is the largest stage's: the child resets its high-water mark at every stage
    (this process's memory: Spark's JVM is a process of its own). ``keep`` is a folder
    for the project and its store, left for comparing engines; a temporary one otherwise.
    """
    with tempfile.TemporaryDirectory() as scratch:
        folder = keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        config = folder / "segwise.yaml"
        config.write_text(project_text(engine, data))
        (folder / "segwise.duckdb").unlink(missing_ok=True)
        start = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, __file__, "--child", str(config)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        stages = []
        assert process.stdout is not None
        for line in process.stdout:
            record = json.loads(line)
            if "stage" in record:
                stages.append(record)
                print(
                    f"  {label(rows):>6} {record['stage']:<44} {record['seconds']:7.1f} s "
                    f"{record['peak_mib']:8.0f} MiB",
                    flush=True,
                )
        _, status, _usage = os.wait4(process.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            detail = process.stderr.read() if process.stderr else ""
            raise SystemExit(f"the run at {label(rows)} failed:\n{detail}")
        peak = max(s["peak_mib"] for s in stages)
        return stages, time.perf_counter() - start, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="10M", help="Transactions: 10M, 100M, 2500000 …")
    parser.add_argument("--curve", help="Several sizes, comma-separated (1M,10M,30M,100M).")
    parser.add_argument(
        "--engine",
        default="polars",
        help="polars, duckdb or spark; several, comma-separated (polars,spark), also compare "
        "their memberships",
    )
    parser.add_argument("--data", type=Path, default=HERE / "data")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    sizes = [parse_rows(s) for s in (args.curve or args.rows).split(",")]
    engines = args.engine.split(",")
    if len(engines) > 1:
        compare_engines(sizes[0], engines, ensure_data(sizes[0], args.data))
        return
    results = {}
    for rows in sizes:
        data = ensure_data(rows, args.data)
        results[rows] = measure(rows, args.engine, data)
    print_table(args.engine, sizes, results)


def compare_engines(rows: int, engines: list[str], data: Path) -> None:
    """Run the project on each engine, print each stage table, and compare the memberships."""
    stores = {}
    with tempfile.TemporaryDirectory() as scratch:
        for engine in engines:
            folder = Path(scratch) / engine
            print_table(engine, [rows], {rows: measure(rows, engine, data, keep=folder)})
            stores[engine] = folder / "segwise.duckdb"
        from segwise.store import Workspace  # only the comparison reads the stores

        def members(store: Path) -> Any:
            stored = Workspace(store).memberships()
            return stored.select("segmentation", "customer_id", "segment").sort(
                "segmentation", "customer_id", "segment"
            )

        first, *others = engines
        reference = members(stores[first])
        for engine in others:
            theirs = members(stores[engine])
            print(f"\nmemberships, {engine} vs {first} ({label(rows)} rows):")
            for name in reference["segmentation"].unique().sort():
                mine = reference.filter(segmentation=name)
                other = theirs.filter(segmentation=name)
                same = mine.equals(other)
                differ = mine.join(other, on=["customer_id", "segment"], how="anti").height
                print(
                    f"  {name:<14} {mine.height:>12,} customers  "
                    + ("identical" if same else f"{differ:,} differ")
                )


def print_table(engine: str, sizes: list[int], results: dict[int, Any]) -> None:
    """The per-stage table (seconds and peak MiB) of one engine over the sizes run."""
    print(f"\nsegwise run ({engine}), every method; seconds / peak MiB per stage")
    names = list(dict.fromkeys(s["stage"] for stages, _, _ in results.values() for s in stages))
    print(f"{'stage':<44}" + "".join(f"{label(r):>18}" for r in sizes))
    for name in names:
        cells = []
        for rows in sizes:
            found = [s for s in results[rows][0] if s["stage"] == name]
            cell = f"{found[0]['seconds']:.1f} s {found[0]['peak_mib']:.0f}M" if found else "-"
            cells.append(f"{cell:>18}")
        print(f"{name:<44}" + "".join(cells))
    print(
        f"{'whole process':<44}"
        + "".join(f"{f'{w:.1f} s {m:.0f}M':>18}" for _, w, m in results.values())
    )
    limit = 12 * 1024
    for rows, (_, _, peak) in results.items():
        verdict = "met" if peak <= limit else "NOT met"
        print(f"{label(rows)}: peak RSS {peak:,.0f} MiB (target ≤ {limit:,} MiB: {verdict})")


if __name__ == "__main__":
    main()
