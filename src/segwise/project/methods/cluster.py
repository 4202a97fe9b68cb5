"""A project's cluster segmentation: fit or reuse a frozen model, name, profile and advise.

A marketer who sends a campaign to "Lapsed big-basket customers" this month
expects the same segment, with the same name, next month. So a project can
keep its fitted model in a JSON file (``model:``) and say when to fit again
(``refit: never | monthly | always``); the segments it assigns to then keep
their ids and names run after run, while their profiles (size, traits, value)
follow the data. Segment ids are the handle for the project's own names and
playbooks (``segments: {0: {name: …, playbook: …}}``).
"""

from __future__ import annotations

import copy
import functools
import re
import warnings
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from segwise.engine.frames import to_lazy
from segwise.exceptions import ConfigError
from segwise.profiling.actions import suggested_actions
from segwise.profiling.cards import SegmentationResult, SegmentCard, cards_from_profiles
from segwise.profiling.name_fit import unfit_words
from segwise.profiling.named_clusters import name_clusters
from segwise.project.config import ClusterSegmentation
from segwise.project.methods.base import CheckInputs, Method, RunInputs, check_features_exist
from segwise.project.results import as_polars
from segwise.segmenters import ClusterSegmenter, UnstableSegmentWarning
from segwise.segmenters.cluster_outliers import OUTLIER_ID
from segwise.segmenters.cluster_selection import jaccard_per_cluster

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import date
    from pathlib import Path

    import polars as pl


OUTLIER_DEFINITION = (
    "far from every segment's centre, or with a value far outside the usual range on some "
    "feature (at most about 1% of customers per rule)"
)
OUTLIER_ACTION = (
    "Review them one by one: extreme values (wholesale buyers, data errors, heavy returners) "
    "that no campaign for the other segments fits."
)
#: Without orders there are no wholesale buyers or returners to suspect.
OUTLIER_ACTION_NO_ORDERS = (
    "Review them one by one: extreme values (data errors, test or duplicate records, unusual "
    "accounts) that no campaign for the other segments fits."
)


def _due(policy: str, model: ClusterSegmenter, as_of: date) -> bool:
    """Whether a saved model must be fitted again for a run as of ``as_of``."""
    if policy == "always":
        return True
    if policy in ("never", "when_outgrown"):  # when_outgrown: decided once assigned
        return False
    fitted = str(getattr(model, "metadata_", {}).get("as_of", ""))[:7]
    return fitted != as_of.isoformat()[:7]


def _model(
    name: str, spec: ClusterSegmentation, model_path: Path | None, as_of: date, *, fresh: bool
) -> tuple[ClusterSegmenter, bool]:
    """The segmenter to assign with, and whether it must be fitted in this run."""
    segmenter = _segmenter(spec)
    if model_path is not None and model_path.exists() and not fresh:
        saved = ClusterSegmenter.load(model_path)
        changed = _changed_settings(saved, segmenter)
        if changed and spec.refit_policy != "always":
            raise ConfigError(
                f"segmentations.{name}: {', '.join(changed)} changed since the model in "
                f"{spec.model} was fitted, so it no longer matches the project",
                hint="delete the model file to fit a new one (segment ids and names may change), "
                "or set refit: always",
            )
        if not _due(spec.refit_policy, saved, as_of):
            return saved, False
    return segmenter, True


#: The settings a frozen model must share with the project to be reused.
_MODEL_SETTINGS = (
    "n_segments",
    "k_min",
    "k_max",
    "algorithm",
    "features",
    "categorical",
    "min_segment_share",
    "min_segment_size",
    "outlier_cutoff",
    "random_state",
)


def _changed_settings(saved: ClusterSegmenter, wanted: ClusterSegmenter) -> list[str]:
    old, new = saved.get_params(), wanted.get_params()
    return [key for key in _MODEL_SETTINGS if old.get(key) != new.get(key)]


def _segmenter(spec: ClusterSegmentation) -> ClusterSegmenter:
    return ClusterSegmenter(
        spec.k,
        k_min=spec.k_min,
        k_max=spec.k_max,
        algorithm=spec.algorithm,
        features=spec.features,
        categorical=spec.categorical,
        sample_size=spec.sample_size,
        min_segment_share=spec.min_segment_share,
        min_segment_size=spec.min_segment_size,
        outlier_cutoff=spec.outlier_cutoff,
        id_col="customer_id",
        random_state=spec.seed,
    )


def _project_names(name: str, spec: ClusterSegmentation, k: int) -> dict[int, str]:
    unknown = sorted(i for i in spec.segments if not 0 <= i < k)
    if unknown:
        raise ConfigError(
            f"segmentations.{name}.segments: no segment id {unknown[0]} "
            f"(this model has ids 0 to {k - 1})",
            hint="use the ids shown on the cards of the report or by segwise cluster",
        )
    return {i: edit.name for i, edit in spec.segments.items() if edit.name}


