"""segwise refresh runs a project only when a source or the project file changed."""

from __future__ import annotations

import gzip
import json
import os
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from segwise.cli.app import app
from segwise.project import Project
from segwise.project.fingerprints import file_fingerprint, what_changed
from tests.project.demo import keep_segmentations

if TYPE_CHECKING:
    from pathlib import Path

runner = CliRunner()


def _flip_one_byte(path: Path) -> None:
    """Change one character of the last line's amount, keeping size and time."""
    stat = path.stat()
    raw = path.read_bytes()
    text = gzip.decompress(raw) if path.suffix == ".gz" else raw
    last = text.rstrip(b"\n").rfind(b"\n") + 1
    digit = next(i for i in range(len(text) - 1, last, -1) if text[i : i + 1].isdigit())
    changed = text[:digit] + (b"1" if text[digit : digit + 1] != b"1" else b"2") + text[digit + 1 :]
    path.write_bytes(gzip.compress(changed, mtime=0) if path.suffix == ".gz" else changed)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_refresh_runs_once_then_waits_for_a_change(tmp_path: Path) -> None:
    folder = tmp_path / "shop"
    keep_segmentations(Project.init(folder), "value")  # any one segmentation: runs are quick
    first = runner.invoke(app, ["refresh", str(folder), "--json"])
    assert first.exit_code == 0, first.stderr
    assert json.loads(first.stdout)["ran"] is True
    assert json.loads(first.stdout)["reason"] == "no run is stored yet"

    again = runner.invoke(app, ["refresh", str(folder)])
    assert again.exit_code == 0, again.stderr
    assert again.stdout.startswith("up to date")
    project = Project.from_yaml(folder)
    assert project.store.runs().height == 1

    orders = project.resolve(project.config.sources.transactions.path)
    _flip_one_byte(orders)
    changed = runner.invoke(app, ["refresh", str(folder), "--json"])
    assert changed.exit_code == 0, changed.stderr
    shown = json.loads(changed.stdout)
    assert shown["ran"] is True
    assert shown["reason"].startswith("source 'transactions' changed (")
    assert "sha256" in shown["reason"]
    assert shown["run"]["run_id"] == 2


def test_a_failed_refresh_exits_1(tmp_path: Path) -> None:
    folder = tmp_path / "shop"
    Project.init(folder)
    project = Project.from_yaml(folder)
    project.resolve(project.config.sources.transactions.path).write_text("")
    failed = runner.invoke(app, ["refresh", str(folder)])
    assert failed.exit_code == 1
    assert failed.stderr.startswith("error:")


def test_fingerprints_see_size_content_and_time(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_bytes(b"x" * (3 << 20))
    before = file_fingerprint(path)
    _flip_one_byte_at(path, (3 << 20) - 10)  # in the last MiB: the hash sees it
    after = file_fingerprint(path)
    assert before["size"] == after["size"] and before["sha256"] != after["sha256"]
    assert what_changed({"transactions": before}, {"transactions": after}, config_changed=False)
    assert (
        what_changed({"transactions": before}, {"transactions": before}, config_changed=False)
        is None
    )
    assert what_changed(
        {"transactions": before}, {"transactions": before}, config_changed=True
    ) == ("the project file changed")


def _flip_one_byte_at(path: Path, offset: int) -> None:
    with path.open("r+b") as handle:
        handle.seek(offset)
        handle.write(b"y")


@pytest.mark.parametrize("missing", ["transactions", "customers"])
def test_a_new_or_removed_source_is_a_change(missing: str) -> None:
    both = {"transactions": {"size": 1}, "customers": {"size": 2}}
    one = {k: v for k, v in both.items() if k != missing}
    assert what_changed(one, both, config_changed=False) == f"source '{missing}' is new"
    assert what_changed(both, one, config_changed=False) == f"source '{missing}' was removed"


def test_the_exposure_log_is_checked_by_a_run_but_changes_no_fingerprint(
    experiment_copy: Path,
) -> None:
    import segwise as sw
    from segwise.project.fingerprints import source_fingerprints

    project = sw.Project.from_yaml(experiment_copy)
    before = source_fingerprints(project)
    assert "exposures" not in before
    log = experiment_copy.parent / "exposures.csv"
    log.write_text(log.read_text() + "c-new,control,free-shipping,2024-12-30 10:00:00\n")
    assert source_fingerprints(project) == before  # no refresh, the feature cache stays
    result = project.run()
    assert "exposures" in {report.kind for report in result.quality}


def test_a_folder_of_parquet_parts_is_refreshed_when_a_part_lands(tmp_path: Path) -> None:
    import polars as pl

    def month(number: int) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "customer_id": [f"c{(number * 5 + i) % 40}" for i in range(120)],
                "order_date": [f"2024-{number:02d}-{1 + i % 28:02d}" for i in range(120)],
                "amount": [float(10 + (i * 7) % 90) for i in range(120)],
                "order_id": [f"o{number}-{i}" for i in range(120)],
            }
        )

    exports = tmp_path / "orders"
    for number in range(1, 7):
        (exports / f"month={number}").mkdir(parents=True)
        month(number).write_parquet(exports / f"month={number}" / "part-0.parquet")
    folder = tmp_path / "shop"
    made = runner.invoke(app, ["init", str(folder), "--transactions", str(exports)])
    assert made.exit_code == 0, made.output
    keep_segmentations(folder / "segwise.yaml", "value")
    first = runner.invoke(app, ["refresh", str(folder), "--json"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["run"]["customers"] == 40
    before = file_fingerprint(exports)
    again = runner.invoke(app, ["refresh", str(folder)])
    assert again.stdout.startswith("up to date"), again.output

    (exports / "month=7").mkdir()
    month(7).write_parquet(exports / "month=7" / "part-0.parquet")
    assert file_fingerprint(exports)["files_sha256"] != before["files_sha256"]
    changed = runner.invoke(app, ["refresh", str(folder), "--json"])
    assert changed.exit_code == 0, changed.output
    shown = json.loads(changed.stdout)
    assert shown["ran"] is True
    assert shown["reason"].startswith("source 'transactions' changed (")
    runs = Project.from_yaml(folder).store.runs()
    assert runs.height == 2


def test_a_folder_of_exports_changes_with_its_exports_only(tmp_path: Path) -> None:
    (tmp_path / "orders-01.csv").write_text("customer_id,date,amount\n1,2024-01-02,5\n")
    before = file_fingerprint(tmp_path)
    (tmp_path / "orders-01.quarantine.csv").write_text("reason\n")  # segwise's own output
    (tmp_path / "_SUCCESS").write_text("")
    assert file_fingerprint(tmp_path) == before
    (tmp_path / "orders-02.csv").write_text("customer_id,date,amount\n2,2024-02-02,7\n")
    after = file_fingerprint(tmp_path)
    assert after["size"] > before["size"]
    assert after["files_sha256"] != before["files_sha256"]
