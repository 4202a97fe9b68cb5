"""The bridge from respondents to everyone: honest held-out accuracy against guessing."""

from __future__ import annotations

import numpy as np
import polars as pl

from segwise.segmenters.survey_bridge import Bridge


def test_behaviour_that_follows_the_class_beats_guessing() -> None:
    rng = np.random.default_rng(1)
    classes = rng.choice(3, 600, p=[0.5, 0.3, 0.2])
    people = pl.DataFrame(
        {
            "orders": rng.poisson(2 + 4 * classes),
            "channel": np.where(classes == 2, "store", rng.choice(["web", "app"], 600)),
        }
    )
    bridge = Bridge.fit(people, classes, ["orders", "channel"])
    assert bridge.baseline == (classes == 0).mean()
    assert bridge.accuracy > bridge.baseline + 0.2
    assert bridge.beats_guessing()
    predicted, confidence = bridge.predict(people.head(50))
    assert (predicted == classes[:50]).mean() > 0.7
    assert ((confidence > 0) & (confidence <= 1)).all()


def test_noise_does_not_beat_guessing_and_says_so() -> None:
    rng = np.random.default_rng(2)
    classes = rng.choice(2, 400, p=[0.7, 0.3])
    bridge = Bridge.fit(pl.DataFrame({"noise": rng.normal(size=400)}), classes, ["noise"])
    assert not bridge.beats_guessing()


def test_no_rows_to_project_gives_empty_results() -> None:
    rng = np.random.default_rng(3)
    classes = rng.choice(2, 100)
    bridge = Bridge.fit(pl.DataFrame({"x": classes + rng.normal(0, 0.1, 100)}), classes, ["x"])
    predicted, confidence = bridge.predict(pl.DataFrame({"x": []}, schema={"x": pl.Float64}))
    assert predicted.size == 0 and confidence.size == 0
