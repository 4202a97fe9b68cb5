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


WHOLESALE = """name: hyb
sources:
  transactions:
    path: data/orders.csv.gz
    customer_id: CustomerID
    timestamp: InvoiceDate
    order_id: InvoiceNo
    amount: {quantity: Quantity, unit_price: UnitPrice}
segmentations:
  mix:
    method: hybrid
    other: Everyone else
    segments:
      - {name: Wholesale, where: "net_revenue >= 5000 AND orders >= 10"}
    within:
      Wholesale: {method: cluster, features: [orders, net_revenue, recency_days, avg_order_value]}
"""


@pytest.mark.realdata
def test_a_small_parent_gets_segments_it_can_measure_and_warnings_that_name_them(
    shared_data: Path, tmp_path: Path
) -> None:
    # UCI Online Retail as of 2011-10-31, 152 wholesale customers: k = 8 gave segments of 11
    # and 12, and "segment id 3 is unstable" named neither the segment nor its parent.
    from segwise.project import Project

    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "orders.csv.gz").symlink_to(shared_data / "online_retail_uci.csv.gz")
    (tmp_path / "segwise.yaml").write_text(WHOLESALE)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (mix,) = Project.from_yaml(tmp_path).run(as_of="2011-10-31").segmentations
    leaves = mix.members.filter(mix.members["segment"].str.starts_with("Wholesale › "))
    sizes = leaves.group_by("segment").len()["len"]
    assert sizes.sum() == 152 and sizes.len() <= 5  # four segments and the outliers at most
    unstable = [w for w in mix.warnings if "is unstable" in w]
    assert unstable and all(w.startswith("in 'Wholesale': segment '") for w in unstable)
    assert not any("segment id" in w for w in mix.warnings)
    assert any("below the minimum of 30 customers" in w for w in mix.warnings)
