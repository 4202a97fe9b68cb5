"""The accounts, survey-answer, exposure and outcome readers: roles, reasons and quarantine."""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb
import polars as pl
import pytest

import segwise as sw
from segwise.engine.frames import to_lazy
from segwise.exceptions import ColumnNotFoundError

if TYPE_CHECKING:
    from pathlib import Path


def _rows_and_reasons(dataset: sw.Dataset) -> tuple[list[tuple], dict[str, int]]:
    data = pl.DataFrame(to_lazy(dataset.data).collect(backend="polars").to_native())
    excluded = {k: n for k, n in dataset.quality().excluded.items() if n}
    return data.sort(data.columns).rows(), excluded


def test_accounts_keep_firmographics_and_quarantine_blank_and_repeated_ids_on_every_engine(
    tmp_path: Path,
) -> None:
    rows = pl.DataFrame(
        {
            "Company ID": ["00017", "00018", "00017", " ", "00019"],
            "industry": ["Retail", "Software", "Retail", "Finance", None],
            "employees": [120, 4_000, 120, 12, 35],
        }
    )
    path = tmp_path / "accounts.csv"
    rows.write_csv(path)
    by_engine = {
        name: _rows_and_reasons(sw.read_accounts(source))
        for name, source in (("polars", path), ("duckdb", duckdb.read_csv(str(path))))
    }
    assert by_engine["polars"] == by_engine["duckdb"]
    used, excluded = by_engine["polars"]
    # Ids are text: the leading zeros a CRM export writes survive.
    assert [row[0] for row in used] == ["00017", "00018", "00019"]
    assert excluded == {"missing_account_id": 1, "duplicate_account_id": 1}


def test_accounts_without_an_id_column_say_how_to_name_it() -> None:
    with pytest.raises(ColumnNotFoundError, match="no account id column") as caught:
        sw.read_accounts(pl.DataFrame({"name": ["Acme"], "industry": ["Retail"]}))
    assert "account_id" in str(caught.value.hint)


def test_contact_ids_win_over_account_ids_in_a_contacts_table() -> None:
    contacts = pl.DataFrame({"account_id": ["A1", "A1"], "contact_id": ["c1", "c2"]})
    dataset = sw.read_customers(contacts)
    assert dataset.roles.columns["customer_id"] == "contact_id"


def test_survey_responses_quarantine_blank_and_repeated_answers_alike_on_every_engine(
    tmp_path: Path,
) -> None:
    rows = pl.DataFrame(
        {
            "respondent": ["r1", "r1", "r1", "r2", "r2", None, "r3"],
            "question": ["q1", "q2", "q1", "q1", None, "q1", "q2"],
            "answer": ["4", "  ", "5", "Agree", "3", "2", "1"],
        }
    )
    path = tmp_path / "answers.csv"
    rows.write_csv(path)
    by_engine = {}
    for name, source in (("polars", path), ("duckdb", duckdb.read_csv(str(path)))):
        ds = sw.read_responses(source, customer_id="respondent")
        data = pl.DataFrame(to_lazy(ds.data).collect(backend="polars").to_native())
        by_engine[name] = (data.sort("customer_id", "question").rows(), ds.quality().excluded)
    assert by_engine["polars"] == by_engine["duckdb"]
    used, excluded = by_engine["polars"]
    assert used == [("r1", "q1", "4"), ("r2", "q1", "Agree"), ("r3", "q2", "1")]
    assert {k: n for k, n in excluded.items() if n} == {
        "missing_customer_id": 1,
        "missing_question": 1,
        "missing_answer": 1,
        "duplicate_answer": 1,
    }


def test_exposures_quarantine_crossovers_and_incomplete_rows_alike_on_every_engine(
    tmp_path: Path,
) -> None:
    rows = pl.DataFrame(
        {
            "user_id": ["u1", "u2", "u2", "u3", "u3", "u4", "u5", "u6"],
            "test_name": [
                "spring",
                "spring",
                "spring",
                "spring",
                "summer",
                "spring",
                " ",
                "spring",
            ],
            "variation": ["A", "A", "B", "B", "A", "A", "A", None],
            "ts": [
                "2026-03-01",
                "2026-03-01",
                "2026-03-02",
                "2026-03-01",
                "2026-06-01",
                "2026-03-04",
                "2026-03-01",
                "2026-03-01",
            ],
        }
    )
    rows = pl.concat([rows, rows.head(1)])  # u1 seen twice in A: kept (the first one counts)
    path = tmp_path / "exposures.csv"
    rows.write_csv(path)
    by_engine = {
        name: _rows_and_reasons(sw.read_exposures(source, timestamp="ts"))
        for name, source in (("polars", path), ("duckdb", duckdb.read_csv(str(path))))
    }
    assert by_engine["polars"] == by_engine["duckdb"]
    used, excluded = by_engine["polars"]
    # u2 saw both variants of spring: out of spring; u3's two experiments are separate.
    assert sorted({(r[0], r[2], r[3]) for r in used}) == [
        ("u1", "spring", "A"),
        ("u3", "spring", "B"),
        ("u3", "summer", "A"),
        ("u4", "spring", "A"),
    ]
    assert excluded == {"missing_experiment": 1, "missing_variant": 1, "several_variants": 2}
    # For a caller that drops them itself: the crossovers stay, every other check applies.
    kept = sw.read_exposures(path, timestamp="ts").exposures_with_crossovers()
    kept_rows = kept.collect().to_native()
    assert kept_rows.height == len(used) + 2
    assert set(kept_rows.filter(pl.col("customer_id") == "u2")["variant"]) == {"A", "B"}
    orders = pl.DataFrame({"customer_id": ["a"], "timestamp": ["2026-01-01"], "amount": [1.0]})
    with pytest.raises(TypeError, match="not transactions"):
        sw.read_transactions(orders).exposures_with_crossovers()


def test_outcomes_keep_numeric_values_and_quarantine_the_rest() -> None:
    rows = pl.DataFrame(
        {
            "customer": ["a", "b", "c", "d"],
            "kpi": ["nps", "nps", None, "signup"],
            "metric_value": ["9", "n/a", "1", "1.0.0"],
            "date": ["2026-03-01"] * 4,
        }
    )
    ds = sw.read_outcomes(rows)
    used, excluded = _rows_and_reasons(ds)
    assert [(r[0], r[2], r[3]) for r in used] == [("a", "nps", 9.0)]
    assert excluded == {"missing_metric": 1, "non_numeric_value": 2}


def test_exposures_without_a_variant_column_say_how_to_name_it() -> None:
    with pytest.raises(ColumnNotFoundError, match="no variant column") as caught:
        sw.read_exposures(
            pl.DataFrame(
                {
                    "customer_id": ["a"],
                    "experiment": ["x"],
                    "timestamp": ["2026-01-01"],
                    "flavour": ["A"],
                }
            )
        )
    assert "variant: in the project file" in str(caught.value.hint)
