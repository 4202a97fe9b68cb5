"""`segwise init --transactions`: the rules it writes fit the customers the data holds."""

from __future__ import annotations

import gzip
import warnings
from typing import TYPE_CHECKING

import polars as pl
import pytest

import segwise as sw
from segwise.datasets import sample_paths
from segwise.io.timestamps import AmbiguousDatesWarning
from segwise.project.sniff import sniff_project
from tests.project.demo import keep_segmentations

if TYPE_CHECKING:
    from pathlib import Path

NEVER_BOUGHT = ["9999001", "9999002"]


def _customers(tmp_path: Path, extra: list[str], *, buyers_only: bool = False) -> Path:
    """The sample's customer table (its buyers only if asked), plus sign-ups with no order."""
    with gzip.open(sample_paths()["customers"]) as handle:
        people = pl.read_csv(handle.read(), infer_schema=False)
    if buyers_only:
        people = people.filter(pl.col("customer_id").is_in(_never_bought(people)).not_())
    signed_up = pl.DataFrame({"customer_id": extra}).with_columns(
        pl.lit(None, dtype=pl.String).alias(c) for c in people.columns if c != "customer_id"
    )
    path = tmp_path / "crm.csv"
    pl.concat([people, signed_up.select(people.columns)]).write_csv(path)
    return path


def _never_bought(people: pl.DataFrame) -> list[str]:
    features = sw.customer_features(
        sw.read_transactions(sample_paths()["orders"]), customers=sw.read_customers(people)
    )
    return features.filter(pl.col("orders") == 0)["customer_id"].cast(pl.String).to_list()


def test_customers_who_never_bought_get_their_own_rule(tmp_path: Path) -> None:
    # Without it the catch-all, "Active repeat buyers", held people who never bought.
    crm = _customers(tmp_path, NEVER_BOUGHT)
    sniffed = sniff_project(tmp_path / "shop", sample_paths()["orders"], customers=crm)
    text = sniffed.config.read_text()
    assert 'where: "orders = 0"' in text
    result = sw.Project.from_yaml(keep_segmentations(sniffed.config, "lifecycle")).run()
    [lifecycle] = result.segmentations
    members = lifecycle.members.filter(pl.col("segment") == "No purchase yet")
    held = sorted(members["customer_id"].cast(pl.String).to_list())
    assert set(NEVER_BOUGHT) <= set(held)  # with the sample's own few
    assert held == sorted(_never_bought(pl.read_csv(crm, infer_schema=False)))
    card = next(c for c in lifecycle.cards if c.segment == "No purchase yet")
    # One trait says it; "orders far below average (0 vs …)" and the like only restate it.
    assert card.traits[0].startswith("100% have never bought")
    restated = [t for t in card.traits if "orders" in t or "return" in t or "revenue" in t]
    assert restated == []
    assert card.auto_name.startswith("Non-buying"), card.auto_name


def test_no_such_rule_when_every_customer_bought(tmp_path: Path) -> None:
    crm = _customers(tmp_path, [], buyers_only=True)
    sniffed = sniff_project(tmp_path / "shop", sample_paths()["orders"], customers=crm)
    assert "orders = 0" not in sniffed.config.read_text()


def test_a_sign_up_date_is_offered_as_joined_and_gives_never_buyers_a_tenure(
    tmp_path: Path,
) -> None:
    # With orders, the CRM's sign-up date was not mentioned: the sample customers who never
    # bought had no tenure, so tenure rules and traits could not see them.
    sniff_project(
        tmp_path / "shop", sample_paths()["orders"], customers=sample_paths()["customers"]
    )
    config = tmp_path / "shop" / "segwise.yaml"
    text = config.read_text()
    assert "    # joined: signup_date" in text
    config.write_text(text.replace("    # joined: signup_date", "    joined: signup_date"))
    keep_segmentations(config, "lifecycle")
    project = sw.Project.from_yaml(config)
    project.run()
    features = project.store.latest_features()
    assert features is not None
    never = features.filter(pl.col("orders") == 0)
    assert never.height > 0 and never["tenure_days"].is_not_null().all()
    buyers = features.filter(pl.col("orders") > 0)
    assert buyers["tenure_days"].is_not_null().all()


