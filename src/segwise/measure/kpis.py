"""KPIs by segment: what each segment of a run went on to do after its as-of date.

A run says who was in which segment as of a day; the orders after that day say
how each segment performed. For each segment (and everyone), over ``window``
after the as-of date:

- **conversion**: the share who ordered at all; **churn** is its complement
  (no purchase in the window);
- **revenue per customer**: net revenue in the window over every member (buyers
  or not);
- **AOV**: revenue over orders in the window, a ratio of two per-customer means
  (delta-method interval);
- **repeat rate**: of those who ordered, the share who ordered twice or more;
- **retention curve**: the share who ordered again within 30, 60, 90 and 180
  days, each only once that many days of orders exist after the as-of date;
- **realised against predicted**: for a predictive (CLV) segmentation, the
  revenue per customer its run predicted for the window, and the realised
  revenue over it (with its interval; the prediction is taken as fixed), once
  the whole window has been observed.

Shares get Wilson score intervals (``statsmodels``' ``proportion_confint(method=
"wilson")``). Revenue per customer and AOV get bias-corrected and accelerated
bootstrap intervals in segments of up to :data:`BOOTSTRAP_MAX` customers
(:mod:`segwise.measure.bootstrap`: a few large buyers make a small segment's
revenue too skewed for a normal interval), and above that Student's t intervals
(``scipy.stats.t.interval``) and the delta method. Each KPI also carries its
lift against everyone (the segment's value over everyone's). The per-customer
values are one Polars lazy query; the intervals run on a row per segment.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import polars as pl
from scipy import special

if TYPE_CHECKING:
    from collections.abc import Sequence

#: The segment label of the whole population.
EVERYONE = "(everyone)"
#: Days of the retention curve.
RETENTION_DAYS: tuple[int, ...] = (30, 60, 90, 180)
#: Segments up to this many customers get bootstrap (BCa) intervals for revenue per
#: customer and AOV: a few large buyers among them made the t interval reach below zero.
BOOTSTRAP_MAX = 5_000
#: A segment whose largest buyer made this share of its revenue in the window or more is
#: flagged: its revenue per customer and AOV say more about that customer than the others.
CONCENTRATED = 0.25


@dataclass(frozen=True)
class Estimate:
    """A KPI's value, its 95% interval, and its ratio to everyone's value."""

    value: float
    ci_low: float
    ci_high: float
    lift: float = math.nan

    def to_dict(self) -> dict[str, float | None]:
        """JSON-ready (NaN as None)."""
        return {k: None if math.isnan(v) else v for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class SegmentKpis:
    """One segment's KPIs over the window after one run's as-of date."""

    segment: str
    customers: int
    kpis: dict[str, Estimate]
    #: days of the retention curve → its estimate (only the days observed)
    retention: dict[int, Estimate] = field(default_factory=dict)
    #: targeted against held out (a standing holdout), None without one
    holdout: dict[str, Any] | None = None
    #: what the run predicted for the window, and realised over predicted (CLV segmentations)
    predicted: dict[str, Any] | None = None
    #: the largest buyer's share of the segment's revenue in the window (None without any)
    top_customer_share: float | None = None
    #: one customer's net returns in the window over what the segment's buyers bought in it
    #: (None without a customer whose window nets below zero)
    top_return_share: float | None = None

    @property
    def concentrated(self) -> bool:
        """One customer made, or returned, at least :data:`CONCENTRATED` of the revenue."""
        shares = (self.top_customer_share, self.top_return_share)
        return self.customers > 2 and any(s is not None and s >= CONCENTRATED for s in shares)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "segment": self.segment,
            "customers": self.customers,
            **{name: estimate.to_dict() for name, estimate in self.kpis.items()},
            "retention": {str(d): e.to_dict() for d, e in self.retention.items()},
            "holdout": self.holdout,
            "predicted": self.predicted,
            "top_customer_share": self.top_customer_share,
            "top_return_share": self.top_return_share,
            "revenue_note": concentration_note(self) if self.concentrated else None,
        }


def concentration_note(segment: SegmentKpis) -> str:
    """Why a concentrated segment's revenue figures describe one customer, in a sentence.

    Examples
    --------
    >>> note = concentration_note(SegmentKpis("VIP", 76, {}, top_customer_share=0.56))
    >>> note.split(";")[0]
    'one customer made 56% of the revenue of VIP in the window'
    >>> returned = SegmentKpis("VIP", 43, {}, top_customer_share=0.3, top_return_share=0.73)
    >>> concentration_note(returned).split(";")[0]
    "one customer's returns in the window came to 73% of what VIP bought in it"
    """
    others = "the segment's revenue per customer and AOV say little about the other "
    if (segment.top_return_share or 0.0) >= max(segment.top_customer_share or 0.0, CONCENTRATED):
        # Returns of orders placed before the window count in it: net revenue can sink
        # below what anyone in the segment spent (Online Retail II: one wholesaler's
        # 9,330 of returns took a 43-customer segment from 296 per customer to 60).
        return (
            f"one customer's returns in the window came to {segment.top_return_share:.0%} of "
            f"what {segment.segment} bought in it; {others}{segment.customers - 1:,}"
        )
    return (
        f"one customer made {segment.top_customer_share:.0%} of the revenue of "
        f"{segment.segment} in the window; {others}{segment.customers - 1:,}"
    )


def wilson(successes: float, n: float, confidence: float = 0.95) -> Estimate:
    """A share and its Wilson score interval (NaN for an empty group).

    Examples
    --------
    >>> found = wilson(30, 100)
    >>> round(found.ci_low, 4), round(found.ci_high, 4)
    (0.2189, 0.3958)
    """
    if n <= 0:
        return Estimate(math.nan, math.nan, math.nan)
    share = successes / n
    z = float(special.ndtri(0.5 + confidence / 2))
    centre = (share + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n))
    return Estimate(share, centre - half, centre + half)


def t_interval(mean: float, variance: float, n: float, confidence: float = 0.95) -> Estimate:
    """A mean and its Student's t interval (ddof=1 variance)."""
    if n < 2:
        return Estimate(mean if n else math.nan, math.nan, math.nan)
    half = float(special.stdtrit(n - 1, 0.5 + confidence / 2)) * math.sqrt(variance / n)
    return Estimate(mean, mean - half, mean + half)


