"""The latent class EM: StepMix's fit reproduced, the closed forms it must meet, any input."""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from segwise.datasets import planted_survey
from segwise.segmenters.latent_class import LatentClassFit, fit_latent_classes
from segwise.segmenters.survey import MAX_CATEGORIES, AnswerCoder


def _planted_codes(respondents: int) -> tuple[np.ndarray, list[int]]:
    data = planted_survey(respondents, seed=3)
    wide = (
        data.responses.with_columns(pl.col("answer").cast(pl.Int64))
        .pivot(on="question", index="respondent", values="answer")
        .sort("respondent")
    )
    names = [c for c in wide.columns if c != "respondent"]
    coder = AnswerCoder.learn(wide, names, MAX_CATEGORIES)
    return coder.encode(wide), coder.categories()


def _log_likelihood(fit: LatentClassFit, codes: np.ndarray, weights: np.ndarray) -> float:
    """The weighted log-likelihood, one respondent and one question at a time."""
    total = 0.0
    for row, weight in zip(codes, weights, strict=True):
        per_class = fit.shares.copy()
        for j, code in enumerate(row):
            if not np.isnan(code):
                per_class = per_class * fit.answer_probabilities[:, j, int(code)]
        total += weight * np.log(per_class.sum())
    return total


def test_the_fit_reaches_stepmixs_likelihood_on_a_planted_survey_with_gaps() -> None:
    # StepMix (Morin et al. 2023) is the reference implementation of the same model and
    # estimator (EM, unanswered questions skipped): the same data, the same best likelihood.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", SyntaxWarning)
        from stepmix.stepmix import StepMix

    codes, categories = _planted_codes(800)
    assert np.isnan(codes).any()  # the planted survey leaves some questions unanswered
    weights = np.ones(len(codes))
    for k in (3, 4):
        reference = StepMix(
            n_components=k, measurement="categorical_nan", n_init=5, max_iter=2000,
            abs_tol=0, rel_tol=1e-10, random_state=0, verbose=0, progress_bar=0,
        ).fit(codes)  # fmt: skip
        theirs = float(reference.score(codes)) * len(codes)
        ours = fit_latent_classes(
            codes, categories, k, weights, n_init=5, max_iter=2000, rel_tol=1e-10,
            rng=np.random.default_rng(0),
        )  # fmt: skip
        assert ours.converged
        assert ours.log_likelihood == pytest.approx(theirs, rel=1e-6)
        assert ours.n_parameters == reference.n_parameters
        # The same classes: each of ours has a StepMix class of the same share.
        shares = np.sort(np.asarray(reference.get_parameters()["weights"]))
        assert np.sort(ours.shares) == pytest.approx(shares, abs=1e-3)


def test_one_class_is_the_answer_frequencies_among_those_who_answered() -> None:
    codes = np.array([[0, 1], [1, np.nan], [1, 2], [np.nan, 2], [1, 2]], dtype=float)
    weights = np.array([1.0, 2.0, 1.0, 1.0, 3.0])
    fit = fit_latent_classes(
        codes, [2, 3], 1, weights, n_init=1, max_iter=50, rel_tol=1e-12,
        rng=np.random.default_rng(0),
    )  # fmt: skip
    # Question 1: code 0 by weight 1, code 1 by 2 + 1 + 3 of the 7 who answered it.
    assert fit.answer_probabilities[0, 0, :2] == pytest.approx([1 / 7, 6 / 7])
    # Question 2: code 1 by weight 1, code 2 by 1 + 1 + 3 of the 6 who answered it.
    assert fit.answer_probabilities[0, 1] == pytest.approx([0.0, 1 / 6, 5 / 6])
    assert fit.shares.tolist() == [1.0]
    assert fit.n_parameters == 1 + 2


def test_a_respondent_who_answered_nothing_gets_the_class_shares() -> None:
    codes, categories = _planted_codes(300)
    fit = fit_latent_classes(
        codes, categories, 3, np.ones(len(codes)), n_init=2, max_iter=500, rel_tol=1e-9,
        rng=np.random.default_rng(1),
    )  # fmt: skip
    blank = np.full((1, codes.shape[1]), np.nan)
    assert fit.posterior(blank)[0] == pytest.approx(fit.shares)


def test_a_question_nobody_answered_changes_nothing() -> None:
    codes, categories = _planted_codes(300)
    with_blank = np.column_stack([codes, np.full(len(codes), np.nan)])
    fits = [
        fit_latent_classes(
            table,
            sizes,
            3,
            np.ones(len(codes)),
            n_init=2,
            max_iter=500,
            rel_tol=1e-10,
            rng=np.random.default_rng(2),
        )
        for table, sizes in ((codes, categories), (with_blank, [*categories, 0]))
    ]
    assert fits[1].log_likelihood == pytest.approx(fits[0].log_likelihood, rel=1e-9)
    assert fits[1].n_parameters == fits[0].n_parameters
    assert fits[1].posterior(with_blank) == pytest.approx(fits[0].posterior(codes))


@given(
    rows=st.integers(2, 40),
    questions=st.integers(1, 4),
    k=st.integers(1, 3),
    seed=st.integers(0, 2**32 - 1),
)
# A class left with a subnormal weight on a question answered once: its probabilities summed
# to 1e-17 (the counts were divided by the floor, not by the weight).
@example(rows=2, questions=4, k=2, seed=16777217)
def test_any_answers_give_a_proper_fit_whose_likelihood_is_its_own(
    rows: int, questions: int, k: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    categories = rng.integers(2, 5, questions).tolist()
    codes = np.column_stack([rng.integers(0, c, rows) for c in categories]).astype(float)
    codes[rng.random(codes.shape) < 0.2] = np.nan
    weights = rng.integers(1, 4, rows).astype(float)
    fit = fit_latent_classes(
        codes, categories, k, weights, n_init=2, max_iter=200, rel_tol=1e-9, rng=rng
    )
    assert fit.shares.sum() == pytest.approx(1.0)
    for j, count in enumerate(categories):
        assert fit.answer_probabilities[:, j, :count].sum(axis=1) == pytest.approx(np.ones(k))
        assert not fit.answer_probabilities[:, j, count:].any()
    posterior = fit.posterior(codes)
    assert posterior.sum(axis=1) == pytest.approx(np.ones(rows))
    assert fit.log_likelihood == pytest.approx(_log_likelihood(fit, codes, weights), rel=1e-9)
