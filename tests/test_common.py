"""scikit-learn's own estimator checks over every segwise estimator.

Checks that cannot apply are listed with the reason, never skipped silently.
``PropensitySegmenter`` learns from a transaction log, not a feature matrix:
it runs every check that does not feed one, and its fit contract (returns
self, leaves its parameters alone, the same result twice) is tested in
tests/segmenters/test_propensity.py.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import (
    check_estimator_cloneable,
    check_estimator_repr,
    check_estimator_tags_renamed,
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
    check_valid_tag_types,
    parametrize_with_checks,
)

from segwise.segmenters import (
    ClusterSegmenter,
    HybridSegmenter,
    LookalikeSegmenter,
    LookalikeWarning,
    PropensitySegmenter,
    RuleSegmenter,
    SurveySegmenter,
    UnstableSegmentWarning,
)

RULES = {"positive first": "x0 > 0", "large second": "x1 > 1 OR x0 < -2"}

EXPECTED_FAILURES: dict[str, dict[str, str]] = {
    "SurveySegmenter": {
        "check_sample_weight_equivalence_on_dense_data": (
            "EM starts from random draws over the rows: repeating a row changes the draw, so an "
            "equally good optimum may come back with its classes in another order; the weighted "
            "likelihood itself equals the repeated-rows one (tests/segmenters/test_survey.py)"
        ),
    },
}


def _expected(estimator: Any) -> dict[str, str]:
    expected = dict(EXPECTED_FAILURES.get(type(estimator).__name__, {}))
    if isinstance(estimator, RuleSegmenter | HybridSegmenter) and estimator.rules is not None:
        expected["check_fit2d_1feature"] = (
            "a catalog whose rules read x1 cannot run on a one-column table; it says so with a "
            "RuleError naming the column and its position in the rule"
        )
    return expected


@parametrize_with_checks(
    [
        RuleSegmenter(),
        RuleSegmenter(RULES),
        ClusterSegmenter(n_segments=3, n_bootstrap=0, random_state=0),
        ClusterSegmenter(n_bootstrap=2, k_max=4, random_state=0),
        HybridSegmenter(),
        LookalikeSegmenter(size=0.2, random_state=0),
        SurveySegmenter(random_state=0),
        SurveySegmenter(2, n_init=1, random_state=0),
        HybridSegmenter(
            RULES, {"Other": ClusterSegmenter(n_segments=2, n_bootstrap=0, random_state=0)}
        ),
    ],
    expected_failed_checks=_expected,
)
def test_sklearn_compatible(estimator: Any, check: Any) -> None:
    with warnings.catch_warnings():
        # The checks cluster random noise: segments that do not come back are expected there.
        warnings.simplefilter("ignore", UnstableSegmentWarning)
        # Latent classes of ten rows of uniform noise need not converge: that is the data.
        warnings.simplefilter("ignore", ConvergenceWarning)
        # A seed drawn from noise has no customers alike outside it, and the fit says so.
        warnings.simplefilter("ignore", LookalikeWarning)
        check(estimator)


#: scikit-learn's checks that need no feature matrix: all a transaction-log estimator can take.
LOG_CHECKS = (
    check_estimator_cloneable,
    check_estimator_repr,
    check_estimator_tags_renamed,
    check_valid_tag_types,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_get_params_invariance,
    check_set_params,
)


@pytest.mark.parametrize("check", LOG_CHECKS, ids=lambda check: check.__name__)
@pytest.mark.parametrize(
    "estimator",
    [PropensitySegmenter(), PropensitySegmenter("purchase", 30, cutoffs=3, tiers=(0.1,))],
    ids=repr,
)
def test_transaction_log_estimators_pass_the_checks_without_a_matrix(
    estimator: Any, check: Any
) -> None:
    check(type(estimator).__name__, estimator)
