"""An experiment's readout: every variant against control, in every segment, on every metric.

From each customer's metric values (:mod:`segwise.measure.outcomes`) and the
segment they were in when first exposed, the engine aggregates each arm to its
sufficient statistics; then per segment (and ``(all)``, the whole experiment),
variant and metric:

- the test: a z-test for shares, Welch's t-test for means, the latter on
  CUPED-adjusted values when the pre-period helps (the variance it removed is
  reported);
- the absolute and relative lift with 95% intervals;
- p-values adjusted across every segment × metric × variant (Holm, or
  Benjamini–Hochberg), and "significant" read from the adjusted one;
- a sample-ratio check of the whole experiment and of each segment;
- per variant and metric, Cochran's Q: does the effect differ across segments;
- a verdict in words per segment;
- optionally, the Bayesian readout (:mod:`segwise.measure.bayes`): the chance
  the variant beats control and the expected loss of choosing it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl

from segwise.measure.bayes import BayesReadout, readout_of
from segwise.measure.comparisons import Arm, Comparison, RatioArm, compare, compare_ratios
from segwise.measure.corrections import adjust
from segwise.measure.cuped import PairedArm, cuped, variance_reduction
from segwise.measure.heterogeneity import heterogeneity
from segwise.measure.outcomes import PRE
from segwise.measure.srm import RatioCheck, sample_ratio

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from segwise.measure.corrections import Correction
    from segwise.measure.outcomes import Metric

#: The segment label of the whole experiment.
ALL = "(all)"

_STATS = ("n", "mean", "var", "mean_pre", "var_pre", "cov")


def arm_statistics(
    values: pl.LazyFrame,
    segments: pl.LazyFrame,
    metrics: Sequence[Metric],
    *,
    on: str = "customer_id",
) -> pl.DataFrame:
    """Per segment (and ``(all)``), variant and metric: n, mean, var, pre-period mean, var, cov.

    ``segments`` holds ``on`` (the customer) and ``segment``; a customer may have
    several rows. Every metric is aggregated in the same pass (one group-by per level).
    """
    wide = arm_aggregates(values, segments, metrics, on=on).collect(engine="streaming")
    return arm_table(wide, metrics)


def arm_aggregates(
    values: pl.LazyFrame,
    segments: pl.LazyFrame,
    metrics: Sequence[Metric],
    *,
    on: str = "customer_id",
) -> pl.LazyFrame:
    """The query of :func:`arm_statistics`: one row per segment and variant.

    For :func:`arm_table`; a caller collects it beside other queries on the same sources.
    """
    aggregations = [pl.len().alias("n")]
    for position, metric in enumerate(metrics):
        y, x = pl.col(metric.name), pl.col(metric.name + PRE)
        aggregations += [
            y.mean().alias(f"mean_{position}"),
            y.var(ddof=1).alias(f"var_{position}"),
            x.mean().alias(f"mean_pre_{position}"),
            x.var(ddof=1).alias(f"var_pre_{position}"),
            pl.cov(y, x, ddof=1).alias(f"cov_{position}"),
        ]
    by_segment = values.join(segments, on=on, how="inner").group_by("segment", "variant")
    overall = (
        values.group_by("variant").agg(aggregations).select(pl.lit(ALL).alias("segment"), pl.all())
    )
    return pl.concat([by_segment.agg(aggregations), overall], how="vertical_relaxed")


def arm_table(wide: pl.DataFrame, metrics: Sequence[Metric]) -> pl.DataFrame:
    """:func:`arm_aggregates`' rows as one row per segment, variant and metric."""
    table = pl.concat(
        [
            wide.select(
                "segment",
                "variant",
                pl.lit(metric.name).alias("metric"),
                "n",
                *(pl.col(f"{name}_{position}").alias(name) for name in _STATS[1:]),
            )
            for position, metric in enumerate(metrics)
        ]
    )
    return table.with_columns(pl.col(_STATS[1:]).fill_nan(None).fill_null(0.0))


