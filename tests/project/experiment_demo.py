"""The demo project with an experiment: a run, then exposures, a planted effect, a later run.

Run 1 is as of 2024-09-30. On 2024-10-01 every customer of the lifecycle
segmentation is split 50/50 between ``control`` and ``free-shipping``; in one
segment, treated customers buy again in the fortnight after (with probability
``lift``). Run 2 (as of the data's end) then moves many of those buyers out of
that segment, so an analysis that read today's run would misplace them.
"""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np
import polars as pl
from ruamel.yaml import YAML

import segwise as sw
from segwise.measure.assignment import assign
from segwise.project import open_workspace
from tests.project.demo import keep_segmentations

if TYPE_CHECKING:
    from pathlib import Path

EXPERIMENT = "free-shipping"
EXPOSED = datetime(2024, 10, 1, 9)


def experiment_project(folder: Path, *, planted_in: str = "Lapsed", lift: float = 0.4) -> Path:
    """The project file of the demo with the experiment described above."""
    config = keep_segmentations(sw.Project.init(folder), "lifecycle")
    _edit(config, as_of="2024-09-30")
    sw.Project.from_yaml(config).run()
    members = open_workspace(config).memberships(segmentation="lifecycle")
    ids = members["customer_id"].unique().sort()
    variants = assign(ids, ["control", EXPERIMENT], [1, 1], EXPERIMENT)
    rng = np.random.default_rng(3)
    hours = rng.integers(0, 72, variants.height)
    exposures = variants.with_columns(
        pl.lit(EXPERIMENT).alias("experiment"),
        (pl.lit(EXPOSED) + pl.duration(hours=pl.Series(hours))).alias("timestamp"),
    )
    exposures.write_csv(folder / "exposures.csv", datetime_format="%Y-%m-%d %H:%M:%S")
    treated = exposures.join(members, on="customer_id").filter(
        (pl.col("segment") == planted_in) & (pl.col("variant") == EXPERIMENT)
    )
    buyers = treated.filter(pl.Series(rng.random(treated.height) < lift))
    orders = pl.read_csv(folder / "data" / "orders.csv.gz", infer_schema=False)
    planted = buyers.select(
        (pl.lit("P") + pl.int_range(pl.len()).cast(pl.String)).alias("order_id"),
        "customer_id",
        (pl.col("timestamp") + timedelta(days=10))
        .dt.strftime("%Y-%m-%d %H:%M:%S")
        .alias("order_date"),
        pl.lit("home").alias("category"),
        pl.lit("web").alias("channel"),
        pl.lit("1").alias("quantity"),
        pl.lit("40.00").alias("amount"),
    )
    pl.concat([orders, planted]).write_csv(folder / "data" / "orders_with_test.csv")
    _edit(config, as_of=None, orders="data/orders_with_test.csv", exposures="exposures.csv")
    sw.Project.from_yaml(config).run()
    return config


def _edit(
    config: Path, *, as_of: str | None, orders: str | None = None, exposures: str | None = None
) -> None:
    yaml = YAML()
    document = yaml.load(config.read_text())
    if as_of is None:
        document.pop("as_of", None)
    else:
        document["as_of"] = as_of
    if orders is not None:
        document["sources"]["transactions"]["path"] = orders
    if exposures is not None:
        document["sources"]["exposures"] = {"path": exposures}
    with config.open("w") as handle:
        yaml.dump(document, handle)


def copy_project(config: Path, target: Path) -> Path:
    """A private copy of a built project (files and store), for a test that writes to it."""
    shutil.copytree(config.parent, target)
    return target / config.name