def ratio_interval(
    mean_y: float,
    mean_x: float,
    var_y: float,
    var_x: float,
    cov_xy: float,
    n: float,
    confidence: float = 0.95,
) -> Estimate:
    """``mean_y / mean_x`` and its delta-method interval (AOV: revenue over orders)."""
    if n < 2 or mean_x <= 0:
        return Estimate(math.nan, math.nan, math.nan)
    ratio = mean_y / mean_x
    variance = (var_y - 2 * ratio * cov_xy + ratio**2 * var_x) / (n * mean_x**2)
    half = float(special.ndtri(0.5 + confidence / 2)) * math.sqrt(max(variance, 0.0))
    return Estimate(ratio, ratio - half, ratio + half)


def customer_outcomes(
    members: pl.LazyFrame, orders: pl.LazyFrame, as_of: date, window: timedelta
) -> pl.LazyFrame:
    """Per member: orders and revenue in the window, and days to their first order after.

    ``members`` holds ``customer_id, segment``; the days run from the end of the
    as-of date (a run as of a date includes that whole day).
    """
    start = datetime.combine(as_of + timedelta(days=1), time())
    horizon = start + max(window, timedelta(days=max(RETENTION_DAYS)))
    columns = orders.collect_schema().names()
    purchase = ~pl.col("is_return") if "is_return" in columns else pl.lit(value=True)
    order = pl.col("order_id").hash(seed=0) if "order_id" in columns else pl.int_range(pl.len())
    inside = (pl.col("timestamp") >= start) & (pl.col("timestamp") < start + window)
    after = orders.filter((pl.col("timestamp") >= start) & (pl.col("timestamp") < horizon))
    per_customer = after.group_by("customer_id").agg(
        order.filter(inside & purchase).n_unique().cast(pl.Float64).alias("orders"),
        pl.col("amount").filter(inside).sum().alias("revenue"),
        pl.col("timestamp").filter(purchase).min().alias("first_order"),
    )
    return (
        members.join(per_customer, on="customer_id", how="left")
        .with_columns(
            pl.col("orders", "revenue").fill_null(0.0),
            ((pl.col("first_order") - start).dt.total_seconds() / 86_400).alias("days_to_order"),
        )
        .drop("first_order")
    )


