"""Do the items measure what the codebook says? Cronbach's α per construct, and factor analysis.

α (Cronbach 1951) is the share of a construct's score variance that its
items share: 0.7 is the usual floor for a usable scale, 0.8 good, 0.9
excellent. Exploratory factor analysis (scikit-learn's ``FactorAnalysis``
with a varimax rotation) finds how many underlying dimensions the Likert
items have (Kaiser's rule: eigenvalues of their correlations above 1) and
which items load on each; a construct whose items do not load on one factor
is not one thing.

References
----------
Cronbach, L. J. (1951). Coefficient alpha and the internal structure of
tests. *Psychometrika* 16(3), 297–334.
Kaiser, H. F. (1958). The varimax criterion for analytic rotation in factor
analysis. *Psychometrika* 23(3), 187–200.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

#: α below this: the construct's items do not hang together (a warning).
ALPHA_FLOOR = 0.6
_ALPHA_WORDS = ((0.9, "excellent"), (0.8, "good"), (0.7, "acceptable"), (0.6, "questionable"))
#: Most factors reported (surveys used for segmentation rarely have more constructs).
MAX_FACTORS = 10


def cronbach_alpha(items: np.ndarray) -> float:
    """Cronbach's α of a respondents × items matrix (rows with a missing answer left out).

    Examples
    --------
    Three items that move together, then two that pull apart:

    >>> import numpy as np
    >>> together = np.array([[1, 2, 1], [3, 3, 4], [5, 4, 5], [2, 2, 2]])
    >>> round(cronbach_alpha(together), 3)
    0.953
    >>> round(cronbach_alpha(np.array([[1, 4], [5, 2], [3, 3], [2, 5]])), 3)
    -8.0
    """
    complete = items[~np.isnan(items).any(axis=1)].astype(float)
    k = complete.shape[1]
    if k < 2 or complete.shape[0] < 2:
        return float("nan")
    total = complete.sum(axis=1).var(ddof=1)
    if total == 0:
        return float("-inf")
    return float(k / (k - 1) * (1.0 - complete.var(axis=0, ddof=1).sum() / total))


def alpha_words(alpha: float) -> str:
    """How α reads: excellent, good, acceptable, questionable or poor."""
    return next((word for floor, word in _ALPHA_WORDS if alpha >= floor), "poor")


@dataclass(frozen=True)
class FactorSummary:
    """An exploratory factor analysis of the Likert items.

    ``loadings`` has one row per item (``item``, ``construct``) and one
    column per factor (``factor_1``…); ``factor_of`` names each item's
    strongest factor; ``eigenvalues`` are those of the items' correlations.
    """

    factors: int
    eigenvalues: tuple[float, ...]
    loadings: pl.DataFrame

    def factor_of(self) -> dict[str, str]:
        """Each item's strongest factor (by absolute loading)."""
        names = [c for c in self.loadings.columns if c.startswith("factor_")]
        matrix = np.abs(self.loadings.select(names).to_numpy())
        items = self.loadings["item"].to_list()
        return {item: names[int(j)] for item, j in zip(items, matrix.argmax(axis=1), strict=True)}

    def split_constructs(self) -> dict[str, list[str]]:
        """Constructs whose items load most on different factors, with those factors."""
        strongest = self.factor_of()
        by_construct: dict[str, set[str]] = {}
        for row in self.loadings.select("item", "construct").iter_rows():
            if row[1] is not None:
                by_construct.setdefault(row[1], set()).add(strongest[row[0]])
        return {c: sorted(f) for c, f in by_construct.items() if len(f) > 1}


def explore_factors(
    answers: pl.DataFrame, constructs: dict[str, str | None], *, seed: int = 0
) -> FactorSummary | None:
    """Factor-analyse the item columns of ``answers`` (None with fewer than three items).

    Missing answers are filled with the item's mean; items are standardised first.
    """
    from sklearn.decomposition import FactorAnalysis  # noqa: PLC0415 - scikit-learn on use

    names = [c for c in constructs if c in answers.columns]
    if len(names) < 3 or answers.height < len(names) + 2:
        return None
    matrix = answers.select(names).to_numpy().astype(float)
    matrix = np.where(np.isnan(matrix), np.nanmean(matrix, axis=0), matrix)
    spread = matrix.std(axis=0)
    keep = spread > 0
    if keep.sum() < 3:
        return None
    names = [n for n, k in zip(names, keep, strict=True) if k]
    scaled = (matrix[:, keep] - matrix[:, keep].mean(axis=0)) / spread[keep]
    eigenvalues = np.sort(np.linalg.eigvalsh(np.corrcoef(scaled, rowvar=False)))[::-1]
    factors = int(min(max((eigenvalues > 1.0).sum(), 1), MAX_FACTORS, len(names) - 1))
    model = FactorAnalysis(n_components=factors, rotation="varimax", random_state=seed)
    model.fit(scaled)
    loadings = pl.DataFrame(
        {"item": names, "construct": [constructs[n] for n in names]}
        | {f"factor_{j + 1}": model.components_[j] for j in range(factors)}
    )
    return FactorSummary(factors, tuple(float(e) for e in eigenvalues), loadings)
