"""Helpers the project's methods share: playbooks, members' profiles, Polars frames.

``SegmentationResult``, ``SegmentCard`` and ``cards_from_profiles`` live in
:mod:`segwise.profiling.cards`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl

from segwise.engine.frames import collect_polars, to_lazy
from segwise.profiling.cards import SegmentationResult

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping

    from segwise.profiling.profiles import SegmentProfiles

#: The segment of customers a method could not score (no purchase before the as-of date).
NOT_SCORED = "(not scored)"
#: Why a customer of the features has no score or prediction, and what to do about them.
UNSCORED_RULE = (
    "no purchase worth more than 0 by the as-of date (no orders, only returns or free "
    "orders, or orders quarantined as unreadable): nothing to score or predict from"
)
UNSCORED_ACTION = (
    # Mostly sign-ups of a CRM table who never bought; a data check only if they should have.
    "Convert: a first-purchase offer, a welcome incentive and the bestsellers. If they should "
    "have orders, check those first (segwise quality lists the quarantined rows): without a "
    "purchase they are left out of scores and predictions."
)


def playbook_text(segment: Any) -> str | None:
    """A rule segment's playbook on one line (the card's action), or None."""
    if segment is None or segment.playbook is None:
        return None
    action: str | None = segment.playbook.action()
    return action


def playbook_lines(segment: Any) -> tuple[str, ...]:
    """A playbook as "key: value" lines, for the report's list; empty when there is none."""
    if segment is None or segment.playbook is None:
        return ()
    return tuple(segment.playbook.lines())


def as_polars(frame: Any) -> pl.DataFrame:
    """Any frame as an eager Polars frame (the report and the store read Polars)."""
    if isinstance(frame, pl.DataFrame):
        return frame
    return collect_polars(to_lazy(frame))


def profile_members(
    features: pl.DataFrame,
    members: pl.DataFrame,
    exclude: tuple[str, ...] = (),
    *,
    defining: Mapping[str, Collection[str]] | None = None,
    currency: str | None = None,
    value: str | None = None,
) -> SegmentProfiles:
    """Profile a segmentation's members against every customer of the features table.

    ``defining``: per segment, the features its definition reads (they lead its card);
    ``currency``: the project's, for the amounts in the traits (as on every card);
    ``value``: the column a segment's value is (None: the first of the usual names).
    """
    from segwise.profiling import profile_segments  # noqa: PLC0415 - sklearn loads on use

    joined = features.join(members.unique("customer_id"), on="customer_id", how="left")
    labels = joined["segment"].fill_null(NOT_SCORED).to_numpy()
    table = joined.drop("segment")
    return profile_segments(
        table,
        labels,
        exclude=["customer_id", *exclude],
        definitions=True,
        defining=defining,
        currency=currency,
        value_col=value or "auto",
    )


__all__ = [
    "NOT_SCORED",
    "UNSCORED_ACTION",
    "UNSCORED_RULE",
    "SegmentationResult",
    "as_polars",
    "playbook_lines",
    "playbook_text",
    "profile_members",
]
