"""Segment profiles: size, share, value, how each segment differs, a name and a defining rule.

Works for any segmentation (clusters, rules, RFM): give the customer table
and each customer's segment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from segwise._validation import hint_for
from segwise.engine.frames import to_lazy
from segwise.exceptions import ColumnNotFoundError, ConfigError
from segwise.io.dataset import Dataset
from segwise.profiling import vocabulary
from segwise.profiling.between_orders import between_orders
from segwise.profiling.definitions import define_segments
from segwise.profiling.repeat import ORDERS, repeat_share, repeat_trait
from segwise.profiling.traits import (
    Trait,
    auto_names,
    category_trait,
    missing_trait,
    numeric_trait,
    rank,
)
from segwise.profiling.typical import FEW_TRAITS, near_average, typical_trait
from segwise.profiling.unpaid import UNPAID_CONCEPTS, unpaid_share, unpaid_trait

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping, Sequence

#: Value columns looked for (in order) when ``value_col="auto"``.
VALUE_COLUMNS = ("monetary", "net_revenue", "revenue", "clv", "monetary_value", "spend")
MAX_CATEGORY_LEVELS = 50
#: A segment this much of which never bought reads "have never bought", not its zero purchases.
NEVER_BOUGHT_SHARE = 0.95
#: What a customer who never bought has none of: on a segment where nobody bought, traits on
#: these only restate it ("orders far below average (0 vs 4.22)", "returns 0% of what they
#: buy"), so the one "have never bought" says it.
PURCHASE_CONCEPTS = frozenset(
    {"frequency", "value", "basket", "returns", "cycle", "tenure", "category"}
)


@dataclass
class SegmentProfile:
    """One segment, as a segment card shows it."""

    segment: str
    label: int
    size: int
    share: float
    revenue_share: float | None
    value_mean: float | None
    traits: list[str]
    name: str
    numeric: pl.DataFrame
    categories: pl.DataFrame
    rule: str | None = None
    rule_precision: float | None = None
    rule_recall: float | None = None
    trait_details: list[Trait] = field(default_factory=list, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values."""
        return {
            "segment": self.segment,
            "segment_id": self.label,
            "name": self.name,
            "size": self.size,
            "share": self.share,
            "revenue_share": self.revenue_share,
            "value_mean": self.value_mean,
            "traits": self.traits,
            "rule": self.rule,
            "rule_precision": self.rule_precision,
            "rule_recall": self.rule_recall,
        }


@dataclass
class SegmentProfiles:
    """Profiles of every segment of one segmentation."""

    total: int
    value_col: str | None
    segments: list[SegmentProfile]

    @property
    def names(self) -> dict[int, str]:
        """Segment label → (auto or edited) name."""
        return {p.label: p.name for p in self.segments}

    def rename(self, names: dict[int, str] | dict[str, str]) -> SegmentProfiles:
        """Edit names (by label or by segment); names must stay unique."""
        for profile in self.segments:
            new = names.get(profile.label, names.get(profile.segment))  # type: ignore[call-overload]
            if new is not None:
                profile.name = str(new)
        if len({p.name for p in self.segments}) != len(self.segments):
            raise ConfigError("segment names must be unique", hint="give each segment its own name")
        return self

    def to_frame(self) -> pl.DataFrame:
        """One row per segment: id, name, size, share, revenue share, traits, rule."""
        return pl.DataFrame([{**p.to_dict(), "traits": "; ".join(p.traits)} for p in self.segments])

    def to_dict(self) -> list[dict[str, Any]]:
        """Every profile as plain values."""
        return [p.to_dict() for p in self.segments]


def _table(data: Any) -> pl.DataFrame:
    frame = data.data if isinstance(data, Dataset) else to_lazy(data)
    return pl.DataFrame(frame.collect(backend="polars").to_native())


