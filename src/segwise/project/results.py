"""What a segmentation produces in a run, and the segment cards built from profiles."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl

from segwise.engine.frames import to_lazy

if TYPE_CHECKING:
    from collections.abc import Callable

    from segwise.profiling.profiles import SegmentProfiles

#: The segment of customers a method could not score (no purchase before the as-of date).
NOT_SCORED = "(not scored)"


@dataclass
class SegmentationResult:
    """One segmentation's outcome: memberships, profiles, cards and report extras."""

    name: str
    method: str
    members: pl.DataFrame
    definition: dict[str, Any]
    cards: list[dict[str, Any]]
    extras: dict[str, Any] = field(default_factory=dict)


def cards(
    profiles: SegmentProfiles,
    definition: Callable[[Any], str | None],
    action: Callable[[Any], str | None],
    *,
    auto_names: bool = False,
) -> list[dict[str, Any]]:
    """One card per segment (largest first): name, definition, size, value, traits, action."""
    cards = []
    for p in profiles.segments:
        cards.append(
            {
                "segment": p.segment,
                "label": p.label,
                "name": p.name if auto_names else p.segment,
                "auto_name": p.name,
                "definition": definition(p),
                "size": p.size,
                "share": p.share,
                "revenue_share": p.revenue_share,
                "value_mean": p.value_mean,
                "traits": p.traits,
                "action": action(p),
                "rule": p.rule,
                "lift": {row["feature"]: row["lift"] for row in p.numeric.iter_rows(named=True)}
                if p.numeric.height
                else {},
            }
        )
    return sorted(cards, key=lambda c: -c["size"])


def playbook_text(segment: Any) -> str | None:
    """A rule segment's playbook on one line (the card's action), or None."""
    lines = playbook_lines(segment)
    return "; ".join(lines) or None


def playbook_lines(segment: Any) -> list[str]:
    """A playbook as "key: value" lines, for the report's list; empty when there is none."""
    if segment is None or segment.playbook is None:
        return []
    return list(segment.playbook.lines())


def as_polars(frame: Any) -> pl.DataFrame:
    """Any frame as an eager Polars frame (the report and the store read Polars)."""
    if isinstance(frame, pl.DataFrame):
        return frame
    return pl.DataFrame(to_lazy(frame).collect(backend="polars").to_native())


def profile_members(
    features: pl.DataFrame, members: pl.DataFrame, exclude: tuple[str, ...] = ()
) -> SegmentProfiles:
    """Profile a segmentation's members against every customer of the features table."""
    from segwise.profiling import profile_segments  # noqa: PLC0415 - sklearn loads on use

    joined = features.join(members.unique("customer_id"), on="customer_id", how="left")
    labels = joined["segment"].fill_null(NOT_SCORED).to_numpy()
    table = joined.drop("segment")
    return profile_segments(table, labels, exclude=["customer_id", *exclude], definitions=True)
