"""Exact order statistics: every engine gives numpy's sorted values at the asked positions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw
import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from segwise.engine import order_statistics as order_statistics_module
from segwise.engine.order_statistics import order_statistics, with_position

if TYPE_CHECKING:
    from collections.abc import Callable


def _table(size: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return pl.DataFrame(
        {
            # heavy ties (most customers buy once), a continuous column, and unique strings
            "frequency": rng.geometric(0.6, size).astype(np.int64),
            "monetary": np.round(rng.lognormal(3.0, 1.2, size), 2),
            "customer_id": [f"c{i:06d}" for i in rng.permutation(size)],
        }
    )


def _every_position(size: int) -> list[int]:
    edges = [1, 2, size // 5, size // 3, size // 2, size - 1, size]
    return sorted({p for p in edges if 1 <= p <= size})


@pytest.mark.parametrize("size", [1, 7, 5000])
def test_values_at_positions_equal_numpy_sorted_on_every_engine(
    to_engine: Callable[[pl.DataFrame], Any], size: int
) -> None:
    table = _table(size, seed=size)
    positions = _every_position(size)
    frame = nw.from_native(to_engine(table))
    found = order_statistics(frame, dict.fromkeys(table.columns, positions), total=size)
    for column in table.columns:
        expected = np.sort(table[column].to_numpy())[np.array(positions) - 1].tolist()
        assert found[column] == expected, column


@pytest.mark.spark
@pytest.mark.parametrize(("relative_error", "band"), [(1e-4, None), (0.05, None), (0.2, 0.0)])
def test_spark_is_exact_whether_the_band_holds_the_value_or_not(
    spark: Any, monkeypatch: pytest.MonkeyPatch, relative_error: float, band: float | None
) -> None:
    # A coarse sketch searched with no band misses: the column is numbered exactly instead.
    # (Tables this small are numbered in one task unless one_task_rows says otherwise.)
    table = _table(3000, seed=3)
    positions = [1, 600, 1200, 1800, 2400, 3000]
    numbered: list[str] = []
    exact = order_statistics_module._numbered

    def counting(frame: Any, columns: dict[str, list[int]]) -> dict[str, list[Any]]:
        numbered.extend(columns)
        return exact(frame, columns)

    monkeypatch.setattr(order_statistics_module, "_numbered", counting)
    frame = nw.from_native(spark.createDataFrame(table.to_arrow()))
    found = order_statistics(
        frame,
        {"frequency": positions, "monetary": positions},
        total=table.height,
        relative_error=relative_error,
        band=band,
        one_task_rows=0,
    )
    for column in ("frequency", "monetary"):
        expected = np.sort(table[column].to_numpy())[np.array(positions) - 1].tolist()
        assert found[column] == expected
    assert ("monetary" in numbered) == (band == 0.0)
    assert "frequency" not in numbered or band == 0.0


@pytest.mark.spark
def test_spark_ranks_nothing_in_one_task_when_the_band_holds(
    spark: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The point of the module: no window over the whole table in the plans Spark runs.
    table = _table(4000, seed=4)
    native = spark.createDataFrame(table.to_arrow())
    plans: list[str] = []
    collect = type(native).collect

    def recording(self: Any) -> Any:
        plans.append(self._jdf.queryExecution().executedPlan().toString())
        return collect(self)

    monkeypatch.setattr(type(native), "collect", recording)
    found = order_statistics(
        nw.from_native(native), {"monetary": [800, 2000, 3999]}, total=table.height, one_task_rows=0
    )
    assert found["monetary"] == np.sort(table["monetary"].to_numpy())[[799, 1999, 3998]].tolist()
    assert plans
    assert not any("Window" in plan for plan in plans)


@given(
    values=st.lists(st.integers(-5, 5) | st.just(0), min_size=1, max_size=60),
    data=st.data(),
)
def test_any_positions_of_any_column_on_polars(values: list[int], data: st.DataObject) -> None:
    positions = data.draw(st.lists(st.integers(1, len(values)), max_size=8))
    frame = nw.from_native(pl.LazyFrame({"x": values}))
    found = order_statistics(frame, {"x": positions}, total=len(values))
    assert found["x"] == [sorted(values)[p - 1] for p in positions]


def test_a_position_outside_the_rows_is_refused() -> None:
    frame = nw.from_native(pl.LazyFrame({"x": [1, 2]}))
    with pytest.raises(ValueError, match=r"positions \[3\] of 'x' are outside 1..2"):
        order_statistics(frame, {"x": [1, 3]}, total=2)


def test_positions_follow_the_sorted_order_on_every_engine(
    to_engine: Callable[[pl.DataFrame], Any],
) -> None:
    table = _table(500, seed=5)
    frame = nw.from_native(to_engine(table))
    # one_task_rows=0: Spark ranges the rows over its partitions even at this size.
    numbered = with_position(frame, "customer_id", "at", total=table.height, one_task_rows=0)
    out = numbered.collect("polars").to_native().sort("customer_id")
    assert out["at"].to_list() == list(range(table.height))
    assert out.drop("at").equals(table.sort("customer_id").select(out.drop("at").columns))