def profile_segments(
    data: Any,
    segments: str | Any,
    *,
    features: list[str] | None = None,
    exclude: list[str] | tuple[str, ...] = (),
    value_col: str | None = "auto",
    names: dict[int, str] | None = None,
    max_traits: int = 5,
    definitions: bool = True,
    random_state: int = 0,
    currency: str | None = None,
    defining: Mapping[str, Collection[str]] | None = None,
) -> SegmentProfiles:
    """Profile each segment against the whole population.

    Parameters
    ----------
    data
        The customer table (any frame or Dataset) with the features.
    segments
        A column of ``data`` holding each customer's segment (names or
        labels), or an array aligned with the rows (e.g. ``labels_``).
    features
        Columns to describe; default every numeric and low-cardinality text
        column except the segment column and ``exclude``.
    value_col
        Money column for the revenue share; ``"auto"`` looks for
        ``monetary``, ``net_revenue``, ``revenue``, ``clv`` …; None for none.
    names
        Names to use instead of the auto-names (label → name).
    max_traits
        Traits per segment (3–5 read well).
    definitions
        Also fit the shallow decision trees that give each segment a rule.
    currency
        How money reads in traits: a code (``GBP`` → £1,200) or a symbol;
        None shows plain amounts.
    defining
        Per segment, the features its definition reads (an RFM segment's
        recency, orders and revenue; the columns of a rule): their traits lead
        its card and its name, before stronger but incidental ones. A segment
        without one (a cluster) is led by the feature its fitted rule splits
        on first, when that rule has precision and recall of 80% or more.

    Returns
    -------
    SegmentProfiles
        Per segment: size, share, revenue share, medians and means against the
        population with lift, over-represented categories, traits in words,
        a deterministic unique name, and a rule with its precision and recall.

    Examples
    --------
    >>> import polars as pl
    >>> table = pl.DataFrame({"orders": [1, 1, 2, 9, 8, 10],
    ...                       "monetary": [10.0, 12, 9, 400, 380, 500],
    ...                       "segment": ["a", "a", "a", "b", "b", "b"]})
    >>> profiles = profile_segments(table, "segment")
    >>> profiles.segments[1].name, profiles.segments[1].traits[0]
    ('High-value frequent customers', 'spends 2.0× the average (427 vs 218)')
    """
    table = _table(data)
    segment_values, skip = _segment_values(table, segments, exclude)
    table = table.with_columns(segment_values.cast(pl.String).alias("__segment"))
    numeric, categorical = _describe_columns(table, features, skip)
    value = _value_column(table, value_col)
    order = _segment_order(table, segment_values)
    labels = np.asarray([order.get(v, -1) for v in table["__segment"].to_list()], dtype=np.int64)
    total = table.height
    overall_numeric = _overall_spreads(table, numeric)
    overall_missing = {name: _missing_share(table, name) for name in numeric}
    overall_shares = {
        name: table[name].cast(pl.String).value_counts(normalize=True, name="share")
        for name in categorical
    }
    value_total = _number(table[value].clip(lower_bound=0).sum()) if value else 0.0
    overall_unpaid = unpaid_share(table, value)
    overall_repeat = repeat_share(table)
    rules = (
        define_segments(
            table, labels, numeric=numeric, categorical=categorical, random_state=random_state
        )
        if definitions
        else {}
    )
    profiles: list[SegmentProfile] = []
    traits_by_label: dict[int, list[Trait]] = {}
    means_by_label: dict[int, dict[str, float]] = {}
    for segment, label in sorted(order.items(), key=lambda item: item[1]):
        members = table.filter(pl.col("__segment") == segment)
        paid_nothing = unpaid_trait(value, unpaid_share(members, value), overall_unpaid)
        numeric_rows, numeric_traits, near = _numeric_part(
            members, numeric, overall_numeric, overall_missing, currency, unpaid=bool(paid_nothing)
        )
        numeric_traits = between_orders(numeric_traits, members)
        numeric_traits += [paid_nothing] if paid_nothing else []
        came_back = repeat_trait(repeat_share(members), overall_repeat, numeric_traits)
        numeric_traits += [came_back] if came_back and ORDERS in numeric else []
        category_rows, category_traits = _category_part(members, categorical, overall_shares)
        definition = rules.get(label)
        first = frozenset((defining or {}).get(segment, ())) or (
            definition.leads if definition else frozenset()
        )
        ranked = rank(numeric_traits + category_traits, max_traits, first=first)
        traits_by_label[label] = ranked
        means_by_label[label] = {row["feature"]: row["mean"] for row in numeric_rows}
        segment_value = _number(members[value].clip(lower_bound=0).sum()) if value else 0.0
        profiles.append(
            SegmentProfile(
                segment=segment,
                label=label,
                size=members.height,
                share=members.height / total if total else 0.0,
                revenue_share=segment_value / value_total if value and value_total else None,
                value_mean=_number(members[value].mean()) if value else None,
                traits=_card_lines(ranked, near),
                name="",
                numeric=pl.DataFrame(numeric_rows),
                categories=_over_represented(category_rows),
                rule=definition.rule if definition else None,
                rule_precision=definition.precision if definition else None,
                rule_recall=definition.recall if definition else None,
                trait_details=ranked,
            )
        )
    generated = auto_names(
        {k: v for k, v in traits_by_label.items() if k >= 0}, means=means_by_label
    )
    for profile in profiles:
        # Label -1 is the clustering's outliers: named for what they are, never a look-alike;
        # the name stays the same from run to run (cards add the count).
        profile.name = generated.get(profile.label, "Outliers")
    result = SegmentProfiles(total, value, profiles)
    if names:
        result.rename(names)
    return result


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def _spread(column: pl.Series) -> tuple[float, float, float, float]:
    """Mean, standard deviation, median and interquartile range."""
    iqr = _number(column.quantile(0.75, "linear")) - _number(column.quantile(0.25, "linear"))
    return _number(column.mean()), _number(column.std()), _number(column.median()), iqr


