"""The CLI skeleton: version, quality outputs, demo and init."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from segwise import __version__
from segwise.cli.app import app
from segwise.datasets import sample_paths
from segwise.store import Workspace

runner = CliRunner()


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"segwise {__version__}"


def test_quality_json_on_the_sample(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "quality",
            str(sample_paths()["orders"]),
            "--json",
            "--quarantine",
            str(tmp_path / "q.parquet"),
        ],
    )
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["rows_read"] == report["rows_used"] + report["rows_quarantined"]
    assert report["rows_quarantined"] > 0
    quarantine = pl.read_parquet(tmp_path / "q.parquet")
    assert quarantine.height == report["rows_quarantined"]
    assert set(quarantine["reason"]) <= set(report["excluded"])


@pytest.mark.parametrize("suffix", [".json", ".html", ".csv", ".parquet"])
def test_output_format_follows_the_extension(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"report{suffix}"
    result = runner.invoke(
        app, ["quality", str(sample_paths()["customers"]), "--kind", "customers", "-o", str(out)]
    )
    assert result.exit_code == 0, result.stderr
    assert out.exists()
    if suffix == ".json":
        assert json.loads(out.read_text())["kind"] == "customers"
    elif suffix == ".html":
        assert "5,000" in out.read_text()
    else:
        table = pl.read_csv(out) if suffix == ".csv" else pl.read_parquet(out)
        assert dict(zip(table["measure"], table["value"], strict=True))["rows_read"] == 5000


def test_unknown_output_extension_is_a_user_error(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "quality",
            str(sample_paths()["customers"]),
            "--kind",
            "customers",
            "-o",
            str(tmp_path / "r.xyz"),
        ],
    )
    assert result.exit_code == 1
    assert ".xyz" in result.stderr and not (tmp_path / "r.xyz").exists()


def test_events_kind(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["quality", str(sample_paths()["events"]), "--kind", "events", "--json"]
    )
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["columns"] == {"customer_id": "user_id", "timestamp": "ts", "event": "event"}


def test_a_customer_tables_date_pattern_is_given_on_the_command_line(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text("id,renewal\n" + "".join(f"p{i},0{1 + i % 9}/0{1 + i % 7}/2024\n"
                                            for i in range(40)))  # fmt: skip
    guessed = subprocess.run(
        [sys.executable, "-m", "segwise", "quality", str(path), "--kind", "customers", "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert guessed.returncode == 0 and "--date-format-of on segwise quality" in guessed.stderr
    given = runner.invoke(
        app,
        ["quality", str(path), "--kind", "customers", "--json",
         "--date-format-of", "renewal=%m/%d/%Y"],
    )  # fmt: skip
    assert given.exit_code == 0 and "warning" not in given.stderr
    notes = json.loads(given.stdout)["notes"]
    assert "column 'renewal' read as dates with the pattern %m/%d/%Y" in notes
    bad = runner.invoke(app, ["quality", str(path), "--kind", "customers",
                              "--date-format-of", "renewal"])  # fmt: skip
    assert bad.exit_code == 1 and "is not COLUMN=PATTERN" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_demo_writes_a_self_contained_report(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "--out", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.stderr
    html = (tmp_path / "demo" / "report.html").read_text()
    assert html.count('class="card quality"') == 3
    assert "<script src=" not in html and "<link " not in html
    assert "report:" in result.stdout
    assert (tmp_path / "demo" / "quarantine" / "transactions.quarantine.csv").exists()
    # Every method is present, each with its segment cards.
    for method in ("rfm", "rules", "cluster", "clv"):
        assert f'<span class="method">{method}</span>' in html
    store = Workspace(tmp_path / "demo" / "segwise.duckdb")
    sizes = store.segments()
    assert html.count('class="segment-card"') == sizes.height
    for segmentation, segment in sizes.select("segmentation", "segment").iter_rows():
        assert f'data-segment="{segment}"'.replace("'", "&#39;") in html, (segmentation, segment)
    assert "Lost" in result.stdout  # the largest RFM segment of the sample, by name
    assert "lifetime value backtest" in html


def test_init_scaffolds_a_project(tmp_path: Path) -> None:
    project = tmp_path / "shop"
    result = runner.invoke(app, ["init", str(project)])
    assert result.exit_code == 0, result.stderr
    config = (project / "segwise.yaml").read_text()
    assert "data/orders.csv.gz" in config
    for method in ("rfm", "rules", "cluster", "clv"):
        assert f"method: {method}" in config
    for path in sample_paths().values():
        assert (project / "data" / path.name).read_bytes() == path.read_bytes()
    again = runner.invoke(app, ["init", str(project)])
    assert again.exit_code == 1 and "--force" in again.stderr


def test_init_given_a_data_file_says_how_to_write_a_project_for_it(tmp_path: Path) -> None:
    orders = tmp_path / "orders.csv.gz"
    orders.write_bytes(sample_paths()["orders"].read_bytes())
    result = runner.invoke(app, ["init", str(orders)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: {orders}: is a file, not a folder. Run `segwise init my-project "
        f"--transactions {orders}` to write a project for this data."
    ]
    notes = tmp_path / "notes"
    notes.write_text("not data")
    assert "Choose a new folder name" in runner.invoke(app, ["init", str(notes)]).stderr


def test_the_installed_script_is_quiet_in_pipes(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("segwise")
    done = subprocess.run(
        [str(script), "quality", str(sample_paths()["customers"]), "--kind", "customers"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    assert done.stderr == ""  # no progress bar when stderr is not a terminal
    assert "rows read" in done.stdout


def test_several_files_give_one_report_each(tmp_path: Path) -> None:
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text("customer_id,order_date,amount\n1,2024-01-01,3\n")
    second.write_text("customer_id;order_date;amount\n1;2024-01-01;3\n;2024-01-02;4\n")
    result = runner.invoke(app, ["quality", str(first), str(second), "--json", "--no-quarantine"])
    assert result.exit_code == 0, result.stderr
    reports = json.loads(result.stdout)
    assert [r["rows_read"] for r in reports] == [1, 2]
    assert [r["rows_quarantined"] for r in reports] == [0, 1]


def test_progress_shows_on_a_terminal(tmp_path: Path) -> None:
    """Under a pseudo-terminal the spinner names its steps (it is silent in pipes, above)."""
    import shutil

    if shutil.which("script") is None:
        pytest.skip("needs util-linux `script` to run under a pseudo-terminal")
    segwise = Path(sys.executable).with_name("segwise")
    command = f"{segwise} quality {sample_paths()['orders']} --no-quarantine"
    done = subprocess.run(
        ["script", "-qec", command, "/dev/null"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "TERM": "xterm", "COLUMNS": "120"},
    )
    assert "Reading" in done.stdout or "Checking" in done.stdout
    assert "rows read" in done.stdout
