"""``method: clv``: purchase model + Gamma-Gamma predictive segments, value tiers and a backtest.

The purchase model is BG/NBD unless the segmentation names MBG/NBD or Pareto/NBD
(``purchase_model``); the backtest's model comparison says which predicts best.

Two segmentations come out: the predictive segments (At-risk high value,
Churn risk, Rising, Stable) under the configured name, and the value tiers
(high, medium, low by predicted CLV) as ``<name>_tiers``, so both are stored,
reported and reachable with ``segwise members``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw
import polars as pl

from segwise.engine.frames import Backend, backend_of, parts_for, split_by_key, to_lazy
from segwise.exceptions import ConfigError, SegwiseError
from segwise.features.periods import UNIT_DAYS, YEAR
from segwise.features.summary import rfm_summary
from segwise.models import predict_customers
from segwise.models.backtest import unheld_churn
from segwise.models.comparison import IDENTICAL
from segwise.models.diagnostics import pareto_found_none, quiet_cycles
from segwise.models.engine_predictions import predict_in_engine
from segwise.models.predictions import PREDICTION_WINDOWS, CustomerPredictions
from segwise.models.purchase_models import ONE_TIME_BUYERS_ALIVE
from segwise.models.tracking import pace_shift
from segwise.profiling.cards import SegmentationResult, cards_from_profiles
from segwise.project.clv_backtest import holdout_backtest, why_skipped
from segwise.project.config import ClvSegmentation
from segwise.project.methods.base import CheckInputs, Method, RunInputs
from segwise.project.results import (
    NOT_SCORED,
    UNSCORED_ACTION,
    UNSCORED_RULE,
    as_polars,
    playbook_lines,
    playbook_text,
    profile_members,
)
from segwise.report.clv import clv_section
from segwise.segmenters import RuleCatalog, RuleSegmenter

if TYPE_CHECKING:
    from datetime import date

    from segwise.profiling.cards import SegmentCard
    from segwise.profiling.profiles import SegmentProfiles

PREDICTIVE_ACTIONS = {
    "At-risk high value": "Personal outreach before they go: a call, a tailored offer.",
    "Churn risk": "Win back: a reminder with an incentive, then let go if silent.",
    "Rising": "Nurture the momentum: recommendations and a loyalty invitation.",
    "Stable": "Business as usual: regular communications, no discounts needed.",
}
TIER_ACTIONS = {
    "high": "Protect and grow: VIP service, early access, referral asks.",
    "medium": "Grow: cross-sell and second-category offers.",
    "low": "Serve efficiently: automated journeys, low-cost channels.",
}


def _purchases(transactions: Any) -> nw.LazyFrame[Any]:
    """The models read purchases: returns are not repeat purchases, nor negative spend."""
    lazy = to_lazy(transactions)
    if "is_return" in lazy.collect_schema():
        lazy = lazy.filter(~nw.col("is_return"))
    return lazy.filter(nw.col("amount") > 0).select("customer_id", "timestamp", "amount")


def _predict(
    name: str, spec: ClvSegmentation, purchases: Any, as_of: date, parts: int
) -> CustomerPredictions:
    if backend_of(purchases) is Backend.SPARK and not spec.draws:
        return _predict_on_spark(name, spec, purchases, as_of)
    # Customer by customer, so computed on disjoint sets of customers (see split_by_key).
    summary = pl.concat(
        as_polars(
            rfm_summary(
                part,
                monetary_value_col="amount",
                observation_period_end=as_of,
                time_unit=spec.time_unit,
            )
        )
        for part in split_by_key(purchases, "customer_id", parts)
    ).sort("customer_id")
    try:
        return predict_customers(
            summary,
            horizon=spec.horizon or YEAR[spec.time_unit],
            discount_rate=spec.discount_rate,
            tiers=spec.tiers,
            churn_threshold=spec.churn_threshold,
            draws=spec.draws,
            level=spec.coverage,
            tier_by=spec.tier_by,
            purchase_model=spec.purchase_model,
        )
    except SegwiseError as exc:
        raise ConfigError(f"segmentation '{name}': {exc.one_line()}") from None


def _predict_on_spark(
    name: str, spec: ClvSegmentation, purchases: Any, as_of: date
) -> CustomerPredictions:
    """The same predictions, computed on the executors: only the histories come here.

    The members come back for the store and the profiles, as every method's do.
    """
    summary = rfm_summary(
        purchases, monetary_value_col="amount", observation_period_end=as_of,
        time_unit=spec.time_unit,
    )  # fmt: skip
    try:
        found = predict_in_engine(
            summary,
            horizon=spec.horizon or YEAR[spec.time_unit],
            discount_rate=spec.discount_rate,
            tiers=spec.tiers,
            churn_threshold=spec.churn_threshold,
            purchase_model=spec.purchase_model,
        )
    except SegwiseError as exc:
        raise ConfigError(f"segmentation '{name}': {exc.one_line()}") from None
    table = as_polars(found.table).sort("customer_id")
    return CustomerPredictions(
        found.purchase_model,
        found.spend_model,
        table,
        found.horizon,
        found.warnings,
        found.churn_basis,
        fitted_customers=found.fitted_customers,
    )


#: The predictions a clv segment's condition can read (with ``_lower``/``_upper`` bounds
#: of the first three when the segmentation draws intervals).
PREDICTIONS = {
    "p_alive": pl.Float64,
    "expected_purchases": pl.Float64,
    "clv": pl.Float64,
    "expected_value": pl.Float64,
    "frequency": pl.Float64,
    "recency": pl.Float64,
    "T": pl.Float64,
    "monetary_value": pl.Float64,
}


def _conditions(spec: ClvSegmentation) -> RuleSegmenter:
    """The segmentation's own segment conditions, checked against the prediction columns."""
    schema = {"customer_id": pl.String, **PREDICTIONS}
    if spec.draws:
        for name in ("p_alive", "expected_purchases", "clv"):
            schema |= {f"{name}_lower": pl.Float64, f"{name}_upper": pl.Float64}
    catalog = RuleCatalog(segments=spec.segments, other=spec.other)
    return RuleSegmenter(catalog, id_col="customer_id").fit(pl.DataFrame(schema=schema))


