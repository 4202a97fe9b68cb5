"""A needs class in words: where its answers differ from everyone's, said the codebook's way.

Each construct's score is a respondent's mean over its Likert items (reverse
items already turned round). A class whose mean score sits at least half a
standard deviation above (or below) all respondents' gets the construct's
``high`` (or ``low``) words; the two strongest name the class ("values
sustainability, price-insensitive"). A choice whose answer is much more
common in the class than overall is a trait too, and so is an option of a
"select all that apply" question chosen much more often.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

if TYPE_CHECKING:
    from collections.abc import Mapping

    from segwise.survey.answers import AnswerTable
    from segwise.survey.codebook import Construct

#: A construct is part of a class's profile when its mean is this many SDs from everyone's.
DISTINCT_SD = 0.5
#: A choice is a trait when this much more common in the class than overall, and held by this share.
CHOICE_LIFT, CHOICE_SHARE = 1.5, 0.3
NAME_WORDS = 2
#: A name's part longer than this is cut at a word (a question's whole text, when unnamed).
NAME_LIMIT = 40
MAX_TRAITS = 5
PLAIN = "Middle of the road"


@dataclass(frozen=True)
class NeedsProfile:
    """One class: its name, its traits and how many respondents it holds."""

    label: int
    name: str
    traits: tuple[str, ...]
    respondents: int


def construct_scores(table: AnswerTable) -> pl.DataFrame:
    """``customer_id`` and one score column per construct (per Likert item without a codebook)."""
    groups: dict[str, list[str]] = {}
    for column in table.likert_columns():
        question = table.items[column]
        groups.setdefault(question.construct or column, []).append(column)
    return table.wide.select(
        "customer_id",
        *[pl.mean_horizontal(columns).alias(name) for name, columns in groups.items()],
    )


def needs_profiles(table: AnswerTable, labels: np.ndarray) -> list[NeedsProfile]:
    r"""Name and describe each class of ``labels`` (one per row of ``table.wide``).

    Examples
    --------
    >>> import numpy as np, polars as pl
    >>> from segwise.survey import Codebook, answer_table
    >>> book = Codebook.from_text(
    ...     "scale: [1, 5]\nconstructs: {price: {high: price-sensitive, low: price-insensitive}}\n"
    ...     "questions: {q1: {construct: price}}")
    >>> long = pl.DataFrame({"customer_id": list("abcd"), "question": ["q1"] * 4,
    ...                      "answer": ["5", "4", "1", "2"]})
    >>> [p.name for p in needs_profiles(answer_table(long, book), np.array([0, 0, 1, 1]))]
    ['Price-sensitive', 'Price-insensitive']
    """
    scores = construct_scores(table)
    constructs = table.codebook.constructs
    profiles = []
    for label in sorted(set(labels.tolist())):
        members = labels == label
        scored = _construct_traits(scores, members, constructs)
        chosen = _choice_traits(table, members)
        words = [_short(w) for _, w, _ in scored][:NAME_WORDS] or [_short(w) for w, _ in chosen][:1]
        name = ", ".join(words) if words else PLAIN
        traits = [t for _, _, t in scored] + [t for _, t in chosen]
        profiles.append(
            NeedsProfile(int(label), name[:1].upper() + name[1:], tuple(traits[:MAX_TRAITS]),
                         int(members.sum()))
        )  # fmt: skip
    return _distinct_names(profiles)


def _construct_traits(
    scores: pl.DataFrame, members: np.ndarray, constructs: Mapping[str, Construct]
) -> list[tuple[float, str, str]]:
    found = []
    for name in scores.columns[1:]:
        values = scores[name].to_numpy().astype(float)
        spread = np.nanstd(values)
        if not np.isfinite(spread) or spread == 0 or np.isnan(values[members]).all():
            continue
        inside, overall = float(np.nanmean(values[members])), float(np.nanmean(values))
        distance = (inside - overall) / spread
        if abs(distance) < DISTINCT_SD:
            continue
        construct = constructs.get(name)
        word = (
            (construct.high if distance > 0 else construct.low)
            if construct is not None
            else f"{'high' if distance > 0 else 'low'} {name}"
        )
        found.append((abs(distance), word, f"{word} ({inside:.1f} vs {overall:.1f} on average)"))
    return sorted(found, key=lambda t: -t[0])


def _choice_traits(table: AnswerTable, members: np.ndarray) -> list[tuple[str, str]]:
    found = []
    for column, question in table.items.items():
        if question.kind == "multiple":
            found += _chosen_trait(table, column, question.title, members)
        if question.kind != "choice":
            continue
        answers = table.wide[column]
        given = answers.is_not_null().to_numpy()
        if not (given & members).any():
            continue
        overall = answers.filter(pl.Series(given)).value_counts(normalize=True)
        inside = answers.filter(pl.Series(given & members)).value_counts(normalize=True)
        joined = inside.join(overall, on=column, suffix="_all")
        for option, share, share_all in joined.iter_rows():
            if share >= CHOICE_SHARE and share >= CHOICE_LIFT * share_all:
                word = f"{question.title}: {option}"
                found.append((word, f"{word} ({share:.0%} vs {share_all:.0%} overall)"))
    return found


def _chosen_trait(
    table: AnswerTable, column: str, title: str, members: np.ndarray
) -> list[tuple[str, str]]:
    """``channels: email (62% vs 30% overall)`` for an option the class chooses far more."""
    chosen = table.wide[column].to_numpy().astype(float)
    given = ~np.isnan(chosen)
    if not (given & members).any():
        return []
    inside, overall = float(chosen[given & members].mean()), float(chosen[given].mean())
    if inside < CHOICE_SHARE or inside < CHOICE_LIFT * overall:
        return []
    word = f"{title}: {column.split(':', 1)[1]}"
    return [(word, f"{word} ({inside:.0%} vs {overall:.0%} overall)")]


def _short(words: str, limit: int = NAME_LIMIT) -> str:
    """A name's part cut at a word before ``limit`` characters: a question's text can be long.

    Without constructs a class is named by its questions, and a survey export's question is
    its whole text ("High I choose brands that are good for the planet and for people").

    Examples
    --------
    >>> _short("high I choose brands that are good for the planet and for the people")
    'high I choose brands that are good for…'
    >>> _short("price-sensitive")
    'price-sensitive'
    """
    if len(words) <= limit:
        return words
    cut = words[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


def _distinct_names(profiles: list[NeedsProfile]) -> list[NeedsProfile]:
    seen: dict[str, int] = {}
    out = []
    for profile in profiles:
        seen[profile.name] = seen.get(profile.name, 0) + 1
        count = seen[profile.name]
        name = profile.name if count == 1 else f"{profile.name} ({count})"
        out.append(NeedsProfile(profile.label, name, profile.traits, profile.respondents))
    return out
