"""One way to put a Plotly figure in a report: offline, quiet, styled once, byte-reproducible.

Plotly gives each chart a random ``<div>`` id, so two renderings of the same
run differed; the id here is a digest of the figure itself.

Every chart gets the house template (``plotly_white``) here, as JSON computed
once. Setting it on each figure instead made Plotly validate and deep-copy the
whole template per chart: ~20 ms a chart, 0.4 s of a demo run's report.
"""

from __future__ import annotations

import functools
import hashlib
from typing import Any

_CONFIG = {"displaylogo": False, "displayModeBar": False, "responsive": True}
HOUSE_TEMPLATE = "plotly_white"


@functools.cache
def _template() -> dict[str, Any]:
    import plotly.io as pio  # noqa: PLC0415 - plotly loads with the first chart

    spec: dict[str, Any] = pio.templates[HOUSE_TEMPLATE].to_plotly_json()
    return spec


def chart_html(figure: Any) -> str:
    """The figure, in the house template, as an HTML fragment (the page loads plotly.js once).

    The fragment's ``<div>`` id is a digest of the figure, so the same chart
    renders to the same bytes.

    Examples
    --------
    >>> import plotly.graph_objects as go
    >>> figure = go.Figure(go.Bar(x=["a"], y=[1]))
    >>> chart_html(figure) == chart_html(go.Figure(go.Bar(x=["a"], y=[1])))
    True
    >>> '"plot_bgcolor":"white"' in chart_html(figure)
    True
    """
    import plotly.io as pio  # noqa: PLC0415

    parts = figure.to_plotly_json()
    # A new layout dict: to_plotly_json hands out the figure's own.
    spec = {"data": parts["data"], "layout": {**parts["layout"], "template": _template()}}
    digest = hashlib.sha256(pio.to_json(spec, validate=False).encode()).hexdigest()[:12]
    html: str = pio.to_html(
        spec,
        full_html=False,
        include_plotlyjs=False,
        config=_CONFIG,
        default_width="100%",
        div_id=f"chart-{digest}",
        validate=False,
    )
    return html
