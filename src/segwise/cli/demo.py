"""``segwise demo``: the main job on the bundled sample retailer."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Annotated

import typer

from segwise.cli.console import progress, stdout, user_errors


@user_errors
def demo(
    out: Annotated[
        Path, typer.Option("--out", help="Folder for the report and quarantine files.")
    ] = Path("segwise-demo"),
) -> None:
    """Run the main job on the bundled sample retailer (5,000 customers) and write an HTML report.

    Today the main job ingests customers, orders and events with their
    data-quality reports, builds customer features and RFM segments; the
    other segmentations join it as they land.
    """
    from rich.table import Table

    import segwise as sw
    from segwise.datasets import sample_paths
    from segwise.io.writers import write_table, write_text
    from segwise.report import render_quality_report
    from segwise.report.rfm import rfm_section

    out.mkdir(parents=True, exist_ok=True)
    paths = sample_paths()
    with progress("Reading the sample retailer") as step:
        step("Reading orders")
        orders = sw.read_transactions(paths["orders"])
        step("Reading customers")
        customers = sw.read_customers(paths["customers"], pii=["email", "phone"])
        step("Reading events")
        events = sw.read_events(paths["events"])
        reports = []
        for name, dataset in (("orders", orders), ("customers", customers), ("events", events)):
            step(f"Checking {name}")
            report = dataset.quality()
            if report.rows_quarantined:
                target = out / f"{name}.quarantine.csv"
                dataset.write_quarantine(target)
                report.notes.append(f"quarantined rows written to {target}")
            reports.append(report)
        step("Customer features")
        features = sw.customer_features(orders, customers=customers, events=events)
        write_table(features, out / "customer_features.parquet")
        step("RFM segments")
        score_map = sw.ScoreMap.preset("segwise")
        with warnings.catch_warnings(record=True) as notes:
            warnings.simplefilter("always")
            rfm = sw.rfm_table(orders, segment_map=score_map)
        write_table(rfm, out / "rfm.parquet")
        step("Writing the report")
        report_path = write_text(
            render_quality_report(
                reports,
                title="segwise demo: sample retailer",
                rfm=[rfm_section(rfm, score_map, title="RFM segments (segwise preset)")],
            ),
            out / "report.html",
        )
    table = Table(title="segwise demo: sample retailer", title_justify="left")
    for column in ("input", "rows read", "used", "quarantined", "customers", "from", "to"):
        table.add_column(column, justify="left" if column == "input" else "right")
    for name, report in zip(("orders", "customers", "events"), reports, strict=True):
        table.add_row(
            name,
            f"{report.rows_read:,}",
            f"{report.rows_used:,}",
            f"{report.rows_quarantined:,}",
            f"{report.customers:,}",
            f"{report.first_timestamp:%Y-%m-%d}" if report.first_timestamp else "",
            f"{report.last_timestamp:%Y-%m-%d}" if report.last_timestamp else "",
        )
    segments = Table(title="RFM segments", title_justify="left")
    for column in ("segment", "customers", "share", "recommended action"):
        segments.add_column(column, justify="right" if column in {"customers", "share"} else "left")
    described = score_map.describe()
    counts = rfm.group_by("segment").len().sort("len", descending=True)
    for name, count in counts.iter_rows():
        segments.add_row(name, f"{count:,}", f"{count / rfm.height:.1%}", described[name]["action"])
    console = stdout()
    console.print(table)
    console.print(segments)
    for note in notes:
        console.print(f"note: {note.message}", highlight=False)
    console.print(f"report: {report_path.resolve()}", highlight=False)
