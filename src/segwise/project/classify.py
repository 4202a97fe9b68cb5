"""Real-time classification: which segments one customer would be in now.

The service's ``POST /classify`` (Apache Unomi's "does this profile match")
answers from one customer's attributes, and optionally their recent events
and orders, without a run and without writing anything. It evaluates the
very expressions a run evaluates:

- rule segmentations: the project's catalog through
  :class:`~segwise.segmenters.RuleSegmenter`;
- cluster segmentations: the latest run's fitted model, rebuilt from its
  stored definition (:meth:`ClusterSegmenter.from_definition`), through
  ``assign``.

Attributes not given are taken from the latest run's customer table when the
customer is known (so a caller may send only what changed), else left empty.
Event conditions (``performed(...)``) count only the events and orders sent.
Other methods score customers against the whole population (RFM quantiles,
model tiers), so they are listed as skipped with the reason.

Both are planned once into one Polars plan (:mod:`segwise.engine.prepared`),
and once more for calls without events or orders (their event counts are
constants there); calls that arrive together are evaluated together, one row
each, in one run of it.
"""

from __future__ import annotations

import bisect
import functools
import itertools
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw
import polars as pl

from segwise.engine.prepared import MicroBatcher, PreparedQuery
from segwise.exceptions import ConfigError, SegwiseError
from segwise.lang.evaluate import EVENT_ID, EVENT_NAME, EVENT_TIME
from segwise.project.catalogs import catalog_of
from segwise.project.config import ClusterSegmentation, RulesSegmentation
from segwise.project.feature_domains import check_feature_value
from segwise.segmenters import ClusterSegmenter, RuleSegmenter

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from concurrent.futures import Future

    from segwise.project.pipeline import Project
    from segwise.store import Workspace

_EVENTS = pl.Schema({EVENT_ID: pl.String(), EVENT_TIME: pl.Datetime("us"), EVENT_NAME: pl.String()})
_ORDERS = pl.Schema(
    {
        EVENT_ID: pl.String(),
        EVENT_TIME: pl.Datetime("us"),
        "amount": pl.Float64(),
        "order_id": pl.String(),
        "is_return": pl.Boolean(),
    }
)


@dataclass(frozen=True)
class Classification:
    """One customer's segments per segmentation, and what could not be classified."""

    customer_id: str | None
    as_of: date
    run_id: int
    known: bool
    segments: dict[str, list[str]]
    skipped: dict[str, str] = field(default_factory=dict)
    #: Attributes sent that no customer-table column has (no segmentation reads them).
    ignored: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "customer_id": self.customer_id,
            "as_of": self.as_of.isoformat(),
            "run_id": self.run_id,
            "known_customer": self.known,
            "segments": self.segments,
            "skipped": self.skipped,
            "ignored_attributes": self.ignored,
        }


