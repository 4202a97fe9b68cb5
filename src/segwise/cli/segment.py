"""``segwise segment`` and ``segwise explain``: rule segments for a customer table."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from segwise.cli import options as opt
from segwise.cli.console import json_text, progress, stdout, user_errors
from segwise.exceptions import ConfigError, DataError

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


def read_rule_inputs(
    file: str | None,
    id_col: str | None,
    events: str | None,
    transactions: str | None,
    *,
    customers: str | None = None,
    as_of: str | None = None,
) -> tuple[Any, str, Any, Any]:
    """The customer table (id column under its own name), its id column, and the event tables.

    Without ``file``, the customer table is built from ``transactions`` (and
    ``customers`` and ``events`` when given) as of ``as_of``, as ``segwise
    features`` builds it.
    """
    import segwise as sw

    events_data = None if events is None else sw.read_events(events)
    transactions_data = None if transactions is None else sw.read_transactions(transactions)
    if file is None:
        if transactions_data is None:
            raise ConfigError(
                "no customer table",
                hint="give a customer table (one row per customer), or --transactions ORDERS "
                "to build one from an orders export",
            )
        from segwise.engine.frames import to_lazy

        people = None if customers is None else sw.read_customers(customers)
        built = sw.customer_features(
            transactions_data, customers=people, events=events_data, as_of=as_of
        )
        return to_lazy(built), "customer_id", events_data, transactions_data
    if customers is not None:
        raise ConfigError(
            "--customers builds the customer table with --transactions; a table was given too",
            hint=f"leave out {file}, or --customers",
        )
    table = sw.read_customers(file, customer_id=id_col)
    repeated = table.quality().excluded.get("duplicate_customer_id", 0)
    if repeated:
        # An orders export is not a customer table: clustering or segmenting its lines
        # would treat each order line as a customer.
        raise DataError(
            f"{repeated:,} rows repeat a customer id already seen: this is not one row per "
            "customer (an orders export?)",
            hint=f"build the customer table first: segwise features {file} -o customers.parquet, "
            f"or pass it as --transactions {file}",
            source=file,
            column=table.roles.columns["customer_id"],
        )
    id_name = id_col or "customer_id"
    data = table.data
    if id_name != "customer_id":
        data = data.rename({"customer_id": id_name})
    return data, id_name, events_data, transactions_data


@user_errors
def segment(
    rules: RulesFile,
    file: opt.CustomerTable = None,
    id_col: opt.CustomerCol = None,
    events: opt.EventsFile = None,
    transactions: opt.TransactionsFile = None,
    customers: opt.CustomersFile = None,
    exclusive: Exclusive = None,
    as_of: opt.AsOf = None,
    output: opt.Output = None,
    as_json: opt.Json = False,
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
        data, id_name, events_data, transactions_data = read_rule_inputs(
            file, id_col, events, transactions, customers=customers, as_of=as_of
        )
        step("Checking the rules")
        segmenter = RuleSegmenter(rules, exclusive=exclusive, id_col=id_name, as_of=as_of)
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
def explain(
    customer: Annotated[str, typer.Option("--customer", help="The customer's id.")],
    segment_name: Annotated[str, typer.Option("--segment", help="The segment to explain.")],
    rules: RulesFile,
    file: opt.CustomerTable = None,
    id_col: opt.CustomerCol = None,
    events: opt.EventsFile = None,
    transactions: opt.TransactionsFile = None,
    customers: opt.CustomersFile = None,
    as_of: opt.AsOf = None,
    as_json: opt.Json = False,
) -> None:
    """Explain why one customer is in or out of one segment, condition by condition."""
    from segwise.segmenters import RuleSegmenter

    data, id_name, events_data, transactions_data = read_rule_inputs(
        file, id_col, events, transactions, customers=customers, as_of=as_of
    )
    segmenter = RuleSegmenter(rules, id_col=id_name, as_of=as_of)
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
