"""Why a customer moved: read from the values kept for movers, by segmentation method.

- **rules**: the conditions of the segment left (and of the one entered) whose
  verdict flipped, with the values they read before and after;
- **rfm**: the scores that changed (``r_score 4 → 2``) and the metric behind each;
- **cluster**: the nearest centre changed (or the clusters were fitted afresh), and the
  model's features that moved most;
- **clv**: the predicted values that changed, and the tier threshold crossed.

The values are the run's features and each segmentation's details for the
customers who moved (before: the previous run's; after: this run's).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import polars as pl

from segwise.exceptions import SegwiseError
from segwise.models.diagnostics import OVERDUE_CYCLES
from segwise.models.predictive import CHURN_THRESHOLD

if TYPE_CHECKING:
    from collections.abc import Callable

NONE = "(none)"
#: A CLV segmentation's detail: time since the last purchase, in purchase cycles.
QUIET = "quiet_cycles"
_SCORE_METRIC = {"r_score": "recency_days", "f_score": "frequency", "m_score": "monetary"}


def reason_for(
    method: str,
    segmentation: str,
    definition: dict[str, Any],
    before: tuple[str, ...],
    after: tuple[str, ...],
    kept: dict[str, Any] | None,
) -> str:
    """One sentence on why the customer's segments went from ``before`` to ``after``."""
    if after == (NONE,):
        return (
            "no longer in the data as of this run (no purchase before the as-of date, or removed)"
        )
    if definition.get("values_kept") is False:
        # Account ids that are also contact ids: the kept values are the contact's, not these.
        return "the values behind the move were not kept (account ids that are also contact ids)"
    old = _values(kept, "features_before")
    new = _values(kept, "features_after")
    if old is None and before == (NONE,):
        return "first run with this customer"
    if old is None or new is None:
        return "the values behind the move were not kept (the earlier run predates history)"
    explain = _EXPLAINERS.get(method)
    move = _Move(segmentation, definition, before, after, old, new)
    found = explain(move) if explain else None
    return found or "the segment's definition gives a different answer on the new data"


@dataclass(frozen=True, slots=True)
class _Move:
    """One customer's move in one segmentation, with the values kept on either side."""

    segmentation: str
    definition: dict[str, Any]
    before: tuple[str, ...]
    after: tuple[str, ...]
    old: dict[str, Any]
    new: dict[str, Any]


def _values(kept: dict[str, Any] | None, key: str) -> dict[str, Any] | None:
    if kept is None or kept.get(key) is None:
        return None
    loaded = json.loads(kept[key])
    return loaded if isinstance(loaded, dict) else None


def _shown(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".") if abs(value) < 1e6 else f"{value:,.0f}"
    return "NULL" if value is None else str(value)


# -- rules ----------------------------------------------------------------------------------


def _frame(old: dict[str, Any], new: dict[str, Any]) -> pl.DataFrame:
    """The kept values before and after as a two-row table (ids ``before`` and ``after``).

    One table, so a value missing on one side takes the other side's type;
    dates are read back from their ISO text.
    """
    rows = [old | {"customer_id": "before"}, new | {"customer_id": "after"}]
    frame = pl.DataFrame(rows, infer_schema_length=None)
    parsed = []
    for name, dtype in frame.schema.items():
        if dtype == pl.String and name != "customer_id":
            text = next((str(v) for v in frame[name] if v is not None), "")
            if len(text) >= 10 and text[4:5] == "-" and text[7:8] == "-":
                parsed.append(pl.col(name).str.to_datetime(strict=False).alias(name))
    return frame.with_columns(parsed) if parsed else frame


def _rules_reason(move: _Move) -> str | None:
    # Loads scikit-learn: only when a rule move is explained, never for `segwise runs`.
    from segwise.segmenters import RuleSegmenter  # noqa: PLC0415
    from segwise.segmenters.rule_catalog import RuleCatalog, SegmentDefinition  # noqa: PLC0415

    written = [
        SegmentDefinition(**s) for s in move.definition.get("segments", []) if s.get("where")
    ]
    # Events are not kept for history: rules that read them cannot be re-evaluated.
    segments = [s for s in written if not _reads_events(s.where or "")]
    catalog = RuleCatalog(
        name=move.segmentation,
        exclusive=bool(move.definition.get("exclusive", True)),
        other=str(move.definition.get("other", "Other")),
        segments=segments,
    )
    ruled = {s.name for s in segments}
    on_events = {s.name for s in written} - ruled
    segmenter = RuleSegmenter(catalog, id_col="customer_id")
    parts = []
    for verb, names in (("left", move.before), ("entered", move.after)):
        for name in names:
            if (verb == "left" and name in move.after) or (
                verb == "entered" and name in move.before
            ):
                continue
            if name in on_events:
                parts.append(
                    f"{verb} '{name}' (its rule reads events, which history does not keep)"
                )
            elif name in ruled:
                try:
                    flipped = _flipped(segmenter, name, move.old, move.new)
                except SegwiseError:
                    flipped = None  # e.g. in_segment() of a segment that reads events
                parts.append(f"{verb} '{name}'" + (f": {flipped}" if flipped else ""))
    return "; ".join(parts) or None


