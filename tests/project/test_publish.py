"""Publishing account segments: account rows beside the customers', never mistaken for them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from segwise.datasets import write_b2b
from segwise.project import Project

if TYPE_CHECKING:
    from pathlib import Path

PROJECT = """\
name: b2b
sources:
  transactions: {path: orders.csv, customer_id: contact_id, timestamp: order_date}
  customers: {path: contacts.csv, customer_id: contact_id, account_id: account_id}
  accounts: {path: accounts.csv}
segmentations:
  firms:
    method: rules
    level: account
    segments:
      - {name: Busy, where: "orders >= 20"}
  people: {method: rfm}
"""


def _project(folder: Path, *, clash: bool) -> Project:
    paths = write_b2b(folder, 40, seed=2)
    if clash:  # a CRM whose contacts are numbered like its accounts
        contacts = pl.read_csv(paths["contacts"])
        first = contacts["contact_id"][0]
        account = contacts["account_id"].drop_nulls()[0]
        contacts.with_columns(pl.col("contact_id").replace(first, account)).write_csv(
            paths["contacts"]
        )
        orders = pl.read_csv(paths["orders"])
        orders.with_columns(pl.col("contact_id").replace(first, account)).write_csv(paths["orders"])
    (folder / "segwise.yaml").write_text(PROJECT)
    return Project.from_yaml(folder / "segwise.yaml")


def test_account_movers_keep_their_own_values(tmp_path: Path) -> None:
    project = _project(tmp_path, clash=False)
    project.run(as_of="2025-06-30")
    second = project.run(as_of="2025-12-31")
    firms = next(s for s in second.segmentations if s.name == "firms")
    assert firms.definition.get("values_kept") is not False
    moved = project.store.changes(segmentation="firms").movers
    assert moved.height > 0
    account = moved["customer_id"][0]
    [move] = [m for m in project.store.history(account).moves if m.segmentation == "firms"]
    assert "orders" in move.reason  # explained by the account's own orders


def test_account_ids_that_are_contact_ids_are_not_explained_with_the_contacts_values(
    tmp_path: Path,
) -> None:
    project = _project(tmp_path, clash=True)
    project.run(as_of="2025-06-30")
    second = project.run(as_of="2025-12-31")
    firms = next(s for s in second.segmentations if s.name == "firms")
    assert firms.definition["values_kept"] is False
    assert any("account ids are also customer ids" in note for note in firms.warnings)
    people = next(s for s in second.segmentations if s.name == "people")
    assert "values_kept" not in people.definition
    reasons = [
        move.reason
        for account in project.store.changes(segmentation="firms").movers["customer_id"]
        for move in project.store.history(account).moves
        if move.segmentation == "firms" and move.after != ("(none)",)
    ]
    assert reasons and all("not kept" in reason for reason in reasons)
