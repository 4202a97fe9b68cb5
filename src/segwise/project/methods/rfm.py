"""``method: rfm``: RFM scores and the score map's named segments."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import polars as pl

from segwise.engine.frames import to_lazy
from segwise.features.rfm import rfm_table
from segwise.features.score_map import MANAGEABLE_SEGMENTS, ScoreMap, too_many_segments
from segwise.profiling.amounts import duration
from segwise.profiling.cards import SegmentationResult, cards_from_profiles
from segwise.profiling.traits import NEW_CUSTOMER_DAYS, RECENT_DAYS
from segwise.project.config import RfmSegmentation
from segwise.project.methods.base import CheckInputs, Method, RunInputs
from segwise.project.results import (
    NOT_SCORED,
    UNSCORED_ACTION,
    UNSCORED_RULE,
    as_polars,
    profile_members,
)

if TYPE_CHECKING:
    from segwise.profiling.profiles import SegmentProfiles
    from segwise.project.paths import ProjectPaths


def score_map(spec: RfmSegmentation, paths: ProjectPaths) -> ScoreMap:
    """The segmentation's score map: its own file (``map:``) or a preset."""
    if spec.map:
        return ScoreMap.from_yaml(paths.resolve(spec.map, key="segmentations.map"))
    return ScoreMap.preset(spec.preset)


#: The customer features that are an RFM segment's recency, frequency and monetary value.
RFM_FEATURES = frozenset({"recency_days", "orders", "net_revenue"})


def run(name: str, spec: RfmSegmentation, inputs: RunInputs) -> list[SegmentationResult]:
    """Score every customer and name their segment; profile the segments."""
    chosen = score_map(spec, inputs.paths)
    transactions = inputs.tables["transactions"]
    has_orders = "order_id" in to_lazy(transactions).collect_schema()
    table = as_polars(
        rfm_table(
            transactions,
            monetary_value_col="amount",
            order_id_col="order_id" if has_orders else None,
            as_of=inputs.as_of,
            bins=spec.bins,
            binning=spec.binning,
            segment_map=chosen,
        )
    ).sort("customer_id")
    members = table.select("customer_id", "segment")
    # Every named segment is defined by its recency, frequency and value: those lead its card.
    axes = dict.fromkeys(members["segment"].unique().to_list(), RFM_FEATURES)
    profiles = profile_members(
        inputs.features, members, defining=axes, currency=inputs.currency, value=inputs.value
    )
    described = chosen.describe()
    made = cards_from_profiles(
        profiles,
        lambda p: (
            described.get(p.segment, {}).get("description")
            or (UNSCORED_RULE if p.segment == NOT_SCORED else None)
        ),
        lambda p: (
            described.get(p.segment, {}).get("action")
            or (UNSCORED_ACTION if p.segment == NOT_SCORED else None)
        ),
    )
    notes = []
    if len(chosen.segments) > MANAGEABLE_SEGMENTS:
        notes.append(too_many_segments(len(chosen.segments)))
    notes += misread(profiles, {k: v.get("description") for k, v in described.items()})
    definition = {"method": "rfm", **spec.model_dump(), "map": chosen.name}
    return [
        SegmentationResult(
            name,
            "rfm",
            members,
            definition,
            made,
            warnings=notes,
            rfm_table=table,
            bins=spec.bins,
            details=table.select(
                "customer_id",
                "r_score",
                "f_score",
                "m_score",
                "recency_days",
                "frequency",
                "monetary",
            ),
        )
    ]


#: A typical first order this long ago is not new by any reading (twice what a card's "new"
#: needs): the score map's "New Customers" gets a note. Four months, on the bundled sample
#: retailer whose customers buy twice a year, does not.
NOT_NEW_DAYS = 2 * NEW_CUSTOMER_DAYS
#: The same for a description that says "recent": a last order over six months ago (CDNOW's
#: Potential Loyalists at the end of 1997: 194 days). The sample retailer's New Customers,
#: who last bought 4 months ago in a base that buys twice a year, get no note.
NOT_RECENT_DAYS = 2 * RECENT_DAYS


def misread(profiles: SegmentProfiles, descriptions: dict[str, str | None]) -> list[str]:
    """A note for each segment whose score-map name or description its customers belie.

    Scores rank customers within the run. In a closed cohort (CDNOW's, whose customers
    all joined in the first quarter of 1997) the best recency with one order went to
    people who first bought 9 months before ("New Customers ... customer for 9 months"),
    and "Potential Loyalists: Recent customers with a few purchases" had last bought 6
    months before. A segment named new whose typical member joined over six months ago
    gets the first note; else one described as recent ("not always the most recent"
    claims nothing) whose typical member last bought over six months ago gets the second.
    """
    notes = []
    for profile in profiles.segments:
        tenure, recency = (_median(profile, f) for f in ("tenure_days", "recency_days"))
        text = descriptions.get(profile.segment) or ""
        recent = re.search(r"\brecent(ly)?\b", text, re.IGNORECASE) and not re.search(
            r"\bnot\b[^.;]*\brecent", text, re.IGNORECASE
        )
        if re.search(r"\bnew\b", profile.segment, re.IGNORECASE) and tenure > NOT_NEW_DAYS:
            notes.append(
                f"{profile.segment}: its typical customer first bought {duration(tenure)} "
                "ago; the score map names scores, which rank customers within this run, and "
                "here its scores went to customers who are not new (a closed cohort, or a quiet "
                "stretch with few first orders): read the card, not the name"
            )
        elif recent and recency > NOT_RECENT_DAYS:
            notes.append(
                f"{profile.segment}: the score map describes its customers as recent, but the "
                f"typical one last bought {duration(recency)} ago; recency scores rank "
                "customers within this run, and here the best went to customers whose last "
                "order was months ago: read the card, not the description"
            )
    return notes


def _median(profile: Any, feature: str) -> float:
    """The segment's median of ``feature``; 0 when it has none (no claim can be belied)."""
    found = profile.numeric.filter(pl.col("feature") == feature)["median"]
    return float(found[0]) if found.len() and found[0] is not None else 0.0


def check(name: str, spec: RfmSegmentation, inputs: CheckInputs) -> None:
    """The score map loads (its file exists and parses, or the preset exists)."""
    score_map(spec, inputs.paths)


METHOD = Method(RfmSegmentation, run, check)
