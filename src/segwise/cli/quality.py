"""``segwise quality FILE …``: the data-quality report, and the quarantine file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from segwise.cli import options as opt
from segwise.cli.console import json_text, progress, quality_table, stdout, user_errors
from segwise.exceptions import ConfigError

if TYPE_CHECKING:
    from collections.abc import Callable

    from segwise.io.options import SourceOptions
    from segwise.io.quality import QualityReport


def _stem(path: str) -> str:
    name = Path(path).name
    for suffix in (
        ".gz",
        ".csv",
        ".tsv",
        ".txt",
        ".parquet",
        ".xlsx",
        ".jsonl",
        ".json",
        ".duckdb",
        ".db",
    ):
        name = name.removesuffix(suffix)
    return name or "input"


REPORT_FORMATS = (".json", ".html", ".csv", ".parquet")


def _quarantine_targets(files: list[str], given: Path | None) -> dict[str, Path]:
    """Where each input's quarantine goes: ``<name>.quarantine.csv``, never shared.

    Two inputs with one file name (``a/orders.csv``, ``b/orders.csv``) would
    overwrite each other's quarantine; the second becomes ``orders-2.quarantine.csv``.
    """
    if given is not None:
        return dict.fromkeys(files, given)
    targets: dict[str, Path] = {}
    used: set[str] = set()
    for file in files:
        stem, name, n = _stem(file), f"{_stem(file)}.quarantine.csv", 1
        while name in used:
            n += 1
            name = f"{stem}-{n}.quarantine.csv"
        used.add(name)
        targets[file] = Path(name)
    return targets


def write_report_file(reports: list[Any], output: Path) -> None:
    """Write quality reports to ``output``: .json, .html, or .csv (measure, value rows)."""
    from segwise.io.writers import write_table, write_text

    suffix = output.suffix.lower()
    if suffix == ".json":
        payload = [r.to_dict() for r in reports]
        write_text(json_text(payload[0] if len(payload) == 1 else payload, indent=2), output)
    elif suffix == ".html":
        from segwise.report import render_quality_report

        write_text(render_quality_report(reports), output)
    elif suffix in {".csv", ".parquet"}:
        import polars as pl

        rows = [
            {"source": r.source, "measure": key, "value": value}
            for r in reports
            for key, value in [
                ("rows_read", r.rows_read),
                ("rows_used", r.rows_used),
                ("rows_quarantined", r.rows_quarantined),
                *[(f"excluded:{k}", n) for k, n in r.excluded.items()],
                *[(f"check:{k}", n) for k, n in r.checks.items()],
                ("customers", r.customers),
            ]
        ]
        write_table(pl.DataFrame(rows), output)
    else:
        raise ConfigError(
            f"{output}: cannot write a quality report as '{suffix or 'no extension'}'",
            hint="use .json, .html, .csv or .parquet",
        )


@user_errors
@opt.with_all_source_options
def quality(
    files: Annotated[
        list[str], typer.Argument(help="Files or database URLs to check.", show_default=False)
    ],
    kind: Annotated[
        str,
        typer.Option(
            "--kind",
            help="transactions, customers, events, responses, accounts, exposures or outcomes.",
        ),
    ] = "transactions",
    as_of: opt.AsOf = None,
    quarantine: Annotated[
        Path | None,
        typer.Option(
            "--quarantine", help="Write excluded rows here (default: <name>.quarantine.csv)."
        ),
    ] = None,
    no_quarantine: Annotated[
        bool, typer.Option("--no-quarantine", help="Do not write excluded rows.")
    ] = False,
    output: opt.Output = None,
    as_json: opt.Json = False,
    *,
    source: SourceOptions,
) -> None:
    """Count rows read, used and quarantined (with reasons), duplicates, returns and customers.

    Nothing disappears silently: rows read = rows used + rows quarantined, and
    quarantined rows are written with a `reason` column.
    """
    from segwise._validation import check_choice

    check_choice(
        "--kind",
        kind,
        ["transactions", "customers", "events", "responses", "accounts", "exposures", "outcomes"],
    )
    if output is not None:
        # Refuse a report format before any work (and before any quarantine file is written).
        check_choice("-o extension", output.suffix.lower() or "(none)", list(REPORT_FORMATS))
    if quarantine is not None and len(files) > 1:
        raise ConfigError(
            "--quarantine names one file but several inputs were given",
            hint="check one input at a time, or let each default to <name>.quarantine.csv",
        )
    options = source.keywords(kind) | (
        {}
        if kind in {"customers", "responses", "accounts", "exposures", "outcomes"} or as_of is None
        else {"as_of": as_of}
    )
    for file in files:
        if Path(file).suffix.lower() in {".yaml", ".yml"} or Path(file).is_dir():
            from segwise.cli.inputs import project_file

            # The init comment once sent users here with the project file itself; a
            # project's folder would read its models and reports as exports.
            if project_file(file) is not None:
                what = "folder" if Path(file).is_dir() else "file"
                raise ConfigError(
                    f"{file}: a project {what}, not a table of {kind}",
                    hint=f"check a project's sources with their columns by segwise validate "
                    f"{file}; segwise quality reads data files",
                )
        if Path(file).suffix.lower() in {".yaml", ".yml"}:
            raise ConfigError(
                f"{file}: a YAML file, not a table of {kind}",
                hint="give a data file: CSV, Parquet, Excel or JSON lines, or a database URL",
            )
    targets = None if no_quarantine else _quarantine_targets(files, quarantine)
    with progress("Reading") as step:
        checked = [_check(kind, file, options, targets, step) for file in files]
        reports = [report for _, report in checked]
        if len(checked) > 1:
            step("Comparing the files")
            _note_overlaps(checked)
        if output is not None:
            step(f"Writing {output}")
            write_report_file(reports, output)
    console = stdout()
    if as_json:
        payload = [r.to_dict() for r in reports]
        console.print_json(json_text(payload[0] if len(payload) == 1 else payload))
        return
    for report in reports:
        console.print(quality_table(report))
        for note in report.notes:
            console.print(f"  · {note}", highlight=False)
    if output is not None:
        console.print(f"report written to {output}", highlight=False)


def _note_overlaps(checked: list[tuple[Any, QualityReport]]) -> None:
    """A note (and a check) on each file that repeats rows of a file before it."""
    from segwise.io.overlaps import overlap_text, repeated_from_earlier_parts

    reports = {id(dataset): report for dataset, report in checked}
    for part, earlier, count in repeated_from_earlier_parts([d for d, _ in checked]):
        report = reports[id(part)]
        report.checks["repeated_from_earlier_source"] = count
        report.notes.append(overlap_text(part, earlier, count))


def _check(
    kind: str,
    file: str,
    options: dict[str, Any],
    targets: dict[str, Path] | None,
    step: Callable[[str], None],
) -> tuple[Any, QualityReport]:
    """Read one input as the kind of table it is, report on it, and write its quarantine."""
    import segwise as sw

    readers: dict[str, Any] = {
        "transactions": sw.read_transactions,
        "customers": sw.read_customers,
        "events": sw.read_events,
        "responses": sw.read_responses,
        "accounts": sw.read_accounts,
        "exposures": sw.read_exposures,
        "outcomes": sw.read_outcomes,
    }
    step(f"Reading {file}")
    dataset = readers[kind](file, **options)
    step(f"Checking {file}")
    report: QualityReport = dataset.quality()
    if report.rows_quarantined and targets is not None:
        step(f"Writing {targets[file]}")
        dataset.write_quarantine(targets[file])
        report.notes.append(f"quarantined rows written to {targets[file]}")
    return dataset, report
