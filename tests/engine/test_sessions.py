"""Engine sessions: the demo project through a Spark Connect server the test starts.

Clusters (Databricks, EMR, a ``start-connect-server.sh``) are reached as Spark Connect
clients; this runs the same client/server path on loopback. The run is a
``segwise run`` subprocess: a Connect client switches the whole Python process into
Connect mode, which the other Spark tests (classic sessions) must not inherit.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl
import pytest

from segwise.exceptions import ConfigError
from segwise.project import Project

if TYPE_CHECKING:
    from collections.abc import Iterator

SEGWISE = Path(sys.executable).with_name("segwise")
STARTUP_S = 180


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def connect_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A local Spark Connect server on a free port (skipped with a reason where it cannot run)."""
    if shutil.which("java") is None:
        pytest.skip("Spark Connect needs Java on PATH")
    pyspark = pytest.importorskip("pyspark", reason="Spark tests need the segwise[spark] extra")
    pytest.importorskip("grpc", reason="Spark Connect needs the segwise[spark] extra (grpcio)")
    home = Path(pyspark.__file__).parent
    if not any((home / "jars").glob("spark-connect_*.jar")):
        pytest.skip(f"pyspark {pyspark.__version__} ships no Connect server (Spark 4 does)")
    logs = tmp_path_factory.mktemp("spark-connect")
    port = _free_port()
    env = {
        **os.environ,
        "SPARK_HOME": str(home),
        "SPARK_LOG_DIR": str(logs),
        "SPARK_PID_DIR": str(logs),
        "PYSPARK_PYTHON": sys.executable,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    command = [
        "bash",
        str(home / "sbin" / "start-connect-server.sh"),
        "--wait",
        "--master",
        "local[2]",
        "--driver-memory",
        "1g",
        *("--conf", f"spark.connect.grpc.binding.port={port}"),
        *("--conf", "spark.ui.enabled=false"),
        *("--conf", "spark.sql.shuffle.partitions=2"),
    ]
    log = logs / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + STARTUP_S
        while not _listening(port):
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the Spark Connect server did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        yield f"sc://127.0.0.1:{port}"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


def _project(folder: Path, engine: str) -> Path:
    Project.init(folder)
    config = folder / "segwise.yaml"
    text = config.read_text()
    assert "\nengine: polars" in text
    config.write_text(text.replace("\nengine: polars", f"\nengine: {engine}", 1))
    return config


@pytest.mark.spark
def test_demo_project_through_spark_connect_gives_the_polars_memberships(
    connect_url: str, served_project: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    written = tmp_path / "lake" / "memberships"
    remote = _project(
        tmp_path / "remote",
        f'{{spark: {{remote: "{connect_url}", memberships: {{path: "{written}"}}}}}}',
    )
    # The events are read by the server where they lie, as a cluster reads object storage.
    events = tmp_path / "remote" / "data" / "events.parquet"
    text = remote.read_text()
    assert "    path: data/events.parquet\n" in text
    remote.write_text(
        text.replace("    path: data/events.parquet\n", f"    warehouse: {{path: '{events}'}}\n")
    )
    done = subprocess.run(
        [str(SEGWISE), "run", str(remote), "--json"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Warning" not in done.stderr, done.stderr[-3000:]  # PySpark's pandas notice is not ours
    # The same demo, run on Polars by the session's shared fixture.
    through_connect = Project.from_yaml(remote).store.memberships()
    on_polars = Project.from_yaml(served_project[0]).store.memberships()
    assert through_connect.height == on_polars.height > 0
    assert through_connect.equals(on_polars)
    # And the memberships were written back, as files partitioned by run, by the server.
    back = pl.scan_parquet(written / "**" / "*.parquet", hive_partitioning=True).collect()
    assert back["run_id"].unique().to_list() == [1]
    ordered = back.select("segmentation", "customer_id", "segment").sort(
        "segmentation", "customer_id", "segment"
    )
    expected = on_polars.select("segmentation", "customer_id", "segment").sort(
        "segmentation", "customer_id", "segment"
    )
    assert ordered.equals(expected)


def test_master_and_remote_are_one_or_the_other(tmp_path: Path) -> None:
    both = _project(tmp_path, '{spark: {master: "local[2]", remote: "sc://host:15002"}}')
    with pytest.raises(ConfigError, match="master or remote, not both"):
        Project.from_yaml(both)
    (tmp_path / "segwise.yaml").write_text(
        both.read_text().replace('master: "local[2]", remote: "sc://host:15002"', 'remote: "h:1"')
    )
    with pytest.raises(ConfigError, match=r"remote must be a Spark Connect URL like sc://"):
        Project.from_yaml(both)
