"""``segwise init DIR --customers FILE``: a project for a customer table without orders.

A CRM export, a loyalty panel or a list of survey respondents is a population of
its own. The project clusters its numeric attributes that vary (ids, running
numbers, personal and consent columns left out), offers its text attributes of
few values as a commented ``categorical:`` line, and, when the table has a
sign-up date, writes lifecycle rules on how long ago customers joined.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw
import polars as pl

from segwise.exceptions import ConfigError
from segwise.features.behaviour import customer_features
from segwise.features.elapsed import blank_means_never
from segwise.io.readers import read_customers, read_events
from segwise.io.writers import write_text
from segwise.profiling.profiles import value_column
from segwise.project.results import as_polars
from segwise.project.scaffold import project_file_for
from segwise.project.sniff import (
    Sniffed,
    cluster_block,
    joined_column,
    personal_columns,
    pii_lines,
    place_file,
)
from segwise.project.sniff_activity import activity_rules
from segwise.project.sniff_reading import roles_block
from segwise.project.yaml_values import yaml_text

if TYPE_CHECKING:
    from pathlib import Path


#: A text attribute with more values than this is not offered as a cluster category.
MAX_CATEGORY_LEVELS = 12
#: At most this many of a customer table's numeric attributes are clustered on.
MAX_ATTRIBUTES = 8
#: Names of a customer's money to date (the cards' value), and of numbers that are not money.
_MONEY = r"spen[dt]|revenue|sales|lifetime_?value|ltv|clv|total_(amount|paid|value)"
_NOT_MONEY = (
    r"score|rank|index|rate|share|ratio|count|number|segment|tier|"
    # Counts of things sales people do or sell: "sales_calls", "units_sold".
    r"call|visit|meeting|lead|contact|unit|qty|quantit|item|days|_id$"
)


def _money_column(features: pl.DataFrame, numeric: list[str]) -> str | None:
    """The column a segment's value is (``total_spend``, ``lifetime_value``), when named so.

    None when the cards find it anyway (``revenue``, ``spend``…) or nothing is money:
    a spending score (1–100) is not.
    """
    if value_column(features) is not None:
        return None
    for name in numeric:
        lowered = name.lower()
        if re.search(_MONEY, lowered) and not re.search(_NOT_MONEY, lowered):
            lowest = features[name].min()
            if isinstance(lowest, int | float) and lowest >= 0:
                return name
    return None


def _attribute_features(features: pl.DataFrame, personal: set[str]) -> tuple[list[str], list[str]]:
    """A customer table's numeric attributes that vary, and its text attributes with few values.

    Ids, personal columns and consent flags (what a customer allows, not who they
    are) are never clustered on; nor is a number held by every customer once (a
    running number such as a membership id).
    """
    numeric, categorical = [], []
    for name, dtype in features.schema.items():
        column = features[name].drop_nulls()
        if name == "customer_id" or name in personal or column.n_unique() < 2:
            continue
        if re.search(r"consent|opt_?in|opt_?out|unsubscribe", name.lower()):
            continue
        if dtype.is_numeric():
            running = dtype.is_integer() and column.n_unique() == features.height
            if not running and not name.lower().endswith("id"):
                numeric.append(name)
        elif dtype in (pl.String, pl.Categorical, pl.Boolean) and (
            column.n_unique() <= MAX_CATEGORY_LEVELS
        ):
            categorical.append(name)
    return numeric[:MAX_ATTRIBUTES], categorical


def sniff_customers_project(
    directory: Path,
    customers: Path,
    *,
    events: Path | None = None,
    force: bool = False,
    copy: bool = False,
) -> Sniffed:
    """Write ``directory/segwise.yaml`` for a customer table without orders (a CRM export).

    The population is the customer table; the project clusters on its numeric
    attributes (and the event log's engagement counts, when given). Methods
    that model purchases (RFM, CLV, propensity) need an orders export.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from segwise.datasets import sample_paths
    >>> folder = Path(tempfile.mkdtemp()) / "crm"
    >>> sniff_customers_project(folder, sample_paths()["customers"]).config.name
    'segwise.yaml'
    """
    config = project_file_for(directory, force=force)
    people = read_customers(customers)
    activity = read_events(events) if events is not None else None
    features = as_polars(customer_features(customers=people, events=activity))
    if features.height == 0:
        raise ConfigError(
            f"{customers}: no usable customer row",
            hint=f"run segwise quality {customers} --kind customers to see why",
        )
    personal = personal_columns(people)
    # The table's own columns; of the event log's counts, the 30-day ones (as init does).
    own = [c for c in people.data.collect_schema().names() if c in features.columns]
    numeric, categorical = _attribute_features(features.select(own), set(personal))
    numeric += [c for c in features.columns if c.endswith("_30d")][:3]
    if not numeric:
        raise ConfigError(
            f"{customers}: no numeric attribute to segment on (age, income, scores, counts)",
            hint="add numeric columns, or write rule segments on the text ones (docs/rules.md)",
        )
    directory.mkdir(parents=True, exist_ok=True)
    data = directory / "data"
    sniffed = Sniffed(config)
    name = directory.resolve().name or "project"
    joined = joined_column(features)
    day, as_of_lines = _run_day(activity, features, joined, sniffed.notes)
    lines = [
        "# segwise project file, written by `segwise init --customers` for this data.",
        "# docs/project.md explains every key. Paths are relative to this file's folder.",
        f"name: {yaml_text(name)}",
        "store: segwise.duckdb",
        "engine: polars",
        "report: report.html",
        *as_of_lines,
        "",
        "sources:",
        "  # No orders export: the customer table is the population. Add transactions:",
        "  # (segwise init --transactions) for RFM, CLV and behaviour features.",
        "  customers:",
        f"    path: {yaml_text(place_file(customers, data, copy=copy))}",
        *roles_block(people, ("customer_id",)),
    ]
    if joined is not None:
        lines += [
            "    # When each customer joined: their tenure_days counts from it.",
            f"    joined: {yaml_text(joined)}",
        ]
        numeric.append("tenure_days")
    # Any numeric column of the table: the clustered attributes stop at MAX_ATTRIBUTES.
    money = _money_column(
        features, [c for c in own if c not in personal and features[c].dtype.is_numeric()]
    )
    if money is not None:
        lines += [
            "    # A segment's value on the cards: its customers' mean of this (and its share).",
            f"    value: {yaml_text(money)}",
        ]
    lines += pii_lines(personal)
    if events is not None and activity is not None:
        lines += ["  events:", f"    path: {yaml_text(place_file(events, data, copy=copy))}"]
        lines += roles_block(activity, ("customer_id", "timestamp", "event"))
    lines += [
        "",
        "segmentations:",
        "  # Natural groups on the customers' attributes: 3 to 8 chosen automatically;",
        "  # far-off customers go to Outliers. Text attributes describe the segments;",
        "  # list them under categorical: to cluster on them as well.",
        *cluster_block("profile", numeric, categorical, offer_categorical=True),
    ]
    if joined is not None:
        lines += _tenure_rules(features, joined, day)
    lines += activity_rules(features)
    sniffed.notes.append(
        "no RFM, rules on purchases or CLV: the project has no orders export "
        "(segwise init --transactions FILE --customers FILE adds them)"
    )
    write_text("\n".join(lines) + "\n", config)
    return sniffed


#: A newest sign-up older than this says the export is a snapshot of that day.
STALE_DAYS = 30


def _run_day(
    events: Any, features: pl.DataFrame, joined: str | None, notes: list[str]
) -> tuple[date, list[str]]:
    """The day runs will be as of, and the project file's lines that say so.

    The last event's day, else today; but when the newest sign-up is weeks old
    the table is a snapshot of then, and "joined in the last 90 days" counted
    from today would hold nobody: ``as_of:`` is set to that day, with why.
    """
    if events is not None:
        last = events.data.select(nw.col("timestamp").max()).collect().item()
        if last is not None:
            day = last.date() if isinstance(last, datetime) else last
            return day, ["# Runs are as of the last event's day unless you set as_of."]
    today = date.today()
    column, newest = _newest_date(features, joined, today)
    if newest is not None and (today - newest).days > STALE_DAYS:
        age = (today - newest).days
        notes.append(
            f"the newest {column} is {newest} ({age} days ago): runs are as of that day "
            "(as_of: in the file); remove it when you load a fresh export"
        )
        return newest, [
            f"# The newest {column} is {newest}, {age} days before this file was written: the",
            "# table looks like a snapshot of that day, so runs are as of it. Remove as_of",
            "# when you load a fresh export (runs are then as of today).",
            f"as_of: {newest}",
        ]
    return today, [
        "# Without orders a run is as of today, or of the last event; set as_of to fix it."
    ]


def _newest_date(
    features: pl.DataFrame, joined: str | None, today: date
) -> tuple[str | None, date | None]:
    """The table's latest date of an event up to today, and its column: when the export was taken.

    The joining date and the last-activity dates count: a last login after the
    newest sign-up says the export is at least that recent (runs as of the
    newest sign-up would read those logins as not yet happened). A birth date
    or a contract's end says nothing about when the table was written.
    """
    dated = [
        c
        for c, dtype in features.schema.items()
        if (dtype in (pl.Date, pl.Datetime) or isinstance(dtype, pl.Datetime))
        and blank_means_never(f"days_since_{c}")
    ]
    if joined is not None and joined not in dated:
        dated.append(joined)
    best: tuple[str | None, date | None] = (None, None)
    for column in dated:
        days = features[column].cast(pl.Date, strict=False).drop_nulls()
        newest = days.filter(days <= today).max()
        if isinstance(newest, date) and (best[1] is None or newest > best[1]):
            best = (column, newest)
    return best


def _tenure_rules(features: pl.DataFrame, column: str, day: date) -> list[str]:
    """Lifecycle rules on how long ago customers joined: the newest and oldest quarters."""
    # tenure_days as a run computes it from the joining date (sources.customers.joined).
    days = features.select((pl.lit(day) - pl.col(column).cast(pl.Date)).dt.total_days()).to_series()
    days = days.filter(days.is_null() | (days >= 0))
    known = days.drop_nulls()
    if known.len() < 20:
        return []
    new = max(1, int(float(f"{known.quantile(0.25, 'nearest'):.2g}")))
    old = int(float(f"{known.quantile(0.75, 'nearest'):.2g}"))
    if old <= new:
        return []
    lines = [
        "",
        f"  # Lifecycle by tenure_days (from {column}): the newest and the longest-standing",
        "  # quarters as of the first run; the thresholds stay, so shares move as customers age.",
        "  lifecycle:",
        "    method: rules",
        "    exclusive: true",
        "    other: Established members",
        "    segments:",
        "      - name: New members",
        f"        description: Joined in the last {new} days",
        f'        where: "tenure_days <= {new}"',
        "        priority: 1",
        "        playbook: {messaging: Welcome series - what to do first and why to stay}",
        "      - name: Long-standing members",
        f"        description: Joined more than {old} days ago",
        f'        where: "tenure_days > {old}"',
        "        priority: 2",
        "        playbook: {messaging: Recognise their loyalty - anniversaries and member perks}",
    ]
    if days.null_count():
        lines += [
            "      - name: Joining date unknown",
            '        where: "tenure_days IS NULL"',
            "        priority: 3",
        ]
    return lines