def _custom_segments(
    spec: ClvSegmentation, predictions: CustomerPredictions
) -> CustomerPredictions:
    """The predictions with each customer's segment from the configured conditions."""
    found = as_polars(_conditions(spec).segment(predictions.table))
    table = predictions.table.drop("segment").join(found, on="customer_id", how="left")
    return replace(predictions, table=table)


def _predicted_revenue(predictions: CustomerPredictions, unit_days: float) -> pl.DataFrame:
    """``customer_id`` and the predicted revenue over each kept window (``revenue_<days>``).

    The kept windows are the usual KPI windows and the segmentation's horizon, so a
    later ``segwise kpis --window`` of that length can set the realised revenue against it.
    """
    horizon = round(predictions.horizon * unit_days)
    windows = sorted({*PREDICTION_WINDOWS, horizon})
    return predictions.table.select("customer_id").with_columns(
        pl.Series(f"revenue_{days}", predictions.predicted_revenue(days, unit_days))
        for days in windows
    )


def _with_predictions(
    cards: list[SegmentCard], segments: pl.DataFrame, predicted: pl.DataFrame
) -> list[SegmentCard]:
    """Each card with its members' mean predicted revenue per window."""
    windows = [c for c in predicted.columns if c.startswith("revenue_")]
    means = (
        segments.join(predicted, on="customer_id", how="inner")
        .group_by("segment")
        .agg(pl.col(windows).mean())
    )
    by_segment = {
        row.pop("segment"): {key.removeprefix("revenue_"): value for key, value in row.items()}
        for row in means.iter_rows(named=True)
    }
    return [replace(card, predicted_revenue=by_segment.get(card.segment, {})) for card in cards]


