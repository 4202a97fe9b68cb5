"""What every segmentation method of a project receives, and what it must provide.

A method is two functions: ``run`` (compute the segmentation in the run's
engine and return its results) and ``check`` (compile it against the
features without running, for ``segwise validate``). The registry in
:mod:`segwise.project.methods` maps each config model to its method, so
``run`` and ``validate`` share one dispatch and a new method is one module
plus its config model.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from segwise._validation import hint_for
from segwise.exceptions import ConfigError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from datetime import date

    import polars as pl

    from segwise.io.dataset import Dataset
    from segwise.project.paths import ProjectPaths
    from segwise.project.population import LeftOut
    from segwise.project.results import SegmentationResult


@dataclass(frozen=True)
class RunInputs:
    """A run's inputs for one segmentation.

    ``tables`` and ``features_native`` are in the run's engine; ``features``
    is the same customer table as Polars, sorted by customer id (fits are the
    same on every engine).
    """

    tables: dict[str, Any]
    features_native: Any
    features: pl.DataFrame
    as_of: date
    paths: ProjectPaths
    currency: str | None = None
    #: The customer table's column the cards' value is (``sources.customers.value``);
    #: None: the first of the usual names (net revenue with orders).
    value: str | None = None
    #: The as-of dates of the runs already stored (how long a frozen model has been reused).
    stored_as_of: tuple[date, ...] = ()
    #: False when only the memberships are wanted (``preview``): a method may skip its cards.
    profile: bool = True
    #: The memberships (``customer_id, segment``) of the segmentations run before this one.
    earlier: dict[str, pl.DataFrame] = field(default_factory=dict)
    #: ``customer``, or ``account``: then ``customer_id`` holds account ids throughout.
    level: str = "customer"
    #: The same run at account level, when a segmentation asks for it (B2B projects).
    accounts: RunInputs | None = None
    #: Which contact belongs to which account (``account_id, customer_id``), when mapped.
    contacts: pl.DataFrame | None = None
    #: Customers without profiling consent on the as-of date (None: profiling is not
    #: based on consent; see :mod:`segwise.project.consents`).
    unconsented: tuple[str, ...] | None = None
    #: The transactions' rows read: how large the per-customer aggregations over them are
    #: (the clv method computes them in parts above 20M rows; None when not known).
    rows: int | None = None
    #: The customers of the sources that the population leaves out (None: not counted).
    left_out: LeftOut | None = None
    #: How the ids of an id file the project names (a static segment, a lookalike's seed)
    #: become the run's: their pseudonyms under ``privacy.pseudonymise``; None: as written.
    id_map: Callable[[pl.Series], pl.Series] | None = None

    def read_ids(self, ids: pl.Series) -> pl.Series:
        """``ids`` from a file of the project's, as this run's customer ids are written."""
        return ids if self.id_map is None else self.id_map(ids)

    def at(self, level: str) -> RunInputs:
        """The inputs at ``level`` (``customer`` or ``account``)."""
        if level == self.level:
            return self
        if level == "account" and self.accounts is not None:
            return self.accounts
        raise ConfigError(  # the config's validator makes this unreachable from a project file
            f"this run has no {level}-level inputs",
            hint="map contacts to accounts with sources.customers.account_id",
        )


@dataclass(frozen=True)
class CheckInputs:
    """What ``validate`` could read: the features (None when the transactions failed)."""

    features: Any
    datasets: dict[str, Dataset]
    paths: ProjectPaths
    failed: set[str] = field(default_factory=set)
    #: The segmentations listed before this one (a lookalike's seed must be one of them).
    earlier: tuple[str, ...] = ()


class Runner(Protocol):
    """``run(name, spec, inputs)``: the segmentation's results (one or more)."""

    def __call__(self, name: str, spec: Any, inputs: RunInputs, /) -> list[SegmentationResult]:
        """Run one segmentation."""


class Checker(Protocol):
    """``check(name, spec, inputs)``: raise a SegwiseError for each problem, else nothing."""

    def __call__(self, name: str, spec: Any, inputs: CheckInputs, /) -> None:
        """Check one segmentation without running it."""


def check_features_exist(name: str, wanted: Sequence[str], columns: Iterable[str]) -> None:
    """A ConfigError naming the segmentation and the first of ``wanted`` not among ``columns``.

    Examples
    --------
    >>> try:
    ...     check_features_exist("like", ["orders", "share_sat"], ["orders", "share_sun"])
    ... except ConfigError as error:
    ...     print(error)
    segmentation 'like': no feature column 'share_sat'. Did you mean 'share_sun'?
    """
    known = list(columns)
    missing = [c for c in wanted if c not in known]
    if missing:
        raise ConfigError(
            f"segmentation '{name}': no feature column '{missing[0]}'",
            hint=hint_for(missing[0], known),
        )


def own_warnings(caught: list[warnings.WarningMessage]) -> list[str]:
    """Segwise's own warnings among ``caught``, as text; every other warning is emitted again.

    A segmentation's warnings become notes on its result (the CLI, the report and the
    stored run say them); a library's warning is not ours to keep.
    """
    texts = []
    for warning in caught:
        if warning.category.__module__.startswith("segwise"):
            texts.append(str(warning.message))
        else:
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
    return texts


def _no_outputs(_name: str, _spec: Any) -> dict[str, str]:
    return {}


@dataclass(frozen=True)
class Method:
    """One segmentation method: the config model it runs, its runner and its checker.

    ``outputs(name, spec)`` names the files the method writes besides the
    store and the report (``{"segmentations.x.model": "models/x.json"}``), so
    the project checks them like its own outputs before a run.
    """

    config: type
    run: Runner
    check: Checker
    outputs: Callable[[str, Any], dict[str, str]] = _no_outputs