def _overall_spreads(
    table: pl.DataFrame, numeric: list[str]
) -> dict[str, tuple[float, float, float, float]]:
    """Each feature's spread over everyone; over the buyers for what purchases measure."""
    buyers = _buyers(table)
    return {
        name: _spread((buyers if _of_purchases(name) else table)[name].cast(pl.Float64))
        for name in numeric
    }


def _of_purchases(name: str) -> bool:
    concept = vocabulary.concept_of(name)
    return concept is not None and concept.key in PURCHASE_CONCEPTS


def _paid_for(name: str) -> bool:
    """Whether ``name`` measures what was paid, which "paid nothing" says for a segment."""
    concept = vocabulary.concept_of(name)
    return concept is not None and concept.key in UNPAID_CONCEPTS


def _buyers(table: pl.DataFrame) -> pl.DataFrame:
    """The customers who bought (a ``recency_days``): the average of what purchases measure.

    A customer table with sign-ups who never bought holds their orders and spend as 0; an
    average over them would make every buyer look frequent ("3.4× as often as average" where
    the average buyer's is 2.3×). Everyone when nobody, or everybody, bought.
    """
    if "recency_days" not in table.columns:
        return table
    bought = table.filter(pl.col("recency_days").is_not_null())
    return bought if bought.height else table


def _missing_share(frame: pl.DataFrame, name: str) -> float:
    """The share of ``frame`` without a value of ``name``.

    A gap between orders is missing for want of a second order, so it is counted among
    customers who bought at all (with a ``recency_days``): customers who never bought have
    "never bought", not "no second order yet".
    """
    concept = vocabulary.concept_of(name)
    if concept is not None and concept.key == "cycle" and "recency_days" in frame.columns:
        frame = frame.filter(pl.col("recency_days").is_not_null())
    return frame[name].null_count() / frame.height if frame.height else 0.0


def _segment_values(
    table: pl.DataFrame, segments: str | Any, exclude: Sequence[str]
) -> tuple[pl.Series, set[str]]:
    """Each row's segment (a column's, or the labels given) and the columns not to profile."""
    if isinstance(segments, str):
        if segments not in table.columns:
            raise ColumnNotFoundError(
                f"no segment column '{segments}'", hint=hint_for(segments, table.columns)
            )
        return table[segments], {segments, *exclude}
    segment_values = pl.Series("segment", list(np.asarray(segments)))
    if len(segment_values) != table.height:
        raise ConfigError(
            f"{len(segment_values)} segment labels for {table.height} rows",
            hint="pass one label per row, in the table's order",
        )
    return segment_values, set(exclude)


def _card_lines(ranked: list[Trait], near: list[str]) -> list[str]:
    """A card's lines: its traits, and where it is typical when they are few."""
    typical = typical_trait(near, ranked) if len(ranked) < FEW_TRAITS else None
    return [t.text for t in ranked] + ([typical] if typical else [])


