"""``retention:`` carried out: source rows past it left out of a run, ``segwise purge``.

The sources are the user's: segwise never deletes from them, but a run reads
only the rows dated within their retention before its as-of date, and says
how many it left out. What segwise wrote itself is deleted by
:func:`purge`: stored runs as of a day before the runs' retention (counted
from today; the latest run stays) and quarantine files older than theirs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw

from segwise.project.paths import QUARANTINE_DIR
from segwise.store.retention import purge_runs

if TYPE_CHECKING:
    from collections.abc import Callable

    from segwise.io.quality import QualityReport
    from segwise.project.pipeline import Project


@dataclass(frozen=True)
class Purge:
    """What ``purge`` deleted (or, on a dry run, would): counts and file names, never ids."""

    dry_run: bool
    #: The first as-of date kept for runs, None without ``retention.runs``.
    runs_kept_from: date | None = None
    #: Rows per store table.
    store: dict[str, int] = field(default_factory=dict)
    #: The first day kept for quarantine files, None without ``retention.quarantine``.
    quarantine_kept_from: date | None = None
    quarantine_files: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "dry_run": self.dry_run,
            "runs_kept_from": None if self.runs_kept_from is None else str(self.runs_kept_from),
            "store": self.store,
            "quarantine_kept_from": None
            if self.quarantine_kept_from is None
            else str(self.quarantine_kept_from),
            "quarantine_files": self.quarantine_files,
        }


def purge(
    project: Project,
    *,
    dry_run: bool = False,
    today: date | None = None,
    progress: Callable[[str], None] | None = None,
) -> Purge:
    """Delete what is past the project's retention (see the module); what went.

    Examples
    --------
    >>> import tempfile, segwise as sw
    >>> project = sw.Project.from_yaml(sw.Project.init(tempfile.mkdtemp()))
    >>> purge(project).store  # no retention: nothing is past it
    {}
    """
    day = today or datetime.now(UTC).date()
    retention = project.config.retention
    runs = retention.get("runs")
    kept_from = None if runs is None else runs.start(day)
    counts: dict[str, int] = {}
    if kept_from is not None:
        store = project.store
        with store.locked(progress):  # never beside a run
            counts = purge_runs(store, kept_from, dry_run=dry_run)
    quarantine = retention.get("quarantine")
    files_from = None if quarantine is None else quarantine.start(day)
    gone: list[str] = []
    folder = project.resolve(QUARANTINE_DIR, key="quarantine")
    if files_from is not None and folder.is_dir():
        boundary = datetime.combine(files_from, time(), tzinfo=UTC).timestamp()
        for path in sorted(folder.iterdir()):
            if path.is_file() and path.stat().st_mtime < boundary:
                gone.append(path.name)
                if not dry_run:
                    path.unlink()
    return Purge(dry_run, kept_from, counts, files_from, gone)


def within_retention(
    project: Project, source: str, frame: nw.LazyFrame[Any], as_of: date
) -> tuple[nw.LazyFrame[Any], date | None]:
    """``frame`` without the rows dated before ``source``'s retention, and the first day kept."""
    period = project.config.retention.get(source)
    if period is None:
        return frame, None
    first = period.start(as_of)
    return frame.filter(nw.col("timestamp") >= datetime.combine(first, time())), first


def note_retention(
    report: QualityReport, frame: nw.LazyFrame[Any], first: date, period: Any
) -> None:
    """Say in the source's quality report how many rows were past retention."""
    before = frame.filter(nw.col("timestamp") < datetime.combine(first, time()))
    left_out = int(before.select(nw.len()).collect().item())
    if left_out:
        report.notes.append(
            f"{left_out:,} rows dated before {first} left out: past retention ({period})"
        )