def test_a_last_login_in_the_customer_table_gives_activity_rules(tmp_path: Path) -> None:
    # A shop whose CRM table says when each customer last logged in: the login lifecycle
    # (never, active, lapsing, dormant) beside the purchase one. The event log alone does not:
    # its activity is on the cards already.
    with gzip.open(sample_paths()["customers"]) as handle:
        people = pl.read_csv(handle.read(), infer_schema=False)
    last = sw.read_transactions(sample_paths()["orders"]).quality().last_timestamp.date()
    days = pl.int_range(pl.len()) % 120
    people = people.with_columns(
        pl.when(pl.int_range(pl.len()) % 7 == 0)
        .then(None)
        .otherwise(pl.lit(last) - pl.duration(days=days))
        .alias("last_login")
    )
    crm = tmp_path / "crm.csv"
    people.write_csv(crm)
    sniffed = sniff_project(tmp_path / "shop", sample_paths()["orders"], customers=crm)
    text = sniffed.config.read_text()
    assert "\n  activity:\n" in text and 'where: "days_since_last_login IS NULL"' in text
    result = sw.Project.from_yaml(keep_segmentations(sniffed.config, "activity")).run()
    [activity] = result.segmentations
    sizes = dict(activity.members.group_by("segment").len().rows())
    assert sizes["Never active"] == people["last_login"].null_count()
    assert set(sizes) == {"Never active", "Active", "Lapsing", "Dormant"}
    events = sniff_project(
        tmp_path / "events", sample_paths()["orders"], events=sample_paths()["events"]
    )
    assert "activity:" not in events.config.read_text()


def test_an_event_log_beside_the_orders_gives_engagement_rules(tmp_path: Path) -> None:
    # With orders and an event log, init wrote no rule on the events: the groups a team acts
    # on first (cart abandoners, engaged customers who stopped buying) had to be written by
    # hand.
    paths = sample_paths()
    sniffed = sniff_project(tmp_path / "shop", paths["orders"], events=paths["events"])
    text = sniffed.config.read_text()
    assert "\n  engagement:\n" in text and "\n  activity:\n" not in text
    assert "In the event log with no purchase yet" in text  # there is no customer table
    result = sw.Project.from_yaml(keep_segmentations(sniffed.config, "engagement")).run()
    [engagement] = result.segmentations
    segments = dict(engagement.members.select("customer_id", "segment").rows())
    assert set(segments.values()) == {
        "Cart abandoners",
        "Engaged, not buying",
        "Engaged buyers",
        "No activity on record",
        "Quiet",
    }
    # Checked against the raw files: each abandoner's last cart came after their last order,
    # and everyone with a cart in the last 7 days and no order in them is an abandoner.
    as_of = result.as_of
    events = pl.read_parquet(paths["events"]).with_columns(day=pl.col("ts").dt.date())
    carts = events.filter(pl.col("event") == "add_to_cart", pl.col("day") <= as_of)
    last_cart = dict(carts.group_by("user_id").agg(pl.col("day").max()).rows())
    orders = sw.read_transactions(paths["orders"]).data.collect().to_native()
    last_order = dict(
        orders.filter(~pl.col("is_return"))
        .group_by(pl.col("customer_id").cast(pl.String))
        .agg(pl.col("timestamp").dt.date().max())
        .rows()
    )
    abandoners = {c for c, s in segments.items() if s == "Cart abandoners"}
    assert abandoners and all(
        c not in last_order or last_cart[c] > last_order[c] for c in abandoners
    )
    week = {c for c, d in last_cart.items() if (as_of - d).days < 7}
    assert week - {c for c, d in last_order.items() if (as_of - d).days < 7} <= abandoners
    seen = set(events["user_id"].to_list())
    silent = {c for c in segments if c not in seen}
    assert {c for c, s in segments.items() if s == "No activity on record"} == silent


def test_dates_that_read_both_ways_are_written_down_with_their_twin(tmp_path: Path) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "customer_id,order_date,amount,order_id\n"
        + "".join(
            f"c{i % 40},{1 + i % 12:02d}/{1 + (i * 7) % 12:02d}/2024,{5 + i % 30},o{i}\n"
            for i in range(400)
        )
    )
    sniffed = sniff_project(tmp_path / "shop", orders)
    [note] = [n for n in sniffed.notes if "day and month swapped" in n]
    assert note.startswith("the dates were read as %d/%m/%Y, and every one also reads as %m/%d/%Y")
    text = sniffed.config.read_text()
    assert '    timestamp_format: "%d/%m/%Y"\n    # Every date also reads as %m/%d/%Y' in text
    # The pattern is the project's now: a run reads it as written and has nothing to warn.
    with warnings.catch_warnings():
        warnings.simplefilter("error", AmbiguousDatesWarning)
        config = keep_segmentations(sniffed.config, "value")
        assert sw.Project.from_yaml(config).run().customers == 40
    # The user writes the twin: the same orders, each day and month swapped.
    lines = config.read_text().splitlines(keepends=True)
    config.write_text(
        "".join(
            line.replace("%d/%m/%Y", "%m/%d/%Y") if "timestamp_format:" in line else line
            for line in lines
        )
    )
    project = sw.Project.from_yaml(config)
    assert project.config.sources.transactions.timestamp_format == "%m/%d/%Y"
    assert project.run().customers == 40


