"""Where a project may read and write: inside its folder, and never over its own files.

A project file will soon arrive from other people (through the service), so
its paths are treated as untrusted: every source and output must lie inside
the project's folder (after removing ``..``) unless the caller opts out, and no output
may land on the project file, a source, or another output. The CLI offers the
opt-out (``--allow-outside``); the service never will. See ``docs/security.md``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from segwise.exceptions import ConfigError

if TYPE_CHECKING:
    from collections.abc import Iterable

#: The folder of quarantined rows, relative to the project.
QUARANTINE_DIR = "quarantine"


@dataclass(frozen=True)
class ProjectPaths:
    """Resolve and check a project's paths.

    Parameters
    ----------
    root
        The project's folder.
    project_file
        The project file itself (never an output).
    allow_outside
        Accept paths outside ``root`` (the CLI's ``--allow-outside``).

    Examples
    --------
    >>> import tempfile
    >>> paths = ProjectPaths(Path(tempfile.mkdtemp()), Path("segwise.yaml"))
    >>> paths.resolve("data/orders.csv", key="sources.transactions.path").name
    'orders.csv'
    >>> paths.resolve("../../etc/passwd", key="sources.transactions.path")
    Traceback (most recent call last):
    ...
    segwise.exceptions.ConfigError: sources.transactions.path: '../../etc/passwd' is outside \
the project folder. Keep project files inside the project folder (the CLI's --allow-outside \
lifts this).
    """

    root: Path
    project_file: Path
    allow_outside: bool = False

    def resolve(self, relative: str | Path, *, key: str) -> Path:
        """``relative`` from the project folder; refused outside it unless allowed."""
        path = Path(relative)
        target = path if path.is_absolute() else self.root / path
        if self.allow_outside:
            return target
        # Lexical, so a symlink the folder's owner placed is honoured; "..", absolute
        # paths and home-relative tricks in the file are not.
        inside = Path(os.path.normpath(target.absolute()))
        if not inside.is_relative_to(Path(os.path.normpath(self.root.absolute()))):
            raise ConfigError(
                f"{key}: '{relative}' is outside the project folder",
                hint="keep project files inside the project folder "
                "(the CLI's --allow-outside lifts this)",
            )
        return target

    def check_outputs(self, outputs: dict[str, Path], sources: Iterable[tuple[str, Path]]) -> None:
        """Refuse an output that would overwrite the project file, a source or another output.

        ``outputs`` maps a key (``store``, ``report``, …) to its path; the store's
        lock file and the quarantine folder are checked with them.
        """
        taken: dict[Path, str] = {_real(self.project_file): "the project file"}
        for key, path in sources:
            taken.setdefault(_real(path), key)
        for key, path in outputs.items():
            real = _real(path)
            if real in taken:
                raise ConfigError(
                    f"{key}: '{self._shown(path)}' is also {taken[real]}; it would be overwritten",
                    hint=f"give {key} a path of its own",
                )
            taken[real] = key
        quarantine = _real(self.root / QUARANTINE_DIR)
        for real, key in taken.items():
            if real.is_relative_to(quarantine) and key != "quarantine":
                raise ConfigError(
                    f"{key}: '{self._shown(real)}' is inside the quarantine folder, which segwise "
                    "rewrites",
                    hint=f"move it out of {QUARANTINE_DIR}/",
                )

    def _shown(self, path: Path) -> str:
        """A path as the project file would write it: relative to the folder when inside."""
        for base in (self.root, _real(self.root)):
            if path.is_relative_to(base):
                return str(path.relative_to(base))
        return str(path)


def _real(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()
