"""``segwise init --responses``: a survey segmentation and a codebook drafted from the answers."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl
from typer.testing import CliRunner

from segwise.cli.app import app
from segwise.datasets import SAMPLE_ARGS, generate_retailer, sample_paths, survey_of_retailer
from segwise.project import Project
from segwise.project.sniff_survey import draft_questions
from segwise.survey import Codebook, answer_table
from tests.project.demo import keep_segmentations

if TYPE_CHECKING:
    from pathlib import Path

runner = CliRunner()

AGREE = ["Strongly agree", "Agree", "Neither agree nor disagree", "Disagree", "Agree"]


def test_each_kind_of_question_is_drafted_from_its_answers() -> None:
    # As a Google Forms export reads once unpivoted: ratings, worded agreement,
    # a checkbox question, a multiple choice, an age and a free-text comment.
    answers = pl.DataFrame(
        {
            "question": ["rating"] * 5 + ["agree"] * 5 + ["channels"] * 5 + ["heard"] * 5
            + ["age"] * 5 + ["comment"] * 20 + ["order"] * 3,
            "answer": ["1", "3", "4", "5", "2", *AGREE,
                       "Email, SMS", "Email", "App; Email", "SMS", "Email, App",
                       "Friend", "Google", "Friend", "Instagram", "Google",
                       "23", "57", "41", "35", "68",
                       *(f"comment number {i}" for i in range(20)),
                       "price > quality > brand", "quality > price > brand", "brand > price"],
        }
    )  # fmt: skip
    drafted = draft_questions(answers)
    assert drafted["rating"] == {"scale": [1, 5]}
    assert drafted["agree"]["labels"] == {
        "Strongly disagree": 1,
        "Disagree": 2,
        "Neither agree nor disagree": 3,
        "Agree": 4,
        "Strongly agree": 5,
    }
    assert drafted["channels"] == {"kind": "multiple", "options": ["Email", "SMS", "App"]}
    assert drafted["heard"] == {"kind": "choice", "options": ["Friend", "Google", "Instagram"]}
    # Most often named first; price and brand, named three times each, as first named.
    assert drafted["order"] == {"kind": "ranking", "options": ["price", "brand", "quality"]}
    # Ages are numbers but no rating; a comment is free text: neither is drafted.
    assert set(drafted) == {"rating", "agree", "channels", "heard", "order"}
    # The draft reads the answers it was drafted from without setting any aside.
    long = answers.with_columns(pl.int_range(pl.len()).cast(pl.String).alias("customer_id"))
    table = answer_table(long, Codebook.from_text(_yaml(drafted)))
    assert table.invalid.height == 0


def _yaml(questions: dict[str, dict[str, object]]) -> str:
    import yaml

    return yaml.safe_dump({"questions": questions})


def _wide_answers(folder: Path) -> Path:
    personas = generate_retailer(**SAMPLE_ARGS, events=False).personas  # type: ignore[arg-type]
    long = survey_of_retailer(personas, share=0.1, seed=4).responses
    wide = long.pivot(on="question", index="respondent", values="answer")
    path = folder / "survey.csv"
    wide.with_columns(pl.lit("2024-03-01 10:00").alias("Timestamp")).write_csv(path)
    return path


def test_init_with_responses_writes_the_codebook_the_source_and_the_segmentation(
    tmp_path: Path,
) -> None:
    answers = _wide_answers(tmp_path)
    paths = sample_paths()
    project = tmp_path / "shop"
    args = ["init", str(project), "--transactions", str(paths["orders"])]
    unnamed = runner.invoke(app, [*args, "--responses", str(answers)])
    assert unnamed.exit_code == 1
    assert "--respondent-col" in unnamed.stderr
    assert not project.exists()  # refused before anything was written
    done = runner.invoke(
        app, [*args, "--responses", str(answers), "--respondent-col", "respondent"]
    )
    assert done.exit_code == 0, done.stderr
    assert "20 question(s) drafted into codebook.yaml" in done.stdout
    book = Codebook.load(project / "codebook.yaml")
    assert len(book.questions) == 20
    assert all(q.scale == (1.0, 5.0) for q in book.likert())
    loaded = Project.from_yaml(project / "segwise.yaml")
    spec = loaded.config.sources.responses
    assert spec is not None and spec.customer_id == "respondent"
    assert loaded.config.segmentations["needs"].method == "survey"
    # Run as drafted, the classes are named by their questions, and the run says what to do.
    keep_segmentations(project / "segwise.yaml", "needs")
    [needs] = Project.from_yaml(project / "segwise.yaml").run().segmentations
    [said] = [w for w in needs.warnings if "names no construct" in w]
    assert any(f"('{card.name}')" in said for card in needs.cards)
    assert "constructs:" in said and "reverse: true" in said
    # The population comes from an orders export or a customer table, never a survey alone.
    alone = runner.invoke(app, ["init", str(tmp_path / "p2"), "--responses", str(answers)])
    assert alone.exit_code == 1 and "--customers or --transactions" in alone.stderr