def run_clustering(
    name: str,
    spec: ClusterSegmentation,
    features_native: Any,
    features: pl.DataFrame,
    *,
    as_of: date,
    model_path: Path | None = None,
    currency: str | None = None,
    stored_as_of: tuple[date, ...] = (),
    value: str | None = None,
    fresh: bool = False,
) -> SegmentationResult:
    """Cluster the customers (or reuse the frozen model) and build the segmentation's cards.

    ``features`` is the customer table sorted by id (the fit is the same on
    every engine); ``features_native`` the same table in the run's engine,
    where everyone is assigned. ``fresh`` fits afresh whatever the model file holds.
    """
    segmenter, refitted = _model(name, spec, model_path, as_of, fresh=fresh)
    # Fitted on the table sorted by id: the same fit on every engine. The fit says "segment
    # id 3 is unstable" before the segments have names; they are named below.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        named = name_clusters(
            segmenter,
            features,
            fit=refitted,
            currency=currency,
            where=f"segmentation '{name}': ",
            value=value,
        )
    unstable = _unstable_segments(caught)
    profiles = named.profiles
    pending: Callable[[], None] | None = None
    if refitted and model_path is not None:
        # Written by the pipeline once the run is stored: a failed run leaves the old model.
        saved = copy.deepcopy(segmenter)
        metadata = {"as_of": as_of.isoformat(), "segmentation": name}
        pending = functools.partial(_save, saved, model_path, metadata)
    model_names = dict(segmenter.segment_names_)
    segmenter.rename(_project_names(name, spec, segmenter.n_segments_))
    profiles.rename({k: v for k, v in segmenter.segment_names_.items() if k in profiles.names})
    assigned = as_polars(segmenter.assign(features_native)).sort("customer_id")
    members = assigned.select("customer_id", "segment")
    outliers = OUTLIER_ACTION if "orders" in features.columns else OUTLIER_ACTION_NO_ORDERS
    made = _cards(spec, segmenter, profiles, model_names, currency, outliers)
    warnings_ = list(segmenter.warnings_)
    warnings_ += [
        text.replace(f"segment id {k}", f"segment '{segmenter.segment_names_.get(k, k)}' (id {k})")
        for k, text in unstable
    ]
    staleness: dict[str, Any] | None = None
    outgrown: dict[str, Any] | None = None
    if not refitted:
        warnings_ = [f"model {spec.model} reused: {w}" for w in warnings_]
        warnings_ += _unfit_names(spec, profiles)
        outgrown = _outgrown(spec, segmenter, named.labels)
        warnings_ += [outgrown["note"]] if outgrown else []
        staleness = _staleness(spec, segmenter, features, named.labels, stored_as_of)
        if staleness and staleness["stale"]:
            warnings_.append(staleness["note"])
        if spec.refit_policy == "when_outgrown" and (outgrown or (staleness or {}).get("stale")):
            refitted_now = run_clustering(
                name, spec, features_native, features, as_of=as_of, model_path=model_path,
                currency=currency, stored_as_of=stored_as_of, value=value, fresh=True,
            )  # fmt: skip
            refitted_now.warnings.insert(0, _refit_note(spec, segmenter, outgrown, staleness))
            return refitted_now
    definition = _definition(spec, segmenter, refitted=refitted, as_of=as_of, notes=warnings_)
    if staleness is not None:
        definition["staleness"] = staleness
    if outgrown is not None:
        definition["outgrown"] = outgrown
    return SegmentationResult(
        name,
        "cluster",
        members,
        definition,
        made,
        warnings=warnings_,
        after_commit=pending,
        reads=tuple(segmenter.transform_.input_names),
    )


def _refit_note(
    spec: ClusterSegmentation,
    frozen: ClusterSegmenter,
    outgrown: dict[str, Any] | None,
    staleness: dict[str, Any] | None,
) -> str:
    """Why ``refit: when_outgrown`` fitted the model afresh in this run."""
    fitted = str(getattr(frozen, "metadata_", {}).get("as_of", "")) or "an earlier run"
    why = (
        f"{outgrown['share']:.0%} of customers were Outliers under it"
        if outgrown
        else f"a fresh fit agreed with it on only {(staleness or {}).get('agreement', 0):.0%} "
        "of each segment"
    )
    return (
        f"model {spec.model}, fitted as of {fitted}, fitted afresh (refit: when_outgrown): "
        f"{why}; segment ids and names may have changed (segwise changes shows where each "
        "old segment went)"
    )


