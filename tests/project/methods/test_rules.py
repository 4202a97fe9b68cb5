"""Rule segments: a segment without a playbook (the rest, above all) still gets an action."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import polars as pl

import segwise as sw
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
      - {{name: Never both, where: "orders >= 10 AND recency_days > 100000 AND orders <= 1"}}
      - {{name: Contradiction, where: "orders >= 10 AND orders <= 1"}}
"""


def test_an_empty_segment_is_said_with_the_condition_that_empties_it(tmp_path: Path) -> None:
    project = sample_project(tmp_path / "shop", EMPTY.format(exclusive="true"))
    result = project.run()
    [rules] = result.segmentations
    features = project.store.latest_features()
    assert features is not None
    assert {c.name for c in rules.cards} >= {"Buyers"}
    assert not {"Nobody", "Shadowed"} & {c.name for c in rules.cards}
    day = result.as_of.isoformat()
    check = "; check the rule (segwise explain shows why a customer is out)"
    low, high = features["orders"].min(), features["orders"].max()
    repeat = features.filter(pl.col("orders") >= 2).height
    ten = features.filter(pl.col("orders") >= 10).height
    assert 0 < ten < repeat
    assert rules.warnings == [
        # Where the numbers lie says why: nobody has a million orders.
        f"segment 'Nobody' is empty as of {day}: orders > 1000000 matches no customer "
        f"(orders runs {low} to {high}){check}",
        # Its rule matches repeat buyers, every one of them already a buyer above it.
        f"segment 'Shadowed' is empty as of {day}: its rule matches {repeat:,} customer(s), "
        "every one in a segment before it; give it a higher priority, or narrow the "
        "segments before it",
        # The first condition that leaves nobody is named, not the rule as a whole.
        f"segment 'Never both' is empty as of {day}: recency_days > 100000 matches no "
        f"customer (recency_days runs {features['recency_days'].min()} to "
        f"{features['recency_days'].max()}){check}",
        f"segment 'Contradiction' is empty as of {day}: orders <= 1 matches "
        f"{features.filter(pl.col('orders') <= 1).height:,} customer(s), none of them "
        f"passing the condition before it{check}",
    ]
    assert "segment &#39;Shadowed&#39; is empty" in result.report.read_text()
    overlapping = sample_project(tmp_path / "aud", EMPTY.format(exclusive="false"))
    [audiences] = overlapping.run().segmentations
    assert [w.split(":")[0] for w in audiences.warnings] == [
        f"segment '{name}' is empty as of {day}"
        for name in ("Nobody", "Never both", "Contradiction")
    ]


QUIET = """name: crm
as_of: 2024-06-30
sources:
  customers: {{path: customers.csv, customer_id: customer_id}}
segmentations:
  activity:
    method: rules
    exclusive: {exclusive}
    other: Everyone else
    segments:
{segments}"""


def _crm(folder: Path, segments: str, *, exclusive: bool = True) -> Any:
    """A CRM table of 300 customers, 90 of whom never logged in (a blank last login)."""
    folder.mkdir(parents=True)
    days = [None if i % 10 < 3 else (i * 7) % 200 for i in range(300)]
    pl.DataFrame(
        {
            "customer_id": [f"c{i:03d}" for i in range(300)],
            "last_login": [
                None if d is None else dt.date(2024, 6, 30) - dt.timedelta(days=d) for d in days
            ],
        }
    ).write_csv(folder / "customers.csv")
    config = folder / "segwise.yaml"
    config.write_text(QUIET.format(exclusive=str(exclusive).lower(), segments=segments))
    return sw.Project.from_yaml(config).run()


def test_a_rule_that_leaves_never_to_the_rest_is_warned(tmp_path: Path) -> None:
    # "No login for two months" read as inactive; the 90 who never logged in (a blank) went
    # to "Everyone else" without a word.
    quiet = '      - {name: Gone quiet, where: "days_since_last_login > 60"}\n'
    [result] = _crm(tmp_path / "warned", quiet).segmentations
    assert result.warnings == [
        "segment 'Gone quiet': days_since_last_login is blank for 90 customers (30%): a blank "
        "means never, and the rule leaves them out; 90 of them fall to 'Everyone else'. Add "
        "'OR days_since_last_login IS NULL' if they belong here"
    ]
    [audiences] = _crm(tmp_path / "audiences", quiet, exclusive=False).segmentations
    assert "fall to no audience that reads it" in audiences.warnings[0]
    # An audience that holds them for another reason (everyone) does not answer it.
    everyone = '      - {name: Everyone, where: "TRUE"}\n'
    [wide] = _crm(tmp_path / "wide", quiet + everyone, exclusive=False).segmentations
    assert "90 of them fall to no audience that reads it" in wide.warnings[0]
    never = '      - {name: Never seen, where: "days_since_last_login IS NULL"}\n'
    [held] = _crm(tmp_path / "held", quiet + never, exclusive=False).segmentations
    assert held.warnings == []
    # Counted in, or taken by a rule of their own: nothing to say.
    counted = quiet.replace("> 60", "> 60 OR days_since_last_login IS NULL")
    assert _crm(tmp_path / "counted", counted).segmentations[0].warnings == []
    assert _crm(tmp_path / "taken", never + quiet).segmentations[0].warnings == []
    recent = '      - {name: Active, where: "days_since_last_login <= 30"}\n'
    assert _crm(tmp_path / "active", recent).segmentations[0].warnings == []
