"""Bad input: exit 1, one line naming file/column/row, no traceback, no output file."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from segwise.cli.app import app

if TYPE_CHECKING:
    from pathlib import Path

runner = CliRunner()


def _run(tmp_path: Path, *args: str) -> tuple[int, str, Path]:
    out = tmp_path / "report.json"
    result = runner.invoke(
        app, ["quality", *args, "-o", str(out), "--quarantine", str(tmp_path / "q.csv")]
    )
    return result.exit_code, result.stderr, out


def _assert_clean_failure(
    tmp_path: Path, code: int, stderr: str, out: Path, *fragments: str
) -> None:
    assert code == 1
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in stderr
    for fragment in fragments:
        assert fragment in lines[0]
    assert not out.exists()
    assert not (tmp_path / "q.csv").exists()
    assert not list(tmp_path.glob(".*.tmp"))


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("")
    _assert_clean_failure(tmp_path, *_run(tmp_path, str(path)), str(path), "empty")


def test_header_only(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("customer_id,order_date,amount\n")
    _assert_clean_failure(tmp_path, *_run(tmp_path, str(path)), str(path), "no data rows")


def test_missing_required_column_with_hint(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("CustmerID,order_date,amount\n1,2024-01-01,3\n")
    code, stderr, out = _run(tmp_path, str(path))
    _assert_clean_failure(
        tmp_path, code, stderr, out, str(path), "no customer id column", "'CustmerID'"
    )
    assert "did you mean" in stderr.lower()


def test_named_column_that_does_not_exist(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("customer_id,order_date,amount\n1,2024-01-01,3\n")
    code, stderr, out = _run(tmp_path, str(path), "--amount-col", "amout")
    _assert_clean_failure(tmp_path, code, stderr, out, "column 'amout'", "'amount'")


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_bytes(bytes(range(256)) * 40)
    _assert_clean_failure(tmp_path, *_run(tmp_path, str(path)), str(path), "binary")


def test_parquet_with_a_csv_name(tmp_path: Path) -> None:
    import polars as pl

    path = tmp_path / "orders.csv"
    pl.DataFrame({"a": [1]}).write_parquet(path)
    _assert_clean_failure(tmp_path, *_run(tmp_path, str(path)), "Parquet", ".parquet extension")


def test_wrong_delimiter(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("customer_id;order_date;amount\n1;2024-01-01;3\n")
    code, stderr, out = _run(tmp_path, str(path), "--delimiter", ",")
    _assert_clean_failure(tmp_path, code, stderr, out, str(path), "--delimiter ';'")


def test_every_timestamp_unparseable(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("customer_id,order_date,amount\n1,soon,3\n2,later,4\n")
    code, stderr, out = _run(tmp_path, str(path))
    _assert_clean_failure(
        tmp_path, code, stderr, out, str(path), "column 'order_date'", "'soon'", "--date-format"
    )


def test_every_timestamp_unparseable_with_a_given_format(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("customer_id,order_date,amount\n1,2024-01-01,3\n2,2024-01-02,4\n")
    code, stderr, out = _run(tmp_path, str(path), "--date-format", "%d/%m/%Y")
    _assert_clean_failure(
        tmp_path, code, stderr, out, "column 'order_date'", "row 1", "'2024-01-01'"
    )


def test_every_amount_non_numeric(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("customer_id,order_date,amount\n1,2024-01-01,lots\n2,2024-01-02,few\n")
    code, stderr, out = _run(tmp_path, str(path))
    _assert_clean_failure(
        tmp_path, code, stderr, out, str(path), "column 'amount'", "row 1", "'lots'", "--amount-col"
    )


def test_directory(tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    _assert_clean_failure(tmp_path, *_run(tmp_path, str(folder)), str(folder), "directory")


def test_missing_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    _assert_clean_failure(tmp_path, *_run(tmp_path, str(missing)), str(missing), "no such file")


def test_bad_option_value_is_a_user_error(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("customer_id,order_date,amount\n1,2024-01-01,3\n")
    code, stderr, out = _run(tmp_path, str(path), "--returns", "nett")
    _assert_clean_failure(tmp_path, code, stderr, out, "returns", "'net'")


def test_usage_error_exits_2() -> None:
    result = runner.invoke(app, ["quality"])
    assert result.exit_code == 2


def test_partly_bad_file_is_read_and_quarantined(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(
        "customer_id,order_date,amount\n1,2024-01-01,3\n,2024-01-02,4\n3,never,5\n4,2024-01-04,x\n"
    )
    out = tmp_path / "report.json"
    result = runner.invoke(
        app, ["quality", str(path), "-o", str(out), "--quarantine", str(tmp_path / "q.csv")]
    )
    assert result.exit_code == 0, result.stderr
    import json

    report = json.loads(out.read_text())
    assert (report["rows_read"], report["rows_used"], report["rows_quarantined"]) == (4, 1, 3)
    quarantine = (tmp_path / "q.csv").read_text().splitlines()
    assert quarantine[0].startswith("row,reason,")
    assert len(quarantine) == 4


@pytest.mark.slow
def test_large_file_streams_and_is_never_loaded_whole(tmp_path: Path) -> None:
    """The report scans the file; it never holds it in memory the way an eager read does.

    Memory is the peak of anonymous resident memory (RssAnon, sampled every
    few ms): file pages mapped by the reader are page cache, not the
    process's own memory, and ru_maxrss would count the parent's peak.
    """
    import subprocess
    import sys

    import numpy as np
    import polars as pl

    rng = np.random.default_rng(7)
    # Wide rows (a 200-character note) make the file, not the row count, the
    # thing an eager read must hold.
    n = 1_500_000
    big = tmp_path / "big.csv"
    pl.DataFrame(
        {
            "customer_id": rng.integers(0, 200_000, n).astype(str),
            "order_date": np.datetime_as_string(
                np.datetime64("2023-01-01T00:00:00")
                + rng.integers(0, 365 * 86_400, n).astype("timedelta64[s]")
            ),
            "amount": np.round(rng.gamma(2.0, 20.0, n), 2),
            "note": np.full(n, "x" * 200),
        }
    ).write_csv(big)
    script = (
        "import re, sys, threading, time\n"
        "peak = [0]\n"
        "def sample():\n"
        "    while True:\n"
        "        status = open('/proc/self/status').read()\n"
        "        peak[0] = max(peak[0], int(re.search(r'RssAnon:\\s+(\\d+)', status).group(1)))\n"
        "        time.sleep(0.003)\n"
        "threading.Thread(target=sample, daemon=True).start()\n"
        "import polars as pl, segwise as sw\n"
        "time.sleep(0.05)\n"
        "base = peak[0]\n"
        "if sys.argv[2] == 'segwise':\n"
        "    assert sw.read_transactions(sys.argv[1]).quality().rows_read == 1_500_000\n"
        "else:\n"
        "    assert pl.read_csv(sys.argv[1]).height == 1_500_000\n"
        "time.sleep(0.05)\n"
        "print(peak[0] - base)\n"
    )

    def extra_kib(how: str) -> int:
        done = subprocess.run(
            [sys.executable, "-c", script, str(big), how],
            capture_output=True,
            text=True,
            check=True,
        )
        return int(done.stdout.strip())

    size_kib = big.stat().st_size // 1024
    eager = extra_kib("eager")
    streamed = extra_kib("segwise")
    assert eager > size_kib  # the baseline really does load the file
    # Measured here: 375-387 MB for segwise against 651 MB for the eager read of this
    # 350 MB file; what remains is Polars' streaming CSV buffers and the distinct-row hashes.
    assert streamed < 0.8 * eager, (streamed, eager, size_kib)
