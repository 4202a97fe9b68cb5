"""Memberships as intervals: every run reads back exactly, and the store grows with changes."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import random
from typing import TYPE_CHECKING

import duckdb
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from segwise.cli.app import app
from segwise.exceptions import ConfigError
from segwise.store import RunRecord, SegmentationRecord, Workspace, intervals
from tests.store.v1 import write_v1_run

if TYPE_CHECKING:
    from pathlib import Path

runner = CliRunner()
FIRST = dt.date(2024, 1, 31)


def _record(day: dt.date, segmentations: dict[str, pl.DataFrame]) -> RunRecord:
    return RunRecord(
        "shop",
        day,
        "hash",
        "name: shop",
        "0",
        "polars",
        max((m.height for m in segmentations.values()), default=0),
        dt.datetime.combine(day, dt.time(6)),
        [SegmentationRecord(name, "rules", {}, [], m) for name, m in segmentations.items()],
    )


def _members(pairs: list[tuple[str, str]]) -> pl.DataFrame:
    return pl.DataFrame(pairs, schema=["customer_id", "segment"], orient="row")


def _as_set(frame: pl.DataFrame, name: str) -> set[tuple[str, str, str]]:
    return {(name, c, s) for c, s in frame.select("customer_id", "segment").iter_rows()}


def _twelve_runs() -> list[dict[str, pl.DataFrame]]:
    """Twelve runs of changing data: moves, leavers who come back, a segmentation that pauses."""
    rng = random.Random(7)
    customers = [f"{i:04d}" for i in range(300)]
    segments = ["Champions", "Loyal", "At Risk", "Lost"]
    current = {c: rng.choice(segments) for c in customers}
    runs = []
    for run in range(12):
        for c in rng.sample(customers, 30):
            current[c] = rng.choice(segments)
        present = [c for c in customers if rng.random() > 0.05]  # a few skip a run, then return
        value = _members([(c, current[c]) for c in present])
        # Overlapping audiences: a customer may hold several at once, or none.
        audiences = _members(
            [(c, a) for c in present for a in ("Email", "SMS") if rng.random() < 0.4]
        )
        data = {"value": value, "audiences": audiences}
        if run in (4, 5):
            del data["audiences"]  # removed from the project for two runs, then back
        runs.append(data)
    return runs


@pytest.fixture(scope="module", params=["appended", "compacted"])
def twelve(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, list[dict[str, pl.DataFrame]]]:
    """Twelve runs stored as they come, and stored with the intervals rewritten in key order
    after every run (the compaction a large store gets every few runs)."""
    folder = tmp_path_factory.mktemp("twelve")
    (folder / "segwise.yaml").write_text(
        "name: shop\nstore: segwise.duckdb\nsources: {transactions: {path: a.csv}}\n"
        "segmentations: {value: {method: rfm}}\n"
    )
    store = Workspace(folder / "segwise.duckdb")
    runs = _twelve_runs()
    with pytest.MonkeyPatch.context() as patch:
        if request.param == "compacted":
            patch.setattr(intervals, "COMPACT_ROWS", 0)
            patch.setattr(intervals, "COMPACT_SHARE", 0.0)
        for k, data in enumerate(runs):
            store.write_run(_record(FIRST + dt.timedelta(days=30 * k), data))
    return folder, runs


def test_compaction_rewrites_the_intervals_in_key_order(tmp_path: Path) -> None:
    store = Workspace(tmp_path / "s.duckdb")
    first = _members([("b", "X"), ("a", "Y"), ("c", "X")])
    second = _members([("b", "Y"), ("a", "Y"), ("0", "X")])
    store.write_run(_record(FIRST, {"v": first}))
    store.write_run(_record(FIRST + dt.timedelta(days=1), {"v": second}))

    def stored() -> list[tuple[str, int]]:
        with store.reading() as connection:
            return connection.execute(
                "SELECT customer_id, from_run FROM membership_intervals"
            ).fetchall()

    assert [c for c, _ in stored()][-2:] == ["0", "b"], "the second run's rows are appended"
    with contextlib.closing(duckdb.connect(str(store.path))) as connection:
        assert intervals.compact(connection) is False, "two rows appended: nothing to do"
        assert intervals.compact(connection, force=True) is True
        in_order = connection.execute(
            "SELECT value FROM store_meta WHERE key = 'intervals_in_order'"
        ).fetchall()[0][0]
    assert stored() == sorted(stored())
    assert int(in_order) == len(stored())
    assert set(store.memberships(2).iter_rows()) == _as_set(second, "v")


@pytest.mark.parametrize("arrival", ["in order", "shuffled", "descending"])
def test_a_first_run_is_stored_in_key_order_however_its_rows_come(
    tmp_path: Path, arrival: str
) -> None:
    # Rows already in customer order go in as they are; any other order is sorted first.
    ids = [f"{i:03d}" for i in range(200)]
    if arrival == "shuffled":
        random.Random(3).shuffle(ids)
    elif arrival == "descending":
        ids.reverse()
    store = Workspace(tmp_path / "s.duckdb")
    store.write_run(
        _record(
            FIRST,
            {
                "z last": _members([(c, "X") for c in ids]),
                "a first": _members([(c, "YZ"[int(c) % 2]) for c in ids]),
            },
        )
    )
    with store.reading() as connection:
        stored = connection.execute(
            "SELECT segmentation, customer_id FROM membership_intervals"
        ).fetchall()
        in_order = connection.execute(
            "SELECT value FROM store_meta WHERE key = 'intervals_in_order'"
        ).fetchall()
    assert stored == sorted(stored)  # the order compaction keeps, segmentation first
    assert len(stored) == 400 and int(in_order[0][0]) == 400


def test_every_run_reads_back_exactly(twelve: tuple[Path, list[dict[str, pl.DataFrame]]]) -> None:
    folder, runs = twelve
    store = Workspace(folder / "segwise.duckdb")
    for run_id, data in enumerate(runs, start=1):
        expected = set().union(*[_as_set(m, n) for n, m in data.items()])
        stored = set(store.memberships(run_id).iter_rows())
        assert stored == expected, f"run {run_id}"


def test_members_on_a_day_and_of_a_run_agree_with_what_was_stored(
    twelve: tuple[Path, list[dict[str, pl.DataFrame]]],
) -> None:
    folder, runs = twelve
    store = Workspace(folder / "segwise.duckdb")
    for run_id, data in enumerate(runs, start=1):
        day = FIRST + dt.timedelta(days=30 * (run_id - 1) + 10)  # between this run and the next
        for name, members in data.items():
            for segment in sorted(set(members["segment"].to_list())):
                expected = sorted(members.filter(pl.col("segment") == segment)["customer_id"])
                by_run = store.members(segment, run=run_id, segmentation=name)
                by_day = store.members(segment, on=day, segmentation=name)
                assert by_run["customer_id"].to_list() == expected
                assert by_day["customer_id"].to_list() == expected
    # The CLI answers the same for one run and one day.
    day = (FIRST + dt.timedelta(days=30 * 6)).isoformat()
    result = runner.invoke(app, ["members", str(folder), "Lost", "--on", day, "--json"])
    assert result.exit_code == 0, result.stderr
    lost = runs[6]["value"].filter(pl.col("segment") == "Lost")["customer_id"]
    assert json.loads(result.stdout) == sorted(lost)


def test_a_customer_who_leaves_and_returns_has_two_intervals(
    twelve: tuple[Path, list[dict[str, pl.DataFrame]]],
) -> None:
    folder, runs = twelve
    store = Workspace(folder / "segwise.duckdb")
    held = {}
    for run_id, data in enumerate(runs, start=1):
        for c, s in data["value"].iter_rows():
            held.setdefault(c, {})[run_id] = s
    gaps = [c for c, by_run in held.items() if len(by_run) < len(runs)]
    assert gaps, "the fixture must have customers who skip a run"
    customer = gaps[0]
    path = store.history(customer).path.filter(pl.col("segmentation") == "value")
    assert dict(zip(path["run_id"], path["segment"], strict=True)) == held[customer]


def test_changes_count_and_list_the_movers(
    twelve: tuple[Path, list[dict[str, pl.DataFrame]]],
) -> None:
    folder, runs = twelve
    store = Workspace(folder / "segwise.duckdb")
    found = store.changes(3, 8, segmentation="value")
    before = _as_set(runs[2]["value"], "value")
    after = _as_set(runs[7]["value"], "value")
    entered = {(s, c) for _n, c, s in after - before}
    exited = {(s, c) for _n, c, s in before - after}
    movers = found.movers
    assert {(s, c) for s, c, ch in movers.select("segment", "customer_id", "change").iter_rows()
            if ch == "entered"} == entered  # fmt: skip
    assert {(s, c) for s, c, ch in movers.select("segment", "customer_id", "change").iter_rows()
            if ch == "exited"} == exited  # fmt: skip
    for row in found.counts.iter_rows(named=True):
        assert row["after"] - row["before"] == row["entered"] - row["exited"]
    # The matrix accounts for every customer of either run exactly once.
    assert found.matrix["customers"].sum() == len({c for _n, c, _s in before | after})
    result = runner.invoke(app, ["changes", str(folder), "--json"])
    assert result.exit_code == 0, result.stderr
    assert (json.loads(result.stdout)["from_run"], json.loads(result.stdout)["to_run"]) == (11, 12)


def test_a_paused_segmentation_holds_no_one_while_it_is_away(
    twelve: tuple[Path, list[dict[str, pl.DataFrame]]],
) -> None:
    folder, _runs = twelve
    store = Workspace(folder / "segwise.duckdb")
    assert store.memberships(5, segmentation="audiences").height == 0
    assert store.memberships(7, segmentation="audiences").height > 0


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.dictionaries(
            st.sampled_from(["a", "b", "c", "d", "e"]),
            st.sets(st.sampled_from(["X", "Y", "Z"]), max_size=2),
            max_size=5,
        ),
        min_size=1,
        max_size=6,
    )
)
def test_any_sequence_of_runs_reads_back_exactly(
    tmp_path_factory: pytest.TempPathFactory, runs: list[dict[str, set[str]]]
) -> None:
    store = Workspace(tmp_path_factory.mktemp("prop") / "s.duckdb")
    for k, held in enumerate(runs):
        members = _members([(c, s) for c, segments in held.items() for s in segments])
        members = members.cast(pl.String) if members.height else members
        store.write_run(_record(FIRST + dt.timedelta(days=k), {"v": members}))
    for run_id, held in enumerate(runs, start=1):
        expected = {("v", c, s) for c, segments in held.items() for s in segments}
        assert set(store.memberships(run_id).iter_rows()) == expected


@settings(max_examples=30)  # each example writes up to four runs: 42 s at the default 100
@given(
    st.lists(
        st.lists(
            st.tuples(st.sampled_from(["a", "b", "c", "d"]), st.sampled_from(["X", "Y"])),
            max_size=8,
        ),
        min_size=1,
        max_size=4,
    )
)
def test_repeated_membership_rows_are_stored_once(
    tmp_path_factory: pytest.TempPathFactory, runs: list[list[tuple[str, str]]]
) -> None:
    # The first run of a store takes a path without DISTINCT when every customer is held
    # once; rows that repeat (or one customer in two segments) must take the other.
    store = Workspace(tmp_path_factory.mktemp("repeat") / "s.duckdb")
    for k, pairs in enumerate(runs):
        members = _members(pairs).cast(pl.String) if pairs else _members(pairs)
        store.write_run(_record(FIRST + dt.timedelta(days=k), {"v": members}))
    for run_id, pairs in enumerate(runs, start=1):
        stored = store.memberships(run_id)
        assert stored.height == len(set(pairs))
        assert set(stored.iter_rows()) == {("v", c, s) for c, s in pairs}


def test_the_store_grows_with_changes_not_with_runs(tmp_path: Path) -> None:
    # 30 runs of 100k customers, 2% of whom move each run, against the same 30 runs stored
    # as full snapshots by the previous release's code (tests/store/v1.py).
    rng = random.Random(3)
    customers = [f"C{i:06d}" for i in range(100_000)]
    segments = ["Champions", "Loyal", "Potential", "At Risk", "Lost"]
    current = [rng.choice(segments) for _ in customers]
    history = Workspace(tmp_path / "history.duckdb")
    snapshots = tmp_path / "snapshots.duckdb"
    for run in range(30):
        for i in rng.sample(range(len(customers)), 2_000):
            current[i] = rng.choice(segments)
        members = pl.DataFrame({"customer_id": customers, "segment": current})
        day = FIRST + dt.timedelta(days=7 * run)
        history.write_run(_record(day, {"value": members}))
        write_v1_run(snapshots, day, {"value": members})
    grown = history.path.stat().st_size
    full = snapshots.stat().st_size
    assert grown < 0.15 * full, f"history {grown:,} B against 30 snapshots {full:,} B"


def test_the_cli_shows_one_customers_path(
    twelve: tuple[Path, list[dict[str, pl.DataFrame]]],
) -> None:
    folder, runs = twelve
    result = runner.invoke(app, ["history", str(folder), "0007", "--json"])
    assert result.exit_code == 0, result.stderr
    shown = json.loads(result.stdout)
    values = [row for row in shown["path"] if row["segmentation"] == "value"]
    expected = [
        (run_id, data["value"].filter(pl.col("customer_id") == "0007")["segment"].to_list())
        for run_id, data in enumerate(runs, start=1)
    ]
    assert [(row["run_id"], [row["segment"]]) for row in values] == [
        (run_id, segment) for run_id, segment in expected if segment
    ]
    unknown = runner.invoke(app, ["history", str(folder), "nobody"])
    assert unknown.exit_code == 1
    assert "customer 'nobody' is in no stored run" in unknown.stderr


def test_contacts_expand_account_segments_as_each_run_mapped_them(tmp_path: Path) -> None:
    store = Workspace(tmp_path / "s.duckdb")
    accounts = _members([("A", "Key"), ("B", "Key"), ("C", "Other")])
    people = _members([("ann", "Champions")])
    mappings = [
        [("A", "ann"), ("A", "bob"), ("B", "cy"), ("C", "dee")],
        [("A", "ann"), ("B", "bob"), ("B", "cy"), ("C", "dee")],  # bob moved to B
        None,  # a run with no mapping at all closes every interval
    ]
    for offset, pairs in enumerate(mappings):
        record = _record(
            FIRST + dt.timedelta(days=30 * offset), {"firms": accounts, "people": people}
        )
        record.segmentations[0].definition["level"] = "account"
        if pairs is not None:
            record.contacts = pl.DataFrame(
                pairs, schema=["account_id", "customer_id"], orient="row"
            )
        store.write_run(record)
    first = store.members("Other", run=1, contacts=True)
    assert first.rows() == [("C", "dee")]
    assert store.members("Key", run=1, contacts=True).rows() == [
        ("A", "ann"),
        ("A", "bob"),
        ("B", "cy"),
    ]
    # Run 2: still Key, but bob now belongs to B; only his interval changed.
    assert store.members("Key", run=2, contacts=True).rows() == [
        ("A", "ann"),
        ("B", "bob"),
        ("B", "cy"),
    ]
    assert store.members("Key", run=3, contacts=True).height == 0
    with duckdb.connect(str(tmp_path / "s.duckdb"), read_only=True) as connection:
        rows = connection.execute("SELECT count(*) FROM contact_intervals").fetchall()[0][0]
    assert rows == 5  # four from run 1, bob's new one from run 2
    assert store.level("firms") == "account" and store.level("people") == "customer"
    with pytest.raises(ConfigError, match="segments customers, not accounts"):
        store.members("Champions", contacts=True)


def test_segments_at_exposure_read_the_run_in_force_that_day(
    twelve: tuple[Path, list[dict[str, pl.DataFrame]]],
) -> None:
    folder, runs = twelve
    store = Workspace(folder / "segwise.duckdb")
    rng = random.Random(5)
    rows = []
    for _ in range(200):
        customer = f"{rng.randrange(300):04d}"
        # Anywhere from before the first run to after the last, at any time of day.
        moment = dt.datetime.combine(FIRST, dt.time()) + dt.timedelta(
            days=rng.randrange(-20, 360), seconds=rng.randrange(86_400)
        )
        rows.append((customer, moment))
    exposed = pl.DataFrame(rows, schema=["customer_id", "exposed_at"], orient="row")
    placed = store.segments_at("value", exposed)
    for customer, moment in rows:
        found = placed.filter(
            (pl.col("customer_id") == customer) & (pl.col("exposed_at") == moment)
        )
        if moment.date() < FIRST:
            assert found["run_id"].to_list() == [None]
            continue
        run_id = (moment.date() - FIRST).days // 30 + 1
        assert set(found["run_id"]) == {run_id}
        held = runs[run_id - 1]["value"].filter(pl.col("customer_id") == customer)["segment"]
        assert found["segment"].to_list() == (held.to_list() or [None])
    # With a key, the same placements come back by key alone.
    keyed = store.segments_at("value", exposed.with_row_index("row"), key="row")
    assert keyed.columns == ["row", "run_id", "segment"]
    by_key = exposed.with_row_index("row").join(keyed, on="row").drop("row")
    assert by_key.sort(pl.all()).equals(placed.sort(pl.all()))


def test_a_failed_statement_is_the_error_not_the_cleanup_after_it() -> None:
    connection = duckdb.connect()
    connection.execute("BEGIN TRANSACTION")
    # The failure aborts the transaction; dropping the view afterwards would fail too and
    # hide it ("Current transaction is aborted"): the binder's error must come out.
    with (
        pytest.raises(duckdb.BinderException, match="no_such_column"),
        intervals._incoming(connection, "SELECT 1 AS one"),
    ):
        connection.execute("SELECT no_such_column FROM incoming_raw")
    connection.execute("ROLLBACK")
