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


def _series(
    first_arg: np.ndarray, second_arg: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """₂F₁(1, first_arg; second_arg; w) by its series: sums, largest terms, convergence.

    Each value leaves the loop when it converges, so the values that need hundreds of
    terms (b near 50) do not make the others pay for them.
    """
    total, peak = np.ones_like(w), np.ones_like(w)
    converged = np.zeros(w.shape, dtype=bool)
    live = np.arange(w.size)
    term, sums, top = np.ones_like(w), np.ones_like(w), np.ones_like(w)
    up, down, step = first_arg.copy(), second_arg.copy(), w.copy()
    for n in range(_MAX_TERMS):
        term = term * (up + n) / (down + n) * step
        sums = sums + term
        top = np.maximum(top, np.abs(term))
        # Small is not enough: with 2 - b < 0 the terms shrink, then grow again as
        # 2 - b + n nears 0 (b = 47.5: a stop at n = 32 lost 1e-9 of the value). Done
        # only past that pole, once every later ratio is under 1 and the tail is tiny.
        ratio = np.abs((up + n + 1) / (down + n + 1)) * step
        tiny = np.abs(term) <= 1e-17 * (1 - ratio) * np.abs(sums)
        done = (down + n + 1 > 0) & (ratio < 1) & tiny
        if done.any():
            total[live[done]], peak[live[done]] = sums[done], top[done]
            converged[live[done]] = True
            left = ~done
            live, term, sums, top = live[left], term[left], sums[left], top[left]
            up, down, step = up[left], down[left], step[left]
            if live.size == 0:
                break
    total[live], peak[live] = sums, top  # not converged: never kept
    return total, peak, converged


def _near_one(a: np.ndarray, b: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The connection formula's value, and where it can be trusted."""
    w = 1.0 - z
    first_arg, second_arg = a + 1.0 - b, 2.0 - b
    with np.errstate(all="ignore"):
        total, peak, converged = _series(first_arg, second_arg, w)
        first = (
            gammasgn(1.0 - b)
            * gammasgn(first_arg)
            * np.exp(gammaln(a + 1.0) + gammaln(1.0 - b) - gammaln(first_arg) - a * np.log(z))
        )
        second = a / (b - 1.0) * np.exp((1.0 - b) * np.log(w)) * total
        value = first + second
        # The series' own terms cancel where 2 - b + n nears 0 (terms far larger than
        # their sum): those go to SciPy as well.
        kept = (
            converged
            & np.isfinite(value)
            & (value > 0)
            & (np.abs(first) <= CANCELLATION * value)
            & (peak <= CANCELLATION * np.abs(total))
        )
    return value, kept
