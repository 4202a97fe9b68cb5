"""The report's "How the segments did" section: KPIs after earlier runs, and experiments.

Built from plain data (``RunKpis.to_dict()`` and the stored readouts), so the
report does not depend on how they were measured: per segmentation, the KPI
table of the run the project judges by (``judged_run``: the latest earlier run whose
whole window is in the orders, else the latest with any; value, 95% interval and
lift against everyone; for a CLV segmentation, the revenue its run predicted and
realised over predicted) and, over several runs, conversion by run as a chart;
then each analysed experiment's verdict per segment.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from plotly.colors import qualitative

from segwise.privacy.small_groups import K_MIN, below, protect_kpis
from segwise.profiling.amounts import in_currency
from segwise.report.charts import chart_html
from segwise.report.rfm import wrap_label

#: The KPIs of the table, in order: key, heading, shares or money.
COLUMNS = (
    ("conversion", "conversion", "share"),
    ("revenue_per_customer", "revenue per customer", "money"),
    ("aov", "AOV", "money"),
    ("repeat_rate", "repeat rate", "share"),
    ("churn", "churn", "share"),
)


def measurement_view(
    measurement: dict[str, Any] | None, k_min: int = K_MIN, currency: str | None = None
) -> dict[str, Any] | None:
    """The section's data for the template, or None when there is nothing to show.

    A segment of fewer than ``k_min`` customers shows "< k_min" and no KPI; the headings of
    amounts say their ``currency`` (the cells are bare numbers with intervals).
    """
    if measurement is None:
        return None
    kpis = measurement.get("kpis", [])
    views = [v for v in (_kpi_view(k, k_min) for k in kpis) if v is not None]
    experiments = [_experiment_view(r) for r in measurement.get("experiments", [])]
    if not views and not experiments:
        return None
    return {
        "kpis": views,
        "experiments": experiments,
        "columns": [in_currency(c[1], currency) if c[2] == "money" else c[1] for c in COLUMNS],
        "predicted_heading": in_currency("predicted revenue per customer", currency),
    }


def _kpi_view(kpis: dict[str, Any], k_min: int) -> dict[str, Any] | None:
    measured = [_protected(r, k_min) for r in kpis["runs"] if r["observed_days"] > 0]
    if not measured:
        return None
    # The run judged is the project's choice (the latest whole window); the trend keeps all.
    run = next((r for r in measured if r["run_id"] == kpis.get("judged_run")), measured[-1])
    rows = []
    for segment in run["segments"]:
        if segment["customers"] is None:
            rows.append(_small_row(segment["segment"], k_min))
            continue
        cells = [_cell(segment[key], kind) for key, _, kind in COLUMNS]
        lift = segment["conversion"]["lift"]
        rows.append(
            {
                "segment": segment["segment"],
                "customers": segment["customers"],
                "cells": cells,
                "lift": "-" if lift is None else f"×{lift:.2f}",
                **_against_prediction(segment.get("predicted")),
            }
        )
    partial = run["observed_days"] < run["window_days"]
    notes = [s["revenue_note"] for s in run["segments"] if s.get("revenue_note")]
    if run.get("prediction_note"):
        notes.append(run["prediction_note"])
    return {
        "name": kpis["segmentation"],
        "run_id": run["run_id"],
        "as_of": run["as_of"],
        "window": run["window_days"],
        "partial": f"{run['observed_days']:g}" if partial else None,
        "window_note": kpis.get("window_note"),
        "rows": rows,
        "notes": notes,
        "predicted": any(s.get("predicted") for s in run["segments"]),
        "trend": conversion_trend(kpis["segmentation"], measured) if len(measured) > 1 else "",
    }


def _protected(run: dict[str, Any], k_min: int) -> dict[str, Any]:
    """``run`` with its segments under ``k_min`` customers reduced to their names."""
    return {**run, "segments": [protect_kpis(s, k_min) for s in run["segments"]]}


def _small_row(segment: str, k_min: int) -> dict[str, Any]:
    blank = {"predicted": "-", "realised": "-"}
    return {"segment": segment, "customers": below(k_min), "cells": ["-"] * len(COLUMNS),
            "lift": "-", **blank}  # fmt: skip


def _against_prediction(predicted: dict[str, Any] | None) -> dict[str, str]:
    """The predicted revenue cell, and realised over predicted (once the window is whole)."""
    if predicted is None:
        return {"predicted": "-", "realised": "-"}
    ratio = predicted["realised_to_predicted"]
    realised = (
        "window not over yet"
        if ratio is None
        else f"×{ratio['value']:.2f} ({ratio['ci_low']:.2f}–{ratio['ci_high']:.2f})"
    )
    return {"predicted": f"{predicted['revenue_per_customer']:,.2f}", "realised": realised}


def _cell(estimate: dict[str, Any], kind: str) -> str:
    value, low, high = estimate["value"], estimate["ci_low"], estimate["ci_high"]
    if value is None:
        return "-"
    if kind == "share":
        shown = f"{value:.1%}"
        return shown if low is None else f"{shown} ({low:.1%}–{high:.1%})"
    shown = f"{value:,.2f}"
    return shown if low is None else f"{shown} ({low:,.2f}–{high:,.2f})"


def conversion_trend(name: str, runs: list[dict[str, Any]]) -> str:
    """Each segment's conversion in the window after each run, as a chart (HTML).

    A window still open is drawn apart (a dotted line to a hollow marker): its conversion
    so far, joined to the whole windows by a solid line, read as a collapse.
    """
    figure = go.Figure()
    segments = dict.fromkeys(s["segment"] for run in runs for s in run["segments"])
    for k, segment in enumerate(segments):
        points = [
            (_run_label(run), s["conversion"]["value"], run["observed_days"] < run["window_days"])
            for run in runs
            for s in run["segments"]
            if s["segment"] == segment
            and "conversion" in s
            and s["conversion"]["value"] is not None
        ]
        whole = [p for p in points if not p[2]]
        color = qualitative.Plotly[k % len(qualitative.Plotly)]
        figure.add_trace(
            go.Scatter(
                x=[p[0] for p in whole],
                y=[p[1] for p in whole],
                mode="lines+markers",
                name=wrap_label(segment, 24),
                legendgroup=segment,
                line={"color": color},
            )
        )
        if open_ := [p for p in points if p[2]]:
            joined = whole[-1:] + open_
            figure.add_trace(
                go.Scatter(
                    x=[p[0] for p in joined],
                    y=[p[1] for p in joined],
                    mode="lines+markers",
                    name=f"{wrap_label(segment, 24)} (so far)",
                    legendgroup=segment,
                    showlegend=False,
                    line={"color": color, "dash": "dot"},
                    marker={
                        "symbol": ["circle"] * (len(joined) - len(open_))
                        + ["circle-open"] * len(open_),
                        "size": [6] * (len(joined) - len(open_)) + [9] * len(open_),
                    },
                )
            )
    figure.update_layout(
        height=340,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        title={"text": f"{name}: conversion in the window after each run", "font": {"size": 14}},
        yaxis={"title": "conversion", "tickformat": ".0%", "rangemode": "tozero"},
        xaxis={"type": "category"},
    )
    return chart_html(figure)


def _run_label(run: dict[str, Any]) -> str:
    """A run on the trend's axis; a window still open says how much of it was seen."""
    label = f"run {run['run_id']} · {run['as_of']}"
    if run["observed_days"] < run["window_days"]:
        label += f" ({run['observed_days']:g} of {run['window_days']} days)"
    return label


