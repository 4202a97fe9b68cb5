"""The main job: ingest → features → every segmentation → profiles → store → report.

``Project`` is a facade over the application layer: the project file
(:mod:`~segwise.project.config`), its paths (:mod:`~segwise.project.paths`),
the sources (:mod:`~segwise.project.sources`), one module per segmentation
method (:mod:`~segwise.project.methods`), engine sessions
(:mod:`segwise.engine.sessions`), the store and the report. The CLI and,
later, the API call it; neither rebuilds these steps.
"""

from __future__ import annotations

import functools
import hashlib
import warnings
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw

from segwise._version import __version__
from segwise.engine.sessions import check_engine, on_engine, spark_session
from segwise.exceptions import ConfigError, ProblemsError, RuleError, SegwiseError
from segwise.features.behaviour import customer_features
from segwise.io.timestamps import resolve_as_of
from segwise.io.writers import atomic_path
from segwise.profiling.cards import SegmentationResult
from segwise.project.config import ClusterSegmentation, ProjectConfig
from segwise.project.methods import CheckInputs, RunInputs, method_for
from segwise.project.paths import QUARANTINE_DIR, ProjectPaths
from segwise.project.results import as_polars
from segwise.project.scaffold import scaffold
from segwise.project.sources import read_source
from segwise.project.workspace import read_project_file
from segwise.report.project import render_project_report
from segwise.store import RunRecord, SegmentationRecord, Workspace

if TYPE_CHECKING:
    from collections.abc import Callable

    from segwise.io.dataset import Dataset
    from segwise.io.quality import QualityReport

__all__ = ["Project", "RunResult", "SegmentationResult"]


