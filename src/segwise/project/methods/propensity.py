"""``method: propensity``: tiers by the predicted chance of an outcome over the next days.

The run's transactions (and customers and events, when the project has
them) go to :class:`~segwise.segmenters.PropensitySegmenter`, which learns
from past cut-offs, backtests on the latest complete window and scores every
customer as of the run's date. Each tier is profiled like any segment; the
backtest (AUC against recency, calibration error) is stored with the
definition and shown on the report, and a model that ranks no better than
recency alone says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from segwise.engine.frames import to_lazy
from segwise.profiling.cards import SegmentationResult, cards_from_profiles
from segwise.project.config import PropensitySegmentation
from segwise.project.methods.base import CheckInputs, Method, RunInputs, check_features_exist
from segwise.project.results import NOT_SCORED, UNSCORED_ACTION, UNSCORED_RULE, profile_members
from segwise.segmenters.windows import OUTCOMES, outcome_rule, window_feature_names

if TYPE_CHECKING:
    from segwise.segmenters import PropensitySegmenter

#: What to do with each tier of the two named outcomes (other outcomes get no advice).
ACTIONS = {
    ("churn", "High"): "Reach out before they go: a personal offer, a service call, a reason to "
    "come back this month",
    ("churn", "Medium"): "Remind them what they liked: a reactivation email with their categories",
    ("churn", "Low"): "Keep the usual programme; no discount needed",
    ("purchase", "High"): "Put them in the next campaign: they are about to buy anyway, so lead "
    "with range, not discounts",
    ("purchase", "Medium"): "Nurture: recommendations and reminders",
    ("purchase", "Low"): "Leave them out of paid campaigns for now",
}


def run(name: str, spec: PropensitySegmentation, inputs: RunInputs) -> list[SegmentationResult]:
    """Fit, backtest and score as of the run's date; profile each tier."""
    from segwise.models.propensity_backtest import drivers_text  # noqa: PLC0415 - the same
    from segwise.segmenters import PropensitySegmenter  # noqa: PLC0415 - loads scikit-learn
    from segwise.segmenters.propensity_models import lightgbm_classifier  # noqa: PLC0415

    # Compiled first, so a fault is said of this segmentation's outcome, before any fit.
    outcome_rule(
        OUTCOMES.get(spec.outcome, spec.outcome),
        inputs.features.head(0),
        events=inputs.tables.get("events"),
        source=f"segmentations.{name}.outcome",
    )
    estimator = lightgbm_classifier(spec.seed) if spec.model == "lightgbm" else None
    segmenter = PropensitySegmenter(
        spec.outcome,
        spec.horizon_days,
        cutoffs=spec.cutoffs,
        step_days=spec.step_days,
        features=spec.features,
        estimator=estimator,
        calibration=spec.calibration,
        tiers=tuple(spec.tiers),
        random_state=spec.seed,
    ).fit(
        inputs.tables["transactions"],
        customers=inputs.tables.get("customers"),
        events=inputs.tables.get("events"),
        as_of=inputs.as_of,
    )
    scores = segmenter.segment()
    members = scores.select("customer_id", "segment")
    made = cards_from_profiles(
        profile_members(inputs.features, members, currency=inputs.currency, value=inputs.value),
        lambda p: _definition(spec, segmenter, p.segment),
        lambda p: (
            UNSCORED_ACTION
            if p.segment == NOT_SCORED
            else ACTIONS.get((spec.outcome, str(p.segment).split(" ")[0]))
        ),
    )
    found = segmenter.backtest_
    notes = list(segmenter.warnings_)
    definition = {
        "method": "propensity",
        **spec.model_dump(),
        "rule": OUTCOMES.get(spec.outcome, spec.outcome),
        "cutoffs": {k: [d.isoformat() for d in v] for k, v in segmenter.cutoffs_.items()},
        "backtest": found.to_dict(),
        "importances": dict(list(segmenter.importances_.items())[:10]),
        "thresholds": segmenter.thresholds_,
        "summary": f"{spec.outcome} in the next {spec.horizon_days} days · backtest from "
        f"{segmenter.cutoffs_['test'][0]}: AUC {found.auc:.2f} (recency alone "
        f"{found.baseline_auc:.2f}"
        + (f", BG/NBD P(alive) {found.palive_auc:.2f}" if found.palive_auc is not None else "")
        + f") · calibration error {found.ece:.2f}"
        + (f" · {drivers}" if (drivers := drivers_text(segmenter.importances_)) else ""),
    }
    reads = tuple(c for c in segmenter.feature_names_ if c in inputs.features.columns)
    return [
        SegmentationResult(
            name,
            "propensity",
            members,
            definition,
            made,
            warnings=notes,
            details=scores.select("customer_id", "propensity"),
            reads=reads,
        )
    ]