def segment_kpis(outcomes: pl.LazyFrame, observed_days: float) -> list[SegmentKpis]:
    """Every segment's KPIs (and everyone's, first), with lifts against everyone.

    With no day of orders after the run (``observed_days`` 0) nothing is measured: the
    members are counted and every KPI is left out. The window's zero orders would read as
    0% conversion and 100% churn, with intervals as tight as the segment is large.
    """
    # Once: the moments and the small segments' members both read it (it joins the orders).
    outcomes = outcomes.collect().lazy()
    if observed_days <= 0:
        return _counted_only(outcomes)
    retention = [d for d in RETENTION_DAYS if d <= observed_days]
    orders, revenue = pl.col("orders"), pl.col("revenue")
    aggregations = [
        pl.len().alias("n"),
        (orders > 0).sum().alias("buyers"),
        (orders >= 2).sum().alias("repeaters"),
        revenue.mean().alias("revenue_mean"),
        revenue.var(ddof=1).alias("revenue_var"),
        orders.mean().alias("orders_mean"),
        orders.var(ddof=1).alias("orders_var"),
        pl.cov(revenue, orders, ddof=1).alias("cov"),
        revenue.max().alias("revenue_top"),
        revenue.min().alias("revenue_bottom"),
        revenue.clip(lower_bound=0).sum().alias("revenue_positive"),
        *((pl.col("days_to_order") < d).sum().alias(f"within_{d}") for d in retention),
    ]
    by_segment = outcomes.group_by("segment").agg(aggregations)
    # A customer in two segments of an overlapping catalog counts once in everyone.
    everyone = (
        outcomes.unique("customer_id")
        .select(aggregations)
        .select(pl.lit(EVERYONE).alias("segment"), pl.all())
    )
    table = pl.concat([everyone, by_segment.sort("segment")], how="vertical_relaxed").collect()
    rows = [_kpis(row, retention) for row in table.iter_rows(named=True)]
    return _with_lifts(_resampled(rows, outcomes))


def _counted_only(outcomes: pl.LazyFrame) -> list[SegmentKpis]:
    """Everyone and each segment with its members counted and no KPI (nothing observed)."""
    # A customer in two segments of an overlapping catalog counts once in everyone.
    everyone = outcomes.select(pl.col("customer_id").n_unique()).collect().item()
    sizes = outcomes.group_by("segment").agg(pl.len()).sort("segment").collect()
    counted = [SegmentKpis(segment, int(n), {}) for segment, n in sizes.iter_rows()]
    return [SegmentKpis(EVERYONE, int(everyone), {}), *counted]


def _resampled(rows: list[SegmentKpis], outcomes: pl.LazyFrame) -> list[SegmentKpis]:
    """Revenue per customer and AOV of the segments of ≤ ``BOOTSTRAP_MAX`` with BCa intervals.

    Their members are read in one query; larger segments keep the t and delta intervals,
    which their size makes sound.
    """
    from segwise.measure.bootstrap import bca_mean_and_ratio  # noqa: PLC0415 - numpy's draws

    small = [r.segment for r in rows if 2 <= r.customers <= BOOTSTRAP_MAX]
    if not small:
        return rows
    columns = ("segment", "revenue", "orders")
    picked = outcomes.filter(pl.col("segment").is_in(small)).select(columns)
    if EVERYONE in small:
        everyone = outcomes.unique("customer_id").select(pl.lit(EVERYONE).alias("segment"),
                                                         "revenue", "orders")  # fmt: skip
        picked = pl.concat([everyone, picked], how="vertical_relaxed")
    # In a fixed order: the seeded resamples then pick the same members on every call.
    ordered = picked.sort(columns)
    members = ordered.collect().partition_by("segment", as_dict=True, include_key=False)
    found = []
    for row in rows:
        values = members.get((row.segment,))
        if values is None:
            found.append(row)
            continue
        revenue, orders = values["revenue"].to_numpy(), values["orders"].to_numpy()
        mean, ratio = bca_mean_and_ratio(revenue, orders)
        kpis = dict(row.kpis)
        for name, (low, high) in (("revenue_per_customer", mean), ("aov", ratio)):
            kpis[name] = replace(kpis[name], ci_low=low, ci_high=high)
        found.append(replace(row, kpis=kpis))
    return found


