"""The report's "What changed since the last run": entered and left, migration, size over time.

For each segmentation in both runs: a table of members before and now, who
entered and who left each segment; a Sankey of the from → to migration
(``(none)`` for customers new to, or gone from, the segmentation); and every
segment's size over every stored run, this one included.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import plotly.graph_objects as go
import polars as pl

from segwise.report.charts import chart_html
from segwise.report.rfm import wrap_label

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import date

    from segwise.profiling.cards import SegmentationResult

NONE = "(none)"
#: A Sankey with more flows than this shows the largest ones and folds the rest together.
MAX_FLOWS = 40


@dataclass(frozen=True)
class PreviousRun:
    """What the report needs of the stored runs: the last one's members, and all sizes."""

    run_id: int
    as_of: date
    members: pl.DataFrame  # segmentation, customer_id, segment
    sizes: pl.DataFrame  # run_id, as_of, segmentation, segment, size


def changes_section(
    previous: PreviousRun | None,
    results: Sequence[SegmentationResult],
    *,
    run_id: int,
    as_of: date,
) -> dict[str, Any] | None:
    """The section's data and charts, or None for a project's first run."""
    if previous is None:
        return None
    views = []
    for result in results:
        before = previous.members.filter(pl.col("segmentation") == result.name)
        if before.height == 0:
            continue
        now = result.members.select(
            pl.col("customer_id").cast(pl.String), pl.col("segment").cast(pl.String)
        ).unique()
        views.append(
            {
                "name": result.name,
                "rows": _counts(before.select("customer_id", "segment"), now),
                "sankey": _sankey(before, now, result.name, previous.run_id, run_id),
                "trend": _trend(previous.sizes, result, run_id, as_of),
            }
        )
    return {"from_run": previous.run_id, "from_as_of": previous.as_of.isoformat(), "views": views}


def _counts(before: pl.DataFrame, now: pl.DataFrame) -> list[dict[str, Any]]:
    was = before.with_columns(pl.lit(value=True).alias("was"))
    is_now = now.with_columns(pl.lit(value=True).alias("is_now"))
    both = was.join(is_now, on=["customer_id", "segment"], how="full", coalesce=True)
    table = (
        both.group_by("segment")
        .agg(
            pl.col("was").fill_null(value=False).sum().alias("before"),
            pl.col("is_now").fill_null(value=False).sum().alias("after"),
            (pl.col("is_now").fill_null(value=False) & pl.col("was").is_null())
            .sum()
            .alias("entered"),
            (pl.col("was").fill_null(value=False) & pl.col("is_now").is_null())
            .sum()
            .alias("exited"),
        )
        .sort("after", descending=True)
    )
    return table.to_dicts()


def _flows(before: pl.DataFrame, now: pl.DataFrame) -> pl.DataFrame:
    joined = before.select("customer_id", pl.col("segment").alias("source")).join(
        now.select("customer_id", pl.col("segment").alias("target")),
        on="customer_id",
        how="full",
        coalesce=True,
    )
    return (
        joined.with_columns(pl.col("source").fill_null(NONE), pl.col("target").fill_null(NONE))
        .group_by("source", "target")
        .len("customers")
        .sort("customers", "source", "target", descending=[True, False, False])
    )


def _sankey(before: pl.DataFrame, now: pl.DataFrame, name: str, first: int, second: int) -> str:
    flows = _flows(before, now)
    if flows.height > MAX_FLOWS:
        kept, rest = flows.head(MAX_FLOWS - 1), flows.slice(MAX_FLOWS - 1)
        other = pl.DataFrame(
            {
                "source": ["other moves"],
                "target": ["other moves"],
                "customers": [rest["customers"].sum()],
            },
            schema=flows.schema,
        )
        flows = pl.concat([kept, other])
    sources = sorted(set(flows["source"].to_list()))
    targets = sorted(set(flows["target"].to_list()))
    labels = [wrap_label(s) for s in sources] + [wrap_label(t) for t in targets]
    index = {("s", s): k for k, s in enumerate(sources)}
    index |= {("t", t): len(sources) + k for k, t in enumerate(targets)}
    figure = go.Figure(
        go.Sankey(
            arrangement="snap",
            node={"label": labels, "pad": 12, "thickness": 14},
            link={
                "source": [index[("s", s)] for s in flows["source"]],
                "target": [index[("t", t)] for t in flows["target"]],
                "value": flows["customers"].to_list(),
                "hovertemplate": "%{source.label} → %{target.label}: %{value:,} customers"
                "<extra></extra>",
            },
        )
    )
    figure.update_layout(
        height=max(320, 28 * max(len(sources), len(targets))),
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        title={"text": f"{name}: run {first} (left) → run {second} (right)", "font": {"size": 14}},
        template="plotly_white",
    )
    return chart_html(figure)


def _trend(sizes: pl.DataFrame, result: SegmentationResult, run_id: int, as_of: date) -> str:
    stored = sizes.filter(pl.col("segmentation") == result.name).select(
        "run_id", "as_of", "segment", "size"
    )
    current = pl.DataFrame(
        {
            "run_id": [run_id] * len(result.cards),
            "as_of": [as_of] * len(result.cards),
            "segment": [c.name for c in result.cards],
            "size": [c.size for c in result.cards],
        },
        schema=stored.schema,
    )
    table = pl.concat([stored, current]).sort("run_id")
    figure = go.Figure()
    for segment in sorted(set(table["segment"].to_list())):
        rows = table.filter(pl.col("segment") == segment)
        figure.add_trace(
            go.Scatter(
                x=[f"run {r} · {d}" for r, d in rows.select("run_id", "as_of").iter_rows()],
                y=rows["size"].to_list(),
                mode="lines+markers",
                name=wrap_label(segment, 24),
            )
        )
    figure.update_layout(
        height=340,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        title={"text": f"{result.name}: customers per segment, run by run", "font": {"size": 14}},
        yaxis={"title": "customers", "rangemode": "tozero"},
        xaxis={"type": "category"},
        template="plotly_white",
    )
    return chart_html(figure)
