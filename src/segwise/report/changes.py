"""The report's "What changed since the last run": entered and left, migration, size over time.

For each segmentation in both runs: a table of members before and now, who
entered and who left each segment; a Sankey of the from → to migration
(``(none)`` for customers new to, or gone from, the segmentation); and every
segment's size over every stored run, this one included; and for RFM,
exclusive rule and CLV segmentations, each segment's size forecast for the
next three runs (a Markov chain on the stored run-to-run moves and this
run's, :mod:`segwise.store.forecast`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import plotly.graph_objects as go
import polars as pl

from segwise.privacy.small_groups import K_MIN, is_small, protect_count
from segwise.report.charts import chart_html
from segwise.report.rfm import wrap_label
from segwise.store.forecast import forecast_sizes
from segwise.store.refits import (
    Refit,
    closest_segments,
    fitted_in_run,
    inside,
    keeps_model,
    member_flows,
    refitted_parents,
)

if TYPE_CHECKING:
    from collections.abc import Collection, Sequence
    from datetime import date

    from segwise.profiling.cards import SegmentationResult

NONE = "(none)"
OTHER_MOVES = "other moves"
#: Segments keep one colour on both sides of a Sankey; who was absent, and the small moves
#: drawn as one, are grey.
_SEGMENT_COLOURS = (
    "#264653", "#2a9d8f", "#e9c46a", "#f4a261", "#e76f51",
    "#6d597a", "#b56576", "#457b9d", "#8ab17d", "#bc6c25",
)  # fmt: skip
_GREY = "#b0b7c3"
#: A Sankey with more flows than this shows the largest ones and folds the rest together.
MAX_FLOWS = 40
#: Runs ahead the report forecasts, and fewest run-to-run moves before it stops calling the
#: forecast rough.
FORECAST_STEPS = 3
STEADY_PAIRS = 4


@dataclass(frozen=True)
class PreviousRun:
    """What the report needs of the stored runs: the last one's members, and all sizes."""

    run_id: int
    as_of: date
    members: pl.DataFrame  # segmentation, customer_id, segment
    sizes: pl.DataFrame  # run_id, as_of, segmentation, segment, size
    #: Stored from → to counts of recent run pairs (``Workspace.transitions``); None: none kept.
    flows: pl.DataFrame | None = None


def changes_section(
    previous: PreviousRun | None,
    results: Sequence[SegmentationResult],
    *,
    run_id: int,
    as_of: date,
    k_min: int = K_MIN,
    edited: Collection[str] = (),
) -> dict[str, Any] | None:
    """The section's data and charts, or None for a project's first run.

    A segmentation in ``edited`` (its definition changed since the last run) is said to
    have moved with the edit as well as with its customers.

    Counts under ``k_min`` (a segment's size, who entered or left, a flow
    between two segments) are not shown: None in the rows ("< k_min" on the
    page), left out of the charts (:mod:`segwise.privacy.small_groups`).
    """
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
        flows = member_flows(before, now)  # one join, read by the Sankey, forecast and refit
        # Everyone where they were (a re-run of the same day): a Sankey of straight lines
        # says nothing the table does not.
        still = flows.filter(pl.col("from_segment") != pl.col("to_segment")).height == 0
        views.append(
            {
                "name": result.name,
                "rows": _shown_counts(_counts(before.select("customer_id", "segment"), now), k_min),
                "sankey": None
                if still
                else migration_sankey(
                    flows,
                    f"{result.name}: run {previous.run_id} (left) → run {run_id} (right)",
                    (previous.run_id, run_id),
                    k_min,
                ),
                "still": f"nobody moved since run {previous.run_id}" if still else None,
                "trend": _trend(previous.sizes, result, run_id, as_of, k_min),
                "forecast": _shown_forecast(_forecast(previous, result, flows, now, run_id), k_min),
                "refit": _refit(result, before, now, flows, (previous.run_id, run_id), k_min),
                "edited": (
                    f"{result.name} was edited since run {previous.run_id} (segwise diff shows "
                    "how): its moves are the edit's as well as the customers'"
                    if result.name in edited
                    else None
                ),
            }
        )
    return {
        "from_run": previous.run_id,
        "from_as_of": previous.as_of.isoformat(),
        "views": views,
        "k_min": k_min,
    }


