"""``method: lookalike``: the customers who look most like a seed group.

The seed is one segment of a segmentation that runs earlier in the project
(``{segmentation: value, segment: Champions}``), a rule on the customer table
(``{where: "..."}``) or a file of customer ids (``{ids: best.csv}``). Every
customer is then scored by :class:`~segwise.segmenters.LookalikeSegmenter`
on the profile features, and the top ``size`` of the others become the
"Lookalikes"; the rest are "Others". The audience's estimated precision and
recall are stored with the definition, and an audience estimated to be
mostly not alike says so.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import polars as pl

from segwise._validation import did_you_mean
from segwise.engine.frames import to_lazy
from segwise.exceptions import ConfigError
from segwise.profiling.cards import SegmentationResult, cards_from_profiles
from segwise.project.config import LookalikeSegmentation
from segwise.project.methods.base import CheckInputs, Method, RunInputs, check_features_exist
from segwise.project.results import profile_members

if TYPE_CHECKING:
    from segwise.project.paths import ProjectPaths
    from segwise.segmenters import LookalikeSegmenter

ACTIONS = {
    "Seed": "The group the audience is built from: keep them as they are",
    "Lookalikes": "Give them what worked for the seed: the same offers, channels and timing",
}


def run(name: str, spec: LookalikeSegmentation, inputs: RunInputs) -> list[SegmentationResult]:
    """Find the seed, score everyone by resemblance, and profile seed, audience and others."""
    from segwise.segmenters import (  # noqa: PLC0415 - loads scikit-learn
        LookalikeSegmenter,
        LookalikeWarning,
    )

    features = inputs.features
    seed = _seed(name, spec, inputs)
    in_seed = features["customer_id"].is_in(seed.implode()).to_numpy()
    chosen = [c for c in (spec.features or features.columns) if c != "customer_id"]
    check_features_exist(name, chosen, features.columns)
    segmenter = LookalikeSegmenter(
        spec.size if spec.size < 1 else int(spec.size),
        features=chosen,
        id_col="customer_id",
    )
    with warnings.catch_warnings():
        # Its notes come back as the segmentation's warnings, said once, with the run's.
        warnings.simplefilter("ignore", LookalikeWarning)
        segmenter.fit(features, in_seed.astype(int))
    scored = segmenter.segment(features)
    members = scored.select("customer_id", "segment")
    described = _descriptions(spec, segmenter)
    made = cards_from_profiles(
        profile_members(features, members, currency=inputs.currency, value=inputs.value),
        lambda p: described.get(str(p.segment)),
        lambda p: ACTIONS.get(str(p.segment)),
    )
    notes = list(segmenter.warnings_)
    definition = {
        "method": "lookalike",
        **spec.model_dump(exclude_none=True),
        "seed_size": int(in_seed.sum()),
        "audience": int((segmenter.labels_ == 2).sum()),
        "threshold": segmenter.threshold_,
        "precision": segmenter.precision_,
        "recall": segmenter.recall_,
        "features": chosen,
        "summary": f"{int((segmenter.labels_ == 2).sum()):,} lookalikes of {int(in_seed.sum()):,} "
        f"seed customers · estimated {segmenter.precision_:.0%} truly alike, "
        f"{segmenter.recall_:.0%} of all lookalikes reached",
    }
    return [
        SegmentationResult(
            name,
            "lookalike",
            members,
            definition,
            made,
            warnings=notes,
            details=scored.select("customer_id", pl.col("score").alias("resemblance")),
            reads=tuple(chosen),
        )
    ]


def _descriptions(spec: LookalikeSegmentation, segmenter: LookalikeSegmenter) -> dict[str, str]:
    seed = spec.seed
    if seed.segment is not None:
        source = f"segment '{seed.segment}' of '{seed.segmentation}'"
    elif seed.where is not None:
        source = f"customers where {seed.where}"
    else:
        source = f"the customer ids in {seed.ids}"
    precision, recall = segmenter.precision_, segmenter.recall_
    return {
        "Seed": source,
        "Lookalikes": f"the customers outside the seed who look most like {source} "
        f"(estimated {precision:.0%} truly alike; holds about {recall:.0%} of all lookalikes)",
        "Others": "everyone else",
    }


def _not_earlier(name: str, seed: str, earlier: tuple[str, ...]) -> ConfigError:
    """The seed names no segmentation listed before this one: a typo, or one listed after."""
    close = did_you_mean(seed, earlier)
    hint = (
        f"did you mean {' or '.join(repr(c) for c in close)}?"
        if close
        else "list the seed's segmentation earlier in the project file"
        + (f" (before it: {', '.join(earlier)})" if earlier else "")
    )
    return ConfigError(
        f"segmentations.{name}.seed: no segmentation '{seed}' runs before it", hint=hint
    )


def _seed(name: str, spec: LookalikeSegmentation, inputs: RunInputs) -> pl.Series:
    """The seed's customer ids."""
    seed = spec.seed
    if seed.segment is not None:
        members = inputs.earlier.get(str(seed.segmentation))
        if members is None:
            raise _not_earlier(name, str(seed.segmentation), tuple(inputs.earlier))
        found = members.filter(pl.col("segment") == seed.segment)["customer_id"]
        if found.len() == 0:
            held = sorted(set(members["segment"].cast(pl.String).to_list()))
            raise ConfigError(
                f"segmentations.{name}.seed: '{seed.segmentation}' has no customer in "
                f"'{seed.segment}' in this run",
                hint=f"its segments are {', '.join(held)}",
            )
        return found.cast(pl.String)
    if seed.where is not None:
        return _where(seed.where, inputs)
    return inputs.read_ids(_ids(name, str(seed.ids), inputs.paths))


