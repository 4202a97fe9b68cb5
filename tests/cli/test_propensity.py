"""`segwise propensity`: the backtest, the tiers and each customer's reasons, from the CLI."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import polars as pl
from typer.testing import CliRunner

from segwise.cli.app import app
from segwise.datasets import sample_paths

if TYPE_CHECKING:
    from pathlib import Path

runner = CliRunner()
ORDERS = str(sample_paths()["orders"])


def test_the_command_backtests_tiers_and_writes_reasons(tmp_path: Path) -> None:
    out = tmp_path / "scores.csv"
    result = runner.invoke(
        app,
        [
            "propensity",
            ORDERS,
            "--horizon",
            "60",
            "--cutoffs",
            "3",
            "--step",
            "30",
            "--tiers",
            "0.1,0.4",
            "-o",
            str(out),
            "--explain",
            "0001765",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["outcome"] == "churn" and shown["horizon_days"] == 60
    assert 0.5 < shown["backtest"]["auc"] <= 1
    tiers = shown["backtest"]["tiers"]
    assert [t["segment"] for t in tiers] == list(shown["segments"])
    assert tiers[0]["lift"] > tiers[-1]["lift"]
    written = pl.read_csv(out, infer_schema=False)
    assert written.columns == ["customer_id", "propensity", "segment", "reasons"]
    assert sum(shown["segments"].values()) == written.height
    high = written.filter(pl.col("segment") == "High churn risk").height
    # The top tenth, as near as equal scores allow: the cut falls on the nearer side of the
    # block of customers who share the score at the 10% mark.
    score = written["propensity"].cast(pl.Float64)
    mark = round(0.1 * written.height)
    at_mark = score.sort(descending=True)[mark - 1]
    sides = [int((score > at_mark).sum()), int((score >= at_mark).sum())]
    assert high in sides and abs(high - mark) == min(abs(side - mark) for side in sides)
    assert written["reasons"].drop_nulls().str.contains(r"\(typical ").any()
    # --explain shows the customer's row of the file: score, tier and reasons.
    [explained] = shown["explained"]
    row = written.filter(pl.col("customer_id") == "0001765").row(0, named=True)
    assert explained["segment"] == row["segment"]
    assert f"{explained['propensity']:.6f}"[:6] == row["propensity"][:6]
    assert "; ".join(explained["reasons"]) == (row["reasons"] or "")


def test_explaining_a_customer_who_never_bought_is_one_line() -> None:
    args = ["propensity", ORDERS, "--horizon", "30", "--cutoffs", "1", "--explain", "nobody"]
    result = runner.invoke(app, args)
    assert result.exit_code != 0
    assert "customer 'nobody' has no purchase" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_tiers_are_one_line() -> None:
    result = runner.invoke(app, ["propensity", ORDERS, "--tiers", "top,half"])
    assert result.exit_code != 0
    assert "--tiers 'top,half' is not numbers" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_tiers_name_the_day_they_were_scored_on() -> None:
    # "tiers as of the last day" after --as-of 2010-09-30 left the reader guessing which day.
    result = runner.invoke(
        app,
        ["propensity", ORDERS, "--horizon", "60", "--cutoffs", "3", "--step", "30",
         "--as-of", "2024-09-30"],
        env={"COLUMNS": "160"},
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "tiers as of 2024-09-30" in result.stdout
    # Each tier's row says what the same tier did in the backtest, in the outcome's word.
    assert "backtest: churned" in result.stdout
    [high] = [line for line in result.stdout.splitlines() if "High churn risk" in line]
    assert re.search(r"\d+% │ ×\d\.\d\d │$", high), high
    # The features the score leans on most, with the AUC each costs when shuffled.
    assert re.search(r"the score leans most on \w+ \(AUC −0\.\d{3} when shuffled\)", result.stdout)


def test_a_score_no_better_than_recency_says_so_on_the_command_too() -> None:
    # Only a project's run said it: the command printed AUC 0.747 beside recency's 0.774.
    result = runner.invoke(
        app,
        ["propensity", ORDERS, "--outcome", "share_home > 0.3"],
        env={"COLUMNS": "160"},
    )
    assert result.exit_code == 0, result.stderr
    auc, recency = map(
        float,
        re.search(r"AUC (0\.\d+) \(recency (0\.\d+)", result.stdout).groups(),  # type: ignore[union-attr]
    )
    assert auc <= recency
    assert (
        f"note: the model ranks no better than recency_days alone on the latest complete window "
        f"(AUC {auc:.3f} against {recency:.3f})"
    ) in result.stdout.replace("\n", " ")
