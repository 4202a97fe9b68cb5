"""`segwise init --transactions` offers propensity and hybrid, commented out and ready to run."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from typer.testing import CliRunner

from segwise.cli.app import app
from segwise.datasets import sample_paths
from segwise.project.sniff import sniff_project
from segwise.project.sniff_optional import COMFORTABLE_WEEKS, optional_blocks

if TYPE_CHECKING:
    from pathlib import Path


def test_the_offered_blocks_switch_on_and_validate(tmp_path: Path) -> None:
    # A project for Online Retail II's orders named four methods; the sample's named seven.
    sniffed = sniff_project(tmp_path / "shop", sample_paths()["orders"])
    config = sniffed.config
    text = config.read_text()
    start = text.index('  # The other methods, ready to switch on: remove the leading "# "')
    # Switched on as the comment says: the leading "# " of each block's lines removed.
    switched = re.sub(r"(?m)^  # (  |churn:|repeat_buyers:)", r"  \1", text[start:])
    config.write_text(text[:start] + switched)
    checked = CliRunner().invoke(app, ["validate", str(config)])
    assert checked.exit_code == 0, checked.stderr
    assert "churn (propensity), repeat_buyers (hybrid)" in checked.stdout
    assert "keeps no model" not in checked.stdout + checked.stderr


def test_the_propensity_block_says_whether_the_orders_span_a_year_of_quarters() -> None:
    features = ["recency_days", "orders", "net_revenue"]
    short = "\n".join(optional_blocks(53.0, features))
    long = "\n".join(optional_blocks(COMFORTABLE_WEEKS + 10.0, features))
    assert "the run says so" in short and "enough to learn from" not in short
    assert "enough to learn from" in long and "the run says so" not in long
    assert "features: [recency_days, orders, net_revenue]" in long