def _experiment_view(readout: dict[str, Any]) -> dict[str, Any]:
    return {
        "experiment": readout["experiment"],
        "segmentation": readout["segmentation"],
        "analysed_at": readout["analysed_at"][:16],
        "variants": ", ".join(readout["variants"]),
        "control": readout["control"],
        "srm": bool(readout["srm"]["flagged"]),
        "verdicts": list(readout["verdicts"].items()),
    }


def card_memory(measurement: dict[str, Any] | None, segmentation: str) -> dict[str, dict[str, Any]]:
    """Per segment of ``segmentation``: what worked and what did not, from the experiments."""
    found: dict[str, dict[str, list[str]]] = {}
    for row in (measurement or {}).get("findings", []):
        if row["segmentation"] != segmentation:
            continue
        held = found.setdefault(row["segment"], {"worked": [], "did_not": []})
        shown = _finding_text(row)
        (held["worked"] if row["verdict"] == "worked" else held["did_not"]).append(shown)
    return found


def _finding_text(row: dict[str, Any]) -> str:
    lift, metric = row["lift"], row["metric"]
    if lift is None:
        amount = ""
    elif metric == "conversion":
        amount = f" {lift * 100:+.1f} pp"
    else:
        amount = f" {lift:+,.2f}"
    effect = {"worked": "", "hurt": " (hurt)", "no effect": " (no detectable effect)"}
    return f"{row['experiment']}: {row['variant']} on {metric}{amount}{effect[row['verdict']]}"
