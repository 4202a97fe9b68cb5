"""``method: hybrid``: rules first, then another method inside each rule segment.

"B2B accounts → cluster by behaviour; consumers → RFM": the rules split the
base into exclusive parent segments, and each parent named under ``within``
is split again by its own method, run on the parent's customers alone (their
features, their transactions, their events). A leaf is called
``parent › child``; its card is profiled against its parent, so its traits
say how it differs from the rest of the parent, and its share is of
everyone. Parents without a method stay whole, profiled against everyone.
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import polars as pl

from segwise.engine.frames import from_lazy, move_to, native_kind, to_lazy
from segwise.exceptions import ConfigError
from segwise.profiling.cards import SegmentationResult, SegmentCard
from segwise.profiling.reference import against
from segwise.project.catalogs import catalog_of
from segwise.project.config import HybridSegmentation
from segwise.project.methods.base import CheckInputs, Method, RunInputs, own_warnings

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from segwise.segmenters import RuleCatalog

#: How a leaf's name joins its parent's and its own.
SEPARATOR = " › "
#: How many leaves a marketer can act on (the guidance the other methods follow).
FEWEST_LEAVES, MOST_LEAVES = 3, 8


def run(name: str, spec: HybridSegmentation, inputs: RunInputs) -> list[SegmentationResult]:
    """Run the rules, then each parent's method on its customers; one result of leaves."""
    from segwise.project.methods import method_for  # noqa: PLC0415 - the registry imports us

    rules = spec.parent()
    _check_parents(name, spec, catalog_of(name, rules, inputs.paths))
    (parent,) = method_for(rules).run(name, rules, inputs)
    total = max(parent.members.height, 1)
    by_parent = {card.segment: card for card in parent.cards}
    members, cards, details, notes = [], [], [], list(parent.warnings)
    reads = set(parent.reads)
    within: dict[str, Any] = {}
    saves = []
    # The parents that hold customers, in the cards' order (a preview runs without cards).
    held = parent.members["segment"].unique(maintain_order=True).to_list()
    ordered = [c.segment for c in parent.cards if c.segment in held]
    ordered += [segment for segment in held if segment not in ordered]
    for segment in ordered:
        card = by_parent.get(segment)
        child_spec = spec.within.get(segment)
        chosen = parent.members.filter(pl.col("segment") == segment)
        if child_spec is None:
            members.append(chosen)
            cards.extend([card] if card is not None else [])
            continue
        child_name = f"{name}.within.{segment}"
        # A clv method also returns its value tiers as a second segmentation: the leaves are
        # its predictive segments (one set of leaves per parent).
        # The child's own warnings ("segment id 3 is unstable") are said of this parent, not
        # of the whole segmentation, where they named no parent.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            child, *_tiers = method_for(child_spec).run(
                child_name, child_spec, _restricted(inputs, chosen)
            )
        child.warnings.extend(t for t in own_warnings(caught) if t not in child.warnings)
        members.append(_leaf_names(child.members, segment))
        placed = child.members["customer_id"].n_unique()
        if placed < chosen.height:
            notes.append(
                f"{chosen.height - placed:,} customers of '{segment}' got no segment from "
                f"its {child_spec.method} method (for RFM and CLV: no purchase before the as-of "
                "date) and are in no segment of this segmentation"
            )
        if card is not None:
            cards.extend(_leaf_cards(child.cards, card, total))
        notes.extend(f"in '{segment}': {note}" for note in child.warnings)
        if child.details is not None:
            details.append(child.details)
        reads |= set(child.reads)
        within[segment] = child.definition
        if child.after_commit is not None:
            saves.append(child.after_commit)
    notes.extend(
        f"'{segment}' has no customers in this run: there was nothing to split"
        for segment in spec.within
        if segment not in held
    )
    together = pl.concat(members).sort("customer_id")
    # Cards may add e.g. RFM's "(not scored)": the guidance counts the segments people are in.
    notes.extend(_leaves_note(together["segment"].n_unique(), spec))
    result = SegmentationResult(
        name,
        "hybrid",
        together,
        _definition(parent.definition, within),
        [replace(c, label=k) for k, c in enumerate(cards)],
        warnings=notes,
        details=pl.concat(details, how="diagonal_relaxed") if details else None,
        reads=tuple(sorted(reads)),
        after_commit=_all(saves) if saves else None,
    )
    return [result]


#: What splits a parent into fewer leaves, by the method that splits it.
_FEWER = {
    "cluster": "lower k_max in {where}",
    "rfm": "use a preset with fewer segments, or rules, in {where}",
    "rules": "merge rules in {where}",
}


