"""What the BTYD models share: reading the summary columns, maximum likelihood, standard errors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

import numpy as np
from scipy import optimize

from segwise.engine.frames import to_lazy
from segwise.exceptions import ConfigError, DataError
from segwise.models.covariates import coefficient_names, covariate_matrix
from segwise.models.histories import compress
from segwise.models.purchase_counts import dropout_count_pmf
from segwise.models.stall_stop import STALL_ITERATIONS_PER_PARAM, StallStop

#: The standard normal's 97.5% quantile: a two-sided 95% interval is ± this many errors.
Z_95 = 1.959964

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence


def summary_arrays(data: Any, columns: Sequence[str]) -> tuple[np.ndarray, ...]:
    """Float arrays of ``columns`` from any frame (or a dict of arrays), checked to be finite.

    Examples
    --------
    >>> import polars as pl
    >>> summary_arrays(pl.DataFrame({"frequency": [1, 0]}), ["frequency"])[0].tolist()
    [1.0, 0.0]
    """
    if isinstance(data, dict):
        arrays = [np.asarray(data[c], dtype=float) for c in columns]
    else:
        frame = to_lazy(data)
        names = frame.collect_schema().names()
        missing = [c for c in columns if c not in names]
        if missing:
            raise DataError(
                f"the summary lacks the column(s) {', '.join(missing)}",
                hint="pass the output of sw.rfm_summary (frequency, recency, T, monetary_value)",
            )
        collected = frame.select(*columns).collect(backend="polars").to_native()
        arrays = [collected[c].cast(float).to_numpy() for c in columns]
    for name, values in zip(columns, arrays, strict=True):
        if values.size == 0:
            raise DataError(
                "the summary has no customers", hint="check the as-of date and the input"
            )
        bad = ~np.isfinite(values)
        if bad.any():
            row = int(np.argmax(bad))
            raise DataError(
                f"row {row + 1}: {name} is missing or infinite",
                column=name,
                hint="recompute the summary, or leave that customer out",
            )
        if np.any(values < 0):
            row = int(np.argmax(values < 0))
            raise DataError(
                f"row {row + 1}: {name} is negative ({values[row]:g})",
                column=name,
                hint="recompute the summary: ages and counts are 0 or more",
            )
    return tuple(arrays)


def purchase_summary(summary: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``frequency, recency, T`` checked to be a BTYD summary, naming the first bad row.

    Frequencies are whole repeat-purchase counts; a customer with none has
    recency 0; nobody's last purchase comes after the end of their observation.

    Examples
    --------
    >>> purchase_summary({"frequency": [1, 0], "recency": [3, 2], "T": [5, 4]})
    Traceback (most recent call last):
    ...
    segwise.exceptions.DataError: column 'recency': row 2: frequency is 0 but recency is 2 ...
    """
    x, t_x, T = summary_arrays(summary, ["frequency", "recency", "T"])
    problems = [
        (x != np.floor(x), "frequency", "frequency {x:g} is not a whole number of purchases"),
        ((x == 0) & (t_x > 0), "recency", "frequency is 0 but recency is {t:g} (it must be 0)"),
        (t_x > T, "recency", "recency {t:g} is beyond T {T:g}"),
    ]
    for bad, column, text in problems:
        if np.any(bad):
            row = int(np.argmax(bad))
            detail = text.format(x=x[row], t=t_x[row], T=T[row])
            raise DataError(
                f"row {row + 1} {detail}"
                if detail.startswith("has")
                else f"row {row + 1}: {detail}",
                column=column,
                hint="recompute the summary with sw.rfm_summary",
            )
    return x, t_x, T


def row_weights(summary: Any, rows: int) -> np.ndarray:
    """The summary's ``weights`` column (customers per row), or ones when it has none.

    Examples
    --------
    >>> row_weights({"frequency": [1, 0], "weights": [30, 2]}, 2).tolist()
    [30.0, 2.0]
    >>> row_weights({"frequency": [1, 0]}, 2).tolist()
    [1.0, 1.0]
    """
    names = summary.keys() if isinstance(summary, dict) else to_lazy(summary).collect_schema()
    if "weights" not in names:
        return np.ones(rows)
    return summary_arrays(summary, ["weights"])[0]  # finite and not negative, or an error


