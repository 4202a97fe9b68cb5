"""FeatureMatrix: text coded once from training rows, numbers kept, gaps as NaN."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from segwise.exceptions import ColumnNotFoundError
from segwise.segmenters import feature_matrix
from segwise.segmenters.feature_matrix import FeatureMatrix


def test_codes_are_learned_once_and_reused() -> None:
    train = pl.DataFrame({"n": [1.0, 2.0, None], "city": ["York", "Leeds", "York"]})
    coder = FeatureMatrix.learn(train, ["n", "city"])
    assert coder.categories == {"city": ["York", "Leeds"]}  # most frequent first
    later = pl.DataFrame({"city": ["Leeds", None, "Hull"], "n": [5.0, 6.0, None]})
    np.testing.assert_array_equal(
        coder.encode(later), np.array([[5.0, 1.0], [6.0, np.nan], [np.nan, np.nan]])
    )
    assert coder.encode(pl.DataFrame({"n": [1.0]}))[0, 1] != coder.encode(later)[0, 1]


def test_rare_values_beyond_the_cap_are_other(monkeypatch: pytest.MonkeyPatch) -> None:
    values = [f"v{k}" for k in range(10) for _ in range(10 - k)]  # v0 the most frequent
    monkeypatch.setattr(feature_matrix, "MAX_CATEGORIES", 4)
    coder = FeatureMatrix.learn(pl.DataFrame({"c": values}), ["c"])
    assert coder.categories["c"] == ["v0", "v1", "v2", feature_matrix.OTHER]
    assert coder.encode(pl.DataFrame({"c": ["v9", "v1"]})).ravel().tolist() == [3.0, 1.0]


def test_a_feature_the_table_lacks_is_named_with_what_is_close() -> None:
    with pytest.raises(ColumnNotFoundError, match=r"no feature column 'order'.*'orders'"):
        FeatureMatrix.learn(pl.DataFrame({"orders": [1, 2], "city": ["Hull", "York"]}), ["order"])
