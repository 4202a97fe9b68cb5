"""The BTYD summary: transactions → one row per customer ``frequency, recency, T, monetary_value``.

Same arguments and meaning as pymc-marketing's ``rfm_summary`` and lifetimes'
``summary_data_from_transaction_data``, so users can switch without surprises,
computed as Narwhals expressions on Polars, DuckDB or Spark:

* purchases on the same day are merged into one period (their values summed);
* ``frequency`` is the number of periods after the first (repeat purchases);
* ``recency`` is the age of the customer at the last purchase, ``T`` the age at
  the end of observation, both from the first purchase;
* ``monetary_value`` is the mean value of the repeat periods (0 without any).

Time runs on a daily grid by default. ``time_unit="W"`` divides days by 7, as the
CDNOW literature (Fader, Hardie & Lee 2005) and lifetimes' ``freq="D",
freq_multiplier=7`` do; it does **not** count distinct calendar weeks. For that,
``time_unit="isoweek"`` (ISO weeks, Monday to Sunday) and ``"month"`` (calendar
months) count purchases per calendar period and ages in whole periods, as pandas'
periods do in lifetimes and pymc-marketing (see :mod:`segwise.features.periods`).
``time_scaler`` divides further.

References
----------
Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). "Counting your customers"
the easy way: An alternative to the Pareto/NBD model. Marketing Science, 24(2).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import narwhals.stable.v2 as nw

from segwise._validation import hint_for
from segwise.engine import portable
from segwise.engine.frames import from_lazy, native_kind, to_lazy
from segwise.engine.ordered import periods_per_key
from segwise.exceptions import ConfigError, DataError
from segwise.features._timestamps import as_day, ensure_datetime
from segwise.features.periods import CALENDAR, add_elapsed, add_period, check_unit, period_number
from segwise.io.dataset import Dataset
from segwise.io.timestamps import resolve_as_of

_DAY = "__sw_day"
_FIRST = "__sw_first_day"
_VALUE = "__sw_value"


def _prepare(
    transactions: Any,
    customer_id_col: str,
    datetime_col: str,
    monetary_value_col: str | None,
    datetime_format: str | None,
) -> tuple[nw.LazyFrame[Any], str, str, str | None, str]:
    """Return the lazy frame with a day column, the column names to use, and the output kind."""
    if isinstance(transactions, Dataset):
        # Purchases only: returns are netted in revenue, not counted as visits.
        frame = transactions.data.filter(~nw.col("is_return"))
        return frame, "customer_id", "timestamp", monetary_value_col or "amount", "polars-eager"
    frame = to_lazy(transactions)
    like = native_kind(transactions)
    names = frame.collect_schema().names()
    for column in (customer_id_col, datetime_col, monetary_value_col):
        if column is not None and column not in names:
            raise DataError(
                f"column '{column}' is not in the transactions", hint=hint_for(column, names)
            )
    frame, datetime_col = ensure_datetime(frame, datetime_col, datetime_format)
    return frame, customer_id_col, datetime_col, monetary_value_col, like


def _periods(
    frame: nw.LazyFrame[Any],
    customer: str,
    timestamp: str,
    monetary: str | None,
    end: date | None,
    time_unit: str = "D",
) -> nw.LazyFrame[Any]:
    """One row per customer and period up to ``end`` (every period if None), values summed.

    The period is the day, or the calendar period's number (``isoweek``, ``month``).
    """
    frame = frame.with_columns(nw.col(timestamp).dt.date().alias(_DAY))
    if end is not None:
        frame = frame.filter(nw.col(_DAY) <= nw.lit(end))
    if time_unit in CALENDAR:
        frame = add_period(frame, _DAY, time_unit, "__sw_period")
        frame = frame.drop(_DAY).rename({"__sw_period": _DAY})
    value = [portable.money_units(nw.col(monetary)).sum().alias(_VALUE)] if monetary else []
    return frame.group_by(customer, _DAY).agg(nw.len().alias("__sw_rows"), *value)


def _summarise(
    periods: nw.LazyFrame[Any],
    customer: str,
    monetary: bool,
    end: date | None,
    scale: float,
    include_first_transaction: bool,
    time_unit: str = "D",
) -> nw.LazyFrame[Any]:
    per_customer = periods_per_key(periods, customer, _DAY, _VALUE if monetary else None)
    per_customer = per_customer.rename(
        {"__sw_rows": "__sw_periods", "__sw_first": _FIRST, "__sw_last": "__sw_last_day"}
    )
    if monetary:
        # Repeat purchases' value: all but the first period's. Money is in exact integer
        # units, so the difference is exact (0 for a customer with one period).
        total = nw.col("__sw_total")
        counted = total if include_first_transaction else total - nw.col("__sw_first_value")
        per_customer = per_customer.with_columns(counted.alias("__sw_value_sum"))
    if end is None:  # the last period anyone bought in (a period number for calendar units)
        per_customer = per_customer.with_columns(nw.col("__sw_last_day").max().alias("__sw_end"))
    else:
        at_end = period_number(end, time_unit) if time_unit in CALENDAR else end
        per_customer = per_customer.with_columns(nw.lit(at_end).alias("__sw_end"))
    per_customer = add_elapsed(
        per_customer, "__sw_last_day", _FIRST, "__sw_recency_days", time_unit
    )
    per_customer = add_elapsed(per_customer, "__sw_end", _FIRST, "__sw_age_days", time_unit)
    count = nw.col("__sw_periods").cast(nw.Float64)
    frequency = count if include_first_transaction else count - 1
    columns = [nw.col(customer).alias("customer_id"), frequency.alias("frequency")]
    if include_first_transaction:
        # pymc-marketing's segmentation form: recency is the time since the last
        # purchase (T - recency), and T is left out.
        per_customer = add_elapsed(
            per_customer, "__sw_end", "__sw_last_day", "__sw_since_last_days", time_unit
        )
        columns.append(portable.divide(nw.col("__sw_since_last_days"), scale).alias("recency"))
    else:
        columns += [
            portable.divide(nw.col("__sw_recency_days"), scale).alias("recency"),
            portable.divide(nw.col("__sw_age_days"), scale).alias("T"),
        ]
    if monetary:
        # Both sides are exact integers in doubles, so the division is the only rounding.
        mean = nw.col("__sw_value_sum") / (frequency * portable.MONEY_SCALE)
        columns.append(nw.when(frequency > 0).then(mean).otherwise(0.0).alias("monetary_value"))
    return per_customer.select(*columns)


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _observation_end(frame: nw.LazyFrame[Any], timestamp: str, given: date | None) -> date:
    if given is not None:
        return given
    latest = frame.select(nw.col(timestamp).max()).collect().item(0, 0)
    if latest is None:
        raise DataError(
            "there are no transactions to summarise", hint="check the input and the as-of date"
        )
    return latest.date() if isinstance(latest, datetime) else latest


def rfm_summary(
    transactions: Any,
    customer_id_col: str = "customer_id",
    datetime_col: str = "timestamp",
    monetary_value_col: str | None = None,
    datetime_format: str | None = None,
    observation_period_end: str | date | datetime | None = None,
    time_unit: str = "D",
    time_scaler: float = 1.0,
    include_first_transaction: bool = False,
    sort_transactions: bool = True,
) -> Any:
    """Summarise transactions per customer for BTYD models (BG/NBD, Pareto/NBD, Gamma-Gamma).

    transactions *customer_id, datetime [, monetary value]* → one row per
    customer *customer_id, frequency, recency, T [, monetary_value]*.

    Parameters
    ----------
    transactions
        A :class:`~segwise.Dataset` from :func:`segwise.read_transactions`
        (its purchases; returns are left out), or any pandas, Polars, PyArrow,
        DuckDB or Spark frame.
    customer_id_col, datetime_col, monetary_value_col
        Column names (for a Dataset: its canonical names, amount by default).
    datetime_format
        strftime pattern for text dates (default: recognised from the values).
    observation_period_end
        The as-of date: later purchases are ignored, and ``T`` runs to it
        (whole day included). Default: the last purchase.
    time_unit
        ``"D"`` (days) or ``"W"`` (days ÷ 7 on a daily grid, see the module notes).
    time_scaler
        A further divisor of recency and T.
    include_first_transaction
        pymc-marketing's form for RFM segmentation: the first purchase counts
        in ``frequency`` and ``monetary_value``, ``recency`` becomes the time
        since the last purchase (``T - recency``) and ``T`` is left out.
        (lifetimes' flag of the same name keeps recency and T unchanged.)
    sort_transactions
        Accepted for compatibility with pymc-marketing; the result does not
        depend on row order.

    Returns
    -------
    frame
        The same kind of frame as the input (a Polars DataFrame for a Dataset),
        one row per customer, sorted by ``customer_id`` on eager outputs.

    Examples
    --------
    >>> import polars as pl
    >>> days = ["2024-01-01", "2024-01-01", "2024-01-08", "2024-01-05"]
    >>> tx = pl.DataFrame({"id": [1, 1, 1, 2], "date": days, "value": [5.0, 5.0, 3.0, 7.0]})
    >>> rfm_summary(tx, "id", "date", "value", observation_period_end="2024-01-15").rows()
    [(1, 1.0, 7.0, 14.0, 3.0), (2, 0.0, 0.0, 10.0, 0.0)]
    """
    del sort_transactions  # the computation is order-free
    scale = check_unit(time_unit, time_scaler)
    frame, customer, timestamp, monetary, like = _prepare(
        transactions, customer_id_col, datetime_col, monetary_value_col, datetime_format
    )
    cut = resolve_as_of(observation_period_end, "observation_period_end")
    if cut is not None and cut.instant is not None:
        frame = frame.filter(cut.keep(timestamp))  # up to the instant, as the readers do
    given = cut.day if cut is not None else None
    # Eager input without an end: the last purchase is the largest last period of the
    # summary's own query, not a scan of its own (0.5 s of 10M rows).
    eager_default = given is None and like not in _LAZY
    end = None if eager_default else _observation_end(frame, timestamp, given)
    periods = _periods(frame, customer, timestamp, monetary, end, time_unit)
    summary = _summarise(
        periods, customer, monetary is not None, end, scale, include_first_transaction, time_unit
    )
    result = _finish(summary, like)
    if eager_default and len(result) == 0:
        raise DataError(
            "there are no transactions to summarise", hint="check the input and the as-of date"
        )
    return result


_LAZY = {"duckdb", "spark", "polars-lazy"}


def _finish(summary: nw.LazyFrame[Any], like: str) -> Any:
    if like in _LAZY:
        return from_lazy(summary, like=like)
    return from_lazy(summary.sort("customer_id"), like=like)


def calibration_and_holdout_data(
    transactions: Any,
    customer_id_col: str = "customer_id",
    datetime_col: str = "timestamp",
    calibration_period_end: str | date | datetime | None = None,
    observation_period_end: str | date | datetime | None = None,
    time_unit: str = "D",
    time_scaler: float = 1.0,
    datetime_format: str | None = None,
    monetary_value_col: str | None = None,
    include_first_transaction: bool = False,
) -> Any:
    """Split transactions into a calibration summary and holdout counts, as lifetimes does.

    transactions → one row per customer with a purchase in calibration:
    ``frequency_cal, recency_cal, T_cal [, monetary_value_cal],
    frequency_holdout [, monetary_value_holdout], duration_holdout``.

    Holdout purchases are those after ``calibration_period_end`` up to
    ``observation_period_end`` (whole days). ``frequency_holdout`` counts
    distinct purchase days; ``monetary_value_holdout`` is, as in lifetimes, the
    mean of the raw holdout rows (same-day purchases are *not* merged there,
    unlike the calibration value). Customers whose first purchase falls in the
    holdout are left out.

    Examples
    --------
    >>> import polars as pl
    >>> days = ["2024-01-01", "2024-01-03", "2024-01-09", "2024-01-09"]
    >>> tx = pl.DataFrame({"id": [1, 1, 1, 2], "date": days})
    >>> out = calibration_and_holdout_data(tx, "id", "date", "2024-01-05", "2024-01-12")
    >>> out.select("customer_id", "frequency_cal", "frequency_holdout").rows()
    [(1, 1.0, 1.0)]
    """
    return _split(
        transactions,
        customer_id_col,
        datetime_col,
        calibration_period_end,
        observation_period_end,
        time_unit=time_unit,
        time_scaler=time_scaler,
        datetime_format=datetime_format,
        monetary_value_col=monetary_value_col,
        include_first_transaction=include_first_transaction,
        merge_holdout_days=False,
    )


def _split(
    transactions: Any,
    customer_id_col: str,
    datetime_col: str,
    calibration_period_end: str | date | datetime | None,
    observation_period_end: str | date | datetime | None,
    *,
    time_unit: str,
    time_scaler: float,
    datetime_format: str | None,
    monetary_value_col: str | None,
    include_first_transaction: bool,
    merge_holdout_days: bool,
) -> Any:
    if calibration_period_end is None:
        raise ConfigError(
            "calibration_period_end is required", hint="pass the last day of calibration"
        )
    scale = check_unit(time_unit, time_scaler)
    cal_end = as_day(calibration_period_end, "calibration_period_end")
    frame, customer, timestamp, monetary, like = _prepare(
        transactions, customer_id_col, datetime_col, monetary_value_col, datetime_format
    )
    first, latest = (
        frame.select(nw.col(timestamp).min().alias("first"), nw.col(timestamp).max().alias("last"))
        .collect()
        .row(0)
    )
    if first is None:
        raise DataError(
            "there are no transactions to summarise", hint="check the input and the as-of date"
        )
    given_end = as_day(observation_period_end, "observation_period_end")
    end = given_end if given_end is not None else _as_date(latest)
    assert cal_end is not None
    if cal_end < _as_date(first):
        # An empty calibration period would fit nothing: say so rather than return no rows.
        raise ConfigError(
            f"the calibration end {cal_end} is before the first transaction ({_as_date(first)})",
            hint="choose a calibration end inside the data, e.g. two thirds of the way through",
        )
    if end <= cal_end:
        raise ConfigError(
            f"the holdout end {end} is not after the calibration end {cal_end}",
            hint="pass a later --holdout-end (observation_period_end)",
        )
    calibration = _summarise(
        _periods(frame, customer, timestamp, monetary, cal_end, time_unit),
        customer,
        monetary is not None,
        cal_end,
        scale,
        include_first_transaction,
        time_unit,
    )
    calibration = calibration.rename(
        {c: f"{c}_cal" for c in calibration.collect_schema().names() if c != "customer_id"}
    )
    day = nw.col(timestamp).dt.date()
    holdout_rows = frame.filter((day > nw.lit(cal_end)) & (day <= nw.lit(end))).with_columns(
        day.alias(_DAY)
    )
    if time_unit in CALENDAR:  # holdout purchases count by calendar period too
        holdout_rows = add_period(holdout_rows, _DAY, time_unit, "__sw_period")
        holdout_rows = holdout_rows.drop(_DAY).rename({"__sw_period": _DAY})
    if merge_holdout_days and monetary is not None:
        # pymc-marketing: the holdout value is the mean of per-day sums, like calibration.
        holdout_rows = holdout_rows.group_by(customer, _DAY).agg(nw.col(monetary).sum())
    holdout_aggs = [nw.col(_DAY).n_unique().alias("frequency_holdout")]
    if monetary is not None:
        holdout_aggs += [
            portable.money_units(nw.col(monetary)).sum().alias("__sw_holdout_value"),
            nw.len().alias("__sw_holdout_rows"),
        ]
    holdout = holdout_rows.group_by(customer).agg(*holdout_aggs).rename({customer: "customer_id"})
    if monetary is not None:
        rows = nw.col("__sw_holdout_rows").cast(nw.Float64) * portable.MONEY_SCALE
        holdout = holdout.with_columns(
            (nw.col("__sw_holdout_value") / rows).alias("monetary_value_holdout")
        ).drop("__sw_holdout_value", "__sw_holdout_rows")
    joined = calibration.join(holdout, on="customer_id", how="left")
    fills = [nw.col("frequency_holdout").cast(nw.Float64).fill_null(0.0)]
    if monetary is not None:
        fills.append(nw.col("monetary_value_holdout").fill_null(0.0))
    elapsed = (
        period_number(end, time_unit) - period_number(cal_end, time_unit)
        if time_unit in CALENDAR
        else (end - cal_end).days
    )
    days = nw.lit(float(elapsed), dtype=nw.Float64)
    combined = joined.with_columns(*fills, portable.divide(days, scale).alias("duration_holdout"))
    return _finish(combined, like)


def holdout_revenue(
    transactions: Any,
    *,
    calibration_period_end: str | date | datetime,
    observation_period_end: str | date | datetime,
    customer_id_col: str = "customer_id",
    datetime_col: str = "timestamp",
    monetary_value_col: str = "amount",
) -> Any:
    """Each customer's revenue after the calibration end up to the holdout end (whole days).

    What a lifetime-value backtest compares predicted value with: money summed,
    not purchase days × a mean row value (``monetary_value_holdout`` is a mean
    per order line, as lifetimes defines it, so that product is not revenue).
    Customers without holdout purchases are absent.

    Examples
    --------
    >>> import polars as pl
    >>> tx = pl.DataFrame({"customer_id": ["a", "a", "a", "b"],
    ...                    "timestamp": ["2024-01-01", "2024-02-01", "2024-02-01", "2024-02-03"],
    ...                    "amount": [5.0, 10.0, 2.5, 4.0]})
    >>> holdout_revenue(tx, calibration_period_end="2024-01-31",
    ...                 observation_period_end="2024-02-02").rows()
    [('a', 12.5)]
    """
    cal_end = as_day(calibration_period_end, "calibration_period_end")
    end = as_day(observation_period_end, "observation_period_end")
    frame, customer, timestamp, monetary, like = _prepare(
        transactions, customer_id_col, datetime_col, monetary_value_col, None
    )
    assert monetary is not None and cal_end is not None and end is not None
    day = nw.col(timestamp).dt.date()
    revenue = (
        frame.filter((day > nw.lit(cal_end)) & (day <= nw.lit(end)))
        .group_by(customer)
        .agg(portable.money_units(nw.col(monetary)).sum().alias("__sw_revenue"))
        .select(
            nw.col(customer).alias("customer_id"),
            portable.divide(
                nw.col("__sw_revenue").cast(nw.Float64), float(portable.MONEY_SCALE)
            ).alias("revenue_holdout"),
        )
        .sort("customer_id")
    )
    return _finish(revenue, like)


def rfm_train_test_split(
    transactions: Any,
    customer_id_col: str = "customer_id",
    datetime_col: str = "timestamp",
    train_period_end: str | date | datetime | None = None,
    test_period_end: str | date | datetime | None = None,
    time_unit: str = "D",
    time_scaler: float = 1.0,
    datetime_format: str | None = None,
    monetary_value_col: str | None = None,
    include_first_transaction: bool = False,
    sort_transactions: bool = True,
) -> Any:
    """pymc-marketing's ``rfm_train_test_split``: the calibration/holdout split with its names.

    As :func:`calibration_and_holdout_data`, except that the test monetary
    value is the mean of per-day sums (pymc-marketing merges same-day
    purchases there; lifetimes does not).

    Returns ``customer_id, frequency, recency, T [, monetary_value],
    test_frequency [, test_monetary_value], test_T``.

    Examples
    --------
    >>> import polars as pl
    >>> tx = pl.DataFrame({"customer_id": [1, 1], "timestamp": ["2024-01-01", "2024-01-09"]})
    >>> split = rfm_train_test_split(tx, "customer_id", "timestamp", "2024-01-05", "2024-01-12")
    >>> split.columns
    ['customer_id', 'frequency', 'recency', 'T', 'test_frequency', 'test_T']
    """
    del sort_transactions
    split = _split(
        transactions,
        customer_id_col,
        datetime_col,
        train_period_end,
        test_period_end,
        time_unit=time_unit,
        time_scaler=time_scaler,
        datetime_format=datetime_format,
        monetary_value_col=monetary_value_col,
        include_first_transaction=include_first_transaction,
        merge_holdout_days=True,
    )
    names = {
        "frequency_cal": "frequency",
        "recency_cal": "recency",
        "T_cal": "T",
        "monetary_value_cal": "monetary_value",
        "frequency_holdout": "test_frequency",
        "monetary_value_holdout": "test_monetary_value",
        "duration_holdout": "test_T",
    }
    wrapped = nw.from_native(split)
    present = {old: new for old, new in names.items() if old in wrapped.columns}
    return nw.to_native(wrapped.rename(present))
