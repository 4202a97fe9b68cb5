"""``segwise validate``: check a project without running it, and report every problem at once.

The file, the paths, every source (read and checked) and every segmentation
(compiled against the features) are each tried; what fails is collected, so
one round of fixes is enough. A source that cannot be read is reported once,
not again by every rule and feature that would have used it.
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from segwise.engine.frames import to_lazy
from segwise.exceptions import ProblemsError, RuleError, SegwiseError
from segwise.features.accounts import account_view
from segwise.features.behaviour import customer_features
from segwise.project.ingest import check_as_of, check_value_column, personal_columns, run_as_of
from segwise.project.methods import CheckInputs, method_for
from segwise.project.population import PopulationWarning, left_out, source_name
from segwise.project.results import as_polars

if TYPE_CHECKING:
    from collections.abc import Callable

    from segwise.io.dataset import Dataset
    from segwise.io.quality import QualityReport
    from segwise.project.pipeline import Project


def validate_project(project: Project, step: Callable[[str], None]) -> list[QualityReport]:
    """Check everything; return the quality reports, or raise every problem found."""
    problems: list[SegwiseError] = []

    def attempt(action: Callable[[], Any]) -> Any:
        try:
            return action()
        except SegwiseError as exc:
            problems.append(exc)
            return None

    config = project.config
    attempt(project.check_paths)
    step("Reading the sources")
    datasets: dict[str, Dataset] = {}
    reports: list[QualityReport] = []
    for name, source in config.sources:
        dataset = attempt(functools.partial(project.read_source, name)) if source else None
        report = attempt(dataset.quality) if dataset is not None else None
        if dataset is not None and report is not None:
            datasets[name] = dataset
            reports.append(report)
    step("Checking the segmentations")
    features = None
    # Without an orders source the customer table is the population; a failed read builds nothing.
    population = "transactions" if config.sources.transactions is not None else "customers"
    if population in datasets:
        if config.as_of is not None and population == "transactions":
            attempt(functools.partial(check_as_of, config.as_of, reports[0]))
        personal = personal_columns(project, datasets)
        joined = config.sources.customers.joined if config.sources.customers else None
        features = attempt(
            functools.partial(_features, datasets, config.as_of, personal, joined=joined)
        )
        value = config.sources.customers.value if config.sources.customers else None
        if features is not None and value is not None:
            schema = to_lazy(features).collect_schema()
            attempt(functools.partial(check_value_column, dict(schema.items()), value))
    failed = {n for n, source in config.sources if source and n not in datasets}
    inputs = CheckInputs(features, datasets, project.paths, failed)
    by_level = {"customer": inputs}
    if "account" in config.levels and features is not None and "customers" in datasets:
        rolled = attempt(functools.partial(_account_features, datasets, project))
        by_level["account"] = replace(inputs, features=rolled)
    for position, (name, spec) in enumerate(config.segmentations.items()):
        at_level = by_level.get(spec.level, replace(inputs, features=None))
        at_level = replace(at_level, earlier=tuple(list(config.segmentations)[:position]))
        attempt(functools.partial(method_for(spec).check, name, spec, at_level))
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise ProblemsError([line for p in problems for line in _lines(p)])
    _warn_left_out(project, datasets)
    return reports


def _warn_left_out(project: Project, datasets: dict[str, Dataset]) -> None:
    """Warn of ids in the orders or events that the customer table lacks: runs leave them out."""
    if "customers" not in datasets:  # then every buyer is segmented
        return
    cutoff = run_as_of(None, project.config.as_of, datasets)
    tables: dict[str, Any] = {
        n: datasets[n].data.to_native() for n in ("transactions", "events") if n in datasets
    }
    held = as_polars(datasets["customers"].data.select("customer_id").to_native())
    found = left_out(tables, held, cutoff, customer_table=True)
    for _level, message in found.notes(source_name(project.config.sources.customers)):
        warnings.warn(message, PopulationWarning, stacklevel=3)


def _features(
    datasets: dict[str, Dataset], as_of: Any, personal: list[str], *, joined: str | None = None
) -> Any:
    """The features a run builds (the personal columns left out as a run leaves them)."""
    customers: Any = datasets.get("customers")
    if customers is not None and personal:
        customers = customers.data.drop(*personal)
    return customer_features(
        datasets.get("transactions"),
        customers=customers,
        events=datasets.get("events"),
        as_of=as_of,
        joined=joined,
    )


def _account_features(datasets: dict[str, Dataset], project: Project) -> Any:
    """The account-level features a ``level: account`` segmentation is checked against."""
    customers = project.config.sources.customers
    assert customers is not None and customers.account_id is not None  # the config checks it
    tables = {name: dataset.data.to_native() for name, dataset in datasets.items()}
    cutoff = run_as_of(None, project.config.as_of, datasets)
    view = account_view(tables, account=customers.account_id, as_of=cutoff, role=customers.role)
    return as_polars(view.features)


def _lines(problem: SegwiseError) -> list[str]:
    """A problem as the lines ``segwise validate`` prints."""
    if isinstance(problem, ProblemsError):
        return list(problem.problems)
    return [problem.render() if isinstance(problem, RuleError) else problem.one_line()]
