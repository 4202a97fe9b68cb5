"""Designing an experiment: customers needed per arm, and the smallest lift a segment shows.

``plan`` turns a baseline and a minimum detectable effect (MDE) into a sample
size (:mod:`segwise.measure.power`); ``detectable`` answers the reverse for a
segment of a given size: the smallest lift it could show at that power, which
is what a marketer needs to hear about a segment too small to test.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from scipy import optimize

from segwise.exceptions import ConfigError
from segwise.measure.power import power_of, proportion_effect, sample_size

if TYPE_CHECKING:
    from segwise.measure.comparisons import MetricKind


@dataclass(frozen=True)
class Design:
    """A two-arm design: what it should detect, and the customers it needs."""

    metric: MetricKind
    baseline: float
    #: the absolute lift to detect (0.01 = +1 pp for a share; in the metric's units for a mean)
    mde: float
    #: the metric's standard deviation (means only)
    std: float | None
    alpha: float
    power: float
    #: treatment customers per control customer
    ratio: float
    #: Cohen's h (shares) or d (means)
    effect_size: float
    n_per_arm: int

    @property
    def n_treatment(self) -> int:
        """Customers in the treatment arm (``ratio`` times the control arm, rounded up)."""
        return math.ceil(self.n_per_arm * self.ratio - 1e-9)

    @property
    def n_total(self) -> int:
        """Customers the experiment needs in all."""
        return self.n_per_arm + self.n_treatment

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, with the totals."""
        return {**asdict(self), "n_treatment": self.n_treatment, "n_total": self.n_total}


def plan(
    baseline: float,
    mde: float,
    *,
    std: float | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
) -> Design:
    """Customers per arm to detect ``mde`` over ``baseline`` (a share, or a mean with ``std``).

    Examples
    --------
    >>> plan(0.05, 0.01).n_per_arm
    8143
    >>> plan(40.0, 2.0, std=25.0).n_per_arm
    2453
    """
    _check(baseline, mde, std, alpha, power, ratio)
    if std is None:
        effect = proportion_effect(baseline + mde, baseline)
        kind: MetricKind = "binary"
    else:
        effect = mde / std
        kind = "continuous"
    n = sample_size(effect, alpha=alpha, power=power, ratio=ratio)
    return Design(kind, baseline, mde, std, alpha, power, ratio, effect, n)


def detectable(design: Design, customers: int) -> float:
    """The smallest absolute lift ``customers`` (split as designed) detect at the design's power.

    NaN when the segment is too small for any lift to reach that power.
    """
    control = customers / (1 + design.ratio)
    if control < 2:
        return math.nan

    def short_of(effect: float) -> float:
        return power_of(effect, control, alpha=design.alpha, ratio=design.ratio) - design.power

    if design.std is not None:
        if short_of(50.0) < 0:
            return math.nan
        return float(optimize.brentq(short_of, 1e-12, 50.0, xtol=1e-12)) * design.std
    # A share can rise at most to 1: the largest effect is Cohen's h from the baseline to 1.
    ceiling = proportion_effect(1.0, design.baseline)
    if short_of(ceiling) < 0:
        return math.nan
    h = float(optimize.brentq(short_of, 1e-12, ceiling, xtol=1e-12))
    return math.sin(h / 2 + math.asin(math.sqrt(design.baseline))) ** 2 - design.baseline


def _check(
    baseline: float, mde: float, std: float | None, alpha: float, power: float, ratio: float
) -> None:
    if not 0 < alpha < 1:
        raise ConfigError(f"--alpha {alpha} is not between 0 and 1", hint="e.g. --alpha 0.05")
    if not 0 < power < 1:
        raise ConfigError(f"--power {power} is not between 0 and 1", hint="e.g. --power 0.8")
    if ratio <= 0:
        raise ConfigError(f"--ratio {ratio} must be above 0", hint="1 splits evenly")
    if mde == 0:
        raise ConfigError("--mde 0 cannot be detected", hint="give the smallest lift worth having")
    if std is not None:
        if std <= 0:
            raise ConfigError(f"--std {std} must be above 0", hint="the metric's spread")
        return
    if not 0 < baseline < 1:
        raise ConfigError(
            f"--baseline {baseline} is not a share between 0 and 1",
            hint="give a conversion rate such as 0.05, or --std for a mean",
        )
    if not 0 < baseline + mde < 1:
        raise ConfigError(
            f"--baseline {baseline} with --mde {mde} leaves 0..1",
            hint="the MDE is absolute: 0.01 is +1 percentage point",
        )
