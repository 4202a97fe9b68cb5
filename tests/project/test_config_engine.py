"""``engine:`` as people write it: one word, any case; an unknown one refused in one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from segwise.exceptions import ConfigError
from segwise.project import Project
from segwise.project.config import SparkEngine

SEGWISE = Path(sys.executable).with_name("segwise")


def _with_engine(folder: Path, engine: str) -> Path:
    Project.init(folder)
    config = folder / "segwise.yaml"
    text = config.read_text()
    config.write_text(text.replace("\nengine: polars", f"\nengine: {engine}", 1))
    return config


@pytest.mark.parametrize(("written", "read"), [("DuckDB", "duckdb"), ("Polars", "polars")])
def test_an_engine_name_in_any_case_is_that_engine(tmp_path: Path, written: str, read: str) -> None:
    assert Project.from_yaml(_with_engine(tmp_path, written)).config.engine == read


def test_engine_spark_is_spark_with_its_defaults(tmp_path: Path) -> None:
    """It was refused in two schema errors: "Input should be 'polars' or 'duckdb'" and "a
    valid dictionary or instance of SparkEngine"."""
    engine = Project.from_yaml(_with_engine(tmp_path, "spark")).config.engine
    assert isinstance(engine, SparkEngine)
    assert engine.spark.master == "local[2]" and engine.spark.remote is None


def test_an_unknown_engine_is_refused_in_one_line_naming_the_three(tmp_path: Path) -> None:
    config = _with_engine(tmp_path, "pandas")
    with pytest.raises(ConfigError, match="'pandas' is not an engine: polars, duckdb or spark"):
        Project.from_yaml(config)
    done = subprocess.run(
        [str(SEGWISE), "validate", str(config)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 1
    [line] = done.stderr.strip().splitlines()
    assert line.startswith(f"error: {config}, line ") and "'pandas' is not an engine" in line
    assert "Traceback" not in done.stderr
