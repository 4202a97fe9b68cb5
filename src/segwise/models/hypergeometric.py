"""Gauss's hypergeometric function ₂F₁(a, b; a + 1; z), fast where SciPy's is slow.

Pareto/NBD's likelihood evaluates ₂F₁(a, b; a + 1; z) twice per customer. SciPy sums
the defining series, which needs about 1 / (1 − z) terms: at z = 0.999 a value costs
25 µs against 0.2 µs at z = 0.5, and a fit whose dropout rate is small next to its
purchase rate puts every one-time buyer there (the sample project's model comparison, run
as of 2024-06-30, spent 7.3 of its 7.4 s in it). Near z = 1 the connection formula to
1 − z (Abramowitz & Stegun 15.3.6, with c = a + 1) needs a few dozen terms instead:

    ₂F₁(a, b; a+1; z) = Γ(a+1) Γ(1−b) / Γ(a+1−b) · z^(−a)
                        + a / (b−1) · (1−z)^(1−b) · ₂F₁(1, a+1−b; 2−b; 1−z)

Its two terms can cancel (b near an integer, or a(1 − z) large); a value is taken from
it only where they do not (the first term at most 1,000 times the result, so at most
three digits of sixteen are lost) and the series converged; SciPy gives the others
(at an integer b with a large a its series may return inf or NaN there, as it always
did; Pareto/NBD's b is a fitted s + 1, or r + x, and lands on an integer with z near 1
only by chance).
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln, gammasgn, hyp2f1

#: Below this z SciPy's series is fast (about 10 terms at 0.5, 100 at 0.9).
NEAR_ONE = 0.9
#: Largest ratio of the first term to the result that is accepted (digits lost: log10).
CANCELLATION = 1e3
_MAX_TERMS = 400


def hyp2f1_a_plus_1(a: np.ndarray, b: np.ndarray | float, z: np.ndarray) -> np.ndarray:
    """₂F₁(a, b; a + 1; z) for 0 ≤ z < 1, elementwise.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.special import hyp2f1
    >>> a, z = np.array([1.5, 30.0]), np.array([0.999, 0.95])
    >>> bool(np.allclose(hyp2f1_a_plus_1(a, 1.6, z), hyp2f1(a, 1.6, a + 1, z), rtol=1e-12))
    True
    """
    a, b, z = np.broadcast_arrays(
        np.asarray(a, dtype=float), np.asarray(b, dtype=float), np.asarray(z, dtype=float)
    )
    out = np.empty(z.shape)
    near = z > NEAR_ONE
    if near.any():
        value, kept = _near_one(a[near], b[near], z[near])
        placed = np.flatnonzero(near)
        out[placed[kept]] = value[kept]
        near[placed[~kept]] = False
    rest = ~near
    if rest.any():
        out[rest] = hyp2f1(a[rest], b[rest], a[rest] + 1.0, z[rest])
    return out


def _near_one(a: np.ndarray, b: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The connection formula's value, and where it can be trusted."""
    w = 1.0 - z
    first_arg, second_arg = a + 1.0 - b, 2.0 - b
    total = np.ones_like(w)
    term = np.ones_like(w)
    converged = np.zeros(w.shape, dtype=bool)
    with np.errstate(all="ignore"):
        for n in range(_MAX_TERMS):
            term = term * (first_arg + n) / (second_arg + n) * w
            total = total + term
            converged = np.abs(term) <= 1e-17 * np.abs(total)
            if converged.all():
                break
        first = (
            gammasgn(1.0 - b)
            * gammasgn(first_arg)
            * np.exp(gammaln(a + 1.0) + gammaln(1.0 - b) - gammaln(first_arg) - a * np.log(z))
        )
        second = a / (b - 1.0) * np.exp((1.0 - b) * np.log(w)) * total
        value = first + second
        kept = (
            converged & np.isfinite(value) & (value > 0) & (np.abs(first) <= CANCELLATION * value)
        )
    return value, kept
