"""What the UI's pages show, read from the store: cards, sizes over runs, migration."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import plotly.graph_objects as go
import polars as pl

from segwise.exceptions import ConfigError
from segwise.privacy.small_groups import K_MIN, protect_card, protect_kpis
from segwise.profiling.amounts import in_currency
from segwise.report.changes import migration_sankey
from segwise.report.charts import chart_html
from segwise.report.measure import conversion_trend
from segwise.store.history import Changes
from segwise.store.outbox import waiting
from segwise.store.sync import deliveries

if TYPE_CHECKING:
    from segwise.store import Workspace


def overview(store: Workspace, k_min: int = K_MIN) -> dict[str, Any] | None:
    """The latest run and every segmentation's cards, largest segment first.

    Segments under ``k_min`` people read "< k_min", undescribed (docs/privacy.md).
    """
    with store.reading():
        latest = store.last_run()
        if latest is None:
            return None
        run_id = int(latest["run_id"])
        definitions = store.definitions(run_id)
        profiles = store.profiles(run_id)
        alerts = store.alerts(run_id)
    segmentations = []
    for name, definition in definitions.items():
        cards = [_card(row, k_min) for row in profiles.filter(segmentation=name).to_dicts()]
        if definition.get("method") == "hybrid":
            cards = by_parent(cards, str(definition.get("separator", " › ")))
        segmentations.append(
            {
                "name": name,
                "method": definition.get("method", ""),
                "cards": cards,
                "level": definition.get("level", "customer"),
                # What the run said of the segmentation (an unstable clustering, a model its
                # customers outgrew): the CLI and the report say it, so the UI does too.
                "warnings": list(definition.get("warnings") or []),
            }
        )
    return {"run": latest, "segmentations": segmentations, "alerts": alerts.to_dicts()}


def by_parent(cards: list[dict[str, Any]], separator: str) -> list[dict[str, Any]]:
    """A hybrid's leaves beside their parent's: the larger parent first, then by size.

    Ordered by size alone, Online Retail II's 'Big accounts › …' leaves sat among the
    RFM segments of 'Everyone else'.

    Examples
    --------
    >>> cards = [{"segment": "Rest › Lost", "size": 90}, {"segment": "Big › A", "size": 50},
    ...          {"segment": "Rest › New", "size": 10}, {"segment": "Big › B", "size": None}]
    >>> [c["segment"] for c in by_parent(cards, " › ")]
    ['Rest › Lost', 'Rest › New', 'Big › A', 'Big › B']
    """
    totals: dict[str, int] = {}
    for card in cards:
        parent = str(card["segment"]).split(separator)[0]
        totals[parent] = totals.get(parent, 0) + (card.get("size") or 0)
    order = {p: k for k, p in enumerate(sorted(totals, key=lambda p: (-totals[p], p)))}
    return sorted(cards, key=lambda c: order[str(c["segment"]).split(separator)[0]])


def _card(row: dict[str, Any], k_min: int) -> dict[str, Any]:
    profile = json.loads(row["profile"]) if row.get("profile") else {}
    card = {
        "segment": row["segment"],
        "size": int(row["size"]),
        "share": float(row["share"] or 0),
        "traits": profile.get("traits", [])[:5],
        "action": profile.get("action"),
        "definition": profile.get("definition"),
        "revenue_share": profile.get("revenue_share"),
        "auto_name": profile.get("auto_name"),
        "playbook": profile.get("playbook", []),
    }
    return protect_card(card, k_min)


def segment_page(
    store: Workspace, segmentation: str, segment: str, k_min: int = K_MIN
) -> dict[str, Any] | None:
    """One segment: its card, its size over runs (chart), entries and exits, the migration."""
    with store.reading():
        latest = store.latest_run()
        found = store.profiles(latest).filter(segmentation=segmentation, segment=segment)
        if found.height == 0:
            return None
        sizes = store.sizes().filter(segmentation=segmentation)
        runs = store.runs()["run_id"].to_list()
        changes = None
        if len(runs) > 1:
            changes = store.changes(runs[-2], runs[-1], segmentation=segmentation)
    own = sizes.filter(segment=segment).with_columns(
        pl.when(pl.col("size") >= k_min).then(pl.col("size")).alias("size")
    )
    return {
        "segmentation": segmentation,
        "run_id": latest,
        "card": _card(found.row(0, named=True), k_min),
        "k_min": k_min,
        "sizes": own.to_dicts(),
        "size_chart": _sizes_chart(own, segment),
        "moves": _moves(changes, segment),
        "refit_note": next(
            (r.note(changes.from_run, changes.to_run) for r in changes.refits if r.covers(segment)),
            None,
        )
        if changes is not None
        else None,
        "edit_note": None if changes is None else changes.edit_note(),
        "sankey": None if changes is None else _sankey(changes, segment, k_min),
        "migration_note": _migration_note(changes, segment, k_min),
    }


def _sizes_chart(sizes: pl.DataFrame, segment: str) -> str | None:
    """Members per run from zero, or None for a single run (one point on a 733-735 axis)."""
    if sizes.height < 2:
        return None
    figure = go.Figure(
        go.Scatter(
            x=[f"run {r} · {d}" for r, d in zip(sizes["run_id"], sizes["as_of"], strict=True)],
            y=sizes["size"].to_list(),
            mode="lines+markers",
            line={"color": "#264653"},
        )
    )
    figure.update_xaxes(type="category")  # one point per run, even two runs as of one day
    # From zero: an axis fitted to the points draws 734 → 741 as a leap.
    figure.update_yaxes(rangemode="tozero")
    figure.update_layout(
        title=f"{segment}: members per run",
        height=280,
        margin={"l": 40, "r": 10, "t": 40, "b": 30},
    )
    return chart_html(figure)


def _moves(changes: Changes | None, segment: str) -> dict[str, Any] | None:
    if changes is None:
        return None
    row = changes.counts.filter(segment=segment)
    if row.height == 0:
        return None
    found = row.row(0, named=True)
    return {"from_run": changes.from_run, "to_run": changes.to_run, **found}


def _sankey(changes: Changes, segment: str, k_min: int) -> str | None:
    """Where ``segment``'s members came from and went, and who stayed (flows under k_min merged).

    None when nobody came or left: one band from the segment to itself says nothing.
    """
    flows = changes.matrix.filter(
        (pl.col("from_segment") == segment) | (pl.col("to_segment") == segment)
    ).sort("customers", descending=True)
    if flows.filter(pl.col("from_segment") != pl.col("to_segment")).height == 0:
        return None
    first, second = changes.from_run, changes.to_run
    title = f"{segment}: who stayed, came and left between runs {first} and {second}"
    return migration_sankey(flows, title, (first, second), k_min) or None


def _migration_note(changes: Changes | None, segment: str, k_min: int) -> str:
    """What the migration card says where it draws no Sankey."""
    if changes is None:
        return "One run so far: the migration appears after the next run."
    first, second = changes.from_run, changes.to_run
    flows = changes.matrix.filter(
        (pl.col("from_segment") == segment) | (pl.col("to_segment") == segment)
    )
    if flows.filter(pl.col("from_segment") != pl.col("to_segment")).height:
        return (
            f"Too few customers came or left between runs {first} and {second} to draw them "
            f"(fewer than {k_min} each: docs/privacy.md)."
        )
    stayed = flows["customers"].sum()
    kept = f"all {stayed:,} stayed" if stayed >= k_min else "its few members stayed"
    return f"Nobody came or left between runs {first} and {second}: {kept}."


def destinations_page(store: Workspace, config: Any) -> dict[str, Any]:
    """Each destination with its last delivery and waiting batches; the latest deliveries."""
    log = deliveries(store) if store.path.exists() else None
    rows = []
    for name, spec in config.destinations.items():
        mine = None if log is None else log.filter(destination=name)
        rows.append({
            "name": name, "type": spec.type, "mode": spec.mode, "segments": spec.segments,
            "target": getattr(spec, "url", None) or getattr(spec, "path", ""),
            "last": mine.row(0, named=True) if mine is not None and mine.height else None,
            "waiting": len(waiting(store, name)) if store.path.exists() else 0,
        })  # fmt: skip
    triggers = [
        {"name": name, "segments": t.segments, "on_enter": t.on_enter, "on_exit": t.on_exit}
        for name, t in config.triggers.items()
    ]
    recent = [] if log is None else log.head(50).to_dicts()
    return {"destinations": rows, "triggers": triggers, "log": recent}


def measure_page(
    project: Any, segmentation: str | None, run_id: int | None = None
) -> dict[str, Any]:
    """KPIs of one segmentation after a run (by default the one judged by), and experiments.

    The default run is :func:`segwise.project.kpis.judged`'s (the latest whole window);
    ``run_id`` picks another with orders after it. Over several runs, conversion by run.
    """
    from segwise.project.experiment_analysis import customer_segmentations  # noqa: PLC0415
    from segwise.project.kpis import judged, kpis_by_segment, open_window_note  # noqa: PLC0415
    from segwise.store import experiments as memory  # noqa: PLC0415

    store = project.store
    names = customer_segmentations(project)
    empty: dict[str, Any] = {"names": names, "name": None, "run": None, "runs": [],
                             "note": None, "trend": "", "experiments": []}  # fmt: skip
    if not store.path.exists() or store.runs().height == 0 or not names:
        return empty
    if project.config.sources.transactions is None:  # KPIs are read from the orders
        return {**empty, "names": [], "no_orders": True, "experiments": memory.readouts(store)}
    name, found = kpis_by_segment(project, segmentation=segmentation)
    measured = [r for r in found if r.observed_days > 0]
    shown = judged(found)
    if run_id is not None:
        shown = next((r for r in measured if r.run_id == run_id), None)
        if shown is None:
            raise ConfigError(f"run {run_id} has no orders after it to measure")
    run = shown.to_dict() if shown else None
    k_min = project.config.privacy.k_min
    if run is not None:  # segments under k_min: their name only (docs/privacy.md)
        run["segments"] = [protect_kpis(s, k_min) for s in run["segments"]]
    runs = [{**r.to_dict(), "segments": [protect_kpis(s.to_dict(), k_min) for s in r.segments]}
            for r in measured]  # fmt: skip
    return {
        "names": names,
        "name": name,
        "run": run,
        "runs": [(r.run_id, r.as_of.isoformat(), r.observed_days, r.window_days) for r in measured],
        "note": open_window_note(found, shown) if shown and run_id is None else None,
        "trend": conversion_trend(name, runs) if len(runs) > 1 else "",
        "latest": found[-1].to_dict(),
        "experiments": memory.readouts(store),
        "money": {
            h: in_currency(h, project.config.currency) for h in ("revenue / customer", "AOV")
        },
        # The targeted-against-held-out column only where a standing holdout measured one.
        "held_out": run is not None and any(s.get("holdout") for s in run["segments"]),
    }
