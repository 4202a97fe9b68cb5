"""Syncs of large audiences (issue 17's targets), each beside the naive way.

1. File sync: a destination holds ``--members`` customers (the store's sync
   state); the new run keeps 98% of them and brings 2% new ones ("1M-member
   audience with 2% churn"). Timed: the plan (consent, fingerprints of the
   emails, the diff against what was sent), writing the delivery file, and
   recording it in the store; beside it, writing the whole audience again.
2. Webhook sync: ``--changes`` adds (100k) to a receiver on 127.0.0.1 in
   batches of 1,000: plan, batches, the outbox (queued with the state in one
   transaction), signed POSTs, outcomes recorded. The receiver checks every
   signature and parses every body. Beside it, one unsigned POST of the whole
   audience.

    python benchmarks/bench_sync.py --members 1000000 --changes 100000
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import tempfile
import threading
import time
import urllib.request
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import polars as pl
from pydantic import TypeAdapter

from segwise.activation import signing
from segwise.activation.destinations import Destination
from segwise.activation.files import write_delivery
from segwise.activation.sync import plan_sync
from segwise.activation.webhooks import WebhookSender, build_batches, deliver
from segwise.store import Workspace, outbox
from segwise.store.sync import Delivery, commit, sent

SECRET = "whsec_" + base64.b64encode(b"benchmark-secret-of-32-bytes-ok!").decode()


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
    parser.add_argument("--changes", type=int, default=100_000)
    args = parser.parse_args()
    file_sync(args.members)
    print()
    webhook_sync(args.changes)


def file_sync(total: int) -> None:
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
    print(f"file sync: {total:,} members, {churn:,} changed (2%): {found.adds.height:,} adds, "
          f"{found.removes.height:,} removes")  # fmt: skip
    _table([
        ("read what was sent (store)", read - start),
        ("plan: consent, fingerprints, diff", planned - read),
        ("write the delivery file", written - planned),
        ("record it (state + log, one transaction)", done - written),
        ("sync, in all", sync_total),
        ("naive: write the whole audience", naive),
    ])  # fmt: skip
    print(f"target (issue 17): sync <= 3 s — {'met' if sync_total <= 3 else 'NOT met'}; "
          f"sync / naive = {sync_total / naive:.2f}x")  # fmt: skip


class _Receiver(BaseHTTPRequestHandler):
    """Checks the signature, parses the body, counts the members."""

    protocol_version = "HTTP/1.1"
    key = signing.decode_secret(SECRET)
    received = 0
    lock = threading.Lock()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        ok = self.headers.get("webhook-id") is None or signing.verify(
            self.key, dict(self.headers), body
        )
        changes = json.loads(body)["data"]["changes"] if ok else []
        with self.lock:
            type(self).received += len(changes)
        self.send_response(204 if ok else 401)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        return


def webhook_sync(total: int) -> None:
    contacts = people(total).with_columns(consent_email=pl.lit("true"))  # every one a change
    audience = members(contacts["customer_id"])
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    os.environ["BENCH_HOOK_SECRET"] = SECRET
    spec = TypeAdapter(Destination).validate_python(
        {"type": "webhook", "url": url, "secret_env": "BENCH_HOOK_SECRET", "batch_size": 1000,
         "segments": ["life/*"], "identifiers": ["email"], "consent": "consent_email"}
    )  # fmt: skip
    with tempfile.TemporaryDirectory() as scratch:
        store = Workspace(Path(scratch) / "store.duckdb")
        start = time.perf_counter()
        found = plan_sync("hook", spec, run_id=1, members=audience, contacts=contacts,
                          suppressed=(), sent=sent(store, "hook"))  # fmt: skip
        planned = time.perf_counter()
        batches = build_batches(found, spec, as_of="2024-01-31", playbooks={},  # type: ignore[arg-type]
                                first_sequence=outbox.next_sequence(store, "hook"))  # fmt: skip
        built = time.perf_counter()
        delivery = Delivery(found.delivery_id, "hook", 1, datetime.now(), "queued",
                            found.adds.height, 0, url)  # fmt: skip
        commit(store, delivery, adds=found.adds, removes=found.removes, batches=batches)
        queued = time.perf_counter()
        sender = WebhookSender(spec, signing.decode_secret(SECRET))  # type: ignore[arg-type]
        outcomes = deliver(batches, sender, lambda done: outbox.record(store, "hook", done))
        sent_at = time.perf_counter()
    changes = found.changes
    assert _Receiver.received == changes, (_Receiver.received, changes)
    assert all(o.status == "delivered" for o in outcomes)

    _Receiver.received = 0
    naive_start = time.perf_counter()
    body = found.adds.drop("fingerprint").write_json().encode()
    request = urllib.request.Request(url, data=b'{"data":{"changes":' + body + b"}}", method="POST")
    with urllib.request.urlopen(request) as answer:
        answer.read()
    naive = time.perf_counter() - naive_start
    server.shutdown()

    elapsed = sent_at - start
    print(f"webhook sync: {changes:,} changes (adds, after consent) in {len(batches):,} batches "
          f"of {spec.batch_size:,}")  # fmt: skip
    _table([
        ("plan: consent, fingerprints, diff", planned - start),
        ("build the batches (JSON bodies)", built - planned),
        ("queue them with the state (outbox)", queued - built),
        ("sign, POST, record outcomes", sent_at - queued),
        ("sync, in all", elapsed),
        ("naive: one unsigned POST of everyone", naive),
    ])  # fmt: skip
    rate = changes / elapsed
    print(
        f"target (issue 17): >= 20,000 members/s — {rate:,.0f}/s, "
        f"{'met' if rate >= 20_000 else 'NOT met'}; sync / naive = {elapsed / naive:.2f}x"
    )


def _table(rows: list[tuple[str, float]]) -> None:
    print(f"{'step':<40} {'s':>7}")
    for name, seconds in rows:
        print(f"{name:<40} {seconds:>7.2f}")


if __name__ == "__main__":
    main()
