"""A frozen cluster model is checked against a fresh fit once it has been reused long enough."""

from __future__ import annotations

import datetime as dt
import warnings
from typing import TYPE_CHECKING

import pytest

from segwise.datasets.planted import planted_segments
from segwise.project.config import ClusterSegmentation
from segwise.project.methods.cluster import STALE_JACCARD, run_clustering

if TYPE_CHECKING:
    from pathlib import Path

    import polars as pl

FITTED = dt.date(2024, 1, 31)
LATER = (dt.date(2024, 2, 29), dt.date(2024, 3, 31), dt.date(2024, 4, 30))


def _table(k: int, seed: int) -> pl.DataFrame:
    table, _ = planted_segments(900, k, seed=seed)
    return table.sort("customer_id")


def _frozen(tmp_path: Path) -> tuple[ClusterSegmentation, Path]:
    spec = ClusterSegmentation(method="cluster", k=3, model="m.json", stale_after=2, seed=0)
    path = tmp_path / "m.json"
    first = _table(3, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run_clustering("b", spec, first, first, as_of=FITTED, model_path=path)
    assert result.after_commit is not None
    result.after_commit()  # saves the model, as the pipeline does once the run is stored
    return spec, path


def _reuse(spec: ClusterSegmentation, path: Path, table: pl.DataFrame, stored: tuple) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run_clustering(
            "b",
            spec,
            table,
            table,
            as_of=dt.date(2024, 5, 31),
            model_path=path,
            stored_as_of=stored,
        )
    assert result.definition["refitted"] is False
    return {"staleness": result.definition.get("staleness"), "warnings": result.warnings}


def test_a_model_whose_data_changed_shape_is_called_stale(tmp_path: Path) -> None:
    spec, path = _frozen(tmp_path)
    found = _reuse(spec, path, _table(5, 9), (FITTED, *LATER))
    staleness = found["staleness"]
    assert staleness["runs_since_fit"] == 3
    assert staleness["agreement"] < STALE_JACCARD and staleness["stale"]
    assert any("agrees with it on only" in w for w in found["warnings"])


def test_a_model_that_still_fits_is_not(tmp_path: Path) -> None:
    spec, path = _frozen(tmp_path)
    found = _reuse(spec, path, _table(3, 1), (FITTED, *LATER))
    assert found["staleness"]["agreement"] == pytest.approx(1.0, abs=0.02)
    assert not found["staleness"]["stale"]
    assert not any("agrees with it on only" in w for w in found["warnings"])


def test_a_recently_fitted_model_is_not_checked(tmp_path: Path) -> None:
    spec, path = _frozen(tmp_path)
    found = _reuse(spec, path, _table(5, 9), (FITTED, LATER[0]))  # reused for one run only
    assert found["staleness"] is None
