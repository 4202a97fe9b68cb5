"""``method: rules``: the project's rule catalog, exclusive or as overlapping audiences."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from segwise.engine.frames import to_lazy
from segwise.exceptions import ProblemsError, RuleError
from segwise.lang.parser import parse_rule
from segwise.profiling import profile_segments
from segwise.profiling.actions import population_value, suggest_action, suggested_actions
from segwise.profiling.amounts import number
from segwise.profiling.cards import SegmentationResult, SegmentCard, cards_from_profiles
from segwise.profiling.profiles import SegmentProfiles
from segwise.profiling.rule_lint import blanks_left_out, may_leave_blanks_out
from segwise.project.catalogs import catalog_of
from segwise.project.config import RulesSegmentation
from segwise.project.methods.base import CheckInputs, Method, RunInputs
from segwise.project.results import (
    as_polars,
    playbook_lines,
    playbook_text,
    profile_members,
)
from segwise.segmenters import RuleCatalog, RuleSegmenter

if TYPE_CHECKING:
    from segwise.io.dataset import Dataset
    from segwise.segmenters.rule_preview import SegmentSize


def run(name: str, spec: RulesSegmentation, inputs: RunInputs) -> list[SegmentationResult]:
    """Evaluate the catalog in the run's engine; profile each segment or audience."""
    catalog = catalog_of(name, spec, inputs.paths, inputs.id_map)
    segmenter = RuleSegmenter(catalog, id_col="customer_id", as_of=inputs.as_of)
    tables = {
        "events": inputs.tables.get("events"),
        # A preview from the cached features has no tables: its rules read only features.
        "transactions": inputs.tables.get("transactions"),
    }
    # Fitting checks every rule against the columns; no row needs evaluating twice.
    segmenter.fit(to_lazy(inputs.features_native).head(0), **tables)
    out = as_polars(segmenter.segment(inputs.features_native, **tables)).sort("customer_id")
    made: list[SegmentCard] = []
    if not inputs.profile:
        members = _members_only(catalog, out)
    elif catalog.exclusive:
        members, made = _exclusive(catalog, out, inputs)
    else:
        members, made = _overlapping(catalog, out, inputs)
    definition = {
        "method": "rules",
        "exclusive": catalog.exclusive,
        "other": catalog.other,
        "segments": [s.model_dump(exclude_none=True) for s in catalog.segments],
    }
    reads = sorted({c for rule in catalog.rules().values() for c in rule.columns})
    return [
        SegmentationResult(
            name,
            "rules",
            members,
            definition,
            made,
            warnings=_empty_segments(catalog, members, segmenter, inputs, tables)
            + _blanks(catalog, out, inputs),
            reads=tuple(reads),
        )
    ]


def _blanks(catalog: RuleCatalog, out: pl.DataFrame, inputs: RunInputs) -> list[str]:
    """Customers who never logged in (a blank) that an "inactive" rule leaves to the rest."""
    if not may_leave_blanks_out(catalog):
        return []
    found = blanks_left_out(catalog, inputs.features, out)
    return [f"segment '{f.segment}': {f.message}" for f in found]


def _empty_segments(
    catalog: RuleCatalog,
    members: pl.DataFrame,
    segmenter: RuleSegmenter,
    inputs: RunInputs,
    tables: dict[str, Any],
) -> list[str]:
    """A segment nobody is in has no card: say so, and why, or it vanishes unseen."""
    held = set(members["segment"].unique().to_list())
    empty = [s.name for s in catalog.ordered() if s.name not in held]
    if not empty:
        return []
    # The preview is one aggregation; only a run with an empty segment pays for it.
    sizes = {s.name: s for s in segmenter.preview(inputs.features_native, **tables).segments}
    return [
        f"segment '{name}' is empty as of {inputs.as_of}: "
        f"{_why_empty(sizes[name], inputs.features)}"
        for name in empty
    ]


def _why_empty(size: SegmentSize, features: pl.DataFrame) -> str:
    """The first condition that leaves nobody, or the segments before it that took everyone."""
    explain = "; check the rule (segwise explain shows why a customer is out)"
    if size.matches:
        return (
            f"its rule matches {size.matches:,} customer(s), every one in a segment before "
            "it; give it a higher priority, or narrow the segments before it"
        )
    for place, condition in enumerate(size.conditions):
        if not condition.alone:
            spans = _spans(condition.text, features)
            return f"{condition.text} matches no customer{spans}{explain}"
        if not condition.cumulative:
            before = "the condition" if place == 1 else "the conditions"
            return (
                f"{condition.text} matches {condition.alone:,} customer(s), none of them "
                f"passing {before} before it{explain}"
            )
    return f"its rule matches no customer{explain}"


def _spans(condition: str, features: pl.DataFrame) -> str:
    """`` (orders runs 1 to 37)``: where the condition's numeric features lie in this run."""
    try:
        read = sorted(parse_rule(condition).columns & set(features.columns))
    except RuleError:  # a part that does not parse alone: the warning goes without spans
        return ""
    numeric = [c for c in read if features.schema[c].is_numeric()]
    if not numeric:
        return ""
    ends = features.select(
        *(pl.col(c).min().alias(f"{c}_min") for c in numeric),
        *(pl.col(c).max().alias(f"{c}_max") for c in numeric),
    ).row(0, named=True)
    spans = [
        f"{c} runs {number(ends[f'{c}_min'])} to {number(ends[f'{c}_max'])}"
        for c in numeric
        if ends[f"{c}_min"] is not None
    ]
    return f" ({', '.join(spans)})" if spans else ""


