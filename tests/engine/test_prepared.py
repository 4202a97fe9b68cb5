"""A query planned once runs on new inputs each call, and threads do not mix them."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import polars as pl
import pytest

from segwise.engine.prepared import PreparedQuery


def _query() -> PreparedQuery:
    return PreparedQuery(
        lambda t: (
            t["people"]
            .join(t["visits"].group_by("id").agg(pl.len().alias("visits")), on="id", how="left")
            .select("id", (pl.col("visits").fill_null(0) * pl.col("weight")).alias("score"))
        ),
        {"people": {"id": pl.String, "weight": pl.Int64}, "visits": {"id": pl.String}},
    )


def test_each_call_sees_only_its_own_inputs() -> None:
    query = _query()
    first = query.run(
        people=pl.DataFrame({"id": ["a"], "weight": [2]}), visits=pl.DataFrame({"id": ["a", "a"]})
    )
    second = query.run(
        people=pl.DataFrame({"id": ["b"], "weight": [3]}),
        visits=pl.DataFrame({"id": []}, schema={"id": pl.String}),
    )
    assert first.rows() == [("a", 4)]
    assert second.rows() == [("b", 0)]


def test_inputs_are_cast_to_the_declared_schema() -> None:
    found = _query().run(
        people=pl.DataFrame(
            {"weight": [2], "id": ["a"]}, schema={"weight": pl.Int32, "id": pl.String}
        ),
        visits=pl.DataFrame({"id": ["a"]}),
    )
    assert found.rows() == [("a", 2)]


def test_threads_never_see_each_others_rows() -> None:
    query = _query()

    def score(i: int) -> int:
        people = pl.DataFrame({"id": [str(i)], "weight": [i]})
        visits = pl.DataFrame({"id": [str(i)] * (i % 5)})
        return int(query.run(people=people, visits=visits)["score"][0])

    with ThreadPoolExecutor(8) as pool:
        found = list(pool.map(score, range(400)))
    assert found == [i * (i % 5) for i in range(400)]


def test_a_build_error_surfaces_at_once() -> None:
    with pytest.raises(pl.exceptions.ColumnNotFoundError):
        PreparedQuery(lambda t: t["x"].select("nope"), {"x": {"a": pl.Int64}})


def test_the_batcher_answers_each_caller_and_groups_concurrent_calls() -> None:
    import threading
    import time

    from segwise.engine.prepared import MicroBatcher

    sizes: list[int] = []

    def run(items: list[int]) -> list[int]:
        sizes.append(len(items))
        time.sleep(0.01)  # a batch in flight while the others arrive
        return [i * i for i in items]

    batcher = MicroBatcher(run, most=64)
    with ThreadPoolExecutor(16) as pool:
        found = list(pool.map(batcher.submit, range(200)))
    assert found == [i * i for i in range(200)]
    assert sum(sizes) == 200
    assert max(sizes) > 1  # concurrent calls shared batches
    assert threading.active_count() < 40


def test_a_failing_item_fails_alone_and_clashing_keys_never_share_a_batch() -> None:
    from segwise.engine.prepared import MicroBatcher

    batches: list[list[str]] = []

    def run(items: list[str]) -> list[str]:
        batches.append(items)
        if "bad" in items:
            raise ValueError("bad item")
        return [i.upper() for i in items]

    batcher = MicroBatcher(run, key=lambda item: item.rstrip("0123456789"))
    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(batcher.submit, item) for item in ["a1", "a2", "bad", "b1"] * 10]
    results = []
    for future in futures:
        try:
            results.append(future.result())
        except ValueError:
            results.append("error")
    assert results == ["A1", "A2", "error", "B1"] * 10
    for batch in batches:
        keys = [item.rstrip("0123456789") for item in batch]
        assert len(keys) == len(set(keys))


def test_an_idle_batcher_lets_its_worker_go_and_starts_another_when_called() -> None:
    # The service replaces its classifier after each run: an idle worker must not keep the
    # old one (and its customer table) alive.
    import gc
    import time
    import weakref

    from segwise.engine.prepared import MicroBatcher

    class Owner:
        def __init__(self) -> None:
            self.batcher = MicroBatcher(self.run, idle=0.05)

        def run(self, items: list[int]) -> list[int]:
            return [i + 1 for i in items]

    owner = Owner()
    assert owner.batcher.submit(1) == 2
    worker = owner.batcher._worker
    assert worker is not None
    worker.join(timeout=5)
    assert not worker.is_alive()
    assert owner.batcher.submit(2) == 3  # a new worker for the next call
    time.sleep(0.2)
    held = weakref.ref(owner)
    del owner
    gc.collect()
    assert held() is None
