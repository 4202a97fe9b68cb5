"""`segwise serve`: a real uvicorn server on 127.0.0.1, JSON logs, a clean stop on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str, key: str | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(url)
    if key is not None:
        request.add_header("Authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_a_real_server_answers_and_stops_cleanly(
    served_project: tuple[Path, dict[str, str]],
) -> None:
    config, keys = served_project
    port = _port()
    command = [sys.executable, "-m", "segwise", "serve", str(config), "--port", str(port)]
    server = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy()
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if _get(base + "/health")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        assert _get(base + "/api/v1/runs")[0] == 401
        urls = [base + "/api/v1/segmentations/lifecycle/segments/VIP/members"] * 20
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda u: _get(u, keys["editor"]), urls))
        assert {code for code, _ in answers} == {200}
        assert len({tuple(body["members"]) for _, body in answers}) == 1
    finally:
        server.send_signal(signal.SIGTERM)
        _, stderr = server.communicate(timeout=60)
    # uvicorn finishes the requests in flight and the app's shutdown, then re-raises SIGTERM
    # so the exit status says how it ended; "service stopped" proves the shutdown ran.
    assert server.returncode in (0, -signal.SIGTERM)
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    messages = [line["message"] for line in lines]
    assert messages[0] == "service started"
    assert messages[-1] == "service stopped"
    assert sum(m == "request" for m in messages) >= 21
    for key in keys.values():
        assert key not in stderr