def _leaves_note(leaves: int, spec: HybridSegmentation) -> list[str]:
    """The 3–8 guidance on the leaves, with what would bring them into it."""
    if FEWEST_LEAVES <= leaves <= MOST_LEAVES:
        return []
    if leaves > MOST_LEAVES:
        ways = [
            _FEWER[child.method].format(where=f"'{parent}'")
            for parent, child in spec.within.items()
            if child.method in _FEWER
        ]
        advice = "; ".join(["split fewer parents", *ways])
    else:
        advice = "split more parents, or write more rules"
    return [
        f"{leaves} segments in all: campaigns are easiest to run on {FEWEST_LEAVES} to "
        f"{MOST_LEAVES}; {advice}"
    ]


def _definition(parent: dict[str, Any], within: dict[str, Any]) -> dict[str, Any]:
    return {
        "method": "hybrid",
        "separator": SEPARATOR,
        "parent": parent,
        "within": within,
        "profiled_against": "parent",
        "summary": "rules first, then inside "
        + ", ".join(f"'{p}': {d.get('method')}" for p, d in within.items()),
        # Clusters fitted afresh inside a parent have new leaves, not comparable with the
        # last run's (health and the forecast leave them alone, as for a cluster method).
        "refitted": any(d.get("refitted") for d in within.values() if d["method"] == "cluster"),
    }


def _all(actions: list[Callable[[], None]]) -> Callable[[], None]:
    """One action that runs each child's (saving frozen cluster models once the run is stored)."""

    def run_each() -> None:
        for action in actions:
            action()

    return run_each


def _check_parents(name: str, spec: HybridSegmentation, catalog: RuleCatalog) -> None:
    """Every ``within`` key is a parent segment (or the catalog's ``other``)."""
    known = [*(s.name for s in catalog.segments), catalog.other]
    for parent in spec.within:
        if parent not in known:
            raise ConfigError(
                f"segmentations.{name}.within: '{parent}' is not one of the rule segments",
                hint=f"the segments are {', '.join(repr(k) for k in known)}",
            )


def _restricted(inputs: RunInputs, chosen: pl.DataFrame) -> RunInputs:
    """The run's inputs for the customers of one parent segment only, in the run's engine."""
    ids = chosen.select("customer_id")
    tables = {
        key: None if table is None else _only(table, ids) for key, table in inputs.tables.items()
    }
    return replace(
        inputs,
        tables=tables,
        features_native=_only(inputs.features_native, ids),
        features=inputs.features.join(ids, on="customer_id", how="semi"),
    )


def _only(native: Any, ids: pl.DataFrame) -> Any:
    frame = to_lazy(native)
    keep = move_to(to_lazy(ids.lazy()), frame)
    return from_lazy(frame.join(keep, on="customer_id", how="semi"), like=native_kind(native))


def _leaf_names(members: pl.DataFrame, parent: str) -> pl.DataFrame:
    return members.select(
        "customer_id",
        (pl.lit(parent + SEPARATOR) + pl.col("segment").cast(pl.String)).alias("segment"),
    )


def _leaf_cards(cards: Sequence[SegmentCard], parent: SegmentCard, total: int) -> list[SegmentCard]:
    """A child's cards as leaves: named with the parent's rule name, shares of everyone.

    Their traits and lifts stay as the child method found them, against the
    parent's customers; the definition says so, and so does each trait ("the
    average in 'App users'"), where a reader would take "the average" for everyone's.
    """
    out = []
    for card in cards:
        revenue = (
            card.revenue_share * parent.revenue_share
            if card.revenue_share is not None and parent.revenue_share is not None
            else None
        )
        within = f"in '{parent.segment}' ({parent.definition}), compared with the rest of it"
        out.append(
            replace(
                card,
                segment=parent.segment + SEPARATOR + card.segment,
                name=parent.name + SEPARATOR + card.name,
                # The parent's words are its rule's name: its own description (against
                # everyone) beside the leaf's (against the parent) read as a contradiction,
                # "Frequent high-value customers › Slow-repeat lapsed customers".
                auto_name=parent.name + SEPARATOR + card.auto_name,
                definition=f"{within}: {card.definition}" if card.definition else within,
                traits=tuple(against(trait, parent.name) for trait in card.traits),
                share=card.size / total,
                revenue_share=revenue,
            )
        )
    return out


def check(name: str, spec: HybridSegmentation, inputs: CheckInputs) -> None:
    """The rules compile, every ``within`` key is a rule segment, and each child checks."""
    from segwise.project.methods import method_for  # noqa: PLC0415 - the registry imports us

    rules = spec.parent()
    method_for(rules).check(name, rules, inputs)
    _check_parents(name, spec, catalog_of(name, rules, inputs.paths))
    for segment, child in spec.within.items():
        method_for(child).check(f"{name}.within.{segment}", child, inputs)


def outputs(name: str, spec: HybridSegmentation) -> dict[str, str]:
    """The files the methods inside write (a frozen cluster model per parent, say)."""
    from segwise.project.methods import method_for  # noqa: PLC0415 - the registry imports us

    found: dict[str, str] = {}
    for segment, child in spec.within.items():
        found |= method_for(child).outputs(f"{name}.within.{segment}", child)
    return found


METHOD = Method(HybridSegmentation, run, check, outputs)
