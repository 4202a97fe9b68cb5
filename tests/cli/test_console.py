"""The CLI's shared console pieces."""

from __future__ import annotations

from rich.console import Console

import segwise as sw
from segwise.cli.console import quality_table
from segwise.datasets import sample_paths


def _text(currency: str | None) -> str:
    report = sw.read_transactions(sample_paths()["orders"]).quality()
    console = Console(width=120, record=True)
    console.print(quality_table(report, currency))
    return next(line for line in console.export_text().splitlines() if "net amount" in line)


def test_the_net_amount_says_the_projects_currency_where_it_has_one() -> None:
    # `segwise validate` on Online Retail II: "net amount 8,348,208.57" beside cards in £.
    assert "£" not in _text(None) and "€" not in _text(None)
    assert "£" in _text("GBP") and "CHF " in _text("CHF")
