"""Project paths: confined to the project folder, and no output over another file (issue 12)."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from segwise.cli.app import app
from segwise.exceptions import ConfigError
from segwise.project import Project

if TYPE_CHECKING:
    from pathlib import Path

runner = CliRunner()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("template")
    Project.init(folder)
    return folder


def project_with(tmp_path: Path, template: Path, old: str, new: str) -> Path:
    folder = tmp_path / "shop"
    shutil.copytree(template, folder)
    config = folder / "segwise.yaml"
    text = config.read_text()
    assert old in text
    config.write_text(text.replace(old, new, 1))
    return config


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("report: report.html", "report: segwise.duckdb", "report: 'segwise.duckdb' is also store"),
        ("report: report.html", "report: segwise.yaml", "is also the project file"),
        ("store: segwise.duckdb", "store: data/orders.csv.gz", "is also sources.transactions"),
        ("report: report.html", "report: report.txt", "must end in .html"),
        ("store: segwise.duckdb", "store: quarantine/x.duckdb", "inside the quarantine folder"),
        ("model: models/behaviour.json", "model: segwise.duckdb", "is also store"),
        ("model: models/behaviour.json", "model: ../../model.json", "outside the project"),
    ],
    ids=[
        "report over store",
        "report over project file",
        "store over source",
        "txt",
        "quar",
        "model over store",
        "model outside",
    ],
)
def test_outputs_cannot_overwrite_the_store_or_project_file(
    tmp_path: Path, template: Path, old: str, new: str, message: str
) -> None:
    # Issue 12, defect 2: report: segwise.duckdb overwrote the store and exited 0.
    config = project_with(tmp_path, template, old, new)
    before = {p.name: p.read_bytes() for p in config.parent.iterdir() if p.is_file()}
    result = runner.invoke(app, ["run", str(config)])
    assert result.exit_code == 1
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    after = {p.name: p.read_bytes() for p in config.parent.iterdir() if p.is_file()}
    assert after == before


def test_source_paths_outside_the_project_are_refused_unread(
    tmp_path: Path, template: Path
) -> None:
    # Issue 12, defect 15: ../../etc/passwd was read and its first line echoed.
    secret = tmp_path / "secret.csv"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n")
    config = project_with(tmp_path, template, "path: data/orders.csv.gz", "path: ../secret.csv")
    for command in ("run", "validate"):
        result = runner.invoke(app, [command, str(config)])
        assert result.exit_code == 1
        assert "sources.transactions.path: '../secret.csv' is outside the project folder" in (
            result.stderr
        )
        assert "root:x" not in result.stderr + result.stdout
    absolute = project_with(tmp_path / "b", template, "path: data/orders.csv.gz", f"path: {secret}")
    with pytest.raises(ConfigError, match="outside the project folder"):
        Project.from_yaml(absolute).read_sources()


def test_allow_outside_lifts_confinement_for_the_cli(tmp_path: Path, template: Path) -> None:
    outside = tmp_path / "shared"
    outside.mkdir()
    shutil.copy(template / "data" / "orders.csv.gz", outside / "orders.csv.gz")
    config = project_with(
        tmp_path, template, "path: data/orders.csv.gz", f"path: {outside / 'orders.csv.gz'}"
    )
    refused = runner.invoke(app, ["validate", str(config)])
    assert refused.exit_code == 1
    allowed = runner.invoke(app, ["validate", str(config), "--allow-outside"])
    assert allowed.exit_code == 0, allowed.stderr


def test_static_ids_outside_the_project_are_refused(tmp_path: Path, template: Path) -> None:
    secret = tmp_path / "ids.csv"
    secret.write_text("root:x:0:0\n")
    config = project_with(
        tmp_path,
        template,
        "segmentations:\n",
        "segmentations:\n  listed:\n    method: rules\n    exclusive: false\n"
        "    segments:\n      - {name: Listed, ids: ../ids.csv}\n",
    )
    result = runner.invoke(app, ["run", str(config)])
    assert result.exit_code == 1
    assert "ids file '../ids.csv' is outside the project folder" in result.stderr
    assert "root:x" not in result.stderr
