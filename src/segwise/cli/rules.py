"""``segwise rules check MAP.yaml [--data FILE]``: lint a score map (rule catalogs join later)."""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path
from typing import Annotated

import typer

from segwise.cli import options as opt
from segwise.cli.console import stdout, user_errors
from segwise.exceptions import ConfigError

rules_app = typer.Typer(
    name="rules", help="Check segment definitions.", no_args_is_help=True, rich_markup_mode=None
)


@rules_app.command("check")
@user_errors
def check(
    definition: Annotated[Path, typer.Argument(help="A score map (YAML).", show_default=False)],
    data: Annotated[
        str | None, typer.Option("--data", help="Transactions to score: adds the fallback share.")
    ] = None,
    as_of: opt.AsOf = None,
    policy: opt.Policy = "default",
    as_json: opt.Json = False,
) -> None:
    """Lint a score map: overlapping cells, shadowed segments, uncovered cells, fallback share.

    Exits with 1 when the map does not parse; findings are warnings (exit 0).
    """
    import yaml

    from segwise.features.score_map import ScoreMap, lint_score_map

    if not definition.is_file():
        raise ConfigError(f"{definition}: no such file", hint="check the path")
    try:
        parsed = yaml.safe_load(definition.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{definition}: not valid YAML ({exc})".splitlines()[0]) from None
    if not (isinstance(parsed, dict) and "bins" in parsed):
        raise ConfigError(
            f"{definition}: not a score map (it has no 'bins' key)",
            hint="score maps are checked here today; rule catalogs arrive with the rule language",
        )
    score_map = ScoreMap.from_yaml(definition)
    counts = None
    if data is not None:
        import segwise as sw
        from segwise.features.rfm import rfm_table

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            table = rfm_table(
                sw.read_transactions(data, policy=policy),
                as_of=as_of,
                bins=score_map.bins,
                segment_map=score_map,
            )
        grouped = table.group_by("rfm_score").len()
        counts = dict(zip(grouped["rfm_score"].to_list(), grouped["len"].to_list(), strict=True))
    lint = lint_score_map(score_map, scores=counts)
    console = stdout()
    if as_json:
        payload = {
            "map": score_map.name,
            "clean": lint.clean,
            "overlaps": lint.overlaps,
            "shadowed": lint.shadowed,
            "uncovered": lint.uncovered,
            "fallback_share": lint.fallback_share,
            "fallback_cells": lint.fallback_cells,
        }
        console.print_json(json.dumps(payload))
        return
    console.print(
        f"{definition}: score map '{score_map.name}', {len(score_map.segments)} segments, "
        f"{score_map.bins} bins",
        highlight=False,
    )
    if lint.clean:
        console.print("no findings: every cell belongs to exactly one segment", highlight=False)
    if lint.fallback_share is not None:
        console.print(f"fallback share on the data: {lint.fallback_share:.1%}", highlight=False)
    for line in lint.lines():
        sys.stdout.write(f"warning: {line}\n")
