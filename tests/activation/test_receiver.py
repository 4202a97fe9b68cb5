"""Webhook syncs end to end: a real signing receiver, injected faults, SIGKILLed syncs.

The receiver (``receiver.py``) verifies every signature with the
``standardwebhooks`` package and applies batches as segwise documents. After
each scenario its members must equal the segment (consented customers), and a
change it received twice must have come under one ``webhook-id``.
"""

from __future__ import annotations

import base64
import gzip
import os
import signal
import ssl
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import polars as pl
import pytest
import trustme
from tests.activation.receiver import Receiver
from tests.project.demo import keep_segmentations

import segwise as sw
from segwise.project import open_workspace
from segwise.project.sync import sync_destinations
from segwise.store.outbox import batches
from segwise.store.sync import deliveries

if TYPE_CHECKING:
    from pathlib import Path

SECRET = "whsec_" + base64.b64encode(b"segwise-test-secret-32-bytes-ok!").decode()


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEGWISE_HOOK_SECRET", SECRET)


def with_hook(config: Path, url: str, **options: object) -> sw.Project:
    settings = {"batch_size": 40, "attempts": 6, "backoff": 0.01, "timeout": 0.5, **options}
    extra = ", ".join(f"{k}: {v}" for k, v in settings.items())
    keep_segmentations(config, "lifecycle")  # the one synced: later runs take seconds
    config.write_text(
        config.read_text()
        + "destinations:\n"
        + f'  hook: {{type: webhook, url: "{url}", secret_env: SEGWISE_HOOK_SECRET, '
        + "segments: [lifecycle/*], identifiers: [email], consent: consent_email, "
        + f"min_size: 0, {extra}}}\n"
    )
    return sw.Project.from_yaml(config)


def expected(config: Path) -> set[tuple[str, str, str]]:
    """The lifecycle segments' members who agreed to email, read without segwise's filters."""
    customers = pl.read_csv(config.parent / "data" / "customers.csv.gz", infer_schema=False)
    agreed = set(customers.filter(pl.col("consent_email") == "true")["customer_id"])
    members = open_workspace(config).memberships().filter(pl.col("segmentation") == "lifecycle")
    return {
        ("lifecycle", segment, str(customer))
        for segment, customer in members.select("segment", "customer_id").rows()
        if str(customer) in agreed
    }


def assert_duplicates_share_their_id(hook: Receiver) -> None:
    mixed = {change: ids for change, ids in hook.ids_per_change().items() if len(ids) > 1}
    assert not mixed, f"changes received under several webhook-ids: {list(mixed)[:3]}"


def test_faults_are_retried_until_the_receiver_equals_the_segment(project_copy: Path) -> None:
    faults = ["ok", "500", "429", "ok", "drop", "slow", "drop-after", "500", "ok", "429"]
    with Receiver(SECRET, faults, slow_seconds=0.8) as hook:
        project = with_hook(project_copy, hook.url)
        [result] = sync_destinations(project)
        assert result.status == "delivered"
        assert result.batches > 2
        assert hook.members == expected(project_copy)
        assert hook.bad_signatures == 0
        assert_duplicates_share_their_id(hook)
        log = batches(project.store, "hook")
        assert set(log["status"]) == {"delivered"}
        assert log["attempts"].max() >= 2
        assert deliveries(project.store, "hook")["status"].to_list() == ["delivered"]


def test_revoked_consent_is_removed_from_the_receiver(project_copy: Path) -> None:
    with Receiver(SECRET) as hook:
        project = with_hook(project_copy, hook.url)
        sync_destinations(project)
        who = sorted({c for _, _, c in hook.members})[0]
        path = project_copy.parent / "data" / "customers.csv.gz"
        table = pl.read_csv(path, infer_schema=False).with_columns(
            pl.when(pl.col("customer_id") == who)
            .then(pl.lit("revoked"))
            .otherwise(pl.col("consent_email"))
            .alias("consent_email")
        )
        with gzip.open(path, "wb") as handle:
            table.write_csv(handle)
        sw.Project.from_yaml(project_copy).run()
        sync_destinations(sw.Project.from_yaml(project_copy))
        assert who not in {c for _, _, c in hook.members}
        assert ("remove", who) in {(a, m[2]) for _, a, m in hook.received}
        assert hook.members == expected(project_copy)


def test_a_refused_batch_is_parked_and_the_next_sync_sends_it(project_copy: Path) -> None:
    with Receiver(SECRET, ["ok", "400"]) as hook:
        project = with_hook(project_copy, hook.url)
        [first] = sync_destinations(project)
        assert first.status == "failed"
        assert first.failed_batches == 1
        assert hook.requests == first.batches  # the rest went on, without retrying the 400
        parked = batches(project.store, "hook").filter(pl.col("status") == "failed")
        assert parked["http_status"].to_list() == [400]
        assert deliveries(project.store, "hook")["status"].to_list() == ["failed"]
        [second] = sync_destinations(sw.Project.from_yaml(project_copy))
        assert (second.earlier_batches, second.earlier_failed, second.status) == (1, 0, "unchanged")
        assert hook.members == expected(project_copy)
        assert_duplicates_share_their_id(hook)
        assert deliveries(project.store, "hook")["status"].to_list() == ["unchanged", "delivered"]


def test_a_long_retry_after_parks_the_batch_for_the_next_sync(project_copy: Path) -> None:
    with Receiver(SECRET, ["429"], retry_after="3600") as hook:
        project = with_hook(project_copy, hook.url, max_backoff=5)
        [first] = sync_destinations(project)
        assert first.failed_batches == 1
        parked = batches(project.store, "hook").filter(pl.col("status") == "failed")
        assert "asked to wait 3600 s" in parked["error"][0]
        sync_destinations(sw.Project.from_yaml(project_copy))
        assert hook.members == expected(project_copy)


