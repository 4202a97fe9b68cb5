"""The main job: ingest → features → every segmentation → profiles → store → report.

``Project`` is a facade over the application layer: the project file
(:mod:`~segwise.project.config`), its paths (:mod:`~segwise.project.paths`),
the sources (:mod:`~segwise.project.sources`), one run under the store's lock
(:mod:`~segwise.project.running`: the first half in
:mod:`~segwise.project.ingest`, one module per segmentation method in
:mod:`~segwise.project.methods` run by :mod:`~segwise.project.segmentations`,
store, report and health in :mod:`~segwise.project.publish` and
:mod:`~segwise.project.health`), ``refresh`` (:mod:`~segwise.project.fingerprints`),
``preview`` (:mod:`~segwise.project.preview`) and ``validate``
(:mod:`~segwise.project.validation`). The CLI and, later, the API call it;
neither rebuilds these steps.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from segwise.exceptions import ConfigError
from segwise.profiling.cards import SegmentationResult
from segwise.project.fingerprints import Refresh, reason_to_refresh
from segwise.project.paths import QUARANTINE_DIR, ProjectPaths
from segwise.project.publish import RunResult
from segwise.project.sources import read_source, warehouse_frame
from segwise.project.workspace import read_project_file
from segwise.store import Workspace

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import date

    from segwise.io.dataset import Dataset
    from segwise.io.quality import QualityReport
    from segwise.project.config import ProjectConfig
    from segwise.project.preview import ImpactPreview

# The method runners, validation, preview and scaffolding load scikit-learn and the models:
# they are imported where a run, a check or a preview needs them, so the commands that only
# read the project file and the store (sync, export, members) start quickly.

__all__ = ["Project", "Refresh", "RunResult", "SegmentationResult"]


class Project:
    """A segwise project: a ``segwise.yaml`` file and the folder it lives in.

    Examples
    --------
    >>> import tempfile, segwise as sw
    >>> folder = tempfile.mkdtemp()
    >>> _ = sw.Project.init(folder)
    >>> project = sw.Project.from_yaml(f"{folder}/segwise.yaml")
    >>> sorted(project.config.segmentations)
    ['behaviour', 'future', 'lifecycle', 'value']
    """

    def __init__(
        self,
        config: ProjectConfig,
        root: Path,
        *,
        text: str = "",
        project_file: Path | None = None,
        allow_outside: bool = False,
    ) -> None:
        self.config = config
        self.root = root
        self.text = text
        self.paths = ProjectPaths(
            root, project_file or root / "segwise.yaml", allow_outside=allow_outside
        )
        self._spark: Any = None

    @classmethod
    def from_yaml(cls, path: str | Path, *, allow_outside: bool = False) -> Project:
        """Load a project file; errors name the line, the key and the fix.

        Sources and outputs must stay inside the project's folder unless
        ``allow_outside`` is set (see ``docs/security.md``).
        """
        target, text, config = read_project_file(path)
        return cls(
            config, target.parent, text=text, project_file=target, allow_outside=allow_outside
        )

    @staticmethod
    def init(directory: str | Path, *, force: bool = False) -> Path:
        """Write a working project with the sample retailer's data; return the file's path."""
        from segwise.project.scaffold import scaffold  # noqa: PLC0415 - see the imports

        return scaffold(Path(directory), force=force)

    def resolve(self, relative: str, *, key: str = "path") -> Path:
        """A path from the project file, resolved from its folder and kept inside it."""
        return self.paths.resolve(relative, key=key)

    def spark_session(self, given: Any = None) -> Any:
        """The Spark session this project's runs and warehouse sources use.

        ``given`` (a session of the caller's) is kept and used from then on;
        otherwise one is started, once, from ``engine.spark`` (``local[2]`` when
        the file names no Spark settings and the run asks for Spark).
        """
        if given is not None:
            self._spark = given
        if self._spark is None:
            from segwise.engine.sessions import spark_session  # noqa: PLC0415 - optional extra

            settings = getattr(self.config.engine, "spark", None)
            self._spark = (
                spark_session(settings.master, settings.config, settings.remote)
                if settings is not None
                else spark_session()
            )
        return self._spark

    def check_paths(self) -> None:
        """Refuse sources outside the project and outputs that would overwrite anything."""
        sources = [
            (f"sources.{name}.path", self.resolve(source.path, key=f"sources.{name}.path"))
            for name, source in self.config.sources
            if source is not None and source.path is not None
        ]
        store = self.resolve(self.config.store, key="store")
        report = self.resolve(self.config.report, key="report")
        outputs = {
            "store": store,
            "the store's lock file": store.with_name(store.name + ".lock"),
            "report": report,
            "quarantine": self.resolve(QUARANTINE_DIR, key="quarantine"),
        }
        from segwise.project.methods import method_for  # noqa: PLC0415 - see the imports

        for name, spec in self.config.segmentations.items():
            for key, written in method_for(spec).outputs(name, spec).items():
                outputs[key] = self.resolve(written, key=key)
        self.paths.check_outputs(outputs, sources)
        if report.suffix.lower() not in (".html", ".htm"):
            raise ConfigError(
                f"report: '{self.config.report}' must end in .html",
                hint="e.g. report: report.html",
            )

    @property
    def config_hash(self) -> str:
        """SHA-256 of the project file's text (first 16 hex digits)."""
        return hashlib.sha256(self.text.encode()).hexdigest()[:16]

    @property
    def store(self) -> Workspace:
        """The project's workspace."""
        return Workspace(self.resolve(self.config.store, key="store"))

    # -- ingest ----------------------------------------------------------------------------
    def read_sources(self) -> dict[str, Dataset]:
        """Read every source with its roles; nothing is computed until asked."""
        return {name: self.read_source(name) for name, source in self.config.sources if source}

    def read_source(
        self, name: str, *, keep_erased: bool = False, as_written: bool = False
    ) -> Dataset:
        """Read one source (``transactions``, ``customers`` or ``events``) with its roles.

        Customers erased with ``segwise forget`` are left out (``keep_erased`` keeps
        them: what ``forget`` itself reads to find their personal values). With
        ``privacy.pseudonymise``, ids and personal columns are pseudonyms unless
        ``as_written`` (what activation and ``forget`` read to find real identifiers).
        """
        source = getattr(self.config.sources, name, None)
        if source is None:
            raise ConfigError(f"sources.{name}: not in the project file")
        location = (
            warehouse_frame(self, name, source.warehouse)
            if source.warehouse is not None
            else self.resolve(source.path, key=f"sources.{name}.path")
        )
        dataset = read_source(source, location)
        if dataset.kind == "accounts":  # accounts are companies, not people
            return dataset
        if dataset.kind == "customers":
            _note_undeclared_pii(dataset)
        from segwise.project.pseudonyms import pseudonymised  # noqa: PLC0415 - loads the store
        from segwise.project.tombstones import without_erased  # noqa: PLC0415

        if not keep_erased:
            dataset = without_erased(self, dataset)
        if self.config.privacy.pseudonymise and not as_written:
            dataset = pseudonymised(self, dataset)
        return dataset

    def validate(self, progress: Callable[[str], None] | None = None) -> list[QualityReport]:
        """Check the config, read every source and compile every rule, without running.

        Returns the quality reports. Every problem found is reported at once
        (a :class:`~segwise.exceptions.ProblemsError` when there are several),
        so one round of fixes is enough.
        """
        from segwise.project.validation import validate_project  # noqa: PLC0415

        return validate_project(self, progress or (lambda _message: None))

    # -- run -------------------------------------------------------------------------------
    def run(
        self,
        *,
        as_of: str | date | None = None,
        engine: str | None = None,
        progress: Callable[[str], None] | None = None,
        spark: Any = None,
    ) -> RunResult:
        """Run every segmentation, store the run and write the report.

        Parameters
        ----------
        as_of
            Override the project's as-of date (default: the project's, else the
            last transaction date).
        engine
            ``polars``, ``duckdb`` or ``spark`` (overrides the project file).
        progress
            Called with the name of each step.
        spark
            A SparkSession to use instead of building one from the project file.
        """
        from segwise.project.running import run_holding_the_lock  # noqa: PLC0415

        step = progress or (lambda _message: None)
        self.check_paths()
        if spark is not None:
            self.spark_session(spark)
        # The whole run holds the lock: two runs would race on the report and the quarantine.
        with self.store.locked(step):
            return run_holding_the_lock(self, as_of, engine, step, spark)

    def refresh(
        self,
        *,
        engine: str | None = None,
        progress: Callable[[str], None] | None = None,
        spark: Any = None,
    ) -> Refresh:
        """Run only when a source or the project file changed since the last run.

        For schedulers: the check and the run hold the store's lock together,
        so two refreshes never both run. See :mod:`segwise.project.fingerprints`.
        """
        from segwise.project.running import run_holding_the_lock  # noqa: PLC0415

        step = progress or (lambda _message: None)
        self.check_paths()
        if spark is not None:
            self.spark_session(spark)
        with self.store.locked(step):
            reason = reason_to_refresh(self)
            if reason is None:
                return Refresh(ran=False, reason="up to date: nothing changed since the last run")
            return Refresh(True, reason, run_holding_the_lock(self, None, engine, step, spark))

    def preview(
        self, *, segmentation: str | None = None, progress: Callable[[str], None] | None = None
    ) -> ImpactPreview:
        """What this (edited) project file would change in the latest run's segments.

        Nothing is stored; see :mod:`segwise.project.preview`.
        """
        from segwise.project.preview import preview_project  # noqa: PLC0415

        return preview_project(self, segmentation, progress or (lambda _message: None))


def _note_undeclared_pii(dataset: Dataset) -> None:
    """Say in the quality report which columns look personal but are not declared ``pii:``."""
    from segwise.privacy.pii import undeclared  # noqa: PLC0415

    found = undeclared(dataset.data.collect_schema().names(), dataset.roles.pii)
    if found:
        dataset.notes.append(
            f"columns that look personal but are not declared: {', '.join(found)}; list them "
            "in sources.customers.pii so they stay out of features and are pseudonymised"
        )
