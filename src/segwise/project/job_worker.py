"""The child process of a service-started run: run the project, report through a file.

``python -m segwise.project.job_worker PROJECT_FILE STATUS_FILE [--as-of DATE]``
"""

from __future__ import annotations

import argparse
import os
from datetime import datetime
from pathlib import Path

from segwise.exceptions import SegwiseError
from segwise.project.jobs import write_status
from segwise.project.pipeline import Project


def main(argv: list[str] | None = None) -> int:
    """Run the project and keep the status file current; 0 on success, 1 on failure."""
    parser = argparse.ArgumentParser(prog="segwise.project.job_worker")
    parser.add_argument("project")
    parser.add_argument("status")
    parser.add_argument("--as-of", default=None)
    args = parser.parse_args(argv)
    status = Path(args.status)
    job_id = status.stem
    started = datetime.now().isoformat(timespec="seconds")
    common = {"job_id": job_id, "started_at": started, "pid": os.getpid()}

    def step(message: str) -> None:
        write_status(status, **common, state="running", step=message)

    step("Starting")
    try:
        result = Project.from_yaml(args.project).run(as_of=args.as_of, progress=step)
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


def _now() -> str:
    return datetime.now().isoformat(timespec="seconds")


if __name__ == "__main__":
    raise SystemExit(main())
