"""The child process of a service-started run or sync: do it, report through a file.

``python -m segwise.project.job_worker PROJECT_FILE STATUS_FILE [--as-of DATE]``
``python -m segwise.project.job_worker PROJECT_FILE STATUS_FILE --sync [--destination NAME]``
"""

from __future__ import annotations

import argparse
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from segwise.exceptions import SegwiseError
from segwise.project.jobs import write_status
from segwise.project.pipeline import Project


def main(argv: list[str] | None = None) -> int:
    """Run the project and keep the status file current; 0 on success, 1 on failure."""
    parser = argparse.ArgumentParser(prog="segwise.project.job_worker")
    parser.add_argument("project")
    parser.add_argument("status")
    parser.add_argument("--as-of", default=None)
    parser.add_argument("--sync", action="store_true")
    parser.add_argument("--destination", default=None)
    args = parser.parse_args(argv)
    status = Path(args.status)
    job_id = status.stem
    started = datetime.now().isoformat(timespec="seconds")
    kind = "sync" if args.sync else "run"
    common = {"job_id": job_id, "started_at": started, "pid": os.getpid(), "kind": kind}

    def step(message: str) -> None:
        write_status(status, **common, state="running", step=message)

    step("Starting")
    try:
        project = Project.from_yaml(args.project)
        if args.sync:
            summary, error = _sync(project, args.destination, step)
            state = "failed" if error else "succeeded"
            write_status(status, **common, state=state, step="Done", summary=summary,
                         error=error, finished_at=_now())  # fmt: skip
            return 1 if error else 0
        result = project.run(as_of=args.as_of, progress=step)
    except SegwiseError as exc:
        write_status(status, **common, state="failed", error=exc.one_line(), finished_at=_now())
        return 1
    except Exception as exc:  # noqa: BLE001 - a bug still ends as a failed job, with its type
        error = f"internal error ({type(exc).__name__}): {exc}"
        write_status(status, **common, state="failed", error=error, finished_at=_now())
        return 1
    write_status(
        status,
        **common,
        state="succeeded",
        step="Done",
        run_id=result.run_id,
        finished_at=_now(),
    )
    return 0


def _sync(
    project: Project, destination: str | None, step: Any
) -> tuple[dict[str, Any], str | None]:
    """``segwise sync``: the destinations, then the triggers; a summary, and what failed."""
    from segwise.project.sync import sync_destinations  # noqa: PLC0415 - only for syncs
    from segwise.project.triggers import fire_triggers  # noqa: PLC0415

    synced = sync_destinations(project, destination=destination, progress=step)
    fired = fire_triggers(project, destination=destination, progress=step)
    summary = {
        "destinations": [{k: v for k, v in r.to_dict().items() if k != "segments"} for r in synced],
        "triggers": [t.to_dict() for t in fired],
    }
    parked = [r.plan.destination for r in synced if r.failed_batches or r.earlier_failed]
    parked += [t.destination for t in fired if t.failed_batches]
    if not parked:
        return summary, None
    names = ", ".join(dict.fromkeys(parked))
    return summary, (
        f"some webhook batches could not be delivered to {names}; they are kept and the "
        "next sync sends them first"
    )


def _now() -> str:
    return datetime.now().isoformat(timespec="seconds")


if __name__ == "__main__":
    raise SystemExit(main())
