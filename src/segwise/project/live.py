"""Rule editing against the latest run: check, live sizes, explain, impact of an edit.

What the service's rule editor calls on every keystroke. The customer table
is the latest run's (kept in the store), held in memory by the caller, so a
preview is one group-by over it, shared by the editors who preview at the same
moment; event and order tables are read from the project's sources only when
a rule has event conditions. Nothing is stored.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl
import yaml

from segwise._config import load_yaml_model
from segwise.engine.prepared import MicroBatcher
from segwise.exceptions import ConfigError, RuleError
from segwise.lang import nodes
from segwise.lang.compiler import column_hint
from segwise.lang.parser import parse_rule
from segwise.profiling import lint_rule_catalog
from segwise.project.catalogs import catalog_of
from segwise.project.config import DOCS, HybridSegmentation, ProjectConfig, RulesSegmentation
from segwise.project.definitions import check_name
from segwise.project.pipeline import Project
from segwise.segmenters import RuleCatalog, RuleSegmenter
from segwise.segmenters.rules import preview_catalogs

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import date

    from segwise.project.preview import ImpactPreview
    from segwise.segmenters.rule_explain import Explanation
    from segwise.segmenters.rule_preview import Preview
    from segwise.store import Workspace


@dataclass
class LiveData:
    """The latest run's customer table, and the project's event tables when asked for."""

    project: Project
    run_id: int
    as_of: date
    features: pl.DataFrame
    _tables: dict[str, Any] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _previews: MicroBatcher[RuleCatalog, Preview] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # Editors previewing at once share passes over the table (see preview_catalogs).
        self._previews = MicroBatcher(self._preview_batch)

    @classmethod
    def load(cls, project: Project, store: Workspace) -> LiveData:
        """From the store's latest run (an error before the first run)."""
        with store.reading():
            latest = store.last_run()
            features = store.latest_features()
        if latest is None or features is None:
            raise ConfigError("no run to preview against", hint="run the project first")
        features = features.with_columns(pl.col("customer_id").cast(pl.String))
        return cls(project, int(latest["run_id"]), latest["as_of"], features)

    def preview(self, catalog: RuleCatalog) -> Preview:
        """``catalog``'s preview; calls from many threads at once are answered together."""
        return self._previews.submit(catalog)

    def _preview_batch(self, catalogs: list[RuleCatalog]) -> list[Preview]:
        tables = next((self.tables(c) for c in catalogs if _has_events(c)), {})
        return preview_catalogs(
            catalogs, self.features, id_col="customer_id", as_of=self.as_of, **tables
        )

    def tables(self, catalog: RuleCatalog) -> dict[str, Any]:
        """Events and transactions, read once, only for catalogs with event conditions."""
        if not _has_events(catalog):
            return {}
        with self._lock:
            if self._tables is None:
                sources = self.project.config.sources
                self._tables = {
                    name: self.project.read_source(name)
                    for name in ("events", "transactions")
                    if getattr(sources, name, None) is not None
                }
            return dict(self._tables)


def _has_events(catalog: RuleCatalog) -> bool:
    return any(
        isinstance(node, nodes.Performed | nodes.EventDate)
        for rule in catalog.rules().values()
        for node in rule.root.walk()
    )


def catalog_from(
    segments: Sequence[dict[str, Any]], *, exclusive: bool = True, other: str = "Other"
) -> RuleCatalog:
    """A catalog from segments as the project file writes them."""
    return RuleCatalog.from_dict(
        {"name": "editor", "exclusive": exclusive, "other": other, "segments": list(segments)}
    )


def check(
    segments: Sequence[dict[str, Any]], *, exclusive: bool = True, columns: Sequence[str] = ()
) -> dict[str, Any]:
    """Parse every rule (errors as data, each with its position) and lint the catalog."""
    errors: list[dict[str, Any]] = []
    read: set[str] = set()
    unknown: list[dict[str, Any]] = []
    for position, segment in enumerate(segments):
        where = segment.get("where")
        if not where:
            continue
        try:
            rule = parse_rule(str(where))
        except RuleError as exc:
            errors.append({"segment": segment.get("name"), "index": position, **exc.to_dict()})
            continue
        read.update(rule.columns)
        unknown += [
            {
                "level": "error",
                "segment": segment.get("name"),
                "kind": "unknown-column",
                "message": f"unknown column '{column}'; "
                + column_hint(column, columns, quoted=f'"{column}"' in str(where)),
            }
            for column in sorted(rule.columns)
            if columns and column not in columns
        ]
    findings: list[dict[str, Any]] = []
    if not errors:
        findings = lint_rule_catalog(catalog_from(segments, exclusive=exclusive)).to_dict()[
            "findings"
        ]
    findings += unknown
    valid = not errors and not any(f["level"] == "error" for f in findings)
    return {"valid": valid, "errors": errors, "findings": findings, "columns": sorted(read)}


def preview(live: LiveData, catalog: RuleCatalog) -> dict[str, Any]:
    """Sizes per segment and per condition on the latest run's customers."""
    found = live.preview(catalog)
    return {
        "run_id": live.run_id,
        "customers": found.total,
        "other": found.other_count,
        "segments": found.to_dict(),
    }


def project_catalog(project: Project, segmentation: str) -> RuleCatalog:
    """A rule segmentation's catalog as the project file defines it now.

    A hybrid's is its rule level: its parent segments and ``other``; the leaves inside
    them come from another method, which a condition cannot explain.
    """
    spec = project.config.segmentations.get(segmentation)
    if isinstance(spec, HybridSegmentation):
        spec = spec.parent()
    if not isinstance(spec, RulesSegmentation):
        raise ConfigError(
            f"no rule segmentation '{segmentation}' in the project",
            hint="explain works on segmentations with method: rules, and on a hybrid's rules",
        )
    return catalog_of(segmentation, spec, project.paths)


def explain(live: LiveData, catalog: RuleCatalog, customer_id: str, segment: str) -> Explanation:
    """Why one customer of the latest run is in or out of ``segment``."""
    segmenter = RuleSegmenter(catalog, id_col="customer_id", as_of=live.as_of)
    return segmenter.explain(live.features, customer_id, segment, **live.tables(catalog))


def explanation_dict(explanation: Explanation, customer_id: str) -> dict[str, Any]:
    """JSON-ready, as ``segwise explain --json`` prints it."""
    return {
        "customer": customer_id,
        "segment": explanation.segment,
        "member": explanation.member,
        "verdict": explanation.verdict,
        "assigned": explanation.assigned,
        # An exclusive catalog's rest: each condition is one segment's whole rule.
        "rest": explanation.rest,
        "conditions": [
            {"depth": c.depth, "condition": c.text, "verdict": c.verdict, "values": dict(c.inputs)}
            for c in explanation.conditions
        ],
    }


def impact(project: Project, segmentation: str, definition: dict[str, Any]) -> ImpactPreview:
    """What an edited rule segmentation would change in the latest run (nothing stored)."""
    check_name(segmentation, "segmentation")
    data = project.config.model_dump(mode="json", exclude_none=True, by_alias=True)
    data["segmentations"] = {**data["segmentations"], segmentation: definition}
    # Through the same validation as a project file, so a bad edit is a located error.
    text = yaml.safe_dump(data, sort_keys=False)
    config = load_yaml_model(ProjectConfig, text, source="the edited definition", docs=DOCS)
    edited = Project(
        config,
        project.root,
        text=project.text,
        project_file=project.paths.project_file,
        allow_outside=project.paths.allow_outside,
    )
    return edited.preview(segmentation=segmentation)
