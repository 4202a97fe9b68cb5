"""The data-quality section of the HTML report: tiles, an exclusion chart and the checks."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

import jinja2
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from segwise._version import __version__
from segwise.io.quality import CHECKS, QualityReport
from segwise.io.reasons import REASONS
from segwise.lang.parser import reads_as_rule
from segwise.profiling.amounts import money
from segwise.report.charts import chart_html

if TYPE_CHECKING:
    from collections.abc import Sequence

_PALETTE = {"used": "#2a9d8f", "quarantined": "#e76f51"}


@cache
def environment() -> jinja2.Environment:
    """The Jinja environment every report template renders in (autoescaped, strict)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("segwise.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["money"] = money  # amounts in tables read as on the cards: "£1,511"
    env.tests["rule"] = reads_as_rule  # a definition in the rule language is set as code
    return env


def _reasons_chart(report: QualityReport) -> str:
    """Quarantined rows by reason, largest first; empty when nothing was quarantined."""
    reasons = sorted(((n, r) for r, n in report.excluded.items() if n), reverse=True)
    if not reasons:
        return ""
    figure = go.Figure(
        go.Bar(
            x=[n for n, _ in reasons],
            y=[REASONS[r] for _, r in reasons],
            orientation="h",
            marker_color=_PALETTE["quarantined"],
            text=[f"{n:,}" for n, _ in reasons],
            textposition="auto",
            hovertemplate="%{y}: %{x:,} rows<extra></extra>",
        )
    )
    figure.update_layout(
        height=90 + 34 * len(reasons),
        margin={"l": 10, "r": 10, "t": 30, "b": 30},
        title={"text": "Quarantined rows by reason", "font": {"size": 14}},
        xaxis_title="rows",
        yaxis={"autorange": "reversed"},
    )
    return chart_html(figure)


def quality_section(report: QualityReport) -> dict[str, Any]:
    """One source's quality report as the templates show it."""
    share = report.rows_used / report.rows_read if report.rows_read else 0.0
    return {
        "report": report,
        "used_share": f"{share:.1%}",
        "chart": _reasons_chart(report),
        "excluded": [
            {
                "reason": reason,
                "meaning": REASONS[reason],
                "rows": rows,
                "first_row": report.first_excluded_row.get(reason),
            }
            for reason, rows in report.excluded.items()
            if rows
        ],
        "checks": [
            {"check": name, "meaning": CHECKS.get(name, REASONS.get(name, name)), "rows": rows}
            for name, rows in report.checks.items()
        ],
    }


def render_quality_report(
    reports: Sequence[QualityReport],
    *,
    title: str = "segwise data quality",
    generated: datetime | None = None,
    rfm: Sequence[dict[str, Any]] = (),
    clv: Sequence[dict[str, Any]] = (),
) -> str:
    """Render one self-contained HTML page for one or more quality reports.

    The page works offline: Plotly's JavaScript is inlined from the installed package.
    ``rfm`` adds RFM segment sections (see :func:`segwise.report.rfm.rfm_section`), ``clv``
    lifetime-value backtests (see :func:`segwise.report.clv.clv_section`).

    Examples
    --------
    >>> import polars as pl, segwise as sw
    >>> frame = pl.DataFrame({"customer_id": ["1"], "date": ["2024-01-02"], "amount": [9.5]})
    >>> html = render_quality_report([sw.read_transactions(frame).quality()])
    >>> "<html" in html and "<script src=" not in html
    True
    """
    template = environment().get_template("quality.html.j2")
    when = generated or datetime.now(UTC)
    return template.render(
        title=title,
        version=__version__,
        generated=when.strftime("%Y-%m-%d %H:%M UTC"),
        sections=[quality_section(r) for r in reports],
        rfm_sections=list(rfm),
        clv_sections=list(clv),
        plotly_js=get_plotlyjs(),
    )