@dataclass
class RunResult:
    """What a run produced."""

    run_id: int
    as_of: date
    engine: str
    customers: int
    report: Path
    store: Path
    quality: list[QualityReport]
    segmentations: list[SegmentationResult]


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
        return scaffold(Path(directory), force=force)

    def resolve(self, relative: str, *, key: str = "path") -> Path:
        """A path from the project file, resolved from its folder and kept inside it."""
        return self.paths.resolve(relative, key=key)

    def check_paths(self) -> None:
        """Refuse sources outside the project and outputs that would overwrite anything."""
        sources = [
            (f"sources.{name}.path", self.resolve(source.path, key=f"sources.{name}.path"))
            for name, source in self.config.sources
            if source is not None
        ]
        store = self.resolve(self.config.store, key="store")
        report = self.resolve(self.config.report, key="report")
        outputs = {
            "store": store,
            "the store's lock file": store.with_name(store.name + ".lock"),
            "report": report,
            "quarantine": self.resolve(QUARANTINE_DIR, key="quarantine"),
        }
        for name, spec in self.config.segmentations.items():
            if isinstance(spec, ClusterSegmentation) and spec.model:
                key = f"segmentations.{name}.model"
                outputs[key] = self.resolve(spec.model, key=key)
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

    def read_source(self, name: str) -> Dataset:
        """Read one source (``transactions``, ``customers`` or ``events``) with its roles."""
        source = getattr(self.config.sources, name, None)
        if source is None:
            raise ConfigError(f"sources.{name}: not in the project file")
        return read_source(source, self.resolve(source.path, key=f"sources.{name}.path"))

    def validate(self, progress: Callable[[str], None] | None = None) -> list[QualityReport]:
        """Check the config, read every source and compile every rule, without running.

        Returns the quality reports. Every problem found is reported at once
        (a :class:`~segwise.exceptions.ProblemsError` when there are several),
        so one round of fixes is enough.
        """
        step = progress or (lambda _message: None)
        problems: list[SegwiseError] = []

        def attempt(action: Callable[[], Any]) -> Any:
            try:
                return action()
            except SegwiseError as exc:
                problems.append(exc)
                return None

        attempt(self.check_paths)
        step("Reading the sources")
        datasets: dict[str, Dataset] = {}
        reports: list[QualityReport] = []
        for name, source in self.config.sources:
            dataset = attempt(functools.partial(self.read_source, name)) if source else None
            report = attempt(dataset.quality) if dataset is not None else None
            if dataset is not None and report is not None:
                datasets[name] = dataset
                reports.append(report)
        step("Checking the segmentations")
        features = None
        if "transactions" in datasets:
            if self.config.as_of is not None:
                attempt(functools.partial(_check_as_of, self.config.as_of, reports[0]))
            features = attempt(functools.partial(_features, datasets, self.config.as_of))
        # A segmentation is checked against what could be read: a source that failed is
        # reported once, not again by every rule and feature that would have used it.
        failed = {n for n, source in self.config.sources if source and n not in datasets}
        inputs = CheckInputs(features, datasets, self.paths, failed)
        for name, spec in self.config.segmentations.items():
            attempt(functools.partial(method_for(spec).check, name, spec, inputs))
        if len(problems) == 1:
            raise problems[0]
        if problems:
            raise ProblemsError([line for p in problems for line in _lines(p)])
        return reports

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
        step = progress or (lambda _message: None)
        self.check_paths()
        # The whole run holds the lock: two runs would race on the report and the quarantine.
        with self.store.locked(step):
            self._remove_stale_temp_files()
            started = datetime.now()
            engine_name = check_engine(engine or self.config.engine_name)
            inputs, quality = self._prepare(as_of, engine_name, step, spark)
            results = self._segment(inputs, step)
            return self._publish(inputs, quality, results, engine_name, started, step)

    def _remove_stale_temp_files(self) -> None:
        """Temporary files a killed run left beside its outputs (safe: we hold the lock)."""
        report = self.resolve(self.config.report, key="report")
        quarantine = self.resolve(QUARANTINE_DIR, key="quarantine")
        patterns = [
            (report.parent, f".{report.name}.*.tmp"),
            (quarantine, ".*.quarantine.csv.*.tmp"),
        ]
        for folder, pattern in patterns:
            if folder.is_dir():
                for stale in folder.glob(pattern):
                    stale.unlink(missing_ok=True)

    def _prepare(
        self, as_of: str | date | None, engine_name: str, step: Callable[[str], None], spark: Any
    ) -> tuple[RunInputs, list[QualityReport]]:
        """Read and check the sources, move them to the engine, build the customer features."""
        step("Reading the sources")
        datasets = self.read_sources()
        step("Checking data quality")
        quality = [self._quality(source, dataset) for source, dataset in datasets.items()]
        cutoff = self._as_of(as_of, datasets["transactions"])
        _check_as_of(cutoff, datasets["transactions"].quality())
        step(f"Moving the data to {engine_name}")
        if engine_name == "spark" and spark is None:
            settings = getattr(self.config.engine, "spark", None)
            spark = spark_session(settings.master, settings.config) if settings else None
        tables = on_engine({k: d.data for k, d in datasets.items()}, engine_name, spark)
        step("Building customer features")
        features_native = customer_features(
            tables["transactions"],
            customers=tables.get("customers"),
            events=tables.get("events"),
            as_of=cutoff,
        )
        features = as_polars(features_native).sort("customer_id")
        inputs = RunInputs(
            tables, features_native, features, cutoff, self.paths, self.config.currency
        )
        return inputs, quality

    def _quality(self, source: str, dataset: Dataset) -> QualityReport:
        report = dataset.quality()
        if report.rows_quarantined:
            # Bad rows are kept, with their reason, next to the project: never dropped silently.
            target = self.resolve(QUARANTINE_DIR) / f"{source}.quarantine.csv"
            target.parent.mkdir(parents=True, exist_ok=True)
            dataset.write_quarantine(target)
            report.notes.append(f"quarantined rows written to {target}")
        return report

    def _segment(self, inputs: RunInputs, step: Callable[[str], None]) -> list[SegmentationResult]:
        """Every segmentation, in the file's order; each one's notes kept with its result."""
        results = []
        for name, spec in self.config.segmentations.items():
            step(f"Segmentation '{name}' ({spec.method})")
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                produced = method_for(spec).run(name, spec, inputs)
            _keep_notes(produced[0], caught)
            results.extend(produced)
        return results

    def _publish(
        self,
        inputs: RunInputs,
        quality: list[QualityReport],
        results: list[SegmentationResult],
        engine_name: str,
        started: datetime,
        step: Callable[[str], None],
    ) -> RunResult:
        """Store the run and write its report: both complete, or neither."""
        step("Storing the run")
        record = RunRecord(
            project=self.config.name,
            as_of=inputs.as_of,
            config_hash=self.config_hash,
            config=self.text,
            version=__version__,
            engine=engine_name,
            customers=inputs.features.height,
            started_at=started,
            segmentations=[
                SegmentationRecord(
                    r.name, r.method, r.definition, [c.to_dict() for c in r.cards], r.members
                )
                for r in results
            ],
        )
        report_path = self.resolve(self.config.report, key="report")
        run_id = self.store.next_run_id()
        # The report is complete before the run commits, and replaces the old one only after:
        # a failed commit leaves the previous report, a failed report stores no run.
        with atomic_path(report_path) as pending:
            step("Writing the report")
            render_project_report(
                pending,
                project=self.config.name,
                run_id=run_id,
                as_of=inputs.as_of,
                engine=engine_name,
                quality=quality,
                segmentations=results,
                config_text=self.text,
                # The run's own start, not the clock: re-rendering a run gives the same bytes.
                generated=started.astimezone(UTC),
                currency=self.config.currency,
            )
            stored = self.store.write_run(record, progress=step, lock=False)
            if stored != run_id:  # pragma: no cover - the lock makes this impossible
                raise SegwiseError(f"run {run_id} was stored as {stored}")
        self.store.mark_report(run_id, report_path)
        for result in results:
            if result.after_commit is not None:
                result.after_commit()  # e.g. a cluster model fitted in this run, for the next ones
        return RunResult(
            run_id,
            inputs.as_of,
            engine_name,
            inputs.features.height,
            report_path,
            self.store.path,
            quality,
            results,
        )

    def _as_of(self, override: str | date | None, transactions: Dataset) -> date:
        cut = resolve_as_of(override)
        if cut is not None:
            if cut.instant is not None and cut.instant.time() != time(0):
                # A run, its report and its stored memberships are as of a day; cutting a
                # datetime to its day would silently count purchases after that instant.
                raise ConfigError(
                    f"as-of '{override}' has a time of day, but a project runs as of a whole day",
                    hint=f"write the day, e.g. {cut.day.isoformat()}",
                )
            return cut.day
        if self.config.as_of is not None:
            return self.config.as_of
        latest = transactions.data.select(nw.col("timestamp").max()).collect().item()
        if latest is None:
            raise ConfigError("the transactions have no usable timestamps")
        return latest.date() if isinstance(latest, datetime) else latest


