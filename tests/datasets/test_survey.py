"""The simulated survey: seeded, long like an export, reverse items turned, tied to personas."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from segwise.datasets import generate_retailer, planted_survey, survey_of_retailer
from segwise.exceptions import ConfigError


def test_the_same_seed_gives_the_same_answers_and_a_new_seed_new_ones() -> None:
    assert planted_survey(50, seed=1).responses.equals(planted_survey(50, seed=1).responses)
    assert not planted_survey(50, seed=1).responses.equals(planted_survey(50, seed=2).responses)


def test_answers_are_on_the_scale_and_reverse_items_run_against_their_construct() -> None:
    data = planted_survey(3_000, seed=0, missing_share=0.05)
    answers = data.responses.with_columns(pl.col("answer").cast(pl.Int64))
    assert answers["answer"].is_between(1, 5).all()
    assert answers.height == pytest.approx(3_000 * 20 * 0.95, rel=0.02)
    wide = answers.pivot(on="question", index="respondent", values="answer").drop("respondent")
    correlations = np.corrcoef(wide.fill_null(3).to_numpy().T)
    assert correlations[0, 1] > 0.3  # two forward items of one construct
    assert correlations[0, 3] < -0.3  # q04 is its construct's reverse item


def test_a_retailers_survey_ties_needs_to_personas() -> None:
    shop = generate_retailer(600, seed=2, events=False)
    survey = survey_of_retailer(shop.personas, share=0.5, fidelity=1.0, seed=2)
    joined = survey.classes.join(shop.personas, left_on="respondent", right_on="customer_id")
    assert joined.height == 300
    per_persona = joined.group_by("persona").agg(pl.col("planted").n_unique())
    assert per_persona["planted"].max() == 1


def test_classes_out_of_range_are_refused() -> None:
    with pytest.raises(ConfigError, match="one class from 0 to 3"):
        planted_survey(3, classes=np.array([0, 1, 7]))
