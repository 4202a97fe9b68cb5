"""Sync plans: adds and removes per mode, governance at the edge, replayed by a receiver."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from segwise.activation import hash_identifier
from segwise.activation.destinations import Destination
from segwise.activation.sync import SyncPlan, plan_sync
from segwise.store.sync import STATE

DESTINATION: TypeAdapter[Any] = TypeAdapter(Destination)


def spec(**given: Any) -> Any:
    base = {"type": "file", "path": "out", "segments": ["life/*"], "min_size": 0}
    if given.get("type") == "webhook":
        del base["path"]
    return DESTINATION.validate_python({**base, **given})


def members(pairs: dict[str, list[str]]) -> pl.DataFrame:
    rows = [("life", segment, c) for segment, ids in pairs.items() for c in ids]
    schema = {"segmentation": pl.String, "segment": pl.String, "customer_id": pl.String}
    return pl.DataFrame(rows, schema=schema, orient="row")


CONTACTS = pl.DataFrame(
    {
        "customer_id": [str(i) for i in range(1, 9)],
        "email": [f"c{i}@example.com" for i in range(1, 8)] + [None],
        "consent": ["true", "true", "false", "true", "granted", "revoked", "yes", "true"],
    }
)


def plan(
    destination: Any,
    current: pl.DataFrame,
    sent: pl.DataFrame | None = None,
    suppressed: tuple[str, ...] = (),
    contacts: pl.DataFrame = CONTACTS,
) -> SyncPlan:
    return plan_sync(
        "crm",
        destination,
        run_id=1,
        members=current,
        contacts=contacts,
        suppressed=suppressed,
        sent=pl.DataFrame(schema=STATE) if sent is None else sent,
    )


def applied(state: pl.DataFrame, found: SyncPlan) -> pl.DataFrame:
    """The state after a delivery, as the store's commit applies it."""
    keys = ["segmentation", "segment", "customer_id"]
    if found.mode == "snapshot":
        return found.adds.select(list(STATE))
    kept = state.join(found.removes, on=keys, how="anti").join(found.adds, on=keys, how="anti")
    return pl.concat([kept, found.adds.select(list(STATE))])


def ids(frame: pl.DataFrame) -> set[tuple[str, str]]:
    return set(frame.select("segment", "customer_id").iter_rows())


def test_mirror_adds_then_removes_exactly_what_changed() -> None:
    first = plan(spec(), members({"VIP": ["1", "2"], "Lapsed": ["3"]}))
    assert ids(first.adds) == {("VIP", "1"), ("VIP", "2"), ("Lapsed", "3")}
    assert first.removes.height == 0
    state = applied(pl.DataFrame(schema=STATE), first)
    second = plan(spec(), members({"VIP": ["1", "4"], "Lapsed": ["2", "3"]}), state)
    assert ids(second.adds) == {("VIP", "4"), ("Lapsed", "2")}
    assert ids(second.removes) == {("VIP", "2")}
    assert plan(spec(), members({"VIP": ["1"]}), applied(state, second)).delivery_id != (
        second.delivery_id
    )


def test_upsert_never_removes_leavers_and_snapshot_sends_everyone() -> None:
    state = applied(pl.DataFrame(schema=STATE), plan(spec(), members({"VIP": ["1", "2"]})))
    upsert = plan(spec(mode="upsert"), members({"VIP": ["1", "4"]}), state)
    assert ids(upsert.adds) == {("VIP", "4")} and upsert.removes.height == 0
    snapshot = plan(spec(mode="snapshot"), members({"VIP": ["1", "4"]}), state)
    assert ids(snapshot.adds) == {("VIP", "1"), ("VIP", "4")} and snapshot.removes.height == 0


@pytest.mark.parametrize("mode", ["mirror", "upsert", "snapshot"])
def test_revoked_consent_and_suppression_remove_in_every_mode(mode: str) -> None:
    destination = spec(mode=mode, consent="consent", identifiers=["email"])
    state = applied(pl.DataFrame(schema=STATE), plan(destination, members({"VIP": ["1", "2"]})))
    revoked = CONTACTS.with_columns(
        pl.when(pl.col("customer_id") == "1").then(pl.lit("revoked")).otherwise("consent")
        .alias("consent")
    )  # fmt: skip
    found = plan(destination, members({"VIP": ["1", "2", "4"]}), state, ("2",), revoked)
    assert ids(found.adds) == {("VIP", "4")}
    after = applied(state, found)
    assert ids(after) == {("VIP", "4")}  # what the receiver holds
    if mode != "snapshot":
        assert ids(found.removes) == {("VIP", "1"), ("VIP", "2")}
        assert found.removes["email"].to_list() == ["c1@example.com", "c2@example.com"]
    segment = found.segments[0]
    assert (segment.members, segment.audience, segment.not_consented, segment.suppressed) == (
        3, 1, 1, 1,
    )  # fmt: skip


def test_customers_without_consent_are_never_sent() -> None:
    found = plan(spec(consent="consent"), members({"VIP": ["1", "3", "6", "7", "99"]}))
    # 3 said false, 6 revoked, 99 is not in the customers source at all.
    assert ids(found.adds) == {("VIP", "1"), ("VIP", "7")}
    assert found.segments[0].not_consented == 3


def test_a_segment_under_the_minimum_sends_nothing_new_and_says_why() -> None:
    destination = spec(min_size=3)
    state = applied(pl.DataFrame(schema=STATE), plan(spec(), members({"VIP": ["1", "2"]})))
    found = plan(destination, members({"VIP": ["1"], "Lapsed": ["3", "4", "5"]}), state)
    assert ids(found.adds) == {("Lapsed", "3"), ("Lapsed", "4"), ("Lapsed", "5")}
    assert found.removes.height == 0  # VIP is left as it was, not emptied
    vip = next(s for s in found.segments if s.segment == "VIP")
    assert vip.skipped == "1 members to send, under the minimum of 3"


