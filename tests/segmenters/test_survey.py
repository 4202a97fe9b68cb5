"""SurveySegmenter: planted latent classes found, and Goodman's published fit reproduced."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import adjusted_rand_score

from segwise.datasets import planted_survey
from segwise.exceptions import ConfigError
from segwise.segmenters import SurveySegmenter

# The values survey (Stouffer & Toby 1951) as tabulated by Goodman (1974, Table 1) and
# shipped as poLCA's `values` data: four yes/no answers of 216 people. Patterns are the
# binary digits of 0..15 (A B C D); counts as in the table.
VALUES_PATTERNS = np.array([[int(c) for c in f"{i:04b}"] for i in range(16)])
VALUES_COUNTS = np.array([20, 2, 9, 2, 6, 1, 4, 1, 38, 7, 24, 6, 25, 6, 23, 42])


def _wide(responses: pl.DataFrame) -> pl.DataFrame:
    return (
        responses.with_columns(pl.col("answer").cast(pl.Int64))
        .pivot(on="question", index="respondent", values="answer")
        .sort("respondent")
    )


@pytest.fixture(scope="module")
def planted() -> tuple[pl.DataFrame, np.ndarray, SurveySegmenter]:
    data = planted_survey(2_000, seed=11)
    wide = _wide(data.responses)
    truth = data.classes.sort("respondent")["planted"].to_numpy()
    return wide, truth, SurveySegmenter(id_col="respondent", random_state=0).fit(wide)


def test_four_planted_classes_in_twenty_likert_items_are_chosen_and_recovered(
    planted: tuple[pl.DataFrame, np.ndarray, SurveySegmenter],
) -> None:
    _wide_table, truth, model = planted
    assert model.n_classes_ == 4
    assert adjusted_rand_score(truth, model.labels_) >= 0.8
    chosen = model.fit_table_.filter(pl.col("chosen"))
    assert chosen["classes"].item() == 4
    assert chosen["bic"].item() == model.fit_table_["bic"].min()
    assert model.entropy_ > 0.9
    # Class 0 is the largest; shares sum to one.
    assert np.argmax(np.bincount(model.labels_)) == 0
    assert model.weights_.sum() == pytest.approx(1.0)


def test_segment_gives_each_respondent_a_class_and_its_probability(
    planted: tuple[pl.DataFrame, np.ndarray, SurveySegmenter],
) -> None:
    wide, _truth, model = planted
    out = model.segment(wide)
    assert out.columns == ["respondent", "segment", "confidence"]
    assert out["segment"].to_list() == model.labels_.tolist()
    assert out["confidence"].min() >= 1 / model.n_classes_


def test_unanswered_and_unseen_answers_are_skipped_not_refused(
    planted: tuple[pl.DataFrame, np.ndarray, SurveySegmenter],
) -> None:
    wide, _truth, model = planted
    first = wide.head(5)
    blanked = first.with_columns(pl.col("q01", "q02").cast(pl.Float64) * np.nan)
    odd = first.with_columns(pl.lit(9).alias("q03"))  # 9 is on no one's scale
    for rows in (blanked, odd):
        proba = model.predict_proba(rows)
        assert np.allclose(proba.sum(axis=1), 1.0)
        # Most answers are left: the class rarely changes.
        assert (proba.argmax(axis=1) == model.labels_[:5]).sum() >= 4


def test_goodmans_values_survey_reproduces_the_published_log_likelihoods() -> None:
    # poLCA's documentation replicates Goodman (2002, Tables 5b-6): the independence (one
    # class) model has log-likelihood -543.6498 and the two-class model -504.4677.
    one = SurveySegmenter(1).fit(VALUES_PATTERNS, sample_weight=VALUES_COUNTS)
    two = SurveySegmenter(2, n_init=10, random_state=0).fit(
        VALUES_PATTERNS, sample_weight=VALUES_COUNTS
    )
    assert one.log_likelihood_ == pytest.approx(-543.6498, abs=1e-3)
    assert two.log_likelihood_ == pytest.approx(-504.4677, abs=1e-3)
    # Goodman's two classes: 72% "universalistic", 28% "particularistic".
    assert two.weights_.tolist() == pytest.approx([0.7208, 0.2792], abs=1e-3)


def test_weights_give_the_same_likelihood_as_repeated_rows() -> None:
    repeated = np.repeat(VALUES_PATTERNS, VALUES_COUNTS, axis=0)
    weighted = SurveySegmenter(2, n_init=10, random_state=0).fit(
        VALUES_PATTERNS, sample_weight=VALUES_COUNTS
    )
    plain = SurveySegmenter(2, n_init=10, random_state=0).fit(repeated)
    assert weighted.log_likelihood_ == pytest.approx(plain.log_likelihood_, abs=1e-3)
    assert weighted.bic_ == pytest.approx(plain.bic_, abs=1e-2)


# Answers drawn at random have no classes to converge to: only the coding is tested here.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_many_valued_numbers_are_cut_into_bins_and_text_answers_are_categories() -> None:
    rng = np.random.default_rng(0)
    table = pl.DataFrame(
        {
            "spend": rng.lognormal(3, 1, 300),
            "channel": rng.choice(["email", "sms", "app"], 300),
            "likert": rng.integers(1, 6, 300),
        }
    )
    model = SurveySegmenter(2, max_categories=5, random_state=0).fit(table)
    assert model.coder_.binned == (True, False, False)
    assert model.coder_.categories() == [5, 3, 5]
    assert model.coder_.levels[1] == ("app", "email", "sms")


@pytest.mark.parametrize(
    ("params", "error", "words"),
    [
        ({"n_classes": "many"}, ConfigError, "'auto' or a whole number"),
        ({"min_classes": 5, "max_classes": 3}, ConfigError, "at most max_classes"),
        ({"max_categories": 1}, ConfigError, "max_categories"),
        ({"n_classes": 50}, ValueError, "between 1 and 20"),
        ({"max_iter": 0}, ConfigError, "max_iter must be a whole number ≥ 1, not 0"),
        ({"n_init": 2.5}, ConfigError, "n_init must be a whole number ≥ 1, not 2.5"),
    ],
    ids=[
        "bad-count",
        "inverted-range",
        "one-category",
        "more-classes-than-rows",
        "no-iterations",
        "fractional-starts",
    ],
)
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_bad_settings_say_what_to_change(params: dict, error: type, words: str) -> None:
    rows = np.random.default_rng(0).integers(1, 6, (20, 3))
    with pytest.raises(error, match=words):
        SurveySegmenter(**params).fit(rows)


def test_the_classes_follow_the_respondents_not_the_rows_order(
    planted: tuple[pl.DataFrame, np.ndarray, SurveySegmenter],
) -> None:
    # EM starts from rows drawn at random: a query's rows come in no fixed order, and the
    # same respondents shuffled once gave another draw, so other classes.
    wide, _truth, model = planted
    shuffled = wide.sample(fraction=1.0, shuffle=True, seed=3)
    again = SurveySegmenter(id_col="respondent", random_state=0).fit(shuffled.lazy())
    expected = model.segment(wide).sort("respondent")
    assert again.segment(shuffled.lazy()).collect().sort("respondent").equals(expected)
    # labels_ follow the rows fitted on.
    assert again.labels_.tolist() == again.segment(shuffled)["segment"].to_list()


def test_weights_come_as_a_column_of_a_query_and_not_by_position() -> None:
    patterns = pl.DataFrame(VALUES_PATTERNS, schema=list("abcd")).with_columns(
        respondents=pl.Series(VALUES_COUNTS)
    )
    by_column = SurveySegmenter(2, n_init=10, random_state=0).fit(
        patterns.lazy(), sample_weight="respondents"
    )
    assert by_column.coder_.columns == tuple("abcd")
    assert by_column.log_likelihood_ == pytest.approx(-504.4677, abs=1e-3)
    with pytest.raises(ConfigError, match="sample_weight cannot be matched to X's rows"):
        SurveySegmenter(2).fit(patterns.lazy(), sample_weight=VALUES_COUNTS)
    with pytest.raises(ConfigError, match="id_col: X has no column 'respondent'"):
        SurveySegmenter(2, id_col="respondent").fit(patterns, sample_weight="respondents")