class Classifier:
    """Everything a classification needs, prepared once per project file and run.

    Examples
    --------
    >>> import tempfile, segwise as sw
    >>> folder = tempfile.mkdtemp()
    >>> project = sw.Project.from_yaml(sw.Project.init(folder))
    >>> _ = project.run()
    >>> found = Classifier(project).classify({"net_revenue": 5000, "orders": 20})
    >>> found.segments["lifecycle"]
    ['VIP']
    """

    def __init__(self, project: Project, store: Workspace | None = None) -> None:
        self.project = project
        self.store = store or project.store
        latest = self.store.last_run()
        if latest is None:
            raise ConfigError("no run to classify against", hint="run the project first")
        self.run_id = int(latest["run_id"])
        self.as_of: date = latest["as_of"]
        with self.store.reading():
            stored = self.store.definitions(self.run_id)
            features = self.store.latest_features()
        self.features = (
            pl.DataFrame(schema={"customer_id": pl.String})
            if features is None
            else features.with_columns(pl.col("customer_id").cast(pl.String)).sort("customer_id")
        )
        # Rows are Python dicts until a batch becomes one frame: a one-row frame per call
        # (slice, with_columns, concat) cost more than running the whole plan.
        self._schema = self.features.schema
        self._ids: list[str] = self.features["customer_id"].to_list()
        from segwise.project.pseudonyms import id_map  # noqa: PLC0415 - loads DuckDB

        # With pseudonyms, id lists and a known customer's id as written become pseudonyms.
        self._id_map = id_map(project)
        self.skipped: dict[str, str] = {}
        self._prepare(stored)

    def _prepare(self, stored: Mapping[str, dict[str, Any]]) -> None:
        schemas: dict[str, pl.Schema] = {
            "customers": self.features.schema,
            "events": _EVENTS,
            "transactions": _ORDERS,
        }
        empty = {name: pl.DataFrame(schema=schema) for name, schema in schemas.items()}
        builds: dict[str, Callable[[dict[str, Any]], Any]] = {}
        for name, spec in self.project.config.segmentations.items():
            try:
                query = self._query(name, spec, stored, empty)
                if not isinstance(query, str):
                    PreparedQuery(query, schemas)  # plans alone first: a bad one is skipped alone
            except SegwiseError as exc:
                self.skipped[name] = exc.one_line()
                continue
            if isinstance(query, str):
                self.skipped[name] = query
            else:
                builds[name] = query
        self.names = list(builds)
        # Every segmentation in one plan: one collect per request instead of one each.
        self.query = PreparedQuery(functools.partial(_together, builds), schemas)
        # Most calls send no events: a second plan where the event tables are known empty
        # reads their counts as constants (no join, group-by or sort: half the rules' cost).
        self.quiet = PreparedQuery(
            lambda tables: _together(builds, {**_NO_EVENTS, **tables}),
            {"customers": schemas["customers"]},
        )
        self._serial = itertools.count()
        # A customer appears once per batch: their events must not mix with a second call's.
        self._batcher = MicroBatcher(self._run_batch, key=lambda request: request.key)

    def _query(
        self,
        name: str,
        spec: Any,
        stored: Mapping[str, dict[str, Any]],
        empty: dict[str, pl.DataFrame],
    ) -> Callable[[dict[str, Any]], Any] | str:
        """How to place one customer in this segmentation, or why it cannot be done."""
        if spec.level != "customer":
            return "segments accounts; classify places one customer"
        if isinstance(spec, RulesSegmentation):
            catalog = catalog_of(name, spec, self.project.paths, self._id_map)
            rules = RuleSegmenter(catalog, id_col="customer_id", as_of=self.as_of)
            rules.fit(
                empty["customers"], events=empty["events"], transactions=empty["transactions"]
            )
            return lambda t: rules.segment(
                t["customers"], events=t["events"], transactions=t["transactions"]
            )
        if isinstance(spec, ClusterSegmentation):
            if name not in stored:
                return f"not in run {self.run_id}: run the project first"
            model = ClusterSegmenter.from_definition(stored[name])
            return lambda t: model.assign(t["customers"]).select("customer_id", "segment")
        return (
            f"{spec.method} segments score customers against the whole population; "
            "see the latest run's membership"
        )

    def _holds(self, customer_id: str) -> bool:
        at = bisect.bisect_left(self._ids, customer_id)
        return at < len(self._ids) and self._ids[at] == customer_id

    def _stored(self, customer_id: str) -> str:
        """The id as the run holds it: as given (a pseudonym), else its pseudonym."""
        if self._holds(customer_id) or self._id_map is None:
            return customer_id
        return str(self._id_map(pl.Series([customer_id]))[0])

    def _row(
        self, customer_id: str | None, attributes: Mapping[str, Any]
    ) -> tuple[dict[str, Any], bool, list[str]]:
        """One row in the features' types: the stored row of a known customer, then the given.

        Also returns the attributes no segmentation reads (not in the customer table).
        """
        row: dict[str, Any] | None = None
        if customer_id is not None and self._holds(customer_id):
            row = self.features.row(bisect.bisect_left(self._ids, customer_id), named=True)
        known = row is not None
        if row is None:
            row = dict.fromkeys(self._schema)
        ignored = sorted(k for k in attributes if k not in self._schema)
        for column, value in attributes.items():
            dtype = self._schema.get(column)
            if dtype is None or column == "customer_id":
                continue
            check_feature_value(column, value, dtype)
            series = pl.Series(column, [value], strict=False).cast(dtype, strict=False)
            if value is not None and series.null_count():
                raise ConfigError(
                    f"attribute '{column}': {value!r} is not a {dtype}",
                    hint="send the value in the type of the customer table's column",
                )
            row[column] = series[0]
        return row, known, ignored

    def classify(
        self,
        attributes: Mapping[str, Any],
        *,
        customer_id: str | None = None,
        events: Sequence[Mapping[str, Any]] = (),
        orders: Sequence[Mapping[str, Any]] = (),
        fill_known: bool = True,
    ) -> Classification:
        """The segments this customer would be in under every rule and cluster segmentation.

        ``fill_known=False`` treats every customer as new (no stored values are read).
        Calls from many threads at once are evaluated together, in one run of the plan.
        """
        future, finish = self.submit(
            attributes, customer_id=customer_id, events=events, orders=orders, fill_known=fill_known
        )
        return finish({} if future is None else future.result())

    def submit(
        self,
        attributes: Mapping[str, Any],
        *,
        customer_id: str | None = None,
        events: Sequence[Mapping[str, Any]] = (),
        orders: Sequence[Mapping[str, Any]] = (),
        fill_known: bool = True,
    ) -> tuple[Future[dict[str, Any]] | None, Callable[[dict[str, Any]], Classification]]:
        """:meth:`classify` for an event loop: a future of the batch's row, and its reading."""
        request, finish = self.prepare(
            attributes, customer_id=customer_id, events=events, orders=orders, fill_known=fill_known
        )
        return (self._batcher.future(request) if self.names else None), finish

    def prepare(
        self,
        attributes: Mapping[str, Any],
        *,
        customer_id: str | None,
        events: Sequence[Mapping[str, Any]],
        orders: Sequence[Mapping[str, Any]],
        fill_known: bool,
    ) -> tuple[_Request, Callable[[dict[str, Any]], Classification]]:
        """The request for the batch, and how to read its row of the answer."""
        given = customer_id  # the answer names them as asked
        if customer_id is not None and self._id_map is not None:
            customer_id = self._stored(customer_id)
        row, known, ignored = self._row(customer_id if fill_known else None, attributes)
        # Each request its own key: two unknown customers must not share their events.
        key = customer_id if customer_id is not None else f"__anonymous_{next(self._serial)}"
        request = _Request(
            key,
            {**row, "customer_id": key},
            _table(events, _EVENTS, key),
            _table(orders, _ORDERS, key),
        )

        def finish(held: dict[str, Any]) -> Classification:
            found: dict[str, list[str]] = {}
            for name in self.names:
                value = held[name]
                if "segment" in value:
                    found[name] = [str(value["segment"])]
                else:  # an overlapping catalog: one flag per audience
                    found[name] = [audience for audience, flag in value.items() if flag]
            return Classification(
                given, self.as_of, self.run_id, known, found, dict(self.skipped), ignored
            )

        return request, finish

    def _run_batch(self, requests: list[_Request]) -> list[dict[str, Any]]:
        """Every request of a batch in one run of the plan; answers in request order."""
        customers = pl.DataFrame([r.row for r in requests], schema=self._schema, strict=False)
        if any(r.events.height or r.orders.height for r in requests):
            out = self.query.run(
                customers=customers,
                events=_stacked([r.events for r in requests], _EVENTS),
                transactions=_stacked([r.orders for r in requests], _ORDERS),
            )
        else:
            out = self.quiet.run(customers=customers)
        by_key = {row["customer_id"]: row for row in out.iter_rows(named=True)}
        return [by_key[r.key] for r in requests]