def test_a_changed_identifier_is_a_remove_and_an_add() -> None:
    destination = spec(identifiers=["customer_id", "email"])  # the id goes to files anyway
    assert destination.identifiers == ["email"]
    state = applied(pl.DataFrame(schema=STATE), plan(destination, members({"VIP": ["1"]})))
    moved = CONTACTS.with_columns(
        pl.when(pl.col("customer_id") == "1").then(pl.lit("new@example.com")).otherwise("email")
        .alias("email")
    )  # fmt: skip
    found = plan(destination, members({"VIP": ["1"]}), state, contacts=moved)
    assert found.adds["email"].to_list() == ["new@example.com"]
    assert ids(found.removes) == {("VIP", "1")}
    assert applied(state, found).height == 1
    assert "c1@example.com" not in str(state["fingerprint"].to_list())  # the store keeps hashes


def test_ad_platforms_get_hashes_and_removes_carry_the_hashes_sent() -> None:
    destination = spec(type="google_customer_match", identifiers=["email"])
    first = plan(destination, members({"VIP": ["1", "8"]}))
    assert first.adds["email"].to_list() == [hash_identifier("c1@example.com", "email", "google")]
    assert first.segments[0].no_identifier == 1  # customer 8 has no email
    state = applied(pl.DataFrame(schema=STATE), first)
    found = plan(destination, members({"VIP": []}), state)
    assert found.removes["email"].to_list() == first.adds["email"].to_list()


def test_the_same_changes_give_the_same_delivery_id() -> None:
    current = members({"VIP": ["1", "2"], "Lapsed": ["3"]})
    assert plan(spec(), current).delivery_id == plan(spec(), current.reverse()).delivery_id


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.dictionaries(
            st.sampled_from(["VIP", "Lapsed", "New"]),
            st.lists(st.sampled_from([str(i) for i in range(1, 9)]), unique=True, max_size=6),
        ),
        min_size=1,
        max_size=5,
    ),
    st.sampled_from(["mirror", "snapshot"]),
)
def test_a_receiver_replaying_every_delivery_holds_the_eligible_audience(
    runs: list[dict[str, list[str]]], mode: str
) -> None:
    destination = spec(mode=mode, consent="consent", identifiers=["email"])
    state = pl.DataFrame(schema=STATE)
    receiver: set[tuple[str, str]] = set()
    for run in runs:
        found = plan(destination, members(run), state)
        if mode == "snapshot":
            receiver = ids(found.adds)
        else:
            receiver = (receiver - ids(found.removes)) | ids(found.adds)
        state = applied(state, found)
    consented = {"1", "2", "4", "5", "7", "8"}
    expected = {(s, c) for s, people in runs[-1].items() for c in people if c in consented}
    assert receiver == expected


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"segments": ["VIP"]}, "write segmentation/segment"),
        ({"type": "meta_custom_audience"}, "name the email and phone columns"),
        ({"type": "meta_custom_audience", "identifiers": ["age"]}, "'age' is not an email"),
        ({"mode": "sometimes"}, "mirror"),
        ({"type": "sms"}, "does not match any of the expected tags"),
        ({"type": "meta_custom_audience", "identifiers": ["email", "zip"]}, "Meta takes every"),
        ({"type": "google_customer_match", "identifiers": ["email", "first_name"]}, "postal code"),
        ({"type": "webhook", "url": "ftp://x", "secret_env": "S"}, "http:// or https://"),
        ({"type": "webhook", "url": "http://x", "secret_env": "not a name"}, "secret_env"),
        ({"type": "webhook", "url": "http://x", "secret_env": "S", "batch_size": 0}, "batch_size"),
    ],
    ids=[
        "unqualified-segment",
        "meta-no-identifiers",
        "meta-not-identifier",
        "mode",
        "type",
        "meta-zip",
        "google-names-alone",
        "webhook-url",
        "webhook-secret-env",
        "webhook-batch-size",
    ],
)
def test_bad_destinations_are_refused(given: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        spec(**given)


def test_dated_consent_counts_from_its_date_until_it_expires() -> None:
    contacts = pl.DataFrame(
        {
            "customer_id": ["1", "2", "3", "4", "5"],
            "email": [f"c{i}@example.com" for i in range(1, 6)],
            "consent": ["granted"] * 4 + ["revoked"],
            "given": ["2024-01-01", "2024-09-01 08:00:00", None, "2024-01-01", "2024-01-01"],
            "ends": [None, None, None, "2024-03-01", None],
        }
    )
    dated = spec(consent="consent", consent_date="given", consent_expires="ends")
    current = members({"VIP": ["1", "2", "3", "4", "5"]})

    def on(day: dt.date, sent: pl.DataFrame | None = None) -> SyncPlan:
        return plan_sync("crm", dated, run_id=1, members=current, contacts=contacts,
                         suppressed=(), on=day,
                         sent=pl.DataFrame(schema=STATE) if sent is None else sent)  # fmt: skip

    # Before the expiry only 1 and 4 hold consent (2's is dated later, 3's has no date).
    early = on(dt.date(2024, 2, 1))
    assert ids(early.adds) == {("VIP", "1"), ("VIP", "4")}
    assert early.segments[0].not_consented == 3
    # Later 2's consent has started and 4's has expired: 4 is removed, 2 added.
    later = on(dt.date(2024, 10, 1), applied(pl.DataFrame(schema=STATE), early))
    assert ids(later.adds) == {("VIP", "2")}
    assert ids(later.removes) == {("VIP", "4")}
    with pytest.raises(ValueError, match="consent_date and consent_expires date a consent"):
        spec(consent_date="given")
