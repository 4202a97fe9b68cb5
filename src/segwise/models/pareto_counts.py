"""How many purchases under Pareto/NBD: the count over the next t of a customer alive now.

A Pareto/NBD customer alive at T with history (x, t_x, T) has, given that, a
purchase rate λ ~ Gamma(r + x, α + T) and a dropout rate μ ~ Gamma(s, β + T),
independently (the history's likelihood while alive is λ^x e^{−λT} e^{−μT}). So
they go on like a new customer with those parameters. For one such customer
with rate λ and dropout rate μ the count over (0, t] is Poisson(λt) if they
live through t, and Poisson(λτ) if they die at τ < t; mixing λ gives the
negative binomial NB(n; r, α, τ) and mixing μ gives

    P(n) = NB(n; r, α, t) (β / (β + t))^s
           + ∫_0^t (s / β) (β / (β + τ))^(s + 1) NB(n; r, α, τ) dτ,

which sums to 1 over n. The integral is smooth and is taken by Gauss–Legendre
quadrature on a logarithmic scale of τ (the integrand changes on the scale of
α and β, however long t is), vectorised over customers.

References
----------
Fader, P. S., & Hardie, B. G. S. Deriving an expression for P(X(t, t + τ) = x)
under the Pareto/NBD model. http://brucehardie.com/notes/013/
Fader, P. S., & Hardie, B. G. S. Deriving the conditional PMF of the Pareto/NBD
model. http://brucehardie.com/notes/028/ (the same quantities by closed forms in
the Gaussian hypergeometric function; here by quadrature).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import gammaln, xlogy

from segwise.exceptions import DataError

#: Quadrature nodes: the mean of the pmf equals the closed-form expectation to 1e-9
#: relative with these on CDNOW's histories (tests/models/test_pareto_counts.py).
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(96)


def _log_nb(r: np.ndarray, alpha: np.ndarray, t: np.ndarray, n: int) -> np.ndarray:
    """Log NB(n; r, α, t): the Gamma(r, α) mixture of Poisson(λt) at n."""
    with np.errstate(divide="ignore"):  # t = 0: log of a zero share, -inf (0 purchases is sure)
        return (
            gammaln(r + n)
            - gammaln(r)
            - gammaln(n + 1)
            + r * (np.log(alpha) - np.log(alpha + t))
            + xlogy(n, t / (alpha + t))
        )


def pareto_count_pmf(r: Any, alpha: Any, s: Any, beta: Any, t: Any, n: int) -> np.ndarray:
    """P(X(t) = n) of a Pareto/NBD customer alive at the start, elementwise over arrays.

    Examples
    --------
    >>> total = sum(pareto_count_pmf(0.55, 10.6, 0.61, 11.7, 39.0, n) for n in range(400))
    >>> round(float(total), 8)
    1.0
    """
    if n < 0 or n != int(n):
        raise DataError(f"n must be a whole number of purchases, 0 or more, not {n}")
    r, alpha, s, beta, t = np.broadcast_arrays(
        *(np.asarray(v, dtype=float) for v in (r, alpha, s, beta, t))
    )
    lives = np.exp(_log_nb(r, alpha, t, n) + s * (np.log(beta) - np.log(beta + t)))
    # τ = c (e^u − 1) with u in [0, log(1 + t / c)]: nodes dense where the integrand bends.
    scale = np.minimum(alpha, beta)[..., None]
    top = np.log1p(t / np.minimum(alpha, beta))[..., None]
    u = (_NODES + 1) / 2 * top
    tau = scale * np.expm1(u)
    log_dies = (
        np.log(s[..., None])
        - np.log(beta[..., None])
        + (s[..., None] + 1) * (np.log(beta[..., None]) - np.log(beta[..., None] + tau))
        + _log_nb(r[..., None], alpha[..., None], tau, n)
    )
    # dτ = c e^u du; the Legendre weights are for [-1, 1], hence top / 2.
    dies = (_WEIGHTS * np.exp(log_dies + np.log(scale) + u)).sum(axis=-1) * top[..., 0] / 2
    return lives + dies