def _refit(
    result: SegmentationResult,
    before: pl.DataFrame,
    now: pl.DataFrame,
    flows: pl.DataFrame,
    runs: tuple[int, int],
    k_min: int,
) -> dict[str, Any] | None:
    """For clusters fitted afresh in this run: what the moves mean, and where old segments went.

    Each old segment's closest new one is shown by shares only, and not at
    all where fewer than ``k_min`` customers are in both.
    """
    if not fitted_in_run(result.method, result.definition):
        return None
    parents = refitted_parents(result.definition)
    separator = str(result.definition.get("separator", " › "))
    before, now = (inside(m.select("segment"), parents, separator) for m in (before, now))
    refit = Refit(
        result.name,
        before["segment"].n_unique(),
        now["segment"].n_unique(),
        closest_segments(inside(flows, parents, separator)),
        model_kept=keeps_model(result.definition),
        method=result.method,
        parents=parents,
    )
    if not refit.regrouped:
        return None
    shown = refit.matches.filter(pl.col("customers") >= k_min)
    return {"note": refit.note(*runs), "matches": shown.drop("customers").to_dicts()}


def _shown_counts(rows: list[dict[str, Any]], k_min: int) -> list[dict[str, Any]]:
    """Each count under ``k_min`` as None (zero is shown: nobody moved)."""
    keys = ("before", "after", "entered", "exited")
    return [
        {**row, **{k: row[k] if row[k] == 0 else protect_count(row[k], k_min) for k in keys}}
        for row in rows
    ]


def _shown_forecast(forecast: dict[str, Any] | None, k_min: int) -> dict[str, Any] | None:
    """The forecast without the segments now under ``k_min`` (their row says so)."""
    if forecast is None:
        return None
    rows = [
        row
        if not is_small(row["now"], k_min)
        else {**row, "now": None, "ahead": [None] * len(row["ahead"])}
        for row in forecast["rows"]
    ]
    return {**forecast, "rows": rows}


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


