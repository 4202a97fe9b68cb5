"""``segwise demo``: the main job on the bundled sample retailer, every method included."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from segwise.cli.console import progress_bar, stdout, user_errors


@user_errors
def demo(
    out: Annotated[
        Path, typer.Option("--out", help="Folder for the demo project, its store and report.")
    ] = Path("segwise-demo"),
) -> None:
    """Run the main job on the bundled sample retailer (5,000 customers) and write a report.

    Scaffolds a project in --out (as segwise init does: sample data and a segwise.yaml with
    RFM, rule, cluster and CLV segmentations), runs it (data quality, customer features,
    every segmentation, profiles, the store) and writes OUT/report.html.
    """
    from segwise.cli.project import summary_table
    from segwise.project import Project

    config = Project.init(out, force=True)
    project = Project.from_yaml(config)
    steps = 7 + len(project.config.segmentations)
    with progress_bar("Running the demo", steps) as step:
        result = project.run(progress=step)
    console = stdout()
    console.print(summary_table(result))
    for segmentation in result.segmentations:
        if segmentation.backtest is not None:
            backtest = segmentation.backtest
            console.print(
                f"{segmentation.name}: backtest {backtest['predicted']:,.0f} purchases predicted, "
                f"{backtest['actual']:,.0f} actual (correlation {backtest['correlation']:.2f})",
                highlight=False,
            )
    console.print(f"project: {config.resolve()}", highlight=False)
    console.print(f"report: {result.report.resolve()}", highlight=False)