def test_amounts_written_with_a_currency_set_the_projects_currency(tmp_path: Path) -> None:
    orders = tmp_path / "commandes.csv"
    amounts = [1000 + (i * 37) % 900 + (i % 100) / 100 for i in range(400)]
    orders.write_text(
        "customer_id;order_date;amount;order_id\n"
        + "".join(
            f"c{i % 40};2024-{1 + i % 12:02d}-{1 + i % 28:02d};"
            + f"{a:,.2f} €".translate(str.maketrans(",.", ".,"))
            + f";o{i}\n"
            for i, a in enumerate(amounts)
        ),
        encoding="utf-8",
    )
    sniffed = sniff_project(tmp_path / "boutique", orders)
    text = sniffed.config.read_text()
    assert "currency: EUR  # read off the amounts, written with '€'" in text
    project = sw.Project.from_yaml(keep_segmentations(sniffed.config, "value"))
    assert project.config.currency == "EUR"
    result = project.run()
    assert result.customers == 40
    [value] = result.segmentations
    assert any("€" in trait for card in value.cards for trait in card.traits)


def _dollar_orders(path: Path, header: str) -> Path:
    """400 orders by 40 customers over a year, their amounts written like ``$1,000.50``."""
    path.write_text(
        header
        + "\n"
        + "".join(
            f'c{i % 40},2024-{1 + i % 12:02d}-{1 + i % 28:02d},"${1000 + i:,}.50",o{i}\n'
            for i in range(400)
        )
    )
    return path


def test_a_dollar_sign_is_not_taken_for_one_currency(tmp_path: Path) -> None:
    orders = _dollar_orders(tmp_path / "orders.csv", "customer_id,order_date,amount,order_id")
    sniffed = sniff_project(tmp_path / "shop", orders)
    text = sniffed.config.read_text()
    assert "# currency:  # the amounts are written with '$', which several currencies" in text
    assert sw.Project.from_yaml(sniffed.config).config.currency is None


def test_a_currency_in_the_amounts_header_sets_the_projects_currency(tmp_path: Path) -> None:
    orders = _dollar_orders(tmp_path / "orders.csv", "Customer ID,Order Date,Amount (CAD),Order ID")
    sniffed = sniff_project(tmp_path / "shop", orders)
    text = sniffed.config.read_text()
    assert '\ncurrency: CAD  # read off the header of "Amount (CAD)"\n' in text
    project = sw.Project.from_yaml(keep_segmentations(sniffed.config, "value"))
    assert project.config.currency == "CAD"
    assert project.run().customers == 40


def _shop_export(path: Path) -> Path:
    """Shopify's shape: no customer id but the e-mail, the order number in `Name`, the total
    and the status on an order's first line only; every fifth order refunded."""
    lines = ["Name;Email;Financial Status;Total;Currency;Created at;Lineitem name"]
    for order in range(300):
        status = "refunded" if order % 5 == 0 else "paid"
        day = f"2024-{1 + order % 12:02d}-{1 + order % 28:02d}"
        first = f"#{1000 + order};c{order % 30}@shop.io;{status};{20 + order % 70}.50;EUR;{day}"
        lines += [f"{first};Mug", f"#{1000 + order};c{order % 30}@shop.io;;;;{day};Tea"]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_init_told_the_columns_writes_them_and_the_run_reads_the_export_so(
    tmp_path: Path,
) -> None:
    from typer.testing import CliRunner

    from segwise.cli.app import app

    orders = _shop_export(tmp_path / "orders_export.csv")
    runner = CliRunner()
    refused = runner.invoke(app, ["init", str(tmp_path / "p"), "--transactions", str(orders)])
    assert refused.exit_code == 1
    assert "--customer-col 'Email'" in refused.output
    told = ["--customer-col", "Email", "--order-col", "Name", "--delimiter", ";"]
    done = runner.invoke(app, ["init", str(tmp_path / "p"), "--transactions", str(orders), *told])
    assert done.exit_code == 0, done.output
    text = (tmp_path / "p" / "segwise.yaml").read_text()
    for line in ("customer_id: Email", "order_id: Name", "order_status: Financial Status"):
        assert f"    {line}\n" in text
    assert '    delimiter: ";"\n' in text
    assert "\ncurrency: EUR  # read off the Currency column\n" in text
    result = sw.Project.from_yaml(keep_segmentations(tmp_path / "p" / "segwise.yaml", "value"))
    run = result.run()
    # 240 paid orders (the refunded 60 and every order's second line out), by 24 customers:
    # c0, c5 … c25 placed only orders 0, 5, 10 … (every fifth), all refunded.
    [report] = [r for r in run.quality if r.source.endswith("orders_export.csv")]
    assert (report.rows_used, report.customers) == (240, 24)
    assert (report.excluded["void_order"], report.excluded["order_line_without_amount"]) == (
        120,
        240,
    )
    alone = runner.invoke(app, ["init", str(tmp_path / "q"), "--customer-col", "Email"])
    assert alone.exit_code == 1
    assert "no --transactions is given" in alone.output


