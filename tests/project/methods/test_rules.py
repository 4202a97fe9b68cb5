"""Rule segments: a segment without a playbook (the rest, above all) still gets an action."""

from __future__ import annotations

from typing import TYPE_CHECKING

from segwise.profiling.actions import suggest_actions
from tests.project.methods.projects import sample_project

if TYPE_CHECKING:
    from pathlib import Path

#: What a segment with no matching trait would get.
DEFAULT = suggest_actions([([], None)])[0]

CATALOG = """segmentations:
  lifecycle:
    method: rules
    exclusive: {exclusive}
    other: Everyone else
    segments:
      - name: Big spenders
        where: "net_revenue > 2000"
        playbook: {{messaging: Thank them}}
      - name: Lapsed
        where: "recency_days > 180"
"""


def test_exclusive_segments_without_a_playbook_get_distinct_suggested_actions(
    tmp_path: Path,
) -> None:
    project = sample_project(tmp_path / "shop", CATALOG.format(exclusive="true"))
    [result] = project.run().segmentations
    cards = {c.name: c for c in result.cards}
    assert cards["Big spenders"].action == "Thank them"  # the author's, kept
    rest, lapsed = cards["Everyone else"], cards["Lapsed"]
    # Suggested from each segment's traits (as clusters' are), none repeated; before, both
    # cards had no action at all.
    assert rest.action and lapsed.action and rest.action != lapsed.action
    assert DEFAULT not in (rest.action, lapsed.action)  # a trait matched, not the fallback


def test_an_audience_without_a_playbook_gets_a_suggested_action(tmp_path: Path) -> None:
    project = sample_project(tmp_path / "shop", CATALOG.format(exclusive="false"))
    [result] = project.run().segmentations
    cards = {c.name: c for c in result.cards}
    assert cards["Big spenders"].action == "Thank them"
    assert cards["Lapsed"].action not in (None, DEFAULT)


def test_amounts_in_the_traits_carry_the_project_currency(tmp_path: Path) -> None:
    # Cluster cards read "(£402 vs £1,951)" while rule and RFM cards in the same report
    # read "(402 vs 1,951)": only clustering passed the currency to the traits.
    catalog = CATALOG.format(exclusive="true") + "  value:\n    method: rfm\n"
    project = sample_project(tmp_path / "shop", "currency: GBP\n" + catalog)
    for result in project.run().segmentations:
        money = [t for c in result.cards for t in c.traits if "average (" in t and "spend" in t]
        assert money, result.name
        assert all("£" in t for t in money), (result.name, money)


EMPTY = """segmentations:
  lifecycle:
    method: rules
    exclusive: {exclusive}
    segments:
      - {{name: Nobody, where: "orders > 1000000"}}
      - {{name: Buyers, where: "orders >= 1"}}
      - {{name: Shadowed, where: "orders >= 2"}}
"""


def test_an_empty_segment_is_said_not_left_out_of_the_report_unseen(tmp_path: Path) -> None:
    project = sample_project(tmp_path / "shop", EMPTY.format(exclusive="true"))
    result = project.run()
    [rules] = result.segmentations
    assert {c.name for c in rules.cards} >= {"Buyers"}
    assert not {"Nobody", "Shadowed"} & {c.name for c in rules.cards}
    day = result.as_of.isoformat()
    assert rules.warnings == [
        f"segment 'Nobody' is empty as of {day}: its rule matches no customer; check the "
        "rule (segwise explain shows why a customer is out)",
        # Its rule matches repeat buyers, every one of them already a buyer above it.
        f"segment 'Shadowed' is empty as of {day}: its rule matches no customer who is not "
        "in a segment before it; check the rule (segwise explain shows why a customer is out)",
    ]
    assert "segment &#39;Shadowed&#39; is empty" in result.report.read_text()
    overlapping = sample_project(tmp_path / "aud", EMPTY.format(exclusive="false"))
    [audiences] = overlapping.run().segmentations
    assert [w.split(":")[0] for w in audiences.warnings] == [
        f"segment 'Nobody' is empty as of {day}"
    ]