def _features(datasets: dict[str, Dataset], as_of: date | None) -> Any:
    return customer_features(
        datasets["transactions"],
        customers=datasets.get("customers"),
        events=datasets.get("events"),
        as_of=as_of,
    )


def _keep_notes(result: SegmentationResult, caught: list[warnings.WarningMessage]) -> None:
    """Keep segwise's warnings from a segmentation as notes on its result.

    Collapsed RFM bins, unstable clusters: shown on the report and stored with
    the run, never swallowed. Other libraries' warnings go on as warnings.
    """
    notes = result.warnings
    for warning in caught:
        if not warning.category.__module__.startswith("segwise"):
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
            continue
        text = str(warning.message)
        if not any(text in note for note in notes):
            notes.append(text)
    result.definition["warnings"] = list(notes)


def _lines(problem: SegwiseError) -> list[str]:
    """A problem as the lines ``segwise validate`` prints."""
    if isinstance(problem, ProblemsError):
        return list(problem.problems)
    return [problem.render() if isinstance(problem, RuleError) else problem.one_line()]


def _check_as_of(cutoff: date, transactions: QualityReport) -> None:
    """An as-of date before the first purchase leaves nothing to segment: say so, plainly."""
    first = transactions.first_timestamp
    if first is not None and cutoff < first.date():
        raise ConfigError(
            f"as-of date {cutoff} is before the first transaction ({first.date()}): "
            "no customer has bought anything yet",
            hint=f"choose a date from {first.date()} on",
        )
