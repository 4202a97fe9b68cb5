"""Survey exports with one column per question (Google Forms, Typeform, Qualtrics) read long."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import duckdb
import polars as pl
import pytest
from typer.testing import CliRunner

import segwise as sw
from segwise.cli.app import app
from segwise.datasets import SAMPLE_ARGS, generate_retailer, survey_of_retailer
from segwise.exceptions import ColumnNotFoundError

if TYPE_CHECKING:
    from pathlib import Path

PLANET = "I choose brands that are good for the planet"
PRICE = "Price matters more than brand"
FORMS = f"""Timestamp,Email Address,Customer ID,{PLANET},{PRICE},How did you hear about us?
2024/03/01 10:15:22 AM GMT,a@x.com,00042,5,2,Friend
2024/03/01 11:02:10 AM GMT,b@x.com,00043,4,,Instagram
2024/03/02 09:40:01 AM GMT,c@x.com,00044,1,5,
"""

IMPORT_IDS = ",".join(
    f'"{{""ImportId"":""{name}""}}"'
    for name in ("startDate", "endDate", "status", "_recordId", "externalDataReference",
                 "finished", "QID1", "QID2")
)  # fmt: skip
QUALTRICS = f"""StartDate,EndDate,Status,ResponseId,ExternalReference,Finished,Q1,Q2
Start Date,End Date,Response Type,Response ID,External Data Reference,Finished,{PLANET},{PRICE}
{IMPORT_IDS}
2024-03-01 10:15:22,2024-03-01 10:17:01,0,R_1,00042,1,5,2
2024-03-01 11:02:10,2024-03-01 11:03:12,0,R_2,00043,1,4,4
"""


def _answers(dataset: Any) -> list[tuple[str, str, str]]:
    frame = dataset.data.collect(backend="polars").to_native()
    return sorted(frame.select("customer_id", "question", "answer").iter_rows())


def test_a_google_forms_export_reads_as_one_row_per_answer(tmp_path: Path) -> None:
    path = tmp_path / "forms.csv"
    path.write_text(FORMS)
    answers = sw.read_responses(path)
    # Skipped questions (empty cells) are not answers; the form's own columns are no questions.
    assert _answers(answers) == sorted(
        [
            ("00042", PLANET, "5"),
            ("00042", PRICE, "2"),
            ("00042", "How did you hear about us?", "Friend"),
            ("00043", PLANET, "4"),
            ("00043", "How did you hear about us?", "Instagram"),
            ("00044", PLANET, "1"),
            ("00044", PRICE, "5"),
        ]
    )
    report = answers.quality()
    assert (report.rows_read, report.rows_used, report.rows_quarantined) == (7, 7, 0)
    [note] = [n for n in report.notes if "one column per question" in n]
    assert "3 question(s)" in note and "'Timestamp', 'Email Address'" in note


def test_a_qualtrics_export_leaves_its_two_extra_header_rows_out(tmp_path: Path) -> None:
    path = tmp_path / "qualtrics.csv"
    path.write_text(QUALTRICS)
    answers = sw.read_responses(path, customer_id="ExternalReference")
    assert _answers(answers) == [
        ("00042", "Q1", "5"),
        ("00042", "Q2", "2"),
        ("00043", "Q1", "4"),
        ("00043", "Q2", "4"),
    ]
    assert any("Qualtrics' two header rows" in n for n in answers.quality().notes)


def test_a_wide_export_without_a_respondent_column_is_refused_in_one_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "forms.csv"
    path.write_text(FORMS.replace("Customer ID", "Member"))
    with pytest.raises(ColumnNotFoundError, match="no column says which customer answered"):
        sw.read_responses(path)
    done = CliRunner().invoke(app, ["quality", str(path), "--kind", "responses"])
    assert done.exit_code == 1
    [line] = done.stderr.strip().splitlines()
    assert str(path) in line and "--customer-col" in line
    named = CliRunner().invoke(
        app, ["quality", str(path), "--kind", "responses", "--customer-col", "Member"]
    )
    assert named.exit_code == 0, named.stderr
    assert "rows used" in named.stdout


def test_the_wide_and_the_long_export_of_one_survey_are_the_same_answers(tmp_path: Path) -> None:
    personas = generate_retailer(**SAMPLE_ARGS, events=False).personas  # type: ignore[arg-type]
    long = survey_of_retailer(personas, share=0.1, seed=4).responses
    wide = long.pivot(on="question", index="respondent", values="answer").with_columns(
        pl.lit("2024-03-01 10:00:00").alias("Submitted At")
    )
    assert wide.null_count().sum_horizontal().item() > 0  # some questions were skipped
    wide.write_csv(tmp_path / "wide.csv")
    long.write_csv(tmp_path / "long.csv")
    from_wide = sw.read_responses(tmp_path / "wide.csv", customer_id="respondent")
    from_long = sw.read_responses(tmp_path / "long.csv", customer_id="respondent")
    assert _answers(from_wide) == _answers(from_long)
    # The same on the other engines: the unpivot runs where the frame is.
    in_duckdb = duckdb.from_arrow(wide.to_arrow())
    assert _answers(sw.read_responses(in_duckdb, customer_id="respondent")) == _answers(from_long)


@pytest.mark.spark
def test_a_wide_export_unpivots_on_spark(spark: Any, tmp_path: Path) -> None:
    path = tmp_path / "forms.csv"
    path.write_text(FORMS)
    table = pl.read_csv(path, infer_schema=False)
    frame = spark.createDataFrame(table.rows(), schema=table.columns)
    assert _answers(sw.read_responses(frame)) == _answers(sw.read_responses(path))


def test_a_long_export_with_an_unknown_question_name_is_not_read_as_wide(
    tmp_path: Path,
) -> None:
    path = tmp_path / "long.csv"
    path.write_text("customer_id,Item text,answer\n00042,q1,5\n00043,q1,4\n")
    with pytest.raises(ColumnNotFoundError, match="no question column found"):
        sw.read_responses(path)
    long = sw.read_responses(path, question="Item text")
    assert _answers(long) == [("00042", "q1", "5"), ("00043", "q1", "4")]


def test_a_quiz_score_is_the_forms_column_not_the_answers(tmp_path: Path) -> None:
    # Google Forms' quizzes add "Score": an answer column's name, yet the form's own.
    path = tmp_path / "quiz.csv"
    path.write_text(FORMS.replace("Email Address,", "Email Address,Score,").replace(
        "x.com,", "x.com,3 / 5,"
    ))  # fmt: skip
    answers = _answers(sw.read_responses(path))
    assert len(answers) == 7
    assert {question for _, question, _ in answers} == {
        PLANET,
        PRICE,
        "How did you hear about us?",
    }
