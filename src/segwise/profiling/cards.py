"""Typed segmentation results: one ``SegmentCard`` per segment, one ``SegmentationResult`` each.

The report, the store, the CLI's ``--json`` and, later, the API all read these
types, so renaming a field is a type error everywhere it is used, not a page
that silently renders wrong.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    import polars as pl

    from segwise.profiling.profiles import SegmentProfile, SegmentProfiles


@dataclass(frozen=True)
class SegmentCard:
    """One segment as its card shows it.

    ``label`` is the segment's number within its segmentation (a cluster's
    segment id; -1 for the outliers); ``name`` is what the project calls it
    and ``auto_name`` what the data would call it. ``lift`` is each numeric
    feature's mean over the population's. ``segment_id`` and ``stability``
    are set for clusters, ``playbook`` where a project wrote one.
    """

    segment: str
    label: int
    name: str
    auto_name: str
    definition: str | None
    size: int
    share: float
    revenue_share: float | None
    value_mean: float | None
    traits: tuple[str, ...]
    action: str | None
    rule: str | None
    lift: Mapping[str, float | None] = field(default_factory=dict)
    segment_id: int | None = None
    stability: float | None = None
    playbook: tuple[str, ...] = ()
    #: For a segment of accounts: the contacts its accounts hold.
    contacts: int | None = None
    #: For a predictive (CLV) segment: mean predicted revenue per customer over the next
    #: N days, N as text (``"30"``); ``segwise kpis`` sets what was realised against it.
    predicted_revenue: Mapping[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (lists for tuples)."""
        out = asdict(self)
        out["traits"] = list(self.traits)
        out["playbook"] = list(self.playbook)
        out["lift"] = dict(self.lift)
        if self.contacts is None:  # only segments of accounts count contacts
            del out["contacts"]
        if self.predicted_revenue:  # only predictive segments predict
            out["predicted_revenue"] = dict(self.predicted_revenue)
        else:
            del out["predicted_revenue"]
        return out


@dataclass(frozen=True)
class SegmentationResult:
    """One segmentation of a run: memberships, its stored definition and its cards.

    Method-specific results are typed fields: the RFM score table and bins
    (for the grid chart), the CLV backtest section, ``after_commit``, work
    to do once the run is stored (a cluster model fitted in the run is saved
    then), and what the segments were decided from (``details``, ``reads``).
    ``warnings`` are the notes shown on the report and stored with the run.
    """

    name: str
    method: str
    members: pl.DataFrame
    definition: dict[str, Any]
    cards: list[SegmentCard]
    warnings: list[str] = field(default_factory=list)
    rfm_table: pl.DataFrame | None = None
    bins: int | None = None
    backtest: dict[str, Any] | None = None
    after_commit: Callable[[], None] | None = field(default=None, compare=False)
    #: Per customer, the values the segment was decided from (RFM scores, predicted value):
    #: the store keeps them for customers who move, so their history can say why.
    details: pl.DataFrame | None = field(default=None, compare=False)
    #: The customer-table columns the segments are decided from (kept for movers too).
    reads: tuple[str, ...] = ()
    #: ``customer``, or ``account`` when the members are accounts (B2B).
    level: str = "customer"


def card_from_profile(
    profile: SegmentProfile,
    *,
    definition: str | None,
    action: str | None,
    auto_named: bool = False,
) -> SegmentCard:
    """A card from a segment's profile; ``auto_named`` shows the profile's name, not the segment."""
    lift = (
        {row["feature"]: row["lift"] for row in profile.numeric.iter_rows(named=True)}
        if profile.numeric.height
        else {}
    )
    return SegmentCard(
        segment=profile.segment,
        label=profile.label,
        name=profile.name if auto_named else profile.segment,
        auto_name=profile.name,
        definition=definition,
        size=profile.size,
        share=profile.share,
        revenue_share=profile.revenue_share,
        value_mean=profile.value_mean,
        traits=tuple(profile.traits),
        action=action,
        rule=profile.rule,
        lift=lift,
    )


def cards_from_profiles(
    profiles: SegmentProfiles,
    definition: Callable[[Any], str | None],
    action: Callable[[Any], str | None],
    *,
    auto_names: bool = False,
) -> list[SegmentCard]:
    """One card per segment, largest first."""
    made = [
        card_from_profile(p, definition=definition(p), action=action(p), auto_named=auto_names)
        for p in profiles.segments
    ]
    return sorted(made, key=lambda c: -c.size)