def _where(rule: str, inputs: RunInputs) -> pl.Series:
    from segwise.segmenters import RuleSegmenter  # noqa: PLC0415

    segmenter = RuleSegmenter({"seed": rule}, exclusive=False, id_col="customer_id")
    events = inputs.tables.get("events")
    segmenter.fit(to_lazy(inputs.features_native).head(0), events=events)
    flags = segmenter.segment(inputs.features_native, events=events)
    table = pl.DataFrame(to_lazy(flags).collect(backend="polars").to_native())
    return table.filter(pl.col("seed").fill_null(value=False))["customer_id"].cast(pl.String)


def _ids(name: str, path: str, paths: ProjectPaths) -> pl.Series:
    file = paths.resolve(path, key=f"segmentations.{name}.seed.ids")
    table = pl.read_csv(file, infer_schema=False)
    column = "customer_id" if "customer_id" in table.columns else table.columns[0]
    ids = table[column].str.strip_chars().drop_nulls()
    return ids.filter(ids != "")


def check(name: str, spec: LookalikeSegmentation, inputs: CheckInputs) -> None:
    """The features exist, the seed's rule parses, or its id file is there in the project."""
    from segwise.lang.parser import parse_rule  # noqa: PLC0415

    if spec.seed.segmentation is not None and spec.seed.segmentation not in inputs.earlier:
        raise _not_earlier(name, str(spec.seed.segmentation), inputs.earlier)
    if spec.features and inputs.features is not None and not inputs.failed:
        check_features_exist(name, spec.features, to_lazy(inputs.features).collect_schema())
    if spec.seed.where is not None:
        parse_rule(spec.seed.where)
    if spec.seed.ids is not None:
        file = inputs.paths.resolve(spec.seed.ids, key=f"segmentations.{name}.seed.ids")
        if not file.is_file():
            raise ConfigError(
                f"segmentations.{name}.seed.ids: {spec.seed.ids} does not exist",
                hint="write the seed's customer ids there, one per row",
            )


METHOD = Method(LookalikeSegmentation, run, check)
