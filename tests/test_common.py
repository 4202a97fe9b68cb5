"""scikit-learn's own estimator checks over every segwise estimator.

Checks that cannot apply are listed with the reason, never skipped silently.
"""

from __future__ import annotations

import warnings
from typing import Any

from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import parametrize_with_checks

from segwise.segmenters import (
    ClusterSegmenter,
    HybridSegmenter,
    LookalikeSegmenter,
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
        check(estimator)
