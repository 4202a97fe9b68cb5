"""A real webhook receiver for the tests: 127.0.0.1, an ephemeral port, faults on demand.

It checks every request's signature with the ``standardwebhooks`` package (an
implementation independent of segwise's), then behaves as the next scripted
fault says, and applies the batches it accepts the way segwise asks receivers
to: once per ``webhook-id``, and per member only a change newer (by
``sequence``) than the one it applied last. Faults:

- ``ok``: apply, answer 204;
- ``500`` / ``400``: answer that, apply nothing;
- ``429``: answer 429 with ``Retry-After: <retry_after>``;
- ``slow``: apply, then answer after ``slow_seconds`` (the sender has timed out by then);
- ``drop``: read the request, close the connection without an answer;
- ``drop-after``: apply, then close without an answer (the sender will send it again).

With ``tls`` (a server-side SSL context) it listens on HTTPS.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

if TYPE_CHECKING:
    import ssl
    from collections.abc import Iterable

Member = tuple[str, str, str]


class Receiver:
    """Start with ``with Receiver(secret) as hook:``; ``hook.url`` takes POSTs."""

    def __init__(
        self,
        secret: str,
        faults: Iterable[str] = (),
        *,
        retry_after: str = "0",
        slow_seconds: float = 1.0,
        delay: float = 0.0,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.verifier = Webhook(secret)
        self.faults: deque[str] = deque(faults)
        self.retry_after = retry_after
        self.slow_seconds = slow_seconds
        self.delay = delay
        self.lock = threading.Lock()
        self.requests = 0
        self.bad_signatures = 0
        #: Every change accepted, duplicates included: (webhook-id, action, member).
        self.received: list[tuple[str, str, Member]] = []
        self.applied_ids: set[str] = set()
        self.members: set[Member] = set()
        self.newest: dict[Member, int] = {}
        self.snapshots: dict[str, dict[int, list[Member]]] = {}
        #: Each batch applied (once per webhook-id), as parsed JSON.
        self.bodies: list[dict[str, Any]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.scheme = "http"
        if tls is not None:  # HTTPS: the handshake happens as each connection is accepted
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
            self.scheme = "https"

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"{self.scheme}://{host!s}:{port}/hooks/segwise"

    def __enter__(self) -> Receiver:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def ids_per_change(self) -> dict[tuple[str, Member], set[str]]:
        """For each change received (action, member): the webhook-ids it came under."""
        found: dict[tuple[str, Member], set[str]] = {}
        for webhook_id, action, member in self.received:
            found.setdefault((action, member), set()).add(webhook_id)
        return found

    def _next_fault(self) -> str:
        with self.lock:
            self.requests += 1
            return self.faults.popleft() if self.faults else "ok"

    def _accept(self, webhook_id: str, payload: dict[str, Any]) -> None:
        data = payload["data"]
        with self.lock:
            if payload["type"] == "segwise.segment.events":  # trigger events: kept as they come
                if webhook_id not in self.applied_ids:
                    self.applied_ids.add(webhook_id)
                    self.bodies.append(payload)
                return
            changes = [
                (c["action"], (c["segmentation"], c["segment"], str(c["customer_id"])))
                for c in data["changes"]
            ]
            self.received += [(webhook_id, action, member) for action, member in changes]
            if webhook_id in self.applied_ids:
                return
            self.applied_ids.add(webhook_id)
            self.bodies.append(payload)
            if payload["type"] == "segwise.audience.snapshot":
                self._snapshot(data, [m for _, m in changes])
                return
            for action, member in changes:
                if self.newest.get(member, 0) > data["sequence"]:
                    continue  # an older change arriving late
                self.newest[member] = data["sequence"]
                (self.members.add if action == "add" else self.members.discard)(member)

    def _snapshot(self, data: dict[str, Any], members: list[Member]) -> None:
        parts = self.snapshots.setdefault(data["delivery_id"], {})
        parts[data["batch"]] = members
        if len(parts) == data["batches"]:
            self.members = {m for part in parts.values() for m in part}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                expected = int(self.headers["content-length"])
                body = self.rfile.read(expected)
                if len(body) < expected:
                    # The sender died mid-request (a SIGKILLed sync): a cut request, not a
                    # forged one. A real receiver drops it; the sender re-sends it whole.
                    self.close_connection = True
                    return
                if receiver.delay:
                    time.sleep(receiver.delay)
                try:
                    payload = receiver.verifier.verify(body, dict(self.headers))
                except WebhookVerificationError:
                    with receiver.lock:
                        receiver.bad_signatures += 1
                    self._answer(401)
                    return
                fault = receiver._next_fault()
                webhook_id = self.headers["webhook-id"]
                if fault in ("ok", "slow", "drop-after"):
                    receiver._accept(webhook_id, payload)
                if fault in ("drop", "drop-after"):
                    self.close_connection = True
                    return
                if fault == "slow":
                    time.sleep(receiver.slow_seconds)
                status = {"ok": 204, "slow": 204, "500": 500, "400": 400, "429": 429}[fault]
                self._answer(status)

            def _answer(self, status: int) -> None:
                text = b"" if status == 204 else json.dumps({"status": status}).encode()
                try:
                    self.send_response(status)
                    if status == 429:
                        self.send_header("Retry-After", receiver.retry_after)
                    self.send_header("content-length", str(len(text)))
                    self.end_headers()
                    self.wfile.write(text)
                except OSError:
                    self.close_connection = True  # the sender gave up waiting

            def log_message(self, *_args: object) -> None:
                return

        return Handler