@dataclass(frozen=True)
class _Request:
    key: str
    row: dict[str, Any]
    events: pl.DataFrame
    orders: pl.DataFrame


def _together(
    builds: Mapping[str, Callable[[dict[str, Any]], Any]], tables: dict[str, Any]
) -> pl.LazyFrame:
    """Per customer: a struct per segmentation of its segment (or its audiences' flags)."""
    parts = []
    for position, (name, build) in enumerate(builds.items()):
        frame = build(tables)
        native = nw.to_native(frame) if isinstance(frame, nw.LazyFrame) else frame
        # Sorted by id, the parts line up row for row: cheaper than joining them.
        columns = [pl.col("customer_id")] if position == 0 else []
        parts.append(
            native.sort("customer_id").select(
                *columns, pl.struct(pl.exclude("customer_id")).alias(name)
            )
        )
    together: pl.LazyFrame = pl.concat(parts, how="horizontal")
    return together


def _table(rows: Sequence[Mapping[str, Any]], schema: pl.Schema, key: str) -> pl.DataFrame:
    """Events or orders of the one customer, in the columns the rule language reads."""
    if not rows:
        return _EMPTY[id(schema)]
    records = []
    for position, row in enumerate(rows):
        stamp = row.get(EVENT_TIME)
        if not isinstance(stamp, str | datetime | date):
            raise ConfigError(
                f"event {position + 1}: no timestamp", hint="give each an ISO 'timestamp'"
            )
        try:
            when = datetime.fromisoformat(stamp) if isinstance(stamp, str) else stamp
        except ValueError:
            raise ConfigError(
                f"event {position + 1}: timestamp '{stamp}' is not an ISO date or time",
                hint="write it as YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS",
            ) from None
        records.append({**row, EVENT_ID: key, EVENT_TIME: when})
    frame = pl.DataFrame(records, infer_schema_length=None)
    return pl.DataFrame(
        {
            c: frame[c].cast(t, strict=False)
            if c in frame.columns
            else pl.Series(c, [None] * frame.height, t)
            for c, t in schema.items()
        }
    )


def _stacked(frames: list[pl.DataFrame], schema: pl.Schema) -> pl.DataFrame:
    """The batch's events (most calls send none: concatenating empty frames is not free)."""
    given = [frame for frame in frames if frame.height]
    return pl.concat(given) if given else _EMPTY[id(schema)]


_EMPTY = {id(schema): pl.DataFrame(schema=schema) for schema in (_EVENTS, _ORDERS)}
#: In memory and empty, so the rules know there is nothing to count (a source could hold rows).
_NO_EVENTS = {"events": _EMPTY[id(_EVENTS)], "transactions": _EMPTY[id(_ORDERS)]}
