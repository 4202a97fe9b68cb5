"""A webhook destination's side of a sync: its secret, its outbox, its sender.

Shared by :mod:`segwise.project.sync` (audiences) and
:mod:`segwise.project.triggers` (events): both queue batches in the store's
outbox in the transaction that records them, then send them.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from segwise.activation import signing
from segwise.activation.destinations import WebhookDestination
from segwise.activation.webhooks import WebhookSender, build_batches, deliver
from segwise.exceptions import ConfigError
from segwise.project.catalogs import catalog_of
from segwise.project.config import RulesSegmentation
from segwise.store import outbox

if TYPE_CHECKING:
    from collections.abc import Callable

    from segwise.activation.destinations import Destination
    from segwise.activation.sync import SyncPlan
    from segwise.project.pipeline import Project


class Hook:
    """A webhook destination's part of a sync: the outbox first, then the new batches."""

    def __init__(
        self,
        project: Project,
        name: str,
        spec: Destination,
        dry_run: bool,
        progress: Callable[[str], None] | None,
    ) -> None:
        assert isinstance(spec, WebhookDestination)
        self.project, self.name, self.spec, self.dry_run = project, name, spec, dry_run
        self.progress = progress
        ca_file = (
            None
            if spec.ca_file is None
            else project.resolve(spec.ca_file, key=f"destinations.{name}.ca_file")
        )
        if ca_file is not None and not ca_file.is_file():
            raise ConfigError(
                f"destinations.{name}.ca_file: {ca_file} does not exist",
                hint="give the PEM file of the certificate authority that signed the receiver's",
            )
        self.sender = None if dry_run else WebhookSender(spec, _secret(name, spec), ca_file=ca_file)

    def resend(self) -> tuple[int, int]:
        """Send what earlier syncs left in the outbox: (batches, of which failed again)."""
        waiting = outbox.waiting(self.project.store, self.name)
        if self.dry_run or not waiting:
            return len(waiting), 0
        return len(waiting), self.send(waiting, label="earlier ")

    def batches(self, plan: SyncPlan, run: dict[str, Any]) -> list[outbox.Batch]:
        """``plan``'s batches, numbered after the destination's last."""
        return build_batches(
            plan,
            self.spec,
            as_of=str(run["as_of"]),
            playbooks=playbooks(self.project, plan.run_id),
            first_sequence=outbox.next_sequence(self.project.store, self.name),
        )

    def send(self, batches: list[outbox.Batch], label: str = "") -> int:
        """Deliver ``batches``; how many were parked as failed."""
        assert self.sender is not None
        store = self.project.store
        done = deliver(
            batches,
            self.sender,
            lambda outcomes: outbox.record(store, self.name, outcomes),
            progress=self.progress,
            label=f"{self.name}: {label}",
        )
        return sum(o.status == "failed" for o in done)


def _secret(name: str, spec: WebhookDestination) -> bytes:
    """The signing key, from the environment variable the destination names."""
    value = os.environ.get(spec.secret_env)
    if not value:
        raise ConfigError(
            f"destinations.{name}.secret_env: the environment variable {spec.secret_env} "
            "is not set",
            hint="set it to the webhook's signing secret (whsec_...) before syncing",
        )
    try:
        return signing.decode_secret(value)
    except ValueError as exc:
        raise ConfigError(f"destinations.{name}: ${spec.secret_env}: {exc}") from None


def playbooks(project: Project, run_id: int) -> dict[tuple[str, str], dict[str, Any]]:
    """What to do with each segment of a run: the project's playbook, else the card's action.

    Rule segments carry the playbook written in the project file (messaging, channels,
    offer, timing); every segment's card carries the suggested action (RFM, clusters,
    CLV tiers), which travels when no playbook was written.
    """
    found: dict[tuple[str, str], dict[str, Any]] = {}
    cards = project.store.profiles(run_id)
    for segmentation, segment, profile in cards.select("segmentation", "segment", "profile").rows():
        action = json.loads(profile or "{}").get("action")
        if action:
            found[(segmentation, segment)] = {"action": action}
    for name, spec in project.config.segmentations.items():
        if not isinstance(spec, RulesSegmentation):
            continue
        for segment in catalog_of(name, spec, project.paths).segments:
            if segment.playbook is not None:
                written = segment.playbook.model_dump(exclude_none=True)
                found[(name, segment.name)] = {**found.get((name, segment.name), {}), **written}
    return found
