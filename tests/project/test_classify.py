"""Real-time classification: the same expressions as a run, on one customer."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

import segwise as sw
from segwise.exceptions import ConfigError
from segwise.project.classify import Classifier
from segwise.project.definitions import put_segmentation

if TYPE_CHECKING:
    from pathlib import Path


def test_overlapping_audiences_and_order_conditions(project_copy: Path) -> None:
    put_segmentation(
        project_copy,
        "audiences",
        {
            "method": "rules",
            "exclusive": False,
            "segments": [
                {"name": "Big", "where": "net_revenue > 1000"},
                {
                    "name": "Buyers",
                    "where": "performed('purchase', at_least => 2, within => '30d')",
                },
                {"name": "Young", "where": "age < 30"},
            ],
        },
        create=True,
    )
    classifier = Classifier(sw.Project.from_yaml(project_copy))
    orders = [
        {"timestamp": "2024-12-20", "amount": 30.0, "order_id": "o1"},
        {"timestamp": "2024-12-28T12:00:00", "amount": 12.5, "order_id": "o2"},
        {"timestamp": "2023-01-01", "amount": 99.0, "order_id": "old"},  # outside 30 days
    ]
    found = classifier.classify({"net_revenue": 2000, "age": 45}, orders=orders)
    assert found.segments["audiences"] == ["Big", "Buyers"]
    one_order = classifier.classify({"net_revenue": 2000, "age": 25}, orders=orders[:1])
    assert one_order.segments["audiences"] == ["Big", "Young"]
    # No orders sent: the plan that reads the counts as constants, the same answer as one
    # order (neither makes two).
    assert classifier.classify({"net_revenue": 2000, "age": 25}).segments == one_order.segments
    # A batch mixing calls with and without orders is answered call by call.
    both = classifier._run_batch(
        [
            classifier.prepare(
                {"net_revenue": 2000, "age": 45},
                customer_id=None,
                events=(),
                orders=sent,
                fill_known=False,
            )[0]
            for sent in (orders, ())
        ]
    )
    assert [sorted(k for k, v in row["audiences"].items() if v) for row in both] == [
        ["Big", "Buyers"],
        ["Big"],
    ]


def test_orders_after_the_as_of_date_do_not_count(project_copy: Path) -> None:
    put_segmentation(
        project_copy,
        "recent",
        {"method": "rules", "segments": [{"name": "Buyer", "where": "performed('purchase')"}]},
        create=True,
    )
    classifier = Classifier(sw.Project.from_yaml(project_copy))
    future = [{"timestamp": "2025-06-01", "amount": 10.0, "order_id": "f"}]
    assert classifier.classify({}, orders=future).segments["recent"] == ["Other"]


def test_a_segmentation_missing_from_the_run_is_skipped_with_the_reason(project_copy: Path) -> None:
    text = project_copy.read_text().replace("  behaviour:", "  behaviour2:")
    project_copy.write_text(text)
    classifier = Classifier(sw.Project.from_yaml(project_copy))
    assert "behaviour2" not in Classifier(sw.Project.from_yaml(project_copy)).names
    assert "not in run 1" in classifier.skipped["behaviour2"]


def test_before_any_run_classify_says_run_first(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no run to classify against"):
        Classifier(sw.Project.from_yaml(sw.Project.init(tmp_path)))
