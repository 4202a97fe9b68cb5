"""A project's workspace from its file, without loading the pipeline.

``segwise runs`` and ``segwise members`` only read the store: they should not
pay for importing scikit-learn, SciPy and Plotly (5–10 s measured before).
"""

from __future__ import annotations

from pathlib import Path

from segwise._config import load_yaml_model, read_text_file
from segwise.exceptions import ConfigError
from segwise.project.config import DOCS, ProjectConfig
from segwise.project.paths import ProjectPaths
from segwise.store import Workspace


def open_workspace(path: str | Path, *, allow_outside: bool = False) -> Workspace:
    r"""The store a project file names, resolved and confined like a run's.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "segwise.yaml").write_text(
    ...     "name: x\nstore: runs.duckdb\nsources: {transactions: {path: a.csv}}\n"
    ...     "segmentations: {v: {method: rfm}}\n")
    >>> open_workspace(folder).path.name
    'runs.duckdb'
    """
    target, _text, config = read_project_file(path)
    paths = ProjectPaths(target.parent, target, allow_outside=allow_outside)
    return Workspace(paths.resolve(config.store, key="store"))


def read_project_file(path: str | Path) -> tuple[Path, str, ProjectConfig]:
    """A project file (or its folder): its resolved path, its text and its validated config."""
    target = Path(path)
    if target.is_dir():
        target = target / "segwise.yaml"
    if not target.is_file():
        raise ConfigError(
            f"{target}: no such project file", hint="create one with: segwise init DIR"
        )
    text = read_text_file(target, what="project file")
    config = load_yaml_model(ProjectConfig, text, source=str(target), docs=DOCS)
    return target.resolve(), text, config