#: Parameters above this are not estimates but an optimiser lost where the likelihood is noise.
RUNAWAY = 1e12


def fit_log_params(
    negative_log_likelihood: Callable[[np.ndarray], float],
    *,
    n_params: int,
    penalizer: float,
    model: str,
    start: np.ndarray | None = None,
    n_free: int = 0,
    gradient: Callable[[np.ndarray], np.ndarray] | None = None,
) -> tuple[np.ndarray, float]:
    """Minimise a negative log-likelihood over positive parameters (optimised on their logs).

    The last ``n_free`` of the ``n_params`` are real-valued (covariate coefficients,
    starting at 0 and optimised as they are). ``gradient`` (of the negative
    log-likelihood, by the natural parameters) replaces the optimiser's finite
    differences: one evaluation a step instead of ``n_params + 1``. Returns the
    parameters and the maximised log-likelihood (without the penalty).
    """
    if penalizer < 0:
        raise ConfigError(f"penalizer must be 0 or more, not {penalizer}")
    positive = n_params - n_free

    def natural(raw: np.ndarray) -> np.ndarray:
        return np.concatenate([np.exp(raw[:positive]), raw[positive:]])

    def objective(raw: np.ndarray) -> float:
        # The optimiser probes extreme parameters where the special functions
        # overflow; such points are simply infeasible, not worth a warning.
        with np.errstate(all="ignore"):
            params = natural(raw)
            value = negative_log_likelihood(params) + penalizer * float(np.sum(params**2))
        return value if np.isfinite(value) else 1e300

    def objective_and_gradient(raw: np.ndarray) -> tuple[float, np.ndarray]:
        assert gradient is not None
        with np.errstate(all="ignore"):
            params = natural(raw)
            value = negative_log_likelihood(params) + penalizer * float(np.sum(params**2))
            slope = gradient(params) + 2 * penalizer * params
        # d/d(log θ) = θ d/dθ for the positive parameters.
        slope = slope * np.concatenate([params[:positive], np.ones(n_params - positive)])
        if not (np.isfinite(value) and np.all(np.isfinite(slope))):
            return 1e300, np.zeros(n_params)
        return value, slope

    initial = np.zeros(n_params)
    if start is not None:
        initial[:positive] = np.log(start[:positive])
        initial[positive:] = start[positive:]
    # L-BFGS-B converges in about 100 evaluations on CDNOW (about 20 with a gradient);
    # Nelder-Mead (thousands) only runs when it does not, starting from where it stopped.
    if gradient is None:
        best = optimize.minimize(objective, initial, method="L-BFGS-B")
    else:
        best = optimize.minimize(objective_and_gradient, initial, method="L-BFGS-B", jac=True)
    if not best.success or best.fun >= 1e300:
        fallback = optimize.minimize(
            objective,
            best.x,
            method="Nelder-Mead",
            options={"maxiter": 20_000, "xatol": 1e-8, "fatol": 1e-8},
            callback=StallStop(patience=STALL_ITERATIONS_PER_PARAM * n_params),
        )
        if fallback.fun < best.fun:
            best = fallback
    params = natural(best.x)
    with np.errstate(all="ignore"):
        log_likelihood = -negative_log_likelihood(params)
    runaway = params[:positive][params[:positive] > RUNAWAY]
    if runaway.size:
        # Out there the special functions lose every digit: the likelihood the optimiser
        # climbed is rounding noise (a +560 log-likelihood on 10 customers was seen), and
        # whether the predictions come out NaN or 0 depends on the machine.
        raise DataError(
            f"the {model} model did not converge: a parameter ran off to {runaway[0]:.3g}, "
            "where its likelihood cannot be computed",
            hint="the data cannot pin the model down (too few customers or repeat "
            "purchases); a small penalizer can help",
        )
    if not np.isfinite(log_likelihood):
        raise DataError(
            f"the {model} model did not converge",
            hint="check the summary (time unit, as-of date); a small penalizer can help",
        )
    return params, float(log_likelihood)


