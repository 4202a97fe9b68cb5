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
from segwise.io.validate import REASONS

if TYPE_CHECKING:
    from collections.abc import Sequence

_PALETTE = {"used": "#2a9d8f", "quarantined": "#e76f51"}


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("segwise.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def _rows_chart(report: QualityReport) -> str:
    reasons = [(r, n) for r, n in report.excluded.items() if n]
    figure = go.Figure()
    figure.add_bar(
        y=["used"],
        x=[report.rows_used],
        orientation="h",
        name="used",
        marker_color=_PALETTE["used"],
    )
    for reason, count in reasons:
        figure.add_bar(
            y=["quarantined"],
            x=[count],
            orientation="h",
            name=REASONS[reason],
            hovertemplate=f"{REASONS[reason]}: %{{x:,}} rows<extra></extra>",
        )
    figure.update_layout(
        barmode="stack",
        height=220,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        legend={"orientation": "h", "y": -0.3},
        xaxis_title="rows",
        template="plotly_white",
    )
    html: str = figure.to_html(
        full_html=False, include_plotlyjs=False, config={"displaylogo": False}
    )
    return html


def _section(report: QualityReport) -> dict[str, Any]:
    share = report.rows_used / report.rows_read if report.rows_read else 0.0
    return {
        "report": report,
        "used_share": f"{share:.1%}",
        "chart": _rows_chart(report),
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
) -> str:
    """Render one self-contained HTML page for one or more quality reports.

    The page works offline: Plotly's JavaScript is inlined from the installed package.

    Examples
    --------
    >>> import polars as pl, segwise as sw
    >>> frame = pl.DataFrame({"customer_id": ["1"], "date": ["2024-01-02"], "amount": [9.5]})
    >>> html = render_quality_report([sw.read_transactions(frame).quality()])
    >>> "<html" in html and "<script src=" not in html
    True
    """
    template = _environment().get_template("quality.html.j2")
    when = generated or datetime.now(UTC)
    return template.render(
        title=title,
        version=__version__,
        generated=when.strftime("%Y-%m-%d %H:%M UTC"),
        sections=[_section(r) for r in reports],
        plotly_js=get_plotlyjs(),
    )
