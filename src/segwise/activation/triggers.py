"""Triggers: an event for each customer who entered or left a segment, where campaigns start.

A project's ``triggers:`` name segments and the destination (a webhook or a
file destination) that receives an event when a customer enters one
(``on_enter``) and when one leaves (``on_exit``)::

    triggers:
      welcome_vip: {segments: [lifecycle/VIP], on_enter: campaign_hook, on_exit: crm_files}

Each event carries the segment, the run, the previous run, the as-of date
and the reason for the move (the store's history). The destination's consent
and suppression apply; its minimum audience size does not (an event is about
one customer, not an audience).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from segwise.activation.destinations import qualified_segments
from segwise.activation.sync import people_for

if TYPE_CHECKING:
    from collections.abc import Sequence

    from segwise.activation.destinations import Destination

#: The columns of a trigger's events, before the destination's identifiers.
EVENT_COLUMNS = ("event", "segmentation", "segment", "customer_id", "reason")


class Trigger(BaseModel):
    """Segments to watch, and where entering and leaving customers are sent."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    segments: list[str] = Field(min_length=1)
    on_enter: str | None = None
    on_exit: str | None = None

    @field_validator("segments")
    @classmethod
    def _qualified(cls, value: list[str]) -> list[str]:
        return qualified_segments(value)

    @model_validator(mode="after")
    def _somewhere(self) -> Trigger:
        if self.on_enter is None and self.on_exit is None:
            raise ValueError("name a destination in on_enter, on_exit or both")
        return self

    def destinations(self) -> list[str]:
        """The destinations this trigger sends to, each once."""
        return list(dict.fromkeys(d for d in (self.on_enter, self.on_exit) if d))


def watched(patterns: Sequence[str]) -> pl.Expr:
    """True for rows whose ``segmentation, segment`` one of ``patterns`` names.

    Examples
    --------
    >>> frame = pl.DataFrame({"segmentation": ["a", "a", "b"], "segment": ["x", "y", "x"]})
    >>> frame.filter(watched(["a/x", "b/*"])).rows()
    [('a', 'x'), ('b', 'x')]
    """
    found = pl.lit(value=False)
    for pattern in patterns:
        segmentation, _, segment = pattern.partition("/")
        this = pl.col("segmentation") == segmentation
        if segment != "*":
            this &= pl.col("segment") == segment
        found |= this
    return found


def trigger_events(
    trigger: Trigger, destination: str, movers: pl.DataFrame, reasons: pl.DataFrame
) -> pl.DataFrame:
    """The events ``trigger`` sends to ``destination`` for one run's ``movers``.

    ``movers``: ``segmentation, segment, customer_id, change`` (``entered`` or
    ``exited``, :meth:`segwise.store.Workspace.changes`); ``reasons``:
    ``segmentation, customer_id, reason``. Ordered by segment, event, customer.
    """
    wanted = [
        change
        for change, target in (("entered", trigger.on_enter), ("exited", trigger.on_exit))
        if target == destination
    ]
    found = movers.filter(watched(trigger.segments) & pl.col("change").is_in(wanted))
    found = found.with_columns(
        pl.col("customer_id").cast(pl.String),
        pl.col("change").replace_strict({"entered": "enter", "exited": "exit"}).alias("event"),
    ).join(reasons, on=["segmentation", "customer_id"], how="left")
    return found.select(EVENT_COLUMNS).sort("segmentation", "segment", "event", "customer_id")


def governed_events(
    events: pl.DataFrame, spec: Destination, contacts: pl.DataFrame, suppressed: Sequence[str]
) -> tuple[pl.DataFrame, int]:
    """``events`` the destination may receive, with its identifiers; and how many may not.

    Customers without valid consent (when the destination names a consent column)
    or on its suppression list get no event.
    """
    people = people_for(spec, contacts, suppressed)
    joined = events.join(people, on="customer_id", how="left").with_columns(
        pl.col("__ok").fill_null(spec.consent_column is None),
        pl.col("__suppressed").fill_null(value=False),
    )
    allowed = joined.filter(pl.col("__ok") & ~pl.col("__suppressed"))
    return allowed.select(*EVENT_COLUMNS, *spec.identifiers), joined.height - allowed.height
