"""One variant against control on one metric: the test, the lift and its interval.

Everything is computed from each arm's sufficient statistics (customers, mean,
variance), which the engine aggregates: ten million exposures become a few
numbers per arm before any statistics run.

- Binary metrics (conversion): the two-proportion z-test with the pooled
  proportion, and a Wald interval on the difference (unpooled), as
  ``statsmodels.stats.proportion.proportions_ztest`` and
  ``confint_proportions_2indep(method="wald")`` compute them.
- Continuous metrics (revenue, orders): Welch's t-test and its interval on the
  difference with the Welch–Satterthwaite degrees of freedom, as
  ``scipy.stats.ttest_ind(equal_var=False)`` computes them.
- The relative lift (treatment / control - 1) gets a delta-method interval.

References
----------
Welch, B. L. (1947). The generalization of "Student's" problem when several
different population variances are involved. *Biometrika* 34, 28–35.
Kohavi, R., Tang, D. & Xu, Y. (2020). *Trustworthy Online Controlled
Experiments*, ch. 17 (the delta method for ratios).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from scipy import special

#: How a metric is tested: a share of customers, a mean of values, or a ratio of two means
#: (AOV: revenue over orders, summed over the arm's customers).
MetricKind = Literal["binary", "continuous", "ratio"]


@dataclass(frozen=True)
class Arm:
    """One arm's sufficient statistics for one metric.

    ``variance`` is the sample variance (ddof=1) of the per-customer values;
    for a binary metric only ``mean`` (the share converting) is read.
    """

    n: int
    mean: float
    variance: float = 0.0

    @classmethod
    def of_proportion(cls, successes: int, n: int) -> Arm:
        """An arm of a binary metric from its count of successes."""
        mean = successes / n if n else math.nan
        return cls(n, mean, mean * (1 - mean) * n / (n - 1) if n > 1 else math.nan)


@dataclass(frozen=True)
class Comparison:
    """Treatment against control: absolute and relative lift, interval and p-value."""

    kind: MetricKind
    n: int
    mean: float
    control_n: int
    control_mean: float
    #: treatment mean - control mean (for a share: in proportion units, 0.021 = +2.1 pp)
    lift: float
    ci_low: float
    ci_high: float
    #: treatment mean / control mean - 1, with a delta-method interval
    relative_lift: float
    relative_ci_low: float
    relative_ci_high: float
    statistic: float
    p_value: float
    #: the standard error of ``lift``
    standard_error: float


@dataclass(frozen=True)
class RatioArm:
    """One arm of a ratio metric: per-customer numerator ``y`` and denominator ``x`` (ddof=1)."""

    n: int
    mean_y: float
    mean_x: float
    var_y: float
    var_x: float
    cov_xy: float

    @property
    def ratio(self) -> float:
        """Sum of ``y`` over sum of ``x`` (NaN when ``x`` sums to 0)."""
        return self.mean_y / self.mean_x if self.mean_x else math.nan

    @property
    def variance(self) -> float:
        """The delta-method variance of :attr:`ratio`."""
        if not self.mean_x or self.n < 2:
            return math.nan
        r = self.ratio
        spread = self.var_y - 2 * r * self.cov_xy + r * r * self.var_x
        return max(spread, 0.0) / (self.n * self.mean_x**2)


def compare_ratios(
    control: RatioArm, treatment: RatioArm, *, confidence: float = 0.95
) -> Comparison:
    """Treatment's ratio against control's (a z-test on delta-method variances).

    Examples
    --------
    >>> a = RatioArm(n=1000, mean_y=50.0, mean_x=1.0, var_y=900.0, var_x=0.5, cov_xy=10.0)
    >>> b = RatioArm(n=1000, mean_y=56.0, mean_x=1.0, var_y=900.0, var_x=0.5, cov_xy=10.0)
    >>> round(compare_ratios(a, b).lift, 2)
    6.0
    """
    r_c, r_t = control.ratio, treatment.ratio
    v_c, v_t = control.variance, treatment.variance
    lift = r_t - r_c
    se = math.sqrt(v_c + v_t) if not math.isnan(v_c + v_t) else math.nan
    z = float(special.ndtri(0.5 + confidence / 2))
    ok = se > 0
    statistic = lift / se if ok else math.nan
    p_value = float(2 * special.ndtr(-abs(statistic))) if ok else math.nan
    if r_c and not math.isnan(r_c):
        half = z * math.sqrt(v_t / r_c**2 + r_t**2 * v_c / r_c**4)
        relative = (r_t / r_c - 1, r_t / r_c - 1 - half, r_t / r_c - 1 + half)
    else:
        relative = (math.nan, math.nan, math.nan)
    return Comparison(
        "ratio",
        treatment.n,
        r_t,
        control.n,
        r_c,
        lift,
        lift - z * se if ok else math.nan,
        lift + z * se if ok else math.nan,
        *relative,
        statistic,
        p_value,
        se,
    )


def compare(
    kind: MetricKind, control: Arm, treatment: Arm, *, confidence: float = 0.95
) -> Comparison:
    """Test ``treatment`` against ``control``: a z-test for shares, Welch's t-test for means.

    Examples
    --------
    >>> result = compare("binary", Arm.of_proportion(100, 2000), Arm.of_proportion(140, 2000))
    >>> round(result.lift, 3), round(result.p_value, 4)
    (0.02, 0.0077)
    """
    if kind == "binary":
        return _proportions(control, treatment, confidence)
    return _means(control, treatment, confidence)


def _proportions(control: Arm, treatment: Arm, confidence: float) -> Comparison:
    p_c, p_t = control.mean, treatment.mean
    lift = p_t - p_c
    pooled = (p_c * control.n + p_t * treatment.n) / (control.n + treatment.n)
    null_se = math.sqrt(pooled * (1 - pooled) * (1 / control.n + 1 / treatment.n))
    # Both arms all-or-nothing alike: nothing to test (statsmodels answers NaN too).
    statistic = lift / null_se if null_se > 0 else math.nan
    p_value = float(2 * special.ndtr(-abs(statistic))) if null_se > 0 else math.nan
    se = math.sqrt(p_c * (1 - p_c) / control.n + p_t * (1 - p_t) / treatment.n)
    z = float(special.ndtri(0.5 + confidence / 2))
    # Population variances p(1-p), as the Wald interval above uses them.
    relative = _relative(p_c, p_c * (1 - p_c), control.n, p_t, p_t * (1 - p_t), treatment.n, z)
    return Comparison(
        "binary",
        treatment.n,
        p_t,
        control.n,
        p_c,
        lift,
        lift - z * se,
        lift + z * se,
        *relative,
        statistic,
        p_value,
        se,
    )


def _means(control: Arm, treatment: Arm, confidence: float) -> Comparison:
    lift = treatment.mean - control.mean
    share_c, share_t = control.variance / control.n, treatment.variance / treatment.n
    se = math.sqrt(share_c + share_t)
    if se > 0 and control.n > 1 and treatment.n > 1:
        df = (share_c + share_t) ** 2 / (
            share_c**2 / (control.n - 1) + share_t**2 / (treatment.n - 1)
        )
        statistic = lift / se
        # scipy.special directly: scipy.stats' distribution objects cost 40 µs a call.
        p_value = float(2 * special.stdtr(df, -abs(statistic)))
        half = float(special.stdtrit(df, 0.5 + confidence / 2)) * se
    else:  # no spread (or one customer): no test, as scipy answers NaN
        statistic = p_value = half = math.nan
    z = float(special.ndtri(0.5 + confidence / 2))
    relative = _relative(
        control.mean,
        control.variance,
        control.n,
        treatment.mean,
        treatment.variance,
        treatment.n,
        z,
    )
    return Comparison(
        "continuous",
        treatment.n,
        treatment.mean,
        control.n,
        control.mean,
        lift,
        lift - half,
        lift + half,
        *relative,
        statistic,
        p_value,
        se,
    )


def _relative(
    mean_c: float, var_c: float, n_c: int, mean_t: float, var_t: float, n_t: int, z: float
) -> tuple[float, float, float]:
    """Relative lift (treatment / control - 1), delta-method interval; NaN when control is 0."""
    if mean_c == 0 or math.isnan(mean_c):
        return math.nan, math.nan, math.nan
    ratio = mean_t / mean_c
    variance = var_t / (n_t * mean_c**2) + mean_t**2 * var_c / (n_c * mean_c**4)
    half = z * math.sqrt(variance)
    return ratio - 1, ratio - 1 - half, ratio - 1 + half