def test_the_rest_of_the_lifecycle_rules_are_active_only_where_lapsed_starts_within_a_year(
    tmp_path: Path, shared_data: Path
) -> None:
    """CDNOW's quietest quarter starts at 500 days: its rest, typically 8 months quiet, were
    "Active repeat buyers"; Online Retail II's starts at 140 days."""
    cdnow = sniff_project(tmp_path / "cdnow", shared_data / "cdnow_master_transactions.csv.gz")
    text = cdnow.config.read_text()
    assert 'where: "recency_days > 500"' in text
    assert "other: Repeat buyers" in text
    retail = shared_data / "online_retail_ii_2009_2010.csv.gz"
    shop = sniff_project(tmp_path / "shop", retail).config.read_text()
    assert 'where: "recency_days > 140"' in shop
    assert "other: Active repeat buyers" in shop


def _in_two_files(
    folder: Path, first: dict[str, str], second: dict[str, str], *, again: int = 0
) -> pl.DataFrame:
    """The sample's orders split in two files of ``folder``, columns renamed; the second
    starts ``again`` rows before the first ends."""
    with gzip.open(sample_paths()["orders"]) as handle:
        orders = pl.read_csv(handle.read(), infer_schema=False)
    half = orders.height // 2
    folder.mkdir()
    orders.head(half).rename(first).write_csv(folder / "2024-a.csv")
    orders.tail(orders.height - half + again).rename(second).write_csv(folder / "2024-b.csv")
    return orders


def test_a_folder_of_exports_that_name_columns_differently_runs(tmp_path: Path) -> None:
    # A shop's old and new exports (Online Retail II's "Customer ID" and "Invoice", the older
    # file's "CustomerID" and "InvoiceNo"): init used to write the first file's names, which
    # the other file lacks, so the project it wrote could not run.
    orders = _in_two_files(
        tmp_path / "exports",
        {"customer_id": "Customer ID", "order_id": "Invoice"},
        {"customer_id": "CustomerID", "order_id": "InvoiceNo"},
    )
    sniff_project(tmp_path / "p", tmp_path / "exports")
    text = (tmp_path / "p" / "segwise.yaml").read_text()
    assert "    timestamp: order_date\n" in text and "    amount: amount\n" in text
    assert "customer_id: " not in text and "order_id: " not in text
    assert "    # The files name customer_id and order_id differently: each file's" in text
    assert "duplicates:" not in text  # the files share no row
    run = sw.Project.from_yaml(keep_segmentations(tmp_path / "p" / "segwise.yaml", "value")).run()
    whole = sw.read_transactions(sample_paths()["orders"]).quality()
    assert sum(r.rows_read for r in run.quality) == whole.rows_read == orders.height
    assert sum(r.rows_used for r in run.quality) == whole.rows_used


def test_a_folder_of_exports_that_overlap_in_time_drops_the_overlap(tmp_path: Path) -> None:
    _in_two_files(tmp_path / "exports", {}, {}, again=40)  # the second file repeats 40 rows
    with pytest.warns(UserWarning, match="40 rows equal a row of .* quarantined from it"):
        sniff_project(tmp_path / "p", tmp_path / "exports")
    text = (tmp_path / "p" / "segwise.yaml").read_text()
    assert "    duplicates: drop\n    # 40 rows of a later file repeat an earlier file's" in text
    with pytest.warns(UserWarning, match="quarantined from it"):
        run = sw.Project.from_yaml(
            keep_segmentations(tmp_path / "p" / "segwise.yaml", "value")
        ).run()
    [report] = run.quality
    assert report.excluded["repeated_from_earlier_source"] == 40
    # Told to drop them, init writes the option once, as told.
    with pytest.warns(UserWarning, match="quarantined from it"):
        sniff_project(tmp_path / "q", tmp_path / "exports", reading={"duplicates": "drop"})
    assert (tmp_path / "q" / "segwise.yaml").read_text().count("duplicates:") == 1
    # Each order once: as the one file read with its own copies dropped.
    once = sw.read_transactions(sample_paths()["orders"], duplicates="drop").quality()
    assert report.rows_used == once.rows_used
