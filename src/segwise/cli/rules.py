"""``segwise rules check FILE.yaml [--data FILE]``: lint a rule catalog or an RFM score map."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import Annotated, Any

import typer

from segwise.cli import options as opt
from segwise.cli.console import json_text, stdout, user_errors
from segwise.cli.inputs import CustomerInputs
from segwise.exceptions import ConfigError

rules_app = typer.Typer(
    name="rules", help="Check segment definitions.", no_args_is_help=True, rich_markup_mode=None
)


@rules_app.command("check")
@user_errors
def check(
    definition: Annotated[
        Path, typer.Argument(help="A rule catalog or a score map (YAML).", show_default=False)
    ],
    data: Annotated[
        str | None,
        typer.Option(
            "--data",
            help="Customers (rule catalogs) or transactions (score maps): adds sizes. For a "
            "catalog, --transactions alone builds the customer table from the orders.",
        ),
    ] = None,
    id_col: opt.CustomerCol = None,
    events: opt.EventsFile = None,
    transactions: opt.TransactionsFile = None,
    min_size: Annotated[
        int | None, typer.Option("--min-size", help="Segments smaller than this are tiny.")
    ] = None,
    min_share: Annotated[
        float | None,
        typer.Option("--min-share", help="Segments below this share (0-1) are tiny."),
    ] = None,
    as_of: opt.AsOf = None,
    policy: opt.Policy = "default",
    as_json: opt.Json = False,
) -> None:
    """Lint a rule catalog or a score map.

    Rule catalogs: syntax, rules that can never match, more than 8 segments; with --data also
    unknown columns, empty and tiny segments, overlaps in exclusive catalogs and sizes.
    Score maps: overlapping cells, shadowed segments, uncovered cells, fallback share.
    Exits with 1 when a definition does not parse or a rule is unusable; warnings exit 0.
    """
    from segwise._config import parse_yaml, read_text_file

    if not definition.is_file():
        raise ConfigError(f"{definition}: no such file", hint="check the path")
    parsed, _ = parse_yaml(read_text_file(definition), source=str(definition))
    if isinstance(parsed, dict) and "segments" in parsed and "bins" not in parsed:
        inputs = CustomerInputs(data, id_col, events, transactions, as_of=as_of)
        _check_catalog(definition, inputs, min_size=min_size, min_share=min_share, as_json=as_json)
    elif isinstance(parsed, dict) and "bins" in parsed:
        _check_score_map(definition, data, as_of=as_of, policy=policy, as_json=as_json)
    elif isinstance(parsed, dict) and "segmentations" in parsed:
        raise ConfigError(
            f"{definition}: a project file, not a rule catalog or a score map",
            hint=f"check a project's rules (with its data) by segwise validate {definition}",
        )
    else:
        raise ConfigError(
            f"{definition}: neither a rule catalog (a 'segments' key) nor a score map ('bins')",
            hint="see docs/rules.md and docs/rfm.md for the formats",
        )


def _score_counts(data: str, score_map: Any, *, as_of: str | None, policy: str) -> dict[str, int]:
    """How many customers of ``data`` (transactions) hold each RFM score cell."""
    import segwise as sw
    from segwise.features.rfm import rfm_table

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # binning notes belong to `segwise rfm`, not the lint
        table = rfm_table(
            sw.read_transactions(data, policy=policy),
            as_of=as_of,
            bins=score_map.bins,
            segment_map=score_map,
        )
    grouped = table.group_by("rfm_score").len()
    return dict(zip(grouped["rfm_score"].to_list(), grouped["len"].to_list(), strict=True))


def _check_score_map(
    definition: Path, data: str | None, *, as_of: str | None, policy: str, as_json: bool
) -> None:
    from segwise.features.score_map import ScoreMap, lint_score_map, too_many_segments

    score_map = ScoreMap.from_yaml(definition)
    counts = None if data is None else _score_counts(data, score_map, as_of=as_of, policy=policy)
    lint = lint_score_map(score_map, scores=counts)
    console = stdout()
    if as_json:
        console.print_json(json_text({"map": score_map.name} | lint.to_dict()))
        return
    console.print(
        f"{definition}: score map '{score_map.name}', {len(score_map.segments)} segments, "
        f"{score_map.bins} bins",
        highlight=False,
    )
    if lint.clean:
        console.print("no findings: every cell belongs to exactly one segment", highlight=False)
    if lint.too_many:
        # A note, not a fault: whoever chose an 11-segment map may want exactly that.
        sys.stdout.write(f"note: {too_many_segments(lint.too_many)}\n")
    if lint.fallback_share is not None:
        console.print(f"fallback share on the data: {lint.fallback_share:.1%}", highlight=False)
    for line in lint.lines():
        if not (lint.too_many and line == too_many_segments(lint.too_many)):
            sys.stdout.write(f"warning: {line}\n")


def _check_catalog(
    definition: Path,
    inputs: CustomerInputs,
    *,
    min_size: int | None,
    min_share: float | None,
    as_json: bool,
) -> None:
    from segwise.profiling import lint_rule_catalog
    from segwise.segmenters import RuleCatalog

    catalog = RuleCatalog.from_yaml(definition)
    read = None
    if inputs.file is not None or inputs.transactions is not None:
        # With --transactions alone, the customer table is built from the orders export.
        read = inputs.read()
    lint = lint_rule_catalog(
        catalog,
        None if read is None else read.table,
        id_col=None if read is None else read.id_col,
        events=None if read is None else read.events,
        transactions=None if read is None else read.transactions,
        as_of=inputs.as_of,
        min_size=min_size,
        min_share=min_share,
    )
    console = stdout()
    if as_json:
        console.print_json(json_text(lint.to_dict()))
    else:
        _print_catalog_lint(console, definition, catalog, lint)
    if lint.errors:
        raise typer.Exit(1)


def _print_catalog_lint(console: Any, definition: Path, catalog: Any, lint: Any) -> None:
    """The lint as a table of sizes per condition, the coverage and one line per finding."""
    preview = lint.preview
    kind = "exclusive" if catalog.exclusive else "overlapping"
    console.print(
        f"{definition}: rule catalog '{catalog.name}', {lint.segments} segments, {kind}",
        highlight=False,
    )
    if preview is not None:
        console.print(_sizes_table(preview))
        if preview.other_count is not None and preview.total:
            covered = 1 - preview.other_count / preview.total
            console.print(
                f"coverage: {covered:.1%} of customers are in a segment, "
                f"{preview.other_count:,} in '{catalog.other}'",
                highlight=False,
            )
    if lint.clean:
        console.print("no findings", highlight=False)
    for finding in lint.findings:
        sys.stdout.write(finding.line() + "\n")


def _sizes_table(preview: Any) -> Any:
    from rich.table import Table

    table = Table(title=f"{preview.total:,} customers", title_justify="left")
    for column in ("segment", "condition", "alone", "cumulative", "customers", "share"):
        right = column not in ("segment", "condition")
        table.add_column(column, justify="right" if right else "left")
    for size in preview.segments:
        kept = size.assigned if size.assigned is not None else size.matches
        rows = size.conditions or ()
        for position, condition in enumerate(rows):
            last = position == len(rows) - 1
            table.add_row(
                size.name if position == 0 else "",
                condition.text,
                f"{condition.alone:,}",
                f"{condition.cumulative:,}",
                f"{kept:,}" if last else "",
                f"{size.share:.1%}" if last else "",
            )
        if not rows:
            table.add_row(size.name, "(id list)", "", "", f"{kept:,}", f"{size.share:.1%}")
    return table