def covariance(
    negative_log_likelihood: Callable[[np.ndarray], float],
    params: np.ndarray,
    n_free: int = 0,
    gradient: Callable[[np.ndarray], np.ndarray] | None = None,
) -> np.ndarray:
    """The parameters' covariance: the inverse of the numerical Hessian at the optimum.

    Central differences with a step relative to each parameter (of the ``gradient``
    where there is one: 2n evaluations instead of n² + n + 1); NaN where the
    Hessian is not invertible (a flat or degenerate likelihood). The last ``n_free``
    (covariate coefficients) are often near 0, where a relative step would vanish
    below the likelihood's rounding: they step by at least 1e-4.
    """
    n = params.size
    floor = np.where(np.arange(n) < n - n_free, 1e-3, 1.0)
    steps = 1e-4 * np.maximum(np.abs(params), floor)
    if gradient is not None:
        return _inverse(_hessian_of_gradient(gradient, params, steps))
    return _inverse(_hessian_of_values(negative_log_likelihood, params, steps))


def _hessian_of_values(
    function: Callable[[np.ndarray], float], params: np.ndarray, steps: np.ndarray
) -> np.ndarray:
    """Central differences of the values: 1 + 2n + n(n − 1) evaluations, not 4 per pair.

    The diagonal from f(θ ± h_i); each pair from f(θ ± (h_i + h_j)) and the points the
    diagonal already took (second order, as the four-corner formula).
    """
    n = params.size

    def at(*moves: tuple[int, float]) -> float:
        point = params.copy()
        for i, sign in moves:
            point[i] += sign * steps[i]
        with np.errstate(all="ignore"):
            return function(point)

    centre = at()
    up = [at((i, 1.0)) for i in range(n)]
    down = [at((i, -1.0)) for i in range(n)]
    hessian = np.empty((n, n))
    for i in range(n):
        hessian[i, i] = (up[i] - 2 * centre + down[i]) / steps[i] ** 2
        for j in range(i + 1, n):
            both_up, both_down = at((i, 1.0), (j, 1.0)), at((i, -1.0), (j, -1.0))
            value = both_up - up[i] - up[j] + 2 * centre - down[i] - down[j] + both_down
            hessian[i, j] = hessian[j, i] = value / (2 * steps[i] * steps[j])
    return hessian


def _hessian_of_gradient(
    gradient: Callable[[np.ndarray], np.ndarray], params: np.ndarray, steps: np.ndarray
) -> np.ndarray:
    columns = []
    for i, step in enumerate(steps):
        up, down = params.copy(), params.copy()
        up[i] += step
        down[i] -= step
        with np.errstate(all="ignore"):
            columns.append((gradient(up) - gradient(down)) / (2 * step))
    hessian = np.column_stack(columns)
    return (hessian + hessian.T) / 2


