"""Value in a name, against the segmentation's top spenders: "mid-value" under half of them.

"High-value" says a segment spends more than the average customer. Where another segment
spends several times as much, it says too much: CDNOW's clusters named three segments
high-value, spending 151, 220 and 613 on average (against 106 for everyone), and left a
marketer to guess which was the one to protect. The segments spending under half what the
top high-value segment does are named "mid-value"; their cards keep the numbers.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from segwise.profiling import vocabulary

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from segwise.profiling.traits import Trait

MID_VALUE = "mid-value"
#: A high-value segment spending under this share of the top one's average is mid-value.
MID_SHARE = 0.5


def _value_feature(traits: Sequence[Trait]) -> str | None:
    """The feature of the segment's above-average value trait, if it has one."""
    for trait in traits:
        concept = trait.concept or getattr(vocabulary.concept_of(trait.feature), "key", "")
        if trait.kind == "numeric" and trait.direction > 0 and concept == "value":
            return trait.feature
    return None


def mid_value_segments(
    traits_by_segment: Mapping[int, Sequence[Trait]],
    means: Mapping[int, Mapping[str, float]],
) -> frozenset[int]:
    """The segments above the average on value but under half the top such segment's.

    Examples
    --------
    >>> from segwise.profiling.traits import Trait
    >>> high = [Trait("net_revenue", "numeric", 1, 1.0, "")]
    >>> means = {0: {"net_revenue": 151.0}, 1: {"net_revenue": 613.0}, 2: {"net_revenue": 400.0}}
    >>> sorted(mid_value_segments({0: high, 1: high, 2: high}, means))
    [0]
    """
    spends: dict[int, float] = {}
    for segment, traits in traits_by_segment.items():
        feature = _value_feature(traits)
        mean = means.get(segment, {}).get(feature) if feature else None
        if mean is not None and math.isfinite(mean):
            spends[segment] = mean
    if len(spends) < 2:
        return frozenset()
    top = max(spends.values())
    return frozenset(segment for segment, mean in spends.items() if mean < MID_SHARE * top)
