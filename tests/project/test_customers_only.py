"""A project of a customer table without orders: a CRM export or a panel is segmented as is."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import textwrap
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

import segwise as sw
from segwise.cli.app import app
from segwise.exceptions import ConfigError
from segwise.project.experiment_analysis import analyze_experiment
from segwise.project.kpis import kpis_by_segment
from segwise.project.population import PopulationWarning

if TYPE_CHECKING:
    from pathlib import Path

RULES = """
  tiers:
    method: rules
    exclusive: true
    segments:
      - {name: Big spenders, where: '"Spending Score (1-100)" >= 70'}
      - {name: Everyone else, where: 'TRUE'}
"""
CLUSTER = """
  groups:
    method: cluster
    features: [Age, "Annual Income (k$)", "Spending Score (1-100)"]
"""


def _members(config: Path, segmentation: str) -> pl.DataFrame:
    return sw.Project.from_yaml(config).store.memberships(segmentation=segmentation)


def _mall(folder: Path, shared_data: Path, extra: str = "", segmentations: str = RULES) -> Path:
    """The Mall Customers table (200 rows: gender, age, income, spending score) as a project."""
    (folder / "data").mkdir(parents=True)
    shutil.copy(shared_data / "mall_customers.csv", folder / "data" / "mall.csv")
    config = folder / "segwise.yaml"
    config.write_text(
        "name: mall\n"
        + extra
        + "sources:\n  customers: {path: data/mall.csv, customer_id: CustomerID}\n"
        + "segmentations:"
        + segmentations
    )
    return config


@pytest.mark.parametrize("engine", ["polars", "duckdb"])
def test_a_customer_table_alone_is_segmented_and_reported(
    tmp_path: Path, shared_data: Path, engine: str
) -> None:
    config = _mall(tmp_path, shared_data, f"engine: {engine}\n", RULES + CLUSTER)
    result = sw.Project.from_yaml(config).run()
    # The population is the customer table; with no dated source the run is as of today.
    assert result.as_of == dt.date.today()
    assert result.customers == 200
    assert result.population == []
    mall = pl.read_csv(shared_data / "mall_customers.csv")
    tiers, groups = (_members(config, name) for name in ("tiers", "groups"))
    assert tiers.height == groups.height == mall.height
    spenders = mall.filter(pl.col("Spending Score (1-100)") >= 70)["CustomerID"].cast(pl.String)
    big = tiers.filter(pl.col("segment") == "Big spenders")["customer_id"]
    assert sorted(big.to_list()) == sorted(spenders.to_list())
    assert 3 <= groups["segment"].n_unique() <= 8
    _the_clusters_read_as_a_marketer_would(result)
    report = result.report.read_text()
    # No orders, no value: no "net revenue" note and no revenue bars of zeros.
    assert "net revenue per customer" not in report
    assert "Share of customers and of revenue" not in report
    assert "Share of customers" in report
    # The customer table's quality section lists only the options a customer table is read with.
    assert "policy: duplicates" in report
    assert "policy: returns" not in report


def _the_clusters_read_as_a_marketer_would(result: Any) -> None:
    """Spending is a score on its own scale, and affluent low spenders are headroom."""
    cards = next(s for s in result.segmentations if s.name == "groups").cards
    mall = {"income": 60.56, "spending": 50.2}
    for card in cards:
        spending = [t for t in card.traits if t.startswith("spending score ")]
        # "Spending Score (1-100) 0.4× the average" read a scale from 1 to 100 as a quantity.
        assert all(re.fullmatch(r"spending score [\d.]+ \(average 50\.2\)", t) for t in spending)
        assert not any("× the average" in t and "Spending" in t for t in card.traits)
        score = float(spending[0].split()[2]) if spending else mall["spending"]
        if "spending" in card.name.lower():
            assert ("High-spending" in card.name) == (score > mall["spending"]), card.name
            assert ("Low-spending" in card.name) == (score < mall["spending"]), card.name
    actions = [c.action for c in cards]
    assert len(set(actions)) == len(actions)
    headroom = [c for c in cards if c.action and c.action.startswith("Grow share of wallet")]
    # The segment of high incomes and low spending scores (the classic "careful" quadrant).
    assert [c.name for c in headroom] == ["Low-spending affluent customers"]


@pytest.mark.spark
def test_a_customer_table_alone_gives_the_same_segments_on_spark(
    tmp_path: Path, shared_data: Path, spark: Any
) -> None:
    config = _mall(tmp_path / "polars", shared_data, segmentations=RULES + CLUSTER)
    sw.Project.from_yaml(config).run()
    on_spark = _mall(tmp_path / "spark", shared_data, segmentations=RULES + CLUSTER)
    assert sw.Project.from_yaml(on_spark).run(engine="spark", spark=spark).customers == 200
    for name in ("tiers", "groups"):
        assert _members(config, name).equals(_members(on_spark, name)), name


def test_a_run_without_orders_is_as_of_the_project_date_or_the_last_event(
    tmp_path: Path, shared_data: Path
) -> None:
    config = _mall(tmp_path / "dated", shared_data, "as_of: 2025-03-31\n")
    assert sw.Project.from_yaml(config).run().as_of == dt.date(2025, 3, 31)

    config = _mall(tmp_path / "events", shared_data)
    # Visits of customers 1..150 in March 2025; 999 is not in the customer table.
    events = pl.DataFrame(
        {
            "customer_id": [*range(1, 151), 999],
            "timestamp": [dt.datetime(2025, 3, 1 + i % 28, 10) for i in range(151)],
            "event": "visit",
        }
    )
    events.write_csv(config.parent / "data" / "events.csv")
    text = config.read_text().replace(
        "sources:\n",
        "sources:\n  events: {path: data/events.csv}\n",
    )
    config.write_text(text)
    with pytest.warns(PopulationWarning, match="1 customers with orders or events"):
        sw.Project.from_yaml(config).validate()
    result = sw.Project.from_yaml(config).run()
    assert result.as_of == max(events["timestamp"]).date()
    [(level, message)] = result.population
    assert level == "warning"
    assert "'999'" in message
    # Without orders, leaving the customer table out is no remedy: the advice is not given.
    assert "leave sources.customers out" not in message
    features = sw.Project.from_yaml(config).store.latest_features()
    visits = dict(features.select(pl.col("customer_id").cast(pl.String), "visit_30d").rows())
    assert visits["151"] == 0
    assert visits["1"] == 1


@pytest.mark.parametrize(
    ("sources", "segmentation", "says"),
    [
        ("customers: {path: c.csv}", "{method: rfm}", "v: method rfm models purchases"),
        ("customers: {path: c.csv}", "{method: clv}", "v: method clv models purchases"),
        ("customers: {path: c.csv}", "{method: propensity}", "v: method propensity models"),
        ("events: {path: e.csv}", "{method: cluster}", "sources: no population to segment"),
    ],
)
def test_methods_that_model_purchases_say_they_need_the_orders(
    tmp_path: Path, sources: str, segmentation: str, says: str
) -> None:
    config = tmp_path / "segwise.yaml"
    config.write_text(f"name: x\nsources:\n  {sources}\nsegmentations:\n  v: {segmentation}\n")
    with pytest.raises(ConfigError, match=says) as caught:
        sw.Project.from_yaml(config)
    assert "\n" not in str(caught.value)


def test_measurement_on_orders_is_refused_and_outcomes_are_measured(
    tmp_path: Path, shared_data: Path
) -> None:
    config = _mall(tmp_path, shared_data, "as_of: 2025-03-31\n")
    project = sw.Project.from_yaml(config)
    project.run()
    with pytest.raises(ConfigError, match=r"no sources\.transactions"):
        kpis_by_segment(project, segmentation="tiers")
    # An experiment measured on an outcome (a newsletter sign-up), not on orders.
    rng = np.random.default_rng(5)
    ids = np.arange(1, 201)
    variant = np.where(rng.random(200) < 0.5, "control", "offer")
    pl.DataFrame(
        {
            "customer_id": ids,
            "experiment": "welcome",
            "variant": variant,
            "timestamp": dt.datetime(2025, 4, 2, 9),
        }
    ).write_csv(config.parent / "data" / "exposures.csv")
    signed = rng.random(200) < np.where(variant == "offer", 0.6, 0.2)
    pl.DataFrame(
        {
            "customer_id": ids,
            "timestamp": dt.datetime(2025, 4, 10, 12),
            "metric": "signup",
            "value": signed.astype(int),
        }
    ).write_csv(config.parent / "data" / "outcomes.csv")
    config.write_text(
        config.read_text().replace(
            "sources:\n",
            "sources:\n  exposures: {path: data/exposures.csv}\n"
            "  outcomes: {path: data/outcomes.csv}\n",
        )
    )
    project = sw.Project.from_yaml(config)
    with pytest.raises(ConfigError, match=r"no metric 'conversion'.*signup"):
        analyze_experiment(project, "welcome", metrics=["conversion"], keep=False)
    # Without orders, the default is every outcome metric (it was conversion and revenue,
    # refused for want of orders).
    readout = analyze_experiment(project, "welcome", keep=False)
    assert readout == analyze_experiment(project, "welcome", metrics=["signup"], keep=False)
    ran = CliRunner().invoke(app, ["experiment", "analyze", str(config), "welcome"])
    assert ran.exit_code == 0, ran.output
    assert "signup" in ran.output
    assert {r.segment for r in readout.results} >= {"Big spenders", "Everyone else"}
    assert {r.metric for r in readout.results} == {"signup"}
    assert all(r.comparison.lift > 0 for r in readout.results)  # the planted 0.2 → 0.6
    assert any("outcomes end (2025-04-10)" in n for n in readout.notes)


def test_validate_checks_rules_of_a_customers_only_project(tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text("customer_id,score\n1,5\n2,7\n")
    (tmp_path / "segwise.yaml").write_text(
        textwrap.dedent(
            """
            name: crm
            sources: {customers: {path: c.csv}}
            segmentations:
              tiers:
                method: rules
                segments:
                  - {name: High, where: "scroe >= 6"}
            """
        )
    )
    with pytest.raises(sw.SegwiseError, match="scroe"):
        sw.Project.from_yaml(tmp_path / "segwise.yaml").validate()


def test_refresh_says_what_a_run_says(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    pl.DataFrame(
        {"customer_id": range(1, 121), "age": rng.integers(18, 80, 120), "score": rng.random(120)}
    ).write_csv(tmp_path / "c.csv")
    pl.DataFrame(
        {"customer_id": [1, 2, 500], "timestamp": ["2025-01-02"] * 3, "event": "visit"}
    ).write_csv(tmp_path / "e.csv")
    (tmp_path / "segwise.yaml").write_text(
        "name: crm\nsources:\n  customers: {path: c.csv}\n  events: {path: e.csv}\n"
        "segmentations:\n  tiers:\n    method: rules\n    segments:\n"
        "      - {name: Older, where: 'age >= 50'}\n"
    )
    done = CliRunner().invoke(app, ["refresh", str(tmp_path)])
    assert done.exit_code == 0, done.output
    assert done.stdout.startswith("ran: no run is stored yet")
    assert "warning: 1 customers with orders or events by the as-of date are not in" in (
        done.stderr
    )
    assert "(e.g. '500')" in done.stderr


def test_the_service_serves_a_project_without_orders(tmp_path: Path, shared_data: Path) -> None:
    from fastapi.testclient import TestClient

    from segwise.api import Settings, create_app
    from segwise.project import open_workspace
    from segwise.store.keys import create_key

    config = _mall(tmp_path, shared_data, segmentations=RULES + CLUSTER)
    sw.Project.from_yaml(config).run()
    key = create_key(open_workspace(config), "analyst", "viewer")[1]
    with TestClient(create_app(Settings(project=config))) as client:
        client.post("/ui/login", data={"key": key, "next": "/ui"}, follow_redirects=False)
        overview = client.get("/ui")
        assert overview.status_code == 200
        assert "Big spenders" in overview.text
        # The measure page said "no segmentation of customers 'None'" (404).
        measure = client.get("/ui/measure")
        assert measure.status_code == 200
        assert "this project has no orders export" in measure.text
        segment = client.get("/ui/segments/tiers/Big%20spenders")
        assert segment.status_code == 200
        kpis = client.get("/api/v1/kpis", headers={"Authorization": f"Bearer {key}"})
        assert kpis.status_code in (400, 404, 422), kpis.text
        assert "no sources.transactions" in kpis.text


def test_a_crm_sign_up_date_is_a_date_rules_can_count_days_from(tmp_path: Path) -> None:
    # The CSV's ISO dates were text: days_since(signup_date) was refused as "this is text".
    days = [3, 20, 45, 200, 400, 800]
    signed = [dt.date(2025, 6, 30) - dt.timedelta(days=d) for d in days]
    pl.DataFrame({"customer_id": range(6), "signup_date": signed, "age": [30] * 6}).write_csv(
        tmp_path / "crm.csv"
    )
    (tmp_path / "segwise.yaml").write_text(
        "name: crm\nas_of: 2025-06-30\nsources:\n  customers: {path: crm.csv}\n"
        "segmentations:\n  lifecycle:\n    method: rules\n    exclusive: true\n"
        "    segments:\n      - {name: New, where: 'days_since(signup_date) <= 30'}\n"
        "      - {name: Settling in, where: 'days_since(signup_date) <= 365'}\n"
        "      - {name: Established, where: 'TRUE'}\n"
    )
    sw.Project.from_yaml(tmp_path / "segwise.yaml").run()
    members = _members(tmp_path / "segwise.yaml", "lifecycle")
    by_segment = dict(members.group_by("segment").len().rows())
    assert by_segment == {"New": 2, "Settling in": 2, "Established": 2}


@pytest.mark.parametrize(
    ("joined", "says"),
    [
        ("age", "sources.customers.joined: column 'age' is Int64, not a date"),
        ("signup", "sources.customers.joined: no column 'signup' in the customer table"),
    ],
)
def test_a_joining_column_that_is_not_a_date_is_one_clear_error(
    tmp_path: Path, joined: str, says: str
) -> None:
    (tmp_path / "c.csv").write_text("customer_id,signed_up,age\n1,2024-01-05,30\n2,2024-03-01,41\n")
    (tmp_path / "segwise.yaml").write_text(
        f"name: crm\nsources:\n  customers: {{path: c.csv, joined: {joined}}}\n"
        "segmentations:\n  t:\n    method: rules\n    segments:\n"
        "      - {name: New, where: 'tenure_days <= 30'}\n"
    )
    ran = CliRunner().invoke(app, ["run", str(tmp_path / "segwise.yaml")])
    assert ran.exit_code == 1
    assert ran.stderr.startswith(f"error: {says}"), ran.stderr
    assert "Traceback" not in ran.output
    checked = CliRunner().invoke(app, ["validate", str(tmp_path / "segwise.yaml")])
    assert checked.exit_code == 1
    assert says in checked.stderr


def test_tenure_counts_from_the_joining_date_on_duckdb_too(tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text(
        "customer_id,signed_up\n1,2025-06-20\n2,2025-01-01\n3,\n4,2025-07-15\n"
    )
    (tmp_path / "segwise.yaml").write_text(
        "name: crm\nengine: duckdb\nas_of: 2025-06-30\n"
        "sources:\n  customers: {path: c.csv, joined: signed_up}\n"
        "segmentations:\n  t:\n    method: rules\n    exclusive: true\n    segments:\n"
        "      - {name: New, where: 'tenure_days <= 30'}\n"
        "      - {name: Unknown, where: 'tenure_days IS NULL'}\n"
        "      - {name: Older, where: 'TRUE'}\n"
    )
    sw.Project.from_yaml(tmp_path / "segwise.yaml").run()
    members = dict(_members(tmp_path / "segwise.yaml", "t").select("customer_id", "segment").rows())
    # 4 joined after the as-of date: not a customer yet then, so no tenure.
    assert members == {"1": "New", "2": "Older", "3": "Unknown", "4": "Unknown"}


def test_the_report_says_which_column_the_value_is(tmp_path: Path, shared_data: Path) -> None:
    # A CRM table with its own revenue column: the cards' value is that column, and the report
    # said "value = net revenue per customer (purchases less returns)", which there is none of.
    mall = pl.read_csv(shared_data / "mall_customers.csv")
    (tmp_path / "data").mkdir()
    mall.with_columns((pl.col("Spending Score (1-100)") * 12.5).alias("revenue")).write_csv(
        tmp_path / "data" / "mall.csv"
    )
    config = tmp_path / "segwise.yaml"
    config.write_text(
        "name: mall\ncurrency: USD\nsources:\n"
        "  customers: {path: data/mall.csv, customer_id: CustomerID}\nsegmentations:" + RULES
    )
    report = sw.Project.from_yaml(config).run().report.read_text()
    assert "value = revenue per customer, a column of the customer table, in USD" in report
    assert "net revenue per customer" not in report
    assert "of revenue" in report  # the cards' revenue share, from that column


def test_a_declared_value_column_is_the_cards_value(tmp_path: Path, shared_data: Path) -> None:
    # A CRM export's money column is called total_spend: it is none of the names the cards look
    # for, so the segments had no value and no revenue share until it could be declared.
    mall = pl.read_csv(shared_data / "mall_customers.csv").with_columns(
        (pl.col("Annual Income (k$)") * pl.col("Spending Score (1-100)")).alias("total_spend")
    )
    (tmp_path / "data").mkdir()
    mall.write_csv(tmp_path / "data" / "mall.csv")
    config = tmp_path / "segwise.yaml"
    source = "  customers: {path: data/mall.csv, customer_id: CustomerID%s}\n"
    head = "name: mall\ncurrency: USD\nsources:\n"
    config.write_text(head + source % "" + "segmentations:" + RULES + CLUSTER)
    unset = sw.Project.from_yaml(config).run()
    assert all(c.value_mean is None for s in unset.segmentations for c in s.cards)
    config.write_text(head + source % ", value: total_spend" + "segmentations:" + RULES + CLUSTER)
    result = sw.Project.from_yaml(config).run()
    spend = mall.select(pl.col("CustomerID").cast(pl.String).alias("customer_id"), "total_spend")
    for segmentation in result.segmentations:
        members = _members(config, segmentation.name).join(spend, on="customer_id")
        for card in segmentation.cards:
            inside = members.filter(pl.col("segment") == card.name)["total_spend"]
            assert card.value_mean == pytest.approx(inside.mean()), card.name
            assert card.revenue_share == pytest.approx(inside.sum() / mall["total_spend"].sum())
    report = result.report.read_text()
    assert "value = total_spend per customer, a column of the customer table, in USD" in report


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("Gender", "sources.customers.value: column 'Gender' is String, not a number"),
        ("spend", "sources.customers.value: no column 'spend' in the customer table"),
    ],
)
def test_a_value_column_that_is_not_a_number_is_one_clear_error(
    tmp_path: Path, shared_data: Path, value: str, says: str
) -> None:
    config = _mall(tmp_path, shared_data)
    config.write_text(
        config.read_text().replace(
            "customer_id: CustomerID", f"customer_id: CustomerID, value: {value}"
        )
    )
    for command in ("run", "validate"):
        ran = CliRunner().invoke(app, [command, str(config)])
        assert ran.exit_code == 1, command
        assert says in ran.stderr.splitlines()[0], ran.stderr
        assert "Traceback" not in ran.output


B2B_TARGETS = """\
name: abm
as_of: 2025-12-31
sources:
  customers: {path: contacts.csv, customer_id: contact_id, account_id: account_id, role: role}
  accounts: {path: accounts.csv}
  events: {path: events.csv, customer_id: contact_id}
