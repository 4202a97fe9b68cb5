"""One way to put a Plotly figure in a report: offline, quiet, and byte-reproducible.

Plotly gives each chart a random ``<div>`` id, so two renderings of the same
run differed; the id here is a digest of the figure itself.
"""

from __future__ import annotations

import hashlib
from typing import Any

_CONFIG = {"displaylogo": False, "displayModeBar": False, "responsive": True}


def chart_html(figure: Any) -> str:
    """The figure as an HTML fragment (the page loads plotly.js once) with a stable id.

    Examples
    --------
    >>> import plotly.graph_objects as go
    >>> figure = go.Figure(go.Bar(x=["a"], y=[1]))
    >>> chart_html(figure) == chart_html(go.Figure(go.Bar(x=["a"], y=[1])))
    True
    """
    digest = hashlib.sha256(figure.to_json().encode()).hexdigest()[:12]
    html: str = figure.to_html(
        full_html=False,
        include_plotlyjs=False,
        config=_CONFIG,
        default_width="100%",
        div_id=f"chart-{digest}",
    )
    return html
