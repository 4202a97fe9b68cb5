"""method: survey: needs classes from the answers, checked, named, and projected onto everyone."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl
import pytest
import yaml
from sklearn.metrics import adjusted_rand_score

from segwise.datasets import SAMPLE_ARGS, generate_retailer, survey_of_retailer
from segwise.exceptions import ConfigError
from segwise.project import Project
from tests.project.methods.projects import sample_project

if TYPE_CHECKING:
    from pathlib import Path

NEEDS = """segmentations:
  needs:
    method: survey
    codebook: codebook.yaml
    classes_max: 5   # the choice among 3-8 is the segmenter's test; 6-8 classes cost most
"""


def _survey_project(folder: Path, segmentations: str = NEEDS, *, bad_answers: int = 0) -> Project:
    sample_project(folder, segmentations)
    personas = generate_retailer(**SAMPLE_ARGS, events=False).personas  # type: ignore[arg-type]
    survey = survey_of_retailer(personas, share=0.3, seed=4)
    answers = survey.responses
    if bad_answers:
        odd = answers.head(bad_answers).with_columns(
            pl.lit("7").alias("answer"), pl.lit("zz").alias("respondent")
        )
        answers = pl.concat([answers, odd])
    answers.write_csv(folder / "answers.csv")
    survey.classes.write_csv(folder / "planted.csv")
    (folder / "codebook.yaml").write_text(yaml.safe_dump(survey.codebook, sort_keys=False))
    config = folder / "segwise.yaml"
    text = config.read_text().replace(
        "\nsources:\n", "\nsources:\n  responses: {path: answers.csv, customer_id: respondent}\n"
    )
    config.write_text(text)
    return Project.from_yaml(config)


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, Any, Path]:
    folder = tmp_path_factory.mktemp("survey")
    project = _survey_project(folder, bad_answers=3)
    return project, project.run(as_of="2024-12-31"), folder


def test_respondents_get_their_planted_needs_class_back(ran: tuple[Project, Any, Path]) -> None:
    _project, result, folder = ran
    _assert_planted_classes_back(result, folder)


def _assert_planted_classes_back(result: Any, folder: Path) -> None:
    """Four classes chosen, and the respondents' classes match the planted ones."""
    (needs,) = result.segmentations
    assert needs.definition["classes_chosen"] == 4
    planted = pl.read_csv(folder / "planted.csv", schema_overrides={"respondent": pl.String})
    answered = needs.details.filter(pl.col("answered")).join(needs.members, on="customer_id")
    both = answered.join(planted, left_on="customer_id", right_on="respondent")
    assert both.height == answered.height > 1000
    assert adjusted_rand_score(both["planted"], both["segment"]) >= 0.8


def test_everyone_else_is_projected_with_an_accuracy_that_beats_guessing(
    ran: tuple[Project, Any, Path],
) -> None:
    _project, result, _folder = ran
    (needs,) = result.segmentations
    projection = needs.definition["projection"]
    assert projection["accuracy"] > projection["baseline"] + 0.1
    members = needs.members
    # Every customer has a class (or "Not surveyed"), once.
    assert members["customer_id"].n_unique() == members.height > 4_500
    assert set(members["customer_id"]) == set(needs.details["customer_id"])
    projected = needs.details.filter(~pl.col("answered"))
    assert projected.height > 3000
    assert projected["confidence"].min() >= 0.0
    for card in needs.cards:
        if card.name != "Not surveyed":
            assert "answered the survey" in (card.definition or "")
            assert f"{projection['accuracy']:.0%}" in (card.definition or "")
            assert card.action and card.action.startswith("Lead with what they care about")


def test_reliability_and_the_class_choice_are_stored_and_reported(
    ran: tuple[Project, Any, Path],
) -> None:
    project, result, folder = ran
    (needs,) = result.segmentations
    alpha = needs.definition["alpha"]
    assert set(alpha) == {"sustainability", "price", "convenience", "quality", "novelty"}
    assert all(a["alpha"] > 0.6 for a in alpha.values())
    assert needs.definition["fit"][0]["classes"] == 3
    assert "needs classes from" in needs.definition["summary"]
    report = (folder / "report.html").read_text()
    assert needs.definition["summary"].split(" (")[0] in report
    # The three answers off the scale are set aside with their reason, and said so.
    quarantined = pl.read_csv(folder / "quarantine" / "responses.answers.csv")
    assert quarantined["reason"].unique().to_list() == ["not on the scale 1–5"]
    assert any("3 answers are not on their question's scale" in w for w in needs.warnings)
    assert not any("names no construct" in w for w in needs.warnings)  # the codebook does
    # Stored like any segmentation: members are queryable by segment.
    name = needs.members["segment"][0]
    stored = project.store.members(name, segmentation="needs")
    assert stored.height == needs.members.filter(pl.col("segment") == name).height


def test_a_survey_without_answers_or_with_a_missing_codebook_is_refused(tmp_path: Path) -> None:
    no_answers = sample_project(tmp_path / "a", NEEDS.replace("    codebook: codebook.yaml\n", ""))
    with pytest.raises(ConfigError, match="needs the survey answers"):
        no_answers.validate()
    project = _survey_project(tmp_path / "b")
    (tmp_path / "b" / "codebook.yaml").unlink()
    with pytest.raises(ConfigError, match=r"codebook: codebook.yaml does not exist"):
        project.validate()


def test_a_panel_without_orders_is_segmented_by_its_answers(tmp_path: Path) -> None:
    # A survey panel: the customer table and the answers, no orders export.
    project = _survey_project(tmp_path)
    config = tmp_path / "segwise.yaml"
    text = config.read_text()
    start = text.index("  transactions:")
    end = text.index("  # One row per customer")
    config.write_text(text[:start] + text[end:])
    result = Project.from_yaml(config).run(as_of="2024-12-31")
    _assert_planted_classes_back(result, tmp_path)
    (needs,) = result.segmentations
    # Everyone of the customer table is placed: by their answers, or projected from their
    # attributes and engagement (no purchase features to read).
    assert needs.members.height == result.customers
    assert project.config.sources.transactions is not None  # the original kept its orders


def test_a_bridge_feature_the_customer_table_lacks_is_named_by_validate(tmp_path: Path) -> None:
    misnamed = NEEDS + "    bridge_features: [age, incme]\n"
    project = _survey_project(tmp_path / "p", misnamed)
    with pytest.raises(ConfigError, match="segmentation 'needs': no feature column 'incme'"):
        project.validate()