def _definition(spec: PropensitySegmentation, segmenter: PropensitySegmenter, tier: Any) -> str:
    if tier == NOT_SCORED:
        return UNSCORED_RULE  # it read "predicted chance of no purchase in the next 90 days"
    what = {"churn": "no purchase", "purchase": "a purchase"}.get(spec.outcome, spec.outcome)
    text = f"predicted chance of {what} in the next {spec.horizon_days} days"
    if (told := _score_range(segmenter.thresholds_, str(tier))) is not None:
        text = f"{text} {told}"
    tested = next((t for t in segmenter.backtest_.tiers if t["segment"] == str(tier)), None)
    if tested is None:
        return text
    # What the same tier did on the latest complete window: the number a campaign plans on.
    did = {"churn": "bought nothing", "purchase": "bought"}.get(spec.outcome, "had the outcome")
    return (
        f"{text}; in the backtest {tested['rate']:.0%} of the tier {did} "
        f"({tested['lift']:.1f}× everyone)"
    )


def _score_range(floors: dict[str, float], tier: str) -> str | None:
    """A tier's scores in words, from its floor and the next tier up's (best tier first).

    Examples
    --------
    >>> floors = {"High": 0.52, "Medium": 0.35, "Low": 0.0}
    >>> [_score_range(floors, t) for t in floors]
    ['of 52% or more', 'of 35% to 52%', 'under 35%']
    >>> _score_range({"High": 1.0, "Medium": 0.88, "Low": 0.0}, "High")
    'of 100%'
    >>> _score_range({"High": 0.044, "Medium": 0.041, "Low": 0.0}, "Medium")
    'of 4.1% to 4.4%'
    """
    if tier not in floors:
        return None
    names = list(floors)
    at = names.index(tier)
    above = floors[names[at - 1]] if at > 0 else None
    if at == len(names) - 1 and above is not None:
        return f"under {above:.0%}"  # the bottom tier's floor is just its lowest score
    if above is None:
        floor = f"{floors[tier]:.0%}"
        return f"of {floor}" if floor == "100%" else f"of {floor} or more"
    # Two floors a point apart would both read "4%": then a decimal tells them apart.
    digits = 0 if f"{floors[tier]:.0%}" != f"{above:.0%}" else 1
    return f"of {floors[tier]:.{digits}%} to {above:.{digits}%}"


def check(name: str, spec: PropensitySegmentation, inputs: CheckInputs) -> None:
    """The outcome parses as a rule (named outcomes are rules too); the features exist."""
    from segwise.lang.parser import parse_rule  # noqa: PLC0415

    rule = OUTCOMES.get(spec.outcome, spec.outcome)
    parse_rule(rule)
    if inputs.features is not None and "events" not in inputs.failed:
        # The outcome reads the window's customer features: the same columns as these.
        events = inputs.datasets.get("events")
        sample = to_lazy(inputs.features).head(50).collect()
        outcome_rule(rule, sample, events=events, source=f"segmentations.{name}.outcome")
    if spec.features and inputs.features is not None and not inputs.failed:
        known = to_lazy(inputs.features).collect_schema().names() + window_feature_names()
        check_features_exist(name, spec.features, known)


METHOD = Method(PropensitySegmentation, run, check)
