"""Self-contained HTML reports (jinja2 templates, Plotly bundled inline, no CDN)."""

from __future__ import annotations

from segwise.report.quality import render_quality_report

__all__ = ["render_quality_report"]
