"""segwise init --customers: a project written for a customer table without orders."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

import segwise as sw
from segwise.cli.app import app
from segwise.project.sniff_customers import sniff_customers_project

if TYPE_CHECKING:
    from pathlib import Path


def test_init_writes_a_project_for_a_customer_table(tmp_path: Path, shared_data: Path) -> None:
    sniffed = sniff_customers_project(tmp_path / "mall", shared_data / "mall_customers.csv")
    text = sniffed.config.read_text()
    assert 'features: [Age, "Annual Income (k$)", "Spending Score (1-100)"]' in text
    assert "# categorical: [Gender]" in text  # offered, not clustered on by default
    assert (
        "transactions"
        not in text.split("sources:")[1]
        .split("segmentations:")[0]
        .replace("# No orders export", "")
        .split("  customers:")[1]
    )
    assert "value:" not in text  # a spending score (1-100) is not money
    project = sw.Project.from_yaml(sniffed.config)
    project.validate()
    assert project.run().customers == 200
    members = project.store.memberships(segmentation="profile")
    assert members.height == 200


def test_init_leaves_ids_and_personal_columns_out_of_the_clustering(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    n = 300
    table = pl.DataFrame(
        {
            "id": [f"C{i}" for i in range(n)],
            "member_number": np.arange(10_000, 10_000 + n),  # a running number: not a trait
            "store_id": rng.integers(1, 5, n),
            "email": [f"c{i}@example.com" for i in range(n)],
            "age": rng.integers(18, 80, n),
            "visits_per_month": rng.gamma(2.0, 2.0, n).round(1),
            "plan": rng.choice(["basic", "plus", "pro"], n),
            "consent_email": rng.random(n) < 0.5,  # what they allow, not who they are
            "constant": 1,
        }
    )
    table.write_csv(tmp_path / "crm.csv")
    runner = CliRunner()
    done = runner.invoke(
        app, ["init", str(tmp_path / "crm"), "--customers", str(tmp_path / "crm.csv")]
    )
    assert done.exit_code == 0, done.output
    assert "note: no RFM" in done.output
    text = (tmp_path / "crm" / "segwise.yaml").read_text()
    assert "features: [age, visits_per_month]" in text
    assert "pii: [email]" in text
    assert "# categorical: [plan]" in text
    ran = runner.invoke(app, ["run", str(tmp_path / "crm" / "segwise.yaml")])
    assert ran.exit_code == 0, ran.output
    assert "300 customers" in ran.output


def test_init_with_events_alone_is_refused_in_one_line(tmp_path: Path) -> None:
    events = tmp_path / "e.csv"
    events.write_text("customer_id,timestamp,event\n1,2025-01-01,visit\n")
    done = CliRunner().invoke(app, ["init", str(tmp_path / "p"), "--events", str(events)])
    assert done.exit_code == 1
    assert done.output.startswith("error: --events needs --customers or --transactions")
    assert "Traceback" not in done.output
    assert not (tmp_path / "p" / "segwise.yaml").exists()


def _crm(folder: Path, newest: dt.date, n: int = 400) -> Path:
    """A CRM table: sign-ups one a day up to ``newest``, an age, some without a sign-up date."""
    rng = np.random.default_rng(2)
    signed = [newest - dt.timedelta(days=i) for i in range(n)]
    table = pl.DataFrame(
        {"customer_id": range(n), "created_at": signed, "age": rng.integers(18, 80, n)}
    ).with_columns(
        pl.when(pl.col("customer_id") % 50 == 7)
        .then(None)
        .otherwise("created_at")
        .alias("created_at")
    )
    folder.mkdir(parents=True)
    table.write_csv(folder / "crm.csv")
    return folder / "crm.csv"


def test_a_sign_up_date_gives_lifecycle_rules_on_the_quarters(tmp_path: Path) -> None:
    today = dt.date.today()
    crm = _crm(tmp_path / "in", today - dt.timedelta(days=2))
    sniffed = sniff_customers_project(tmp_path / "crm", crm)
    text = sniffed.config.read_text()
    assert "as_of:" not in text.replace("# Without orders a run is as of today unless you set", "")
    # Sign-ups one a day over 400 days: the newest quarter joined within ~100 days.
    assert "    joined: created_at\n" in text
    assert 'where: "tenure_days <= 100"' in text
    assert 'where: "tenure_days > 300"' in text
    assert 'where: "tenure_days IS NULL"' in text  # 8 rows without a date: not "Established"
    project = sw.Project.from_yaml(sniffed.config)
    project.run()
    sizes = dict(
        project.store.memberships(segmentation="lifecycle").group_by("segment").len().rows()
    )
    assert sizes["Joining date unknown"] == 8
    assert 80 <= sizes["New members"] <= 110
    assert 80 <= sizes["Long-standing members"] <= 110
    assert sum(sizes.values()) == 400
    features = project.store.latest_features()
    assert features is not None
    first = features.filter(pl.col("customer_id") == "0")["tenure_days"].item()
    assert first == 2  # joined two days before the run (as of today)


def test_a_stale_export_is_run_as_of_its_newest_sign_up(tmp_path: Path) -> None:
    # The newest sign-up two years ago: counted from today, "new" would hold nobody.
    newest = dt.date.today() - dt.timedelta(days=730)
    crm = _crm(tmp_path / "in", newest)
    done = CliRunner().invoke(app, ["init", str(tmp_path / "crm"), "--customers", str(crm)])
    assert done.exit_code == 0, done.output
    assert f"note: the newest created_at is {newest} (730 days ago)" in done.output
    text = (tmp_path / "crm" / "segwise.yaml").read_text()
    assert f"\nas_of: {newest}\n" in text
    assert 'where: "tenure_days <= 100"' in text
    result = sw.Project.from_yaml(tmp_path / "crm" / "segwise.yaml").run()
    assert result.as_of == newest
    lifecycle = next(s for s in result.segmentations if s.name == "lifecycle")
    assert not lifecycle.warnings  # no empty segment


def test_with_an_event_log_the_30_day_counts_join_the_attributes_once(tmp_path: Path) -> None:
    from segwise.datasets import sample_paths

    paths = sample_paths()
    sniff_customers_project(tmp_path / "crm", paths["customers"], events=paths["events"])
    text = (tmp_path / "crm" / "segwise.yaml").read_text()
    line = next(x for x in text.splitlines() if x.strip().startswith("features:"))
    features = line.split("[")[1].rstrip("]").split(", ")
    assert len(features) == len(set(features))
    assert [f for f in features if f.endswith("_30d")] == [
        "add_to_cart_30d",
        "app_session_30d",
        "email_click_30d",
    ]
    assert not [f for f in features if f.endswith(("_7d", "_90d")) or f.startswith("days_")]
    # Runs are as of the last event's day: no snapshot as_of from the sign-up dates.
    assert "\nas_of:" not in text


def test_a_money_column_is_declared_the_cards_value(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    n = 300
    pl.DataFrame(
        {
            "customer_id": [f"C{i}" for i in range(n)],
            "age": rng.integers(18, 80, n),
            "loyalty_score": rng.integers(1, 100, n),
            "Total Spent": rng.gamma(2.0, 150.0, n).round(2),
        }
    ).write_csv(tmp_path / "crm.csv")
    sniffed = sniff_customers_project(tmp_path / "crm", tmp_path / "crm.csv")
    text = sniffed.config.read_text()
    assert "    value: Total Spent\n" in text
    result = sw.Project.from_yaml(sniffed.config).run()
    cards = [c for s in result.segmentations for c in s.cards]
    assert cards and all(c.value_mean is not None and c.value_mean > 0 for c in cards)
    assert sum(c.revenue_share or 0 for c in cards) == pytest.approx(1.0)


def test_the_money_column_is_found_past_the_clustered_attributes(tmp_path: Path) -> None:
    # Only the first eight numeric attributes were looked at, and "sales_calls" read as money.
    rng = np.random.default_rng(2)
    n = 200
    attributes = {f"attribute_{i}": rng.normal(size=n) for i in range(9)}
    pl.DataFrame(
        {
            "customer_id": [f"C{i}" for i in range(n)],
            "sales_calls": rng.integers(0, 20, n),
            **attributes,
            "lifetime_value": rng.gamma(2.0, 300.0, n).round(2),
        }
    ).write_csv(tmp_path / "crm.csv")
    text = sniff_customers_project(tmp_path / "crm", tmp_path / "crm.csv").config.read_text()
    assert "    value: lifetime_value\n" in text


def test_a_last_login_date_gives_activity_rules_and_dates_the_export(tmp_path: Path) -> None:
    # A last-login column sat on no rule; and runs were as of the newest sign-up (weeks before
    # the export), so the logins after it read as not yet happened: "Never active" 95%.
    rng = np.random.default_rng(4)
    n = 400
    export = dt.date(2024, 12, 31)
    login = [
        None if i % 5 == 0 else export - dt.timedelta(days=int(d))
        for i, d in enumerate(rng.exponential(40, n))
    ]
    pl.DataFrame(
        {
            "customer_id": [f"C{i}" for i in range(n)],
            "signup_date": [export - dt.timedelta(days=80 + i) for i in range(n)],
            "age": rng.integers(18, 80, n),
            "last_login": login,
        }
    ).write_csv(tmp_path / "crm.csv")
    sniffed = sniff_customers_project(tmp_path / "crm", tmp_path / "crm.csv")
    text = sniffed.config.read_text()
    assert "\nas_of: 2024-12-31\n" in text  # the newest login, not the newest sign-up
    assert 'where: "days_since_last_login IS NULL"' in text
    assert 'where: "days_since_last_login <= 30"' in text
    [activity] = [
        s for s in sw.Project.from_yaml(sniffed.config).run().segmentations if s.name == "activity"
    ]
    sizes = activity.members.group_by("segment").len().rows()
    days = [None if d is None else (export - d).days for d in login]
    assert dict(sizes) == {
        "Never active": sum(d is None for d in days),
        "Active": sum(d is not None and d <= 30 for d in days),
        "Lapsing": sum(d is not None and 30 < d <= 90 for d in days),
        "Dormant": sum(d is not None and d > 90 for d in days),
    }


def test_a_birth_date_does_not_date_the_export(tmp_path: Path) -> None:
    # Any date column was read as "the export was taken then": a table with dates of birth
    # and no sign-up date would have run as of its youngest customer's birthday.
    rng = np.random.default_rng(5)
    n = 100
    pl.DataFrame(
        {
            "customer_id": [f"C{i}" for i in range(n)],
            "birth_date": [
                dt.date(1960, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 15_000, n)
            ],
            "income": rng.integers(20_000, 90_000, n),
            "age_band": rng.integers(1, 6, n),
        }
    ).write_csv(tmp_path / "crm.csv")
    text = sniff_customers_project(tmp_path / "crm", tmp_path / "crm.csv").config.read_text()
    assert "\nas_of:" not in text
