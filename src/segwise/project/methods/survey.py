"""``method: survey``: needs-based segments from survey answers, projected onto the whole base.

The ``responses`` source is read through the codebook (scales, reverse
items, constructs); each construct's reliability (Cronbach's α) and the
items' factor structure are checked; latent class analysis
(:class:`~segwise.segmenters.SurveySegmenter`) finds 3–8 needs classes,
named in the codebook's words. Respondents keep their own class. Everyone
else gets the class a classifier predicts from their features (the bridge),
when its held-out accuracy beats guessing the largest class and its
probability for them reaches ``min_confidence``; the rest are "Not surveyed".
Every card says how many members answered and how far a projected class can
be trusted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from segwise.engine.frames import to_lazy
from segwise.exceptions import ConfigError
from segwise.io.writers import write_table
from segwise.profiling.cards import SegmentationResult, cards_from_profiles
from segwise.project.config import SurveySegmentation
from segwise.project.methods.base import CheckInputs, Method, RunInputs, check_features_exist
from segwise.project.paths import QUARANTINE_DIR
from segwise.project.results import as_polars, profile_members
from segwise.survey import AnswerTable, Codebook, answer_table, cronbach_alpha, explore_factors
from segwise.survey.profiles import NeedsProfile, needs_profiles
from segwise.survey.reliability import ALPHA_FLOOR, alpha_words

if TYPE_CHECKING:
    from segwise.segmenters import SurveySegmenter
    from segwise.segmenters.survey_bridge import Bridge

NOT_SURVEYED = "Not surveyed"
#: Fewest respondents (who are customers) to learn a bridge from.
MIN_BRIDGE_RESPONDENTS = 50
#: Relative entropy below this: respondents sit between classes (a note).
FUZZY_ENTROPY = 0.6


@dataclass(frozen=True)
class _Projection:
    """Everyone's class: respondents' own, the bridge's for the rest (or Not surveyed)."""

    members: pl.DataFrame
    bridge: Bridge | None
    answered: int
    projected: int


def run(name: str, spec: SurveySegmentation, inputs: RunInputs) -> list[SegmentationResult]:
    """Read the answers, find the needs classes, check them, and project them onto everyone."""
    table = _answers(name, spec, inputs)
    segmenter = _fit(spec, table)
    profiles = needs_profiles(table, segmenter.labels_)
    names = {p.label: p.name for p in profiles}
    respondents = table.wide.select("customer_id").with_columns(
        pl.Series("segment", [names[k] for k in segmenter.labels_], dtype=pl.String),
        pl.Series("confidence", segmenter.predict_proba_codes(segmenter.coder_.encode(table.wide))
                  .max(axis=1)),
    )  # fmt: skip
    projection = _project(spec, inputs.features, respondents, segmenter, names)
    notes = _notes(spec, table, segmenter, projection)
    alphas = _alphas(table)
    notes += [
        f"the items of '{c}' do not hang together (Cronbach's α {a:.2f}): check the codebook "
        "(a reverse item not marked?) before trusting its words"
        for c, a in alphas.items()
        if a < ALPHA_FLOOR
    ]
    factors = explore_factors(
        table.wide, {c: table.items[c].construct for c in table.likert_columns()}, seed=spec.seed
    )
    likert = table.likert_columns()
    if likert and not any(table.items[c].construct for c in likert):
        notes.append(_unnamed(table, profiles, spec.codebook))
    if factors is not None and (split := factors.split_constructs()):
        notes.append(
            "the factor analysis splits "
            + "; ".join(f"'{c}' over {', '.join(f)}" for c, f in split.items())
            + ": those items may measure more than one thing"
        )
    members = projection.members.select("customer_id", "segment")
    described = _descriptions(profiles, projection)
    made = cards_from_profiles(
        profile_members(inputs.features, members, currency=inputs.currency, value=inputs.value),
        lambda p: described.get(str(p.segment)),
        lambda p: _action(profiles, str(p.segment)),
    )
    definition = _definition(spec, table, segmenter, projection, alphas, profiles)
    if factors is not None:
        definition["factors"] = factors.factors
    if inputs.profile:
        _quarantine(table, inputs)
    return [
        SegmentationResult(
            name,
            "survey",
            members,
            definition,
            made,
            warnings=notes,
            details=projection.members.select("customer_id", "confidence", "answered"),
            reads=tuple(projection.bridge.coder.names) if projection.bridge else (),
        )
    ]


def _answers(name: str, spec: SurveySegmentation, inputs: RunInputs) -> AnswerTable:
    if "responses" not in inputs.tables:
        raise ConfigError(
            f"segmentations.{name}: method survey needs the survey answers",
            hint="add sources.responses: {path: answers.csv} (respondent, question, answer)",
        )
    responses = as_polars(inputs.tables["responses"]).select("customer_id", "question", "answer")
    book = _codebook(name, spec, inputs.paths)
    if spec.questions is not None:
        missing = sorted(set(spec.questions) - set(book.questions if book else spec.questions))
        if missing:
            raise ConfigError(
                f"segmentations.{name}.questions: '{missing[0]}' is not in the codebook",
                hint="list questions the codebook has",
            )
        responses = responses.filter(pl.col("question").is_in(spec.questions))
        if book is not None:
            book = Codebook(
                {q: book.questions[q] for q in spec.questions}, book.constructs, book.source
            )
    table = answer_table(responses, book)
    if table.respondents < 2 or not table.items:
        raise ConfigError(
            f"segmentations.{name}: the survey has {table.respondents} respondent(s) with usable "
            "answers; needs-based classes need at least a few dozen",
            hint="check the responses source and the codebook's scales",
        )
    return table


