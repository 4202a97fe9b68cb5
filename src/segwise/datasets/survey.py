"""A simulated needs survey with planted latent classes: known truth for testing ``method: survey``.

Twenty Likert items (1–5) measure five constructs, four items each, one of
them reverse-worded. Each planted class sits high, low or neutral on every
construct; a respondent answers each item around their class's level, with
noise, and leaves a few unanswered. The codebook that goes with the answers
names the constructs, the reverse-coded items and the words for high and
low scores, as an analyst would write it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from segwise.exceptions import ConfigError

#: Each construct: the words for a high and a low score, and its four items (the last reversed).
CONSTRUCTS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "sustainability": (
        "values sustainability",
        "indifferent to sustainability",
        (
            "I choose brands that are good for the planet",
            "I pay attention to how products are made",
            "Recycled packaging matters to me",
            "I never think about a product's environmental impact",
        ),
    ),
    "price": (
        "price-sensitive",
        "price-insensitive",
        (
            "I compare prices before buying",
            "I wait for discounts",
            "Price is what decides my purchase",
            "I happily pay more than I need to",
        ),
    ),
    "convenience": (
        "wants convenience",
        "happy to make an effort",
        (
            "Fast delivery is essential",
            "I buy where checkout is quickest",
            "I reorder the same things to save time",
            "I enjoy taking my time to shop around",
        ),
    ),
    "quality": (
        "quality-first",
        "good-enough is fine",
        (
            "I buy the best quality I can",
            "I read reviews before buying",
            "Premium brands are worth it",
            "Cheap products are usually good enough",
        ),
    ),
    "novelty": (
        "loves new things",
        "sticks to what they know",
        (
            "I like trying new products",
            "I follow new launches",
            "I am often first among friends to buy something",
            "I prefer products I already know",
        ),
    ),
}

#: Planted classes: level per construct (sustainability, price, convenience, quality, novelty).
CLASS_LEVELS = np.array(
    [
        [1.0, -1.0, 0.0, 1.0, 0.0],  # conscious premium buyers
        [-1.0, 1.0, 0.0, -1.0, 0.0],  # bargain seekers
        [0.0, 0.0, 1.0, 0.0, -1.0],  # busy routine buyers
        [0.0, -1.0, -1.0, 0.0, 1.0],  # explorers
    ]
)
_SHARES = np.array([0.22, 0.33, 0.27, 0.18])


@dataclass(frozen=True)
class SurveyData:
    """One simulated survey.

    Attributes
    ----------
    responses
        Long format, as survey tools export: ``respondent, question, answer``
        (the answer as text, 1–5).
    codebook
        The codebook as a plain dict, ready for ``yaml.safe_dump``.
    classes
        The planted class of each respondent (``respondent, planted``):
        ground truth for tests, never part of a real export.
    """

    responses: pl.DataFrame
    codebook: dict[str, Any]
    classes: pl.DataFrame


def codebook() -> dict[str, Any]:
    """The survey's codebook: constructs with their words, and each item's construct."""
    items: dict[str, Any] = {}
    for c, (construct, (_high, _low, texts)) in enumerate(CONSTRUCTS.items()):
        for i, text in enumerate(texts):
            item: dict[str, Any] = {"text": text, "construct": construct}
            if i == len(texts) - 1:
                item["reverse"] = True
            items[f"q{c * len(texts) + i + 1:02d}"] = item
    return {
        "scale": [1, 5],
        "constructs": {name: {"high": h, "low": lo} for name, (h, lo, _t) in CONSTRUCTS.items()},
        "questions": items,
    }


def planted_survey(
    respondents: int | list[str] = 2_000,
    *,
    classes: np.ndarray | None = None,
    seed: int = 0,
    noise: float = 0.9,
    missing_share: float = 0.01,
) -> SurveyData:
    """Simulate answers to the 20-item survey from four planted needs classes.

    Parameters
    ----------
    respondents
        How many respondents (ids ``r00001``…), or their ids (customer ids, say).
    classes
        The planted class (0–3) of each respondent; drawn at random when not given.
    seed
        Everything is determined by it.
    noise
        Spread of each answer around the class's level, in scale points.
    missing_share
        Share of answers left blank (those rows are absent from ``responses``).

    Examples
    --------
    >>> from segwise.datasets import planted_survey
    >>> data = planted_survey(100, seed=1)
    >>> data.responses.columns, data.responses["question"].n_unique()
    (['respondent', 'question', 'answer'], 20)
    """
    rng = np.random.default_rng(seed)
    ids = (
        [f"r{i:05d}" for i in range(1, respondents + 1)]
        if isinstance(respondents, int)
        else list(respondents)
    )
    n = len(ids)
    planted = rng.choice(len(_SHARES), size=n, p=_SHARES) if classes is None else classes
    planted = np.asarray(planted, dtype=np.int64)
    if planted.shape != (n,) or planted.min(initial=0) < 0 or planted.max(initial=0) > 3:
        raise ConfigError(f"classes must hold one class from 0 to 3 per respondent ({n})")
    book = codebook()
    questions = list(book["questions"])
    per_construct = len(questions) // len(CONSTRUCTS)
    level = np.repeat(CLASS_LEVELS[planted], per_construct, axis=1)  # respondent x item
    raw = 3.0 + 1.2 * level + rng.normal(0.0, noise, size=level.shape)
    answers = np.clip(np.rint(raw), 1, 5).astype(np.int64)
    reverse = np.array([bool(book["questions"][q].get("reverse")) for q in questions])
    answers[:, reverse] = 6 - answers[:, reverse]
    kept = rng.random(answers.shape) >= missing_share
    rows, cols = np.nonzero(kept)
    responses = pl.DataFrame(
        {
            "respondent": np.asarray(ids, dtype=object)[rows].tolist(),
            "question": np.asarray(questions, dtype=object)[cols].tolist(),
            "answer": answers[rows, cols].astype(str).tolist(),
        }
    )
    truth = pl.DataFrame({"respondent": ids, "planted": planted})
    return SurveyData(responses, book, truth)


#: Which needs class each retail persona mostly holds (the rest are spread over the others).
PERSONA_CLASSES = {
    "big_spender": 0,
    "bargain_hunter": 1,
    "loyal_regular": 2,
    "occasional": 3,
    "lapsed": 1,
}


def survey_of_retailer(
    personas: pl.DataFrame, *, share: float = 0.4, fidelity: float = 0.8, seed: int = 0
) -> SurveyData:
    """Survey a share of a generated retailer's customers, their needs tied to their persona.

    Parameters
    ----------
    personas
        ``customer_id, persona`` (``RetailData.personas``).
    share
        Share of the customers who answer.
    fidelity
        Chance that a respondent's needs class is their persona's
        (:data:`PERSONA_CLASSES`); otherwise it is drawn at random. Behaviour
        then predicts needs, but not perfectly, as in real bases.
    seed
        Everything is determined by it.

    Examples
    --------
    >>> from segwise.datasets import generate_retailer, survey_of_retailer
    >>> shop = generate_retailer(400, seed=3, events=False)
    >>> survey = survey_of_retailer(shop.personas, share=0.5, seed=3)
    >>> survey.classes.height
    200
    """
    rng = np.random.default_rng(seed)
    picked = personas.sample(fraction=share, seed=seed).sort("customer_id")
    mapped = picked["persona"].replace_strict(PERSONA_CLASSES, return_dtype=pl.Int64).to_numpy()
    drawn = rng.integers(0, len(CLASS_LEVELS), size=picked.height)
    classes = np.where(rng.random(picked.height) < fidelity, mapped, drawn)
    return planted_survey(picked["customer_id"].to_list(), classes=classes, seed=seed)