def _members_only(catalog: RuleCatalog, out: pl.DataFrame) -> pl.DataFrame:
    if catalog.exclusive:
        return out.select("customer_id", "segment")
    long = [
        out.filter(pl.col(s.name)).select("customer_id", pl.lit(s.name).alias("segment"))
        for s in catalog.ordered()
    ]
    empty = pl.DataFrame(schema={"customer_id": pl.String, "segment": pl.String})
    return pl.concat([empty, *long]) if long else empty


def _exclusive(
    catalog: RuleCatalog, out: pl.DataFrame, inputs: RunInputs
) -> tuple[pl.DataFrame, list[SegmentCard]]:
    by_name = {s.name: s for s in catalog.segments}
    members = out.select("customer_id", "segment")
    currency = inputs.currency
    profiles = profile_members(
        inputs.features,
        members,
        defining=_read_by(catalog),
        currency=currency,
        value=inputs.value,
    )
    # A segment without a playbook (the rest, above all) still gets an action from its
    # traits, as clusters do: largest first, none repeated.
    suggested = suggested_actions(
        profiles, lambda p: playbook_text(by_name.get(p.segment)) is None, currency=currency
    )
    made = cards_from_profiles(
        profiles,
        lambda p: by_name[p.segment].where if p.segment in by_name else "no rule matched",
        lambda p: playbook_text(by_name.get(p.segment)) or suggested.get(p.label),
    )
    made = [replace(c, playbook=playbook_lines(by_name.get(c.segment))) for c in made]
    return members, made


def _read_by(catalog: RuleCatalog) -> dict[str, frozenset[str]]:
    """The columns each segment's rule reads: they lead its card."""
    return {s.name: parse_rule(s.where).columns for s in catalog.segments if s.where}


def _overlapping(
    catalog: RuleCatalog, out: pl.DataFrame, inputs: RunInputs
) -> tuple[pl.DataFrame, list[SegmentCard]]:
    """One membership row per audience; each audience profiled against everyone else."""
    members = _members_only(catalog, out)
    made: list[SegmentCard] = []
    currency = inputs.currency
    table = out.join(inputs.features, on="customer_id", how="left", maintain_order="left")
    flags = [s.name for s in catalog.segments]
    for segment in catalog.ordered():
        inside = np.where(table[segment.name].to_numpy(), segment.name, "(rest)")
        profiles = profile_segments(
            table.drop("customer_id", *flags),
            inside,
            defining=_read_by(catalog),
            currency=currency,
            value_col=inputs.value or "auto",
        )
        wanted = [p for p in profiles.segments if p.segment == segment.name]
        audience = SegmentProfiles(profiles.total, profiles.value_col, wanted)
        suggested = [
            suggest_action(
                p.trait_details,
                value_mean=p.value_mean,
                population_value=population_value(profiles),
                currency=currency,
            )
            for p in wanted
        ]
        made.extend(
            replace(
                card,
                definition=segment.where,
                action=playbook_text(segment) or next(iter(suggested), None),
                playbook=playbook_lines(segment),
            )
            for card in cards_from_profiles(audience, lambda _p: None, lambda _p: None)
        )
    return members, made


def check(name: str, spec: RulesSegmentation, inputs: CheckInputs) -> None:
    """The catalog loads, and every rule compiles against the features that could be read."""
    catalog = catalog_of(name, spec, inputs.paths)
    if inputs.features is not None:
        check_rules(catalog, to_lazy(inputs.features).head(50), inputs.datasets, inputs.failed)


def check_rules(
    catalog: RuleCatalog, sample: Any, datasets: dict[str, Dataset], failed: set[str]
) -> None:
    """Compile a catalog; on failure, each segment alone too, so every bad rule is reported.

    A segment that only fails alone because it names another (``in_segment``)
    is not a problem of its own, and neither is an event condition when the
    events source itself could not be read (that problem is reported already).
    """
    tables = {"events": datasets.get("events"), "transactions": datasets.get("transactions")}
    try:
        RuleSegmenter(catalog, id_col="customer_id").fit(sample, **tables)
    except RuleError as whole:
        found: list[RuleError] = []
        echoes = 0
        for segment in catalog.segments:
            alone = catalog.model_copy(update={"segments": [segment]})
            try:
                RuleSegmenter(alone, id_col="customer_id").fit(sample, **tables)
            except RuleError as exc:
                text = exc.render()
                if "in_segment" in text or "unknown segment" in text:
                    continue
                if "needs the events table" in text and "events" in failed:
                    echoes += 1
                    continue
                found.append(exc)
        if len(found) > 1:
            raise ProblemsError([e.render() for e in found]) from None
        if found:
            raise found[0] from None
        if not echoes:
            raise whole from None


METHOD = Method(RulesSegmentation, run, check)
