"""`segwise cluster`: JSON contract, output columns, saved model, and Online Retail."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import polars as pl
import pytest
from typer.testing import CliRunner

import segwise as sw
from segwise.cli.app import app
from segwise.datasets.planted import planted_segments
from segwise.profiling.separation import separation
from segwise.segmenters import ClusterSegmenter

if TYPE_CHECKING:
    from pathlib import Path

runner = CliRunner()


def test_cluster_json_and_output(tmp_path: Path) -> None:
    table, _ = planted_segments(2_000, 4, seed=4)
    source = tmp_path / "customers.parquet"
    table.write_parquet(source)
    out, model = tmp_path / "segments.csv", tmp_path / "model.json"
    result = runner.invoke(
        app,
        [
            "cluster",
            str(source),
            "--id-col",
            "customer_id",
            "--seed",
            "1",
            "--json",
            "-o",
            str(out),
            "--save-model",
            str(model),
        ],
    )
    assert result.exit_code == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["k"] == 4
    assert {"k", "silhouette", "stability", "segments"} <= set(payload)
    segment = payload["segments"][0]
    assert {"segment_id", "name", "size", "share", "traits"} <= set(segment)
    assert sum(s["size"] for s in payload["segments"]) == 2_000
    assert 3 <= len(segment["traits"]) <= 5
    assert len({s["name"] for s in payload["segments"] if s["segment_id"] >= 0}) == 4
    written = pl.read_csv(out)
    assert written.columns == ["customer_id", "segment_id", "segment"]
    assert set(written["segment"]) == {s["name"] for s in payload["segments"]}
    loaded = ClusterSegmenter.load(model)
    assert loaded.predict(table).tolist() == written["segment_id"].to_list()


def test_cluster_with_fixed_k_and_features(tmp_path: Path) -> None:
    table, _ = planted_segments(600, 3, seed=2)
    source = tmp_path / "customers.csv"
    table.write_csv(source)
    result = runner.invoke(
        app,
        [
            "cluster",
            str(source),
            "--id-col",
            "customer_id",
            "--k",
            "3",
            "--features",
            "monetary,orders,device",
        ],
    )
    assert result.exit_code == 0, result.stderr
    assert "3 segments" in result.stdout
    # The silhouette is read in words, and the words fit the number.
    found = re.search(r"silhouette (-?\d\.\d\d) \(([a-z ,:]+)", " ".join(result.stdout.split()))
    assert found is not None
    assert separation(float(found.group(1))).startswith(f"{found.group(1)} ({found.group(2)}")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--k", "many"], "--k must be 'auto' or a number, not 'many'"),
        (["--features", "monetry"], "no feature column 'monetry'. Did you mean 'monetary'?"),
        (["--k-min", "6", "--k-max", "4"], "k_min (6) is above k_max (4)"),
    ],
)
def test_cluster_user_errors(tmp_path: Path, args: list[str], message: str) -> None:
    table, _ = planted_segments(300, 3, seed=2)
    source = tmp_path / "customers.parquet"
    table.write_parquet(source)
    result = runner.invoke(app, ["cluster", str(source), "--id-col", "customer_id", *args])
    assert result.exit_code == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.realdata
def test_online_retail_customers_give_readable_segments(shared_data: Path, tmp_path: Path) -> None:
    orders = sw.read_transactions(shared_data / "online_retail_uci.csv.gz", policy="purchases-only")
    features = sw.customer_features(orders, as_of="2011-12-10")
    source = tmp_path / "features.parquet"
    features.write_parquet(source)
    result = runner.invoke(
        app,
        [
            "cluster",
            str(source),
            "--id-col",
            "customer_id",
            "--features",
            "recency_days,tenure_days,orders,net_revenue,avg_order_value",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.stderr
    payload = json.loads(result.stdout)
    assert 3 <= payload["k"] <= 8
    assert sum(s["size"] for s in payload["segments"]) == 4_338
    for segment in payload["segments"]:
        if segment["segment_id"] == -1:
            assert segment["name"] == "Outliers" and segment["size"] <= 0.02 * 4_338
            continue
        assert segment["name"].endswith("customers")
        assert "_" not in segment["name"] and not any("_" in t for t in segment["traits"])
        assert segment["traits"]
        assert segment["rule"]


def test_an_orders_table_is_refused_where_customers_are_expected(tmp_path: Path) -> None:
    # Issue 11: `segwise cluster orders.csv --id-col "Customer ID"` clustered order lines.
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "Customer ID,InvoiceDate,Quantity,Price,Country\n"
        + "".join(
            f"{c},2024-0{m}-0{d},{d},{m}.5,{'France' if c % 2 else 'Spain'}\n"
            for c in range(1, 13)
            for m in (1, 2)
            for d in (1, 2)
        )
    )
    for command in (
        ["cluster", str(orders), "--id-col", "Customer ID"],
        ["segment", str(orders), "--rules", str(tmp_path / "r.yaml"), "--id-col", "Customer ID"],
    ):
        (tmp_path / "r.yaml").write_text("segments:\n  - {name: A, where: 'Quantity > 1'}\n")
        result = CliRunner().invoke(app, command)
        assert result.exit_code == 1
        assert "rows repeat a customer id already seen" in result.stderr
        assert f"segwise features {orders}" in result.stderr
    table = tmp_path / "customers.parquet"
    built = CliRunner().invoke(app, ["features", str(orders), "-o", str(table)])
    assert built.exit_code == 0, built.stderr
    customers = pl.read_parquet(table)
    assert customers.height == 12 and customers["customer_id"].n_unique() == 12
    # The constant Country column of the export is a customer attribute now.
    assert dict(customers.select("customer_id", "Country").iter_rows())["1"] == "France"
    assert customers["orders"].to_list() == [4] * 12


def test_commands_build_the_customer_table_from_transactions(tmp_path: Path) -> None:
    # Issue 11: cluster, segment, explain and rules check take an orders export directly.
    from segwise.datasets import sample_paths

    orders = str(sample_paths()["orders"])
    rules = tmp_path / "r.yaml"
    rules.write_text(
        "segments:\n  - {name: Big, where: 'net_revenue > 1000'}\n"
        "  - {name: Recent, where: 'recency_days <= 30'}\n"
    )
    built = CliRunner().invoke(app, ["features", orders, "-o", str(tmp_path / "c.parquet")])
    assert built.exit_code == 0, built.stderr
    customers = pl.read_parquet(tmp_path / "c.parquet")
    sized = CliRunner().invoke(
        app, ["segment", "--rules", str(rules), "--transactions", orders, "--json"]
    )
    assert sized.exit_code == 0, sized.stderr
    payload = json.loads(sized.stdout)
    assert payload["customers"] == customers.height
    big = next(s for s in payload["segments"] if s["name"] == "Big")
    assert big["size"] == customers.filter(pl.col("net_revenue") > 1000).height
    one = str(customers.filter(pl.col("net_revenue") > 1000)["customer_id"][0])
    why = CliRunner().invoke(
        app,
        [
            "explain",
            "--rules",
            str(rules),
            "--transactions",
            orders,
            "--customer",
            one,
            "--segment",
            "Big",
            "--json",
        ],
    )
    assert why.exit_code == 0, why.stderr
    assert json.loads(why.stdout)["member"] is True
    linted = CliRunner().invoke(app, ["rules", "check", str(rules), "--transactions", orders])
    assert linted.exit_code == 0, linted.stderr
    assert f"{big['size']:,}" in linted.stdout
    clustered = CliRunner().invoke(app, ["cluster", "--transactions", orders, "--json"])
    assert clustered.exit_code == 0, clustered.stderr
    assert sum(s["size"] for s in json.loads(clustered.stdout)["segments"]) == customers.height
    missing = CliRunner().invoke(app, ["segment", "--rules", str(rules)])
    assert missing.exit_code == 1
    assert "no customer table" in missing.stderr and "--transactions" in missing.stderr
