"""The RFM section of the HTML report: segment cards, sizes and the R × FM grid."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import plotly.graph_objects as go
import polars as pl

from segwise.report.charts import chart_html

if TYPE_CHECKING:
    from segwise.features.score_map import ScoreMap


def wrap_label(text: str, width: int = 26) -> str:
    """A chart label broken over lines (``<br>``) so long names do not run into the bars."""
    lines: list[str] = []
    for word in str(text).split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return "<br>".join(lines)


def sizes_chart(segments: list[dict[str, Any]]) -> str:
    """Bars of each segment's share of customers and of revenue (when the data has revenue)."""
    names = [wrap_label(s["name"]) for s in segments]
    figure = go.Figure()
    bars = [("customers", "share", "#264653")]
    # A customer table without orders has no revenue: no bars of zeros that look like a finding.
    with_revenue = any(s.get("revenue_share") is not None for s in segments)
    if with_revenue:
        bars.append(("revenue", "revenue_share", "#e9c46a"))
    for label, key, colour in bars:
        figure.add_bar(
            y=names,
            x=[s[key] or 0.0 for s in segments],
            name=label,
            orientation="h",
            marker_color=colour,
        )
    figure.update_layout(
        barmode="group",
        height=140 + 44 * len(names),
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        title={
            "text": "Share of customers" + (" and of revenue" if with_revenue else ""),
            "font": {"size": 14},
        },
        xaxis={"tickformat": ".0%", "automargin": True},
        yaxis={"autorange": "reversed", "automargin": True},
        # Above the plot: below it, the legend ran into the axis labels.
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right"},
    )
    return chart_html(figure)


