"""Webhook deliveries: a sync's changes as signed JSON batches, POSTed with retries.

Each batch is one POST of::

    {"type": "segwise.audience.changed",          # or segwise.audience.snapshot
     "timestamp": "2026-12-01T09:30:00+00:00",
     "data": {"destination": ..., "delivery_id": ..., "run_id": ..., "as_of": ...,
              "mode": "mirror", "batch": 1, "batches": 3, "sequence": 17,
              "segments": [{"segmentation": ..., "segment": ..., "playbook": {...}}],
              "changes": [{"action": "remove", "segmentation": ..., "segment": ...,
                           "customer_id": ..., "email": ...}, ...]}}

signed as Standard Webhooks asks (:mod:`segwise.activation.signing`). The
``webhook-id`` is the batch's idempotency key: the same batch, retried or sent
again after a crash, carries the same id and body. ``sequence`` grows with
every batch of a destination: a receiver that keeps, per member, the sequence
of the change it applied last and ignores older ones ends equal to the
segment even when a parked batch arrives after a newer one. In a snapshot,
the batches of one ``delivery_id`` together are the whole audience.

Retries: 5xx, 408, timeouts and dropped connections are retried with
exponential backoff and jitter; 429 waits as its ``Retry-After`` says; other
4xx are not retried. A batch still failing after ``attempts`` tries is parked
as failed (the next sync sends it again) and the rest goes on, unless the
receiver has failed several batches in a row: then the rest waits too.
"""

from __future__ import annotations

import http.client
import json
import math
import random
import ssl
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from segwise._version import __version__
from segwise.activation import signing
from segwise.store.outbox import Batch, Outcome

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from pathlib import Path

    import polars as pl

    from segwise.activation.destinations import WebhookDestination
    from segwise.activation.sync import SyncPlan

#: Failed batches in a row after which the rest of a sync waits for the next one.
GIVE_UP_AFTER = 3
#: Seconds between writing outcomes to the store (a crash re-sends at most this much).
FLUSH_EVERY = 1.0
#: How a refused certificate is reported (and recognised as not worth retrying).
UNTRUSTED = "the receiver's certificate is not trusted"


def build_batches(
    plan: SyncPlan,
    spec: WebhookDestination,
    *,
    as_of: str,
    playbooks: dict[tuple[str, str], dict[str, Any]],
    first_sequence: int,
) -> list[Batch]:
    """``plan``'s changes cut into signed-to-be bodies of ``spec.batch_size`` rows."""
    snapshot = plan.mode == "snapshot"
    header = {
        "destination": plan.destination,
        "delivery_id": plan.delivery_id,
        "run_id": plan.run_id,
        "as_of": as_of,
        "mode": plan.mode,
    }
    return cut_batches(
        plan.actions(),
        spec.batch_size,
        kind="segwise.audience.snapshot" if snapshot else "segwise.audience.changed",
        header=header,
        playbooks=playbooks,
        first_sequence=first_sequence,
        items="changes",
        at_least_one=snapshot,  # an empty snapshot still empties the receiver
    )


def cut_batches(
    rows: pl.DataFrame,
    size: int,
    *,
    kind: str,
    header: dict[str, Any],
    playbooks: dict[tuple[str, str], dict[str, Any]],
    first_sequence: int,
    items: str,
    at_least_one: bool = False,
) -> list[Batch]:
    """``rows`` (with ``segmentation, segment``) as bodies of ``size`` rows under ``items``.

    ``header`` goes into every body's ``data`` (it holds the ``delivery_id``), with
    the batch's place, its sequence number and the playbooks of its segments.
    """
    count = math.ceil(rows.height / size) or (1 if at_least_one else 0)
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    delivery_id = header["delivery_id"]
    out = []
    for index in range(count):
        part = rows.slice(index * size, size)
        pairs = part.select("segmentation", "segment").unique(maintain_order=True).rows()
        data = {
            **header,
            "batch": index + 1,
            "batches": count,
            "sequence": first_sequence + index,
            "segments": [
                {"segmentation": a, "segment": b, "playbook": playbooks.get((a, b))}
                for a, b in pairs
            ],
        }
        body = _envelope(kind, stamp, data, part, items)
        out.append(
            Batch(
                f"msg_{delivery_id}_{index + 1}",
                delivery_id,
                index + 1,
                count,
                first_sequence + index,
                part.height,
                body,
            )
        )
    return out


def _envelope(kind: str, stamp: str, data: dict[str, Any], rows: pl.DataFrame, items: str) -> bytes:
    """The JSON body, with the rows serialised by the engine (not a Python loop)."""
    head = json.dumps({"type": kind, "timestamp": stamp, "data": data}, separators=(",", ":"))
    listed = rows.write_json() if rows.height else "[]"
    # head ends in "}}": the rows go inside data.
    return (head[:-2] + f',"{items}":' + listed + "}}").encode()


