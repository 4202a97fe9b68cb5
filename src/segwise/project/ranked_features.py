"""The features a segmentation ranks its customers on afresh in every run, and over whom.

RFM scored on quantiles or natural breaks ranks customers within each run: each score's
range follows the base, so every segment "shifts" on the scored features when the base
moves, and drift is judged for the base instead (:mod:`segwise.project.health`). Inside a
hybrid the ranking is within a parent: Online Retail II's RFM inside 'Everyone else'
(as of 2010-12-09) raised "Need Attention: its customers shifted on recency_days (median
76 → 55, PSI 3.92)", the run-up to Christmas moving the whole parent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from segwise.project.methods.rfm import RFM_FEATURES

if TYPE_CHECKING:
    from segwise.profiling.cards import SegmentationResult


def _ranks(definition: Any) -> bool:
    return (
        isinstance(definition, dict)
        and definition.get("method") == "rfm"
        and definition.get("binning", "quantile") != "fixed"
    )


def ranked_on(result: SegmentationResult) -> dict[str, frozenset[str]]:
    """Segment-name prefix → the features its segments are ranked on within each run.

    ``""`` (every segment) for an RFM segmentation; a hybrid's RFM parents by their leaf
    prefix (``"Everyone else › "``); empty for the other methods.

    Examples
    --------
    >>> import polars as pl
    >>> from segwise.profiling.cards import SegmentationResult
    >>> none = pl.DataFrame({"customer_id": [], "segment": []})
    >>> hybrid = {"method": "hybrid", "separator": " › ",
    ...           "within": {"Rest": {"method": "rfm"}, "Big": {"method": "cluster"}}}
    >>> list(ranked_on(SegmentationResult("mix", "hybrid", none, hybrid, [])))
    ['Rest › ']
    """
    if result.method == "rfm":
        return {"": RFM_FEATURES} if _ranks({**result.definition, "method": "rfm"}) else {}
    if result.method != "hybrid":
        return {}
    separator = str(result.definition.get("separator", " › "))
    within = result.definition.get("within") or {}
    return {f"{parent}{separator}": RFM_FEATURES for parent, d in within.items() if _ranks(d)}