def test_a_receiver_that_is_down_stops_the_sync_after_a_few_batches(project_copy: Path) -> None:
    with Receiver(SECRET) as hook:
        url = hook.url
    project = with_hook(project_copy, url, attempts=2)  # nothing listens there any more
    [result] = sync_destinations(project)
    assert result.failed_batches == result.batches
    log = batches(project.store, "hook")
    tried = log.filter(pl.col("attempts") > 0)
    assert tried.height == 3
    assert log.filter(pl.col("attempts") == 0)["error"][0].startswith("not tried")
    refused = tried["error"][0]
    assert refused.startswith("connection failed (ConnectionRefusedError: ")
    assert refused.endswith("Connection refused)")


def test_a_snapshot_replaces_what_the_receiver_holds(project_copy: Path) -> None:
    with Receiver(SECRET) as hook:
        hook.members = {("lifecycle", "VIP", "someone-else")}
        project = with_hook(project_copy, hook.url, mode="snapshot")
        sync_destinations(project)
        assert hook.members == expected(project_copy)


def _sync_until(config: Path, hook: Receiver, requests: int) -> tuple[int, str]:
    """Run ``segwise sync`` in a process and SIGKILL it once the receiver has ``requests``."""
    env = {**os.environ, "SEGWISE_HOOK_SECRET": SECRET}
    process = subprocess.Popen(
        [sys.executable, "-m", "segwise", "sync", str(config)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while hook.requests < requests and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    process.kill()
    _, stderr = process.communicate()
    return process.returncode, stderr.decode()


def test_a_sync_killed_anywhere_and_rerun_leaves_the_receiver_equal(project_copy: Path) -> None:
    with Receiver(SECRET, delay=0.02) as hook:
        with_hook(project_copy, hook.url, batch_size=30)
        # Killed after two batches, then killed again while re-sending what was left.
        for wanted in (2, 5):
            code, stderr = _sync_until(project_copy, hook, wanted)
            assert code == -signal.SIGKILL, stderr
        [last] = sync_destinations(sw.Project.from_yaml(project_copy))
        assert last.earlier_batches > 0
        assert hook.members == expected(project_copy)
        assert hook.bad_signatures == 0
        assert_duplicates_share_their_id(hook)
        assert len(hook.received) > len(hook.members)  # some batches did arrive twice
        log = batches(open_workspace(project_copy), "hook")
        assert set(log["status"]) == {"delivered"}


def test_https_trusts_a_private_ca_only_when_named(project_copy: Path) -> None:
    authority = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    with Receiver(SECRET, tls=context) as hook:
        assert hook.url.startswith("https://")
        project = with_hook(project_copy, hook.url)
        [refused] = sync_destinations(project)
        assert refused.failed_batches == refused.batches
        tried = batches(project.store, "hook").filter(pl.col("attempts") > 0)
        assert tried["attempts"].to_list() == [1, 1, 1]  # not retried: it would not help
        assert "certificate is not trusted" in tried["error"][0]
        assert hook.members == set()
        authority.cert_pem.write_to_path(str(project_copy.parent / "ca.pem"))
        text = project_copy.read_text().replace("min_size: 0,", "min_size: 0, ca_file: ca.pem,")
        project_copy.write_text(text)
        [trusted] = sync_destinations(sw.Project.from_yaml(project_copy))
        assert (trusted.earlier_batches, trusted.earlier_failed) == (refused.batches, 0)
        assert hook.members == expected(project_copy)
        assert hook.bad_signatures == 0


def test_forget_tells_the_receiver_to_drop_them(
    project_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from segwise.project.erasure import forget

    monkeypatch.setenv("SEGWISE_PRIVACY_KEY", "0123456789abcdef0123456789abcdef")
    with Receiver(SECRET) as hook:
        project = with_hook(project_copy, hook.url)
        sync_destinations(project)
        who = sorted({c for _, _, c in hook.members})[0]
        planned = forget(project, [who], dry_run=True)
        assert planned.webhooks["hook"]["removes"] >= 1 and who in {c for _, _, c in hook.members}
        done = forget(project, [who])
        assert done.webhooks["hook"]["failed"] == 0
        assert who not in {c for _, _, c in hook.members}
        assert ("remove", who) in {(a, m[2]) for _, a, m in hook.received}
        assert hook.bad_signatures == 0
        assert set(batches(project.store, "hook")["status"]) == {"delivered"}
        with project.store.reading() as connection:
            bodies = connection.execute("SELECT count(body) FROM outbox").fetchone()
        assert bodies == (0,)  # delivered bodies are cleared: nothing names them


def test_a_removal_that_fails_waits_for_the_next_sync(
    project_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from segwise.project.erasure import forget

    monkeypatch.setenv("SEGWISE_PRIVACY_KEY", "0123456789abcdef0123456789abcdef")
    with Receiver(SECRET) as hook:
        project = with_hook(project_copy, hook.url)
        sync_destinations(project)
        who = sorted({c for _, _, c in hook.members})[-1]
        hook.faults.append("400")
        done = forget(project, [who])
        assert done.webhooks["hook"]["failed"] == 1
        assert who in {c for _, _, c in hook.members}
        waiting = batches(project.store, "hook").filter(pl.col("status") == "failed")
        assert waiting.height == 1  # kept, with its body: the removal must still go
        sync_destinations(sw.Project.from_yaml(project_copy))
        assert who not in {c for _, _, c in hook.members}
        assert hook.members == expected(project_copy) - {m for m in hook.members if m[2] == who}
