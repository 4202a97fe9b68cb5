"""The clustering feature transform: impute, log skewed values, scale robustly, encode categories.

It is fitted on a sample and stored as plain numbers (JSON), and it compiles
to Narwhals expressions, so the same transform runs on Polars, DuckDB or Spark
when every customer is assigned. Divisions are stored as multiplications
(``(x - centre) * inverse_scale``): Polars rewrites ``x / literal`` as a
multiplication anyway, and one form everywhere keeps the engines identical.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw
import numpy as np
import polars as pl

from segwise._validation import hint_for
from segwise.exceptions import ColumnNotFoundError, ConfigError
from segwise.features.elapsed import blank_means_never

if TYPE_CHECKING:
    from collections.abc import Sequence

#: Categories beyond this many (by frequency) share one "other" level.
MAX_LEVELS = 12
#: One-hot value: two different categories are then 1 apart in squared distance,
#: like one robust unit of a numeric feature.
ONE_HOT = math.sqrt(0.5)
#: Scaled values are winsorised at this many robust units from the median.
CAP = 3.0
_OTHER = "(other)"


@dataclass(frozen=True, slots=True)
class NumericFeature:
    """``(clip(f(coalesce(x, fill)), lower, upper) - centre) * inverse_scale``.

    ``f`` is ``log1p`` when ``log``; the signed log ``sign(x)·log1p(|x|)`` when
    ``log`` and ``signed`` (a skewed column with a few negative values, such as
    net revenue after returns, keeps its log instead of losing it for everyone);
    otherwise the value itself. The clip (winsorising at ``CAP`` robust units
    from the median, and at the sample's 0.5th and 99.5th percentiles) keeps a
    handful of extreme customers from pulling a segment of their own.
    ``reason`` says why, for the report.
    """

    name: str
    fill: float
    log: bool
    centre: float
    inverse_scale: float
    signed: bool = False
    lower: float | None = None
    upper: float | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class CategoricalFeature:
    """A text column, NULLs filled with its mode, levels beyond the top ones merged."""

    name: str
    fill: str
    levels: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FeatureTransform:
    """A fitted transform from customer columns to the clustering space."""

    numeric: tuple[NumericFeature, ...]
    categorical: tuple[CategoricalFeature, ...]

    @property
    def input_names(self) -> list[str]:
        """The customer columns the transform reads."""
        return [f.name for f in self.numeric] + [f.name for f in self.categorical]

    @property
    def output_names(self) -> list[str]:
        """Columns of the clustering space: scaled numerics, then one-hot levels."""
        return [f.name for f in self.numeric] + [
            f"{f.name}={level}" for f in self.categorical for level in f.levels
        ]

    # -- engine expressions ---------------------------------------------------------------
    def numeric_exprs(self, *, clip: bool = True) -> list[nw.Expr]:
        """One expression per numeric feature, named as the feature.

        ``clip=False`` skips the winsorising: how far out a value really is.
        """
        exprs = []
        for f in self.numeric:
            value = nw.col(f.name).cast(nw.Float64()).fill_null(f.fill)
            if f.log and f.signed:
                magnitude = (value.abs() + 1.0).log()
                value = nw.when(value < 0).then(magnitude * -1.0).otherwise(magnitude)
            elif f.log:
                value = (value.clip(lower_bound=0.0) + 1.0).log()
            if clip and (f.lower is not None or f.upper is not None):
                value = value.clip(lower_bound=f.lower, upper_bound=f.upper)
            exprs.append(((value - f.centre) * f.inverse_scale).alias(f.name))
        return exprs

    def category_exprs(self) -> list[nw.Expr]:
        """Each categorical column as its filled, merged level (text)."""
        exprs = []
        for f in self.categorical:
            text = nw.col(f.name).cast(nw.String()).fill_null(f.fill)
            known = text.is_in(list(f.levels))
            exprs.append(nw.when(known).then(text).otherwise(nw.lit(_OTHER)).alias(f.name))
        return exprs

    def one_hot_exprs(self) -> list[nw.Expr]:
        """One-hot columns (value ``ONE_HOT`` or 0) over the merged levels."""
        exprs: list[nw.Expr] = []
        for f in self.categorical:
            text = nw.col(f.name).cast(nw.String()).fill_null(f.fill)
            exprs.extend(
                nw.when(text == level)
                .then(nw.lit(ONE_HOT))
                .otherwise(nw.lit(0.0))
                .alias(f"{f.name}={level}")
                for level in f.levels
            )
        return exprs

    def matrix(self, frame: nw.LazyFrame[Any] | pl.DataFrame) -> np.ndarray:
        """The clustering space as a float matrix (numerics, then one-hot levels)."""
        lazy = frame if isinstance(frame, nw.LazyFrame) else nw.from_native(frame.lazy())
        out = lazy.select(*self.numeric_exprs(), *self.one_hot_exprs())
        return np.asarray(out.collect(backend="polars").to_native().to_numpy(), dtype=float)

    def categories(self, frame: nw.LazyFrame[Any] | pl.DataFrame) -> np.ndarray:
        """The merged categorical levels as an object matrix (for k-prototypes)."""
        lazy = frame if isinstance(frame, nw.LazyFrame) else nw.from_native(frame.lazy())
        if not self.categorical:
            return np.empty((0, 0), dtype=object)
        out = lazy.select(*self.category_exprs()).collect(backend="polars").to_native()
        return np.asarray(out.to_numpy(), dtype=object)

    # -- persistence ----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values."""
        return {
            "numeric": [asdict(f) for f in self.numeric],
            "categorical": [{**asdict(f), "levels": list(f.levels)} for f in self.categorical],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureTransform:
        """Rebuild a transform saved by :meth:`to_dict`."""
        return cls(
            tuple(NumericFeature(**f) for f in data["numeric"]),
            tuple(
                CategoricalFeature(f["name"], f["fill"], tuple(f["levels"]))
                for f in data["categorical"]
            ),
        )

    # -- fitting --------------------------------------------------------------------------
    @classmethod
    def fit(
        cls,
        sample: pl.DataFrame,
        *,
        numeric: Sequence[str],
        categorical: Sequence[str],
        log_transform: str | Sequence[str] = "auto",
    ) -> FeatureTransform:
        """Learn fills, logs, centres, scales and levels from a sample.

        ``log_transform="auto"`` logs columns whose skewness is above 1 (money,
        counts), with the signed log when a few values are negative; pass a list
        to choose, or ``[]`` for none. Scaling is robust: centre = median, scale =
        IQR, or the 5-95% range ÷ 2.44 when that is larger (mostly-zero columns),
        then the standard deviation, then 1. Values are winsorised at ``CAP`` (3)
        scales from the median and at the 0.5th and 99.5th percentiles.

        Examples
        --------
        >>> sample = pl.DataFrame(
        ...     {"spend": [1.0, 2.0, 3.0, 500.0], "os": ["ios", None, "ios", "web"]}
        ... )
        >>> t = FeatureTransform.fit(sample, numeric=["spend"], categorical=["os"])
        >>> t.numeric[0].log, t.categorical[0].levels
        (True, ('ios', 'web'))
        """
        numeric_features = []
        for name in numeric:
            values = sample[name].cast(pl.Float64).drop_nulls().drop_nans().to_numpy()
            if values.size == 0:
                raise ConfigError(
                    f"feature '{name}' has no values in the sample",
                    hint="drop it from the features, or check the data",
                )
            fill = float(np.median(values))
            values = np.where(np.isnan(values), fill, values)
            skew = _skewness(values)
            negatives = int((values < 0).sum())
            log = skew > 1.0 if isinstance(log_transform, str) else name in log_transform
            # One negative value must not switch the log off for the whole column.
            signed = bool(log and negatives > 0)
            if signed:
                values = np.sign(values) * np.log1p(np.abs(values))
                reason = f"skewed ({skew:.1f}) with {negatives:,} negative values: signed log"
            elif log:
                values = np.log(np.clip(values, 0, None) + 1.0)
                reason = f"skewed ({skew:.1f}), not negative: log"
            else:
                reason = f"not skewed ({skew:.1f}): as it is"
            centre = float(np.median(values))
            q1, q3 = np.percentile(values, [25, 75])
            p5, p95 = np.percentile(values, [5, 95])
            # IQR, or for a mostly-zero column (returns) the 5-95% range on the IQR's scale:
            # an IQR of 0 would blow the few non-zero customers up into a segment of their own.
            scale = max(float(q3 - q1), float(p95 - p5) / 2.44) or float(values.std()) or 1.0
            # Winsorise: no customer is further than CAP robust units from the median on any
            # one feature, so a handful of extremes cannot pull a segment of their own.
            low, high = (float(v) for v in np.percentile(values, [0.5, 99.5]))
            lower = max(low, centre - CAP * scale)
            upper = min(high, centre + CAP * scale)
            if blank_means_never(name):
                # No order (no login) yet is not the typical time since the last one but the
                # far end: as far out as winsorising lets anyone be.
                fill = _untransformed(upper, log=bool(log), signed=signed)
                reason += "; blank (never) placed at the far end"
            numeric_features.append(
                NumericFeature(
                    name,
                    fill,
                    bool(log),
                    centre,
                    1.0 / scale,
                    signed=signed,
                    lower=lower,
                    upper=upper,
                    reason=f"{reason}; median/IQR scaled, winsorised at ±{CAP:g} IQRs "
                    "(and the 0.5th/99.5th percentiles)",
                )
            )
        categorical_features = []
        for name in categorical:
            counts = (
                sample.select(pl.col(name).cast(pl.String))
                .drop_nulls()
                .group_by(name)
                .len()
                .sort(["len", name], descending=[True, False])
            )
            if counts.height == 0:
                raise ConfigError(f"feature '{name}' has no values in the sample")
            levels = tuple(str(v) for v in counts[name].head(MAX_LEVELS).to_list())
            if counts.height > MAX_LEVELS:
                levels = (*levels, _OTHER)
            categorical_features.append(CategoricalFeature(name, str(counts[name][0]), levels))
        return cls(tuple(numeric_features), tuple(categorical_features))


def _untransformed(value: float, *, log: bool, signed: bool) -> float:
    """The raw value the (signed) log maps to ``value``."""
    if not log:
        return value
    magnitude = math.expm1(abs(value))
    return -magnitude if signed and value < 0 else magnitude


def _skewness(values: np.ndarray) -> float:
    spread = values.std()
    if spread == 0:
        return 0.0
    return float(np.mean(((values - values.mean()) / spread) ** 3))


def split_features(
    schema: dict[str, Any],
    *,
    features: Sequence[str] | None,
    categorical: Sequence[str] | None,
    exclude: Sequence[str] = (),
) -> tuple[list[str], list[str]]:
    """Numeric and categorical feature names: detected from dtypes, or as given.

    Ids, dates and the ``exclude`` columns are never features unless named.
    """
    names = list(features) if features is not None else [c for c in schema if c not in exclude]
    for name in names:
        if name not in schema:
            raise ColumnNotFoundError(f"no feature column '{name}'", hint=hint_for(name, schema))
    chosen_categorical = set(categorical or ())
    numeric, text = [], []
    for name in names:
        dtype = schema[name]
        if name in chosen_categorical or isinstance(
            dtype, nw.String | nw.Categorical | nw.Enum | nw.Boolean
        ):
            text.append(name)
        elif dtype.is_numeric():
            numeric.append(name)
        elif features is not None:
            raise ConfigError(
                f"feature '{name}' has type {dtype}; clustering reads numbers and categories",
                hint="turn dates into numbers first (e.g. days since), or drop the column",
            )
    if not numeric and not text:
        raise ConfigError("no usable features", hint="name numeric or categorical columns")
    return numeric, text
