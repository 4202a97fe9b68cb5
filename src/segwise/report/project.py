"""The project report: one self-contained page for a whole run.

Data quality, then for each segmentation a card per segment (name,
definition, size and share, traits, value, recommended action or playbook), a
sizes chart, the RFM grid, a profile heatmap, the CLV backtest, and the
project file as an appendix. Plotly's JavaScript is inlined from the
installed package: the page works offline.
"""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from segwise._version import __version__
from segwise.io.writers import write_text
from segwise.privacy.small_groups import K_MIN, protect_card
from segwise.profiling.amounts import money
from segwise.profiling.labels import label
from segwise.profiling.separation import separation
from segwise.report.alerts import alert_rows
from segwise.report.charts import chart_html
from segwise.report.measure import card_memory, measurement_view
from segwise.report.quality import environment, quality_section
from segwise.report.rfm import grid_chart, score_ranges, sizes_chart, wrap_label

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from segwise.io.quality import QualityReport
    from segwise.profiling.cards import SegmentationResult


def _profile_chart(cards: list[dict[str, Any]], title: str) -> str:
    """Segments × features: how far each segment's mean is from the average (lift)."""
    features = sorted({f for c in cards for f, lift in c.get("lift", {}).items() if lift})
    if not features or len(cards) < 2:
        return ""
    lifts = [[(c["lift"].get(f) or 0.0) for f in features] for c in cards]
    # Colour on log2(lift), centred on 0 with a symmetric range: 2× and 0.5× are equally
    # far from "average", and 1.0× is white. (Plotly ignores zmid when zmin/zmax are set.)
    z = [[math.log2(max(v, 1 / 16)) for v in row] for row in lifts]
    reach = min(4.0, max(1.0, *(abs(v) for row in z for v in row)))
    figure = go.Figure(
        go.Heatmap(
            z=z,
            x=[wrap_label(label(f), 14) for f in features],
            y=[wrap_label(c["name"]) for c in cards],
            colorscale="RdBu",
            reversescale=True,
            zmin=-reach,
            zmax=reach,
            customdata=lifts,
            text=[[f"{v:.1f}×" for v in row] for row in lifts],
            texttemplate="%{text}",
            hovertemplate="%{y} · %{x}: %{customdata:.2f}× the average<extra></extra>",
            colorbar={
                "title": {"text": "vs average"},
                "tickvals": [-2, -1, 0, 1, 2],
                "ticktext": ["¼×", "½×", "1×", "2×", "4×"],
            },
        )
    )
    figure.update_layout(
        height=200 + 44 * len(cards),
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        title={"text": title, "font": {"size": 14}},
        xaxis={"automargin": True, "tickangle": 0},
        yaxis={"autorange": "reversed", "automargin": True},
    )
    return chart_html(figure)


