"""The project file's models: every segmentation method it accepts has a runner."""

from __future__ import annotations

import typing

from segwise.project.config import Segmentation
from segwise.project.methods import METHODS, method_for


def test_every_method_of_the_project_file_has_one_runner() -> None:
    union = typing.get_args(Segmentation)[0]
    accepted = set(typing.get_args(union))
    assert accepted == set(METHODS)
    for config in accepted:
        assert method_for(config.model_construct()).config is config


def test_every_source_reads_the_same_file_settings() -> None:
    from segwise.project.config_sources import (
        AccountsSource,
        ConsentsSource,
        CustomersSource,
        EventsSource,
        ResponsesSource,
        TransactionsSource,
    )
    from segwise.project.sources import reader_options

    for source in (TransactionsSource, CustomersSource, EventsSource, ResponsesSource,
                   AccountsSource, ConsentsSource):  # fmt: skip
        options = reader_options(source(path="data.xlsx", sheet="Sheet 2", encoding="latin-1"))
        assert (options["sheet"], options["encoding"]) == ("Sheet 2", "latin-1"), source
