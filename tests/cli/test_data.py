"""The data commands say what they left out: the quality report's counts, on stderr."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

import segwise as sw
from segwise.cli.app import app
from segwise.io.dataset import Dataset

if TYPE_CHECKING:
    from pathlib import Path

ROWS = [
    "customer_id,date,amount",
    *(f"c{k % 7},2024-0{1 + k % 6}-1{k % 9},{10 + k}" for k in range(40)),
    ",2024-03-01,12",  # no customer id
    "c1,2024-02-30,8",  # no such day
    "c2,2024-03-03,twelve",  # not a number
]


@pytest.fixture
def orders(tmp_path: Path) -> Path:
    path = tmp_path / "orders.csv"
    path.write_text("\n".join(ROWS) + "\n")
    return path


@pytest.mark.parametrize("command", ["rfm", "summary", "features"])
def test_a_data_command_counts_the_rows_it_left_out(command: str, orders: Path) -> None:
    # `segwise rfm orders.csv` scored the 40 good rows and said nothing of the other three.
    result = CliRunner().invoke(app, [command, str(orders)])
    assert result.exit_code == 0, result.output
    notes = [line for line in result.stderr.splitlines() if "rows left out" in line]
    assert len(notes) == 1, result.stderr
    assert notes[0].startswith(f"note: {orders}: 3 of 43 rows left out (")
    for reason in ("no customer id: 1", "amount is not a number: 1", "cannot be read as a date"):
        assert reason in notes[0]
    assert f"segwise quality {orders}, with the same options" in notes[0]


@pytest.mark.parametrize("options", [[], ["--as-of", "2024-04-30"], ["--preset", "pymc"]])
def test_a_clean_file_gets_no_note(
    options: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clean = tmp_path / "clean.csv"
    clean.write_text("\n".join(ROWS[:-3]) + "\n")
    counts: list[str] = []
    counted = Dataset.exclusions
    monkeypatch.setattr(Dataset, "exclusions", lambda self: counts.append("") or counted(self))
    result = CliRunner().invoke(app, ["rfm", str(clean), *options])
    assert result.exit_code == 0, result.output
    assert "left out" not in result.stderr
    # The metrics' own pass counted every row: the file is not read again to say so (an
    # as-of date leaves the later rows uncounted: then it is, and finds none left out).
    assert len(counts) == (1 if "--as-of" in options else 0)


def test_the_quick_count_is_the_quality_reports(orders: Path) -> None:
    dataset = sw.read_transactions(orders)
    read, excluded = dataset.exclusions()
    report = sw.read_transactions(orders).quality()
    assert read == report.rows_read == 43
    assert excluded == {reason: rows for reason, rows in report.excluded.items() if rows}


@pytest.mark.realdata
def test_online_retail_says_a_quarter_of_its_rows_have_no_customer(shared_data: Path) -> None:
    source = shared_data / "online_retail_uci.csv.gz"
    result = CliRunner().invoke(app, ["rfm", str(source), "--json"])
    assert result.exit_code == 0, result.stderr
    assert (
        f"note: {source}: 135,120 of 541,909 rows left out (no customer id: 135,080; unit "
        "price is zero or negative: 40)" in result.stderr
    )