#: A reused model that sends more than this share of customers to Outliers no longer covers
#: them: a fit puts about 1% there per rule (far from every centre, or past a feature's range).
OUTGROWN_SHARE = 0.05


def _outgrown(
    spec: ClusterSegmentation, frozen: ClusterSegmenter, labels: Any
) -> dict[str, Any] | None:
    """Whether today's customers lie beyond the values a reused model was fitted on.

    The share of Outliers and a note, or None while the model still covers them.

    CDNOW's closed cohort with a model fitted as of 1997-06-30: a year on, 23% of the
    customers were Outliers, the largest segment, with a third of the revenue (a fresh fit
    that day put 8 customers there).
    """
    found = np.asarray(labels)
    outliers = int((found == OUTLIER_ID).sum())
    if not found.size or outliers / found.size <= OUTGROWN_SHARE:
        return None
    share = outliers / found.size
    fitted = str(getattr(frozen, "metadata_", {}).get("as_of", "")) or "an earlier run"
    note = (
        f"{share:.0%} of customers ({outliers:,}) are Outliers under model {spec.model}, "
        f"fitted as of {fitted} (a fit puts about 1% there per rule): today's customers lie "
        "beyond the values it was fitted on, so its segments no longer cover them; fit it "
        f"afresh (delete {spec.model}, or set refit: when_outgrown to have runs do it) and "
        "rename the new segments"
    )
    return {"outliers": outliers, "share": share, "note": note}


def _unfit_names(spec: ClusterSegmentation, profiles: Any) -> list[str]:
    """Names kept with a reused model that its segments' traits now contradict.

    The project's own names (``segments:``) are the user's to keep; the model's names
    were made from the traits at the fit.
    """
    notes = []
    for profile in profiles.segments:
        edit = spec.segments.get(profile.label)
        if profile.label == OUTLIER_ID or (edit is not None and edit.name):
            continue
        unfit = unfit_words(profile.name, profile.numeric.to_dicts())
        if unfit:
            said = "; ".join(f"'{word}' ({evidence})" for word, evidence in unfit)
            notes.append(
                f"segment '{profile.name}' (id {profile.label}) no longer fits its name, kept "
                f"with the model: {said}; rename it under segments: {profile.label}: name:, "
                f"or delete {spec.model} to fit afresh"
            )
    return notes


def _unstable_segments(caught: list[warnings.WarningMessage]) -> list[tuple[int, str]]:
    """The fit's "segment id N is unstable" warnings, by id; every other warning passes on."""
    found = []
    for warning in caught:
        text = str(warning.message)
        matched = re.match(r"segment id (-?\d+) is unstable", text)
        if matched and issubclass(warning.category, UnstableSegmentWarning):
            found.append((int(matched.group(1)), text))
        else:
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
    return found


def _cards(
    spec: ClusterSegmentation,
    segmenter: ClusterSegmenter,
    profiles: Any,
    model_names: dict[int, str],
    currency: str | None,
    outliers: str,
) -> list[SegmentCard]:
    """Cards with the project's names and playbooks by id, and one distinct action each."""
    # Outliers get their own action, not one suggested from their (extreme) traits.
    suggested = suggested_actions(profiles, lambda p: p.label != OUTLIER_ID, currency=currency)
    suggested[OUTLIER_ID] = outliers
    made = cards_from_profiles(
        profiles,
        lambda p: (
            f"{p.rule} (precision {p.rule_precision:.0%}, recall {p.rule_recall:.0%})"
            if p.rule
            else None
        ),
        lambda p: _action(spec, p.label) or suggested.get(p.label),
        auto_names=True,
    )
    return [_edited(card, spec, segmenter, model_names) for card in made]


def _edited(
    card: SegmentCard,
    spec: ClusterSegmentation,
    segmenter: ClusterSegmenter,
    model_names: dict[int, str],
) -> SegmentCard:
    """The card with its id, stability, the project's playbook and description by id."""
    edit = spec.segments.get(card.label)
    definition = card.definition
    if edit and edit.description:
        definition = edit.description
    if card.label == OUTLIER_ID:
        definition = OUTLIER_DEFINITION
    return replace(
        card,
        segment_id=card.label,
        stability=segmenter.segment_stability_.get(card.label),
        playbook=tuple(edit.playbook.lines()) if edit and edit.playbook else (),
        definition=definition,
        # The model's own name, so a renamed segment still shows what the data says.
        auto_name=model_names.get(card.label, card.auto_name),
    )


