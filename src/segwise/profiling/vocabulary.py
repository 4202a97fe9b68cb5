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
from typing import TYPE_CHECKING

from segwise.profiling.concepts import CATEGORY_CONCEPTS, CONCEPTS, SCORE_CONCEPTS

if TYPE_CHECKING:
    from collections.abc import Iterator

    from segwise.profiling.concepts import Concept

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
    >>> concept_of("Spending Score (1-100)").key, concept_of("operating_margin").key
    ('spending', 'value')
    >>> concept_of("satisfaction_score") is None
    True
    """
    name = column.lower()
    if is_score(column):
        return next((c for c in SCORE_CONCEPTS if re.search(c.pattern, name)), None)
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


def is_score(column: str) -> bool:
    """Whether a column is a score or rating (a scale of its own, not a quantity).

    >>> is_score("Spending Score (1-100)"), is_score("rating"), is_score("operating_margin")
    (True, True, False)
    """
    return re.search(_SCORE, column.lower()) is not None


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
    ('high-spending', 'low sustainability')
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
