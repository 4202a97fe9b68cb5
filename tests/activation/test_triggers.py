"""Trigger events from movers: which destination gets which move, with consent applied."""

from __future__ import annotations

import polars as pl
import pytest
from pydantic import TypeAdapter, ValidationError

from segwise.activation.destinations import Destination
from segwise.activation.triggers import Trigger, governed_events, trigger_events

MOVERS = pl.DataFrame(
    [
        ("life", "VIP", "1", "entered"),
        ("life", "VIP", "2", "exited"),
        ("life", "New", "2", "entered"),
        ("value", "Champions", "3", "entered"),
    ],
    schema=["segmentation", "segment", "customer_id", "change"],
    orient="row",
)
REASONS = pl.DataFrame(
    {"segmentation": ["life", "life"], "customer_id": ["1", "2"], "reason": ["up", "down"]}
)


def test_entries_and_exits_go_where_the_trigger_says() -> None:
    trigger = Trigger(segments=["life/VIP", "value/*"], on_enter="hook", on_exit="files")
    enters = trigger_events(trigger, "hook", MOVERS, REASONS)
    assert enters.rows() == [
        ("enter", "life", "VIP", "1", "up"),
        ("enter", "value", "Champions", "3", None),
    ]
    exits = trigger_events(trigger, "files", MOVERS, REASONS)
    assert exits.rows() == [("exit", "life", "VIP", "2", "down")]
    both = Trigger(segments=["life/*"], on_enter="hook", on_exit="hook")
    assert trigger_events(both, "hook", MOVERS, REASONS)["customer_id"].to_list() == ["2", "1", "2"]
    assert trigger.destinations() == ["hook", "files"]


def test_consent_and_suppression_hold_back_events() -> None:
    spec = TypeAdapter(Destination).validate_python(
        {"type": "file", "path": "out", "segments": ["life/*"], "identifiers": ["email"],
         "consent": "ok"}
    )  # fmt: skip
    trigger = Trigger(segments=["life/*"], on_enter="files")
    events = trigger_events(trigger, "files", MOVERS, REASONS)
    contacts = pl.DataFrame(
        {"customer_id": ["1", "2"], "email": ["a@x.org", "b@x.org"], "ok": ["yes", "granted"]}
    )
    allowed, left_out = governed_events(events, spec, contacts, suppressed=["2"])
    assert allowed.rows() == [("enter", "life", "VIP", "1", "up", "a@x.org")]
    assert left_out == 1
    unknown = contacts.filter(pl.col("customer_id") == "2")  # customer 1 not in the source
    assert governed_events(events, spec, unknown, suppressed=[])[1] == 1


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"segments": ["life/VIP"]}, "on_enter, on_exit or both"),
        ({"segments": ["VIP"], "on_enter": "hook"}, "write segmentation/segment"),
        ({"segments": [], "on_enter": "hook"}, "at least 1"),
    ],
    ids=["nowhere", "unqualified", "no-segments"],
)
def test_bad_triggers_are_refused(given: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Trigger.model_validate(given)