def migration_sankey(flows: pl.DataFrame, title: str, runs: tuple[int, int], k_min: int) -> str:
    """From → to flows between two runs as a Sankey (HTML; "" when none is drawn).

    ``flows``: ``from_segment, to_segment, customers``, as
    :func:`~segwise.store.refits.member_flows` gives them (or the store's migration
    matrix); ``(none)`` reads "(not in run N)" on its side.
    """
    # Only the three columns: the store's matrix carries its segmentation beside them.
    named = flows.select(
        pl.col("from_segment").alias("source"), pl.col("to_segment").alias("target"), "customers"
    )
    flows = drawn_flows(named, k_min)
    if flows.height == 0:
        return ""
    sources = sorted(set(flows["source"].to_list()))
    targets = sorted(set(flows["target"].to_list()))
    absent = [f"(not in run {run})" for run in runs]
    labels = [wrap_label(absent[0] if s == NONE else s) for s in sources]
    labels += [wrap_label(absent[1] if t == NONE else t) for t in targets]
    index = {("s", s): k for k, s in enumerate(sources)}
    index |= {("t", t): len(sources) + k for k, t in enumerate(targets)}
    figure = go.Figure(
        go.Sankey(
            arrangement="snap",
            node={
                "label": labels,
                "color": node_colours(sources, targets),
                "pad": 12,
                "thickness": 14,
            },
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
        title={"text": title, "font": {"size": 14}},
    )
    return chart_html(figure)


def node_colours(sources: Sequence[str], targets: Sequence[str]) -> list[str]:
    """A colour per Sankey node, sources then targets: one segment, one colour on both sides.

    Examples
    --------
    >>> node_colours(["A", "B", "(none)"], ["B", "A", "other moves"])
    ['#264653', '#2a9d8f', '#b0b7c3', '#2a9d8f', '#264653', '#b0b7c3']
    """
    named = sorted({*sources, *targets} - {NONE, OTHER_MOVES})
    colour = {name: _SEGMENT_COLOURS[k % len(_SEGMENT_COLOURS)] for k, name in enumerate(named)}
    return [colour.get(name, _GREY) for name in (*sources, *targets)]


def drawn_flows(flows: pl.DataFrame, k_min: int) -> pl.DataFrame:
    """The flows a Sankey draws (``source, target, customers``, largest first in ``flows``).

    The largest are drawn; the rest (beyond ``MAX_FLOWS``, or under ``k_min``) are one
    "other moves" flow, drawn only when it holds ``k_min`` customers or more.
    """
    small = flows.filter(pl.col("customers") < k_min)
    large = flows.filter(pl.col("customers") >= k_min)
    drawn = MAX_FLOWS if small.height == 0 and large.height <= MAX_FLOWS else MAX_FLOWS - 1
    rest = int(large.slice(drawn)["customers"].sum()) + int(small["customers"].sum())
    kept = large.head(drawn)
    return pl.concat([kept, _other(rest, kept)]) if rest >= k_min else kept


def _other(customers: Any, flows: pl.DataFrame) -> pl.DataFrame:
    """One "other moves" flow of ``customers``."""
    return pl.DataFrame(
        {"source": [OTHER_MOVES], "target": [OTHER_MOVES], "customers": [customers]},
        schema=flows.schema,
    )


def _trend(
    sizes: pl.DataFrame, result: SegmentationResult, run_id: int, as_of: date, k_min: int
) -> str:
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
    # A size under k_min is a gap in its line.
    table = table.with_columns(pl.when(pl.col("size") >= k_min).then(pl.col("size")).alias("size"))
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
    )
    return chart_html(figure)


def _forecast(
    previous: PreviousRun,
    result: SegmentationResult,
    flows: pl.DataFrame,
    now: pl.DataFrame,
    run_id: int,
) -> dict[str, Any] | None:
    """Sizes for the next runs, fitted on the stored moves and this run's; None where unfit.

    Cluster segments are renamed when refitted, and a customer in several
    overlapping segments has no single next segment: neither is forecast.
    """
    refitted = result.method == "hybrid" and result.definition.get("refitted")
    if result.method == "cluster" or refitted or not result.definition.get("exclusive", True):
        return None
    stored = pl.DataFrame(
        schema={"pair": pl.Int64, "from_segment": pl.String, "to_segment": pl.String,
                "customers": pl.Int64}
    )  # fmt: skip
    if previous.flows is not None:
        held = previous.flows.filter(pl.col("segmentation") == result.name)
        # A pair in which the segmentation was new (everyone arriving) says nothing of moves.
        held = held.filter((pl.col("from_segment") != NONE).any().over("run_id"))
        stored = held.select(
            pl.col("run_id").cast(pl.Int64).alias("pair"),
            "from_segment",
            "to_segment",
            pl.col("customers").cast(pl.Int64),
        )
    this_run = flows.select(
        pl.lit(run_id, dtype=pl.Int64).alias("pair"),
        "from_segment",
        "to_segment",
        pl.col("customers").cast(pl.Int64),
    )
    current = dict(now.group_by("segment").len().iter_rows())
    found = forecast_sizes(
        result.name, pl.concat([stored, this_run]), current, steps=FORECAST_STEPS
    )
    rows = [
        {
            "segment": segment,
            "now": current.get(segment, 0),
            "ahead": [
                found.sizes.filter((pl.col("segment") == segment) & (pl.col("step") == step))
                .select("expected", "low", "high")
                .row(0, named=True)
                for step in range(1, FORECAST_STEPS + 1)
            ],
        }
        for segment in sorted(current)
    ]
    return {"pairs": found.pairs, "rough": found.pairs < STEADY_PAIRS, "rows": rows}
