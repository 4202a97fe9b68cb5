"""SourceOptions: one set of reading settings, handed to whichever reader needs it."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

import segwise as sw
from segwise.io.options import READER_KEYWORDS, SourceOptions

_READERS = {
    "transactions": sw.read_transactions,
    "customers": sw.read_customers,
    "events": sw.read_events,
    "responses": sw.read_responses,
}


@pytest.mark.parametrize("kind", sorted(_READERS))
def test_each_reader_takes_exactly_the_keywords_listed(kind: str) -> None:
    taken = set(inspect.signature(_READERS[kind]).parameters) - {"source", "as_of", "pii"}
    assert taken == READER_KEYWORDS[kind]


def test_every_setting_is_some_readers_keyword() -> None:
    fields = {f.name for f in dataclasses.fields(SourceOptions)}
    assert fields == set().union(*READER_KEYWORDS.values())


def test_keywords_keep_what_the_kind_takes_and_was_given() -> None:
    options = SourceOptions(customer_id="id", event="name", returns="keep", delimiter=";")
    assert options.keywords("customers") == {"customer_id": "id", "delimiter": ";"}
    assert options.keywords("events") == {"customer_id": "id", "event": "name", "delimiter": ";"}
    assert options.keywords() == {
        "customer_id": "id",
        "returns": "keep",
        "policy": "default",
        "delimiter": ";",
    }
