"""Traits in words, and names derived from them.

A trait is one way a segment differs from the whole population: a numeric
feature well above or below average, or a category over-represented. Traits
are ranked by effect size (standardised difference for numbers, difference in
share over its standard deviation for categories), and the top two name the
segment ("High-value frequent customers").
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

#: Words for well-known features: (pattern, word when high, word when low).
_DESCRIPTORS: tuple[tuple[str, str, str], ...] = (
    (r"recency|days_since", "lapsed", "recent"),
    (r"basket|order_value|aov", "big-basket", "small-basket"),
    (r"monetary|revenue|spend|clv|value|sales", "high-value", "low-value"),
    (r"frequency|orders|purchases|transactions", "frequent", "occasional"),
    (r"tenure", "long-standing", "new"),
    (r"visit|session|open|click|event|engage|view", "engaged", "quiet"),
    (r"return", "return-prone", "low-return"),
    (r"income|salary|wealth", "affluent", "budget"),
    (r"age", "older", "younger"),
    (r"discount|coupon|promo", "deal-seeking", "full-price"),
)

#: How a numeric trait reads: (pattern, template above average, template below average).
_PHRASES: tuple[tuple[str, str, str], ...] = (
    (
        r"basket|order_value|aov",
        "orders worth {ratio} the average",
        "orders worth {ratio} the average",
    ),
    (
        r"frequency|orders|purchases",
        "buys {ratio} as often as average",
        "buys {ratio} as often as average",
    ),
    (
        r"monetary|revenue|spend|clv|value",
        "spends {ratio} the average",
        "spends {ratio} the average",
    ),
    (
        r"recency",
        "last bought {median} days ago (typical customer: {overall})",
        "last bought {median} days ago (typical customer: {overall})",
    ),
    (
        r"days_since_last_event|last_event",
        "last engaged {median} days ago (typical customer: {overall})",
        "last engaged {median} days ago (typical customer: {overall})",
    ),
    (
        r"^age$|_age$",
        "aged {median} (typical customer: {overall})",
        "aged {median} (typical customer: {overall})",
    ),
    (r"visit|session", "visits {ratio} as often as average", "visits {ratio} as often as average"),
)


@dataclass(frozen=True, slots=True)
class Trait:
    """One defining difference between a segment and the population."""

    feature: str
    kind: str  # "numeric" or "category"
    direction: int  # +1 above / over-represented, -1 below
    effect: float  # ranking strength (absolute, unitless)
    text: str
    level: str | None = None


def _format(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    if abs(value) >= 100 or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}" if abs(value) < 10 else f"{value:,.1f}"


def numeric_trait(
    feature: str,
    mean: float,
    overall_mean: float,
    overall_std: float,
    median: float,
    overall_median: float,
    overall_iqr: float = 0.0,
) -> Trait | None:
    """A numeric trait, or None when the segment is close to average.

    The effect is the larger of the standardised mean difference and the
    median difference in interquartile ranges: money and counts are skewed, and
    a few huge customers inflate the standard deviation enough to hide a
    segment whose typical member differs a lot.

    Examples
    --------
    >>> numeric_trait("orders", 6.8, 2.0, 2.0, 6.0, 2.0).text
    'buys 3.4× as often as average'
    """
    if overall_std <= 0 or any(math.isnan(v) for v in (mean, overall_mean)):
        return None
    effect = (mean - overall_mean) / overall_std
    if overall_iqr > 0:
        robust = (median - overall_median) / overall_iqr
        effect = robust if abs(robust) > abs(effect) else effect
    if abs(effect) < 0.2:
        return None
    direction = 1 if effect > 0 else -1
    ratio = mean / overall_mean if overall_mean > 0 and mean >= 0 else None
    text = None
    if ratio is not None and ratio < 0.1:
        text = f"almost no {feature} ({_format(mean)} vs {_format(overall_mean)})"
    for pattern, above, below in _PHRASES if text is None else ():
        if re.search(pattern, feature) and (ratio is not None or "{ratio}" not in above):
            template = above if direction > 0 else below
            text = template.format(
                ratio=f"{ratio:.1f}×" if ratio is not None else "",
                median=_format(median),
                overall=_format(overall_median),
            )
            break
    if text is None:
        if ratio is not None and (ratio >= 1.2 or ratio <= 0.8):
            text = (
                f"{feature} {ratio:.1f}× the average ({_format(mean)} vs {_format(overall_mean)})"
            )
        else:
            word = "above" if direction > 0 else "below"
            text = f"{feature} {word} average ({_format(mean)} vs {_format(overall_mean)})"
    return Trait(feature, "numeric", direction, abs(effect), text)


def category_trait(feature: str, level: str, share: float, overall_share: float) -> Trait | None:
    """A category over-represented in the segment, or None.

    Examples
    --------
    >>> category_trait("device", "ios", 0.62, 0.25).text
    '62% device ios (25% overall)'
    """
    if overall_share <= 0 or overall_share >= 1 or share < 0.2:
        return None
    effect = (share - overall_share) / math.sqrt(overall_share * (1 - overall_share))
    if effect < 0.3 or share / overall_share < 1.3:
        return None
    text = f"{share:.0%} {feature} {level} ({overall_share:.0%} overall)"
    return Trait(feature, "category", 1, effect, text, level)


def rank(traits: list[Trait], limit: int = 5) -> list[Trait]:
    """The strongest traits first, at most one per feature, ``limit`` of them."""
    seen: set[str] = set()
    out = []
    for trait in sorted(traits, key=lambda t: (-t.effect, t.feature, t.level or "")):
        if trait.feature in seen:
            continue
        seen.add(trait.feature)
        out.append(trait)
        if len(out) == limit:
            break
    return out


def descriptor(trait: Trait) -> str:
    """One word or hyphenated phrase for a trait, for names.

    Examples
    --------
    >>> descriptor(Trait("net_revenue", "numeric", 1, 2.0, ""))
    'high-value'
    """
    if trait.kind == "category":
        level = re.sub(r"[^0-9A-Za-z]+", "-", str(trait.level)).strip("-") or "blank"
        return f"{level}-{trait.feature.replace('_', '-')}"
    for pattern, high, low in _DESCRIPTORS:
        if re.search(pattern, trait.feature):
            return high if trait.direction > 0 else low
    return f"{'high' if trait.direction > 0 else 'low'}-{trait.feature.replace('_', '-')}"


def auto_names(
    traits_by_segment: dict[int, list[Trait]], fallback: str = "Segment"
) -> dict[int, str]:
    """Deterministic, unique names from each segment's top traits.

    Examples
    --------
    >>> t = lambda f, d: Trait(f, "numeric", d, 1.0, "")
    >>> auto_names({0: [t("monetary", 1), t("orders", 1)], 1: [t("recency_days", 1)], 2: []})
    {0: 'High-value frequent customers', 1: 'Lapsed customers', 2: 'Typical customers'}
    """
    names: dict[int, str] = {}
    used: set[str] = set()
    for segment in sorted(traits_by_segment):
        traits = traits_by_segment[segment]
        words: list[str] = []
        for trait in traits:
            word = descriptor(trait)
            if word not in words:
                words.append(word)
            if len(words) == 2:
                break
        base = " ".join(words) if words else "typical"
        name = f"{base[0].upper()}{base[1:]} customers"
        if name in used:
            # A third trait tells them apart; failing that, a number.
            extra = [descriptor(t) for t in traits[2:] if descriptor(t) not in words]
            if extra:
                name = f"{base[0].upper()}{base[1:]}, {extra[0]} customers"
            counter = 2
            candidate = name
            while candidate in used:
                candidate = f"{name} ({counter})"
                counter += 1
            name = candidate
        used.add(name)
        names[segment] = name or f"{fallback} {segment + 1}"
    return names
