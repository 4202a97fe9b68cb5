"""Add the columns compiled rules refer to: days since a date, event counts and dates, static lists.

Each derived column is one aggregation of the events or transactions table
(filtered by name, time window and property filter) left-joined to the
customers, so event conditions run as engine joins, never Python loops.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw

from segwise.engine import portable
from segwise.engine.frames import move_to
from segwise.exceptions import DataError
from segwise.lang.compiler import RuleCompiler
from segwise.lang.parser import Rule
from segwise.lang.types import DaysSince, EventCount, EventDateOf, StaticMember

if TYPE_CHECKING:
    from collections.abc import Mapping

    from segwise.lang.types import Derived

_KEY = "__segwise_key"
_VALUE = "__segwise_value"
_ROW = "__segwise_row"
#: Columns an events or transactions table must have for event conditions.
EVENT_ID, EVENT_TIME, EVENT_NAME = "customer_id", "timestamp", "event"


@dataclass
class RuleTables:
    """The tables a rule reads, and the as-of date that anchors time windows.

    ``events`` needs ``customer_id, timestamp, event``; ``transactions`` needs
    ``customer_id, timestamp`` (and uses ``amount``, ``order_id`` and
    ``is_return`` when present): what ``sw.read_events`` and
    ``sw.read_transactions`` produce. ``static`` maps a static segment's name to
    a one-column frame of ids.
    """

    customers: nw.LazyFrame[Any]
    id_col: str
    as_of: date
    events: nw.LazyFrame[Any] | None = None
    transactions: nw.LazyFrame[Any] | None = None
    static: Mapping[str, nw.LazyFrame[Any]] = field(default_factory=dict)
    empty: frozenset[str] = frozenset()

    def event_schemas(self) -> dict[str, Mapping[str, Any] | None]:
        """Schemas of the event tables, for the compiler."""
        return {
            "events": None if self.events is None else dict(self.events.collect_schema()),
            "transactions": (
                None if self.transactions is None else dict(self.transactions.collect_schema())
            ),
        }


def _window_end(as_of: date) -> datetime:
    """The first instant after the as-of day: everything before it has happened.

    Saturates at the last representable instant, so ``as_of: 9999-12-31`` means
    "everything", not an overflow.
    """
    try:
        return datetime.combine(as_of, time()) + timedelta(days=1)
    except OverflowError:
        return datetime.max.replace(microsecond=0)


def _window_start(end: datetime, days: float) -> datetime | None:
    """``days`` before ``end``, or None (no lower bound) when that is before year 1."""
    try:
        return end - timedelta(days=days)
    except OverflowError:
        return None


def _source(tables: RuleTables, spec: EventCount | EventDateOf) -> str:
    """The table an event condition counts in: purchases and orders in the transactions."""
    purchase = spec.filter.event.lower() in ("purchase", "order")
    return "transactions" if tables.transactions is not None and purchase else "events"


def _events(tables: RuleTables, spec: EventCount | EventDateOf) -> tuple[nw.LazyFrame[Any], str]:
    """The matching events of one event condition, and which table they came from."""
    name = spec.filter.event
    table = _source(tables, spec)
    use_transactions = table == "transactions"
    frame = tables.transactions if use_transactions else tables.events
    assert frame is not None  # the compiler has checked the table exists
    schema = frame.collect_schema()
    for column in (
        (EVENT_ID, EVENT_TIME) if use_transactions else (EVENT_ID, EVENT_TIME, EVENT_NAME)
    ):
        if column not in schema:
            raise DataError(
                f"the {table} table has no '{column}' column",
                hint=f"read it with sw.read_{table}(), which names its columns",
            )
    stamp = schema[EVENT_TIME]
    if not isinstance(stamp, nw.Datetime | nw.Date):
        raise DataError(
            f"the {table} table's timestamp is {stamp}, not a date or time",
            column=EVENT_TIME,
            hint=f"read it with sw.read_{table}(), which parses timestamps",
        )
    ts = (
        nw.col(EVENT_TIME).cast(nw.Datetime("us"))
        if isinstance(stamp, nw.Date)
        else nw.col(EVENT_TIME)
    )
    end = _window_end(tables.as_of)
    conditions = [ts < nw.lit(end, dtype=nw.Datetime("us"))]
    event_filter = spec.filter
    if event_filter.within_days is not None:
        start = _window_start(end, event_filter.within_days)
        if start is not None:
            conditions.append(ts >= nw.lit(start, dtype=nw.Datetime("us")))
    if event_filter.between is not None:
        first, last = event_filter.between
        conditions.append(ts >= nw.lit(datetime.combine(first, time()), dtype=nw.Datetime("us")))
        conditions.append(ts < nw.lit(_window_end(last), dtype=nw.Datetime("us")))
    if use_transactions:
        if "amount" in schema:
            conditions.append(nw.col("amount") > 0)
        if "is_return" in schema:
            conditions.append(~nw.col("is_return").fill_null(value=False))
    else:
        conditions.append(nw.col(EVENT_NAME) == name)
    if event_filter.where is not None and event_filter.where_text is not None:
        where = RuleCompiler(dict(schema), allow_derived=False).condition(
            Rule(event_filter.where_text, event_filter.where)
        )
        conditions.append(where.fill_null(value=False))
    matched = frame.filter(*conditions).with_columns(ts.alias(EVENT_TIME))
    return matched, table


def _aggregate(tables: RuleTables, spec: EventCount | EventDateOf) -> nw.LazyFrame[Any]:
    events, table = _events(tables, spec)
    if isinstance(spec, EventDateOf):
        stamp = nw.col(EVENT_TIME).min() if spec.which == "first" else nw.col(EVENT_TIME).max()
        value = stamp.cast(nw.Date())
    elif table == "transactions":
        schema = events.collect_schema()
        # Purchases count as orders: distinct order ids, or distinct timestamps without them.
        if "order_id" in schema:
            events = events.filter(~nw.col("order_id").is_null())
            value = nw.col("order_id").n_unique()
        else:
            value = nw.col(EVENT_TIME).n_unique()
    else:
        value = nw.len()
    return events.group_by(EVENT_ID).agg(value.alias(_VALUE)).rename({EVENT_ID: _KEY})


def _join(
    customers: nw.LazyFrame[Any],
    id_col: str,
    left_type: Any,
    side: nw.LazyFrame[Any],
    out: str,
    fill: int | bool | None,
) -> nw.LazyFrame[Any]:
    """Left-join ``side`` (``_KEY``, ``_VALUE``) onto the customers as column ``out``.

    ``left_type`` is the customers' id type, known to the caller: asking ``customers``
    would make Spark analyse its whole plan again.
    """
    side = move_to(side, customers)
    right_type = side.collect_schema()[_KEY]
    key = id_col
    if left_type != right_type:
        # Ids may be integers in one table and text in the other; compare them as text.
        customers = customers.with_columns(nw.col(id_col).cast(nw.String()).alias(_KEY + "_left"))
        side = side.with_columns(nw.col(_KEY).cast(nw.String()))
        key = _KEY + "_left"
    # The value is named ``out`` before the join, and a left join keeps the left key only:
    # nothing to drop but the text key, so no schema of the joined plan is asked for (a
    # round trip to the server on Spark Connect).
    side = side.select(_KEY, nw.col(_VALUE).alias(out))
    joined = customers.join(side, left_on=key, right_on=_KEY, how="left")
    if fill is not None:
        joined = joined.with_columns(nw.col(out).fill_null(fill))
    return joined.drop(key) if key != id_col else joined


def add_derived(tables: RuleTables, derived: Mapping[Derived, str]) -> nw.LazyFrame[Any]:
    """The customer table with every derived column the compiled rules refer to.

    Examples
    --------
    >>> import datetime as dt, polars as pl
    >>> from segwise.lang.types import DaysSince
    >>> customers = nw.from_native(pl.LazyFrame({"id": [1], "signup": [dt.date(2024, 1, 1)]}))
    >>> tables = RuleTables(customers, "id", as_of=dt.date(2024, 1, 31))
    >>> add_derived(tables, {DaysSince("signup"): "d"}).collect()["d"].to_list()
    [30]
    """
    frame = tables.customers
    schema = frame.collect_schema()
    joined = [spec for spec in derived if _joins(tables, spec)]
    if joined:
        # Joins may reorder rows; labels must line up with the caller's rows.
        frame = portable.with_row_number(frame, _ROW)
    for spec, out in derived.items():
        if isinstance(spec, DaysSince):
            asof, day = "__segwise_as_of", "__segwise_day"
            frame = frame.with_columns(
                nw.lit(tables.as_of, dtype=nw.Date()).alias(asof),
                nw.col(spec.column).cast(nw.Date()).alias(day),
            )
            frame = portable.add_days_between(frame, asof, day, out).drop(asof, day)
        elif isinstance(spec, EventCount | EventDateOf) and spec not in joined:
            frame = frame.with_columns(_nothing(tables, spec).alias(out))
        elif isinstance(spec, EventCount):
            side = _aggregate(tables, spec)
            frame = _join(frame, tables.id_col, schema[tables.id_col], side, out, 0)
        elif isinstance(spec, EventDateOf):
            side = _aggregate(tables, spec)
            frame = _join(frame, tables.id_col, schema[tables.id_col], side, out, None)
        elif isinstance(spec, StaticMember):
            ids = tables.static[spec.segment]
            first = ids.collect_schema().names()[0]
            side = (
                ids.select(nw.col(first).alias(_KEY))
                .unique()
                .with_columns(nw.lit(True).alias(_VALUE))
            )
            frame = _join(frame, tables.id_col, schema[tables.id_col], side, out, False)
    # The columns are known: selecting them needs no schema of the joined plan (on Spark,
    # dropping one would have the server analyse it all again).
    return frame.sort(_ROW).select(*schema.names(), *derived.values()) if joined else frame


def _joins(tables: RuleTables, spec: Derived) -> bool:
    """Whether a derived column is a join (not a day count, nor a count in no events)."""
    if isinstance(spec, EventCount | EventDateOf):
        return _source(tables, spec) not in tables.empty
    return not isinstance(spec, DaysSince)


def _nothing(tables: RuleTables, spec: EventCount | EventDateOf) -> nw.Expr:
    """What an event condition reads for everyone when its table has no rows.

    The left join would give every customer no match: a count of 0 (in the type the
    count has) or no date. Folded here, a real-time check of one customer who sent no
    events skips the join, the group-by and the sort back into order.
    """
    if isinstance(spec, EventDateOf):
        return nw.lit(None, dtype=nw.Date())
    # The type the count has where the customers are (Spark has no unsigned integers).
    counted = move_to(_aggregate(tables, spec), tables.customers).collect_schema()[_VALUE]
    return nw.lit(0, dtype=counted)
