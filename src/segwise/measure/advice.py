"""Merge and split advice: segments that do not behave differently, and segmentations to fix.

The seeds' rule: if a segment does not respond differently from another, merge
them. Two segments are advised to merge when all three hold:

1. **Their customers behave alike**: on each behavioural feature (recency,
   orders, net revenue, order value, tenure, as the features table has them) the
   standardised mean difference is under ``0.2`` (Cohen's "small").
2. **They did alike after the run**: the difference in conversion lies within
   ±3 percentage points and the difference in revenue per customer within ±15%
   of their pooled mean, both shown by a 90% interval inside the margin (two
   one-sided tests at 5%: equivalence, not merely "no significant difference",
   which any pair of small segments would pass).
3. **No experiment treated them differently**: no analysed experiment's lift
   differs between them (a z-test on the two lifts at 5%).

When no orders exist yet after the run, (2) cannot be shown and nothing is
advised to merge on behaviour alone; the advice says so.

A segment is advised to **split** when clustering its own customers on the
same behavioural features finds a stable sub-structure (the chosen 2–3 groups
have a bootstrap Jaccard of 0.75 or more) whose groups did materially
differently after the run: conversion differs by 5 points or more between the
two largest groups, at p < 0.01. The advice names the one condition that
separates them best (``orders >= 12``), measured again on the whole segment, so
the split it proposes is one a rule can make.

Segments under the minimum actionable size and segmentations of more than 8
segments are named too, with the fix that fits the method (a rule to widen, a
k to lower). Groups kept apart on purpose (a clustering's outliers) are neither
counted nor merged, and a small segment worth far more than its size (its share
of revenue three times its share of customers) is advised to be served one by
one rather than merged away. Each piece of advice says what to do and the
evidence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import combinations
from typing import TYPE_CHECKING, Any

import polars as pl
from scipy import special

if TYPE_CHECKING:
    from collections.abc import Sequence

#: The features compared for "behave alike", when the features table has them.
BEHAVIOUR = ("recency_days", "orders", "net_revenue", "avg_order_value", "tenure_days")
#: Standardised mean differences under this are "small" (Cohen).
ALIKE = 0.2
#: Equivalence margins: conversion (absolute) and revenue per customer (relative).
CONVERSION_MARGIN = 0.03
REVENUE_MARGIN = 0.15
#: Fewer customers than this is too small to act on (a campaign, a test).
MIN_ACTIONABLE = 100
MAX_SEGMENTS = 8
#: A sub-structure is stable from this bootstrap Jaccard; groups differ from this gap, at SPLIT_P.
STABLE = 0.75
SPLIT_GAP = 0.05
SPLIT_P = 0.01
#: A small segment whose revenue share is this many times its customer share is kept: its
#: customers are each worth twice the average one, few enough to serve one by one. (3× told
#: Online Retail II's At-risk high value, 72 customers worth 2.6× the average, to merge.)
VALUABLE = 2.0
#: How each method's small segment is made larger (``{segment}`` is filled in).
_GROW = {
    "rules": "merge {segment} into a neighbouring segment, or widen its rule",
    "rfm": "act on {segment} together with a neighbouring segment, or choose a preset "
    "with fewer segments",
    "cluster": "fold {segment} into larger segments: a lower k, or a larger min_segment_share",
    "survey": "fold {segment} into larger classes: a lower n_classes, or a larger min_class_share",
    "propensity": "widen the tier {segment} (tiers:), or act on it with the next tier",
}
_GROW_ANY = "act on {segment} together with its nearest segment"


@dataclass(frozen=True)
class Advice:
    """One piece of advice: what to do, about which segments, and why."""

    kind: str  # merge, split, too small, too many, refit
    segmentation: str
    segments: list[str]
    action: str
    evidence: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return dict(self.__dict__)


def standardised_differences(
    features: pl.DataFrame, members: pl.DataFrame
) -> dict[tuple[str, str], dict[str, float]]:
    """Per pair of segments, per behavioural feature: |mean difference| / pooled sd."""
    columns = [c for c in BEHAVIOUR if c in features.columns]
    joined = members.join(features.select("customer_id", *columns), on="customer_id")
    stats = joined.group_by("segment").agg(
        pl.len().alias("n"),
        *(pl.col(c).cast(pl.Float64).mean().alias(f"{c}_mean") for c in columns),
        *(pl.col(c).cast(pl.Float64).var(ddof=1).alias(f"{c}_var") for c in columns),
    )
    rows = {row["segment"]: row for row in stats.iter_rows(named=True)}
    found = {}
    for a, b in combinations(sorted(rows), 2):
        found[(a, b)] = {c: _smd(rows[a], rows[b], c) for c in columns}
    return found


def _smd(a: dict[str, Any], b: dict[str, Any], column: str) -> float:
    var_a, var_b = a[f"{column}_var"] or 0.0, b[f"{column}_var"] or 0.0
    pooled = math.sqrt((var_a + var_b) / 2)
    difference = abs(float(a[f"{column}_mean"] or 0.0) - float(b[f"{column}_mean"] or 0.0))
    if pooled == 0:
        return 0.0 if difference == 0 else math.inf
    return difference / pooled


def outcome_arms(outcomes: pl.DataFrame) -> dict[str, dict[str, float]]:
    """Per segment: customers, conversion, revenue per customer mean and variance."""
    table = outcomes.group_by("segment").agg(
        pl.len().alias("n"),
        (pl.col("orders") > 0).cast(pl.Float64).mean().alias("conversion"),
        pl.col("revenue").mean().alias("revenue"),
        pl.col("revenue").var(ddof=1).alias("revenue_var"),
    )
    return {row.pop("segment"): row for row in table.iter_rows(named=True)}


def equivalent(a: dict[str, float], b: dict[str, float]) -> tuple[bool, list[str]]:
    """Whether two segments did alike after the run (two one-sided tests), with the evidence."""
    z = float(special.ndtri(0.95))  # a 90% interval: TOST at 5% each side
    difference = a["conversion"] - b["conversion"]
    se = math.sqrt(
        a["conversion"] * (1 - a["conversion"]) / a["n"]
        + b["conversion"] * (1 - b["conversion"]) / b["n"]
    )
    low, high = difference - z * se, difference + z * se
    conversion_ok = low > -CONVERSION_MARGIN and high < CONVERSION_MARGIN
    pooled = (a["revenue"] * a["n"] + b["revenue"] * b["n"]) / (a["n"] + b["n"])
    gap = a["revenue"] - b["revenue"]
    se_revenue = math.sqrt((a["revenue_var"] or 0.0) / a["n"] + (b["revenue_var"] or 0.0) / b["n"])
    margin = REVENUE_MARGIN * abs(pooled)
    revenue_ok = margin > 0 and abs(gap) + z * se_revenue < margin
    evidence = [
        f"conversion after the run {a['conversion']:.1%} vs {b['conversion']:.1%} "
        f"(difference 90% CI [{low * 100:+.1f}, {high * 100:+.1f}] pp, margin ±"
        f"{CONVERSION_MARGIN * 100:.0f} pp)",
        f"revenue per customer {a['revenue']:,.2f} vs {b['revenue']:,.2f} (margin ±"
        f"{REVENUE_MARGIN:.0%} of {pooled:,.2f})",
    ]
    return conversion_ok and revenue_ok, evidence


def experiment_conflicts(findings: pl.DataFrame, a: str, b: str) -> list[str]:
    """Experiments whose lift differs between ``a`` and ``b`` (z-test on the two lifts)."""
    if findings.height == 0:
        return []
    z = float(special.ndtri(0.975))
    left = findings.filter(pl.col("segment") == a)
    right = findings.filter(pl.col("segment") == b)
    keys = ["experiment", "variant", "metric"]
    pairs = left.join(right, on=keys, suffix="_b")
    conflicts = []
    for row in pairs.iter_rows(named=True):
        if None in (row["ci_low"], row["ci_high"], row["ci_low_b"], row["ci_high_b"]):
            continue
        se_a = (row["ci_high"] - row["ci_low"]) / (2 * z)
        se_b = (row["ci_high_b"] - row["ci_low_b"]) / (2 * z)
        spread = math.sqrt(se_a**2 + se_b**2)
        if spread > 0 and abs(row["lift"] - row["lift_b"]) / spread > z:
            conflicts.append(
                f"{row['experiment']}: {row['variant']} moved {row['metric']} by "
                f"{row['lift']:+.3g} in {a} but {row['lift_b']:+.3g} in {b}"
            )
    return conflicts


def advise(
    segmentation: str,
    sizes: dict[str, int],
    differences: dict[tuple[str, str], dict[str, float]],
    arms: dict[str, dict[str, float]] | None,
    findings: pl.DataFrame,
    *,
    min_size: int = MIN_ACTIONABLE,
    skip: Sequence[str] = (),
    apart: Sequence[str] = (),
    revenue_shares: dict[str, float] | None = None,
    method: str | None = None,
) -> list[Advice]:
    """Every piece of advice for one segmentation (see the module).

    ``skip``: groups that are not segments (customers not scored); ``apart``:
    groups kept apart on purpose (a clustering's outliers), small by design;
    ``revenue_shares``: each segment's share of revenue, which keeps a small,
    valuable segment from being merged away; ``method`` words the fix.

    Examples
    --------
    >>> sizes = {"Loyal": 900, "Big spenders": 40, "Drifting": 60, "Outliers": 8}
    >>> found = advise("value", sizes, {}, None, pl.DataFrame(), apart=["Outliers"],
    ...                revenue_shares={"Big spenders": 0.3, "Drifting": 0.02}, method="rules")
    >>> [a.action for a in found]  # doctest: +NORMALIZE_WHITESPACE
    ['keep Big spenders: too few for a campaign or a test, but worth 30% of revenue;
      serve them one by one', 'merge Drifting into a neighbouring segment, or widen its rule']
    """
    found: list[Advice] = []
    counted = [s for s in sizes if s not in skip and s not in apart]
    if len(counted) > MAX_SEGMENTS:
        found.append(
            Advice(
                "too many",
                segmentation,
                sorted(counted),
                f"reduce to {MAX_SEGMENTS} segments or fewer: teams act on a handful",
                [f"{len(counted)} segments"],
            )
        )
    total = sum(sizes.values())
    for segment, size in sorted(sizes.items()):
        if size < min_size and segment not in skip and segment not in apart:
            found.append(
                _too_small(segmentation, segment, size, total, min_size, revenue_shares, method)
            )
    for (a, b), features in differences.items():
        if {a, b} & {*skip, *apart} or not features:
            continue
        if max(features.values()) >= ALIKE:
            continue
        evidence = [
            "customers behave alike: standardised differences "
            + ", ".join(f"{c} {v:.2f}" for c, v in features.items())
            + f" (all under {ALIKE})"
        ]
        if arms is None or a not in arms or b not in arms:
            continue  # behaviour after the run unknown: no advice on profiles alone
        alike, shown = equivalent(arms[a], arms[b])
        if not alike:
            continue
        conflicts = experiment_conflicts(findings, a, b)
        if conflicts:
            continue
        found.append(
            Advice(
                "merge",
                segmentation,
                [a, b],
                f"merge {a} and {b}: they do not respond differently",
                [*evidence, *shown, "no analysed experiment treated them differently"],
            )
        )
    return found


def _percent(share: float) -> str:
    """A share as the evidence beside it shows it: 4.5%, not 4% (30% stays 30%)."""
    return f"{share:.0%}" if share >= 0.1 else f"{share:.1%}"


def _too_small(
    segmentation: str,
    segment: str,
    size: int,
    total: int,
    min_size: int,
    revenue_shares: dict[str, float] | None,
    method: str | None,
) -> Advice:
    """A segment under the minimum size: grown by its method's means, or kept when valuable."""
    evidence = [f"{size:,} customers, under {min_size:,}"]
    revenue = (revenue_shares or {}).get(segment)
    share = size / total if total else 0.0
    if revenue is not None and share > 0:
        evidence.append(f"{share:.1%} of customers, {revenue:.1%} of revenue")
        if revenue >= VALUABLE * share:
            return Advice(
                "too small",
                segmentation,
                [segment],
                f"keep {segment}: too few for a campaign or a test, but worth "
                f"{_percent(revenue)} of revenue; serve them one by one",
                evidence,
            )
    action = _GROW.get(method or "", _GROW_ANY).format(segment=segment)
    return Advice("too small", segmentation, [segment], action, evidence)


@dataclass(frozen=True)
class Split:
    """Why a segment should split, and the one condition that splits it (None: none does)."""

    evidence: list[str]
    rule: str | None = None


def split_evidence(
    features: pl.DataFrame,
    converted: pl.DataFrame,
    *,
    seed: int = 0,
    min_size: int = MIN_ACTIONABLE,
) -> Split | None:
    """Why one segment should split (its customers' ``features`` and ``converted`` flags).

    None when its customers show no stable sub-structure, or when the groups
    found did alike after the run. Otherwise the evidence, and the single
    condition (``orders >= 12``) that best tells the two largest groups apart,
    when the customers it picks out of the whole segment, and the rest, number
    ``min_size`` or more each and did materially differently too.
    """
    import warnings  # noqa: PLC0415

    from segwise.measure.comparisons import Arm, compare  # noqa: PLC0415
    from segwise.segmenters import ClusterSegmenter  # noqa: PLC0415 - sklearn loads on use

    columns = [c for c in BEHAVIOUR if c in features.columns]
    table = features.select("customer_id", *columns).drop_nulls()
    if not columns or table.height < 2 * min_size:
        return None
    model = ClusterSegmenter(
        "auto",
        k_min=2,
        k_max=3,
        features=columns,
        sample_size=5_000,
        n_bootstrap=5,
        min_stability=STABLE,
        min_segment_share=0.1,
        outlier_cutoff=None,
        random_state=seed,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its stability is read below, not warned about
        model.fit(table.select(columns))
    if model.stability_ < STABLE:
        return None
    groups = table.select("customer_id").with_columns(pl.Series("group", model.labels_))
    rates = (
        groups.join(converted, on="customer_id")
        .group_by("group")
        .agg(pl.len().alias("n"), pl.col("converted").sum().alias("buyers"))
        .sort("n", "group", descending=[True, False])
        .head(2)
    )
    if rates.height < 2:
        return None
    (group_a, n_a, buyers_a), (group_b, n_b, buyers_b) = rates.select("group", "n", "buyers").rows()
    test = compare("binary", Arm.of_proportion(buyers_b, n_b), Arm.of_proportion(buyers_a, n_a))
    if abs(test.lift) < SPLIT_GAP or not test.p_value < SPLIT_P:
        return None
    evidence = [
        f"its customers form {model.n_segments_} stable groups on "
        f"{', '.join(columns)} (bootstrap Jaccard {model.stability_:.2f})",
        f"the two largest converted {buyers_a / n_a:.1%} and {buyers_b / n_b:.1%} after the run "
        f"({n_a:,} and {n_b:,} customers, p = {test.p_value:.2g})",
    ]
    better = group_b if buyers_b / n_b > buyers_a / n_a else group_a
    rule, told = _separating_rule(
        table.join(groups, on="customer_id").join(converted, on="customer_id"),
        columns,
        (group_a, group_b),
        better,
        seed=seed,
        min_size=min_size,
    )
    return Split([*evidence, told], rule)


def _separating_rule(
    table: pl.DataFrame,
    columns: list[str],
    pair: tuple[int, int],
    better: int,
    *,
    seed: int,
    min_size: int,
) -> tuple[str | None, str]:
    """The one comparison that best tells ``better`` from the other group of ``pair``.

    Returned with how the customers it picks out of the whole segment did against the rest.
    ``table``: the segment's customers with their features, ``group`` and ``converted``.
    The rule is kept only when both sides are actionable and differ as a split must.
    """
    from segwise.measure.comparisons import Arm, compare  # noqa: PLC0415
    from segwise.profiling.definitions import define_segments, rule_mask  # noqa: PLC0415

    two = table.filter(pl.col("group").is_in(list(pair)))
    found = define_segments(
        two.select(columns),
        (two["group"] == better).cast(pl.Int64).to_numpy(),
        numeric=columns,
        categorical=[],
        random_state=seed,
        max_depth=1,
    ).get(1)
    if found is None:
        return None, "no single condition tells the two groups apart"
    inside = rule_mask(found.rule, table.select(columns))
    converted = table["converted"].to_numpy()
    n_in, n_out = int(inside.sum()), int((~inside).sum())
    buyers_in, buyers_out = int(converted[inside].sum()), int(converted[~inside].sum())
    if min(n_in, n_out) < min_size:
        small = "" if n_in < min_size else f", leaving {n_out:,}"
        return None, (
            f"no single condition splits it into two actionable groups: the best, "
            f"{found.rule}, picks out {n_in:,} of its {n_in + n_out:,} customers{small}, "
            f"under the {min_size:,} a segment needs"
        )
    test = compare(
        "binary", Arm.of_proportion(buyers_out, n_out), Arm.of_proportion(buyers_in, n_in)
    )
    told = (
        f"{found.rule} picks out {n_in:,} of them, who converted {buyers_in / n_in:.1%} "
        f"against {buyers_out / n_out:.1%} for the other {n_out:,} (p = {test.p_value:.2g})"
    )
    if abs(test.lift) < SPLIT_GAP or not test.p_value < SPLIT_P:
        return None, f"no single condition splits it as well: the best, {told}"
    return found.rule, told