def _segmentation_view(
    result: SegmentationResult,
    currency: str | None = None,
    memory: dict[str, dict[str, Any]] | None = None,
    k_min: int = K_MIN,
    value_column: str | None = "net_revenue",
) -> dict[str, Any]:
    cards = [
        protect_card(
            {
                **c.to_dict(),
                "value_text": money(c.value_mean, currency) if c.value_mean is not None else None,
                "memory": (memory or {}).get(c.name),
            },
            k_min,
        )
        for c in result.cards
    ]
    # Segments under k_min are left out of the charts: a bar or a profile row describes them.
    shown = [c for c in cards if c["size_below"] is None]
    sized = [
        {"name": c["name"], "share": c["share"], "revenue_share": c["revenue_share"]} for c in shown
    ]
    definition = result.definition
    # Methods added later describe themselves (``summary`` in their definition).
    summary = {
        "rfm": f"{definition.get('bins')} bins · score map {definition.get('map')}",
        "rules": "exclusive: first match by priority"
        if definition.get("exclusive")
        else "overlapping audiences",
        "cluster": f"{definition.get('algorithm')} · k = {definition.get('chosen_k')} "
        f"(asked: {definition.get('k')}) · silhouette "
        f"{separation(definition.get('silhouette', 0))} · "
        f"stability {definition.get('stability', 0):.3f}",
        "clv": f"{definition.get('purchase_model', 'BG/NBD')} + Gamma-Gamma predictive segments",
    }.get(result.method) or str(definition.get("summary") or result.method)
    if result.method == "cluster":
        fitted = definition.get("fitted_as_of") or "this run"
        if definition.get("refitted") is False:
            summary += f" · model {definition.get('model_path') or 'file'} fitted as of {fitted}"
    unit = "account" if result.level == "account" else "customer"
    if unit == "account":
        summary += " · segments accounts (features rolled up from their contacts)"
    grid, scores = "", []
    if result.method == "rfm" and result.rfm_table is not None and result.bins:
        grid = grid_chart(result.rfm_table, result.bins, k_min)
        scores = score_ranges(result.rfm_table, result.bins, k_min)
    return {
        "name": result.name,
        "method": result.method,
        "unit": unit,
        "summary": summary,
        "cards": cards,
        "sizes_chart": sizes_chart(sized),
        "grid_chart": grid,
        "score_ranges": scores,
        "profile_chart": _profile_chart(
            shown,
            "Profile: mean of each feature ÷ the parent segment's average (whole segments: "
            "÷ everyone's)"
            if definition.get("profiled_against") == "parent"
            else "Profile: mean of each feature ÷ the average",
        ),
        "warnings": list(result.warnings),
        "value_note": _value_note(value_column, unit, currency)
        if any(c["value_text"] or c["revenue_share"] is not None for c in cards)
        else None,  # without a value there is none to define
    }


def _value_note(column: str | None, unit: str, currency: str | None) -> str | None:
    """What "value" on the cards is: net revenue from the orders, or a customer-table column."""
    money = f", in {currency}" if currency else ""
    if column is None:
        return None
    if column == "net_revenue":
        return (
            f"value = net revenue per {unit} (purchases less returns) up to the as-of date{money}"
        )
    return f"value = {column} per {unit}, a column of the customer table{money}"


def render_project_report(
    path: Path,
    *,
    project: str,
    run_id: int,
    as_of: date,
    engine: str,
    quality: Sequence[QualityReport],
    segmentations: Sequence[SegmentationResult],
    config_text: str,
    generated: datetime | None = None,
    currency: str | None = None,
    changes: dict[str, Any] | None = None,
    alerts: list[dict[str, Any]] | None = None,
    since: str | None = None,
    measurement: dict[str, Any] | None = None,
    k_min: int = K_MIN,
    population: Sequence[tuple[str, str]] = (),
    value_column: str | None = "net_revenue",
) -> Path:
    """Write the run's report to ``path`` (atomically) and return it.

    ``changes`` (from :func:`segwise.report.changes.changes_section`) adds
    "What changed since the last run" after the segmentations. Groups under
    ``k_min`` are shown as "< k_min", undescribed (:mod:`segwise.privacy.small_groups`).
    ``population`` (``level, message``) says who in the data no segment holds;
    ``value_column`` what the cards' value is (see
    :func:`segwise.profiling.profiles.value_column`).
    """
    template = environment().get_template("project.html.j2")
    when = generated or datetime.now(UTC)
    customers = max(
        (sum(c.size for c in s.cards) for s in segmentations if s.level == "customer"), default=0
    )
    html = template.render(
        title=f"segwise · {project}",
        run_id=run_id,
        as_of=as_of.isoformat(),
        engine=engine,
        customers=customers,
        version=__version__,
        generated=when.strftime("%Y-%m-%d %H:%M UTC"),
        segmentations=[
            _segmentation_view(s, currency, card_memory(measurement, s.name), k_min, value_column)
            for s in segmentations
        ],
        clv_sections=[s.backtest for s in segmentations if s.backtest is not None],
        sections=[quality_section(r) for r in quality],
        changes=changes,
        measurement=measurement_view(measurement, k_min, currency),
        alerts=alert_rows(alerts or []),
        since=since,
        population=[{"level": level, "message": text} for level, text in population],
        currency=currency,
        config_text=config_text,
        config_hash=hashlib.sha256(config_text.encode()).hexdigest()[:16],
        plotly_js=get_plotlyjs(),
    )
    return write_text(html, path)
