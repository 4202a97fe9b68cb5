"""Drift and health, computed on every run against the previous one and stored with it.

- **Size change** of each segment: a warning from a 25% change (and at least
  10 customers and 0.5% of everyone), critical from 50%; a segment that
  appears or empties is a warning. A cluster segmentation fitted afresh gets
  one note instead: its new segments cannot be compared with the last run's.
- **Feature drift** inside each segment: the population stability index (PSI)
  of every numeric feature, on the previous run's deciles of that feature in
  that segment. PSI ≥ 0.1 is a warning (moderate shift), ≥ 0.25 critical (the
  segment is no longer what it was), the usual credit-scoring thresholds. A
  shift is reported only when it also moved the segment's customers up or down:
  Cliff's delta (how much more often a customer of this run is above one of the
  last run than below) at least 0.147, Romano et al.'s (2006) "small"; a
  critical one also needs a "medium" move (0.33); and the segment's median must
  move by a tenth of the feature's spread over everyone (its IQR). PSI
  alone reads a narrow segment's day counts landing on other days as a shift:
  on Online Retail as of a Friday and then a Monday (the shop shut on
  Saturdays), the Champions' days since their last order "shifted" with PSI
  0.76 while their median went from 9 to 10 days and delta was 0.01. For
  "days since" features the move must also be one the clock does not explain:
  the same customers a quarter later are a quarter more lapsed (CDNOW's closed
  cohort: every lapsed segment "shifted" from a median of 230 days to 320), so
  delta is also taken against the last run's values aged by the days between the
  runs, and the smaller of the two counts.
- **The whole base moving** under segments that rank customers within each run
  (RFM scored on quantiles or natural breaks): each score's range follows the
  base, so every segment "shifts" with it. On Online Retail II from September to
  October 2010 (the run-up to Christmas) Need Attention "shifted" from a median
  of 70 days since the last order to 47 and Loyal Customers from 52 to 39: the
  base's own median had moved the same way. Such a segmentation gets one alert
  for the base on its scored features, with the same tests, instead of one per
  segment.

Each finding is an :class:`Alert`; ``segwise alerts`` and the report show them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import polars as pl

from segwise.privacy.small_groups import K_MIN, below, is_small
from segwise.project.ranked_features import ranked_on
from segwise.store.refits import refit_scope

if TYPE_CHECKING:
    from collections.abc import Sequence

    from segwise.profiling.cards import SegmentationResult

SIZE_WARNING, SIZE_CRITICAL = 0.25, 0.5
#: The base's own change is said beside a segment's from this much on.
BASE_MOVED = 0.02
#: Features that move with the clock alone: between runs every customer is older by the
#: same number of days, so their PSI measures the calendar, not the customers.
CLOCK_FEATURES = frozenset({"tenure_days"})
#: "Days since" features: they grow with the clock for every customer who did nothing since.
#: A segment of the same customers, a run later, has aged by the days between the runs.
AGING_FEATURES = frozenset({"recency_days", "days_since_last_event"})
PSI_WARNING, PSI_CRITICAL = 0.1, 0.25
#: The least Cliff's delta of a reported shift, and of a critical one (Romano et al. 2006:
#: "small" and "medium").
SHIFT_SMALL, SHIFT_MEDIUM = 0.147, 0.33
#: The least move of a segment's median, as a share of the feature's spread over everyone.
MATERIAL = 0.1
#: Fewer customers than this in a segment (either run) and PSI is noise: not computed.
PSI_MIN_CUSTOMERS = 50
_EPSILON = 1e-4


@dataclass(frozen=True)
class Alert:
    """One health finding of a run."""

    segmentation: str
    segment: str
    kind: str  # size_change | feature_drift | refit | stale_model
    level: str  # warning | critical
    value: float
    message: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return asdict(self)


def size_alerts(
    before: pl.DataFrame,
    results: Sequence[SegmentationResult],
    customers: int,
    k_min: int = K_MIN,
) -> list[Alert]:
    """Segments whose size moved a lot since the previous run (``before``: its memberships).

    A segment is judged against its segmentation's customers: when the base grows by a
    fifth, every segment growing by a fifth is no news. UCI Online Retail from September
    to November 2011 (the base +19%) raised 12 size alerts, 9 of them segments that kept
    their share; the change of share decides now, and the message gives both.
    A size under ``k_min`` reads "< k_min" in the message, and the change then
    gives no percentage (it would give the small size away).
    """
    alerts = []
    floor = max(10, 0.005 * customers)

    def count(n: int) -> str:
        return below(k_min) if is_small(n, k_min) and n > 0 else f"{n:,}"

    for result in results:
        old = before.filter(pl.col("segmentation") == result.name)
        if old.height == 0:
            continue  # a new segmentation: nothing to compare with
        scope = refitted_clusters(result, old)
        if scope is not None:
            alerts.append(_refit_alert(result.name, scope))
            if not scope:
                continue
        was = dict(old.group_by("segment").len().iter_rows())
        now = dict(result.members.group_by("segment").len().iter_rows())
        base = result.members["customer_id"].n_unique() / max(old["customer_id"].n_unique(), 1)
        said = f"; the base {base - 1:+.0%}" if abs(base - 1) >= BASE_MOVED else ""
        for segment in sorted(set(was) | set(now)):
            if _new_group(segment, scope):
                continue
            a, b = was.get(segment, 0), now.get(segment, 0)
            if a == 0 or b == 0:
                what = "appeared" if a == 0 else "emptied"
                message = f"{result.name} · {segment}: {what} ({count(a)} → {count(b)} customers)"
                alerts.append(Alert(result.name, segment, "size_change", "warning", 1.0, message))
                continue
            change = (b - a) / a
            shift = b / (a * base) - 1  # the change of the segment's share of the base
            if abs(shift) >= SIZE_WARNING and abs(b - a * base) >= floor:
                level = "critical" if abs(shift) >= SIZE_CRITICAL else "warning"
                small = is_small(a, k_min) or is_small(b, k_min)
                shown = "" if small else f" ({change:+.0%}{said})"
                message = f"{result.name} · {segment}: {count(a)} → {count(b)} customers{shown}"
                value = (1.0 if b > a else -1.0) if small else shift
                alerts.append(Alert(result.name, segment, "size_change", level, value, message))
    return alerts


def refitted_clusters(result: SegmentationResult, before: pl.DataFrame) -> tuple[str, ...] | None:
    """What this run's fresh fit regrouped against the last run's segments, if anything.

    ``before`` is the last run's members of the segmentation. ``()``: every segment is a
    new group, not comparable with the last run's, and size or drift alerts would say
    nothing; in a hybrid, the prefixes of the leaves that are (``"Big accounts › "``): the
    others are judged as usual. None: no regrouping (:func:`~segwise.store.refits.refit_scope`).
    """
    return refit_scope(result.method, result.definition, before, result.members)


def _new_group(segment: str, scope: tuple[str, ...] | None) -> bool:
    """Whether ``segment`` is one of the groups a fresh fit made (no alert compares it)."""
    return scope is not None and (not scope or segment.startswith(scope))


def _refit_alert(name: str, scope: tuple[str, ...]) -> Alert:
    # A fresh fit finds new segments with new names: comparing them with the last run's
    # would report every segment as emptied or appeared, which says nothing.
    if scope:  # a hybrid: only the leaves of the parents whose clusters were fitted afresh
        where = ", ".join(f"'{p.rstrip(' ›')}'" for p in scope)
        message = (
            f"{name}: the clusters inside {where} were fitted afresh, so the segments inside "
            f"{where} are new and not comparable with the last run's; keep the model (model: "
            f"PATH under segmentations.{name}.within.<segment>) to follow them over time"
        )
    else:
        message = (
            f"{name}: the clusters were fitted afresh, so its segments are new and not "
            "comparable with the last run's; keep the model (model: PATH) to follow the same "
            "segments over time"
        )
    return Alert(name, "", "refit", "warning", 0.0, message)


def psi(expected: pl.Series, actual: pl.Series) -> float | None:
    """Population stability index of ``actual`` against ``expected``'s deciles.

    None when either side has fewer than ``PSI_MIN_CUSTOMERS`` values.

    Examples
    --------
    >>> same = pl.Series(range(1000))
    >>> psi(same, same) < 0.001
    True
    >>> psi(same, pl.Series(range(500, 1500))) > 0.25
    True
    """
    found = psi_by_group(
        pl.DataFrame({"value": expected}).with_columns(group=0),
        pl.DataFrame({"value": actual}).with_columns(group=0),
        ["group"],
    )
    return float(found["psi"][0]) if found.height else None


def psi_by_group(expected: pl.DataFrame, actual: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    """PSI of ``actual``'s ``value`` column against ``expected``'s, per group of ``by``.

    Each group's bins are cut at the deciles of its expected values (ties merged): a value's
    bin is how many cut points lie below it, (-inf, e1], (e1, e2], … (e9, inf). A bin a side
    leaves empty counts as a share of 1e-4. Groups with fewer than ``PSI_MIN_CUSTOMERS``
    non-null values on either side are left out. One query for every group: a segmentation's
    segments × features were one Polars call each (1.6 s of the sample project's run).

    Examples
    --------
    >>> old = pl.DataFrame({"f": ["a"] * 100 + ["b"] * 100, "value": list(range(100)) * 2})
    >>> new = old.with_columns(pl.when(pl.col("f") == "b").then(pl.col("value") + 50)
    ...                          .otherwise(pl.col("value")).alias("value"))
    >>> found = psi_by_group(old, new, ["f"]).sort("f")
    >>> [round(v, 2) for v in found["psi"]]
    [0.0, 4.35]
    """
    old = expected.select(*by, pl.col("value").cast(pl.Float64)).drop_nulls("value")
    new = actual.select(*by, pl.col("value").cast(pl.Float64)).drop_nulls("value")
    deciles = [pl.col("value").quantile(q / 10, "linear").alias(f"q{q}") for q in range(1, 10)]
    groups = (
        old.group_by(by)
        .agg(pl.len().alias("n_old"), *deciles)
        .join(new.group_by(by).agg(pl.len().alias("n_new")), on=by)
        .filter(pl.min_horizontal("n_old", "n_new") >= PSI_MIN_CUSTOMERS)
        .select(
            *by,
            "n_old",
            "n_new",
            pl.concat_list([f"q{q}" for q in range(1, 10)])
            .list.unique()
            .list.sort()
            .alias("edges"),
        )
    )
    edges = groups.select(*by, "edges")

    def counts(values: pl.DataFrame, name: str) -> pl.DataFrame:
        below = [
            (pl.col("value") > pl.col("edges").list.get(k, null_on_oob=True))
            .fill_null(value=False)
            .cast(pl.Int64)
            for k in range(9)
        ]
        return (
            values.join(edges, on=by)
            .group_by(*by, pl.sum_horizontal(below).alias("bin"))
            .agg(pl.len().alias(name))
        )

    def share(count: str, total: str) -> pl.Expr:
        return pl.max_horizontal(pl.col(count).fill_null(0) / pl.col(total), pl.lit(_EPSILON))

    bins = groups.select(
        *by, "n_old", "n_new", pl.int_ranges(0, pl.col("edges").list.len() + 1).alias("bin")
    ).explode("bin")
    return (
        bins.join(counts(old, "c_old"), on=[*by, "bin"], how="left")
        .join(counts(new, "c_new"), on=[*by, "bin"], how="left")
        .with_columns(e=share("c_old", "n_old"), a=share("c_new", "n_new"))
        .group_by(by)
        .agg(((pl.col("a") - pl.col("e")) * (pl.col("a") / pl.col("e")).log()).sum().alias("psi"))
    )


def location_shift_by_group(
    expected: pl.DataFrame, actual: pl.DataFrame, by: list[str]
) -> pl.DataFrame:
    """Cliff's delta of ``actual``'s ``value`` against ``expected``'s, and both medians, per group.

    Delta is P(new > old) - P(new < old) over every pair of an old and a new value:
    from -1 (every new value below every old one) to 1; 0 when neither side tends
    above the other. It is the Mann-Whitney U of the two sides, scaled (ties count
    half), from average ranks in one query.

    Examples
    --------
    >>> old = pl.DataFrame({"g": [0] * 4, "value": [1.0, 2, 3, 4]})
    >>> new = pl.DataFrame({"g": [0] * 4, "value": [3.0, 4, 5, 6]})
    >>> location_shift_by_group(old, new, ["g"]).row(0)
    (0, 0.75, 2.5, 4.5)
    """
    sides = pl.concat(
        [
            expected.select(*by, pl.col("value").cast(pl.Float64), new=pl.lit(value=False)),
            actual.select(*by, pl.col("value").cast(pl.Float64), new=pl.lit(value=True)),
        ]
    ).drop_nulls("value")
    ranked = sides.with_columns(rank=pl.col("value").rank("average").over(by))
    n_new, n_old = pl.col("new").sum(), (~pl.col("new")).sum()
    u = pl.col("rank").filter(pl.col("new")).sum() - n_new * (n_new + 1) / 2
    return ranked.group_by(by).agg(
        (2 * u / (n_new * n_old) - 1).alias("delta"),
        pl.col("value").filter(~pl.col("new")).median().alias("median_old"),
        pl.col("value").filter(pl.col("new")).median().alias("median_new"),
    )


def drift_alerts(
    before: pl.DataFrame,
    before_features: pl.DataFrame | None,
    results: Sequence[SegmentationResult],
    features: pl.DataFrame,
    *,
    elapsed_days: float = 0.0,
) -> list[Alert]:
    """Segments whose customers shifted since the previous run: one alert per segment.

    ``elapsed_days`` (between the two runs' as-of dates) ages the last run's "days
    since" features (:data:`AGING_FEATURES`): a shift the clock explains is none.

    The features checked are those the segmentation reads (its rules' columns,
    its cluster model's features), else those its profile shows, less those
    that move with the clock alone (tenure); the alert names the three that
    moved most, with their medians and PSI. A segmentation that ranks customers
    afresh in every run (quantile RFM) is checked on its ranked features for the
    whole base, one alert for all its segments.
    """
    if before_features is None:
        return []
    old_table = before_features.with_columns(pl.col("customer_id").cast(pl.String))
    new_table = features.with_columns(pl.col("customer_id").cast(pl.String))
    alerts = []
    for result in results:
        old_members = before.filter(pl.col("segmentation") == result.name)
        scope = None if old_members.height == 0 else refitted_clusters(result, old_members)
        if old_members.height == 0 or scope == ():
            continue
        watched = _watched(result, features, before_features)
        if not watched:
            continue
        ranks = ranked_on(result)
        new_members = result.members.with_columns(pl.col("customer_id").cast(pl.String))
        old_rows = old_members.join(old_table, on="customer_id")
        new_rows = new_members.join(new_table, on="customer_id")
        scales = _scales(features, watched)
        own = [c for c in watched if c not in ranks.get("", ())]
        by_segment: dict[str, list[dict[str, Any]]] = {}
        if own:
            shifted = _shifts(_long(old_rows, own), _long(new_rows, own), scales, elapsed_days)
            for row in shifted.sort("psi", descending=True).iter_rows(named=True):
                segment = str(row["segment"])
                # A hybrid's RFM leaves are ranked within their parent: judged with it, below.
                if not any(segment.startswith(p) and row["column"] in f for p, f in ranks.items()):
                    by_segment.setdefault(segment, []).append(row)
        alerts += [
            _drift_alert(result.name, s, by_segment[s])
            for s in sorted(by_segment)
            if not _new_group(s, scope)
        ]
        for prefix, on in ranks.items():
            ranked = [c for c in watched if c in on]
            rows = (old_rows, new_rows)
            alerts += _base_drift(result.name, prefix, ranked, rows, scales, elapsed_days)
    return alerts


def _base_drift(
    name: str,
    prefix: str,
    ranked: list[str],
    rows: tuple[pl.DataFrame, pl.DataFrame],
    scales: dict[str, float],
    elapsed_days: float,
) -> list[Alert]:
    """The one alert of the customers ranked together (the segments under ``prefix``)."""
    if not ranked:
        return []
    inside = pl.col("segment").cast(pl.String).str.starts_with(prefix)
    was, now = (
        _long(r.filter(inside).unique("customer_id").with_columns(segment=pl.lit("")), ranked)
        for r in rows
    )
    moved = _shifts(was, now, scales, elapsed_days).sort("psi", descending=True)
    return [_base_alert(name, list(moved.iter_rows(named=True)), prefix)] if moved.height else []


def _shifts(
    old: pl.DataFrame, new: pl.DataFrame, scales: dict[str, float], elapsed_days: float
) -> pl.DataFrame:
    """The (segment, feature) pairs that moved: PSI, delta and medians, the clock allowed for.

    Kept when PSI says the distribution changed, Cliff's delta that the customers moved
    up or down, and the median moved by a tenth of the whole base's spread (its IQR): a
    segment cut narrow by its own feature shows "medium" deltas for a few days' move
    (CDNOW's Need Attention, 6 days wide: 4 days off the aged median, delta 0.34). For
    "days since" features the move is the smaller of the one from last run's values and
    the one from those values aged by ``elapsed_days``.
    """
    keys = ["segment", "column"]
    aging = pl.col("column").is_in(list(AGING_FEATURES))
    aged = old.with_columns(
        pl.when(aging).then(pl.col("value") + elapsed_days).otherwise(pl.col("value"))
    )
    clocked = location_shift_by_group(aged, new, keys).select(
        *keys, delta_aged="delta", median_aged="median_old"
    )
    use_aged = pl.col("delta_aged").abs() < pl.col("delta").abs()
    base = pl.when(use_aged).then(pl.col("median_aged")).otherwise(pl.col("median_old"))
    scale = pl.col("column").replace_strict(scales, default=0.0, return_dtype=pl.Float64)
    return (
        psi_by_group(old, new, keys)
        .filter(pl.col("psi") >= PSI_WARNING)
        .join(location_shift_by_group(old, new, keys), on=keys)
        .join(clocked, on=keys)
        .with_columns(
            delta=pl.when(use_aged).then(pl.col("delta_aged")).otherwise(pl.col("delta")),
            median_aged=pl.when(use_aged & aging).then(pl.col("median_aged")),
            moved=(pl.col("median_new") - base).abs(),
        )
        .filter((pl.col("delta").abs() >= SHIFT_SMALL) & (pl.col("moved") >= MATERIAL * scale))
    )


def _scales(features: pl.DataFrame, columns: list[str]) -> dict[str, float]:
    """Each feature's spread over the whole base: its IQR, or its standard deviation if 0."""
    spreads = features.select(
        *(pl.col(c).cast(pl.Float64).quantile(0.75).alias(f"{c}\x1fhigh") for c in columns),
        *(pl.col(c).cast(pl.Float64).quantile(0.25).alias(f"{c}\x1flow") for c in columns),
        *(pl.col(c).cast(pl.Float64).std().alias(f"{c}\x1fstd") for c in columns),
    ).row(0, named=True)
    found = {}
    for column in columns:
        high, low = spreads[f"{column}\x1fhigh"], spreads[f"{column}\x1flow"]
        if high is None or low is None:
            continue  # nobody has a value
        found[column] = high - low if high > low else spreads[f"{column}\x1fstd"] or 0.0
    return found


def _long(members: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """One row per member and feature: segment, column, value."""
    return members.select(
        pl.col("segment").cast(pl.String), *[pl.col(c).cast(pl.Float64) for c in columns]
    ).unpivot(on=columns, index="segment", variable_name="column", value_name="value")


def _watched(
    result: SegmentationResult, features: pl.DataFrame, before_features: pl.DataFrame
) -> list[str]:
    profiled = {feature for card in result.cards for feature in card.lift}
    wanted = set(result.reads) or profiled
    return [
        c
        for c, dtype in features.schema.items()
        if c in wanted
        and c not in CLOCK_FEATURES
        and dtype.is_numeric()
        and c in before_features.columns
    ]


def _drift_alert(segmentation: str, segment: str, shifted: list[dict[str, Any]]) -> Alert:
    """One segment's alert; ``shifted``: its moved features, the largest PSI first."""
    message = f"{segmentation} · {segment}: its customers shifted on {_moves(shifted)}"
    return Alert(
        segmentation, segment, "feature_drift", _level(shifted), shifted[0]["psi"], message
    )


def _base_alert(segmentation: str, shifted: list[dict[str, Any]], prefix: str = "") -> Alert:
    """A ranking segmentation's base moved on the features it scores: one alert, no segment.

    ``prefix``: a hybrid's parent whose RFM leaves rank within it (``"Everyone else › "``).
    """
    whole = f"the customers of '{prefix.rstrip(' ›')}'" if prefix else "the whole base"
    message = (
        f"{segmentation}: {whole} moved on {_moves(shifted)}; its scores rank customers "
        "within each run, so each score, and each segment, now spans other values "
        "(the report's score table shows this run's ranges)"
    )
    return Alert(segmentation, "", "base_drift", _level(shifted), shifted[0]["psi"], message)


def _level(shifted: list[dict[str, Any]]) -> str:
    far = any(r["psi"] >= PSI_CRITICAL and abs(r["delta"]) >= SHIFT_MEDIUM for r in shifted)
    return "critical" if far else "warning"


def _moves(shifted: list[dict[str, Any]]) -> str:
    """The three largest moves in words, e.g. ``recency_days (median 9 → 24, PSI 0.80)``."""

    def told(row: dict[str, Any]) -> str:
        medians = f"median {_number(row['median_old'])} → {_number(row['median_new'])}"
        if row["median_aged"] is not None:  # set where the aged values were the nearer
            medians += f", {_number(row['median_aged'])} if none had bought since"
        return f"{row['column']} ({medians}, PSI {row['psi']:.2f})"

    more = f" and {len(shifted) - 3} more" if len(shifted) > 3 else ""
    return ", ".join(told(row) for row in shifted[:3]) + more


def _number(value: float) -> str:
    """A median as people read it: whole numbers whole, others to 3 significant digits."""
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.3g}" if abs(value) < 1_000 else f"{value:,.0f}"
