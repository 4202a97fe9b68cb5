"""``segwise segment`` and ``segwise explain``: rule segments for a customer table."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from segwise.cli import options as opt
from segwise.cli.console import json_text, progress, stdout, user_errors
from segwise.cli.inputs import with_customer_inputs

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


@user_errors
@with_customer_inputs
def segment(
    rules: RulesFile,
    exclusive: Exclusive = None,
    output: opt.Output = None,
    as_json: opt.Json = False,
    *,
    inputs: CustomerInputs,
) -> None:
    """Assign customers to the segments of a rule catalog.

    -o writes <id>, segment (exclusive catalogs) or <id> and one true/false column per segment
    (overlapping ones); without -o a table of segment sizes is printed.
    """
    from rich.table import Table

    from segwise.io.writers import write_table
    from segwise.segmenters import RuleSegmenter

    with progress("Segmenting") as step:
        step("Reading")
        data, id_name, events_data, transactions_data = inputs.read()
        step("Checking the rules")
        segmenter = RuleSegmenter(rules, exclusive=exclusive, id_col=id_name, as_of=inputs.as_of)
        # Fitting checks every rule against the columns; the preview below is the one pass.
        segmenter.fit(data.head(0), events=events_data, transactions=transactions_data)
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


@user_errors
@with_customer_inputs
def explain(
    customer: Annotated[str, typer.Option("--customer", help="The customer's id.")],
    segment_name: Annotated[str, typer.Option("--segment", help="The segment to explain.")],
    rules: RulesFile,
    as_json: opt.Json = False,
    *,
    inputs: CustomerInputs,
) -> None:
    """Explain why one customer is in or out of one segment, condition by condition."""
    from segwise.segmenters import RuleSegmenter

    data, id_name, events_data, transactions_data = inputs.read()
    segmenter = RuleSegmenter(rules, id_col=id_name, as_of=inputs.as_of)
    explanation = segmenter.explain(
        data, customer, segment_name, events=events_data, transactions=transactions_data
    )
    if as_json:
        payload = {
            "customer": customer,
            "segment": explanation.segment,
            "member": explanation.member,
            "verdict": explanation.verdict,
            "assigned": explanation.assigned,
            "conditions": [
                {
                    "depth": c.depth,
                    "condition": c.text,
                    "verdict": c.verdict,
                    "values": dict(c.inputs),
                }
                for c in explanation.conditions
            ],
        }
        stdout().print_json(json_text(payload))
        return
    typer.echo(explanation.render())
