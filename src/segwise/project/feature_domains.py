"""The values a feature can take, to refuse an impossible one sent to ``/classify``.

A run computes its features, so they are in range by construction. A caller of
the service sends them: ``recency_days: -5``, ``p_alive: 1.7`` or ``orders: 2.5``
would be evaluated as given and answered with a confident segment. The features
segwise computes have known domains, by name (with or without a segmentation's
prefix, ``future.p_alive``); a whole-number column takes whole numbers. Customer
table attributes keep whatever the table holds: their domain is the user's.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any

from segwise.exceptions import ConfigError

if TYPE_CHECKING:
    import polars as pl

#: Counts, days and money amounts that are never below zero.
_NON_NEGATIVE = re.compile(
    r"recency_days|tenure_days|days_since_\w+|orders|frequency|\w+_\d+d|clv|expected_\w+"
)
#: Probabilities and shares.
_PROBABILITY = re.compile(r"p_alive|p_alive_repeat|share_\w+|confidence|resemblance")
#: RFM scores: 1 is the lowest.
_SCORE = re.compile(r"[rfm]_score")


def check_feature_value(column: str, value: Any, dtype: pl.DataType) -> None:
    """Refuse ``value`` for ``column`` (of type ``dtype``) where the feature cannot take it.

    Raises
    ------
    ConfigError
        The value is outside the feature's domain, or a fraction for a whole-number
        column; the message names the attribute and the range.

    Examples
    --------
    >>> import polars as pl
    >>> check_feature_value("recency_days", 12, pl.Int64())
    >>> check_feature_value("future.p_alive", 1.7, pl.Float64())
    Traceback (most recent call last):
    ...
    segwise.exceptions.ConfigError: attribute 'future.p_alive': 1.7 is not a probability ...
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(
            f"attribute '{column}': {value} is not a number",
            hint="send a finite number, or null for an unknown value",
        )
    if dtype.is_integer() and value != int(value):
        raise ConfigError(
            f"attribute '{column}': {value} is not a whole number",
            hint=f"{column} counts whole units; send one, e.g. {math.floor(value)}",
        )
    name = column.rpartition(".")[2]
    if _PROBABILITY.fullmatch(name) and not 0 <= value <= 1:
        raise ConfigError(
            f"attribute '{column}': {value} is not a probability (0 to 1)",
            hint="send a share as a fraction, e.g. 0.25 for 25%",
        )
    if _SCORE.fullmatch(name) and value < 1:
        raise ConfigError(
            f"attribute '{column}': {value} is below the lowest score, 1",
            hint="RFM scores run from 1 (lowest) up",
        )
    if _NON_NEGATIVE.fullmatch(name) and value < 0:
        raise ConfigError(
            f"attribute '{column}': {value} is negative, which {name} never is",
            hint="send the count or number of days as of now, 0 or more",
        )
