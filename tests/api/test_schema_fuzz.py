"""schemathesis against the OpenAPI schema of a live server: no 500s, no schema violations.

A bounded, seeded run (so CI time stays fixed) of every operation but
``POST /runs`` (each example would start a whole run), with an editor's key
on a private copy of the demo project: definitions it writes land in the copy.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import uvicorn

from segwise.api import Settings, create_app
from tests.api.ui.test_views import _port

CHECKS = ",".join(
    [
        "not_a_server_error",
        "response_schema_conformance",
        "status_code_conformance",
        "content_type_conformance",
    ]
)


def test_the_api_keeps_its_schema_under_fuzzing(
    project_copy: Path, served_project: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    port = _port()
    app = create_app(Settings(project=project_copy, rate_limit=1_000_000))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    runner = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    assert runner is not None
    try:
        done = subprocess.run(
            [
                runner,
                "run",
                f"http://127.0.0.1:{port}/openapi.json",
                "-H",
                f"Authorization: Bearer {served_project[1]['editor']}",
                "--checks",
                CHECKS,
                "--max-examples",
                "8",
                "--seed",
                "1",
                "--phases",
                "examples,coverage,fuzzing",
                "--exclude-path",
                "/api/v1/runs",
                "--no-color",
            ],
            capture_output=True,
            text=True,
            timeout=600,
            cwd=tmp_path,
            check=False,
        )
    finally:
        server.should_exit = True
        thread.join(timeout=30)
    tail = "\n".join(done.stdout.splitlines()[-40:])
    assert done.returncode == 0, tail
    assert " passed" in done.stdout
