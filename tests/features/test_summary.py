"""The BTYD summary: hand-computed cases, lifetimes' CDNOW tables, three engines, an oracle."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import duckdb
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import segwise as sw
from segwise.cli.app import app
from segwise.exceptions import DataError
from segwise.features import calibration_and_holdout_data, rfm_summary, rfm_train_test_split

if TYPE_CHECKING:
    from pathlib import Path

TX = pl.DataFrame(
    {
        "id": ["a", "a", "a", "a", "b", "c"],
        "date": [
            "2024-01-01",
            "2024-01-01",
            "2024-01-08",
            "2024-01-15",
            "2024-01-05",
            "2024-01-20",
        ],
        "value": [5.0, 5.0, 3.0, 9.0, 7.0, 1.0],
    }
)


def test_hand_computed_daily_summary() -> None:
    out = rfm_summary(TX, "id", "date", "value", observation_period_end="2024-01-15")
    # a: days 1 (5+5, first), 8 (3), 15 (9): 2 repeats, recency 14, T 14, mean repeat value 6.
    # b: one purchase on day 5: T 10. c: after the end, left out.
    assert out.rows() == [("a", 2.0, 14.0, 14.0, 6.0), ("b", 0.0, 0.0, 10.0, 0.0)]


def test_weeks_are_days_divided_by_seven() -> None:
    out = rfm_summary(TX, "id", "date", observation_period_end="2024-01-15", time_unit="W")
    assert out.columns == ["customer_id", "frequency", "recency", "T"]
    assert out.row(0) == ("a", 2.0, 2.0, 2.0)
    assert out.row(1)[3] == 10 / 7


def test_include_first_transaction_is_pymc_segmentation_form() -> None:
    out = rfm_summary(
        TX,
        "id",
        "date",
        "value",
        observation_period_end="2024-01-20",
        include_first_transaction=True,
    )
    # frequency counts every purchase day; recency is days since the last purchase; no T.
    assert out.columns == ["customer_id", "frequency", "recency", "monetary_value"]
    assert out.rows() == [
        ("a", 3.0, 5.0, (10 + 3 + 9) / 3),
        ("b", 1.0, 15.0, 7.0),
        ("c", 1.0, 0.0, 1.0),
    ]


def test_default_end_is_the_last_purchase_and_time_scaler_divides() -> None:
    out = rfm_summary(TX, "id", "date", time_scaler=2.0)
    assert out.filter(pl.col("customer_id") == "a")["T"].item() == 19 / 2


def test_dataset_input_uses_purchases_only() -> None:
    orders = pl.DataFrame(
        {
            "customer_id": ["1", "1", "1"],
            "order_date": ["2024-01-01", "2024-01-05", "2024-01-06"],
            "amount": [10.0, 20.0, -20.0],
        }
    )
    out = rfm_summary(sw.read_transactions(orders), observation_period_end="2024-01-10")
    assert out.rows() == [("1", 1.0, 4.0, 9.0, 20.0)]


def test_calibration_and_holdout_hand_computed() -> None:
    out = calibration_and_holdout_data(
        TX, "id", "date", "2024-01-08", "2024-01-20", monetary_value_col="value"
    )
    rows = {r["customer_id"]: r for r in out.to_dicts()}
    assert set(rows) == {"a", "b"}  # c's first purchase is in the holdout
    assert rows["a"]["frequency_cal"] == 1.0 and rows["a"]["T_cal"] == 7.0
    assert rows["a"]["frequency_holdout"] == 1.0 and rows["a"]["monetary_value_holdout"] == 9.0
    assert rows["b"]["frequency_holdout"] == 0.0 and rows["b"]["duration_holdout"] == 12.0
    renamed = rfm_train_test_split(
        TX, "id", "date", "2024-01-08", "2024-01-20", monetary_value_col="value"
    )
    assert renamed.columns == [
        "customer_id",
        "frequency",
        "recency",
        "T",
        "monetary_value",
        "test_frequency",
        "test_monetary_value",
        "test_T",
    ]


def test_holdout_value_lifetimes_raw_rows_against_pymc_daily_sums() -> None:
    tx = pl.DataFrame(
        {
            "id": ["a"] * 4,
            "date": ["2024-01-01", "2024-01-10", "2024-01-10", "2024-01-12"],
            "value": [1.0, 2.0, 4.0, 9.0],
        }
    )
    lifetimes_style = calibration_and_holdout_data(
        tx, "id", "date", "2024-01-05", "2024-01-15", monetary_value_col="value"
    )
    pymc_style = rfm_train_test_split(
        tx, "id", "date", "2024-01-05", "2024-01-15", monetary_value_col="value"
    )
    assert lifetimes_style["monetary_value_holdout"].item() == (2 + 4 + 9) / 3
    assert pymc_style["test_monetary_value"].item() == (6 + 9) / 2
    assert pymc_style["test_frequency"].item() == 2.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"time_unit": "M"}, "time_unit must be one of D, W"),
        ({"time_scaler": 0}, "time_scaler must be positive"),
        ({"observation_period_end": "soon"}, "'soon' is not a date"),
        ({"monetary_value_col": "valu"}, "did you mean 'value'"),
    ],
    ids=["unit", "scaler", "end", "column"],
)
def test_bad_arguments(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(sw.SegwiseError, match=f"(?i){message}"):
        rfm_summary(TX, "id", "date", **kwargs)


def _oracle(
    rows: list[tuple[str, date, float]], end: date
) -> dict[str, tuple[float, float, float, float]]:
    days: dict[str, dict[date, float]] = defaultdict(dict)
    for customer, day, value in rows:
        if day <= end:
            days[customer][day] = days[customer].get(day, 0.0) + value
    out = {}
    for customer, per_day in days.items():
        ordered = sorted(per_day)
        repeats = [per_day[d] for d in ordered[1:]]
        out[customer] = (
            float(len(repeats)),
            float((ordered[-1] - ordered[0]).days),
            float((end - ordered[0]).days),
            sum(repeats) / len(repeats) if repeats else 0.0,
        )
    return out


purchases = st.lists(
    st.tuples(
        st.sampled_from(["x", "y", "z", "007"]),
        st.dates(min_value=date(2023, 1, 1), max_value=date(2023, 3, 1)),
        st.decimals(min_value=0, max_value=500, places=2).map(float),
    ),
    min_size=1,
    max_size=30,
)


@settings(max_examples=60, deadline=None)
@given(rows=purchases, end_offset=st.integers(min_value=0, max_value=70))
def test_matches_a_plain_python_oracle(
    rows: list[tuple[str, date, float]], end_offset: int
) -> None:
    end = date(2023, 1, 1) + timedelta(days=end_offset)
    if not any(day <= end for _, day, _ in rows):
        return
    frame = pl.DataFrame(rows, schema=["id", "day", "value"], orient="row")
    out = rfm_summary(frame, "id", "day", "value", observation_period_end=end)
    expected = _oracle(rows, end)
    assert set(out["customer_id"]) == set(expected)
    for customer, frequency, recency, age, value in out.rows():
        want = expected[customer]
        assert (frequency, recency, age) == want[:3]
        assert value == pytest.approx(want[3], abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(rows=purchases, unit=st.sampled_from(["D", "W", "isoweek", "month"]), first=st.booleans())
def test_default_end_found_in_the_query_equals_the_last_purchase_given(
    rows: list[tuple[str, date, float]], unit: str, first: bool
) -> None:
    # Without an end, eager input finds the last purchase inside the summary's own query.
    frame = pl.DataFrame(rows, schema=["id", "day", "value"], orient="row")
    options: dict[str, Any] = {"time_unit": unit, "include_first_transaction": first}
    found = rfm_summary(frame, "id", "day", "value", **options)
    given_end = max(day for _, day, _ in rows)
    stated = rfm_summary(frame, "id", "day", "value", observation_period_end=given_end, **options)
    assert found.equals(stated)
    lazy = rfm_summary(frame.lazy(), "id", "day", "value", **options).collect()
    assert lazy.sort("customer_id").equals(found)


def test_no_purchases_is_one_clear_error() -> None:
    empty = pl.DataFrame(schema={"id": pl.String, "date": pl.Date, "value": pl.Float64})
    with pytest.raises(DataError, match="there are no transactions to summarise"):
        rfm_summary(empty, "id", "date", "value")
    with pytest.raises(DataError, match="there are no transactions to summarise"):
        rfm_summary(empty.lazy(), "id", "date", "value")


@pytest.mark.realdata
def test_cdnow_summary_equals_lifetimes(shared_data: Path, tmp_path: Path) -> None:
    """The acceptance command, compared with lifetimes' published CDNOW calibration summary."""
    out = tmp_path / "summary.csv"
    result = CliRunner().invoke(
        app,
        [
            "summary",
            str(shared_data / "cdnow_sample_transactions.csv.gz"),
            "--customer-col",
            "customer_id",
            "--date-col",
            "date",
            "--amount-col",
            "dollar_value",
            "--as-of",
            "1997-09-30",
            "--time-unit",
            "W",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.stderr
    ours = pl.read_csv(out, schema_overrides={"customer_id": pl.String})
    theirs = pl.read_csv(
        shared_data / "cdnow_sample_calibration_summary_lifetimes.csv",
        schema_overrides={"ID": pl.String},
    )
    joined = theirs.join(ours, left_on="ID", right_on="customer_id", how="full")
    assert joined.height == ours.height == 2_357
    assert (joined["x"] == joined["frequency"]).all()
    assert (joined["t_x"] == joined["recency"].round(2)).all()
    assert (joined["T"] == joined["T_right"].round(2)).all()
    assert ((joined["zbar"] - joined["monetary_value"]).abs() <= 0.01).all()


@pytest.mark.realdata
def test_cdnow_calibration_holdout_equals_lifetimes(shared_data: Path) -> None:
    tx = pl.read_csv(
        shared_data / "cdnow_sample_transactions.csv.gz",
        schema_overrides={"customer_id": pl.String},
    )
    ours = calibration_and_holdout_data(
        tx,
        "customer_id",
        "date",
        "1997-09-30",
        "1998-06-30",
        time_unit="W",
        monetary_value_col="dollar_value",
    )
    theirs = pl.read_csv(
        shared_data / "cdnow_sample_calibration_holdout_summary_derived.csv",
        schema_overrides={"customer_id": pl.String},
    )
    joined = theirs.join(ours, on="customer_id", how="full", suffix="_sw")
    assert joined.height == 2_357
    for column in theirs.columns[1:]:
        # The reference is rounded to 4 dp.
        assert ((joined[column] - joined[f"{column}_sw"]).abs() <= 0.5e-4 + 1e-9).all(), column
    assert ours["frequency_holdout"].sum() == 1_882


@pytest.mark.realdata
def test_cli_calibration_json(shared_data: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "summary",
            str(shared_data / "cdnow_sample_transactions.csv.gz"),
            "--customer-col",
            "customer_id",
            "--date-col",
            "date",
            "--amount-col",
            "dollar_value",
            "--calibration-end",
            "1997-09-30",
            "--holdout-end",
            "1998-06-30",
            "--time-unit",
            "W",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert len(rows) == 2_357
    assert sum(r["frequency_cal"] for r in rows) == 2_457


def _cdnow_engines(shared_data: Path, spark: Any | None) -> dict[str, Any]:
    tx = pl.read_csv(
        shared_data / "cdnow_sample_transactions.csv.gz",
        schema_overrides={"customer_id": pl.String},
    )
    frames: dict[str, Any] = {"polars": tx, "duckdb": duckdb.sql("SELECT * FROM tx")}
    if spark is not None:
        frames["spark"] = spark.createDataFrame(
            tx.select("customer_id", "date", "dollar_value").rows(),
            schema="customer_id string, date string, dollar_value double",
        )
    return frames


def _as_polars(result: Any) -> pl.DataFrame:
    from segwise.engine.frames import to_lazy

    frame: pl.DataFrame = to_lazy(result).collect(backend="polars").to_native()
    return frame.sort("customer_id")


@pytest.mark.realdata
@pytest.mark.spark
def test_identical_on_polars_duckdb_and_spark(shared_data: Path, spark: Any) -> None:
    results = {}
    for engine, frame in _cdnow_engines(shared_data, spark).items():
        summary = rfm_summary(
            frame,
            "customer_id",
            "date",
            "dollar_value",
            observation_period_end="1997-09-30",
            time_unit="W",
        )
        split = calibration_and_holdout_data(
            frame,
            "customer_id",
            "date",
            "1997-09-30",
            "1998-06-30",
            time_unit="W",
            monetary_value_col="dollar_value",
        )
        results[engine] = (_as_polars(summary), _as_polars(split))
    for engine in ("duckdb", "spark"):
        assert results[engine][0].equals(results["polars"][0]), engine
        assert results[engine][1].equals(results["polars"][1]), engine