def _reads_events(where: str) -> bool:
    from segwise.lang import nodes  # noqa: PLC0415 - with the rule machinery above
    from segwise.lang.parser import parse_rule  # noqa: PLC0415

    try:
        root = parse_rule(where).root
    except SegwiseError:
        return True
    return any(isinstance(n, nodes.Performed | nodes.EventDate) for n in root.walk())


def _flipped(segmenter: Any, segment: str, old: dict[str, Any], new: dict[str, Any]) -> str:
    both = _frame(old, new)
    was = segmenter.explain(both, "before", segment)
    now = segmenter.explain(both, "after", segment)
    changed = []
    for a, b in zip(was.conditions, now.conditions, strict=True):
        if a.verdict != b.verdict and a.inputs:
            values = ", ".join(
                f"{label} {_shown(x)} → {_shown(y)}"
                for (label, x), (_, y) in zip(a.inputs, b.inputs, strict=True)
            )
            changed.append(f"{a.text} was {_word(a.verdict)}, now {_word(b.verdict)} ({values})")
    return "; ".join(changed)


def _word(verdict: bool | None) -> str:
    return "unknown" if verdict is None else str(verdict).lower()


# -- rfm, clv, cluster ----------------------------------------------------------------------


def _rfm_reason(move: _Move) -> str | None:
    parts = []
    for score, metric in _SCORE_METRIC.items():
        key, raw = f"{move.segmentation}.{score}", f"{move.segmentation}.{metric}"
        if key in move.old and key in move.new and move.old[key] != move.new[key]:
            before, after = move.old.get(raw), move.new.get(raw)
            if _shown(before) == _shown(after):
                # Online Retail II: "m_score 2 → 1 (monetary 222.16 → 222.16)" read as a mistake.
                behind = f"{metric} {_shown(after)}, unchanged: {_MOVED}"
            else:
                against = _against(metric, (move.old[key], move.new[key]), (before, after))
                behind = f"{metric} {_shown(before)} → {_shown(after)}" + (
                    f"; {_MOVED}" if against else ""
                )
            parts.append(f"{score} {_shown(move.old[key])} → {_shown(move.new[key])} ({behind})")
    return ", ".join(parts) or None


#: Why a quantile score moves while its metric stands still, or moves the other way.
_MOVED = "the cut-offs moved with the other customers"


def _against(metric: str, scores: tuple[Any, Any], values: tuple[Any, Any]) -> bool:
    """Whether the score moved against its metric (more spend, lower score)."""
    if not all(isinstance(v, int | float) for v in (*scores, *values)):
        return False
    (score_before, score_after), (before, after) = scores, values
    better = bool(after < before if metric == "recency_days" else after > before)
    return better != bool(score_after > score_before)


def _clv_reason(move: _Move) -> str | None:
    prefix = f"{move.segmentation}."
    quiet_key = f"{prefix}{QUIET}"
    parts = [
        f"{key.removeprefix(prefix)} {_shown(move.old.get(key))} → {_shown(value)}"
        for key, value in move.new.items()
        # A value that prints the same on both sides (P(alive) 0.999 → 1.0) explains nothing.
        if key.startswith(prefix)
        and key != quiet_key
        and _shown(move.old.get(key)) != _shown(value)
    ]
    churn = {"Churn risk", "At-risk high value"}
    basis = move.definition.get("churn_basis")
    quiet = _quiet_text(move, quiet_key)
    if basis and basis != "p_alive" and churn & set(move.before + move.after):
        if quiet:  # the move's reason first, then what else changed
            parts.insert(0, f"{quiet}: P(alive) could not tell customers apart on this data")
        else:
            parts.append(
                "churn risk is judged by the time since the last purchase against the customer's "
                "own purchase cycle (P(alive) could not tell customers apart on this data)"
            )
    alive = move.new.get(f"{prefix}p_alive")
    threshold = float(move.definition.get("churn_threshold", CHURN_THRESHOLD))
    entered = churn & set(move.after) and not churn & set(move.before)
    model = str(move.definition.get("purchase_model", "BG/NBD"))
    if basis == "p_alive" and entered and isinstance(alive, int | float) and alive >= threshold:
        why = (
            "BG/NBD gives every one-time buyer P(alive) = 1"
            if model == "BG/NBD"
            else f"one purchase says too little for {model}'s P(alive)"
        )
        parts.append(
            f"one purchase only, and {quiet}: {why}"
            if quiet
            else "one purchase only, and none since for over twice the repeat buyers' typical "
            f"time between purchases ({why})"
        )
    thresholds = move.definition.get("thresholds") or {}
    for tier in move.after:
        if tier in thresholds:
            parts.append(
                f"the {tier} tier starts at a predicted value of {_shown(thresholds[tier])}"
            )
    return ", ".join(parts) or None


