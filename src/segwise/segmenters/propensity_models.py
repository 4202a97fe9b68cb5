"""The models a propensity model learns with (the default, LightGBM) and the BTYD baseline.

Churn and purchase labels are noisy (the same customer may or may not come
back for reasons no feature holds), so both are regularised: leaves of at
least 200 rows (fewer on small data) and an L2 penalty keep the trees from
chasing single customers. Measured on CDNOW and Online Retail II: the AUC
over recency steadier across seeds, the same calibration error
(docs/propensity.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw
import polars as pl
from sklearn.ensemble import HistGradientBoostingClassifier

from segwise.engine.frames import to_lazy
from segwise.exceptions import ConfigError, SegwiseError
from segwise.io.timestamps import AsOf
from segwise.models.propensity_backtest import better_direction_auc
from segwise.segmenters.windows import LABEL, dated_rows

if TYPE_CHECKING:
    from datetime import date


def gradient_boosting(
    categorical: list[bool], rows: int, random_state: int | None = None
) -> HistGradientBoostingClassifier:
    """scikit-learn's histogram gradient boosting, regularised for ``rows`` training rows.

    Examples
    --------
    >>> gradient_boosting([False, True], rows=50_000).min_samples_leaf
    200
    >>> gradient_boosting([False], rows=900).min_samples_leaf
    20
    """
    return HistGradientBoostingClassifier(
        categorical_features=categorical,
        min_samples_leaf=min(200, max(20, rows // 100)),
        l2_regularization=1.0,
        random_state=random_state,
    )


def lightgbm_classifier(random_state: int | None = None) -> Any:
    """LightGBM's classifier, quiet and regularised like the default, for ``estimator=``.

    Raises a one-line :class:`~segwise.exceptions.ConfigError` when LightGBM
    is not installed (``pip install "segwise[lightgbm]"``).
    """
    try:
        from lightgbm import LGBMClassifier  # noqa: PLC0415 - optional
    except ImportError:
        raise ConfigError(
            "model: lightgbm needs the lightgbm package, which is not installed",
            hint='pip install "segwise[lightgbm]", or use the default model',
        ) from None
    return LGBMClassifier(
        random_state=random_state, verbose=-1, min_child_samples=100, reg_lambda=1.0
    )


def palive_auc(transactions: Any, cutoff: date, rows: pl.DataFrame) -> float | None:
    """How well BG/NBD's P(alive) at ``cutoff`` ranks the outcome on ``rows`` (None: no fit).

    The BTYD model is the other baseline a propensity model should beat: fitted
    on the purchases up to the test cut-off, as the propensity model is.
    """
    import warnings  # noqa: PLC0415

    from segwise.features.summary import rfm_summary  # noqa: PLC0415
    from segwise.models import BetaGeoModel  # noqa: PLC0415

    frame = dated_rows(transactions, "transactions").filter(AsOf(cutoff).keep("timestamp"))
    if "is_return" in frame.collect_schema().names():
        frame = frame.filter(~nw.col("is_return"))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a poor fit shows in its AUC; its notes are not ours
            summary = rfm_summary(frame, observation_period_end=cutoff, time_unit="W")
            table = pl.DataFrame(to_lazy(summary).collect(backend="polars").to_native())
            alive = BetaGeoModel().fit(table).p_alive(table)
    except (SegwiseError, ValueError, FloatingPointError):
        return None
    scored = pl.DataFrame({"customer_id": table["customer_id"].cast(pl.String), "alive": alive})
    joined = rows.select("customer_id", LABEL).join(scored, on="customer_id", how="inner")
    if joined.height < 2:
        return None
    return better_direction_auc(joined[LABEL].to_numpy(), joined["alive"].to_numpy())
