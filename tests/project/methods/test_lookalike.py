"""method: lookalike: a seed from an earlier segment, a rule or an id file; a sized audience."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl
import pytest

from segwise.exceptions import ConfigError
from tests.project.methods.projects import sample_project

if TYPE_CHECKING:
    from pathlib import Path

    from segwise.project import Project

FROM_SEGMENT = """segmentations:
  value:
    method: rfm
  like_champions:
    method: lookalike
    seed: {segmentation: value, segment: Champions}
    size: 300
"""


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, Any]:
    project = sample_project(tmp_path_factory.mktemp("lookalike"), FROM_SEGMENT)
    return project, project.run(as_of="2024-09-30")


def test_the_seed_is_the_earlier_segment_and_the_audience_is_sized(
    ran: tuple[Project, Any],
) -> None:
    _unused, result = ran
    value, like = result.segmentations
    champions = set(value.members.filter(pl.col("segment") == "Champions")["customer_id"])
    seed = set(like.members.filter(pl.col("segment") == "Seed")["customer_id"])
    assert seed == champions
    audience = like.members.filter(pl.col("segment") == "Lookalikes")
    assert audience.height == 300
    assert not (set(audience["customer_id"]) & champions)
    assert like.definition["seed_size"] == len(champions)
    assert 0 <= like.definition["precision"] <= 1
    cards = {c.name: c for c in like.cards}
    assert "look most like segment 'Champions' of 'value'" in (cards["Lookalikes"].definition or "")
    # The audience resembles the seed more than the others do, on what made them Champions.
    assert (cards["Lookalikes"].lift["orders"] or 0) > (cards["Others"].lift["orders"] or 0)
    # But Champions are defined by these very features: nobody outside is like them, and the
    # run says so instead of calling the seed indistinct.
    assert like.definition["precision"] < 0.05
    assert any("everyone like it is in it already" in note for note in like.warnings)
    assert not any("does not stand out" in note for note in like.warnings)


def test_the_audience_is_stored_and_on_the_report(ran: tuple[Project, Any]) -> None:
    project, result = ran
    stored = project.store.members("Lookalikes", segmentation="like_champions")
    assert stored.height == 300
    assert "300 lookalikes of" in result.report.read_text()


def test_a_rule_or_an_id_file_can_seed_it(tmp_path: Path) -> None:
    project = sample_project(
        tmp_path / "p",
        "segmentations:\n  big:\n    method: lookalike\n"
        '    seed: {where: "net_revenue > 1500 AND orders >= 12"}\n    size: 0.05\n',
    )
    (big,) = project.run(as_of="2024-09-30").segmentations
    features = project.store.latest_features()
    assert features is not None
    expected = set(
        features.filter((pl.col("net_revenue") > 1500) & (pl.col("orders") >= 12))["customer_id"]
    )
    assert set(big.members.filter(pl.col("segment") == "Seed")["customer_id"]) == expected
    ids = tmp_path / "q" / "best.csv"
    project = sample_project(
        tmp_path / "q",
        "segmentations:\n  best:\n    method: lookalike\n    seed: {ids: best.csv}\n",
    )
    pl.DataFrame({"customer_id": sorted(expected)[:40]}).write_csv(ids)
    (best,) = project.run(as_of="2024-09-30").segmentations
    assert best.members.filter(pl.col("segment") == "Seed").height == 40


def test_a_seed_from_a_later_segmentation_is_named(tmp_path: Path) -> None:
    later = """segmentations:
  like:
    method: lookalike
    seed: {segmentation: value, segment: Champions}
  value:
    method: rfm
"""
    project = sample_project(tmp_path / "p", later)
    with pytest.raises(ConfigError, match="no segmentation 'value' runs before it"):
        project.run(as_of="2024-09-30")
    with pytest.raises(ConfigError, match="List the seed's segmentation earlier"):
        project.validate()


def test_a_feature_the_customer_table_lacks_is_named_by_validate_and_run(tmp_path: Path) -> None:
    # It was a KeyError traceback from the run ('share_weekend'), and validate passed it.
    misnamed = FROM_SEGMENT + "    features: [tenure_days, recency_dys]\n"
    project = sample_project(tmp_path / "p", misnamed)
    expected = "segmentation 'like_champions': no feature column 'recency_dys'"
    with pytest.raises(ConfigError, match=expected) as raised:
        project.validate()
    assert "Did you mean 'recency_days'?" in str(raised.value)
    with pytest.raises(ConfigError, match=expected):
        project.run(as_of="2024-09-30")


def test_a_seed_segmentation_is_checked_by_validate_with_close_names(tmp_path: Path) -> None:
    # validate passed "valeu"; the run then said to list it earlier, which was not the fix.
    project = sample_project(
        tmp_path / "p", FROM_SEGMENT.replace("segmentation: value", "segmentation: valeu")
    )
    with pytest.raises(ConfigError, match="no segmentation 'valeu' runs before it") as raised:
        project.validate()
    assert "Did you mean 'value'?" in str(raised.value)
