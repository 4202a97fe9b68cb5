"""The main job: ingest → features → every segmentation → profiles → store → report.

``Project.run()`` reads the sources with their quality reports, builds
customer features as of a date, runs each segmentation of the project file
(rfm, rules, cluster, clv) in the chosen engine, profiles the segments,
stores the run atomically in the workspace and writes the HTML report.
"""

from __future__ import annotations

import functools
import hashlib
import warnings
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import narwhals.stable.v2 as nw
import numpy as np
import polars as pl

from segwise._validation import hint_for
from segwise._version import __version__
from segwise.engine.frames import to_lazy
from segwise.exceptions import ConfigError, ProblemsError, RuleError, SegwiseError
from segwise.features.behaviour import customer_features
from segwise.features.rfm import rfm_table
from segwise.features.score_map import MANAGEABLE_SEGMENTS, ScoreMap, too_many_segments
from segwise.features.summary import rfm_summary
from segwise.io.readers import read_customers, read_events, read_transactions
from segwise.io.writers import atomic_path
from segwise.models import predict_customers
from segwise.profiling import profile_segments
from segwise.profiling.profiles import SegmentProfiles
from segwise.project.clustering import run_clustering
from segwise.project.clv_backtest import holdout_backtest
from segwise.project.config import (
    ClusterSegmentation,
    ClvSegmentation,
    ProjectConfig,
    RfmSegmentation,
    RulesSegmentation,
)
from segwise.project.paths import QUARANTINE_DIR, ProjectPaths
from segwise.project.results import SegmentationResult, as_polars, playbook_lines, playbook_text
from segwise.project.results import cards as make_cards
from segwise.project.scaffold import scaffold
from segwise.project.workspace import read_project_file
from segwise.report.clv import clv_section
from segwise.report.project import render_project_report
from segwise.segmenters import RuleCatalog, RuleSegmenter
from segwise.store import RunRecord, SegmentationRecord, Workspace

if TYPE_CHECKING:
    from collections.abc import Callable

    from segwise.io.dataset import Dataset
    from segwise.io.quality import QualityReport