#: Options added after definitions were first stored: kept out of a definition unless set,
#: so an unchanged project's definition (and its version) stays the same.
LATER_OPTIONS = ("draws", "coverage", "tier_by", "segments", "other", "purchase_model")


def _unset_options(spec: ClvSegmentation) -> set[str]:
    return {name for name in LATER_OPTIONS if name not in spec.model_fields_set}


def _quiet_cycles(table: pl.DataFrame) -> pl.Series:
    """Each customer's time since their last purchase in their own purchase cycles."""
    frequency, recency, observed = (
        table[c].cast(pl.Float64).to_numpy() for c in ("frequency", "recency", "T")
    )
    return pl.Series("quiet_cycles", quiet_cycles(frequency, recency, observed))


def _repeat_p_alive() -> pl.Expr:
    """P(alive) of the repeat buyers; NULL for one-time buyers, whose BG/NBD value says nothing."""
    return pl.when(pl.col("frequency") > 0).then(pl.col("p_alive")).alias("p_alive_repeat")


def _defining(churn: tuple[str, ...]) -> dict[str, frozenset[str]]:
    """What each built-in predictive segment is defined by: those traits lead its card."""
    return {
        "At-risk high value": frozenset({"net_revenue", *churn}),
        "Churn risk": frozenset(churn),
        "Rising": frozenset({"tenure_days", "clv"}),
    }


def _segment_rules(spec: ClvSegmentation, churn_basis: str) -> dict[str, str]:
    if spec.segments:
        return {s.name: str(s.where) for s in spec.segments} | {
            spec.other: "none of the conditions above"
        }
    by_alive = churn_basis == "p_alive"
    model = spec.purchase_model
    churn = (
        f"P(alive) < {spec.churn_threshold}, or one purchase only and none since for over 2× "
        "the repeat buyers' typical time between purchases ("
        + (
            f"{model} gives every one-time buyer P(alive) = 1)"
            if model in ONE_TIME_BUYERS_ALIVE
            else f"one purchase says too little for {model}'s P(alive))"
        )
        if by_alive
        else "no purchase for over 2× their own time between purchases (P(alive) could "
        "not discriminate)"
    )
    # A one-time buyer has no past value to be in the top 20% by.
    top_churn = f"P(alive) < {spec.churn_threshold}" if by_alive else churn
    return {
        "At-risk high value": f"top 20% by historical value AND {top_churn}",
        "Churn risk": churn,
        "Rising": "a repeat buyer for no longer than the median customer, expected to buy "
        "≥ 1.5× as much as the median customer",
        "Stable": "everyone else",
    }


def _predictive_cards(
    spec: ClvSegmentation, profiles: SegmentProfiles, rules: dict[str, str]
) -> list[SegmentCard]:
    """The cards of the predictive segments.

    The built-in four carry their actions; configured segments carry their own playbook,
    as rule segments do.
    """
    rules = {NOT_SCORED: UNSCORED_RULE, **rules}
    if not spec.segments:
        actions = {NOT_SCORED: UNSCORED_ACTION, **PREDICTIVE_ACTIONS}
        return cards_from_profiles(
            profiles, lambda p: rules.get(p.segment), lambda p: actions.get(p.segment)
        )
    by_name = {s.name: s for s in spec.segments}
    made = cards_from_profiles(
        profiles,
        lambda p: rules.get(p.segment),
        lambda p: (
            playbook_text(by_name.get(p.segment))
            or (UNSCORED_ACTION if p.segment == NOT_SCORED else None)
        ),
    )
    return [replace(c, playbook=playbook_lines(by_name.get(c.segment))) for c in made]


