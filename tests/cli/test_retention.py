"""`segwise retention`: the sBG fit of Fader & Hardie's cohorts, its projection and its errors."""

from __future__ import annotations

import itertools
import json
from typing import TYPE_CHECKING

import polars as pl
import pytest
from typer.testing import CliRunner

from segwise.cli.app import app
from tests.cli.refusals import assert_refused

if TYPE_CHECKING:
    from pathlib import Path

# Fader & Hardie (2007), "How to project customer retention", the two cohorts' survivors
# over the first seven years and the parameters they report for them.
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491]
PUBLISHED = {"regular": (0.704, 1.182), "high_end": (0.668, 3.806)}


@pytest.mark.parametrize(("cohort", "counts"), [("regular", REGULAR), ("high_end", HIGH_END)])
def test_retention_fits_the_published_cohorts(cohort: str, counts: list[int]) -> None:
    args = ["retention", ",".join(map(str, counts)), "--periods", "12", "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    alpha, beta = PUBLISHED[cohort]
    assert payload["params"]["alpha"] == pytest.approx(alpha, rel=0.005)
    assert payload["params"]["beta"] == pytest.approx(beta, rel=0.005)
    rows = payload["periods"]
    assert [r["period"] for r in rows] == list(range(13))
    assert [r["alive"] for r in rows[:8]] == counts and rows[8]["alive"] is None
    # The projection goes on shrinking, and retention rises with tenure (the sBG's point).
    expected = [r["expected_alive"] for r in rows]
    assert all(a > b for a, b in itertools.pairwise(expected))
    rates = [r["expected_retention"] for r in rows[1:]]
    assert all(a < b for a, b in itertools.pairwise(rates))
    assert abs(expected[7] - counts[7]) / counts[7] < 0.03


def test_retention_reads_a_file_writes_the_table_and_values_tenure(tmp_path: Path) -> None:
    source = tmp_path / "cohort.csv"
    pl.DataFrame({"year": range(8), "subscribers": REGULAR}).write_csv(source)
    out = tmp_path / "projection.csv"
    result = CliRunner().invoke(app, ["retention", str(source), "--column", "subscribers",
                                      "--discount", "0.1", "-o", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "alpha 0.704" in result.output
    table = pl.read_csv(out)
    assert table.height == 13 and table["alive"].drop_nulls().to_list() == REGULAR
    # The longer a customer has stayed, the more future payments they are worth.
    derl = table["derl"].to_list()
    assert all(a < b for a, b in itertools.pairwise(derl))


def test_retention_errors_are_one_line(tmp_path: Path) -> None:
    two = tmp_path / "two.csv"
    two.write_text("year,subscribers\n0,1000\n1,800\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("subscribers\n1000\nmany\n")
    cases = [
        (["1000,869,900"], "period 2: 900 alive after 869 the period before"),
        (["1000,869.5,700"], "period 1: 869.5 is not a whole number of customers"),
        (["1000"], "needs the cohort's size and its survivors after at least one period"),
        (["1000,1000,1000"], "nobody in the cohort cancelled"),
        (["lots"], "'lots' is neither a file nor comma-separated counts"),
        ([str(two)], "2 columns; say which holds the counts"),
        ([str(two), "--column", "subs"], "no column 'subs'"),
        ([str(bad)], "row 2: 'many' is not a count"),
    ]
    for args, message in cases:
        assert_refused(["retention", *args], message)