def _definition(
    spec: ClusterSegmentation,
    segmenter: ClusterSegmenter,
    *,
    refitted: bool,
    as_of: date,
    notes: list[str],
) -> dict[str, Any]:
    """What the store keeps of the segmentation: settings, choice of k, the model itself."""
    fitted = getattr(segmenter, "metadata_", {}).get("as_of", "")
    return {
        "method": "cluster",
        **spec.model_dump(exclude=_unset_options(spec)),
        "chosen_k": segmenter.n_segments_,
        "silhouette": segmenter.silhouette_,
        "stability": segmenter.stability_,
        "features": segmenter.transform_.input_names,
        "transforms": {f.name: f.reason for f in segmenter.transform_.numeric},
        "warnings": notes,
        "refitted": refitted,
        "model_path": spec.model,
        "fitted_as_of": as_of.isoformat() if refitted else str(fitted),
        "segment_ids": {str(k): v for k, v in sorted(segmenter.segment_names_.items())},
        "model": {
            "transform": segmenter.transform_.to_dict(),
            "clusters": segmenter.clusters_.to_dict(),
            "outlier_threshold": segmenter.outlier_threshold_,
            "outlier_limits": list(getattr(segmenter, "outlier_limits_", [])),
        },
    }


#: Options added after definitions were first stored: kept out of a definition unless set,
#: so an unchanged project's definition (and its version) stays the same.
LATER_OPTIONS = ("min_segment_size",)


def _unset_options(spec: ClusterSegmentation) -> set[str]:
    return {name for name in LATER_OPTIONS if name not in spec.model_fields_set}


#: Below this agreement between the frozen model and a fresh fit, the model is stale.
STALE_JACCARD = 0.75


def _staleness(
    spec: ClusterSegmentation,
    frozen: ClusterSegmenter,
    features: pl.DataFrame,
    labels: Any,
    stored_as_of: tuple[date, ...],
) -> dict[str, Any] | None:
    """Whether a fresh fit still agrees with a frozen model reused for ``stale_after`` runs.

    Agreement is the size-weighted mean of each frozen segment's best Jaccard
    overlap with a segment of the fresh fit; under 0.75 the segments have
    drifted from what the data would find today.
    """
    fitted = str(getattr(frozen, "metadata_", {}).get("as_of", ""))
    runs_since = sum(1 for day in stored_as_of if day.isoformat() > fitted) if fitted else 0
    if runs_since < spec.stale_after:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the fresh fit is a yardstick, its notes are not ours
        fresh = _segmenter(spec).fit(features)
    old = np.asarray(labels)
    best = jaccard_per_cluster(old, np.asarray(fresh.labels_), frozen.n_segments_)
    sizes = np.array([(old == c).sum() for c in range(frozen.n_segments_)], dtype=float)
    agreement = float((best * sizes).sum() / sizes.sum()) if sizes.sum() else 1.0
    stale = agreement < STALE_JACCARD
    note = (
        f"model {spec.model} was fitted as of {fitted}, {runs_since} runs ago, and a fit on "
        f"today's data agrees with it on only {agreement:.0%} of each segment (Jaccard, "
        f"under {STALE_JACCARD:.0%}): its segments no longer match the data; refit it "
        "(delete the file, or set refit: when_outgrown to have runs do it) and rename the new "
        "segments"
    )
    return {"runs_since_fit": runs_since, "agreement": agreement, "stale": stale, "note": note}


def _save(segmenter: ClusterSegmenter, path: Path, metadata: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    segmenter.save(path, metadata=metadata)


def _action(spec: ClusterSegmentation, label: int) -> str | None:
    edit = spec.segments.get(label)
    if edit is None or edit.playbook is None:
        return None
    return "; ".join(edit.playbook.lines()) or None


def run(name: str, spec: ClusterSegmentation, inputs: RunInputs) -> list[SegmentationResult]:
    """The project's entry: the model file resolved inside the project folder."""
    key = f"segmentations.{name}.model"
    model = inputs.paths.resolve(spec.model, key=key) if spec.model else None
    return [
        run_clustering(
            name,
            spec,
            inputs.features_native,
            inputs.features,
            as_of=inputs.as_of,
            model_path=model,
            currency=inputs.currency,
            stored_as_of=inputs.stored_as_of,
            value=inputs.value,
        )
    ]


def check(name: str, spec: ClusterSegmentation, inputs: CheckInputs) -> None:
    """Every named feature exists (when every source could be read)."""
    if inputs.features is None or inputs.failed:
        return
    schema = to_lazy(inputs.features).collect_schema().names()
    check_features_exist(name, [*(spec.features or []), *(spec.categorical or [])], schema)


def outputs(name: str, spec: ClusterSegmentation) -> dict[str, str]:
    """The frozen model file, when the project keeps one."""
    return {f"segmentations.{name}.model": spec.model} if spec.model else {}


METHOD = Method(ClusterSegmentation, run, check, outputs)
