"""A frozen cluster model is checked against a fresh fit once it has been reused long enough."""

from __future__ import annotations

import datetime as dt
import warnings
from typing import TYPE_CHECKING, Any

import pytest

from segwise.datasets.planted import planted_segments
from segwise.project.config import ClusterSegmentation, ClusterSegmentEdit
from segwise.project.methods.cluster import OUTGROWN_SHARE, STALE_JACCARD, run_clustering
from segwise.project.stale_models import stale_model_alerts

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
    return {
        "staleness": result.definition.get("staleness"),
        "warnings": result.warnings,
        "result": result,
    }


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


def _grown(table: pl.DataFrame, rows: Any, **factors: float) -> pl.DataFrame:
    """``table`` with the features in ``factors`` multiplied for the ``rows`` (a mask)."""
    import polars as pl

    mask = pl.Series(rows)
    return table.with_columns(
        pl.when(mask).then(pl.col(f) * x).otherwise(pl.col(f)).alias(f) for f, x in factors.items()
    )


def test_a_model_its_customers_outgrew_says_so(tmp_path: Path) -> None:
    # CDNOW's cohort with a model fitted during its first months: a year on, 82% Outliers.
    import numpy as np

    spec, path = _frozen(tmp_path)
    table = _table(3, 1)
    same = _reuse(spec, path, table, (FITTED,))
    assert not any("are Outliers under model" in w for w in same["warnings"])
    fifth = np.arange(table.height) < table.height // 5
    grown = _reuse(spec, path, _grown(table, fifth, monetary=30, orders=30), (FITTED,))
    [note] = [w for w in grown["warnings"] if "are Outliers under model" in w]
    assert note.endswith("fit it afresh (delete m.json, or set refit: when_outgrown to have runs "
                         "do it) and rename the new segments")  # fmt: skip
    share = int(note.split("%")[0])
    assert share > 100 * OUTGROWN_SHARE
    # Kept with the run, and an alert (segwise alerts, the report, the UI) as a stale model is.
    result = grown["result"]
    outgrown = result.definition["outgrown"]
    assert outgrown["outliers"] == result.members.filter(segment="Outliers").height
    assert outgrown["share"] == pytest.approx(outgrown["outliers"] / table.height)
    [alert] = stale_model_alerts([result])
    assert (alert.kind, alert.value) == ("stale_model", outgrown["share"])
    assert alert.message == f"b: {note}"
    assert stale_model_alerts([same["result"]]) == []


def test_a_name_kept_with_the_model_that_no_longer_fits_is_said(tmp_path: Path) -> None:
    import segwise as sw

    spec, path = _frozen(tmp_path)
    model = sw.ClusterSegmenter.load(path)
    rich = [i for i, n in model.segment_names_.items() if "high-value" in n.lower()]
    assert rich, model.segment_names_  # the planted data has a high-value segment
    table = _table(3, 1)
    poorer = _grown(table, model.predict(table) == rich[0], monetary=0.1)
    found = _reuse(spec, path, poorer, (FITTED,))
    name = model.segment_names_[rich[0]]
    [note] = [w for w in found["warnings"] if "no longer fits its name" in w]
    assert note.startswith(f"segment '{name}' (id {rich[0]}) no longer fits its name")
    assert "'high-value' (monetary: 0." in note
    assert not any("no longer fits" in w for w in _reuse(spec, path, table, (FITTED,))["warnings"])
    # A name the project gave is the user's: not checked.
    renamed = spec.model_copy(
        update={"segments": {rich[0]: ClusterSegmentEdit(name="Big spenders")}}
    )
    assert not any(
        "no longer fits" in w for w in _reuse(renamed, path, poorer, (FITTED,))["warnings"]
    )


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


def test_outliers_are_told_what_to_suspect_in_the_data_they_come_from() -> None:
    # A CRM table without orders read "wholesale buyers, heavy returners" on its outliers.
    import polars as pl

    table, _ = planted_segments(900, 3, seed=2)
    extreme = table.head(6).with_columns(pl.col("age") * 20, pl.col("customer_id") + "-x")
    crm = pl.concat([table, extreme]).sort("customer_id")
    people = crm.drop("orders")  # the planted table counts orders (a shop); a CRM has none
    spec = ClusterSegmentation(method="cluster", k=3, seed=0)
    actions = {}
    for kind, frame in (("shop", crm), ("crm", people)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = run_clustering("b", spec, frame, frame, as_of=FITTED)
        [outliers] = [c for c in result.cards if c.name == "Outliers"]
        actions[kind] = outliers.action
    assert "wholesale buyers" in actions["shop"]
    assert "wholesale buyers" not in actions["crm"] and "data errors" in actions["crm"]


def test_refit_when_outgrown_fits_afresh_in_the_run_that_finds_it_outgrown(
    tmp_path: Path,
) -> None:
    import json

    import polars as pl

    from segwise.project.advice import advise_project
    from tests.project.methods.projects import KEPT_MODEL, sample_project

    project = sample_project(tmp_path / "p", KEPT_MODEL.format(refit="    refit: when_outgrown\n"))
    project.run(as_of="2023-03-31")
    found = project.run(as_of="2024-12-31").segmentations[0]
    said = found.warnings[0]
    assert said.startswith(
        "model models/behaviour.json, fitted as of 2023-03-31, fitted afresh (refit: "
        "when_outgrown): "
    )
    assert "% of customers were Outliers under it" in said
    # The run's own fit: refitted, its Outliers a fit's few, and the file rewritten.
    assert found.definition["refitted"] and "outgrown" not in found.definition
    assert found.members.filter(pl.col("segment") == "Outliers").height < 0.05 * len(found.members)
    saved = json.loads((tmp_path / "p" / "models" / "behaviour.json").read_text())
    assert saved["metadata"]["as_of"] == "2024-12-31"
    assert all(a.kind != "refit" for a in advise_project(project, splits=False)[0].advice)
