"""Golden outputs: the demo project and the data commands give the same answers after a refactor.

Issue 13 reshapes the project pipeline and the CLI; behaviour must not move.
The demo project's stored memberships and report cards, and the ``--json``
output of each data command on the bundled sample, are compared with the files
in ``tests/golden/``. Floats are compared at 6 significant digits (BLAS and
CPU differences move the last bits, not the answers).

After a deliberate change of behaviour, regenerate them with
``SEGWISE_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_golden.py`` and say why
in the commit message.
"""

from __future__ import annotations

import gzip
import json
import os
import warnings
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from typer.testing import CliRunner

from segwise.cli.app import app
from segwise.datasets import sample_paths
from segwise.project import Project

GOLDEN = Path(__file__).parent / "golden"
SAMPLE_DIR = sample_paths()["orders"].parent
UPDATE = os.environ.get("SEGWISE_UPDATE_GOLDEN") == "1"


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return float(f"{value:.6g}")
    if isinstance(value, dict):
        return {str(k): _rounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    return value


def _compare(name: str, actual: Any) -> None:
    path = GOLDEN / f"{name}.json.gz"
    # The bundled sample's folder depends on the checkout: compare it as a placeholder.
    text = json.dumps(actual, default=str).replace(str(SAMPLE_DIR), "<sample>")
    data = _rounded(json.loads(text))
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        text = json.dumps(data, indent=1, sort_keys=True)
        # mtime=0: the same answers give the same bytes, so only real changes show in a diff.
        with gzip.GzipFile(path, "wb", mtime=0) as handle:
            handle.write(text.encode("utf-8"))
        return
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        expected = json.load(handle)
    assert data == expected, f"{name} differs from tests/golden/{path.name}"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("golden") / "demo"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Project.from_yaml(Project.init(folder)).run()


def test_demo_memberships_are_unchanged(demo: Any) -> None:
    members = {s.name: s.members.sort("customer_id", "segment").rows() for s in demo.segmentations}
    _compare("demo_members", members)


def test_demo_cards_are_unchanged(demo: Any) -> None:
    cards = {s.name: [c.to_dict() for c in s.cards] for s in demo.segmentations}
    _compare("demo_cards", cards)
    _compare("demo_definitions", {s.name: s.definition for s in demo.segmentations})


ORDERS = str(sample_paths()["orders"])


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("rfm", ["rfm", ORDERS, "--json"]),
        ("summary", ["summary", ORDERS, "--json"]),
        (
            "clv",
            [
                "clv",
                ORDERS,
                "--calibration-end",
                "2024-06-30",
                "--holdout-end",
                "2024-12-31",
                "--json",
            ],
        ),
        ("quality", ["quality", ORDERS, "--json"]),
        ("cluster", ["cluster", "--transactions", ORDERS, "--json"]),
    ],
)
def test_command_json_is_unchanged(
    name: str, args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # `quality` writes its quarantine file beside the caller
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.stderr
    _compare(f"cli_{name}", json.loads(result.stdout))


def test_features_command_output_is_unchanged(tmp_path: Path) -> None:
    target = tmp_path / "customers.parquet"
    result = CliRunner().invoke(app, ["features", ORDERS, "-o", str(target)])
    assert result.exit_code == 0, result.stderr
    table = pl.read_parquet(target).sort("customer_id")
    _compare("cli_features", {"columns": table.columns, "rows": table.rows()})