@dataclass
class WebhookSender:
    """POSTs batches to one URL over a kept-alive connection, retrying as the module says."""

    spec: WebhookDestination
    key: bytes
    sleep: Callable[[float], None] = time.sleep
    #: The resolved ``ca_file`` (the project's paths are resolved by the caller).
    ca_file: Path | None = None

    def __post_init__(self) -> None:
        parts = urlsplit(self.spec.url)
        self._https = parts.scheme == "https"
        self._host = parts.hostname or ""
        self._port = parts.port
        self._path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._connection: http.client.HTTPConnection | None = None

    def send(self, batch: Batch) -> Outcome:
        """Deliver one batch, retrying; the outcome says delivered or failed, and why."""
        started = time.monotonic()
        attempts = 0
        while True:
            attempts += 1
            status, retry_after, error = self._attempt(batch)
            if status is not None and 200 <= status < 300:
                return self._outcome(batch, "delivered", attempts, status, "", started)
            if error.startswith(UNTRUSTED):  # retrying cannot make a certificate trusted
                return self._outcome(batch, "failed", attempts, None, error, started)
            wait, why_not = self._wait(status, retry_after, attempts)
            if wait is None or attempts >= self.spec.attempts:
                message = error if why_not is None else f"{error}; {why_not}"
                return self._outcome(batch, "failed", attempts, status, message, started)
            self.sleep(wait)

    def close(self) -> None:
        """Let go of the kept-alive connection."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _attempt(self, batch: Batch) -> tuple[int | None, str | None, str]:
        """One POST: the HTTP status (None when no answer), Retry-After, and an error text."""
        timestamp = int(time.time())
        headers = {
            "content-type": "application/json",
            "user-agent": f"segwise/{__version__}",
            **signing.headers(self.key, batch.webhook_id, timestamp, batch.body),
        }
        try:
            connection = self._connect()
            connection.request("POST", self._path, body=batch.body, headers=headers)
            response = connection.getresponse()
            text = response.read()
        except TimeoutError:
            self.close()
            return None, None, f"no answer within {self.spec.timeout:g} s"
        except ssl.SSLCertVerificationError as exc:
            self.close()
            return None, None, f"{UNTRUSTED} ({exc.verify_message}): set ca_file for a private CA"
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            detail = str(exc).strip()
            what = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
            return None, None, f"connection failed ({what})"
        if response.will_close:
            self.close()
        error = f"HTTP {response.status}"
        if not 200 <= response.status < 300 and text:
            error += ": " + text[:200].decode("utf-8", "replace").strip()
        return response.status, response.getheader("retry-after"), error

    def _connect(self) -> http.client.HTTPConnection:
        if self._connection is None:
            if self._https:
                # Verified always: a private CA is trusted by naming it, never by switching off.
                context = ssl.create_default_context(cafile=self.ca_file)
                self._connection = http.client.HTTPSConnection(
                    self._host, self._port, timeout=self.spec.timeout, context=context
                )
            else:
                self._connection = http.client.HTTPConnection(
                    self._host, self._port, timeout=self.spec.timeout
                )
        return self._connection

    def _wait(
        self, status: int | None, retry_after: str | None, attempts: int
    ) -> tuple[float | None, str | None]:
        """Seconds to wait before the next try, or None (and why) when not to retry."""
        if status is not None and status not in (408, 429) and status < 500:
            return None, "not retried (the receiver refused the batch)"
        asked = _retry_after(retry_after) if status in (429, 503) else None
        if asked is not None:
            if asked > self.spec.max_backoff:
                return None, f"the receiver asked to wait {asked:.0f} s: the next sync retries"
            return asked, None
        ceiling = min(self.spec.max_backoff, self.spec.backoff * 2 ** (attempts - 1))
        return ceiling * random.uniform(0.5, 1.0), None  # noqa: S311 - jitter, not secrecy

    def _outcome(
        self, batch: Batch, status: str, attempts: int, http_status: int | None, error: str,
        started: float,
    ) -> Outcome:  # fmt: skip
        elapsed = (time.monotonic() - started) * 1000
        return Outcome(batch.webhook_id, status, attempts, http_status, error,
                       datetime.now(), elapsed)  # fmt: skip


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header: a number of seconds or an HTTP date."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def deliver(
    batches: Iterable[Batch],
    sender: WebhookSender,
    record: Callable[[Sequence[Outcome]], None],
    *,
    progress: Callable[[str], None] | None = None,
    label: str = "",
) -> list[Outcome]:
    """Send ``batches`` in order, writing outcomes through ``record`` about once a second.

    After :data:`GIVE_UP_AFTER` failed batches in a row the rest is parked untried.
    """
    unsaved: list[Outcome] = []
    outcomes: list[Outcome] = []
    failures = 0
    saved_at = time.monotonic()
    try:
        for batch in batches:
            if failures >= GIVE_UP_AFTER:
                outcome = Outcome(batch.webhook_id, "failed", 0, None,
                                  f"not tried: {failures} batches failed in a row before it",
                                  datetime.now(), 0.0)  # fmt: skip
            else:
                outcome = sender.send(batch)
                failures = failures + 1 if outcome.status == "failed" else 0
            unsaved.append(outcome)
            outcomes.append(outcome)
            if progress is not None:
                progress(f"{label}batch {batch.batch} of {batch.batches}")
            if time.monotonic() - saved_at >= FLUSH_EVERY:
                record(unsaved)
                unsaved, saved_at = [], time.monotonic()
    finally:
        sender.close()
        record(unsaved)
    return outcomes