def _quiet_text(move: _Move, key: str) -> str | None:
    """How long the customer has been quiet in purchase cycles, now and at the run before.

    "quiet for 3.1× their own time between purchases (1.2× at the run before; a churn risk
    from 2×)". A one-time buyer's cycle is the repeat buyers' typical one; where the run kept
    no order count, "the usual time". None where the run kept no such value (runs before it
    was kept).
    """
    now, then = _finite(move.new.get(key)), _finite(move.old.get(key))
    if now is None:
        return None
    orders = move.new.get("orders")  # kept where the project's rules or clusters read it
    cycle = (
        "the usual time between purchases"
        if not isinstance(orders, int | float)
        else "the repeat buyers' typical time between purchases"
        if orders == 1
        else "their own time between purchases"
    )
    before = "" if then is None else f"{then:.1f}× at the run before; "
    return f"quiet for {now:.1f}× {cycle} ({before}a churn risk from {OVERDUE_CYCLES:g}×)"


def _finite(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None


def _cluster_reason(move: _Move) -> str | None:
    moved = []
    for feature in move.definition.get("features", []):
        a, b = move.old.get(feature), move.new.get(feature)
        if isinstance(a, int | float) and isinstance(b, int | float) and a != b:
            moved.append((abs(b - a) / max(abs(a), abs(b), 1e-9), feature, a, b))
    moved.sort(reverse=True)
    changes = ", ".join(f"{f} {_shown(a)} → {_shown(b)}" for _size, f, a, b in moved[:3])
    # A run that fits the clusters again finds new groups: the customer was regrouped, and
    # saying a centre moved would blame their own behaviour.
    why = (
        "the clusters were fitted afresh in this run (new groups), so this customer was regrouped"
        if move.definition.get("refitted", True)
        else "the nearest segment centre changed"
    )
    return why + (f"; largest changes: {changes}" if changes else "")


def _hybrid_reason(move: _Move) -> str | None:
    """A move between parents is the rules' to explain; one inside a parent, its method's."""
    separator = move.definition.get("separator", " › ")

    def parents(names: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(sorted({name.split(separator, 1)[0] for name in names}))

    def children(names: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(name.split(separator, 1)[1] for name in names if separator in name)

    before, after = parents(move.before), parents(move.after)
    if before != after:
        return _rules_reason(
            replace(move, definition=move.definition.get("parent", {}), before=before, after=after)
        )
    child = move.definition.get("within", {}).get(after[0]) if len(after) == 1 else None
    explain = _EXPLAINERS.get(child.get("method", "")) if child else None
    if child is None or explain is None:
        return None
    found = explain(
        replace(move, definition=child, before=children(move.before), after=children(move.after))
    )
    return f"within '{after[0]}': {found}" if found else None


def _propensity_reason(move: _Move) -> str | None:
    key = f"{move.segmentation}.propensity"
    old, new = move.old.get(key), move.new.get(key)
    if old is None or new is None:
        return None
    parts = [f"propensity {_shown(old)} → {_shown(new)}"]
    thresholds = move.definition.get("thresholds") or {}
    for tier in move.after:
        if tier in thresholds:
            parts.append(f"the {tier} tier starts at {_shown(thresholds[tier])}")
    return ", ".join(parts)


def _lookalike_reason(move: _Move) -> str | None:
    key = f"{move.segmentation}.resemblance"
    old, new = move.old.get(key), move.new.get(key)
    if old is None or new is None:
        return None
    threshold = move.definition.get("threshold")
    shown = f"resemblance to the seed {_shown(old)} → {_shown(new)}"
    return shown + (f" (the audience starts at {_shown(threshold)})" if threshold else "")


def _survey_reason(move: _Move) -> str | None:
    answered = f"{move.segmentation}.answered"
    was, now = move.old.get(answered), move.new.get(answered)
    confidence = move.new.get(f"{move.segmentation}.confidence")
    if now and not was:
        return "answered the survey: their own answers now place them"
    if was is False and now is False:
        shown = f" (probability {_shown(confidence)})" if confidence is not None else ""
        return "their behaviour now points to another needs class" + shown
    return None


_EXPLAINERS: dict[str, Callable[[_Move], str | None]] = {
    "survey": _survey_reason,
    "lookalike": _lookalike_reason,
    "propensity": _propensity_reason,
    "rules": _rules_reason,
    "rfm": _rfm_reason,
    "cluster": _cluster_reason,
    "clv": _clv_reason,
    "hybrid": _hybrid_reason,
}
