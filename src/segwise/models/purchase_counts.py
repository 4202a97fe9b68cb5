"""How many purchases: the count distribution of the dropout-at-purchase models.

A BG/NBD customer who is alive at T with history (x, t_x, T) goes on exactly
like a new customer whose parameters are the posterior's: the rate is
Gamma(r + x, α + T) and the dropout probability Beta(a, b + x) (each purchase
survived is a coin toss won), independently. So the count over the next t
given the history is a mixture: nothing for the dead (1 − P(alive)), and a new
customer's count under the updated parameters for the living. MBG/NBD differs
only in one more toss survived, at the first purchase.

References
----------
Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005), eq. 8 (the count of a new customer).
Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2007). Creating a fit histogram for
the BG/NBD model. http://brucehardie.com/notes/014/
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import gammaln, xlogy

from segwise.exceptions import DataError


def dropout_count_pmf(r: Any, alpha: Any, a: Any, b: Any, t: Any, n: int) -> np.ndarray:
    """P(X(t) = n) of a new BG/NBD customer, elementwise over any array arguments.

    Examples
    --------
    >>> total = sum(dropout_count_pmf(0.24, 4.4, 0.79, 2.4, 52.0, n) for n in range(300))
    >>> round(float(total), 6)
    1.0
    """
    if n < 0 or n != int(n):
        raise DataError(f"n must be a whole number of purchases, 0 or more, not {n}")
    r, alpha, a, b, t = np.broadcast_arrays(
        *(np.asarray(v, dtype=float) for v in (r, alpha, a, b, t))
    )
    k = np.arange(n)  # the sums below run over k < n, along a last axis
    with np.errstate(divide="ignore"):  # t = 0: the share is 0 and its log -inf, as it should be
        share, log_stay = t / (alpha + t), np.log(alpha / (alpha + t))
        # xlogy: 0 · log 0 is 0 (no purchase in no time is certain), not NaN.
        log_nb = gammaln(r + n) - gammaln(r) - gammaln(n + 1) + r * log_stay + xlogy(n, share)
        # Σ_{j<n} of the negative-binomial terms
        partial = np.exp(
            gammaln(r[..., None] + k)
            - gammaln(r[..., None])
            - gammaln(k + 1)
            + xlogy(k, share[..., None])
        ).sum(axis=-1)
    # log B(a, b + m) / B(a, b), term by term: betaln differences cancel when a and b are huge.
    steps = np.log1p(-a[..., None] / (a[..., None] + b[..., None] + k))
    log_ratio_n = steps.sum(axis=-1)
    first = np.exp(log_ratio_n + log_nb)
    if n == 0:
        return first
    log_ratio_before = log_ratio_n - steps[..., -1]
    tail = 1 - np.exp(r * log_stay) * partial
    second = np.exp(np.log(a) - np.log(a + b + n - 1) + log_ratio_before) * np.maximum(tail, 0)
    return first + second
