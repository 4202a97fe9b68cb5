"""How far apart a clustering's segments are, in words a marketer can act on.

The silhouette (−1 to 1) compares each customer's distance to their own
segment with the distance to the next one. Kaufman and Rousseeuw's reading
("Finding Groups in Data", 1990): up to 0.25 no substantial structure, up to
0.5 weak, up to 0.7 reasonable, above strong. Customer tables seldom reach
0.5: most are one continuous population that k-means slices stably. That is
still a usable split, but its members near a border are alike, and the
report should say so rather than leave "0.23" to be read.
"""

from __future__ import annotations

#: Upper silhouette of each reading, lowest first.
_READINGS = (
    (0.25, "overlapping: slices of one population, alike near the borders"),
    (0.5, "apart, with overlap"),
    (0.7, "distinct"),
    (float("inf"), "clearly distinct"),
)


def separation(silhouette: float) -> str:
    """The silhouette with how apart the segments are, e.g. ``0.23 (overlapping: …)``.

    Examples
    --------
    >>> separation(0.18)
    '0.18 (overlapping: slices of one population, alike near the borders)'
    >>> separation(0.55)
    '0.55 (distinct)'
    """
    words = next(text for bound, text in _READINGS if silhouette <= bound)
    return f"{silhouette:.2f} ({words})"
