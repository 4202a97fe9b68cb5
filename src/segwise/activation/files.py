"""A delivery written as files: what a file destination or an ad platform's upload receives.

- ``file``: one table per sync, ``<destination>-<delivery>.<csv|parquet|jsonl>``, with an
  ``action`` column (removes first, then adds; a snapshot holds only adds: the whole audience),
  and a manifest ``<destination>-<delivery>.manifest.json`` beside it.
- a trigger's events (:func:`write_events`): ``<destination>-<trigger>-run<N>.<format>``
  and its manifest.
- ``meta_custom_audience`` / ``google_customer_match``: a folder
  ``<destination>-<delivery>/`` with one CSV per segment and action in the platform's
  column names (hashed identifiers), and ``manifest.json``.

Everything is written under a temporary name and renamed into place, so a
delivery is there whole or not at all. The same delivery written twice (a
sync killed before it was recorded, then run again) lands on the same names.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from segwise.activation.audience import platform_header
from segwise.activation.destinations import FileDestination, hashing_of
from segwise.io.writers import write_table

if TYPE_CHECKING:
    import polars as pl

    from segwise.activation.destinations import Destination
    from segwise.activation.sync import SyncPlan


def write_delivery(
    plan: SyncPlan, spec: Destination, folder: Path, manifest: dict[str, Any]
) -> list[Path]:
    """Write ``plan``'s delivery into ``folder``; the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{plan.destination}-{plan.delivery_id}"
    if isinstance(spec, FileDestination):
        table = plan.actions()
        target = write_table(table, folder / f"{stem}.{spec.format}")
        notes = folder / f"{stem}.manifest.json"
        _write_json(notes, {**manifest, "files": [target.name]})
        return [target, notes]
    return _platform_folder(plan, spec, folder / stem, manifest)


def write_events(
    events: pl.DataFrame, spec: FileDestination, folder: Path, stem: str, manifest: dict[str, Any]
) -> list[Path]:
    """A trigger's events as ``<stem>.<format>`` and ``<stem>.manifest.json`` in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    target = write_table(events, folder / f"{stem}.{spec.format}")
    notes = folder / f"{stem}.manifest.json"
    _write_json(notes, {**manifest, "files": [target.name]})
    return [target, notes]


def _platform_folder(
    plan: SyncPlan, spec: Destination, target: Path, manifest: dict[str, Any]
) -> list[Path]:
    platform = hashing_of(spec) or "meta"
    headers = {c: platform_header(platform, c) for c in plan.identifiers}
    scratch = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        names: list[str] = []
        parts = []
        for action, frame in (("remove", plan.removes), ("add", plan.adds)):
            for (segmentation, segment), rows in frame.group_by(
                "segmentation", "segment", maintain_order=True
            ):
                name = _file_name(str(segmentation), str(segment), action, taken=names)
                rows.select(list(headers)).rename(headers).write_csv(scratch / name)
                names.append(name)
                parts.append({"file": name, "segmentation": segmentation, "segment": segment,
                              "action": action, "rows": rows.height})  # fmt: skip
        # Listed in the order to apply them: each segment's removes before its adds.
        _write_json(scratch / "manifest.json", {**manifest, "files": names, "parts": parts})
        if target.exists():  # the same delivery again: replace it whole
            shutil.rmtree(target)
        scratch.replace(target)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return [target / name for name in names] + [target / "manifest.json"]


def _file_name(segmentation: str, segment: str, action: str, *, taken: list[str]) -> str:
    """``<segmentation>--<segment>--<action>.csv``, made unique when two names slug alike."""
    name = f"{_slug(segmentation)}--{_slug(segment)}--{action}.csv"
    if name in taken:  # "At risk / VIP" and "At risk VIP", or names in another script
        digest = hashlib.sha256(f"{segmentation}\x1f{segment}".encode()).hexdigest()[:8]
        name = f"{_slug(segmentation)}--{_slug(segment)}-{digest}--{action}.csv"
    return name


def _slug(text: str) -> str:
    """A file-name-safe form of a segment name (``At risk / VIP`` → ``At-risk-VIP``)."""
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-") or "segment"


def _write_json(path: Path, payload: dict[str, Any]) -> None:
    scratch = path.with_name(f".{path.name}.tmp")
    scratch.write_text(json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n")
    scratch.replace(path)
