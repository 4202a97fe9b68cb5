"""The codebook: questions' kinds, scales, constructs; errors that name the line and key."""

from __future__ import annotations

import polars as pl
import pytest

from segwise.datasets.survey import codebook
from segwise.exceptions import ConfigError
from segwise.survey import Codebook

BOOK = """scale: [1, 5]
constructs:
  price: {high: price-sensitive, low: price-insensitive}
questions:
  q1: {text: I compare prices, construct: price}
  q2: {construct: price, reverse: true, scale: [1, 7]}
  q3: {kind: choice, options: [email, sms]}
  q4: {kind: ranking, options: [price, quality, brand]}
  q5: {labels: {Disagree: 1, Neutral: 2, Agree: 3}}
"""


def test_a_codebook_reads_every_kind_of_question() -> None:
    book = Codebook.from_text(BOOK)
    q = book.questions
    assert (q["q1"].construct, q["q1"].scale, q["q1"].title) == (
        "price",
        (1.0, 5.0),
        "I compare prices",
    )
    assert (q["q2"].reverse, q["q2"].scale) == (True, (1.0, 7.0))
    assert (q["q3"].kind, q["q3"].scale, q["q3"].options) == ("choice", None, ("email", "sms"))
    assert q["q4"].options == ("price", "quality", "brand")
    assert q["q5"].scale == (1.0, 3.0)  # from the labels
    assert book.constructs["price"].low == "price-insensitive"
    assert [x.name for x in book.likert()] == ["q1", "q2", "q5"]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("questions:\n  q1: {construct: price}\n", "construct 'price', which is not under"),
        ("questions:\n  q1: {kind: choice, reverse: true}\n", "only likert questions"),
        ("questions:\n  q1: {kind: ranking, options: [a]}\n", "at least two"),
        ("questions:\n  q1: {kind: multiple}\n", "select all that apply"),
        ("questions:\n  q1: {scale: [5, 1]}\n", "from low to high"),
        (
            "questions:\n  q1: {reversed: true}\n",
            r"codebook.yaml, line 2: questions.q1.reversed: unknown key",
        ),
    ],
    ids=[
        "undeclared-construct",
        "choice-reversed",
        "one-option-ranking",
        "multiple-without-options",
        "upside-down",
        "typo",
    ],
)
def test_a_wrong_codebook_names_the_problem(text: str, words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        Codebook.from_text(text, source="codebook.yaml")


def test_without_a_codebook_numbers_are_likert_and_text_is_a_choice() -> None:
    answers = pl.DataFrame(
        {"question": ["a", "a", "b", "b", "c"], "answer": ["1", "4", "x", "2", "3"]}
    )
    book = Codebook.inferred(answers)
    assert book.questions["a"].scale == (1.0, 4.0)
    assert book.questions["b"].kind == "choice"
    assert book.questions["c"].kind == "choice"  # one value seen: no scale to read


def test_the_simulated_surveys_codebook_is_a_valid_codebook() -> None:
    import yaml

    book = Codebook.from_text(yaml.safe_dump(codebook()))
    assert len(book.questions) == 20
    assert sum(q.reverse for q in book.questions.values()) == 5
