"""Micro-segments: one segment cut by one feature into equal-count or by-value cells, ad hoc."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from segwise.cli.app import app
from segwise.datasets import sample_paths
from segwise.exceptions import ColumnNotFoundError, ConfigError
from segwise.segmenters.micro import micro_segments

if TYPE_CHECKING:
    from pathlib import Path


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=50) | st.none(), min_size=1, max_size=60),
    st.integers(min_value=2, max_value=6),
)
def test_cells_cover_the_segment_in_ordered_ranges(values: list[int | None], cells: int) -> None:
    ids = [f"c{k}" for k in range(len(values))]
    members = pl.DataFrame({"id": [*ids, "x"], "segment": ["S"] * len(ids) + ["T"]})
    features = pl.DataFrame({"id": [*ids, "x"], "v": [*values, 999]}, strict=False)
    found = micro_segments(members, features, within="S", by="v", cells=cells, id_col="id")
    assert found["id"].to_list() == sorted(ids)  # only the segment, each customer once
    table = found.join(features, on="id")
    known = table.filter(pl.col("v").is_not_null())
    assert set(table.filter(pl.col("v").is_null())["cell"]) <= {"S · v unknown"}
    # Cells are value ranges that do not overlap: sorting by value never goes back a cell.
    order = known.sort("v")["cell"].to_list()
    seen: list[str] = []
    for cell in order:
        if not seen or seen[-1] != cell:
            assert cell not in seen, cell
            seen.append(cell)
    assert len(seen) <= cells


def test_text_features_keep_their_most_common_values() -> None:
    members = pl.DataFrame({"id": list("abcdefg"), "segment": ["S"] * 7})
    features = pl.DataFrame({"id": list("abcdefg"), "city": list("LLLYYHM")})
    found = micro_segments(members, features, within="S", by="city", cells=3, id_col="id")
    assert dict(zip(found["id"], found["cell"], strict=True)) == {
        "a": "S · city L", "b": "S · city L", "c": "S · city L", "d": "S · city Y",
        "e": "S · city Y", "f": "S · city other", "g": "S · city other",
    }  # fmt: skip


def test_bad_requests_are_named() -> None:
    members = pl.DataFrame({"id": ["a"], "segment": ["S"]})
    features = pl.DataFrame({"id": ["a"], "orders": [3]})
    with pytest.raises(ConfigError, match="no customer in segment 'T'"):
        micro_segments(members, features, within="T", by="orders", id_col="id")
    with pytest.raises(ColumnNotFoundError, match="no column 'order'"):
        micro_segments(members, features, within="S", by="order", id_col="id")
    with pytest.raises(ConfigError, match="cells must be between 2 and 12"):
        micro_segments(members, features, within="S", by="orders", cells=1, id_col="id")


def test_every_engine_cuts_the_same_cells(to_engine: Any) -> None:
    members = pl.DataFrame({"id": [f"c{k}" for k in range(40)], "segment": ["S", "T"] * 20})
    features = pl.DataFrame({"id": members["id"], "v": [k % 13 * 2.5 for k in range(40)]})
    expected = micro_segments(members, features, within="S", by="v", cells=4, id_col="id")
    found = micro_segments(
        to_engine(members), to_engine(features), within="S", by="v", cells=4, id_col="id"
    )
    assert found.equals(expected)


def test_the_cli_splits_a_segment_for_one_campaign(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("segments:\n  - {name: Families, where: 'children_at_home > 0'}\n")
    out = tmp_path / "cells.csv"
    result = CliRunner().invoke(
        app,
        [
            "segment", str(sample_paths()["customers"]), "--rules", str(rules),
            "--id-col", "customer_id", "--within", "Families", "--by", "income",
            "--cells", "3", "-o", str(out), "--json",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["ad_hoc"] is True and len(shown["cells"]) == 3
    written = pl.read_csv(out, infer_schema=False)
    assert written.columns == ["customer_id", "segment", "cell"]
    assert set(written["segment"]) == {"Families"}
    assert sum(c["customers"] for c in shown["cells"]) == written.height
    lonely = CliRunner().invoke(
        app, ["segment", str(sample_paths()["customers"]), "--rules", str(rules), "--by", "age"]
    )
    assert lonely.exit_code != 0 and "--within and --by go together" in lonely.stderr
