"""The business vocabulary segment names and traits are written in.

A marketer reads "last bought 4 months ago", not ``recency_days 118``. Each
feature column is matched (by its name) to a business concept: value,
frequency, purchase cycle, recency, tenure, basket size, returns,
engagement, channel, category, region, or a few demographic ones. The
concept gives the words a name uses when the segment is above or below
average, the unit its numbers are shown in, and how a missing value reads
("no second order yet"). Columns that match nothing are shown by their name
in words (``household_size`` → "household size"), never with underscores.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

from segwise.features.elapsed import ENGAGEMENT_RECENCY, PURCHASE_RECENCY

if TYPE_CHECKING:
    from collections.abc import Iterator

#: Whom the segments being described hold: ``customer`` (people) or ``account`` (companies).
_UNIT: ContextVar[str] = ContextVar("segwise_unit", default="customer")


def unit() -> str:
    """The word for one member of the segments being described (``customer`` by default)."""
    return _UNIT.get()


@contextmanager
def counting(word: str) -> Iterator[None]:
    """Describe segments of ``word`` (e.g. ``account``) inside the block: names and traits say so.

    Examples
    --------
    >>> with counting("account"):
    ...     unit()
    'account'
    >>> unit()
    'customer'
    """
    token = _UNIT.set(word)
    try:
        yield
    finally:
        _UNIT.reset(token)


@dataclass(frozen=True, slots=True)
class Concept:
    """How one kind of feature reads in names and traits.

    ``high``/``low`` are the name words for a segment above/below average
    (None: the direction does not make a good name). ``unit`` is ``money``,
    ``days``, ``share`` (a 0–1 fraction), ``count`` or ``number``.
    ``missing`` is the phrase for a segment where most values are NULL.
    """

    key: str
    pattern: str
    high: str | None
    low: str | None
    unit: str
    phrase: str
    missing: str | None = None
    missing_word: str | None = None
    noun: str = ""


#: What a card says of customers a model could not score (every prediction of theirs is
#: missing, so one phrase, said once, stands for all).
_NO_PREDICTION = "{share} have no prediction"

#: First match wins, so specific patterns come before general ones.
CONCEPTS: tuple[Concept, ...] = (
    # B2B accounts (segwise.features.accounts), before the general patterns they would match.
    Concept(
        "buyer concentration",
        r"top_contact_share",
        "single-buyer",
        "multi-buyer",
        "share",
        "{mean} of spend from their top buyer (average {overall_mean})",
        noun="reliance on one buyer",
    ),
    Concept(
        "buying committee",
        r"buying_committee|committee_roles|buying_contacts",
        "broad-committee",
        "single-buyer",
        "number",
        "{subject}: {ratio} the average ({mean} vs {overall_mean})",
        noun="buying committee",
    ),
    Concept(
        "contacts",
        r"^(active_)?contacts$",
        "well-connected",
        "thinly-connected",
        "number",
        "{subject}: {ratio} the average ({mean} vs {overall_mean})",
        noun="contacts",
    ),
    Concept(
        "company size",
        r"employees|headcount|company_size|staff",
        "large",
        "small",
        "number",
        "{subject}: {ratio} the average ({mean} vs {overall_mean})",
        noun="company size",
    ),
    Concept(
        "cycle",
        r"inter_purchase|purchase_gap|days_between",
        "slow-repeat",
        "fast-repeat",
        "days",
        "buys again every {median} (typical {unit}: {overall})",
        missing="{share} have no second order yet",
        missing_word="one-time",
        noun="time between orders",
    ),
    Concept(
        "alive",
        r"p_alive|prob_alive|probability_alive",
        "likely-active",
        "at-risk",
        "share",
        "{mean} chance they are still active (average {overall_mean})",
        missing=_NO_PREDICTION,
        noun="chance of being active",
    ),
    Concept(
        "predicted value",
        r"^clv$|_clv$|^clv_|predicted|expected_value|^ltv",
        "high-potential",
        "low-potential",
        "money",
        "predicted value {ratio} the average ({mean} vs {overall_mean})",
        missing=_NO_PREDICTION,
        noun="predicted value",
    ),
    Concept(
        "overdue",
        r"quiet_cycles|overdue",
        "overdue",
        None,
        "number",
        "quiet for {median}× the usual time between purchases (typical {unit}: {overall}×)",
        missing=_NO_PREDICTION,
        noun="time quiet, in purchase cycles",
    ),
    Concept(
        "engagement recency",
        ENGAGEMENT_RECENCY,
        "inactive",
        "active",
        "days",
        "last active {median} ago (typical {unit}: {overall})",
        missing="{share} have never engaged",
        missing_word="never-engaged",
        noun="time since last active",
    ),
    Concept(
        "recency",
        # Days since the last of anything else is not purchase recency: "days_since_last_login"
        # read "last bought 6 weeks ago".
        PURCHASE_RECENCY,
        "lapsed",
        "recent",
        "days",
        "last bought {median} ago (typical {unit}: {overall})",
        missing="{share} have never bought",
        missing_word="non-buying",
        noun="time since last order",
    ),
    Concept(
        "tenure",
        r"tenure|days_since_first|first_purchase|customer_since",
        "long-standing",
        "new",
        "days",
        "{unit} for {median} (typical {unit}: {overall})",
        missing="{share} have never bought",
        missing_word="non-buying",
        noun="tenure",
    ),
    # A customer table's sign-up date as days (sources.customers dates): tenure, in its words,
    # but a missing one is an unknown date, not a customer who never bought.
    Concept(
        "tenure",
        r"^days_since_(sign_?up|signed_?up|created|joined|join_date|registered|registration|"
        r"member_since|enrol)",
        "long-standing",
        "new",
        "days",
        "{unit} for {median} (typical {unit}: {overall})",
        missing="{share} have no joining date",
        noun="tenure",
    ),
    # Any other date of the customer table, as days before the as-of date ("last login 6
    # weeks ago"). No key: each date is its own concept, and none makes a name.
    Concept(
        "",
        r"^days_since_",
        None,
        None,
        "days",
        "{subject} {median} ago (typical {unit}: {overall})",
        missing="{share} have no {subject}",
        noun="time since {subject}",
    ),
    Concept(
        "basket",
        r"basket|order_value|aov|(avg|average|mean)_?ticket|ticket_?(size|value|amount)",
        "big-basket",
        "small-basket",
        "money",
        "typical order worth {median} (typical {unit}: {overall})",
        noun="basket size",
    ),
    Concept(
        "returns",
        r"return",
        "return-prone",
        "low-return",
        "share",
        "returns {mean} of what they buy (average {overall_mean})",
        noun="returns",
    ),
    Concept(
        "value",
        r"monetary|revenue|spend|value|sales|profit|margin",
        "high-value",
        "low-value",
        "money",
        "spends {ratio} the average ({mean} vs {overall_mean})",
        noun="value",
    ),
    Concept(
        "frequency",
        r"frequency|orders|purchases|transactions|order_count",
        "frequent",
        "occasional",
        "count",
        "buys {ratio} as often as average ({mean} vs {overall_mean} orders)",
        noun="order count",
    ),
    Concept(
        "category",
        r"^share_",
        "{subject}-focused",
        None,
        "share",
        "{mean} of their spend on {subject} (average {overall_mean})",
        noun="{subject} share",
    ),
    Concept(
        "engagement",
        r"visit|session|open|click|event|engage|view|login",
        "engaged",
        "quiet",
        "count",
        "{subject}: {ratio} the average ({mean} vs {overall_mean})",
        noun="engagement",
    ),
    Concept(
        "income",
        r"income|salary|wealth",
        "affluent",
        "budget",
        "money",
        "{subject}: {ratio} the average ({mean} vs {overall_mean})",
        noun="income",
    ),
    Concept(
        "age",
        r"^age$|_age$|^age_",
        "older",
        "younger",
        "number",
        "aged {median} (typical {unit}: {overall})",
        noun="age",
    ),
    # "Family" names parents; fewer children than average names nothing ("Fewer children at
    # home customers" was a CRM cluster's name).
    Concept(
        "children",
        r"child|(^|_)kids(_|$)",
        "family",
        None,
        "count",
        "{subject}: {ratio} the average ({mean} vs {overall_mean})",
    ),
    Concept(
        "household",
        r"household_?size|family_?size|household$",
        "large household",
        "small household",
        "number",
        "{subject}: {ratio} the average ({mean} vs {overall_mean})",
        noun="household size",
    ),
    # Psychographic and intent attributes a CRM export or a panel holds.
    Concept(
        "discount",
        r"price_?sensitiv|price_?conscious",
        "price-sensitive",
        "price-insensitive",
        "number",
        "{subject}: {ratio} the average ({mean} vs {overall_mean})",
        noun="price sensitivity",
    ),
    Concept(
        "loyalty",
        r"brand_?loyal|loyalty$|loyalty_index",
        "brand-loyal",
        "brand-switching",
        "number",
        "{subject}: {ratio} the average ({mean} vs {overall_mean})",
        noun="brand loyalty",
    ),
    Concept(
        "intent",
        r"add_?to_?cart|cart_?add|added_?to_?cart|wishlist|checkout",
        "high-intent",
        None,
        "count",
        "{subject}: {ratio} the average ({mean} vs {overall_mean})",
        noun="shopping intent",
    ),
    Concept(
        "discount",
        r"discount|coupon|promo",
        "deal-seeking",
        "full-price",
        "number",
        "{subject}: {ratio} the average ({mean} vs {overall_mean})",
        noun="discount use",
    ),
)

#: Categorical concepts: (key, pattern, name word for a level, trait phrase).
CATEGORY_CONCEPTS: tuple[tuple[str, str, str, str], ...] = (
    ("channel", r"channel|source|medium", "{level}-first", "{share} buy mostly via {level}"),
    (
        "region",
        r"country|region|city|state|province|market|location|geo",
        "{level}",
        "{share} in {level}",
    ),
    ("category", r"category|department|product", "{level}-focused", "{share} favour {level}"),
)


def words(column: str) -> str:
    """A column name as words: ``inter_purchase_mean_days`` → "inter purchase mean days".

    Examples
    --------
    >>> words("household_size")
    'household size'
    """
    return re.sub(r"[_\s]+", " ", str(column)).strip()


def concept_of(column: str) -> Concept | None:
    """The business concept a numeric column stands for, or None.

    Examples
    --------
    >>> concept_of("net_revenue").key, concept_of("inter_purchase_last_days").key
    ('value', 'cycle')
    >>> concept_of("Spending Score (1-100)") is None, concept_of("operating_margin").key
    (True, 'value')
    """
    name = column.lower()
    if re.search(_SCORE, name):
        # Mall Customers' "Spending Score (1-100)" is a score, not money: "spends 1.6× the
        # average (82 vs 50)" and "High-value" misread it.
        return None
    return next((c for c in CONCEPTS if re.search(c.pattern, name)), None)


#: Names of counts of things or people: "more children at home", "fewer pets".
_COUNT = (
    r"^(number of|num|n|count of|no of)\s|\scount$|"
    r"(^|\s)(children|kids|pets|cars|vehicles|members|people|persons|dependents|visits)(\s|$)"
)

#: Channels an event's name can start with ("email click", "app session").
_CHANNEL = r"(email|app|web|site|sms|push|social|mobile|newsletter)\b"

#: Names of scores and ratings: numbers on a scale of their own, whatever else the name says
#: ("rating" as a word: an operating margin is money).
_SCORE = r"score|(?<![a-z])ratings?(?![a-z])"


def subject(column: str) -> str:
    """What a column is about, in words (``share_garden_tools`` → "garden tools").

    A unit at the end of the name is left to the values: "Annual Income (k$)" →
    "annual income".
    """
    return words(re.sub(r"^share_|^days_since_|\s*\([^()]*\)\s*$", "", column.lower()))


def name_word(column: str, direction: int) -> str | None:
    """The word a name uses for a numeric column above (+1) or below (-1) average.

    Examples
    --------
    A size is large or small, a count more or fewer, anything else high or low:
    "small children at home" read as young children, "large price sensitivity" as nothing.

    >>> name_word("recency_days", 1), name_word("household_size", -1)
    ('lapsed', 'small household')
    >>> name_word("Spending Score (1-100)", 1), name_word("sustainability", -1)
    ('high spending score', 'low sustainability')
    >>> name_word("children_at_home", 1), name_word("num_pets", 1)
    ('family', 'more pets')
    >>> name_word("add_to_cart_90d", 1), name_word("email_click_30d", 1)
    ('high-intent', 'email-engaged')
    """
    concept = concept_of(column)
    if concept is None:
        # "(1-100)" or "(k$)" says how the column is measured; a name does not need it.
        bare = words(re.sub(r"\s*\([^)]*\)", " ", column)).lower()
        if window := re.fullmatch(r"(.+) \d+d", bare):  # an event count: add_to_cart_90d
            return f"{'frequent' if direction > 0 else 'infrequent'} {window.group(1)}"
        if bare.endswith(" size"):
            return f"{'large' if direction > 0 else 'small'} {bare.removesuffix(' size')}"
        if re.search(_COUNT, bare):
            counted = re.sub(r"^(number of|num|n|count of|no of)\s+|\s+count$", "", bare)
            return f"{'more' if direction > 0 else 'fewer'} {counted}"
        return f"{'high' if direction > 0 else 'low'} {bare}"
    word = concept.high if direction > 0 else concept.low
    if concept.key == "engagement" and direction > 0:
        # Segments engaged on different channels are different audiences: "email-engaged"
        # and "app-engaged", not two "engaged" segments told apart by a third trait.
        channel = channel_of(column)
        word = f"{channel}-engaged" if channel else word
    return None if word is None else word.format(subject=subject(column))


def channel_of(column: str) -> str | None:
    """The channel an event count's name starts with (``email_click_30d`` → "email").

    >>> channel_of("app_session_30d"), channel_of("visit_30d")
    ('app', None)
    """
    found = re.match(_CHANNEL, subject(column))
    return found.group(1) if found else None


def category_word(column: str, level: str) -> str:
    """The word a name uses for an over-represented level.

    Examples
    --------
    >>> category_word("preferred_channel", "app"), category_word("Country", "Germany")
    ('app-first', 'Germany')
    """
    clean = words(str(level)) or "blank"
    for _key, pattern, word, _phrase in CATEGORY_CONCEPTS:
        if re.search(pattern, column.lower()):
            return word.format(level=clean)
    if clean.lower() in {"true", "false"}:
        return words(column) if clean.lower() == "true" else f"non {words(column)}"
    return f"{clean} {words(column)}"


def category_phrase(column: str, level: str, share: float, overall: float) -> str:
    """A category trait in words, with the population's share.

    Examples
    --------
    >>> category_phrase("device", "ios", 0.62, 0.25)
    '62% device: ios (25% overall)'
    """
    clean = words(str(level)) or "blank"
    for _key, pattern, _word, phrase in CATEGORY_CONCEPTS:
        if re.search(pattern, column.lower()):
            text = phrase.format(share=f"{share:.0%}", level=clean)
            return f"{text} ({overall:.0%} overall)"
    return f"{share:.0%} {words(column)}: {clean} ({overall:.0%} overall)"


def noun(column: str) -> str:
    """What a comparison between two segments is about ("basket size", "household size")."""
    concept = concept_of(column)
    if concept is None or not concept.noun:
        return words(column).lower()
    return concept.noun.format(subject=subject(column))
