"""Traits in words, and names derived from them.

A trait is one way a segment differs from the whole population: a numeric
feature well above or below average, a category over-represented, or a
feature most members do not have yet (no second order). Traits are ranked by
effect size (standardised difference for numbers, difference in share over
its standard deviation for categories and missing values), and the top two
business concepts name the segment ("High-value frequent customers"). The
words come from :mod:`segwise.profiling.vocabulary`, so a name never shows a
column name.

A trait is only kept when the difference is material: a segment within 15%
of the average (on the mean and the median) with a standardised difference
under 0.5 is "like everyone else" on that feature, whatever its rank.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from segwise.profiling import amounts, vocabulary
from segwise.profiling.value_words import MID_VALUE, mid_value_segments

if TYPE_CHECKING:
    from collections.abc import Sequence

    from segwise.profiling.concepts import Concept

#: A relative difference below this (on mean and median) is not a trait
#: unless the standardised difference is at least ``MATERIAL_EFFECT``.
MATERIAL_LIFT = 0.15
MATERIAL_EFFECT = 0.5
#: "New" in a name only for segments whose typical member joined this recently, and
#: "recent" (with its "strike while it is warm" action) only for those whose typical member
#: bought this recently: in a base that has mostly lapsed, eight months is below average.
NEW_CUSTOMER_DAYS = 90
RECENT_DAYS = 90
#: A segment that joined after most but not recently: named against the rest, never onboarded.
NEWER = "newer"
#: The name words for few orders: a segment's name says one of them (few_orders_said_once)…
ONE_TIME, OCCASIONAL = "one-time", "occasional"
#: …"one-time" where at least this share of it has no second order.
NEARLY_ALL = 0.9
#: The last gap between orders is one gap, not a rhythm: "buys again every 3 weeks" beside
#: the mean gap's own "every 3 months" would give one card two typical customers.
_LAST_GAP = re.compile(r"(^|_)last(_|$)")
_LAST_GAP_PHRASE = "waited {median} between their last two orders (typical {unit}: {overall})"


@dataclass(frozen=True, slots=True)
class Trait:
    """One defining difference between a segment and the population.

    ``kind`` is ``numeric``, ``category`` or ``missing`` (most members have
    no value, e.g. no second order yet). ``word`` is what a name says for it;
    an empty word means the trait does not make a good name. ``concept`` is
    the business concept (value, recency…) so a name uses each only once.
    """

    feature: str
    kind: str
    direction: int  # +1 above / over-represented, -1 below
    effect: float  # ranking strength (absolute, unitless)
    text: str
    level: str | None = None
    word: str | None = None
    concept: str = ""
    #: The share of the segment a ``missing`` trait speaks of (90% have no second order).
    share: float | None = None


def _ratio(lift: float | None) -> str:
    return f"{lift:.1f}×" if lift is not None else ""


def _material(shown: float, overall: float, effect: float, *, days: bool = False) -> bool:
    """Whether the difference a reader sees (mean or median, as the phrase shows) matters.

    A spread of days as narrow as a cohort's (CDNOW's customers all joined within 12 weeks)
    makes a month a large effect, and "customer for 17 months (typical customer: 16
    months)" named a segment "long-standing": ``days`` (tenure) must differ by
    ``MATERIAL_LIFT``. Recency keeps the effect's say: in a base where everyone has lapsed,
    "last bought 16 months ago (typical customer: 15 months)" is what keeps a segment from
    being told to "upsell and bundle" (measured on CDNOW's clusters).
    """
    if abs(effect) >= MATERIAL_EFFECT and not days:
        return True
    return overall <= 0 or abs(shown / overall - 1) >= MATERIAL_LIFT


def numeric_trait(
    feature: str,
    mean: float,
    overall_mean: float,
    overall_std: float,
    median: float,
    overall_median: float,
    overall_iqr: float = 0.0,
    *,
    currency: str | None = None,
) -> Trait | None:
    """A numeric trait, or None when the segment is close to average.

    The effect is the larger of the standardised mean difference and the
    median difference in interquartile ranges: money and counts are skewed, and
    a few huge customers inflate the standard deviation enough to hide a
    segment whose typical member differs a lot.

    Examples
    --------
    >>> numeric_trait("orders", 6.8, 2.0, 2.0, 6.0, 2.0).text
    'buys 3.4× as often as average (6.80 vs 2 orders)'
    >>> numeric_trait("net_revenue", 900.0, 300.0, 400.0, 800.0, 200.0, currency="GBP").text
    'spends 3.0× the average (£900 vs £300)'
    >>> numeric_trait("return_rate", 0.031, 0.03, 0.2, 0.0, 0.0) is None
    True
    """
    if overall_std <= 0 or any(math.isnan(v) for v in (mean, overall_mean)):
        return None
    standardised = (mean - overall_mean) / overall_std
    effect = standardised
    if overall_iqr > 0:
        robust = (median - overall_median) / overall_iqr
        if robust * standardised < 0:
            # The typical member is above average and the mean below (or the reverse):
            # no direction to name without contradicting one of the two numbers.
            return None
        effect = robust if abs(robust) > abs(effect) else effect
    if abs(effect) < 0.2:
        return None
    direction = 1 if effect > 0 else -1
    lift = mean / overall_mean if overall_mean > 0 and mean >= 0 else None
    concept = vocabulary.concept_of(feature)
    # The phrase shows medians ("last bought 3 months ago") or means (ratios): the
    # difference it shows must be material, or the trait reads "1.0× the average".
    by_median = concept is not None and "{median}" in concept.phrase
    shown, overall = (median, overall_median) if by_median else (mean, overall_mean)
    unit = concept.unit if concept else "number"
    tenure = concept is not None and concept.key == "tenure"
    if not _material(shown, overall, standardised, days=by_median and tenure):
        return None
    # A name that says its unit ("Annual Income (k$)") is believed over the project's currency.
    declared = amounts.amount_unit(feature) if unit == "money" else None
    currency, scale = declared or (currency, "")

    def show(value: float, beside: float) -> str:
        return amounts.show(value, unit, currency, beside=beside, scale=scale)

    values = {
        "median": show(median, overall_median),
        "overall": show(overall_median, median),
        "mean": show(mean, overall_mean),
        "overall_mean": show(overall_mean, mean),
        "ratio": _ratio(lift),
        "subject": vocabulary.subject(feature),
    }
    # "Customer for 16 months (typical customer: 16 months)" is no difference, and neither is
    # 2.4% against 3.0% of returns: not a trait a marketer acts on.
    small_share = unit == "share" and abs(mean - overall_mean) < 0.02
    if (by_median and values["median"] == values["overall"]) or (
        small_share and abs(standardised) < MATERIAL_EFFECT
    ):
        return None
    text = _numeric_text(feature, concept, values, lift, direction)
    word = vocabulary.name_word(feature, direction) or ""
    if concept is not None and concept.key == "tenure" and direction < 0:
        # "New" for a segment whose typical member joined half a year ago contradicts its card;
        # "newer" says what sets it apart (a sign-up table's latest joiners, 6 months against
        # 14: "Typical customers, lower tenure" before).
        word = word if median <= NEW_CUSTOMER_DAYS else NEWER
    if concept is not None and concept.key == "recency" and direction < 0:
        # CDNOW's cohort at the end of 1997: "last bought 8 months ago (typical customer: 10
        # months)" was named recent and told to strike while it is warm.
        word = word if median <= RECENT_DAYS else ""
    key = (concept.key if concept else "") or feature
    return Trait(feature, "numeric", direction, abs(effect), text, word=word, concept=key)


def _numeric_text(
    feature: str,
    concept: Concept | None,
    values: dict[str, str],
    lift: float | None,
    direction: int,
) -> str:
    needs_ratio = concept is not None and "{ratio}" in concept.phrase
    if concept is not None and (not needs_ratio or (lift is not None and lift >= 0.1)):
        last_gap = concept.key == "cycle" and _LAST_GAP.search(feature)
        phrase = _LAST_GAP_PHRASE if last_gap else concept.phrase
        text = phrase.format(**values, unit=vocabulary.unit())
        # A typical member active on the as-of day itself: not "last active 0 days ago".
        return re.sub(r"^(.*) 0 days ago", r"\1 on the as-of date", text)
    if vocabulary.is_score(feature):
        # A score's zero is arbitrary, so "0.8× the average" means nothing: its own scale reads.
        return f"{vocabulary.subject(feature)} {values['mean']} (average {values['overall_mean']})"
    name = vocabulary.words(feature)
    if lift is not None and (lift >= 1.2 or lift <= 0.8) and lift >= 0.1:
        return (
            f"{name} {values['ratio']} the average ({values['mean']} vs {values['overall_mean']})"
        )
    how = "far " if lift is not None and lift < 0.1 else ""
    how += "above" if direction > 0 else "below"
    return f"{name} {how} average ({values['mean']} vs {values['overall_mean']})"


def share_effect(share: float, overall_share: float) -> float:
    """How far a segment's share stands from everyone's, in the share's binomial spread.

    The spread is floored at 0.1, so a share that almost nobody (or everybody) has does not
    make a small difference look enormous.

    Examples
    --------
    >>> round(share_effect(1.0, 0.49), 2)
    1.02
    """
    spread = math.sqrt(overall_share * (1 - overall_share)) if 0 < overall_share < 1 else 0.1
    return (share - overall_share) / max(spread, 0.1)


def missing_trait(feature: str, share: float, overall_share: float) -> Trait | None:
    """Most of the segment has no value where the population mostly has one.

    A NULL gap between orders means "no second order yet", not "almost none".

    Examples
    --------
    >>> missing_trait("inter_purchase_mean_days", 0.9, 0.35).text
    '90% have no second order yet (35% overall)'
    """
    concept = vocabulary.concept_of(feature)
    if share < 0.5 or share - overall_share < 0.15 or (concept and concept.missing == ""):
        return None
    effect = share_effect(share, overall_share)
    if concept is not None and concept.missing:
        text = concept.missing.format(share=f"{share:.0%}", subject=vocabulary.subject(feature))
    else:
        text = f"{share:.0%} have no {vocabulary.words(feature)}"
    word = (concept.missing_word if concept else None) or ""
    key = (concept.key if concept else "") or feature
    return Trait(
        feature,
        "missing",
        1,
        effect,
        f"{text} ({overall_share:.0%} overall)",
        word=word,
        concept=key,
        share=share,
    )


def category_trait(feature: str, level: str, share: float, overall_share: float) -> Trait | None:
    """A category over-represented in the segment, or None.

    Examples
    --------
    >>> category_trait("device", "ios", 0.62, 0.25).text
    '62% device: ios (25% overall)'
    """
    if overall_share <= 0 or overall_share >= 1 or share < 0.2:
        return None
    effect = (share - overall_share) / math.sqrt(overall_share * (1 - overall_share))
    if effect < 0.3 or share / overall_share < 1.3:
        return None
    text = vocabulary.category_phrase(feature, level, share, overall_share)
    word = vocabulary.category_word(feature, level)
    return Trait(feature, "category", 1, effect, text, level, word=word, concept=feature)


def rank(
    traits: list[Trait], limit: int = 5, *, first: frozenset[str] = frozenset()
) -> list[Trait]:
    """The strongest traits first, at most one per business concept, ``limit`` of them.

    Two columns of one concept (the mean and the last gap between orders) would
    otherwise say the same thing twice on a card. Traits of the features in
    ``first`` (those the segment's definition reads) lead, strongest first: a
    segment of lapsed big spenders is lapsed even when, against a base full of
    lapsed customers, its spend stands out more.

    Examples
    --------
    >>> t = lambda f, e: Trait(f, "numeric", 1, e, f)
    >>> [x.feature for x in rank([t("orders", 1.3), t("recency_days", 0.6), t("tenure_days", 0.9)],
    ...                          2, first=frozenset({"recency_days"}))]
    ['recency_days', 'orders']
    """
    seen: set[str] = set()
    out: list[Trait] = []
    order = sorted(
        traits, key=lambda t: (t.feature not in first, -t.effect, t.feature, t.level or "")
    )
    for trait in order:
        key = trait.feature if trait.kind == "category" else concept_key(trait)
        if key in seen or trait.text in {t.text for t in out}:
            continue
        seen.add(key)
        out.append(trait)
        if len(out) == limit:
            break
    return out


def descriptor(trait: Trait) -> str | None:
    """The word a name uses for a trait, or None when it makes no good name.

    Examples
    --------
    >>> descriptor(Trait("net_revenue", "numeric", 1, 2.0, ""))
    'high-value'
    """
    if trait.word is not None:
        return trait.word or None
    if trait.kind == "category":
        return vocabulary.category_word(trait.feature, str(trait.level))
    return vocabulary.name_word(trait.feature, trait.direction)


def concept_key(trait: Trait) -> str:
    """The business concept of a trait (its feature name when none matches)."""
    if trait.concept:
        return trait.concept
    found = vocabulary.concept_of(trait.feature)
    return (found.key if found and trait.kind != "category" else "") or trait.feature


def _normal(name: str) -> str:
    """A name as the near-duplicate test sees it.

    No digits, commas or parentheses, one case, its words in any order: "Frequent high-value
    customers" is "High-value frequent customers".
    """
    return " ".join(sorted(re.sub(r"[\d(),]", " ", name).lower().split()))


def _capital(text: str) -> str:
    return f"{text[0].upper()}{text[1:]}" if text else text


def auto_names(
    traits_by_segment: dict[int, list[Trait]],
    fallback: str = "Segment",
    *,
    means: dict[int, dict[str, float]] | None = None,
) -> dict[int, str]:
    """Deterministic names from each segment's top traits, distinct in words.

    Each name uses up to two business concepts (never two words for value), and
    at most one word made from a column name (two read as a list of columns).
    When two segments would share a name, a third trait tells them apart;
    failing that, the feature on which their averages differ most ("Lapsed
    customers, higher basket size"). Names never differ only by a number. A
    segment above the average on value but under half the top such segment
    (``means``) is "mid-value" (:mod:`segwise.profiling.value_words`).

    Examples
    --------
    >>> t = lambda f, d: Trait(f, "numeric", d, 1.0, "")
    >>> auto_names({0: [t("monetary", 1), t("orders", 1)], 1: [t("recency_days", 1)], 2: []})
    {0: 'High-value frequent customers', 1: 'Lapsed customers', 2: 'Typical customers'}
    """
    names: dict[int, str] = {}
    used: dict[str, int] = {}
    mid = mid_value_segments(traits_by_segment, means or {})
    for segment in sorted(traits_by_segment):
        traits = few_orders_said_once(
            [
                t
                for t in traits_by_segment[segment]
                if not contradicted(t, traits_by_segment[segment])
            ]
        )
        chosen: list[str] = []
        concepts: set[str] = set()
        spare: list[tuple[str, str]] = []
        plain_word = False  # a word made from a column name ("large household size")
        for trait in traits:
            word, concept = descriptor(trait), concept_key(trait)
            if segment in mid and concept == "value" and trait.direction > 0:
                word = MID_VALUE
            if not word or concept in concepts or word in chosen or _ALIKE.get(concept) in concepts:
                continue
            plain = trait.kind == "numeric" and vocabulary.concept_of(trait.feature) is None
            if len(chosen) < 2 and not (plain and plain_word):
                chosen.append(word)
                concepts.add(concept)
                plain_word = plain_word or plain
            else:
                spare.append((word, concept))
        base = " ".join(chosen) if chosen else "typical"
        name = f"{_capital(base)} {vocabulary.unit()}s"
        if _normal(name) in used:
            name = _distinct(segment, chosen, spare, used, means or {})
        used[_normal(name)] = segment
        names[segment] = name or f"{fallback} {segment + 1}"
    return names


def few_orders_said_once(traits: list[Trait]) -> list[Trait]:
    """``traits`` with one word, not two, for few orders: "one-time" or "occasional".

    Online Retail II's "One-time buyers" rule segment (1 order against 3.9, none with a
    second) was named "Occasional one-time customers": one idea said twice. It is said once,
    where the stronger of the two traits ranks: "one-time" where nearly all the segment
    (:data:`NEARLY_ALL`) has no second order; otherwise "occasional", true of all of it where
    "one-time" is of only part (a rule's new customers: 1.4 orders, 76% with no second, were
    "New one-time customers"). Both traits keep their card lines.

    Examples
    --------
    >>> fewer = Trait("orders", "numeric", -1, 1.0, "", word="occasional")
    >>> once = Trait("inter_purchase_mean_days", "missing", 1, 1.0, "", word="one-time", share=0.76)
    >>> [t.word for t in few_orders_said_once([once, fewer])]
    ['occasional', '']
    """
    found = [i for i, t in enumerate(traits) if t.word in (ONE_TIME, OCCASIONAL)]
    words = {traits[i].word for i in found}
    if words != {ONE_TIME, OCCASIONAL}:
        return traits
    once = next(traits[i] for i in found if traits[i].word == ONE_TIME)
    word = ONE_TIME if (once.share or 0.0) >= NEARLY_ALL else OCCASIONAL
    said = [replace(t, word="") if i in found else t for i, t in enumerate(traits)]
    said[found[0]] = replace(traits[found[0]], word=word)
    return said


def contradicted(trait: Trait, traits: Sequence[Trait]) -> bool:
    """Whether another trait on the same card reads as the opposite of this one's word.

    More orders than average and a longer time between them are both true of a segment of
    long-standing customers (Online Retail's "Stable": 5.1 orders against 4.1, a purchase
    every 3 months against 8 weeks), but "frequent" and "slow-repeat" in one name, or either
    alone above the other fact, reads as a mistake: neither names it.
    """
    key = concept_key(trait)
    if trait.kind != "numeric" or key not in _OPPOSED:
        return False
    other = _OPPOSED[key]
    # More orders with a longer cycle, or fewer with a shorter one: one of the two directions.
    return any(
        t.kind == "numeric" and concept_key(t) == other and t.direction == trait.direction
        for t in traits
    )


#: Concepts whose words say the same thing in a name ("family large household customers",
#: "high-value high-spending customers").
_ALIKE = {
    "children": "household",
    "household": "children",
    "spending": "value",
    "value": "spending",
}

#: Concepts whose words contradict when they point the same way (frequent, slow-repeat).
_OPPOSED = {"frequency": "cycle", "cycle": "frequency"}


def _distinct(
    segment: int,
    chosen: list[str],
    spare: list[tuple[str, str]],
    used: dict[str, int],
    means: dict[int, dict[str, float]],
) -> str:
    base = " ".join(chosen) if chosen else "typical"
    for word, _concept_key in spare:
        candidate = f"{_capital(f'{base} {word}')} {vocabulary.unit()}s"
        if _normal(candidate) not in used:
            return candidate
    holder = used[_normal(f"{_capital(base)} {vocabulary.unit()}s")]
    mine, theirs = means.get(segment, {}), means.get(holder, {})
    contrasts = []
    for feature, value in mine.items():
        other = theirs.get(feature)
        if other is None or value is None or math.isnan(value) or math.isnan(other):
            continue
        if value > 0 and other > 0 and value != other:
            contrasts.append((abs(math.log(value / other)), feature, value > other))
    for _size, feature, higher in sorted(contrasts, reverse=True):
        contrast = vocabulary.name_word(feature, 1 if higher else -1)
        if contrast and contrast in chosen:
            continue  # "low-value customers, higher value" would contradict itself
        candidate = (
            f"{_capital(base)} {vocabulary.unit()}s, {'higher' if higher else 'lower'} "
            f"{vocabulary.noun(feature)}"
        )
        if _normal(candidate) not in used:
            return candidate
    letter = 1
    while True:
        candidate = f"{_capital(base)} {vocabulary.unit()}s, group {chr(ord('A') + letter)}"
        if _normal(candidate) not in used or letter > 25:
            return candidate
        letter += 1
