"""``segwise init … --responses FILE``: a needs-based segmentation and a drafted codebook.

A survey's answers say little until a codebook says how to read each question. Writing
one by hand for a 30-question export is the step where people stop, so ``init`` drafts
it from the answers: numbers on a short range are Likert items on that scale, answers
from a known agreement, satisfaction, likelihood, frequency or importance scale are
Likert items with those labels, answers that list several options of a small set are
"select all that apply", other answers of few values are choices, and free text is left
out. The user then names the constructs (what a high score says about someone), which
is what the segments are named by.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl
import yaml

from segwise.exceptions import ColumnNotFoundError
from segwise.io.entity_readers import read_responses
from segwise.io.writers import write_text
from segwise.project.sniff import place_file
from segwise.project.sniff_reading import roles_block
from segwise.survey.answers import RANK_SEPARATORS

if TYPE_CHECKING:
    from pathlib import Path

#: A question with more distinct answers than this (and not numbers) is free text.
MAX_OPTIONS = 15
#: Whole numbers spanning at most this many points (0–10 is 11) are a rating scale.
MAX_SCALE_POINTS = 11
#: A question is "select all that apply" when this share of its answers list several options.
LISTED_SHARE = 0.1

#: Answer scales people write in words, lowest first (compared in lower case).
WORDED_SCALES: tuple[tuple[str, ...], ...] = (
    ("strongly disagree", "disagree", "neither agree nor disagree", "agree", "strongly agree"),
    ("strongly disagree", "disagree", "neutral", "agree", "strongly agree"),
    ("strongly disagree", "somewhat disagree", "neither agree nor disagree",
     "somewhat agree", "strongly agree"),
    ("very dissatisfied", "dissatisfied", "neutral", "satisfied", "very satisfied"),
    ("very dissatisfied", "somewhat dissatisfied", "neither satisfied nor dissatisfied",
     "somewhat satisfied", "very satisfied"),
    ("very unlikely", "unlikely", "neutral", "likely", "very likely"),
    ("never", "rarely", "sometimes", "often", "always"),
    ("not at all important", "slightly important", "moderately important",
     "very important", "extremely important"),
)  # fmt: skip

CODEBOOK = "codebook.yaml"


@dataclass
class SurveyDraft:
    """What ``init`` adds for a survey: read and drafted before anything is written."""

    source: Path
    responses: Any
    codebook: dict[str, Any]
    notes: list[str] = field(default_factory=list)


def draft_survey(source: Path, *, customer_id: str | None = None) -> SurveyDraft:
    """Read the answers (long or one column per question) and draft their codebook.

    ``customer_id`` names the respondents' column when its name is not recognised.

    Raises
    ------
    SegwiseError
        The answers cannot be read (the reader's one-line error).
    """
    try:
        responses = read_responses(source, customer_id=customer_id)
    except ColumnNotFoundError as exc:
        if customer_id is not None or "customer" not in str(exc):
            raise
        # The reader's hint names --customer-col, which init gives the orders export.
        raise ColumnNotFoundError(
            str(exc).split(". ")[0],
            hint="name the respondents' customer id column with --respondent-col",
        ) from None
    answers = responses.to_native()
    questions = draft_questions(answers)
    left = sorted(set(answers["question"].unique().to_list()) - set(questions))
    notes = [
        f"{source}: {len(questions)} question(s) drafted into {CODEBOOK}"
        + (f"; {len(left)} free-text one(s) left out ({_first(left)})" if left else "")
        + ": name the constructs there, the words the segments are named by"
    ]
    return SurveyDraft(source, responses, _shared_scale(questions), notes)


def _shared_scale(questions: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The codebook: one ``scale:`` for all when every numbered question has the same."""
    scales = {tuple(q["scale"]) for q in questions.values() if "scale" in q}
    if len(scales) != 1:
        return {"questions": questions}
    [scale] = scales
    plain = {name: {k: v for k, v in q.items() if k != "scale"} for name, q in questions.items()}
    return {"scale": list(scale), "questions": plain}


def draft_questions(answers: pl.DataFrame) -> dict[str, dict[str, Any]]:
    """Each question's codebook entry, drafted from its answers (free text left out).

    Examples
    --------
    >>> answers = pl.DataFrame({
    ...     "question": ["q1", "q1", "q2", "q2", "q3", "q3"],
    ...     "answer": ["4", "2", "Agree", "Strongly disagree", "Email, SMS", "App"]})
    >>> draft_questions(answers)["q1"], draft_questions(answers)["q3"]["kind"]
    ({'scale': [2, 4]}, 'multiple')
    >>> draft_questions(answers)["q2"]["labels"]["Agree"]
    4
    """
    drafted: dict[str, dict[str, Any]] = {}
    ordered = answers.select("question").unique(maintain_order=True)["question"].to_list()
    for question in ordered:
        given = answers.filter(pl.col("question") == question)["answer"].cast(pl.String)
        entry = _draft(given.str.strip_chars().filter(given.str.strip_chars() != ""))
        if entry is not None:
            drafted[str(question)] = entry
    return drafted


def _draft(given: pl.Series) -> dict[str, Any] | None:
    if given.len() == 0:
        return None  # nobody answered it: nothing to draft from
    numbers = given.cast(pl.Float64, strict=False)
    if numbers.null_count() == 0:
        return _rating(numbers)
    worded = _worded_scale(given)
    return {"labels": worded} if worded is not None else _options(given)


def _rating(numbers: pl.Series) -> dict[str, Any] | None:
    """A scale for whole numbers on a short range; None for amounts and ages."""
    low, high = float(numbers.min()), float(numbers.max())  # type: ignore[arg-type]
    whole = bool((numbers == numbers.round()).all())
    if whole and high > low and high - low + 1 <= MAX_SCALE_POINTS:
        return {"scale": [int(low), int(high)]}
    return None


def _options(given: pl.Series) -> dict[str, Any] | None:
    """A ranking, a "select all that apply" or a choice, by how the answers are written."""
    ranked = given.str.contains(">").mean() or 0.0
    listed = given.str.contains(RANK_SEPARATORS).mean() or 0.0
    if listed >= LISTED_SHARE:  # type: ignore[operator]
        options = _split(given)
        if options.n_unique() <= MAX_OPTIONS:
            # "price > quality > brand" ranks the options; "Email, SMS" picks some.
            kind = "ranking" if ranked >= 0.5 else "multiple"  # type: ignore[operator]
            return {"kind": kind, "options": _by_count(options)}
    if given.n_unique() <= MAX_OPTIONS:
        return {"kind": "choice", "options": _by_count(given)}
    return None  # free text


def _split(given: pl.Series) -> pl.Series:
    unit = "\x1f"
    return given.str.replace_all(RANK_SEPARATORS, unit).str.split(unit).explode().str.strip_chars()


def _worded_scale(given: pl.Series) -> dict[str, int] | None:
    """Labels to points when every answer is a level of one worded scale."""
    seen = {str(v) for v in given.unique().to_list()}
    lowered = {v.lower(): v for v in seen}
    for scale in WORDED_SCALES:
        if set(lowered) <= set(scale):
            # The answers' own spelling where seen, the scale's (capitalised) elsewhere.
            return {lowered.get(level, level.capitalize()): i for i, level in enumerate(scale, 1)}
    return None


def _by_count(values: pl.Series) -> list[str]:
    """The distinct values, most common first; ties in the order the answers give them."""
    counted = (
        values.cast(pl.String)
        .to_frame("value")
        .with_row_index("at")
        .group_by("value")
        .agg(pl.len().alias("n"), pl.col("at").min())
        .sort(["n", "at"], descending=[True, False])
    )
    return counted["value"].to_list()


def _first(names: list[str], most: int = 3) -> str:
    shown = ", ".join(f"'{n}'" for n in names[:most])
    return shown + (" …" if len(names) > most else "")


def add_survey(config: Path, draft: SurveyDraft, *, copy: bool) -> None:
    """Write the codebook beside ``config``, and the source and segmentation into it."""
    folder = config.parent
    path = place_file(draft.source, folder / "data", copy=copy)
    header = (
        "# Drafted by segwise init from the answers: check each question's kind, scale and\n"
        "# options, and give the Likert ones a construct (declared under constructs: with\n"
        "# what a high and a low score say about someone). docs/survey.md explains each key.\n"
        "# constructs:\n"
        "#   price: {high: price-sensitive, low: price-insensitive}\n"
    )
    body = yaml.safe_dump(
        draft.codebook, sort_keys=False, allow_unicode=True, width=100, default_flow_style=None
    )
    write_text(header + body, folder / CODEBOOK)
    source = [
        "  responses:",
        f'    path: "{path}"',
        *roles_block(draft.responses, ("customer_id",)),
    ]
    segmentation = [
        "",
        "  # Needs-based segments from the survey: latent classes of the answers (3 to 8,",
        "  # chosen automatically); customers who did not answer get the class their",
        f"  # features predict, when a classifier can tell. {CODEBOOK} was drafted from the",
        "  # answers: name the constructs there, the words these segments are named by.",
        "  needs:",
        "    method: survey",
        f"    codebook: {CODEBOOK}",
    ]
    text = config.read_text(encoding="utf-8")
    head, rest = text.split("\nsegmentations:\n", 1)
    text = "\n".join([head.rstrip("\n"), *source, "", "segmentations:"]) + "\n" + rest.rstrip("\n")
    write_text(text + "\n" + "\n".join(segmentation) + "\n", config)
