"""One run of a project, under the store's lock: read, segment, publish; or record the failure.

:meth:`Project.run <segwise.project.Project.run>` and ``refresh`` take the
lock and call :func:`run_holding_the_lock`. A run that fails is recorded in
the store with its error, so ``segwise runs`` shows it and the next run says
how long ago the last good one was.
"""

from __future__ import annotations

import contextlib
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from segwise.engine.failures import engine_failure, is_engine_error
from segwise.engine.sessions import check_engine
from segwise.engine.spark_cache import released_caches
from segwise.exceptions import SegwiseError
from segwise.project.fingerprints import source_fingerprints
from segwise.project.ingest import check_sources_on, prepare, remove_stale_temp_files
from segwise.project.publish import RunResult, publish
from segwise.project.segmentations import run_segmentations

if TYPE_CHECKING:
    from collections.abc import Callable

    from segwise.project.pipeline import Project


def run_holding_the_lock(
    project: Project,
    as_of: str | date | None,
    engine: str | None,
    step: Callable[[str], None],
    spark: Any = None,
) -> RunResult:
    """Run every segmentation, store the run and write its report (the caller holds the lock)."""
    remove_stale_temp_files(project)
    started = datetime.now()
    # A session that outlives the run (a notebook, the service) must not keep its caches.
    with released_caches():
        try:
            engine_name = check_engine(engine or project.config.engine_name)
            if engine_name != "spark":
                check_sources_on(project, engine_name)
            # Taken before reading: a source changing during the run is seen by the next refresh.
            fingerprints = source_fingerprints(project)
            inputs, quality = prepare(project, as_of, engine_name, step, spark)
            results = run_segmentations(project.config, inputs, step)
            return publish(
                project,
                inputs,
                quality,
                results,
                engine=engine_name,
                started=started,
                step=step,
                fingerprints=fingerprints,
            )
        except Exception as exc:
            _record_failure(project, started, as_of, exc)
            raise


def _record_failure(
    project: Project, started: datetime, as_of: str | date | None, exc: Exception
) -> None:
    if isinstance(exc, SegwiseError):
        error = exc.one_line()
    elif is_engine_error(exc):
        error = engine_failure(exc)  # `segwise runs` shows one line, as the CLI printed it
    else:
        error = f"{type(exc).__name__}: {exc}"
    # A store too damaged to take the record must not hide the run's own error.
    with contextlib.suppress(Exception):
        project.store.record_failure(
            started_at=started,
            as_of=None if as_of is None else str(as_of),
            config_hash=project.config_hash,
            error=error,
        )
