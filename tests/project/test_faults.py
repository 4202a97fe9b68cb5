"""Fault suite (issue 12): SIGKILL at random points, a full disk, a corrupted store.

After each fault, ``segwise runs`` and ``segwise members`` answer (or fail in
one line for a damaged store), and no partial run is ever visible.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import subprocess
import sys
import textwrap
from typing import TYPE_CHECKING

import duckdb
import pytest
from typer.testing import CliRunner

from segwise.cli.app import app
from segwise.project import Project
from tests.project.demo import keep_segmentations, pin_k

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

runner = CliRunner()

#: Progress steps of a run of the scaffolded project, in order.
POINTS = [
    "Reading the sources",
    "Checking data quality",
    "Building customer features",
    "Segmentation 'value' (rfm)",
    "Segmentation 'lifecycle' (rules)",
    "Segmentation 'behaviour' (cluster)",
    "Writing the report",
    "storing value",
    "storing behaviour",
]

KILL_AT_STEP = textwrap.dedent(
    """
    import os, signal, sys
    from segwise.project import Project

    def step(message):
        if message == sys.argv[2]:
            os.kill(os.getpid(), signal.SIGKILL)

    Project.from_yaml(sys.argv[1]).run(progress=step, as_of="2024-12-31")
    """
)

KILL_AFTER_COMMIT = textwrap.dedent(
    """
    import os, signal, sys
    from segwise.store import workspace

    original = workspace.Workspace.write_run

    def write_then_die(self, *args, **kwargs):
        original(self, *args, **kwargs)
        os.kill(os.getpid(), signal.SIGKILL)

    workspace.Workspace.write_run = write_then_die
    from segwise.project import Project

    Project.from_yaml(sys.argv[1]).run(as_of="2024-12-31")
    """
)


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("shop")
    # Three methods are enough points to kill at; the CLV fit and the search for the
    # clusters' k would only add seconds to each of the ten runs.
    pin_k(
        keep_segmentations(Project.init(folder), "value", "lifecycle", "behaviour"), "behaviour", 4
    )
    Project.from_yaml(folder).run()
    return folder


def _copy(first_run: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "shop"
    shutil.copytree(first_run, folder)
    return folder


def _assert_only_complete_runs(folder: Path) -> list[int]:
    listed = runner.invoke(app, ["runs", str(folder), "--json"])
    assert listed.exit_code == 0, listed.stderr
    runs = [row["run_id"] for row in json.loads(listed.stdout)]
    with duckdb.connect(str(folder / "segwise.duckdb"), read_only=True) as connection:
        # Intervals name only stored runs: a killed run leaves none of its own behind.
        spans = "SELECT from_run FROM membership_intervals UNION SELECT to_run FROM " + (
            "membership_intervals WHERE to_run IS NOT NULL"
        )
        stored = {r[0] for r in connection.execute(spans).fetchall()}
        segmented = {
            r[0] for r in connection.execute("SELECT DISTINCT run_id FROM segmentations").fetchall()
        }
    assert stored <= set(runs) == segmented
    assert 1 in stored
    for run in runs:
        members = runner.invoke(app, ["members", str(folder), "VIP", "--run", str(run), "--json"])
        assert members.exit_code == 0, members.stderr
        assert json.loads(members.stdout)
    return runs


@pytest.mark.parametrize("point", random.Random(2026).sample(POINTS, 4))
def test_sigkill_at_a_random_point_leaves_no_partial_run(
    first_run: Path, tmp_path: Path, point: str
) -> None:
    folder = _copy(first_run, tmp_path)
    killed = subprocess.run(
        [sys.executable, "-c", KILL_AT_STEP, str(folder / "segwise.yaml"), point],
        capture_output=True,
        text=True,
        check=False,
    )
    assert killed.returncode == -9, killed.stderr
    assert _assert_only_complete_runs(folder) == [1]
    assert (
        "Run 1" in (folder / "report.html").read_text()
        or "run 1" in (folder / "report.html").read_text()
    )
    # The next run cleans what the killed one left and is run 2.
    assert Project.from_yaml(folder).run(as_of="2024-12-31").run_id == 2
    assert not list(folder.glob(".report.html.*.tmp"))
    assert _assert_only_complete_runs(folder) == [1, 2]


def test_sigkill_after_the_commit_is_reported_by_runs(first_run: Path, tmp_path: Path) -> None:
    # Defect 22: the store has run 2 but the report still shows run 1; runs must say so.
    folder = _copy(first_run, tmp_path)
    killed = subprocess.run(
        [sys.executable, "-c", KILL_AFTER_COMMIT, str(folder / "segwise.yaml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert killed.returncode == -9, killed.stderr
    assert list(folder.glob(".report.html.*.tmp"))  # the killed run's litter
    assert _assert_only_complete_runs(folder) == [1, 2]
    shown = runner.invoke(app, ["runs", str(folder)])
    assert "run 2 is stored but its report was not written" in shown.stderr
    Project.from_yaml(folder).run()
    assert not list(folder.glob(".report.html.*.tmp"))


@contextlib.contextmanager
def _small_disk(where: Path, megabytes: int) -> Iterator[Path]:
    where.mkdir()
    if sys.platform != "linux" or os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root on Linux")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={megabytes}m", "tmpfs", str(where)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(
            f"this machine does not allow a tmpfs mount ({mounted.stderr.decode().strip()})"
        )
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


@pytest.mark.parametrize("free_kb", [300, 5_300], ids=["report cannot be written", "store"])
def test_full_disk_fails_in_one_line_and_keeps_the_last_run(
    first_run: Path, tmp_path: Path, free_kb: int
) -> None:
    with _small_disk(tmp_path / "disk", 40) as disk:
        folder = disk / "shop"
        shutil.copytree(first_run, folder)
        report_before = (folder / "report.html").read_bytes()
        usage = shutil.disk_usage(disk)
        filler = max(usage.free - free_kb * 1024, 0)
        with (disk / "filler").open("wb") as handle:
            handle.truncate(0)
            handle.write(b"\0" * filler)
        result = runner.invoke(app, ["run", str(folder), "--as-of", "2024-12-31"])
        assert "Traceback" not in result.stderr
        if free_kb < 1000:  # the 5 MB report cannot fit: the run must fail, cleanly
            assert result.exit_code == 1
            assert "No space left on device" in result.stderr
        if result.exit_code != 0:
            assert result.exit_code == 1
            lines = result.stderr.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
            assert (folder / "report.html").read_bytes() == report_before
        (disk / "filler").unlink()
        runs = _assert_only_complete_runs(folder)
        assert runs[0] == 1
        assert (folder / "report.html").read_text().rstrip().endswith("</html>")


def test_corrupted_store_fails_in_one_line(first_run: Path, tmp_path: Path) -> None:
    folder = _copy(first_run, tmp_path)
    store = folder / "segwise.duckdb"
    data = bytearray(store.read_bytes())
    for offset in range(4096 * 3, len(data), 4096 * 7):
        data[offset : offset + 512] = os.urandom(512)
    store.write_bytes(bytes(data))
    for command in (["runs", str(folder)], ["members", str(folder), "VIP"]):
        result = runner.invoke(app, command)
        assert "Traceback" not in result.stderr
        assert result.exception is None or isinstance(result.exception, SystemExit)
        if result.exit_code != 0:
            lines = result.stderr.strip().splitlines()
            assert result.exit_code == 1 and len(lines) == 1, result.stderr
    store.write_bytes(b"not a store at all")
    result = runner.invoke(app, ["runs", str(folder)])
    assert result.exit_code == 1
    assert "this is not a segwise store" in result.stderr