def _kpis(row: dict[str, Any], retention: Sequence[int]) -> SegmentKpis:
    n, buyers = row["n"], row["buyers"]
    conversion = wilson(buyers, n)
    kpis = {
        "conversion": conversion,
        "churn": Estimate(1 - conversion.value, 1 - conversion.ci_high, 1 - conversion.ci_low),
        "revenue_per_customer": t_interval(row["revenue_mean"], row["revenue_var"] or 0.0, n),
        "aov": ratio_interval(
            row["revenue_mean"],
            row["orders_mean"],
            row["revenue_var"] or 0.0,
            row["orders_var"] or 0.0,
            row["cov"] or 0.0,
            n,
        ),
        "repeat_rate": wilson(row["repeaters"], buyers),
    }
    curve = {d: wilson(row[f"within_{d}"], n) for d in retention}
    positive = row["revenue_positive"] or 0.0
    top = row["revenue_top"] / positive if positive > 0 else None
    bottom = row["revenue_bottom"] or 0.0
    returned = -bottom / positive if bottom < 0 and positive > 0 else None
    return SegmentKpis(
        row["segment"], int(n), kpis, curve, top_customer_share=top, top_return_share=returned
    )


def _with_lifts(rows: list[SegmentKpis]) -> list[SegmentKpis]:
    """Each KPI's ratio to everyone's (the first row)."""
    base = rows[0]

    def lifted(estimate: Estimate, reference: Estimate | None) -> Estimate:
        if reference is None or not reference.value or math.isnan(reference.value):
            return estimate
        return Estimate(
            estimate.value, estimate.ci_low, estimate.ci_high, estimate.value / reference.value
        )

    return [
        replace(
            row,
            kpis={k: lifted(e, base.kpis.get(k)) for k, e in row.kpis.items()},
            retention={d: lifted(e, base.retention.get(d)) for d, e in row.retention.items()},
        )
        for row in rows
    ]


def against_prediction(row: SegmentKpis, predicted: float, *, complete: bool) -> SegmentKpis:
    """``row`` with the revenue per customer predicted for its window set against the realised.

    The ratio (realised over predicted) and its interval are the realised
    revenue's t interval over the prediction, and only once the whole window
    has been observed (``complete``): a partial window would read as a miss.

    Examples
    --------
    >>> row = SegmentKpis("Rising", 100, {"revenue_per_customer": Estimate(12.0, 9.0, 15.0)})
    >>> against_prediction(row, 10.0, complete=True).predicted["realised_to_predicted"]
    {'value': 1.2, 'ci_low': 0.9, 'ci_high': 1.5, 'lift': None}
    """
    realised = row.kpis.get("revenue_per_customer")
    ratio = None
    if complete and predicted > 0 and realised is not None:
        scaled = Estimate(
            realised.value / predicted, realised.ci_low / predicted, realised.ci_high / predicted
        )
        ratio = scaled.to_dict()
    found = {
        "revenue_per_customer": predicted,
        "realised_to_predicted": ratio,
        "window_complete": complete,
    }
    return replace(row, predicted=found)