def _codebook(name: str, spec: SurveySegmentation, paths: Any) -> Codebook | None:
    if spec.codebook is None:
        return None
    path = paths.resolve(spec.codebook, key=f"segmentations.{name}.codebook")
    if not path.is_file():
        raise ConfigError(
            f"segmentations.{name}.codebook: {spec.codebook} does not exist",
            hint="write the codebook there (see docs/survey.md), or leave 'codebook' out",
        )
    return Codebook.load(path)


def _fit(spec: SurveySegmentation, table: AnswerTable) -> SurveySegmenter:
    from segwise.segmenters import SurveySegmenter  # noqa: PLC0415 - loads scikit-learn

    return SurveySegmenter(
        spec.classes,
        min_classes=spec.classes_min,
        max_classes=spec.classes_max,
        min_class_share=spec.min_class_share,
        id_col="customer_id",
        random_state=spec.seed,
    ).fit(table.wide)


def _project(
    spec: SurveySegmentation,
    features: pl.DataFrame,
    respondents: pl.DataFrame,
    segmenter: SurveySegmenter,
    names: dict[int, str],
) -> _Projection:
    """Respondents who are customers keep their class; the others get the bridge's."""
    from segwise.segmenters.survey_bridge import Bridge  # noqa: PLC0415 - scikit-learn

    answered = features.join(respondents, on="customer_id", how="inner")
    others = features.join(respondents, on="customer_id", how="anti")
    own = answered.select(
        "customer_id", "segment", "confidence", pl.lit(value=True).alias("answered")
    )
    columns = spec.bridge_features or [
        c for c in features.columns if c != "customer_id" and features[c].dtype != pl.Null
    ]
    bridge = None
    if spec.bridge and others.height and answered.height >= MIN_BRIDGE_RESPONDENTS:
        codes = {v: k for k, v in names.items()}
        labels = np.array([codes[s] for s in answered["segment"]], dtype=np.int64)
        bridge = Bridge.fit(answered, labels, columns, seed=spec.seed)
    projected = pl.DataFrame(schema=own.schema)
    if bridge is not None and bridge.beats_guessing():
        classes, confidence = bridge.predict(others)
        sure = confidence >= spec.min_confidence
        projected = others.select("customer_id").with_columns(
            pl.Series("segment", [names[int(k)] if s else NOT_SURVEYED
                                  for k, s in zip(classes, sure, strict=True)], dtype=pl.String),
            pl.Series("confidence", confidence),
            pl.lit(value=False).alias("answered"),
        )  # fmt: skip
    else:
        projected = others.select(
            "customer_id",
            pl.lit(NOT_SURVEYED).alias("segment"),
            pl.lit(None, dtype=pl.Float64).alias("confidence"),
            pl.lit(value=False).alias("answered"),
        )
    members = pl.concat([own, projected]).sort("customer_id")
    reached = int((projected["segment"] != NOT_SURVEYED).sum())
    return _Projection(members, bridge, answered.height, reached)


def _alphas(table: AnswerTable) -> dict[str, float]:
    groups: dict[str, list[str]] = {}
    for column in table.likert_columns():
        construct = table.items[column].construct
        if construct is not None:
            groups.setdefault(construct, []).append(column)
    return {
        c: cronbach_alpha(table.wide.select(cols).to_numpy().astype(float))
        for c, cols in groups.items()
        if len(cols) >= 2
    }


def _notes(
    spec: SurveySegmentation, table: AnswerTable, segmenter: SurveySegmenter, found: _Projection
) -> list[str]:
    notes = []
    if table.unknown:
        notes.append(
            f"{len(table.unknown)} question(s) are not in the codebook and were left out: "
            + ", ".join(table.unknown[:5])
        )
    if table.invalid.height:
        notes.append(
            f"{table.invalid.height:,} answers are not on their question's scale or among its "
            f"options and were set aside (written to {QUARANTINE_DIR}/responses.answers.csv)"
        )
    if segmenter.entropy_ < FUZZY_ENTROPY:
        notes.append(
            f"the classes overlap (relative entropy {segmenter.entropy_:.2f}): many respondents "
            "sit between two needs profiles"
        )
    if spec.classes == "auto" and segmenter.n_classes_ == spec.classes_max:
        notes.append(f"the most classes allowed ({spec.classes_max}) fit best: there may be more")
    bridge = found.bridge
    if spec.bridge and bridge is not None and not bridge.beats_guessing():
        notes.append(
            f"the customers' features predict the needs class no better than guessing the "
            f"largest class (held-out accuracy {bridge.accuracy:.0%} against {bridge.baseline:.0%})"
            ": customers who did not answer stay 'Not surveyed'"
        )
    elif spec.bridge and bridge is None and found.answered < MIN_BRIDGE_RESPONDENTS:
        notes.append(
            f"only {found.answered} respondents are customers: too few to project their classes "
            "onto the others"
        )
    return notes


