"""Leak-free training rows for a future outcome: features as of a cut-off, the label after it.

For a cut-off ``T`` and a horizon of ``h`` days, the transactions and events
are cut at ``T`` (the as-of rule of :class:`~segwise.io.timestamps.AsOf`)
*before* any feature is computed, so no feature can read the label window:
the feature code never receives a row after ``T``. The label is a rule of
the rule language evaluated on the customer's features over ``(T, T + h]``
alone, computed from the rows of that window (``orders = 0`` for churn,
``orders >= 1`` for a purchase, ``share_garden > 0`` for a category, or
``performed('email_open')`` for an event). The population of a cut-off is
the customers who had bought by ``T``: someone acquired later has no past to
learn from.

Each row also says when in the year its cut-off falls (``day_of_year``):
seasons repeat, and the same customer is likelier to buy again in the
autumn before Christmas than after it. A model trained on cut-offs spread
over a year learns that; one trained on a single season cannot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import narwhals.stable.v2 as nw
import polars as pl

from segwise.engine import portable
from segwise.engine.frames import move_to, to_lazy
from segwise.engine.portable import materialize
from segwise.exceptions import ConfigError, DataError, RuleError
from segwise.features._timestamps import ensure_datetime
from segwise.features.behaviour import customer_features, is_return, order_count, order_key
from segwise.io.dataset import Dataset
from segwise.io.timestamps import AsOf
from segwise.lang import nodes
from segwise.lang.parser import parse_rule
from segwise.segmenters.rules import RuleSegmenter

#: Named outcomes and the rule each one is, over the window after the cut-off.
OUTCOMES = {"churn": "orders = 0", "purchase": "orders >= 1"}
LABEL = "label"
#: Trailing windows (days before the cut-off) of the recent-activity features.
RECENT_DAYS = (30, 90, 180)
CUTOFF = "cutoff"
#: The cut-off's day of the year (1-366): the season the window starts in.
SEASON = "day_of_year"


@dataclass(frozen=True)
class Outcome:
    """What is predicted: a rule over the ``horizon_days`` after a cut-off.

    Examples
    --------
    >>> Outcome.of("churn", 90)
    Outcome(name='churn', rule='orders = 0', horizon_days=90)
    >>> Outcome.of("share_garden > 0", 30).name
    'share_garden > 0'
    """

    name: str
    rule: str
    horizon_days: int

    @classmethod
    def of(cls, outcome: str, horizon_days: int) -> Outcome:
        """A named outcome (``churn``, ``purchase``) or any rule, over ``horizon_days``."""
        if horizon_days < 1:
            raise ConfigError(f"the horizon must be at least one day, not {horizon_days}")
        return cls(outcome, OUTCOMES.get(outcome, outcome), horizon_days)


def cutoffs(last: date, horizon_days: int, count: int, step_days: int) -> list[date]:
    """``count`` cut-offs whose label windows end on or before ``last``, oldest first.

    Examples
    --------
    >>> cutoffs(date(2024, 12, 31), 90, 3, 30)
    [datetime.date(2024, 8, 3), datetime.date(2024, 9, 2), datetime.date(2024, 10, 2)]
    """
    latest = last - timedelta(days=horizon_days)
    return [latest - timedelta(days=step_days * k) for k in reversed(range(count))]


#: The stages whose cut-offs a model learns from: the backtest's and today's.
TRAINING = ("train", "today_train")


def unfilled_cutoffs(stages: dict[str, list[date]], customers: dict[date, int]) -> list[str]:
    """Say when training cut-offs fall before anyone had bought: they teach the model nothing.

    ``stages``: the cut-offs by stage, the backtest's (``train``) and today's
    (``today_train``) read; ``customers``: how many customers each cut-off's rows hold.

    Examples
    --------
    >>> days = [date(2010, 5, 3), date(2010, 12, 14), date(2011, 3, 14)]
    >>> later = [date(2010, 8, 1), date(2010, 12, 14), date(2011, 6, 12)]
    >>> held = {days[0]: 0, days[1]: 120, days[2]: 900, later[0]: 0, later[2]: 2000}
    >>> print(unfilled_cutoffs({"train": days, "today_train": later}, held)[0])
    ... # doctest: +NORMALIZE_WHITESPACE
    1 of 3 training cut-offs (2010-05-03) came before any customer had bought, and 1 of 3 of
    today's (2010-08-01): they hold no one, so the backtest's model learnt from 2 cut-offs and
    today's from 2 (the first with customers: 2010-12-14), not the span of seasons asked for
    """
    train, today = stages["train"], stages["today_train"]
    empty = {stage: [c for c in stages[stage] if not customers.get(c)] for stage in TRAINING}
    if not any(empty.values()):
        return []
    said = [
        f"{len(empty[stage])} of {len(days)} {what} ({', '.join(map(str, empty[stage]))})"
        for stage, days, what in (
            ("train", train, "training cut-offs"),
            ("today_train", today, "of today's"),
        )
        if empty[stage]
    ]
    first = min(c for c in {*train, *today} if customers.get(c))
    also = f", and {said[1]}" if len(said) > 1 else ""
    return [
        f"{said[0]} came before any customer had bought{also}: they hold no one, so the "
        f"backtest's model learnt from {len(train) - len(empty['train'])} cut-offs and "
        f"today's from {len(today) - len(empty['today_train'])} (the first with customers: "
        f"{first}), not the span of seasons asked for"
    ]


def training_rows(
    transactions: Any,
    *,
    cutoff: date,
    outcome: Outcome | None,
    customers: Any = None,
    events: Any = None,
) -> pl.DataFrame:
    """Customers who had bought by ``cutoff``: their features then, and the outcome after.

    Parameters
    ----------
    transactions, customers, events
        As :func:`segwise.customer_features` takes them (Datasets or frames
        with canonical columns), on any engine.
    cutoff
        The day the features are computed as of (its whole day included).
    outcome
        The label to add (``label``: true, false); None scores the
        customers without a label (the cut-off is today).

    Returns
    -------
    polars.DataFrame
        ``customer_id``, the features, ``cutoff`` and (with an outcome) ``label``,
        sorted by customer id.
    """
    tx = dated_rows(transactions, "transactions")
    ev = dated_rows(events, "events") if events is not None else None
    before = AsOf(cutoff)
    # The cut happens here, before any feature code sees the rows: nothing after T reaches it.
    features = _polars(
        customer_features(
            tx.filter(before.keep("timestamp")),
            customers=customers,
            events=None if ev is None else ev.filter(before.keep("timestamp")),
            as_of=cutoff,
        )
    )
    features = features.filter(pl.col("orders") > 0).with_columns(
        pl.lit(cutoff).alias(CUTOFF), pl.lit(cutoff.timetuple().tm_yday).alias(SEASON)
    )
    features = _with_recent_activity(features, tx, cutoff)
    if outcome is None:
        return features.sort("customer_id")
    end = cutoff + timedelta(days=outcome.horizon_days)
    after = ~before.keep("timestamp") & AsOf(end).keep("timestamp")
    window_tx = tx.filter(after)
    window_ev = None if ev is None else ev.filter(after)
    people = features.select("customer_id")
    if _reads_activity_only(outcome.rule):
        # Churn and purchase read the window's orders alone: one aggregation, not every feature.
        window = _zero_filled(people, _activity(window_tx, {"": nw.lit(value=True)}))
    else:
        window = _polars(
            customer_features(window_tx, customers=_beside(people, tx), events=window_ev, as_of=end)
        )
    labels = _evaluate(outcome, window, window_ev, end)
    return features.join(labels, on="customer_id", how="left").sort("customer_id")


#: Rule parts that read nothing but the columns they name (no events, segments or functions).
_PLAIN_NODES = (
    nodes.Literal,
    nodes.Column,
    nodes.Negate,
    nodes.Arithmetic,
    nodes.Comparison,
    nodes.Logical,
    nodes.Not,
    nodes.Between,
    nodes.InList,
    nodes.IsNull,
)


def _reads_activity_only(rule: str) -> bool:
    """True for a rule over ``orders`` and ``net_revenue`` alone, as churn and purchase are.

    A rule that does not parse is left to the rule segmenter, which says what is wrong
    with it as an outcome.
    """
    try:
        parsed = parse_rule(rule)
    except RuleError:
        return False
    plain = all(isinstance(node, _PLAIN_NODES) for node in parsed.root.walk())
    return plain and parsed.columns <= {"orders", "net_revenue"}


def window_feature_names() -> list[str]:
    """The features a window's rows add to the customer features: the season and recent activity.

    Examples
    --------
    >>> window_feature_names()[:3]
    ['day_of_year', 'orders_30d', 'net_revenue_30d']
    """
    recent = [f"{name}_{days}d" for days in RECENT_DAYS for name in ("orders", "net_revenue")]
    return [SEASON, *recent]


def _with_recent_activity(
    features: pl.DataFrame, tx: nw.LazyFrame[Any], cutoff: date
) -> pl.DataFrame:
    """Orders and revenue in the last 30, 90 and 180 days before the cut-off (its day included).

    Recent activity says more about what comes next than totals over a
    customer's whole life; it is read from the rows on or before the cut-off
    alone, like every other feature.
    """
    longest = cutoff - timedelta(days=max(RECENT_DAYS))
    rows = tx.filter(AsOf(cutoff).keep("timestamp") & ~AsOf(longest).keep("timestamp"))
    day = nw.col("timestamp").dt.date()
    spans = {f"_{d}d": day > nw.lit(cutoff - timedelta(days=d)) for d in RECENT_DAYS}
    return _zero_filled(features, _activity(rows, spans))


def _activity(rows: nw.LazyFrame[Any], spans: dict[str, nw.Expr]) -> pl.DataFrame:
    """Each customer's ``orders<suffix>`` and ``net_revenue<suffix>`` over each span, one pass.

    ``spans`` maps a column suffix to the rows it covers. Both are counted as
    :func:`~segwise.customer_features` counts them over those rows alone
    (revenue 0 for a customer with no purchase there).
    """
    schema = rows.collect_schema()
    bought = ~is_return(schema.names())
    units = portable.money_units(nw.col("amount"))
    sums, kept = [], [nw.col("customer_id")]
    for suffix, inside in spans.items():
        sums += [
            order_count(order_key(schema), bought & inside).alias(f"orders{suffix}"),
            nw.when(inside).then(units).sum().alias(f"__sw_units{suffix}"),
            (bought & inside).cast(nw.Int64).max().alias(f"__sw_bought{suffix}"),
        ]
        kept += [
            nw.col(f"orders{suffix}"),
            nw.when(nw.col(f"__sw_bought{suffix}") == 1)
            .then(portable.divide(nw.col(f"__sw_units{suffix}"), portable.MONEY_SCALE))
            .otherwise(0.0)
            .alias(f"net_revenue{suffix}"),
        ]
    return _polars(rows.group_by("customer_id").agg(*sums).select(*kept))


def _zero_filled(people: pl.DataFrame, counts: pl.DataFrame) -> pl.DataFrame:
    """``people`` with ``counts`` joined on, 0 for a customer ``counts`` does not have."""
    columns = [c for c in counts.columns if c != "customer_id"]
    joined = people.join(counts, on="customer_id", how="left")
    return joined.with_columns(pl.col(columns).fill_null(0))


def latest_day(transactions: Any) -> date:
    """The day of the latest transaction."""
    value = dated_rows(transactions, "transactions").select(nw.col("timestamp").max()).collect()
    latest = value.item(0, 0)
    if latest is None:
        raise DataError("the transactions hold no dated row", hint="check the timestamp column")
    return latest.date() if isinstance(latest, datetime) else latest


def outcome_rule(
    rule: str,
    sample: Any,
    *,
    events: Any = None,
    as_of: date | None = None,
    source: str = "outcome",
) -> RuleSegmenter:
    """The outcome's rule, compiled against ``sample``'s columns (a customer table's).

    A fault reads as the outcome's (``source``), not as a catalog segment's: the rule is
    compiled as a one-segment catalog whose segment, ``label``, the user never named.

    Examples
    --------
    >>> outcome_rule("share_hom > 0", pl.DataFrame({"customer_id": ["a"], "share_home": [0.2]}))
    Traceback (most recent call last):
    ...
    segwise.exceptions.RuleError: outcome: RuleError: unknown column 'share_hom' (line 1, col 1)
    ...
    """
    segmenter = RuleSegmenter({LABEL: rule}, exclusive=False, id_col="customer_id", as_of=as_of)
    try:
        return segmenter.fit(sample, events=events)
    except RuleError as exc:
        raise RuleError(
            exc.description, text=exc.text, start=exc.start, end=exc.end, hint=exc.hint,
            source=source,
        ) from None  # fmt: skip


def _evaluate(
    outcome: Outcome, window: pl.DataFrame, events: nw.LazyFrame[Any] | None, end: date
) -> pl.DataFrame:
    native_events = None if events is None else events.to_native()
    rule = outcome_rule(outcome.rule, window.head(0), events=native_events, as_of=end)
    flags = pl.DataFrame(
        to_lazy(rule.segment(window, events=native_events)).collect(backend="polars").to_native()
    )
    return flags.select("customer_id", pl.col(LABEL).fill_null(value=False))


def dated_rows(source: Any, kind: str) -> nw.LazyFrame[Any]:
    """A Dataset or frame of transactions or events, lazily, with ``timestamp`` as a datetime."""
    frame = source.data if isinstance(source, Dataset) else to_lazy(source)
    names = frame.collect_schema().names()
    if "timestamp" not in names or "customer_id" not in names:
        raise ConfigError(
            f"the {kind} need customer_id and timestamp columns",
            hint=f"read them with sw.read_{kind}(...), which names the columns",
        )
    frame, parsed = ensure_datetime(frame, "timestamp")
    if parsed != "timestamp":
        frame = frame.drop("timestamp").rename({parsed: "timestamp"})
    return frame


def read_once(source: Any, kind: str) -> nw.LazyFrame[Any]:
    """:func:`dated_rows`, computed once for the many cut-offs that read it.

    A fit reads the rows at every cut-off, five times each (the features, three recent
    windows, the outcome): from a CSV that was a parse of the whole file every time
    (26 of a 32 s fit on Online Retail II). Polars holds the parsed rows in memory, Spark
    caches them; a DuckDB relation stays a query.
    """
    return materialize(dated_rows(source, kind))


def _beside(ids: pl.DataFrame, like: nw.LazyFrame[Any]) -> nw.LazyFrame[Any]:
    """The customers to keep, on the engine of the transactions (to be joined there)."""
    return move_to(to_lazy(ids.lazy()), like)


def _polars(frame: Any) -> pl.DataFrame:
    if isinstance(frame, pl.DataFrame):
        return frame
    return pl.DataFrame(to_lazy(frame).collect(backend="polars").to_native())