def prediction_note(segments: Sequence[SegmentKpis], days: int) -> str | None:
    """What everyone's realised-over-predicted says about the window, when it is not 1.

    BG/NBD and Gamma-Gamma predict a steady rate of buying. When the whole base
    bought clearly more or less than predicted (everyone's interval excludes 1),
    the window itself was unusual (a season, a campaign), and every segment's ratio
    carries it: each is then read against everyone's, not against 1.

    Examples
    --------
    >>> ratio = {"value": 1.42, "ci_low": 1.26, "ci_high": 1.67, "lift": None}
    >>> everyone = SegmentKpis(EVERYONE, 3564, {}, predicted={"realised_to_predicted": ratio})
    >>> prediction_note([everyone], 60).split(":")[0]
    'everyone bought x1.42 of what was predicted over these 60 days'
    """
    everyone = next((s for s in segments if s.segment == EVERYONE), None)
    ratio = None if everyone is None or everyone.predicted is None else (
        everyone.predicted.get("realised_to_predicted")
    )  # fmt: skip
    if not ratio or ratio["ci_low"] is None or ratio["ci_low"] <= 1 <= ratio["ci_high"]:
        return None
    value = ratio["value"]
    more = "more" if value > 1 else "less"
    return (
        f"everyone bought x{value:.2f} of what was predicted over these {days} days: the whole "
        f"base bought {more} than the models' steady rate (a season, a campaign, a change in the "
        f"business), so read each segment against x{value:.2f}, not against x1.00"
    )


def holdout_lifts(outcomes: pl.LazyFrame) -> dict[str, dict[str, Any]]:
    """Per segment (and everyone): what being targeted added over being held out.

    ``outcomes`` carries ``held_out`` (bool). Conversion by the two-proportion
    z-test, revenue per customer by Welch's t-test, the held-out arm as control
    (:func:`segwise.measure.comparisons.compare`).
    """
    from segwise.measure.comparisons import Arm, compare  # noqa: PLC0415 - only with holdouts

    converted = (pl.col("orders") > 0).cast(pl.Float64)
    aggregations = [
        pl.len().alias("n"),
        converted.mean().alias("conversion"),
        pl.col("revenue").mean().alias("revenue"),
        pl.col("revenue").var(ddof=1).alias("revenue_var"),
    ]
    by_segment = outcomes.group_by("segment", "held_out").agg(aggregations)
    everyone = (
        outcomes.unique("customer_id")
        .group_by("held_out")
        .agg(aggregations)
        .select(pl.lit(EVERYONE).alias("segment"), pl.all())
    )
    table = pl.concat([everyone, by_segment], how="vertical_relaxed").collect()
    arms = {(row["segment"], row["held_out"]): row for row in table.iter_rows(named=True)}
    found: dict[str, dict[str, Any]] = {}
    for segment in dict.fromkeys(segment for segment, _ in arms):
        held, targeted = arms.get((segment, True)), arms.get((segment, False))
        if held is None or targeted is None or held["n"] < 2 or targeted["n"] < 2:
            found[segment] = {
                "held_out": 0 if held is None else held["n"],
                "targeted": 0 if targeted is None else targeted["n"],
            }
            continue
        conversion = compare(
            "binary",
            Arm.of_proportion(round(held["conversion"] * held["n"]), held["n"]),
            Arm.of_proportion(round(targeted["conversion"] * targeted["n"]), targeted["n"]),
        )
        revenue = compare(
            "continuous",
            Arm(held["n"], held["revenue"], held["revenue_var"] or 0.0),
            Arm(targeted["n"], targeted["revenue"], targeted["revenue_var"] or 0.0),
        )
        found[segment] = {
            "held_out": held["n"],
            "targeted": targeted["n"],
            "conversion": _lift(conversion),
            "revenue_per_customer": _lift(revenue),
        }
    return found


def _lift(comparison: Any) -> dict[str, float | None]:
    values = {
        "held_out": comparison.control_mean,
        "targeted": comparison.mean,
        "lift": comparison.lift,
        "ci_low": comparison.ci_low,
        "ci_high": comparison.ci_high,
        "relative_lift": comparison.relative_lift,
        "p_value": comparison.p_value,
    }
    return {k: None if math.isnan(v) else v for k, v in values.items()}
