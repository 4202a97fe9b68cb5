"""The CLV backtest section of the HTML report: predicted against actual holdout purchases."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import plotly.graph_objects as go

from segwise.features.periods import UNIT_NAMES
from segwise.report.charts import chart_html

if TYPE_CHECKING:
    import polars as pl

    from segwise.models.backtest import Backtest
    from segwise.models.comparison import ModelComparison

LAYOUT = {
    "height": 340,
    "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
    "legend": {"orientation": "h", "y": -0.25},
}


def _frequency_chart(backtest: Backtest, unit: str, model: str) -> str:
    rows = backtest.by_frequency.to_dicts()
    bins = [r["frequency_bin"] for r in rows]
    figure = go.Figure()
    figure.add_bar(x=bins, y=[r["actual"] for r in rows], name="actual", marker_color="#264653")
    figure.add_scatter(
        x=bins,
        y=[r["predicted"] for r in rows],
        name=f"predicted ({model})",
        mode="lines+markers",
        line={"color": "#e76f51", "width": 3},
        customdata=[r["customers"] for r in rows],
        hovertemplate="%{x} repeat purchases: predicted %{y:.2f} (%{customdata:,} customers)"
        "<extra></extra>",
    )
    figure.update_layout(
        height=360,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        title={
            "text": f"Mean holdout purchases by calibration repeat purchases ({unit})",
            "font": {"size": 14},
        },
        xaxis_title="repeat purchases in the calibration period",
        yaxis_title="holdout purchases per customer",
        legend={"orientation": "h", "y": -0.2},
    )
    return chart_html(figure)


def _histogram_chart(histogram: pl.DataFrame, model: str) -> str:
    """Customers by calibration repeat purchases: the classic fit histogram."""
    figure = go.Figure()
    figure.add_bar(x=histogram["purchases"].to_list(), y=histogram["actual"].to_list(),
                   name="actual", marker_color="#264653")  # fmt: skip
    figure.add_bar(x=histogram["purchases"].to_list(), y=histogram["expected"].to_list(),
                   name=f"model ({model})", marker_color="#e9c46a")  # fmt: skip
    figure.update_layout(
        **LAYOUT,
        barmode="group",
        title={"text": "Customers by repeat purchases in the calibration", "font": {"size": 14}},
        xaxis_title="repeat purchases",
        yaxis_title="customers",
    )
    return chart_html(figure)


def _tracking_chart(
    tracking: pl.DataFrame, calibration_end: str | None, cumulative: bool, model: str
) -> str:
    """Week by week, actual repeat transactions against the model's, cumulative or new."""
    actual, expected = ("actual", "expected") if cumulative else ("actual_new", "expected_new")
    weeks = [str(d) for d in tracking["week_ending"].to_list()]
    figure = go.Figure()
    dashed = {"color": "#e76f51", "width": 2, "dash": "dash"}
    figure.add_scatter(x=weeks, y=tracking[actual].to_list(), name="actual",
                       mode="lines", line={"color": "#264653", "width": 2})  # fmt: skip
    figure.add_scatter(x=weeks, y=tracking[expected].to_list(), name=f"model ({model})",
                       mode="lines", line=dashed)  # fmt: skip
    if calibration_end:
        figure.add_vline(x=calibration_end, line={"color": "#999", "dash": "dot"})
    kind = "Cumulative" if cumulative else "Weekly"
    figure.update_layout(
        **LAYOUT,
        title={
            "text": f"{kind} repeat transactions of the calibration's customers",
            "font": {"size": 14},
        },
        yaxis_title="repeat transactions",
    )
    return chart_html(figure)


def clv_section(
    backtest: Backtest,
    *,
    title: str = "Lifetime value backtest",
    calibration_end: str | None = None,
    holdout_end: str | None = None,
    time_unit: str = "W",
    comparison: ModelComparison | None = None,
    histogram: pl.DataFrame | None = None,
    tracking: pl.DataFrame | None = None,
    model: str = "BG/NBD",
) -> dict[str, Any]:
    """The data the report template needs for one backtest of ``model``'s predictions.

    Examples
    --------
    >>> import numpy as np
    >>> from segwise.models.backtest import backtest
    >>> result = backtest(np.array([0, 1]), np.array([0.2, 1.1]), np.array([0, 1]))
    >>> clv_section(result)["by_frequency"][0]["frequency_bin"]
    '0'
    """
    unit = UNIT_NAMES.get(time_unit, time_unit)
    return {
        "title": title,
        "calibration_end": calibration_end,
        "holdout_end": holdout_end,
        "predicted": backtest.predicted_purchases,
        "actual": backtest.actual_purchases,
        "mae": backtest.mae,
        "correlation": backtest.correlation,
        "by_frequency": backtest.by_frequency.to_dicts(),
        "by_segment": [] if backtest.by_segment is None else backtest.by_segment.to_dicts(),
        "by_tier": [] if backtest.by_tier is None else backtest.by_tier.to_dicts(),
        # Per churn segment, the same value band's customers no churn segment took.
        "churn_check": {}
        if backtest.churn_check is None
        else {row["segment"]: row for row in backtest.churn_check.to_dicts()},
        "model": model,
        "chart": _frequency_chart(backtest, unit, model),
        "comparison": None if comparison is None else comparison.to_dict(),
        "diagnostics": [
            *([] if histogram is None else [_histogram_chart(histogram, model)]),
            *(
                []
                if tracking is None
                else [
                    _tracking_chart(tracking, calibration_end, cumulative=True, model=model),
                    _tracking_chart(tracking, calibration_end, cumulative=False, model=model),
                ]
            ),
        ],
    }
