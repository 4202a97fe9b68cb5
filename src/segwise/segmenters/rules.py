"""``RuleSegmenter``: segments defined by rules, evaluated in the engine.

Exclusive catalogs give each customer the first segment (by priority) whose
rule is TRUE, and everyone else the catalog's "Other"; overlapping catalogs
give one boolean column per segment. Rules run as Narwhals expressions on
Polars, DuckDB or Spark; event conditions become joins and aggregations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw
import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from segwise._validation import hint_for
from segwise.engine.frames import to_lazy
from segwise.exceptions import ColumnNotFoundError, ConfigError
from segwise.io.dataset import Dataset
from segwise.lang import nodes
from segwise.lang.compiler import RuleCompiler
from segwise.lang.evaluate import EVENT_TIME, RuleTables, add_derived
from segwise.lang.types import StaticMember
from segwise.segmenters._input import as_lazy, estimator_input, is_frame, like_input
from segwise.segmenters.rule_catalog import RuleCatalog
from segwise.segmenters.rule_explain import Explanation, explain
from segwise.segmenters.rule_patterns import (
    ConditionBits,
    SegmentBits,
    catalog_preview,
    count_patterns,
    from_patterns,
    segment_conditions,
)
from segwise.segmenters.rule_preview import Preview, first_match, pair_overlaps

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from segwise.lang.parser import Rule

_LABEL = "__segwise_label"


@dataclass
class _Plan:
    """A catalog compiled against one table: the prepared frame and one condition per segment."""

    frame: nw.LazyFrame[Any]
    conditions: dict[str, nw.Expr]
    compiler: RuleCompiler
    rules: dict[str, Rule]
    static: set[str] = field(default_factory=set)


class RuleSegmenter(BaseEstimator):  # type: ignore[misc]
    """Assign customers to rule-defined segments.

    Parameters
    ----------
    rules
        A :class:`RuleCatalog`, a path to a catalog YAML file, a mapping
        ``{segment name: rule}``, or None (no segments: everyone is "Other").
    exclusive
        Override the catalog's ``exclusive`` setting.
    id_col
        The customer id column of the frames passed in; needed for event
        conditions, static segments, ``segment()`` and ``explain()``.
    as_of
        The date time windows end on (``within => '30d'``, ``days_since``).
        Default: the latest event or transaction date given, else today.

    Attributes
    ----------
    catalog_ : RuleCatalog
        The catalog in use.
    segment_names_ : dict[int, str]
        Label → segment name, in priority order; ``-1`` is "Other".
    labels_ : numpy.ndarray
        Each training row's label (int64; ``-1`` = no segment), in the order the
        rows came: a query's is not fixed, so pair labels with customers
        through :meth:`segment`.
    n_features_in_ : int
        Number of columns seen in ``fit``.
    feature_names_in_ : numpy.ndarray
        Their names, when ``X`` was a frame (rules see an array's columns as ``x0 … xn``).

    Examples
    --------
    >>> import polars as pl
    >>> customers = pl.DataFrame(
    ...     {"id": [1, 2, 3], "orders": [9, 2, None], "city": ["Leeds", "York", "Leeds"]}
    ... )
    >>> seg = RuleSegmenter({"Loyal": "orders >= 5", "Leeds": "city = 'Leeds'"}, id_col="id")
    >>> seg.fit(customers).labels_
    array([ 0, -1,  1])
    >>> seg.segment(customers)["segment"].to_list()
    ['Loyal', 'Other', 'Leeds']
    """

    def __init__(
        self,
        rules: RuleCatalog | str | Path | Mapping[str, str] | None = None,
        *,
        exclusive: bool | None = None,
        id_col: str | None = None,
        as_of: str | date | None = None,
    ) -> None:
        self.rules = rules
        self.exclusive = exclusive
        self.id_col = id_col
        self.as_of = as_of

    # -- configuration ---------------------------------------------------------------------
    def _catalog(self) -> RuleCatalog:
        rules = self.rules
        if rules is None:
            catalog = RuleCatalog()
        elif isinstance(rules, RuleCatalog):
            catalog = rules
        elif isinstance(rules, str | Path):
            catalog = RuleCatalog.from_yaml(rules)
        elif isinstance(rules, dict) or hasattr(rules, "items"):
            catalog = RuleCatalog.from_dict(
                {"segments": [{"name": k, "where": v} for k, v in rules.items()]}
            )
        else:
            raise ConfigError(
                f"rules must be a RuleCatalog, a YAML path or a mapping, not {type(rules).__name__}"
            )
        if self.exclusive is not None and self.exclusive != catalog.exclusive:
            catalog = catalog.model_copy(update={"exclusive": bool(self.exclusive)})
        return catalog

    def _frame(self, X: Any, *, reset: bool) -> nw.LazyFrame[Any]:
        return estimator_input(self, X, reset=reset)

    def _as_of(
        self, events: nw.LazyFrame[Any] | None, transactions: nw.LazyFrame[Any] | None
    ) -> date:
        if self.as_of is not None:
            if isinstance(self.as_of, datetime):
                return self.as_of.date()
            if isinstance(self.as_of, date):
                return self.as_of
            try:
                return datetime.fromisoformat(str(self.as_of).strip()).date()
            except ValueError:
                raise ConfigError(
                    f"as_of '{self.as_of}' is not a date", hint="write it as YYYY-MM-DD"
                ) from None
        latest: list[date] = []
        for table in (events, transactions):
            if table is not None and EVENT_TIME in table.collect_schema():
                value = table.select(nw.col(EVENT_TIME).max()).collect().item()
                if value is not None:
                    latest.append(value.date() if isinstance(value, datetime) else value)
        return max(latest) if latest else date.today()

    def _plan(
        self,
        catalog: RuleCatalog,
        frame: nw.LazyFrame[Any],
        events: Any = None,
        transactions: Any = None,
    ) -> _Plan:
        rules = catalog.rules()
        static_frames = catalog.static_ids()
        events_frame = None if events is None else as_lazy(events)
        transactions_frame = None if transactions is None else as_lazy(transactions)
        schema = frame.collect_schema()
        needs_id = bool(static_frames) or any(
            isinstance(node, nodes.Performed | nodes.EventDate)
            for rule in rules.values()
            for node in rule.root.walk()
        )
        if needs_id or self.id_col is not None:
            self._check_id(schema)
        tables = RuleTables(
            frame,
            self.id_col or "",
            as_of=self._as_of(events_frame, transactions_frame),
            events=events_frame,
            transactions=transactions_frame,
            static={name: to_lazy(ids) for name, ids in static_frames.items()},
            empty=frozenset(
                name
                for name, table in (("events", events), ("transactions", transactions))
                if _known_empty(table)
            ),
        )
        compiler = RuleCompiler(
            dict(schema),
            segments=rules,
            static_segments=frozenset(static_frames),
            event_schemas=tables.event_schemas(),
        )
        conditions: dict[str, nw.Expr] = {}
        for segment in catalog.ordered():
            if segment.is_static:
                member = compiler.derived_column(StaticMember(segment.name))
                conditions[segment.name] = nw.col(member)
            else:
                conditions[segment.name] = compiler.condition(
                    rules[segment.name], source=f"{catalog.name}, segment '{segment.name}'"
                )
        prepared = compiler.add_segment_columns(add_derived(tables, compiler.derived))
        return _Plan(prepared, conditions, compiler, rules, set(static_frames))

    def _check_id(self, schema: Any) -> None:
        if self.id_col is None:
            raise ConfigError(
                "event conditions and static segments need the customer id column",
                hint="pass id_col=... (--id-col on the command line)",
            )
        if self.id_col not in schema:
            raise ColumnNotFoundError(
                f"no id column '{self.id_col}'", hint=hint_for(self.id_col, schema.names())
            )

    @staticmethod
    def _labels(catalog: RuleCatalog, conditions: Mapping[str, nw.Expr]) -> nw.Expr:
        return first_match(
            [
                (conditions[s.name], nw.lit(index, dtype=nw.Int64()))
                for index, s in enumerate(catalog.ordered())
            ],
            nw.lit(-1, dtype=nw.Int64()),
        )

    # -- estimator API ---------------------------------------------------------------------
    def fit(
        self, X: Any, y: Any = None, *, events: Any = None, transactions: Any = None
    ) -> RuleSegmenter:
        """Check the catalog against ``X`` and label its rows.

        Parameters
        ----------
        X
            Customers: any supported frame, a :class:`~segwise.Dataset`, or a 2-D
            array (columns named ``x0 … xn``).
        y
            Ignored.
        events, transactions
            Tables for event conditions (``performed(...)``).
        """
        catalog = self._catalog()
        frame = self._frame(X, reset=True)
        plan = self._plan(catalog, frame, events, transactions)
        self.catalog_ = catalog
        self.segment_names_ = {i: s.name for i, s in enumerate(catalog.ordered())}
        self.segment_names_[-1] = catalog.other
        self.labels_ = self._collect_labels(catalog, plan)
        return self

    def _collect_labels(self, catalog: RuleCatalog, plan: _Plan) -> np.ndarray:
        # with_columns, not select: a catalog with no segments is a bare literal.
        labels = plan.frame.with_columns(
            self._labels(catalog, plan.conditions).alias(_LABEL)
        ).select(_LABEL)
        column = labels.collect(backend="polars").to_native()[_LABEL]
        return np.asarray(column.to_numpy(), dtype=np.int64)

    def predict(self, X: Any, *, events: Any = None, transactions: Any = None) -> np.ndarray:
        """Each row's segment label by priority (int64; ``-1`` = "Other")."""
        check_is_fitted(self)
        frame = self._frame(X, reset=False)
        plan = self._plan(self.catalog_, frame, events, transactions)
        return self._collect_labels(self.catalog_, plan)

    def fit_predict(
        self, X: Any, y: Any = None, *, events: Any = None, transactions: Any = None
    ) -> np.ndarray:
        """``fit(X).labels_``."""
        return self.fit(X, events=events, transactions=transactions).labels_

    # -- frames out ------------------------------------------------------------------------
    def segment(self, X: Any, *, events: Any = None, transactions: Any = None) -> Any:
        """``<id>, segment`` (exclusive) or ``<id>, <one boolean per segment>`` (overlapping).

        Runs in the engine of ``X`` and returns the same kind of frame.
        """
        check_is_fitted(self)
        if self.id_col is None:
            raise ConfigError("segment() needs the customer id column", hint="pass id_col=...")
        catalog = self.catalog_
        frame = as_lazy(X)
        plan = self._plan(catalog, frame, events, transactions)
        if catalog.exclusive:
            names = first_match(
                [
                    (plan.conditions[s.name], nw.lit(s.name, dtype=nw.String()))
                    for s in catalog.ordered()
                ],
                nw.lit(catalog.other, dtype=nw.String()),
            )
            out = plan.frame.select(nw.col(self.id_col), names.alias("segment"))
        else:
            out = plan.frame.select(
                nw.col(self.id_col),
                *(
                    plan.conditions[s.name].fill_null(value=False).alias(s.name)
                    for s in catalog.ordered()
                ),
            )
        return like_input(out, X)

    # -- preview and explain ---------------------------------------------------------------
    def preview(self, X: Any, *, events: Any = None, transactions: Any = None) -> Preview:
        """Sizes of every segment, and of each of its conditions alone and cumulatively.

        One aggregation over the table: fast enough to run on every keystroke.
        """
        catalog = self.catalog_ if hasattr(self, "catalog_") else self._catalog()
        frame = as_lazy(X) if is_frame(X) else self._frame(X, reset=False)
        plan = self._plan(catalog, frame, events, transactions)
        return catalog_preview(catalog, plan.frame, plan.compiler, plan.rules, plan.conditions)

    def overlaps(
        self, X: Any, *, events: Any = None, transactions: Any = None
    ) -> dict[tuple[str, str], int]:
        """Customers matching both rules, for every pair of segments in priority order."""
        catalog = self.catalog_ if hasattr(self, "catalog_") else self._catalog()
        plan = self._plan(catalog, as_lazy(X), events, transactions)
        names = [s.name for s in catalog.ordered()]
        return pair_overlaps(names, plan.frame, plan.conditions)

    def explain(
        self,
        X: Any,
        customer_id: Any,
        segment: str,
        *,
        events: Any = None,
        transactions: Any = None,
    ) -> Explanation:
        """Why one customer is in or out of one segment, condition by condition."""
        catalog = self.catalog_ if hasattr(self, "catalog_") else self._catalog()
        frame = as_lazy(X)
        if self.id_col is None:
            raise ConfigError("explain() needs the customer id column", hint="pass id_col=...")
        plan = self._plan(catalog, frame, events, transactions)
        return explain(
            catalog,
            plan.frame,
            plan.compiler,
            plan.rules,
            self.id_col,
            customer_id,
            segment,
            self._labels(catalog, plan.conditions),
        )

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.requires_fit = True
        return tags


def preview_catalogs(
    catalogs: Sequence[RuleCatalog | str | Path | Mapping[str, str]],
    X: Any,
    *,
    id_col: str | None = None,
    as_of: str | date | None = None,
    events: Any = None,
    transactions: Any = None,
) -> list[Preview]:
    """:meth:`RuleSegmenter.preview` of several catalogs on one table, in as few passes as fit.

    Catalogs whose rules read only the table's own columns (no event
    conditions, static segments or ``in_segment``) share passes: one group-by
    for as many as fit in a pattern, and a condition written the same way in
    several is evaluated once. The others are previewed one by one. This is
    what lets a service answer many editors at once for about the cost of one.

    Examples
    --------
    >>> import polars as pl
    >>> table = pl.DataFrame({"orders": [1, 3, 8]})
    >>> found = preview_catalogs([{"Loyal": "orders >= 3"}, {"Loyal": "orders >= 5"}], table)
    >>> [p.sizes()["Loyal"] for p in found]
    [2, 1]
    """
    frame = as_lazy(X)
    found: dict[int, Preview] = {}
    groups: list[tuple[ConditionBits, list[tuple[int, RuleCatalog, list[SegmentBits]]]]] = []
    for index, given in enumerate(catalogs):
        segmenter = RuleSegmenter(given, id_col=id_col, as_of=as_of)
        catalog = segmenter._catalog()
        plan = segmenter._plan(catalog, frame, events, transactions)
        compiler = plan.compiler
        if compiler.derived or compiler.segment_columns or plan.static:
            found[index] = catalog_preview(
                catalog, plan.frame, compiler, plan.rules, plan.conditions
            )
            continue
        segments = segment_conditions(catalog, compiler, plan.rules, plan.conditions)
        for bits, members in groups:
            layout = bits.place(segments)
            if layout is not None:
                members.append((index, catalog, layout))
                break
        else:
            bits = ConditionBits()
            layout = bits.place(segments)
            if layout is None:  # too many conditions for a pattern: summed alone
                found[index] = catalog_preview(
                    catalog, plan.frame, compiler, plan.rules, plan.conditions
                )
                continue
            groups.append((bits, [(index, catalog, layout)]))
    for bits, members in groups:
        patterns, counts = count_patterns(frame, bits.exprs)
        for index, catalog, layout in members:
            found[index] = from_patterns(
                layout, patterns, counts, exclusive=catalog.exclusive, other=catalog.other
            )
    return [found[index] for index in range(len(catalogs))]


def _known_empty(table: Any) -> bool:
    """True for an in-memory table with no rows (a lazy one is not counted: that is a query)."""
    if table is None or isinstance(table, Dataset) or not is_frame(table):
        return False
    eager = nw.from_native(table, pass_through=True)
    return isinstance(eager, nw.DataFrame) and len(eager) == 0
