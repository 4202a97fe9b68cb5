"""Every segmentation of a run, in the file's order, each one's notes kept with its result.

A warning raised while a segmentation runs (collapsed RFM bins, an unstable
cluster, a tiny segment) is a note on that segmentation: shown on its card and
stored with the run, never swallowed. Other libraries' warnings go on as
warnings.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import polars as pl

from segwise.privacy.small_groups import withheld_note
from segwise.profiling.vocabulary import counting
from segwise.project.consents import (
    PROFILING_METHODS,
    excluded_note,
    kept_in_counts,
    restricted,
)
from segwise.project.methods import RunInputs, method_for
from segwise.project.methods.base import own_warnings

if TYPE_CHECKING:
    from collections.abc import Callable

    from segwise.profiling.cards import SegmentationResult
    from segwise.project.config import ProjectConfig


def run_segmentations(
    config: ProjectConfig, inputs: RunInputs, step: Callable[[str], None]
) -> list[SegmentationResult]:
    """Run each configured segmentation through its method; return every result."""
    results: list[SegmentationResult] = []
    for name, spec in config.segmentations.items():
        of = ", accounts" if spec.level == "account" else ""
        step(f"Segmentation '{name}' ({spec.method}{of})")
        level = inputs.at(spec.level)
        # A lookalike's seed may be one of them: only those that segment the same units.
        earlier = {r.name: r.members for r in results if r.level == spec.level}
        unconsented = level.unconsented if spec.method in PROFILING_METHODS else None
        given = replace(level, earlier=earlier)
        if unconsented and config.privacy.profiling == "exclude":
            given = restricted(given, unconsented)
        with warnings.catch_warnings(record=True) as caught, counting(spec.level):
            warnings.simplefilter("always")
            produced = method_for(spec).run(name, spec, given)
        if unconsented and config.privacy.profiling == "exclude":
            produced[0].warnings.append(excluded_note(len(unconsented), level.as_of))
        keep_notes(produced[0], caught, level=spec.level)
        if unconsented and config.privacy.profiling == "aggregate":
            produced = [kept_in_counts(r, unconsented, level.as_of) for r in produced]
        for result in produced:  # stored definitions of customer segmentations stay as they were
            _drop_customer_level(result.definition)
        if spec.level == "account":
            produced = [of_accounts(result, level.contacts) for result in produced]
        for result in produced:
            _note_withheld(result, config.privacy.k_min)
        results.extend(produced)
    return results


def of_accounts(result: SegmentationResult, contacts: pl.DataFrame | None) -> SegmentationResult:
    """Mark an account-level result as such; each card counts the contacts its accounts hold."""
    result.definition["level"] = "account"
    if contacts is None:
        return replace(result, level="account")
    per_segment = (
        result.members.select(pl.col("customer_id").cast(pl.String).alias("account_id"), "segment")
        .join(contacts, on="account_id", how="inner")
        .group_by("segment")
        .agg(pl.col("customer_id").n_unique().alias("contacts"))
    )
    held = dict(
        zip(per_segment["segment"].to_list(), per_segment["contacts"].to_list(), strict=True)
    )
    cards = [replace(card, contacts=int(held.get(card.name, 0))) for card in result.cards]
    return replace(result, level="account", cards=cards)


def keep_notes(
    result: SegmentationResult, caught: list[warnings.WarningMessage], *, level: str = "customer"
) -> None:
    """Keep segwise's warnings from a segmentation as notes on its result.

    The segmenters say "customers" of their rows; at account level the rows are accounts.
    """
    notes = result.warnings
    for text in own_warnings(caught):
        if not any(text in note for note in notes):
            notes.append(text)
    if level != "customer":
        notes[:] = [re.sub(r"\bcustomers\b", f"{level}s", n) for n in notes]
    result.definition["warnings"] = list(notes)


def _note_withheld(result: SegmentationResult, k_min: int) -> None:
    """Say so where the segments too small to show hold much of the base."""
    unit = "accounts" if result.level == "account" else "customers"
    note = withheld_note({card.name: card.size for card in result.cards}, k_min, unit)
    if note is not None and note not in result.warnings:
        result.warnings.append(note)
        result.definition["warnings"] = list(result.warnings)


def _drop_customer_level(definition: dict[str, Any]) -> None:
    """Remove ``level: customer`` (the default) from a definition and its hybrid parts.

    Definitions stored before levels existed hash the same, so upgrading
    segwise does not show every segmentation as redefined.
    """
    nested = [definition.get("parent"), *dict(definition.get("within") or {}).values()]
    for part in [definition, *nested]:
        if isinstance(part, dict) and part.get("level") == "customer":
            del part["level"]
