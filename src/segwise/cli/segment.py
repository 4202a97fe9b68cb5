"""``segwise segment`` and ``segwise explain``: rule segments for a customer table."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from segwise.cli import options as opt
from segwise.cli.console import json_text, progress, stdout, user_errors
from segwise.cli.inputs import project_file, with_customer_inputs
from segwise.exceptions import ConfigError

if TYPE_CHECKING:
    from segwise.cli.inputs import CustomerInputs

RulesFile = Annotated[
    Path, typer.Option("--rules", help="The rule catalog (YAML).", show_default=False)
]
Exclusive = Annotated[
    bool | None,
    typer.Option(
        "--exclusive/--overlapping",
        help="First match wins (one 'segment' column) or one boolean column per segment; "
        "default: the catalog's setting.",
        show_default=False,
    ),
]


Within = Annotated[
    str | None,
    typer.Option(
        "--within",
        help="Split this segment into ad hoc cells for one campaign (with --by); nothing is "
        "stored.",
    ),
]
By = Annotated[
    str | None,
    typer.Option(
        "--by", help="The feature to split --within by: numeric (quantiles) or text (values)."
    ),
]
Cells = Annotated[int, typer.Option("--cells", help="How many cells (2-12).")]


@user_errors
@with_customer_inputs
def segment(
    rules: RulesFile,
    exclusive: Exclusive = None,
    within: Within = None,
    by: By = None,
    cells: Cells = 4,
    output: opt.Output = None,
    as_json: opt.Json = False,
    *,
    inputs: CustomerInputs,
) -> None:
    """Assign customers to the segments of a rule catalog.

    -o writes <id>, segment (exclusive catalogs) or <id> and one true/false column per segment
    (overlapping ones); without -o a table of segment sizes is printed. --within SEGMENT --by
    FEATURE splits one segment into ad hoc cells instead (-o writes <id>, segment, cell).
    """
    from rich.table import Table

    from segwise.io.writers import write_table
    from segwise.segmenters import RuleSegmenter

    if (within is None) != (by is None):
        raise typer.BadParameter("--within and --by go together", param_hint="--within/--by")
    if project_file(rules) is not None:
        raise ConfigError(
            f"{rules}: a project file, not a rule catalog",
            hint=f"segment with a project's rules by segwise run {rules}; segwise segment "
            "--rules takes a catalog (docs/rules.md)",
        )
    with progress("Segmenting") as step:
        step("Reading")
        data, id_name, events_data, transactions_data = inputs.read()
        step("Checking the rules")
        segmenter = RuleSegmenter(rules, exclusive=exclusive, id_col=id_name, as_of=inputs.as_of)
        # Fitting checks every rule against the columns; the preview below is the one pass.
        segmenter.fit(data.head(0), events=events_data, transactions=transactions_data)
        if within is not None and by is not None:
            step(f"Splitting '{within}' by {by}")
            members = segmenter.segment(data, events=events_data, transactions=transactions_data)
            _print_cells(members, data, within, by, cells, id_name, output, as_json=as_json)
            return
        step("Sizing the segments")
        preview = segmenter.preview(data, events=events_data, transactions=transactions_data)
        if output is not None:
            step(f"Writing {output}")
            members = segmenter.segment(data, events=events_data, transactions=transactions_data)
            write_table(members, output)
    catalog = segmenter.catalog_
    sizes = preview.sizes()
    console = stdout()
    if as_json:
        payload = {
            "catalog": catalog.name,
            "exclusive": catalog.exclusive,
            "customers": preview.total,
            "segments": [
                {"name": name, "size": size, "share": size / preview.total if preview.total else 0}
                for name, size in sizes.items()
            ],
        }
        console.print_json(json_text(payload))
        return
    kind = "exclusive" if catalog.exclusive else "overlapping"
    table = Table(
        title=f"{preview.total:,} customers · {kind} catalog {catalog.name}", title_justify="left"
    )
    for column in ("segment", "customers", "share"):
        table.add_column(column, justify="left" if column == "segment" else "right")
    for name, size in sizes.items():
        share = size / preview.total if preview.total else 0.0
        table.add_row(name, f"{size:,}", f"{share:.1%}")
    console.print(table)
    if output is not None:
        console.print(f"{preview.total:,} customers written to {output}", highlight=False)


def _print_cells(
    members: Any,
    data: Any,
    within: str,
    by: str,
    cells: int,
    id_name: str,
    output: Path | None,
    *,
    as_json: bool,
) -> None:
    """Split one segment into ad hoc cells; print their sizes (and write them with -o)."""
    import polars as pl
    from rich.table import Table

    from segwise.engine.frames import to_lazy
    from segwise.io.writers import write_table
    from segwise.segmenters.micro import micro_segments

    table = pl.DataFrame(to_lazy(members).collect(backend="polars").to_native())
    if "segment" not in table.columns:  # overlapping catalog: one row per audience
        flags = [c for c in table.columns if c != id_name]
        table = table.unpivot(flags, index=id_name, variable_name="segment", value_name="held")
        table = table.filter(pl.col("held")).drop("held")
    found = micro_segments(table, data, within=within, by=by, cells=cells, id_col=id_name)
    if output is not None:
        write_table(found, output)
    sizes = found.group_by("cell").len().sort("cell")
    total = found.height
    rows = [{"cell": c, "customers": n, "share": n / total} for c, n in sizes.iter_rows()]
    console = stdout()
    if as_json:
        console.print_json(json_text({"segment": within, "by": by, "ad_hoc": True, "cells": rows}))
        return
    shown = Table(
        title=f"'{within}' ({total:,} customers) split by {by}: ad hoc cells, not stored",
        title_justify="left",
    )
    for column in ("cell", "customers", "share of the segment"):
        shown.add_column(column, justify="left" if column == "cell" else "right")
    for row in rows:
        shown.add_row(row["cell"], f"{row['customers']:,}", f"{row['share']:.1%}")
    console.print(shown)
    if output is not None:
        console.print(f"{total:,} customers written to {output}", highlight=False)


@user_errors
@with_customer_inputs
def explain(
    customer: Annotated[str, typer.Option("--customer", help="The customer's id.")],
    segment_name: Annotated[str, typer.Option("--segment", help="The segment to explain.")],
    rules: Annotated[
        Path | None,
        typer.Option(
            "--rules", help="The rule catalog (YAML); not with a project.", show_default=False
        ),
    ] = None,
    segmentation: Annotated[
        str | None,
        typer.Option(
            "--segmentation",
            help="With a project: its rule segmentation (default: the one with --segment).",
        ),
    ] = None,
    as_json: opt.Json = False,
    *,
    inputs: CustomerInputs,
) -> None:
    """Explain why one customer is in or out of one segment, condition by condition.

    Give a project (its segwise.yaml or folder) in place of the table to explain one of
    its rule segments on the latest run's customers, as the web UI's "why?" does.
    """
    from segwise.segmenters import RuleSegmenter

    project = project_file(inputs.file)
    if project is not None and rules is not None:
        raise ConfigError(
            "--rules: a project explains its own rule segmentations",
            hint="leave out --rules (or give a customer table to explain a catalog on)",
        )
    if project is not None:
        explanation = _explain_in_project(project, customer, segment_name, segmentation, inputs)
    else:
        if rules is None:
            raise ConfigError(
                "no rule catalog to explain",
                hint="give --rules CATALOG.yaml, or a project file in place of the customer table",
            )
        if project_file(rules) is not None:
            raise ConfigError(
                f"{rules}: a project file, not a rule catalog",
                hint=f"explain a project's segment by segwise explain {rules} --customer "
                f"{customer} --segment '{segment_name}'",
            )
        data, id_name, events_data, transactions_data = inputs.read()
        segmenter = RuleSegmenter(rules, id_col=id_name, as_of=inputs.as_of)
        explanation = segmenter.explain(
            data, customer, segment_name, events=events_data, transactions=transactions_data
        )
    if as_json:
        from segwise.project.live import explanation_dict

        stdout().print_json(json_text(explanation_dict(explanation, customer)))
        return
    typer.echo(explanation.render())


def _explain_in_project(
    config: Path, customer: str, segment: str, segmentation: str | None, inputs: CustomerInputs
) -> Any:
    """``segment`` of the project's rule segmentations, on the latest run's customer table."""
    import polars as pl

    from segwise.project import Project
    from segwise.project.config import HybridSegmentation, RulesSegmentation
    from segwise.project.live import LiveData, explain, project_catalog

    given = [f"--{k.replace('_', '-')}" for k in ("id_col", "events", "transactions", "customers",
             "as_of") if getattr(inputs, k) is not None]  # fmt: skip
    if given:
        raise ConfigError(
            f"{', '.join(given)}: a project reads its own sources and explains its latest run",
            hint=f"leave out {', '.join(given)}",
        )
    project = Project.from_yaml(config)
    # The latest run's customer table is people's: a segmentation of accounts is not in it.
    rule_sets = [n for n, s in project.config.segmentations.items()
                 if isinstance(s, RulesSegmentation | HybridSegmentation)
                 and s.level == "customer"]  # fmt: skip
    catalogs = {n: project_catalog(project, n) for n in rule_sets}
    segment = _parent_of_leaf(segment, segmentation, catalogs)
    if segmentation is None:
        holding = [n for n, c in catalogs.items() if segment in _explainable(c)]
        if len(holding) > 1:
            raise ConfigError(
                f"segment '{segment}' is in several rule segmentations ({', '.join(holding)})",
                hint="choose one with --segmentation",
            )
        if not holding:
            message, hint = _not_a_rule_segment(project, config, catalogs, segment)
            raise ConfigError(message, hint=hint)
        segmentation = holding[0]
    if segmentation not in catalogs:
        raise ConfigError(
            f"'{segmentation}' is not a rule segmentation of customers in {config}",
            hint="explain reads the latest run's customers; the rule (or hybrid) segmentations of "
            f"customers are {', '.join(rule_sets) or 'none'}",
        )
    catalog = catalogs[segmentation]
    live = LiveData.load(project, project.store)
    if live.features.filter(pl.col("customer_id") == customer).height == 0:
        raise ConfigError(
            f"customer '{customer}' is not in run {live.run_id} (as of {live.as_of})",
            hint=f"check the id; segwise history {config} {customer} lists the runs they are in",
        )
    return explain(live, catalog, customer, segment)


def _parent_of_leaf(segment: str, segmentation: str | None, catalogs: dict[str, Any]) -> str:
    """``segment``, or the parent rule segment when it names a hybrid's leaf (an error)."""
    from segwise.project.methods.hybrid import SEPARATOR

    parent, _, leaf = segment.partition(SEPARATOR)
    if not leaf or any(segment in _explainable(c) for c in catalogs.values()):
        return segment
    holding = [n for n, c in catalogs.items() if parent in _explainable(c)]
    if segmentation is not None:
        holding = [n for n in holding if n == segmentation]
    if not holding:
        return segment
    raise ConfigError(
        f"'{segment}' is a leaf of '{holding[0]}': its rule puts customers in '{parent}', and "
        f"another method splits that into leaves, which no condition explains",
        hint=f"explain the rule by --segment '{parent}'; segwise history shows the leaf each run",
    )


def _explainable(catalog: Any) -> set[str]:
    """A catalog's segments, and its rest (``other``) when it is exclusive."""
    names = {s.name for s in catalog.segments}
    return names | {catalog.other} if catalog.exclusive else names


def _not_a_rule_segment(
    project: Any, config: Path, catalogs: dict[str, Any], segment: str
) -> tuple[str, str]:
    """Why ``segment`` cannot be explained by its rule, and what to do instead."""
    import polars as pl

    store = project.store
    stored = store.segments() if store.path.exists() and store.runs().height else None
    elsewhere = (
        []
        if stored is None
        else sorted(set(stored.filter(pl.col("segment") == segment)["segmentation"].to_list()))
    )
    if elsewhere:
        return (
            f"'{segment}' is a segment of {', '.join(repr(n) for n in elsewhere)}, not of a "
            "rule segmentation: explain covers rule segments",
            f"see how a customer came to be there by segwise history {config} ID",
        )
    listed = [f"{n} ({', '.join(s.name for s in c.segments)})" for n, c in catalogs.items()]
    return (
        f"no rule segmentation of the project has a segment '{segment}'",
        f"the rule segmentations are {', '.join(listed) or 'none'}",
    )
