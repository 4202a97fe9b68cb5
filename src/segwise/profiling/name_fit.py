"""Whether a segment's kept name still fits it: the words its numbers now contradict.

A cluster model kept from run to run keeps its segments' names, made from their traits
when it was fitted; customers then age and move, and a word can come to say the opposite
of the card ("high-value" customers now spending 0.87× the average).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from segwise.profiling import amounts, vocabulary
from segwise.profiling.labels import label
from segwise.profiling.traits import NEW_CUSTOMER_DAYS, NEWER, RECENT_DAYS
from segwise.profiling.value_words import MID_VALUE

if TYPE_CHECKING:
    from collections.abc import Sequence


def unfit_words(name: str, numeric: Sequence[dict[str, Any]]) -> list[tuple[str, str]]:
    """Words of ``name`` that the segment's numbers now contradict, each with the evidence.

    A name kept with a frozen model was made from the segment's traits when it was
    fitted; customers then age and move. A word no longer fits when the segment is now on
    the other side of the average on its feature ("high-value" customers spending 0.87×
    the average), or past the word's limit ("recent" beyond 90 days since the last order,
    "new" beyond 90 days of tenure). ``numeric``: the profile's rows (``feature``,
    ``median``, ``lift``).

    Examples
    --------
    >>> now = [{"feature": "net_revenue", "median": 80.0, "lift": 0.87},
    ...        {"feature": "recency_days", "median": 240.0, "lift": 0.9}]
    >>> unfit_words("Recent high-value customers", now)  # doctest: +NORMALIZE_WHITESPACE
    [('high-value', 'net revenue: 0.87x the average'),
     ('recent', 'days since last order: 8 months for the typical member')]
    >>> unfit_words("Lapsed customers", now)
    [('lapsed', 'days since last order: 0.90x the average')]
    """
    against: dict[str, str] = {}
    borne: set[str] = set()  # words some feature still bears out
    said = name.lower()
    for row in numeric:
        feature, lift, median = row["feature"], row.get("lift"), row.get("median")
        concept = vocabulary.concept_of(feature)
        subject = label(feature)
        key = concept.key if concept else ""
        for direction, word in _named(feature, key):
            if not word or not _says(said, word):
                continue
            limit = _WORD_LIMITS.get(key) if direction < 0 and word != NEWER else None
            if lift is not None and (lift - 1) * direction < 0:
                against.setdefault(word, f"{subject}: {lift:.2f}x the average")
            elif limit is not None and median is not None and median > limit:
                typical = amounts.show(median, concept.unit if concept else "days", None)
                against.setdefault(word, f"{subject}: {typical} for the typical member")
            elif lift is not None:
                borne.add(word)
    # "Engaged" from their app sessions still fits while their email clicks are few.
    return [(word, why) for word, why in against.items() if word not in borne]


def _named(feature: str, concept: str) -> list[tuple[int, str | None]]:
    """The words a name may hold for ``feature``, each with its direction."""
    words = [(1, vocabulary.name_word(feature, 1)), (-1, vocabulary.name_word(feature, -1))]
    extra = {"tenure": (-1, NEWER), "value": (1, MID_VALUE)}.get(concept)
    return [*words, extra] if extra else words


#: Words for "below average" that also need the typical member under a limit (days).
_WORD_LIMITS = {"tenure": NEW_CUSTOMER_DAYS, "recency": RECENT_DAYS}


def _says(name: str, word: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(word.lower())}(?![\w-])", name) is not None