def grid_chart(table: pl.DataFrame, bins: int, k_min: int = 1) -> str:
    """Customers per R × FM cell of the RFM grid, as a heatmap (cells under ``k_min`` blank)."""
    fm = ((pl.col("f_score") + pl.col("m_score") + 1) // 2).alias("fm")
    counts = table.group_by("r_score", fm).len()
    grid: list[list[int | None]] = [[0] * bins for _ in range(bins)]
    for r, f, n in counts.iter_rows():
        grid[r - 1][f - 1] = None if 0 < n < k_min else n
    figure = go.Figure(
        go.Heatmap(
            z=grid,
            x=[str(i) for i in range(1, bins + 1)],
            y=[str(i) for i in range(1, bins + 1)],
            colorscale="Teal",
            text=[[f"< {k_min}" if n is None else f"{n:,}" for n in row] for row in grid],
            texttemplate="%{text}",
            hovertemplate="R %{y}, FM %{x}: %{text} customers<extra></extra>",
        )
    )
    figure.update_layout(
        height=360,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        title={"text": "Customers by R and FM score", "font": {"size": 14}},
        xaxis_title="FM score",
        yaxis_title="R score",
    )
    return chart_html(figure)


def score_ranges(table: pl.DataFrame, bins: int, k_min: int = 1) -> list[dict[str, Any]]:
    """What each score means in this run: the days, orders and revenue of its customers.

    One row per score, highest first. The extreme ends are open ("≥ 2,400"): their outer
    bound would be one customer's own figure. A score held by fewer than ``k_min``
    customers shows no range.

    Examples
    --------
    >>> table = pl.DataFrame({"recency_days": [3, 40, 200], "frequency": [9, 3, 1],
    ...     "monetary": [900.0, 120.0, 15.0], "r_score": [3, 2, 1], "f_score": [3, 2, 1],
    ...     "m_score": [3, 2, 1]})
    >>> [(r["score"], r["recency"], r["orders"], r["revenue"]) for r in score_ranges(table, 3)]
    [(3, '≤ 3', '≥ 9', '≥ 900'), (2, '40', '3', '120'), (1, '≥ 200', '≤ 1', '≤ 15')]
    """
    axes = {"recency": ("r_score", "recency_days"), "orders": ("f_score", "frequency"),
            "revenue": ("m_score", "monetary")}  # fmt: skip
    rows: dict[int, dict[str, Any]] = {s: {"score": s} for s in range(bins, 0, -1)}
    for key, (score, metric) in axes.items():
        values = pl.col(metric)
        found = table.group_by(score).agg(
            pl.len().alias("n"), values.min().alias("low"), values.max().alias("high")
        )
        # Recent customers score high on recency: its open ends are the other way round.
        top, bottom = (min, max) if key == "recency" else (max, min)
        scored = found[score].to_list()
        # One precision down a column: "40–112.50" beside "112.51–300" read as two units.
        cents = any(_needs_cents(v) for v in (*found["low"], *found["high"]) if v is not None)
        for s, n, low, high in found.iter_rows():
            if s not in rows:
                continue
            if n < k_min:
                rows[s][key] = f"< {k_min} customers"
            elif s == top(scored) and s != bottom(scored):  # the oldest, or the most and biggest
                rows[s][key] = f"≥ {_figure(low, cents=cents)}"
            elif s == bottom(scored) and s != top(scored):
                rows[s][key] = f"≤ {_figure(high, cents=cents)}"
            else:
                ends = _figure(low, cents=cents), _figure(high, cents=cents)
                rows[s][key] = ends[0] if low == high else "–".join(ends)
    for row in rows.values():
        for key in axes:
            row.setdefault(key, "–")
    return list(rows.values())


def _needs_cents(value: float) -> bool:
    """An amount under 1,000 with cents: shown to the cent, so two scores' ends differ."""
    return not float(value).is_integer() and abs(value) < 1_000


def _figure(value: float, *, cents: bool) -> str:
    """``value`` to the cent where its column has cents and it is under 1,000, else whole.

    >>> _figure(40.0, cents=True), _figure(40.0, cents=False), _figure(2400.5, cents=True)
    ('40.00', '40', '2,400')
    """
    if cents and abs(value) < 1_000:
        return f"{value:,.2f}"
    return f"{value:,.0f}"


def rfm_section(
    table: pl.DataFrame, score_map: ScoreMap, *, title: str = "RFM segments"
) -> dict[str, Any]:
    """The data the report template needs for one RFM table.

    Examples
    --------
    >>> import polars as pl
    >>> from segwise.features import ScoreMap
    >>> table = pl.DataFrame({"customer_id": ["a"], "recency_days": [3], "frequency": [2],
    ...     "monetary": [10.0], "r_score": [5], "f_score": [5], "m_score": [5],
    ...     "rfm_score": ["555"], "segment": ["Champions"]})
    >>> rfm_section(table, ScoreMap.preset("segwise"))["segments"][0]["share"]
    1.0
    """
    total = table.height or 1
    revenue = float(table["monetary"].clip(lower_bound=0).sum()) or 1.0
    described = score_map.describe()
    grouped = (
        table.group_by("segment")
        .agg(
            pl.len().alias("customers"),
            pl.col("monetary").clip(lower_bound=0).sum().alias("revenue"),
            pl.col("recency_days").median().alias("recency"),
            pl.col("frequency").median().alias("frequency"),
            pl.col("monetary").median().alias("monetary"),
        )
        .sort("customers", descending=True)
    )
    segments = [
        {
            "name": row["segment"],
            "customers": row["customers"],
            "share": row["customers"] / total,
            "revenue_share": row["revenue"] / revenue,
            "recency": row["recency"],
            "frequency": row["frequency"],
            "monetary": row["monetary"],
            "description": described.get(row["segment"], {}).get("description", ""),
            "action": described.get(row["segment"], {}).get("action", ""),
        }
        for row in grouped.iter_rows(named=True)
    ]
    return {
        "title": title,
        "map": score_map.name,
        "customers": table.height,
        "segments": segments,
        "sizes_chart": sizes_chart(segments),
        "grid_chart": grid_chart(table, score_map.bins),
        "score_ranges": score_ranges(table, score_map.bins),
    }
