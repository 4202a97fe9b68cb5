"""Long answers to one row per respondent: scales, labels, reverse items, rankings, bad ones."""

from __future__ import annotations

import polars as pl

from segwise.survey import Codebook, answer_table

BOOK = Codebook.from_text(
    """scale: [1, 5]
questions:
  q1: {}
  q2: {reverse: true}
  q3: {kind: choice, options: [email, sms]}
  q4: {kind: ranking, options: [price, quality, brand]}
  q5: {labels: {Disagree: 1, Neutral: 2, Agree: 3}}
"""
)


def _long(rows: list[tuple[str, str, str]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=["customer_id", "question", "answer"], orient="row")


def test_each_kind_of_answer_lands_in_its_column() -> None:
    table = answer_table(
        _long(
            [
                ("a", "q1", "4"),
                ("a", "q2", "4"),
                ("a", "q3", "sms"),
                ("a", "q4", "quality > price"),
                ("a", "q5", "Agree"),
                ("b", "q5", "2"),
            ]
        ),
        BOOK,
    )
    assert table.wide.columns == [
        "customer_id", "q1", "q2", "q3", "q4:price", "q4:quality", "q4:brand", "q5",
    ]  # fmt: skip
    a, b = table.wide.rows(named=True)
    assert (a["q1"], a["q2"], a["q3"], a["q5"]) == (4.0, 2.0, "sms", 3.0)  # q2 turned round
    assert (a["q4:quality"], a["q4:price"], a["q4:brand"]) == (1.0, 2.0, None)
    assert b["q5"] == 2.0 and b["q1"] is None
    assert table.likert_columns() == ["q1", "q2", "q5"]
    assert table.invalid.height == 0


def test_answers_off_the_scale_or_the_options_are_set_aside_with_their_reason() -> None:
    table = answer_table(
        _long(
            [
                ("a", "q1", "6"),
                ("a", "q2", "lots"),
                ("a", "q3", "pigeon"),
                ("a", "q4", "price > price"),
                ("a", "q9", "3"),
                ("b", "q1", "3"),
            ]
        ),
        BOOK,
    )
    reasons = dict(table.invalid.select("question", "reason").iter_rows())
    assert reasons == {
        "q1": "not on the scale 1–5",
        "q2": "not a number or a known label",
        "q3": "not one of the question's options",
        "q4": "not a ranking of price, quality, brand (each at most once)",
    }
    assert table.unknown == ("q9",)
    assert table.wide["customer_id"].to_list() == ["b"]  # a gave no usable answer


def test_a_select_all_that_apply_answer_is_one_column_per_option() -> None:
    # Google Forms writes a checkbox question's answer "Email, SMS"; other tools use ";".
    book = Codebook.from_text(
        "questions:\n  channels: {kind: multiple, options: [Email, SMS, App, In store]}\n"
    )
    long = pl.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d"],
            "question": ["channels"] * 4,
            "answer": ["Email, SMS", "In store", "App;Email", "Fax, Email"],
        }
    )
    table = answer_table(long, book)
    columns = ["channels:Email", "channels:SMS", "channels:App", "channels:In store"]
    assert table.wide.columns == ["customer_id", *columns]
    assert table.wide.rows() == [
        ("a", 1.0, 1.0, 0.0, 0.0),
        ("b", 0.0, 0.0, 0.0, 1.0),
        ("c", 1.0, 0.0, 1.0, 0.0),
    ]
    # An option the question does not have is set aside whole, never half read.
    assert table.invalid.rows() == [
        ("d", "channels", "Fax, Email", "not a selection of Email, SMS, App, In store")
    ]