def _backtest(
    name: str, spec: ClvSegmentation, purchases: Any, as_of: date, notes: list[str], parts: int
) -> dict[str, Any] | None:
    """The holdout check as the report shows it, or None with the reason in ``notes``."""
    calibration_end = (
        as_of - timedelta(weeks=spec.holdout_weeks)
        if spec.calibration_end == "auto"
        else spec.calibration_end
    )
    if calibration_end >= as_of:
        notes.append(
            f"the backtest was skipped: the calibration end {calibration_end} is not before "
            f"the as-of date {as_of}"
        )
        return None
    try:
        checked, diagnostics = holdout_backtest(
            purchases,
            calibration_end=calibration_end,
            holdout_end=as_of,
            time_unit=spec.time_unit,
            tiers=spec.tiers,
            discount_rate=spec.discount_rate,
            churn_threshold=spec.churn_threshold,
            parts=parts,
            purchase_model=spec.purchase_model,
        )
    except SegwiseError as exc:
        automatic = spec.calibration_end == "auto"
        why = why_skipped(purchases, as_of, spec.holdout_weeks, exc, automatic=automatic)
        notes.append(f"the backtest was skipped: {why}")
        return None
    if not spec.segments:
        notes.extend(unheld_churn(checked.churn_check))
    if (shift := pace_shift(diagnostics.tracking, calibration_end)) is not None:
        notes.append(f"in the backtest, {shift}")
    return clv_section(
        checked,
        calibration_end=calibration_end.isoformat(),
        holdout_end=as_of.isoformat(),
        time_unit=spec.time_unit,
        title=f"{name}: lifetime value backtest",
        comparison=diagnostics.comparison,
        histogram=diagnostics.histogram,
        tracking=diagnostics.tracking,
        model=spec.purchase_model,
    )


def _no_dropout_in_any_model(section: dict[str, Any] | None) -> bool:
    """Whether the backtest's comparison fitted Pareto/NBD exactly as BG/NBD: no dropout."""
    compared = (section or {}).get("comparison") or {}
    fits = {m["model"]: m.get("log_likelihood") for m in compared.get("models", [])}
    bgnbd, pareto = fits.get("BG/NBD"), fits.get("Pareto/NBD")
    return (
        bgnbd is not None and pareto is not None and abs(bgnbd - pareto) <= IDENTICAL * abs(bgnbd)
    )


def run(name: str, spec: ClvSegmentation, inputs: RunInputs) -> list[SegmentationResult]:
    """Predictive segments with their backtest, and the value tiers."""
    purchases = _purchases(inputs.tables["transactions"])
    parts = parts_for(inputs.rows)
    predictions = _predict(name, spec, purchases, inputs.as_of, parts)
    if spec.segments:
        predictions = _custom_segments(spec, predictions)
    bounds = [c for c in predictions.table.columns if c.endswith(("_lower", "_upper"))]
    members = predictions.table.select("customer_id", "segment", "tier", "clv", "p_alive", *bounds)
    # When P(alive) cannot tell customers apart the run says so; a trait quoting it ("92%
    # chance they are still active" on an at-risk card) would contradict the card, and how
    # long each customer has been quiet in their own purchase cycles is what churn means.
    # Otherwise, under BG/NBD, the one-time buyers' P(alive) (1, by the model's assumption)
    # is left out of it: their churn is their silence (models.diagnostics.churn_flags).
    by_alive = predictions.churn_basis == "p_alive"
    certain = spec.purchase_model in ONE_TIME_BUYERS_ALIVE
    alive = _repeat_p_alive() if certain else pl.col("p_alive")
    churn_columns = (alive.meta.output_name(), "quiet_cycles") if by_alive else ("quiet_cycles",)
    quiet = _quiet_cycles(predictions.table)
    churn_shown: list[pl.Expr | pl.Series] = [quiet]
    if by_alive:
        churn_shown.append(alive)
    shown = predictions.table.select("customer_id", "clv", *churn_shown)
    enriched = inputs.features.join(shown, on="customer_id", how="left")
    profiles = profile_members(
        enriched,
        members.select("customer_id", "segment"),
        defining=None if spec.segments else _defining(churn_columns),
        currency=inputs.currency,
        value=inputs.value,
    )
    rules = _segment_rules(spec, predictions.churn_basis)
    made = _predictive_cards(spec, profiles, rules)
    unit_days = UNIT_DAYS[spec.time_unit]
    predicted = _predicted_revenue(predictions, unit_days)
    made = _with_predictions(made, members.select("customer_id", "segment"), predicted)
    notes = [str(w) for w in predictions.warnings]
    if (sampled := predictions.fit_note()) is not None:
        notes.append(sampled)
    section = _backtest(name, spec, purchases, inputs.as_of, notes, parts)
    if _no_dropout_in_any_model(section) and spec.purchase_model != "Pareto/NBD":
        found = [str(pareto_found_none(w)) for w in predictions.warnings]
        notes = found + notes[len(found) :]
    definition = {
        "method": "clv",
        **{k: str(v) for k, v in spec.model_dump(exclude=_unset_options(spec)).items()},
        **predictions.parameters(),
        "fitted_customers": predictions.fitted_customers,
        "horizon_days": predictions.horizon * unit_days,
        "churn_basis": predictions.churn_basis,
        "warnings": notes,
    }
    predictive = SegmentationResult(
        name,
        "clv",
        members.select("customer_id", "segment"),
        definition,
        made,
        warnings=notes,
        backtest=section,
        # How long each has been quiet, in purchase cycles: what a move into or out of churn
        # risk by silence is explained by (store.reasons).
        details=members.select("customer_id", "p_alive", "clv", *bounds).with_columns(quiet),
    )
    tiers = _tiers(name, spec, inputs, members, predicted)
    return [predictive, tiers]


