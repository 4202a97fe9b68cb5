"""Webhook batches and the retry policy (the real receiver is in test_receiver.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import polars as pl
import pytest
from pydantic import TypeAdapter

from segwise.activation.destinations import Destination, WebhookDestination
from segwise.activation.sync import SyncPlan
from segwise.activation.webhooks import WebhookSender, _retry_after, build_batches
from segwise.store.sync import STATE


def hook(**given: Any) -> WebhookDestination:
    base = {"type": "webhook", "url": "http://127.0.0.1:9/x", "secret_env": "S",
            "segments": ["life/*"], "identifiers": ["email"], "batch_size": 2}  # fmt: skip
    found = TypeAdapter(Destination).validate_python({**base, **given})
    assert isinstance(found, WebhookDestination)
    return found


def plan(adds: list[str], removes: list[str], mode: str = "mirror") -> SyncPlan:
    def rows(ids: list[str]) -> pl.DataFrame:
        frame = pl.DataFrame(
            {"segmentation": "life", "segment": ["VIP" if i < "m" else "New" for i in ids],
             "customer_id": ids, "fingerprint": "f"},
            schema=STATE,
        )  # fmt: skip
        return frame.with_columns((pl.col("customer_id") + "@x.org").alias("email"))

    return SyncPlan("hook", mode, 7, "7-abc", rows(adds), rows(removes), (), ("email",))


def bodies(found: list[Any]) -> list[dict[str, Any]]:
    return [json.loads(b.body) for b in found]


def test_changes_are_cut_into_batches_removes_first_with_growing_sequences() -> None:
    playbooks = {("life", "VIP"): {"channels": ["email"]}}
    found = build_batches(plan(["a", "b", "z"], ["c"]), hook(), as_of="2024-01-31",
                          playbooks=playbooks, first_sequence=41)  # fmt: skip
    payloads = bodies(found)
    assert [b.webhook_id for b in found] == ["msg_7-abc_1", "msg_7-abc_2"]
    assert [p["data"]["sequence"] for p in payloads] == [41, 42]
    assert [(b.batch, b.batches, b.rows) for b in found] == [(1, 2, 2), (2, 2, 2)]
    changes = [c for p in payloads for c in p["data"]["changes"]]
    assert [(c["action"], c["customer_id"]) for c in changes] == [
        ("remove", "c"), ("add", "a"), ("add", "b"), ("add", "z"),
    ]  # fmt: skip
    assert changes[1]["email"] == "a@x.org"
    assert "fingerprint" not in changes[0]
    first = payloads[0]
    assert first["type"] == "segwise.audience.changed"
    assert first["data"]["segments"] == [
        {"segmentation": "life", "segment": "VIP", "playbook": {"channels": ["email"]}}
    ]
    assert payloads[1]["data"]["segments"][-1] == {
        "segmentation": "life", "segment": "New", "playbook": None,
    }  # fmt: skip


def test_an_empty_snapshot_is_still_one_batch_so_the_receiver_empties() -> None:
    found = build_batches(plan([], [], "snapshot"), hook(), as_of="2024-01-31", playbooks={},
                          first_sequence=1)  # fmt: skip
    [payload] = bodies(found)
    assert payload["type"] == "segwise.audience.snapshot"
    assert payload["data"]["changes"] == []
    assert build_batches(plan([], []), hook(), as_of="x", playbooks={}, first_sequence=1) == []


@pytest.mark.parametrize(
    ("status", "retry_after", "waits"),
    [
        (500, None, True),
        (503, "2", 2.0),
        (408, None, True),
        (None, None, True),  # a timeout or a dropped connection
        (429, "7", 7.0),
        (429, None, True),
        (429, "120", None),  # longer than max_backoff: parked for the next sync
        (400, None, None),
        (404, None, None),
        (301, None, None),
    ],
    ids=[
        "500",
        "503-retry-after",
        "408",
        "no-answer",
        "429",
        "429-no-header",
        "429-too-long",
        "400",
        "404",
        "redirect",
    ],
)
def test_what_is_retried_and_how_long_it_waits(
    status: int | None, retry_after: str | None, waits: float | bool | None
) -> None:
    sender = WebhookSender(hook(backoff=1.0, max_backoff=60), b"k" * 16)
    wait, why_not = sender._wait(status, retry_after, attempts=3)
    if waits is None:
        assert wait is None
        assert why_not
    elif waits is True:  # backoff: 1 s doubled twice, with jitter between half and all of it
        assert 2.0 <= wait <= 4.0
    else:
        assert wait == waits


def test_backoff_never_exceeds_its_ceiling() -> None:
    sender = WebhookSender(hook(backoff=1.0, max_backoff=5), b"k" * 16)
    assert all(sender._wait(500, None, attempts=n)[0] <= 5 for n in range(1, 20))


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert _retry_after("30") == 30.0
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)
    assert 85 <= (_retry_after(later) or 0) <= 90
    assert _retry_after("soon") is None
    assert _retry_after(None) is None
