"""``segwise cluster``: clustering segmentation of a customer table, profiled and named."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from segwise.cli import options as opt
from segwise.cli.console import json_text, progress, stdout, user_errors
from segwise.cli.inputs import with_customer_inputs

if TYPE_CHECKING:
    from segwise.cli.inputs import CustomerInputs


def _names(value: str | None) -> list[str] | None:
    return None if value is None else [v.strip() for v in value.split(",") if v.strip()]


@user_errors
@with_customer_inputs
def cluster(
    features: Annotated[
        str | None, typer.Option("--features", help="Comma-separated feature columns.")
    ] = None,
    categorical: Annotated[
        str | None,
        typer.Option("--categorical", help="Comma-separated columns to treat as categories."),
    ] = None,
    k: Annotated[str, typer.Option("--k", help="auto, or a number of segments.")] = "auto",
    k_min: Annotated[int, typer.Option("--k-min", help="Fewest segments for --k auto.")] = 3,
    k_max: Annotated[int, typer.Option("--k-max", help="Most segments for --k auto.")] = 8,
    min_segment_size: Annotated[
        int,
        typer.Option(
            "--min-segment-size",
            min=1,
            help="With --k auto, no k whose smallest segment has fewer customers is chosen.",
        ),
    ] = 30,
    algorithm: Annotated[
        str, typer.Option("--algorithm", help="kmeans, gmm or kprototypes.")
    ] = "kmeans",
    sample_size: Annotated[
        int, typer.Option("--sample-size", help="Fit on at most this many customers.")
    ] = 20_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (results repeat).")] = 0,
    save_model: Annotated[
        Path | None, typer.Option("--save-model", help="Write the fitted model as JSON.")
    ] = None,
    output: opt.Output = None,
    as_json: opt.Json = False,
    *,
    inputs: CustomerInputs,
) -> None:
    """Find natural segments, describe them in words and assign every customer.

    -o writes <id>, segment_id, segment; --json prints k, silhouette, stability and, per
    segment, its name, size, share, traits and a rule that approximates it.
    """
    from segwise.exceptions import ConfigError
    from segwise.io.writers import write_table
    from segwise.profiling.named_clusters import name_clusters
    from segwise.segmenters import ClusterSegmenter

    if k != "auto" and not k.isdigit():
        raise ConfigError(f"--k must be 'auto' or a number, not '{k}'", hint="e.g. --k 5")
    with progress("Clustering") as step:
        step("Reading")
        data, id_name, _, _ = inputs.read()
        step("Choosing the number of segments" if k == "auto" else "Fitting")
        segmenter = ClusterSegmenter(
            "auto" if k == "auto" else int(k),
            k_min=k_min,
            k_max=k_max,
            min_segment_size=min_segment_size,
            algorithm=algorithm,
            features=_names(features),
            categorical=_names(categorical),
            sample_size=sample_size,
            id_col=id_name,
            random_state=seed,
        )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            named = name_clusters(segmenter, data)
        if output is not None:
            step(f"Writing {output}")
            write_table(segmenter.assign(data), output)
        if save_model is not None:
            segmenter.save(save_model)
    for warning in caught:
        kind = "warning" if str(warning.message) in segmenter.warnings_ else "note"
        sys.stderr.write(f"{kind}: {warning.message}\n")
    payload = named.to_dict()
    console = stdout()
    if as_json:
        console.print_json(json_text(payload))
        return
    _print(console, payload)
    if output is not None:
        console.print(f"{named.profiles.total:,} customers written to {output}", highlight=False)


def _print(console: Any, payload: dict[str, Any]) -> None:
    from rich.table import Table

    from segwise.profiling.separation import separation

    title = (
        f"{payload['customers']:,} customers · {payload['k']} segments · "
        f"silhouette {separation(payload['silhouette'])} · stability {payload['stability']:.3f}"
    )
    table = Table(title=title, title_justify="left", show_lines=True)
    for column in ("segment", "customers", "share", "defining traits", "rule (precision / recall)"):
        table.add_column(column, justify="right" if column in ("customers", "share") else "left")
    for s in payload["segments"]:
        rule = (
            f"{s['rule']}\n({s['rule_precision']:.0%} / {s['rule_recall']:.0%})"
            if s["rule"]
            else ""
        )
        table.add_row(
            f"{s['segment_id']}: {s['name']}",
            f"{s['size']:,}",
            f"{s['share']:.1%}",
            "\n".join(s["traits"][:4]),
            rule,
        )
    console.print(table)