def _unnamed(table: AnswerTable, profiles: list[NeedsProfile], codebook: str | None) -> str:
    """No construct in the codebook (a drafted one, or none): the classes go by item names."""
    named = profiles[0].name if profiles else "High q07, low q08"
    where = (
        f"the codebook ({table.codebook.source}) names no construct"
        if codebook
        else "without a codebook (segwise init --responses drafts one)"
    )
    return (
        f"{where}, so the classes are named by their questions ('{named}'): declare under "
        "constructs: what a high and a low score say about someone, and give each rating "
        "question its construct: (and reverse: true where it is worded the other way round)"
    )


def _descriptions(profiles: list[NeedsProfile], found: _Projection) -> dict[str, str]:
    bridge = found.bridge
    counts = found.members.group_by("segment", "answered").len()
    trust = (
        f"held-out accuracy of the projection {bridge.accuracy:.0%} against {bridge.baseline:.0%} "
        "by guessing the largest class"
        if bridge is not None and bridge.beats_guessing()
        else "not projected onto non-respondents"
    )
    out = {}
    for profile in profiles:
        mine = counts.filter(pl.col("segment") == profile.name)
        answered = int(mine.filter(pl.col("answered"))["len"].sum())
        projected = int(mine.filter(~pl.col("answered"))["len"].sum())
        traits = "; ".join(profile.traits) or "answers close to everyone's"
        out[profile.name] = (
            f"{traits} · {answered:,} answered the survey, {projected:,} projected from their "
            f"behaviour ({trust})"
        )
    out[NOT_SURVEYED] = "customers who did not answer and whose class could not be projected"
    return out


def _action(profiles: list[NeedsProfile], segment: str) -> str | None:
    if segment == NOT_SURVEYED:
        return "Invite them to the survey, or send the general message"
    profile = next((p for p in profiles if p.name == segment), None)
    if profile is None or not profile.traits:
        return None
    return f"Lead with what they care about: {profile.name[:1].lower() + profile.name[1:]}"


def _definition(
    spec: SurveySegmentation,
    table: AnswerTable,
    segmenter: SurveySegmenter,
    found: _Projection,
    alphas: dict[str, float],
    profiles: list[NeedsProfile],
) -> dict[str, Any]:
    bridge = found.bridge
    fit = segmenter.fit_table_
    tried = fit["classes"].to_list()
    summary = (
        f"{segmenter.n_classes_} needs classes from {table.respondents:,} respondents "
        f"(BIC over {min(tried)}–{max(tried)} classes; "
        f"relative entropy {segmenter.entropy_:.2f})"
    )
    if bridge is not None:
        summary += (
            f" · projected onto {found.projected:,} other customers: held-out accuracy "
            f"{bridge.accuracy:.0%} vs {bridge.baseline:.0%} guessing"
        )
    return {
        "method": "survey",
        **spec.model_dump(exclude_none=True),
        "respondents": table.respondents,
        "classes_chosen": segmenter.n_classes_,
        "fit": fit.to_dicts(),
        "entropy": segmenter.entropy_,
        "alpha": {c: {"alpha": a, "reads": alpha_words(a)} for c, a in alphas.items()},
        "profiles": {p.name: list(p.traits) for p in profiles},
        "projection": None
        if bridge is None
        else {"accuracy": bridge.accuracy, "baseline": bridge.baseline, "folds": bridge.folds},
        "summary": summary,
    }


def _quarantine(table: AnswerTable, inputs: RunInputs) -> None:
    if table.invalid.height:
        target = inputs.paths.resolve(QUARANTINE_DIR, key="quarantine") / "responses.answers.csv"
        target.parent.mkdir(parents=True, exist_ok=True)
        write_table(table.invalid, target)


def check(name: str, spec: SurveySegmentation, inputs: CheckInputs) -> None:
    """The codebook reads, the answers are a source, and the class range is sensible."""
    if "responses" not in inputs.datasets and "responses" not in inputs.failed:
        raise ConfigError(
            f"segmentations.{name}: method survey needs the survey answers",
            hint="add sources.responses: {path: answers.csv} (respondent, question, answer)",
        )
    if spec.classes_min > spec.classes_max:
        raise ConfigError(
            f"segmentations.{name}: classes_min ({spec.classes_min}) is above classes_max "
            f"({spec.classes_max})"
        )
    _codebook(name, spec, inputs.paths)
    if spec.bridge_features and inputs.features is not None and not inputs.failed:
        known = to_lazy(inputs.features).collect_schema().names()
        check_features_exist(name, spec.bridge_features, known)


METHOD = Method(SurveySegmentation, run, check)