def _numeric_part(
    members: pl.DataFrame,
    numeric: list[str],
    overall: dict[str, tuple[float, float, float, float]],
    overall_missing: dict[str, float],
    currency: str | None,
    *,
    unpaid: bool = False,
) -> tuple[list[dict[str, Any]], list[Trait], list[str]]:
    """Each feature's row, the traits it makes, and the features near the average.

    ``unpaid``: the segment's buyers paid nothing, which one line says (:mod:`.unpaid`).
    """
    rows, traits, near = [], [], []
    # A cluster of sign-ups takes in the odd buyer; its zeros still only restate "never bought".
    never_bought = (
        "recency_days" in members.columns
        and members.height > 0
        and members["recency_days"].null_count() >= NEVER_BOUGHT_SHARE * members.height
    )
    for name in numeric:
        column = members[name].cast(pl.Float64)
        said = (never_bought and _of_purchases(name)) or (unpaid and _paid_for(name))
        absent = missing_trait(name, _missing_share(members, name), overall_missing[name])
        if absent is not None and not said:
            traits.append(absent)
        mean, median = _number(column.mean()), _number(column.median())
        overall_mean, overall_std, overall_median, overall_iqr = overall[name]
        rows.append(
            {
                "feature": name,
                "median": median,
                "mean": mean,
                "population_median": overall_median,
                "population_mean": overall_mean,
                "lift": mean / overall_mean if overall_mean else None,
            }
        )
        trait = numeric_trait(
            name,
            mean,
            overall_mean,
            overall_std,
            median,
            overall_median,
            overall_iqr,
            currency=currency,
        )
        # A feature none of them has (the gap between orders of people who never bought)
        # describes nothing: its mean would read as 0 ("buys again every 0 days").
        valued = column.null_count() < column.len()
        if trait is not None and absent is None and valued and not said:
            traits.append(trait)
        elif (
            absent is None
            and valued
            and not said
            and near_average(
                mean, overall_mean, overall_std, median, overall_median, overall_iqr, feature=name
            )
        ):
            near.append(name)
    return rows, traits, near


def _category_part(
    members: pl.DataFrame, categorical: list[str], overall: dict[str, pl.DataFrame]
) -> tuple[list[dict[str, Any]], list[Trait]]:
    rows, traits = [], []
    for name in categorical:
        shares = members[name].cast(pl.String).value_counts(normalize=True, name="share")
        joined = shares.join(overall[name], on=name, suffix="_population")
        for level, share, population in joined.iter_rows():
            rows.append(
                {
                    "feature": name,
                    "level": level,
                    "share": share,
                    "population_share": population,
                    "lift": share / population,
                }
            )
            trait = category_trait(name, str(level), share, population) if level else None
            if trait is not None:
                traits.append(trait)
    return rows, traits


def _over_represented(rows: list[dict[str, Any]]) -> pl.DataFrame:
    if not rows:
        return pl.DataFrame()
    return pl.DataFrame(rows).filter(pl.col("lift") >= 1.3).sort("lift", descending=True)


def _describe_columns(
    table: pl.DataFrame, features: list[str] | None, skip: set[str]
) -> tuple[list[str], list[str]]:
    names = (
        features
        if features is not None
        else [c for c in table.columns if c not in skip and c != "__segment"]
    )
    numeric, categorical = [], []
    for name in names:
        if name not in table.columns:
            raise ColumnNotFoundError(
                f"no feature column '{name}'", hint=hint_for(name, table.columns)
            )
        dtype = table.schema[name]
        if dtype.is_numeric():
            numeric.append(name)
        elif dtype in (pl.String, pl.Boolean, pl.Categorical) and (
            features is not None or table[name].n_unique() <= MAX_CATEGORY_LEVELS
        ):
            categorical.append(name)
    return numeric, categorical


def value_column(table: pl.DataFrame) -> str | None:
    """The column cards take a segment's value from: the first of :data:`VALUE_COLUMNS` there.

    >>> value_column(pl.DataFrame({"age": [30], "revenue": [12.5]}))
    'revenue'
    """
    return _value_column(table, "auto")


def _value_column(table: pl.DataFrame, value_col: str | None) -> str | None:
    if value_col is None:
        return None
    if value_col != "auto":
        if value_col not in table.columns:
            raise ColumnNotFoundError(
                f"no value column '{value_col}'", hint=hint_for(value_col, table.columns)
            )
        return value_col
    return next(
        (c for c in VALUE_COLUMNS if c in table.columns and table.schema[c].is_numeric()), None
    )


def _segment_order(table: pl.DataFrame, values: pl.Series) -> dict[str, int]:
    """Label of each segment: integer labels keep their number, names go largest first.

    Integer label -1 (a clustering's outliers) is kept; other negative labels are not segments.
    """
    counts = table.group_by("__segment").len().drop_nulls("__segment")
    if values.dtype.is_integer():
        return {s: int(s) for s in counts["__segment"].to_list() if int(s) >= -1}
    ordered = counts.sort(["len", "__segment"], descending=[True, False])["__segment"].to_list()
    return {s: i for i, s in enumerate(ordered)}
