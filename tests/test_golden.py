"""Golden outputs: the demo project and the data commands give the same answers after a refactor.

Issue 13 reshapes the project pipeline and the CLI; behaviour must not move.
The demo project's stored memberships and report cards, and the ``--json``
output of each data command on the bundled sample, are compared with the files
in ``tests/golden/``. Floats are stored at 6 significant digits and compared to
1 part in 10,000 (or 1e-5 apart): BLAS and CPU differences move the last bits, and where a
likelihood is flat near its maximum the optimiser stops a few units of the 6th
digit apart on different machines (Pareto/NBD's predictions on the sample moved
by 7e-6), not the answers.

After a deliberate change of behaviour, regenerate them with
``SEGWISE_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_golden.py`` and say why
in the commit message.
"""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from typer.testing import CliRunner

from segwise.cli.app import app
from segwise.datasets import sample_paths

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


#: Floats this close (relative, or absolute for differences near 0 such as a model's
#: aggregate error of -0.5%) are the same answer.
REL_TOL, ABS_TOL = 1e-4, 1e-5


def _differences(actual: Any, expected: Any, where: str = "") -> list[str]:
    """Where ``actual`` differs from ``expected``: floats within :data:`REL_TOL` agree."""
    if isinstance(actual, dict) and isinstance(expected, dict):
        if actual.keys() != expected.keys():
            return [f"{where}: keys {sorted(actual)} != {sorted(expected)}"]
        return [d for k in actual for d in _differences(actual[k], expected[k], f"{where}.{k}")]
    if isinstance(actual, list) and isinstance(expected, list):
        if len(actual) != len(expected):
            return [f"{where}: {len(actual)} items != {len(expected)}"]
        pairs = zip(actual, expected, strict=True)
        return [d for i, (a, e) in enumerate(pairs) for d in _differences(a, e, f"{where}[{i}]")]
    numbers = (int, float)
    if isinstance(actual, float) or isinstance(expected, float):
        both = isinstance(actual, numbers) and isinstance(expected, numbers)
        if both and actual == pytest.approx(expected, rel=REL_TOL, abs=ABS_TOL):
            return []
    elif actual == expected:
        return []
    return [f"{where}: {actual!r} != {expected!r}"]


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
    found = _differences(data, expected)
    assert not found, f"{name} differs from tests/golden/{path.name}: " + "; ".join(found[:10])


@pytest.fixture(scope="module")
def demo(demo_run: Any) -> Any:
    return demo_run


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