def _inverse(hessian: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.inv(hessian)
    except np.linalg.LinAlgError:
        return np.full(hessian.shape, np.nan)


def standard_errors(covariance_matrix: np.ndarray) -> np.ndarray:
    """Square roots of the covariance's diagonal; NaN where it is not positive.

    Examples
    --------
    >>> standard_errors(np.array([[4.0, 0.0], [0.0, -1.0]])).tolist()
    [2.0, nan]
    """
    diagonal = np.diag(covariance_matrix)
    return np.sqrt(np.where(diagonal > 0, diagonal, np.nan))


class MaximumLikelihoodModel:
    """What every fitted BTYD model shares: the penalizer, the fit's outputs, the fitted check.

    Subclasses name their parameters (``PARAMS``) and the model (``MODEL``).
    """

    PARAMS: tuple[str, ...] = ()
    MODEL = "model"

    def __init__(self, *, penalizer: float = 0.0) -> None:
        self.penalizer = penalizer

    def _maximise(
        self,
        negative: Callable[[np.ndarray], float],
        n_customers: int,
        coefficients: Sequence[str] = (),
        gradient: Callable[[np.ndarray], np.ndarray] | None = None,
    ) -> None:
        """Fit, then keep the parameters, covariate ``coefficients``, errors and criteria."""
        names = [*self.PARAMS, *coefficients]
        params, log_likelihood = fit_log_params(
            negative,
            n_params=len(names),
            penalizer=self.penalizer,
            model=self.MODEL,
            n_free=len(coefficients),
            gradient=gradient,
        )
        self.covariance_ = covariance(negative, params, len(coefficients), gradient)
        errors = standard_errors(self.covariance_)
        k = len(self.PARAMS)
        self.params_ = dict(zip(self.PARAMS, params[:k].tolist(), strict=True))
        self.coefficients_ = dict(zip(coefficients, params[k:].tolist(), strict=True))
        self.standard_errors_ = dict(zip(names, errors.tolist(), strict=True))
        # 95% intervals on the log scale for the positive parameters (the delta method,
        # log θ ± 1.96 SE/θ, never reaches below zero); coefficients are on their own scale.
        with np.errstate(over="ignore", invalid="ignore"):  # a flat likelihood: no bound
            spread = np.exp(Z_95 * errors[:k] / params[:k])
        self.confidence_intervals_ = {
            name: (float(value / width), float(value * width))
            for name, value, width in zip(self.PARAMS, params, spread, strict=False)
        } | {
            name: (float(value - Z_95 * error), float(value + Z_95 * error))
            for name, value, error in zip(coefficients, params[k:], errors[k:], strict=True)
        }
        self.log_likelihood_ = log_likelihood
        self.n_customers_ = n_customers
        # Information criteria, to compare models fitted on the same customers.
        self.aic_ = 2 * len(names) - 2 * log_likelihood
        self.bic_ = len(names) * float(np.log(max(n_customers, 1))) - 2 * log_likelihood

    def _covariate_groups(self) -> dict[str, tuple[str, ...]]:
        """Covariate columns by the parameter group they shift; none by default."""
        return {}

    def _optimised_shift(self) -> np.ndarray:
        """What the optimiser's parameters were shifted by (a bound above 0 rather than at 0)."""
        return np.zeros(len(self.PARAMS))

    def _fitted(self) -> np.ndarray:
        """The fitted parameters in ``PARAMS`` order, or a clear error before ``fit``."""
        if not hasattr(self, "params_"):
            raise DataError("the model is not fitted yet", hint="call fit(summary) first")
        return np.array([self.params_[name] for name in self.PARAMS])


class PurchaseCountModel(MaximumLikelihoodModel):
    """A purchase-count model fitted on ``frequency, recency, T`` (BG/NBD, Pareto/NBD).

    A subclass with covariates names their columns by the parameter they shift
    (``_covariate_groups``) and turns the population parameters into each
    customer's (``_individual``).
    """

    @staticmethod
    def _log_likelihood(params: Any, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def p_alive(self, summary: Any) -> np.ndarray:
        """P(alive | frequency, recency, T) for each customer."""
        raise NotImplementedError

    def expected_purchases(self, summary: Any, t: float) -> np.ndarray:
        """E[Y(t) | frequency, recency, T]: purchases in the next ``t`` time units."""
        raise NotImplementedError

    def expected_purchases_new_customer(self, t: float | np.ndarray) -> np.ndarray:
        """E[X(t)]: repeat purchases a new customer makes in ``t`` time units."""
        raise NotImplementedError

    def new_customer_pmf(self, t: float | np.ndarray, n: int) -> np.ndarray:
        """P(X(t) = n): a new customer makes exactly ``n`` repeat purchases in ``t``."""
        raise NotImplementedError

    def _individual(
        self, params: np.ndarray, coefficients: np.ndarray, covariates: np.ndarray
    ) -> tuple[Any, ...]:
        """Each row's parameters; the population's when the model has no covariates."""
        del coefficients, covariates
        return tuple(float(p) for p in params)

    def _row_params(self, summary: Any, rows: int) -> tuple[Any, ...]:
        """The fitted parameters for each row of ``summary`` (scalars without covariates)."""
        params = self._fitted()
        columns = [c for group in self._covariate_groups().values() for c in group]
        covariates = covariate_matrix(summary, columns, rows)
        coefficients = getattr(self, "coefficients_", {})  # parameters set by hand: none
        return self._individual(params, np.array(list(coefficients.values())), covariates)

    def fit(self, summary: Any, y: Any = None) -> Self:
        """Fit on ``frequency, recency, T`` (repeat purchases; ages in one time unit).

        A ``weights`` column counts the customers each row stands for (an aggregated
        table of distinct summaries fits as the customers it counts).
        """
        del y
        x, t_x, T = purchase_summary(summary)
        rows = row_weights(summary, x.size)
        if not np.any((x > 0) & (rows > 0)):
            raise DataError(
                f"no customer has a repeat purchase: {self.MODEL} cannot be fitted",
                hint="use a longer calibration period",
            )
        groups = self._covariate_groups()
        columns = [c for group in groups.values() for c in group]
        covariates = covariate_matrix(summary, columns, x.size)
        # Summaries on a daily grid repeat rows: sum the likelihood over distinct ones, weighted.
        (ux, ut, uT, *uz), weights = compress(x, t_x, T, *covariates.T, weights=rows)
        distinct = np.column_stack(uz) if uz else np.empty((ux.size, 0))
        likelihood, n = self._log_likelihood, len(self.PARAMS)

        def negative(theta: np.ndarray) -> float:
            params = self._individual(theta[:n], theta[n:], distinct)
            return float(-(weights * likelihood(params, ux, ut, uT)).sum())

        slope = getattr(self, "_log_likelihood_gradient", None)
        gradient = None
        if slope is not None and not columns:  # the gradient is written without covariates

            def gradient(theta: np.ndarray) -> np.ndarray:
                return -(slope(theta, ux, ut, uT) @ weights)

        self._maximise(negative, int(rows.sum()), coefficient_names(groups), gradient)
        return self


class DropoutAtPurchaseModel(PurchaseCountModel):
    """A purchase-count model whose customers can only drop out at a purchase (BG/NBD, MBG/NBD).

    Subclasses give ``p_alive``; parameters start with ``r, alpha`` (the Gamma of the rate).
    """

    #: Coin tosses a living customer has won beyond one per repeat purchase (MBG/NBD: the
    #: toss at the first purchase).
    EXTRA_TOSSES = 0

    def new_customer_pmf(self, t: float | np.ndarray, n: int) -> np.ndarray:
        """P(X(t) = n): a new customer makes exactly ``n`` repeat purchases in ``t``."""
        r, alpha, a, b = self._fitted()
        count = dropout_count_pmf(r, alpha, a, b + self.EXTRA_TOSSES, t, n)
        if not self.EXTRA_TOSSES:
            return count
        gone_at_start = a / (a + b)  # MBG/NBD: dropped out at the first purchase
        return gone_at_start * (n == 0) + (1 - gone_at_start) * count

    def probability_of_purchases_given(self, summary: Any, t: float, n: int) -> np.ndarray:
        """P(Y(t) = n | frequency, recency, T): exactly ``n`` purchases in the next ``t``.

        Dead customers make none; living ones go on as new customers whose parameters
        are the posterior's (Gamma(r + x, α + T) and Beta(a, b + tosses won)).

        Examples
        --------
        >>> import segwise as sw
        >>> summary = {"frequency": [0, 1, 3, 0, 2, 5], "recency": [0, 5, 20, 0, 9, 30],
        ...            "T": [30, 30, 35, 12, 40, 36]}
        >>> model = sw.BetaGeoModel().fit(summary)
        >>> total = sum(model.probability_of_purchases_given(summary, 20, n) for n in range(200))
        >>> bool(np.allclose(total, 1))
        True
        """
        x, _, T = purchase_summary(summary)
        r, alpha, a, b = self._row_params(summary, x.size)
        alive = self.p_alive(summary)
        won = x + self.EXTRA_TOSSES
        future = dropout_count_pmf(r + x, alpha + T, a, b + won, t, n)
        return alive * future + (1 - alive) * (n == 0)

    def probability_no_purchase(self, summary: Any, t: float) -> np.ndarray:
        """P(no purchase in the next ``t`` units | frequency, recency, T), per customer.

        Dropout happens only at purchases, so a silent period is the dead customers and
        the living ones whose rate, given their history (Gamma(r + x, α + T)), gave nothing.
        """
        x, _, T = purchase_summary(summary)
        r, alpha, _, _ = self._row_params(summary, x.size)
        alive = self.p_alive(summary)
        quiet = np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + T + t)))
        return 1 - alive + alive * quiet