PREDICTIVE_ACTIONS = {
    "At-risk high value": "Personal outreach before they go: a call, a tailored offer.",
    "Churn risk": "Win back: a reminder with an incentive, then let go if silent.",
    "Rising": "Nurture the momentum: recommendations and a loyalty invitation.",
    "Stable": "Business as usual: regular communications, no discounts needed.",
}


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
        models = {
            f"segmentations.{name}.model": self.resolve(
                spec.model, key=f"segmentations.{name}.model"
            )
            for name, spec in self.config.segmentations.items()
            if isinstance(spec, ClusterSegmentation) and spec.model
        }
        self.paths.check_outputs(
            {
                "store": store,
                "the store's lock file": store.with_name(store.name + ".lock"),
                "report": report,
                "quarantine": self.resolve(QUARANTINE_DIR, key="quarantine"),
                **models,
            },
            sources,
        )
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
        return {
            name: self.read_source(name)
            for name, source in self.config.sources
            if source is not None
        }

    def read_source(self, name: str) -> Dataset:
        """Read one source (``transactions``, ``customers`` or ``events``) with its roles."""
        sources = self.config.sources
        tx = sources.transactions
        amount = tx.amount if isinstance(tx.amount, str) else None
        quantity = (
            tx.amount.quantity if tx.amount is not None and not isinstance(tx.amount, str) else None
        )
        price = (
            tx.amount.unit_price
            if tx.amount is not None and not isinstance(tx.amount, str)
            else None
        )
        if name == "transactions":
            return read_transactions(
                self.resolve(tx.path, key="sources.transactions.path"),
                customer_id=tx.customer_id,
                timestamp=tx.timestamp,
                amount=amount,
                quantity=quantity,
                unit_price=price,
                order_id=tx.order_id,
                product=tx.product,
                category=tx.category,
                channel=tx.channel,
                policy=tx.policy,
                returns=tx.returns,
                duplicates=tx.duplicates,
                non_positive_price=tx.non_positive_price,
                non_product_codes=tx.non_product_codes,
                timestamp_format=tx.timestamp_format,
                delimiter=tx.delimiter,
                encoding=tx.encoding,
                sheet=tx.sheet,
                table=tx.table,
                query=tx.query,
            )
        if name == "customers" and sources.customers is not None:
            c = sources.customers
            return read_customers(
                self.resolve(c.path, key="sources.customers.path"),
                customer_id=c.customer_id,
                pii=c.pii,
                delimiter=c.delimiter,
                encoding=c.encoding,
                sheet=c.sheet,
                table=c.table,
                query=c.query,
            )
        if name == "events" and sources.events is not None:
            e = sources.events
            return read_events(
                self.resolve(e.path, key="sources.events.path"),
                customer_id=e.customer_id,
                timestamp=e.timestamp,
                event=e.event,
                timestamp_format=e.timestamp_format,
                delimiter=e.delimiter,
                encoding=e.encoding,
                table=e.table,
                query=e.query,
            )
        raise ConfigError(f"sources.{name}: not in the project file")

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
            if source is None:
                continue
            dataset = attempt(functools.partial(self.read_source, name))
            report = attempt(dataset.quality) if dataset is not None else None
            if report is not None:
                datasets[name] = dataset
                reports.append(report)
        step("Checking the segmentations")
        features = None
        if "transactions" in datasets:
            if self.config.as_of is not None:
                attempt(lambda: _check_as_of(self.config.as_of, reports[0]))  # type: ignore[arg-type]
            features = attempt(
                lambda: customer_features(
                    datasets["transactions"],
                    customers=datasets.get("customers"),
                    events=datasets.get("events"),
                    as_of=self.config.as_of,
                )
            )
        # A segmentation is checked against what could be read: a source that failed is
        # reported once, not again by every rule and feature that would have used it.
        failed = {n for n, source in self.config.sources if source and n not in datasets}
        for name, spec in self.config.segmentations.items():
            attempt(
                functools.partial(
                    self._check_segmentation, name, spec, features, datasets, failed=failed
                )
            )
        if len(problems) == 1:
            raise problems[0]
        if problems:
            raise ProblemsError([line for p in problems for line in _lines(p)])
        return reports

    def _check_segmentation(
        self,
        name: str,
        spec: Any,
        features: Any,
        datasets: dict[str, Dataset],
        *,
        failed: frozenset[str] | set[str] = frozenset(),
    ) -> None:
        """Compile one segmentation against the features (when the sources could be read)."""
        if isinstance(spec, RfmSegmentation):
            self._score_map(spec)
            return
        if isinstance(spec, RulesSegmentation):
            catalog = self._catalog(name, spec)
            if features is not None:
                _check_rules(catalog, to_lazy(features).head(50), datasets, set(failed))
            return
        if isinstance(spec, ClusterSegmentation) and features is not None and not failed:
            schema = dict(to_lazy(features).collect_schema())
            missing = [
                c for c in [*(spec.features or []), *(spec.categorical or [])] if c not in schema
            ]
            if missing:
                raise ConfigError(
                    f"segmentation '{name}': no feature column '{missing[0]}'",
                    hint=hint_for(missing[0], schema),
                )

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
            return self._run_locked(as_of=as_of, engine=engine, step=step, spark=spark)

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

    def _run_locked(
        self,
        *,
        as_of: str | date | None,
        engine: str | None,
        step: Callable[[str], None],
        spark: Any,
    ) -> RunResult:
        started = datetime.now()
        engine_name = engine or self.config.engine_name
        if engine_name not in ("polars", "duckdb", "spark"):
            raise ConfigError(
                f"engine must be polars, duckdb or spark, not '{engine_name}'",
                hint="e.g. --engine duckdb",
            )
        step("Reading the sources")
        datasets = self.read_sources()
        step("Checking data quality")
        quality = []
        for source, dataset in datasets.items():
            report = dataset.quality()
            if report.rows_quarantined:
                # Bad rows are kept, with their reason, next to the project: never dropped silently.
                target = self.resolve(QUARANTINE_DIR) / f"{source}.quarantine.csv"
                target.parent.mkdir(parents=True, exist_ok=True)
                dataset.write_quarantine(target)
                report.notes.append(f"quarantined rows written to {target}")
            quality.append(report)
        cutoff = self._as_of(as_of, datasets["transactions"])
        _check_as_of(cutoff, datasets["transactions"].quality())
        step(f"Moving the data to {engine_name}")
        tables = _on_engine(
            {k: d.data for k, d in datasets.items()}, engine_name, spark or self._spark(engine_name)
        )
        step("Building customer features")
        features_native = customer_features(
            tables["transactions"],
            customers=tables.get("customers"),
            events=tables.get("events"),
            as_of=cutoff,
        )
        features = as_polars(features_native).sort("customer_id")
        results = []
        for name, spec in self.config.segmentations.items():
            step(f"Segmentation '{name}' ({spec.method})")
            with warnings.catch_warnings():
                warnings.simplefilter(
                    "ignore"
                )  # notes (collapsed bins, unstable segments) go in cards
                if isinstance(spec, RfmSegmentation):
                    results.append(self._rfm(name, spec, tables, features, cutoff))
                elif isinstance(spec, RulesSegmentation):
                    results.append(
                        self._rules(name, spec, tables, features_native, features, cutoff)
                    )
                elif isinstance(spec, ClusterSegmentation):
                    results.append(self._cluster(name, spec, features_native, features, cutoff))
                else:
                    # Value tiers are a segmentation of their own (`<name>_tiers`): stored,
                    # reported and reachable with `segwise members CONFIG high`.
                    results.extend(self._clv(name, spec, tables, features, cutoff))
        step("Storing the run")
        record = RunRecord(
            project=self.config.name,
            as_of=cutoff,
            config_hash=self.config_hash,
            config=self.text,
            version=__version__,
            engine=engine_name,
            customers=features.height,
            started_at=started,
            segmentations=[
                SegmentationRecord(r.name, r.method, r.definition, r.cards, r.members)
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
                as_of=cutoff,
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
            finish = result.extras.pop("after_commit", None)
            if finish is not None:
                finish()  # e.g. a cluster model fitted in this run, saved for the next ones
        return RunResult(
            run_id,
            cutoff,
            engine_name,
            features.height,
            report_path,
            self.store.path,
            quality,
            results,
        )

    # -- helpers ---------------------------------------------------------------------------
    def _as_of(self, override: str | date | None, transactions: Dataset) -> date:
        if override is not None:
            if isinstance(override, date):
                return override
            try:
                return date.fromisoformat(str(override).strip()[:10])
            except ValueError:
                raise ConfigError(
                    f"as-of date '{override}' is not a date", hint="write it as YYYY-MM-DD"
                ) from None
        if self.config.as_of is not None:
            return self.config.as_of
        latest = transactions.data.select(nw.col("timestamp").max()).collect().item()
        if latest is None:
            raise ConfigError("the transactions have no usable timestamps")
        return latest.date() if isinstance(latest, datetime) else latest

    def _spark(self, engine_name: str) -> Any:
        if engine_name != "spark":
            return None
        from pyspark.sql import SparkSession  # noqa: PLC0415 - the optional segwise[spark] extra

        settings = getattr(self.config.engine, "spark", None)
        builder = SparkSession.builder.master(settings.master if settings else "local[2]")
        builder = builder.config("spark.sql.session.timeZone", "UTC")
        for key, value in (settings.config if settings else {}).items():
            builder = builder.config(key, value)
        return builder.getOrCreate()

    def _catalog(self, name: str, spec: RulesSegmentation) -> RuleCatalog:
        if spec.catalog is not None:
            catalog = RuleCatalog.from_yaml(
                self.resolve(spec.catalog, key=f"segmentations.{name}.catalog")
            )
        else:
            catalog = RuleCatalog(
                name=name,
                exclusive=True if spec.exclusive is None else spec.exclusive,
                other=spec.other,
                segments=spec.segments,
                base_dir=str(self.root),
            )
        if spec.exclusive is not None:
            catalog = catalog.model_copy(update={"exclusive": spec.exclusive})
        if not self.paths.allow_outside:
            catalog = catalog.model_copy(update={"confine_to": str(self.root)})
        return catalog

    def _score_map(self, spec: RfmSegmentation) -> ScoreMap:
        return (
            ScoreMap.from_yaml(self.resolve(spec.map, key="segmentations.map"))
            if spec.map
            else ScoreMap.preset(spec.preset)
        )

    def _profiles(
        self, features: pl.DataFrame, members: pl.DataFrame, exclude: tuple[str, ...] = ()
    ) -> SegmentProfiles:
        joined = features.join(members.unique("customer_id"), on="customer_id", how="left")
        labels = joined["segment"].fill_null("(not scored)").to_numpy()
        table = joined.drop("segment")
        return profile_segments(table, labels, exclude=["customer_id", *exclude], definitions=True)

    def _rfm(
        self,
        name: str,
        spec: RfmSegmentation,
        tables: dict[str, Any],
        features: pl.DataFrame,
        cutoff: date,
    ) -> SegmentationResult:
        score_map = self._score_map(spec)
        table = as_polars(
            rfm_table(
                tables["transactions"],
                monetary_value_col="amount",
                order_id_col="order_id"
                if "order_id" in to_lazy(tables["transactions"]).collect_schema()
                else None,
                as_of=cutoff,
                bins=spec.bins,
                binning=spec.binning,
                segment_map=score_map,
            )
        ).sort("customer_id")
        members = table.select("customer_id", "segment")
        profiles = self._profiles(features, members)
        described = score_map.describe()
        cards = make_cards(
            profiles,
            lambda p: described.get(p.segment, {}).get("description"),
            lambda p: described.get(p.segment, {}).get("action"),
        )
        return SegmentationResult(
            name,
            "rfm",
            members,
            {"method": "rfm", **spec.model_dump(), "map": score_map.name},
            cards,
            {
                "rfm_table": table,
                "bins": spec.bins,
                "warnings": [too_many_segments(len(score_map.segments))]
                if len(score_map.segments) > MANAGEABLE_SEGMENTS
                else [],
            },
        )

    def _rules(
        self,
        name: str,
        spec: RulesSegmentation,
        tables: dict[str, Any],
        features_native: Any,
        features: pl.DataFrame,
        cutoff: date,
    ) -> SegmentationResult:
        catalog = self._catalog(name, spec)
        segmenter = RuleSegmenter(catalog, id_col="customer_id", as_of=cutoff)
        # Fitting checks every rule against the columns; no row needs evaluating twice.
        segmenter.fit(
            to_lazy(features_native).head(0),
            events=tables.get("events"),
            transactions=tables["transactions"],
        )
        out = as_polars(
            segmenter.segment(
                features_native, events=tables.get("events"), transactions=tables["transactions"]
            )
        ).sort("customer_id")
        by_name = {s.name: s for s in catalog.segments}
        if catalog.exclusive:
            members = out.select("customer_id", "segment")
            profiles = self._profiles(features, members)
            cards = make_cards(
                profiles,
                lambda p: by_name[p.segment].where if p.segment in by_name else "no rule matched",
                lambda p: playbook_text(by_name.get(p.segment)),
            )
            for card in cards:
                card["playbook"] = playbook_lines(by_name.get(card["segment"]))
        else:
            long = [
                out.filter(pl.col(s.name)).select("customer_id", pl.lit(s.name).alias("segment"))
                for s in catalog.ordered()
            ]
            members = (
                pl.concat(long)
                if long
                else pl.DataFrame(schema={"customer_id": pl.String, "segment": pl.String})
            )
            cards = []
            table = out.join(features, on="customer_id", how="left", maintain_order="left")
            flags = [s.name for s in catalog.segments]
            for segment in catalog.ordered():
                inside = np.where(table[segment.name].to_numpy(), segment.name, "(rest)")
                profiles = profile_segments(table.drop("customer_id", *flags), inside)
                wanted = [p for p in profiles.segments if p.segment == segment.name]
                audience = SegmentProfiles(profiles.total, profiles.value_col, wanted)
                for card in make_cards(audience, lambda _p: None, lambda _p: None):
                    card["definition"] = segment.where
                    card["action"] = playbook_text(segment)
                    card["playbook"] = playbook_lines(segment)
                    cards.append(card)
        definition = {
            "method": "rules",
            "exclusive": catalog.exclusive,
            "other": catalog.other,
            "segments": [s.model_dump(exclude_none=True) for s in catalog.segments],
        }
        return SegmentationResult(name, "rules", members, definition, cards)

    def _cluster(
        self,
        name: str,
        spec: ClusterSegmentation,
        features_native: Any,
        features: pl.DataFrame,
        cutoff: date,
    ) -> SegmentationResult:
        model = self.resolve(spec.model, key=f"segmentations.{name}.model") if spec.model else None
        return run_clustering(
            name,
            spec,
            features_native,
            features,
            as_of=cutoff,
            model_path=model,
            currency=self.config.currency,
        )

    def _clv(
        self,
        name: str,
        spec: ClvSegmentation,
        tables: dict[str, Any],
        features: pl.DataFrame,
        cutoff: date,
    ) -> tuple[SegmentationResult, SegmentationResult]:
        # The models read purchases: returns are not repeat purchases, nor negative spend.
        lazy = to_lazy(tables["transactions"])
        purchases = (
            lazy.filter(~nw.col("is_return")) if "is_return" in lazy.collect_schema() else lazy
        )
        purchases = purchases.filter(nw.col("amount") > 0).select(
            "customer_id", "timestamp", "amount"
        )
        unit_days = 7.0 if spec.time_unit == "W" else 1.0
        summary = as_polars(
            rfm_summary(
                purchases,
                monetary_value_col="amount",
                observation_period_end=cutoff,
                time_unit=spec.time_unit,
            )
        ).sort("customer_id")
        try:
            predictions = predict_customers(
                summary,
                horizon=spec.horizon or (52.0 if spec.time_unit == "W" else 365.0),
                discount_rate=spec.discount_rate,
                tiers=spec.tiers,
                churn_threshold=spec.churn_threshold,
            )
        except SegwiseError as exc:
            raise ConfigError(f"segmentation '{name}': {exc.one_line()}") from None
        members = predictions.table.select("customer_id", "segment", "tier", "clv", "p_alive")
        enriched = features.join(
            members.select("customer_id", "clv", "p_alive"), on="customer_id", how="left"
        )
        profiles = self._profiles(enriched, members.select("customer_id", "segment"))
        churn = (
            f"P(alive) < {spec.churn_threshold}"
            if predictions.churn_basis == "p_alive"
            else "no purchase for over 2× their own time between purchases (P(alive) could "
            "not discriminate)"
        )
        rules = {
            "At-risk high value": f"top 20% by historical value AND {churn}",
            "Churn risk": churn,
            "Rising": "expected purchases ≥ 1.5× the historical rate",
            "Stable": "everyone else",
        }
        cards = make_cards(
            profiles, lambda p: rules.get(p.segment), lambda p: PREDICTIVE_ACTIONS.get(p.segment)
        )
        extras: dict[str, Any] = {"warnings": [str(w) for w in predictions.warnings]}
        calibration_end = (
            cutoff - timedelta(weeks=spec.holdout_weeks)
            if spec.calibration_end == "auto"
            else spec.calibration_end
        )
        with_holdout = calibration_end < cutoff
        if with_holdout:
            try:
                checked = holdout_backtest(
                    purchases,
                    calibration_end=calibration_end,
                    holdout_end=cutoff,
                    time_unit=spec.time_unit,
                    tiers=spec.tiers,
                    discount_rate=spec.discount_rate,
                    churn_threshold=spec.churn_threshold,
                )
                extras["clv_backtest"] = clv_section(
                    checked,
                    calibration_end=calibration_end.isoformat(),
                    holdout_end=cutoff.isoformat(),
                    time_unit=spec.time_unit,
                    title=f"{name}: lifetime value backtest",
                )
            except SegwiseError as exc:
                extras["warnings"].append(f"the backtest was skipped: {exc.one_line()}")
        else:
            extras["warnings"].append(
                f"the backtest was skipped: the calibration end {calibration_end} is not before "
                f"the as-of date {cutoff}"
            )
        definition = {
            "method": "clv",
            **{k: str(v) for k, v in spec.model_dump().items()},
            **predictions.parameters(),
            "horizon_days": predictions.horizon * unit_days,
            "churn_basis": predictions.churn_basis,
            "warnings": extras["warnings"],
        }
        predictive = SegmentationResult(
            name, "clv", members.select("customer_id", "segment"), definition, cards, extras
        )
        return predictive, self._tiers(name, spec, features, members)

    def _tiers(
        self,
        name: str,
        spec: ClvSegmentation,
        features: pl.DataFrame,
        members: pl.DataFrame,
    ) -> SegmentationResult:
        """The CLV value tiers as their own segmentation, high → low."""
        high, medium = spec.tiers
        tiers = members.select("customer_id", pl.col("tier").alias("segment"))
        enriched = features.join(members.select("customer_id", "clv"), on="customer_id", how="left")
        profiles = self._profiles(enriched, tiers)
        rules = {
            "high": f"the top {high:.0%} by predicted lifetime value",
            "medium": f"the next {medium - high:.0%} by predicted lifetime value",
            "low": f"the remaining {1 - medium:.0%} by predicted lifetime value",
        }
        actions = {
            "high": "Protect and grow: VIP service, early access, referral asks.",
            "medium": "Grow: cross-sell and second-category offers.",
            "low": "Serve efficiently: automated journeys, low-cost channels.",
        }
        cards = make_cards(
            profiles, lambda p: rules.get(p.segment), lambda p: actions.get(p.segment)
        )
        order = {tier: rank for rank, tier in enumerate(("high", "medium", "low"))}
        cards.sort(key=lambda card: order.get(card["name"], len(order)))
        definition = {"method": "clv", "of": name, "tiers": [high, medium], "rank_by": "clv"}
        return SegmentationResult(f"{name}_tiers", "clv", tiers, definition, cards)


def _lines(problem: SegwiseError) -> list[str]:
    """A problem as the lines ``segwise validate`` prints."""
    if isinstance(problem, ProblemsError):
        return list(problem.problems)
    return [problem.render() if isinstance(problem, RuleError) else problem.one_line()]


def _check_rules(
    catalog: RuleCatalog, sample: Any, datasets: dict[str, Dataset], failed: set[str]
) -> None:
    """Compile a catalog; on failure, each segment alone too, so every bad rule is reported.

    A segment that only fails alone because it names another (``in_segment``)
    is not a problem of its own, and neither is an event condition when the
    events source itself could not be read (that problem is reported already).
    """
    tables = {"events": datasets.get("events"), "transactions": datasets["transactions"]}
    try:
        RuleSegmenter(catalog, id_col="customer_id").fit(sample, **tables)
    except RuleError as whole:
        found: list[RuleError] = []
        echoes = 0
        for segment in catalog.segments:
            alone = catalog.model_copy(update={"segments": [segment]})
            try:
                RuleSegmenter(alone, id_col="customer_id").fit(sample, **tables)
            except RuleError as exc:
                text = exc.render()
                if "in_segment" in text or "unknown segment" in text:
                    continue
                if "needs the events table" in text and "events" in failed:
                    echoes += 1
                    continue
                found.append(exc)
        if len(found) > 1:
            raise ProblemsError([e.render() for e in found]) from None
        if found:
            raise found[0] from None
        if not echoes:
            raise whole from None


def _check_as_of(cutoff: date, transactions: QualityReport) -> None:
    """An as-of date before the first purchase leaves nothing to segment: say so, plainly."""
    first = transactions.first_timestamp
    if first is not None and cutoff < first.date():
        raise ConfigError(
            f"as-of date {cutoff} is before the first transaction ({first.date()}): "
            "no customer has bought anything yet",
            hint=f"choose a date from {first.date()} on",
        )


def _on_engine(tables: dict[str, nw.LazyFrame[Any]], engine: str, spark: Any) -> dict[str, Any]:
    """The ingested tables as native frames of the chosen engine."""
    if engine == "polars":
        return {k: v.to_native() for k, v in tables.items()}
    arrow = {k: v.collect(backend="pyarrow").to_native() for k, v in tables.items()}
    if engine == "duckdb":
        connection = duckdb.connect()
        return {k: connection.from_arrow(v) for k, v in arrow.items()}
    return {k: spark.createDataFrame(v) for k, v in arrow.items()}
