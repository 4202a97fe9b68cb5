"""Consent applied: revoked or expired profiling consent takes people out of later runs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl
import pytest

import segwise as sw
from tests.project.demo import keep_segmentations

if TYPE_CHECKING:
    from pathlib import Path

CONSENTS = (
    "sources:\n  consents: {path: data/consents.csv, customer_id: customer, purpose: purpose,"
    " status: status, timestamp: changed, expires: until}\n"
)


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    folder = tmp_path_factory.mktemp("consents")
    config = keep_segmentations(sw.Project.init(folder), "lifecycle", "behaviour")
    ids = pl.read_csv(folder / "data" / "customers.csv.gz", infer_schema=False)["customer_id"]
    orders = pl.read_csv(folder / "data" / "orders.csv.gz", infer_schema=False)
    early = orders.filter(pl.col("order_date") < "2024-01-01")["customer_id"].drop_nulls()
    early = early.unique().sort()
    roles = ["revoked", "expires", "never", "email_only", "garbled"]
    who = dict(zip(roles, early.head(5), strict=True))
    rows = [(c, "profiling", "granted", "2023-01-01", None)
            for c in ids.to_list() if c not in who.values()]  # fmt: skip
    rows += [
        (who["revoked"], "profiling", "granted", "2023-01-01", None),
        (who["revoked"], "profiling", "revoked", "2024-06-01", None),
        (who["expires"], "profiling", "granted", "2023-01-01", "2024-06-15"),
        (who["email_only"], "email", "granted", "2023-01-01", None),
        # A row that cannot be read may be a revocation: no consent until it is fixed.
        (who["garbled"], "profiling", "granted", "2023-01-01", None),
        (who["garbled"], "profiling", "revokd", "2024-03-01", None),
    ]
    names = ["customer", "purpose", "status", "changed", "until"]
    table = pl.DataFrame(rows, schema=dict.fromkeys(names, pl.String), orient="row")
    table.write_csv(folder / "data" / "consents.csv")
    config.write_text(config.read_text().replace("sources:\n", CONSENTS, 1))
    return config, who


def _members(config: Path, segmentation: str) -> set[str]:
    store = sw.Project.from_yaml(config).store
    found = store.memberships().filter(pl.col("segmentation") == segmentation)
    return set(found["customer_id"].cast(pl.String).to_list())


def test_revocation_and_expiry_apply_from_their_day_on(shop: tuple[Path, dict[str, str]]) -> None:
    config, who = shop
    sw.Project.from_yaml(config).run(as_of="2024-05-31")
    before = _members(config, "behaviour")
    assert {who["revoked"], who["expires"]} <= before
    assert not {who["never"], who["email_only"], who["garbled"]} & before
    sw.Project.from_yaml(config).run(as_of="2024-06-30")
    after = _members(config, "behaviour")
    assert not set(who.values()) & after
    assert len(after) == len(before) - 2
    # Rules describe what people did, with no model of them: not restricted.
    assert set(who.values()) <= _members(config, "lifecycle")
    notes = sw.Project.from_yaml(config).store.definitions()["behaviour"]["warnings"]
    assert any("5 customers without profiling consent on 2024-06-30" in n for n in notes)


def test_aggregate_counts_them_without_storing_them(shop: tuple[Path, dict[str, str]]) -> None:
    config, who = shop
    text = config.read_text()
    config.write_text(text + "privacy: {profiling: aggregate}\n")
    try:
        result = sw.Project.from_yaml(config).run(as_of="2024-06-30")
    finally:
        config.write_text(text)
    [behaviour] = [r for r in result.segmentations if r.name == "behaviour"]
    stored = _members(config, "behaviour")
    assert sum(card.size for card in behaviour.cards) == result.customers
    assert len(stored) == result.customers - 5
    assert not set(who.values()) & stored
    assert any("counted in the segment sizes but not stored" in n for n in behaviour.warnings)