@dataclass(frozen=True)
class Result:
    """One variant against control, in one segment, on one metric."""

    segment: str
    variant: str
    metric: str
    comparison: Comparison
    #: share of the lift's variance CUPED removed (None: not applied)
    variance_reduction: float | None
    p_adjusted: float = math.nan
    significant: bool = False
    #: the Bayesian readout, when asked for
    bayes: BayesReadout | None = None

    def to_dict(self) -> dict[str, Any]:
        """The issue's JSON row, then the rest of the comparison."""
        c = self.comparison
        return _clean(
            {
                "segment": self.segment,
                "variant": self.variant,
                "metric": self.metric,
                "n": c.n,
                "mean": c.mean,
                "control_n": c.control_n,
                "control_mean": c.control_mean,
                "lift": c.lift,
                "ci_low": c.ci_low,
                "ci_high": c.ci_high,
                "p_value": c.p_value,
                "p_adjusted": self.p_adjusted,
                "significant": self.significant,
                "kind": c.kind,
                "relative_lift": c.relative_lift,
                "relative_ci_low": c.relative_ci_low,
                "relative_ci_high": c.relative_ci_high,
                "variance_reduction": self.variance_reduction,
                **(
                    {}
                    if self.bayes is None
                    else {
                        "prob_beat_control": self.bayes.prob_beat_control,
                        "expected_loss": self.bayes.expected_loss,
                    }
                ),
            }
        )


