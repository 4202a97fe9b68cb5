"""`segwise rules check` on score maps (rule catalogs: tests/cli/test_segment.py)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from segwise.cli.app import app
from segwise.datasets import sample_paths

MAPS = Path(__file__).resolve().parents[2] / "src" / "segwise" / "features" / "score_maps"
runner = CliRunner()


def test_clean_map_with_data() -> None:
    result = runner.invoke(
        app, ["rules", "check", str(MAPS / "segwise.yaml"), "--data", str(sample_paths()["orders"])]
    )
    assert result.exit_code == 0, result.stderr
    assert "no findings" in result.stdout
    assert "fallback share on the data: 0.0%" in result.stdout


def test_findings_are_listed_with_their_cells(tmp_path: Path) -> None:
    path = tmp_path / "map.yaml"
    path.write_text(
        "name: m\nbins: 2\nsegments:\n"
        "  - name: Recent\n    cells: [{r: [2, 2]}]\n"
        "  - name: Recent big\n    cells: [{r: [2, 2], m: [2, 2]}]\n"
    )
    result = runner.invoke(app, ["rules", "check", str(path), "--json"])
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["shadowed"] == ["Recent big"]
    assert report["overlaps"] == {"212": ["Recent", "Recent big"], "222": ["Recent", "Recent big"]}
    assert report["uncovered"] == ["111", "112", "121", "122"]
    text = runner.invoke(app, ["rules", "check", str(path)]).stdout
    assert "warning: segment 'Recent big' is shadowed" in text
    assert "warning: 4 cells fall to the fallback: 111, 112, 121, 122" in text


def test_bad_map_is_a_user_error(tmp_path: Path) -> None:
    path = tmp_path / "map.yaml"
    path.write_text("name: m\nbins: 2\nsegments:\n  - name: A\n    cells: [{x: [1, 2]}]\n")
    result = runner.invoke(app, ["rules", "check", str(path)])
    assert result.exit_code == 1
    assert "segments.0.cells.0.x" in result.stderr
    not_a_map = tmp_path / "catalog.yaml"
    not_a_map.write_text("groups: []\n")
    result = runner.invoke(app, ["rules", "check", str(not_a_map)])
    assert result.exit_code == 1
    assert "neither a rule catalog (a 'segments' key) nor a score map" in result.stderr
