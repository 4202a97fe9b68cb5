"""Needs classes named in the codebook's words."""

from __future__ import annotations

import numpy as np
import polars as pl
import yaml
from sklearn.metrics import adjusted_rand_score

from segwise.datasets import planted_survey
from segwise.datasets.survey import CLASS_LEVELS, CONSTRUCTS
from segwise.segmenters import SurveySegmenter
from segwise.survey import Codebook, answer_table
from segwise.survey.profiles import PLAIN, construct_scores, needs_profiles


def test_each_planted_class_is_named_by_the_constructs_it_stands_out_on() -> None:
    data = planted_survey(1_200, seed=5)
    table = answer_table(
        data.responses.rename({"respondent": "customer_id"}),
        Codebook.from_text(yaml.safe_dump(data.codebook)),
    )
    truth = data.classes.sort("respondent")["planted"].to_numpy()
    model = SurveySegmenter(4, random_state=0).fit(table.wide.drop("customer_id"))
    assert adjusted_rand_score(truth, model.labels_) > 0.9
    profiles = needs_profiles(table, model.labels_)
    described = [" ".join(p.traits).lower() for p in profiles]
    constructs = list(CONSTRUCTS)
    for level in CLASS_LEVELS:
        # The planted class's words: high or low on each construct it is not neutral on.
        words = {
            CONSTRUCTS[constructs[j]][0 if v > 0 else 1] for j, v in enumerate(level) if v != 0
        }
        assert any(all(w in text for w in words) for text in described), (words, described)
    for profile in profiles:
        # Named by its two strongest traits, in the codebook's words.
        assert profile.name.lower() == ", ".join(t.split(" (")[0] for t in profile.traits[:2])
        assert 2 <= len(profile.traits) <= 5
        assert "on average" in profile.traits[0]


def test_a_class_like_everyone_is_middle_of_the_road_and_names_stay_distinct() -> None:
    long = pl.DataFrame(
        {
            "customer_id": list("abcdef"),
            "question": ["q"] * 6,
            "answer": ["3", "3", "3", "3", "1", "5"],
        }
    )
    table = answer_table(long, Codebook.from_text("scale: [1, 5]\nquestions: {q: {}}"))
    profiles = needs_profiles(table, np.array([0, 0, 1, 1, 2, 2]))
    assert [p.name for p in profiles] == [PLAIN, f"{PLAIN} (2)", f"{PLAIN} (3)"]
    scores = construct_scores(table)
    assert scores.columns == ["customer_id", "q"]


def test_an_option_a_class_chooses_far_more_often_is_its_trait() -> None:
    book = Codebook.from_text(
        "scale: [1, 5]\nquestions:\n  q: {}\n"
        "  channels: {text: Channels, kind: multiple, options: [Email, SMS]}\n"
    )
    rng = np.random.default_rng(0)
    rows = []
    for i in range(200):
        texting = i < 100  # the first class texts; the second mostly does not
        picked = ["Email"] if rng.random() < 0.5 else []
        if rng.random() < (0.9 if texting else 0.1):
            picked.append("SMS")
        rows += [(f"c{i}", "q", "3"), (f"c{i}", "channels", ", ".join(picked) or "Email")]
    long = pl.DataFrame(rows, schema=["customer_id", "question", "answer"], orient="row")
    table = answer_table(long, book)
    labels = np.array([0 if int(c[1:]) < 100 else 1 for c in table.wide["customer_id"]])
    texting, quiet = needs_profiles(table, labels)
    share = table.wide.filter(pl.Series(labels == 0))["channels:SMS"].mean()
    overall = table.wide["channels:SMS"].mean()
    assert f"Channels: SMS ({share:.0%} vs {overall:.0%} overall)" in texting.traits
    assert texting.name == "Channels: SMS"
    assert not any("SMS" in t for t in quiet.traits)


def test_a_class_named_by_long_questions_gets_a_name_that_fits_a_card() -> None:
    # A form's export names each question by its whole text; without constructs the
    # classes are named by those texts.
    planet = "I choose brands that are good for the planet and for the people who make them"
    price = "Price matters more to me than the brand when I buy everyday products"
    rows = []
    for i in range(40):
        green = i < 20
        rows += [(f"c{i}", planet, "5" if green else "1"), (f"c{i}", price, "1" if green else "5")]
    long = pl.DataFrame(rows, schema=["customer_id", "question", "answer"], orient="row")
    table = answer_table(long)
    labels = np.array([0 if int(c[1:]) < 20 else 1 for c in table.wide["customer_id"]])
    names = [p.name for p in needs_profiles(table, labels)]
    assert all(len(n) <= 2 * 41 + 2 for n in names), names
    assert names[0].startswith("High I choose brands") and "…" in names[0]
