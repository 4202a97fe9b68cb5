"""Diff and file sync of a large audience with a little churn, against writing it all.

A destination holds ``--members`` customers (the store's sync state); the new
run keeps 98% of them and brings 2% new ones (issue 17: "1M-member audience
with 2% churn"). Timed: the plan (consent, fingerprints of the emails, the
diff against what was sent), writing the delivery file, and recording it in
the store; beside it, the naive way: writing the whole audience again.

    python benchmarks/bench_sync.py --members 1000000
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import polars as pl
from pydantic import TypeAdapter

from segwise.activation.destinations import Destination
from segwise.activation.files import write_delivery
from segwise.activation.sync import plan_sync
from segwise.store import Workspace
from segwise.store.sync import Delivery, commit, sent


def people(count: int) -> pl.DataFrame:
    ids = [f"C{i:09d}" for i in range(count)]
    rng = np.random.default_rng(7)
    return pl.DataFrame(
        {
            "customer_id": ids,
            "email": [f"{i.lower()}@example.com" for i in ids],
            "consent_email": np.where(rng.random(count) < 0.9, "true", "false"),
        }
    )


def members(ids: pl.Series) -> pl.DataFrame:
    return pl.DataFrame({"segmentation": "life", "segment": "Loyal", "customer_id": ids})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    args = parser.parse_args()
    total = args.members
    churn = total // 50
    contacts = people(total + churn)
    before = members(contacts["customer_id"].head(total))
    # 2% churn: the first 1% leave, 1% new ones join.
    after = members(contacts["customer_id"].slice(churn // 2, total))
    spec = TypeAdapter(Destination).validate_python(
        {"type": "file", "path": "out", "segments": ["life/*"], "identifiers": ["email"],
         "consent": "consent_email", "format": "parquet"}
    )  # fmt: skip
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        store = Workspace(folder / "store.duckdb")
        first = plan_sync("crm", spec, run_id=1, members=before, contacts=contacts,
                          suppressed=(), sent=sent(store, "crm"))  # fmt: skip
        delivery = Delivery(first.delivery_id, "crm", 1, datetime.now(), "delivered",
                            first.adds.height, 0, str(folder))  # fmt: skip
        commit(store, delivery, adds=first.adds, removes=first.removes)

        start = time.perf_counter()
        state = sent(store, "crm")
        read = time.perf_counter()
        found = plan_sync("crm", spec, run_id=2, members=after, contacts=contacts,
                          suppressed=(), sent=state)  # fmt: skip
        planned = time.perf_counter()
        write_delivery(found, spec, folder / "out", {"run_id": 2})
        written = time.perf_counter()
        delivery = Delivery(found.delivery_id, "crm", 2, datetime.now(), "delivered",
                            found.adds.height, found.removes.height, str(folder))  # fmt: skip
        commit(store, delivery, adds=found.adds, removes=found.removes)
        done = time.perf_counter()

        naive_start = time.perf_counter()
        after.join(contacts, on="customer_id").filter(pl.col("consent_email") == "true").select(
            "customer_id", "email"
        ).write_parquet(folder / "full.parquet")
        naive = time.perf_counter() - naive_start

    sync_total = done - start
    print(f"{total:,} members, {churn:,} changed (2%): {found.adds.height:,} adds, "
          f"{found.removes.height:,} removes")  # fmt: skip
    print(f"{'step':<40} {'s':>7}")
    for name, seconds in [
        ("read what was sent (store)", read - start),
        ("plan: consent, fingerprints, diff", planned - read),
        ("write the delivery file", written - planned),
        ("record it (state + log, one transaction)", done - written),
        ("sync, in all", sync_total),
        ("naive: write the whole audience", naive),
    ]:
        print(f"{name:<40} {seconds:>7.2f}")
    print(f"target (issue 17): sync <= 3 s — {'met' if sync_total <= 3 else 'NOT met'}; "
          f"sync / naive = {sync_total / naive:.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