segmentations:
  firms:
    method: cluster
    level: account
    features: [employees, contacts, active_contacts]
    categorical: [industry]
  fit:
    method: rules
    level: account
    exclusive: true
    segments:
      - {name: Enterprise, where: "employees >= 1000"}
      - {name: Engaged accounts, where: "active_contacts >= 2"}
"""


def test_target_accounts_without_orders_are_segmented_on_firmographics_and_activity(
    tmp_path: Path,
) -> None:
    # Account-based marketing starts before the first order: "level: account rolls up each
    # account's orders" refused a CRM of target accounts and their people.
    from segwise.datasets import generate_b2b

    data = generate_b2b(300, seed=2)
    data.accounts.write_csv(tmp_path / "accounts.csv")
    data.contacts.write_csv(tmp_path / "contacts.csv")
    rng = np.random.default_rng(2)
    visitors = rng.choice(data.contacts["contact_id"].to_numpy(), 400)
    pl.DataFrame(
        {
            "contact_id": visitors,
            "timestamp": [
                dt.datetime(2025, 12, 1) + dt.timedelta(hours=int(h))
                for h in rng.integers(0, 700, 400)
            ],
            "event": "webinar",
        }
    ).write_csv(tmp_path / "events.csv")
    config = tmp_path / "segwise.yaml"
    config.write_text(B2B_TARGETS)
    runner = CliRunner()
    checked = runner.invoke(app, ["validate", str(config)])
    assert checked.exit_code == 0, checked.output
    result = sw.Project.from_yaml(config).run()
    assert (result.customers, result.accounts) == (data.contacts.height, 300)
    firms = _members(config, "firms")
    assert firms.height == 300 and set(firms["customer_id"]) == set(data.accounts["account_id"])
    fit = _members(config, "fit")
    big = data.accounts.filter(pl.col("employees") >= 1000)["account_id"]
    enterprise = fit.filter(pl.col("segment") == "Enterprise")["customer_id"]
    assert big.len() > 0 and set(enterprise) == set(big)
    people = runner.invoke(
        app, ["members", str(config), "Enterprise", "--segmentation", "fit", "--contacts"]
    )
    assert people.exit_code == 0, people.output
    expected = data.contacts.filter(pl.col("account_id").is_in(big.implode()))["contact_id"]
    assert set(expected) <= set(people.output.split())