@dataclass(frozen=True)
class Readout:
    """Everything ``segwise experiment analyze`` says about one experiment."""

    experiment: str
    control: str
    variants: list[str]
    correction: str
    srm: RatioCheck
    segment_srm: dict[str, RatioCheck]
    results: list[Result]
    heterogeneity: list[dict[str, Any]]
    verdicts: dict[str, str]
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{"experiment", "srm", "results", ...}``."""
        return {
            "experiment": self.experiment,
            "control": self.control,
            "variants": self.variants,
            "correction": self.correction,
            "srm": _clean({"p_value": self.srm.p_value, "flagged": self.srm.flagged}),
            "segment_srm": {
                s: _clean({"p_value": c.p_value, "flagged": c.flagged})
                for s, c in self.segment_srm.items()
            },
            "results": [r.to_dict() for r in self.results],
            "heterogeneity": [_clean(h) for h in self.heterogeneity],
            "verdicts": self.verdicts,
            "notes": self.notes,
        }


def readout(
    experiment: str,
    stats: pl.DataFrame,
    metrics: Sequence[Metric],
    *,
    control: str,
    split: Mapping[str, float] | None = None,
    correction: Correction = "holm",
    use_cuped: bool = True,
    alpha: float = 0.05,
    bayes: bool = False,
) -> Readout:
    """Compare every variant with ``control`` per segment and metric (see the module)."""
    variants = sorted(set(stats["variant"].to_list()))
    shares = dict(split) if split else dict.fromkeys(variants, 1.0)
    arms = {
        (row["segment"], row["variant"], row["metric"]): row for row in stats.iter_rows(named=True)
    }
    kinds = {m.name: m.kind for m in metrics}
    results = []
    segments = [ALL, *sorted({s for s in stats["segment"].to_list() if s != ALL})]
    for segment in segments:
        for variant in (v for v in variants if v != control):
            for metric in metrics:
                held = arms.get((segment, control, metric.name))
                tried = arms.get((segment, variant, metric.name))
                if held is None or tried is None:
                    continue  # the segment has no one in one of the arms
                pair = (held, tried)
                results.append(_result(segment, variant, metric.name, kinds, pair, use_cuped))
    adjusted = adjust([r.comparison.p_value for r in results], correction)
    results = [
        Result(
            r.segment,
            r.variant,
            r.metric,
            r.comparison,
            r.variance_reduction,
            p,
            not math.isnan(p) and p < alpha,
            readout_of(r.comparison) if bayes else None,
        )
        for r, p in zip(results, adjusted, strict=True)
    ]
    counts = _counts(stats, metrics[0].name)
    srm = _ratio(counts[ALL], shares)
    return Readout(
        experiment,
        control,
        variants,
        correction,
        srm,
        {s: _ratio(c, shares) for s, c in counts.items() if s != ALL},
        results,
        _heterogeneity(results),
        verdicts(results, control),
    )


def _result(
    segment: str,
    variant: str,
    metric: str,
    kinds: Mapping[str, Any],
    pair: tuple[dict[str, Any], dict[str, Any]],
    use_cuped: bool,
) -> Result:
    if kinds[metric] == "ratio":  # numerator and denominator ride in the metric's two columns
        control, treatment = (
            RatioArm(int(a["n"]), a["mean"], a["mean_pre"], a["var"], a["var_pre"], a["cov"])
            for a in pair
        )
        return Result(segment, variant, metric, compare_ratios(control, treatment), None)
    raw = [Arm(int(a["n"]), a["mean"], a["var"]) for a in pair]
    if kinds[metric] == "binary" or not use_cuped:
        return Result(segment, variant, metric, compare(kinds[metric], *raw), None)
    paired = [
        PairedArm(int(a["n"]), a["mean"], a["mean_pre"], a["var"], a["var_pre"], a["cov"])
        for a in pair
    ]
    adjusted = cuped(paired).arms
    return Result(
        segment,
        variant,
        metric,
        compare("continuous", *adjusted),
        variance_reduction(raw, adjusted),
    )


def _counts(stats: pl.DataFrame, metric: str) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for row in stats.filter(pl.col("metric") == metric).iter_rows(named=True):
        counts.setdefault(row["segment"], {})[row["variant"]] = int(row["n"])
    return counts


def _ratio(observed: Mapping[str, int], shares: Mapping[str, float]) -> RatioCheck:
    variants = [v for v in shares if v in observed or shares[v] > 0]
    if len(variants) < 2:
        return RatioCheck(math.nan, math.nan, flagged=False)
    return sample_ratio([observed.get(v, 0) for v in variants], [shares[v] for v in variants])


def _heterogeneity(results: Sequence[Result]) -> list[dict[str, Any]]:
    """Per variant and metric: does the lift differ across segments (Cochran's Q)."""
    found = []
    pairs = dict.fromkeys((r.variant, r.metric) for r in results)
    for variant, metric in pairs:
        rows = [
            r for r in results if (r.variant, r.metric) == (variant, metric) and r.segment != ALL
        ]
        test = heterogeneity(
            [r.comparison.lift for r in rows], [r.comparison.standard_error for r in rows]
        )
        found.append(
            {
                "variant": variant,
                "metric": metric,
                "segments": len(rows),
                "q": test.q,
                "df": test.df,
                "p_value": test.p_value,
                "i_squared": test.i_squared,
            }
        )
    return found


def verdicts(results: Sequence[Result], control: str) -> dict[str, str]:
    """One sentence per segment: the significant lifts, or that there is none to see."""
    said: dict[str, str] = {}
    for segment in dict.fromkeys(r.segment for r in results):
        found = [r for r in results if r.segment == segment and r.significant]
        where = "overall" if segment == ALL else f"in {segment}"
        if not found:
            said[segment] = f"No detectable effect {where} after correction."
            continue
        said[segment] = " ".join(
            f"Variant {r.variant} {'lifts' if r.comparison.lift > 0 else 'lowers'} {r.metric} "
            f"{where} by {_amount(r)}, significant after correction (vs {control})."
            for r in found
        )
    return said


def _amount(result: Result) -> str:
    c = result.comparison
    if c.kind == "binary":
        return f"{c.lift * 100:+.1f} pp [{c.ci_low * 100:.1f}, {c.ci_high * 100:.1f}]"
    relative = "" if math.isnan(c.relative_lift) else f" ({c.relative_lift:+.1%})"
    return f"{c.lift:+.2f}{relative} [{c.ci_low:.2f}, {c.ci_high:.2f}]"


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    """NaN (no test) as None: JSON has no NaN."""
    return {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()}