def _tiers(
    name: str,
    spec: ClvSegmentation,
    inputs: RunInputs,
    members: pl.DataFrame,
    predicted: pl.DataFrame,
) -> SegmentationResult:
    """The CLV value tiers as their own segmentation, high → low."""
    high, medium = spec.tiers
    currency = inputs.currency
    tiers = members.select("customer_id", pl.col("tier").alias("segment"))
    enriched = inputs.features.join(
        members.select("customer_id", "clv"), on="customer_id", how="left"
    )
    profiles = profile_members(enriched, tiers, currency=currency, value=inputs.value)
    by = (
        f"the {spec.coverage:.0%} interval's lower bound of predicted lifetime value"
        if spec.tier_by == "clv_lower"
        else "predicted lifetime value"
    )
    rules = {
        "high": f"the top {high:.0%} by {by}",
        "medium": f"the next {medium - high:.0%} by {by}",
        "low": f"the remaining {1 - medium:.0%} by {by}",
        NOT_SCORED: UNSCORED_RULE,
    }
    actions = {NOT_SCORED: UNSCORED_ACTION, **TIER_ACTIONS}
    made = cards_from_profiles(
        profiles, lambda p: rules.get(p.segment), lambda p: actions.get(p.segment)
    )
    made = _with_predictions(made, tiers, predicted)
    order = {tier: rank for rank, tier in enumerate(("high", "medium", "low"))}
    made.sort(key=lambda card: order.get(card.name, len(order)))
    # Where each tier starts in predicted value: a move between tiers says which it crossed.
    starts = members.group_by("tier").agg(pl.col(spec.tier_by).min())
    definition = {
        "method": "clv",
        "of": name,
        **(
            {"purchase_model": spec.purchase_model}
            if "purchase_model" not in _unset_options(spec)
            else {}
        ),
        "tiers": [high, medium],
        "rank_by": spec.tier_by,
        "thresholds": {row["tier"]: row[spec.tier_by] for row in starts.iter_rows(named=True)},
    }
    return SegmentationResult(
        f"{name}_tiers",
        "clv",
        tiers,
        definition,
        made,
        details=members.select("customer_id", "clv", *(["clv_lower"] if spec.draws else [])),
    )


def check(name: str, spec: ClvSegmentation, inputs: CheckInputs) -> None:
    """Compile the segment conditions; the models are checked on the data when the run fits."""
    del inputs
    if spec.segments:
        try:
            _conditions(spec)
        except SegwiseError as exc:
            raise ConfigError(f"segmentation '{name}': {exc.one_line()}") from None


METHOD = Method(ClvSegmentation, run, check)
