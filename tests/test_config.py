"""The YAML loader every definition file goes through (issue 12, defects 13 and 26)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from segwise.cli.app import app
from segwise.exceptions import ConfigError
from segwise.project import Project
from segwise.segmenters import RuleCatalog

if TYPE_CHECKING:
    from pathlib import Path

runner = CliRunner()


def test_duplicate_yaml_keys_are_refused(tmp_path: Path) -> None:
    # Defect 26: a second 'where:' silently replaced the first.
    path = tmp_path / "rules.yaml"
    path.write_text("segments:\n  - name: A\n    where: orders > 1\n    where: orders > 9\n")
    with pytest.raises(ConfigError, match=r"line 4: not valid YAML: key 'where' repeats .* line 3"):
        RuleCatalog.from_yaml(path)


def test_yaml_nested_1000_deep_is_one_clear_error(tmp_path: Path) -> None:
    # Defect 13: deep nesting raised RecursionError from the composer.
    path = tmp_path / "segwise.yaml"
    path.write_text("name: " + "[" * 1000 + "]" * 1000 + "\n")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 1
    assert "nested more than 64 levels deep" in result.stderr
    assert "Traceback" not in result.stderr
    block = tmp_path / "block.yaml"
    block.write_text("".join(" " * i + f"k{i}:\n" for i in range(1000)))
    with pytest.raises(ConfigError, match="nested more than 64 levels deep"):
        Project.from_yaml(block)


def test_project_file_that_is_not_utf8_names_the_line(tmp_path: Path) -> None:
    # Defect 13: a latin-1 project file raised UnicodeDecodeError.
    path = tmp_path / "segwise.yaml"
    path.write_bytes(b"name: shop\n# caf\xe9\n")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {path}, line 2: byte 0xe9 is not UTF-8")


def test_score_maps_share_the_located_errors(tmp_path: Path) -> None:
    # The score map used to say "name: Field required" without a line or a suggestion.
    path = tmp_path / "map.yaml"
    path.write_text("bins: 5\nsegments:\n  - nmae: Big\n    r: [4, 5]\n")
    result = runner.invoke(app, ["rules", "check", str(path)])
    assert result.exit_code == 1
    assert "line 3: segments.0.nmae: unknown key. Did you mean 'name'?" in result.stderr


def test_billion_laughs_aliases_are_refused(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 12)]
    path = tmp_path / "rules.yaml"
    path.write_text("\n".join(lines) + "\nsegments: []\n")
    with pytest.raises(ConfigError, match="more than 100 aliases"):
        RuleCatalog.from_yaml(path)


@pytest.mark.parametrize(
    ("typo", "said"),
    [
        (
            ("    bins: 5", "    binz: 5"),
            "segmentations.value.binz: unknown key. Did you mean 'bins'?",
        ),
        (
            ("        priority: 1", "        prority: 1"),
            "segmentations.lifecycle.segments.0.prority: unknown key. Did you mean 'priority'?",
        ),
        (
            ("    features: [", "    feautres: ["),
            "segmentations.behaviour.feautres: unknown key. Did you mean 'features'?",
        ),
        (
            ("    holdout_weeks:", "    holdout_weeeks:"),
            "segmentations.future.holdout_weeeks: unknown key. Did you mean 'holdout_weeks'?",
        ),
    ],
)
def test_a_typo_in_a_segmentation_is_named_as_the_file_writes_it(
    tmp_path: Path, typo: tuple[str, str], said: str
) -> None:
    # The path said "segmentations.value.rfm.binz" (the method, which is not a key there)
    # and gave no suggestion: the segmentations are where people edit the file most.
    config = Project.init(tmp_path)
    text = config.read_text()
    assert typo[0] in text
    config.write_text(text.replace(typo[0], typo[1], 1))
    result = runner.invoke(app, ["validate", str(config)])
    assert result.exit_code == 1
    [line] = [line for line in result.stderr.splitlines() if "unknown key" in line]
    assert line.endswith(said)
    written = text.replace(typo[0], typo[1], 1).splitlines()
    number = int(line.split(", line ")[1].split(":")[0])
    assert typo[1].strip() in written[number - 1]


def test_a_typo_inside_a_hybrids_child_method_is_matched_against_that_method(
    tmp_path: Path,
) -> None:
    path = tmp_path / "segwise.yaml"
    path.write_text(
        "name: x\nsources:\n  transactions: {path: a.csv}\nsegmentations:\n  mixed:\n"
        "    method: hybrid\n    segments:\n      - {name: Big, where: orders > 5}\n"
        "    within:\n      Big: {method: cluster, feautres: [orders]}\n"
    )
    with pytest.raises(ConfigError) as caught:
        Project.from_yaml(path)
    assert caught.value.one_line() == (
        f"{path}, line 10: segmentations.mixed.within.Big.feautres: unknown key. "
        "Did you mean 'features'?"
    )
