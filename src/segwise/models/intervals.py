"""Intervals on every customer's predictions, from draws of the fitted parameters.

The parameters' sampling distribution is approximated by a normal on their
log scale (coefficients on their own), with the inverse Hessian of the fit as
covariance: a parametric bootstrap without refitting. Each draw predicts every
customer; the interval is the draws' quantiles per customer.

Memory is what stops this elsewhere (a draw × customer array of 500 × 1M
floats is 4 GB per quantity). Here predictions are computed once per distinct
customer history, in batches of histories, so at most ``draws × batch_size``
values per quantity are held at once; the result is mapped back to customers.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from segwise.exceptions import ConfigError, DataError
from segwise.models.base import purchase_summary, summary_arrays
from segwise.models.clv import customer_lifetime_value
from segwise.models.covariates import covariate_matrix
from segwise.models.histories import distinct_rows

if TYPE_CHECKING:
    from collections.abc import Iterator

    from segwise.models.base import MaximumLikelihoodModel, PurchaseCountModel
    from segwise.models.gamma_gamma import GammaGammaModel

#: Distinct histories predicted together: 500 draws × 20,000 × 8 bytes is 80 MB a quantity.
BATCH_SIZE = 20_000
#: A positive parameter whose standard error on the log scale is above this is as good as
#: flat: its 95% interval spans a factor of e^(2 × 1.96 × 10) ≈ 10^17, and draws that wide
#: leave the floating-point range (a BG/NBD fit whose a and b run off together).
MAX_LOG_SE = 10.0


def flat_parameters(model: MaximumLikelihoodModel) -> list[str]:
    """The parameters (and coefficients) whose likelihood is flat: no variance can be read.

    A fit at the edge of its space (BG/NBD finding no dropout, say) leaves one
    direction without curvature (no finite positive variance), or so little that the
    standard error on the log scale exceeds ``MAX_LOG_SE``; the draws hold those at
    their estimate.

    Examples
    --------
    >>> import segwise as sw
    >>> model = sw.BetaGeoModel()
    >>> model.params_, model.coefficients_ = {"r": 1, "alpha": 2, "a": 3, "b": 4}, {}
    >>> model.covariance_ = np.diag([0.1, 0.2, 30.0**2 * 9, -1.0])
    >>> flat_parameters(model)
    ['a', 'b']
    """
    names = [*model.PARAMS, *model.coefficients_]
    variance = np.diag(model.covariance_)
    values = [*model.params_.values(), *model.coefficients_.values()]
    positive = len(model.PARAMS)

    def unreadable(i: int, v: float) -> bool:
        if not (np.isfinite(v) and v > 0):
            return True
        return i < positive and bool(np.sqrt(v) > MAX_LOG_SE * abs(values[i]))

    pairs = enumerate(zip(names, variance, strict=True))
    return [name for i, (name, v) in pairs if unreadable(i, v)]


def parameter_draws(model: MaximumLikelihoodModel, draws: int, seed: int = 0) -> np.ndarray:
    """``draws`` parameter vectors (parameters, then coefficients) around the fit.

    Positive parameters are drawn on their log scale, so every draw is valid. Flat
    parameters (:func:`flat_parameters`) stay at their estimate in every draw.

    Examples
    --------
    >>> import segwise as sw
    >>> summary = {"frequency": [0, 1, 3, 0, 2, 5], "recency": [0, 5, 20, 0, 9, 30],
    ...            "T": [30, 30, 35, 12, 40, 36]}
    >>> draws = parameter_draws(sw.BetaGeoModel().fit(summary), 100, seed=1)
    >>> draws.shape, bool((draws > 0).all())
    ((100, 4), True)
    """
    if draws < 1:
        raise ConfigError(f"draws must be 1 or more, not {draws}")
    if not hasattr(model, "covariance_"):
        raise DataError(
            "the model has no covariance to draw from", hint="fit it with fit(summary) first"
        )
    params = np.array([model.params_[name] for name in model.PARAMS])
    shift = model._optimised_shift()
    coefficients = np.array(list(model.coefficients_.values()))
    centre = np.concatenate([params - shift, coefficients])
    k = params.size
    flat = set(flat_parameters(model))
    names = [*model.PARAMS, *model.coefficients_]
    free = np.array([name not in flat for name in names])
    if not free.any():
        raise DataError(
            f"the {model.MODEL} fit has no standard errors (a flat likelihood)",
            hint="intervals need a fit with a curved likelihood: more customers, or a penalizer",
        )
    scale = np.concatenate([1 / centre[:k], np.ones(coefficients.size)])
    transformed = model.covariance_ * np.outer(scale, scale)  # the delta method onto log θ
    mean = np.concatenate([np.log(centre[:k]), coefficients])
    rng = np.random.default_rng(seed)
    sample = np.tile(mean, (draws, 1))
    sample[:, free] = rng.multivariate_normal(
        mean[free], transformed[np.ix_(free, free)], size=draws, method="eigh"
    )
    sample[:, :k] = np.exp(sample[:, :k]) + shift
    return sample


def _at(model: Any, theta: np.ndarray) -> Any:
    """A shallow copy of ``model`` whose fitted parameters are ``theta``."""
    clone = copy.copy(model)
    k = len(model.PARAMS)
    clone.params_ = dict(zip(model.PARAMS, theta[:k].tolist(), strict=True))
    clone.coefficients_ = dict(zip(model.coefficients_, theta[k:].tolist(), strict=True))
    return clone


def _distinct_histories(summary: Any, columns: list[str]) -> tuple[pl.DataFrame, np.ndarray]:
    """The distinct rows of ``columns`` and, per customer, the index of theirs."""
    x, _, _ = purchase_summary(summary)  # checked as the predictions check it
    if "monetary_value" in columns:
        summary_arrays(summary, ["monetary_value"])
    matrix = covariate_matrix(summary, columns, x.size)
    distinct, inverse = distinct_rows(matrix)
    return pl.DataFrame(distinct, schema=columns, orient="row"), inverse


def _batches(histories: pl.DataFrame, size: int) -> Iterator[tuple[int, dict[str, np.ndarray]]]:
    for start in range(0, histories.height, size):
        part = histories.slice(start, size)
        yield start, {name: part[name].to_numpy() for name in part.columns}


def prediction_intervals(
    purchase_model: PurchaseCountModel,
    summary: Any,
    *,
    horizon: float,
    spend_model: GammaGammaModel | None = None,
    periods: int = 1,
    discount_rate: float = 0.0,
    draws: int = 500,
    level: float = 0.95,
    seed: int = 0,
    batch_size: int = BATCH_SIZE,
) -> pl.DataFrame:
    """Lower and upper bounds of P(alive), expected purchases and (with a spend model) CLV.

    Parameters
    ----------
    purchase_model, spend_model
        Fitted models (BG/NBD, MBG/NBD or Pareto/NBD; Gamma-Gamma).
    summary
        The customers, as for the models' predictions (with their covariate columns).
    horizon, periods, discount_rate
        As for ``predict_customers``: ``expected_purchases`` over ``horizon`` time
        units; CLV over ``periods`` periods spanning the horizon.
    draws, level, seed
        Parameter draws, the interval's coverage, the random seed.

    Returns
    -------
    polars.DataFrame
        One row per customer, in the summary's order: ``p_alive_lower, p_alive_upper,
        expected_purchases_lower, expected_purchases_upper`` and ``clv_lower,
        clv_upper`` with a spend model.

    Examples
    --------
    >>> import segwise as sw
    >>> summary = {"frequency": [0, 1, 3, 0, 2, 5], "recency": [0, 5, 20, 0, 9, 30],
    ...            "T": [30, 30, 35, 12, 40, 36]}
    >>> model = sw.BetaGeoModel().fit(summary)
    >>> bounds = prediction_intervals(model, summary, horizon=10, draws=200)
    >>> point = model.expected_purchases(summary, 10)
    >>> low, high = bounds["expected_purchases_lower"], bounds["expected_purchases_upper"]
    >>> bool(((low.to_numpy() <= point) & (point <= high.to_numpy())).all())
    True
    """
    if not 0 < level < 1:
        raise ConfigError(f"level must be between 0 and 1, not {level}")
    models: list[Any] = [purchase_model] + ([spend_model] if spend_model is not None else [])
    columns = ["frequency", "recency", "T"] + (["monetary_value"] if spend_model else [])
    for model in models:
        for group in model._covariate_groups().values():
            columns += [c for c in group if c not in columns]
    histories, customer_row = _distinct_histories(summary, columns)
    purchase_draws = parameter_draws(purchase_model, draws, seed)
    spend_draws = parameter_draws(spend_model, draws, seed + 1) if spend_model else None
    names = ["p_alive", "expected_purchases"] + (["clv"] if spend_model else [])
    bounds = {name: np.empty((2, histories.height)) for name in names}
    quantiles = [(1 - level) / 2, (1 + level) / 2]
    for start, batch in _batches(histories, batch_size):
        rows = batch["frequency"].size
        values = {name: np.empty((draws, rows)) for name in names}
        for d in range(draws):
            purchases = _at(purchase_model, purchase_draws[d])
            values["p_alive"][d] = purchases.p_alive(batch)
            values["expected_purchases"][d] = purchases.expected_purchases(batch, horizon)
            if spend_model is not None and spend_draws is not None:
                spend = _at(spend_model, spend_draws[d])
                # Undiscounted CLV is the value per purchase times the purchases just drawn.
                values["clv"][d] = (
                    spend.expected_average_value(batch) * values["expected_purchases"][d]
                    if discount_rate == 0
                    else customer_lifetime_value(
                        purchases,
                        spend,
                        batch,
                        periods=periods,
                        period_length=horizon / periods,
                        discount_rate=discount_rate,
                    )
                )
        for name in names:
            bounds[name][:, start : start + rows] = np.quantile(values[name], quantiles, axis=0)
    return pl.DataFrame(
        {
            f"{name}_{side}": bounds[name][index][customer_row]
            for name in names
            for index, side in enumerate(("lower", "upper"))
        }
    )
