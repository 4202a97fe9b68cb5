"""Whether a project's inputs changed since its last run: one fingerprint per source.

A file's fingerprint is its size, its modification time and a SHA-256 of its
first and last MiB (one changed byte in a 10 GB export is caught where it
usually lands, at the end, without reading the whole file); a folder hashes each
data file's name, size and modification time; a table or query
in a database file adds its row count; a warehouse table (on Spark) is its row
count and the list of files Spark reads for it. ``segwise refresh`` compares them, and
the project file's own hash, with what the last run stored.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw

from segwise.io.folders import data_files, folder_stamp
from segwise.io.sources import NamedFrame, open_source
from segwise.project.config import MEASUREMENT_SOURCES
from segwise.project.sources import warehouse_frame

if TYPE_CHECKING:
    from pathlib import Path

    from segwise.project.pipeline import Project
    from segwise.project.publish import RunResult

MIB = 1 << 20


@dataclass(frozen=True)
class Refresh:
    """What ``segwise refresh`` did: whether it ran, why (or why not), and the run."""

    ran: bool
    reason: str
    run: RunResult | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``ran``, ``reason`` and the run in brief when there was one."""
        return {
            "ran": self.ran,
            "reason": self.reason,
            "run": None if self.run is None else self.run.to_dict(),
        }


def file_fingerprint(path: Path) -> dict[str, Any]:
    """Size, modification time and a hash of the first and last MiB of ``path``.

    A folder (of Parquet parts, or of exports read as one): its files' total size, latest
    modification, and a hash of each file's name, size and modification time (a file
    added, removed or rewritten).
    """
    if path.is_dir():
        return _folder_fingerprint(path)
    stat = path.stat()
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        digest.update(handle.read(MIB))
        if stat.st_size > MIB:
            handle.seek(max(MIB, stat.st_size - MIB))
            digest.update(handle.read(MIB))
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": digest.hexdigest()}


def _folder_fingerprint(folder: Path) -> dict[str, Any]:
    digest = hashlib.sha256()
    size, latest = folder_stamp(folder)
    for part in data_files(folder):
        stat = part.stat()
        digest.update(f"{part.relative_to(folder).as_posix()}\t{stat.st_size}\t".encode())
        digest.update(f"{stat.st_mtime_ns}\n".encode())
    return {"size": size, "mtime_ns": latest, "files_sha256": digest.hexdigest()}


def warehouse_fingerprint(table: NamedFrame) -> dict[str, Any]:
    """A warehouse table's row count and a hash of the files Spark reads for it.

    New data lands in new files (appends to Parquet folders, every Delta
    commit), so the file list catches a change the row count alone would miss.
    """
    frame = table.frame
    files = sorted(frame.inputFiles())
    digest = hashlib.sha256("\n".join(files).encode()).hexdigest()
    return {"origin": table.name, "rows": int(frame.count()), "files_sha256": digest}


def source_fingerprints(project: Project) -> dict[str, dict[str, Any]]:
    """Every source's fingerprint, by source name (``transactions``, ``customers``…).

    The measurement sources (exposures, outcomes) are left out: a new exposure log changes
    no feature and no segment, so it must not make ``refresh`` run or drop the feature cache.
    The consent history counts: who may be profiled changes the segments.
    """
    prints: dict[str, dict[str, Any]] = {}
    for name, source in project.config.sources:
        if source is None or name in MEASUREMENT_SOURCES:
            continue
        if source.warehouse is not None:
            prints[name] = warehouse_fingerprint(warehouse_frame(project, name, source.warehouse))
            continue
        path = project.resolve(str(source.path), key=f"sources.{name}.path")
        found = file_fingerprint(path)
        table, query = getattr(source, "table", None), getattr(source, "query", None)
        if table or query:
            raw = open_source(str(path), table=table, query=query)
            found["rows"] = int(raw.scan(set()).select(nw.len()).collect().item())
        prints[name] = found
    return prints


def what_changed(
    stored: dict[str, Any] | None, current: dict[str, Any], config_changed: bool
) -> str | None:
    """Why a refresh must run (one line), or None when nothing changed since the last run."""
    if stored is None:
        return "the last run kept no fingerprints of its sources"
    if config_changed:
        return "the project file changed"
    for name, found in current.items():
        before = stored.get(name)
        if before is None:
            return f"source '{name}' is new"
        if before != found:
            changed = [
                k
                for k in ("size", "sha256", "rows", "mtime_ns", "files_sha256")
                if before.get(k) != found.get(k)
            ]
            return f"source '{name}' changed ({', '.join(changed)})"
    gone = sorted(set(stored) - set(current))
    return f"source '{gone[0]}' was removed" if gone else None


def reason_to_refresh(project: Project) -> str | None:
    """Why ``project`` must run again (one line); None when nothing changed since its last run."""
    stored = project.store.last_fingerprints()
    if stored is None:
        return "no run is stored yet"
    config_hash, prints = stored
    return what_changed(prints, source_fingerprints(project), config_hash != project.config_hash)
