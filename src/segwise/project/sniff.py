"""``segwise init DIR --transactions FILE``: a project written for the user's own data.

The roles are sniffed from the column names (as ``segwise quality`` does),
the customer features are built once, and every segmentation is chosen for
what this data holds: rule thresholds come from the data's own quantiles
(rounded to numbers a person would write), clustering uses features that
exist and vary, CLV is offered only when enough customers buy twice and the
history is long enough for a backtest. The file validates at the first try;
every choice is explained in a comment beside it.
"""

from __future__ import annotations

import re
import shutil
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl

from segwise.exceptions import ConfigError
from segwise.features.behaviour import customer_features
from segwise.io.money import currency_code
from segwise.io.readers import read_customers, read_events, read_transactions
from segwise.io.roles import ROLES_BY_KIND
from segwise.io.timestamps import AmbiguousDatesWarning
from segwise.io.writers import write_text
from segwise.privacy.pii import personal_kind
from segwise.project.results import as_polars
from segwise.project.scaffold import project_file_for
from segwise.project.sniff_activity import activity_rules, engagement_rules
from segwise.project.sniff_optional import optional_blocks
from segwise.project.sniff_reading import overlap_lines, overlapping, roles_block
from segwise.project.yaml_values import number, readable, rule_lines, yaml_text

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from segwise.io.dataset import Dataset

#: A rule segment smaller than this share of customers is left out of the generated rules.
MIN_RULE_SHARE = 0.02
#: The rest of the lifecycle rules are "active" repeat buyers only where Lapsed starts by here.
ACTIVE_DAYS = 365
#: The generated rule for customers of the customer table who never bought.
NO_PURCHASE_DESCRIPTION = "In the customer table with no purchase yet (or only returns)"
#: The same, for people who are in the event log only.
NO_PURCHASE_IN_EVENTS = "In the event log with no purchase yet (or only returns)"
#: CLV needs this share of repeat buyers and this many weeks of history.
MIN_REPEAT_SHARE = 0.1
MIN_HISTORY_WEEKS = 16


@dataclass
class Sniffed:
    """What ``init`` found in the data, for the file and for the console."""

    config: Path
    notes: list[str] = field(default_factory=list)


def _said_ambiguous(caught: list[warnings.WarningMessage]) -> tuple[str, str] | None:
    """Ambiguous dates' pattern and its twin, said in the file; other warnings raised again."""
    both = None
    for found in caught:
        if isinstance(found.message, AmbiguousDatesWarning):
            both = (found.message.read_as, found.message.other)
        else:
            warnings.warn_explicit(found.message, found.category, found.filename, found.lineno)
    return both


def place_file(source: Path, data: Path, *, copy: bool) -> str:
    """The source inside the project folder: a link (or a copy), as a relative path."""
    source = source.absolute()
    root = data.parent.absolute()
    if source.is_relative_to(root):
        return source.relative_to(root).as_posix()
    data.mkdir(parents=True, exist_ok=True)
    target = data / source.name
    if target.exists() or target.is_symlink():
        if target.resolve() != source.resolve():
            raise ConfigError(
                f"{target}: already exists and is another file",
                hint="choose a new project folder or rename the input",
            )
    elif copy:
        _copy(source, target)
    else:
        try:
            target.symlink_to(source)
        except OSError:  # a file system without links: a copy works everywhere
            _copy(source, target)
    return target.absolute().relative_to(root).as_posix()


def _copy(source: Path, target: Path) -> None:
    """A file, or a folder of Parquet parts with what is below it."""
    if source.is_dir():
        shutil.copytree(source, target)
    else:
        shutil.copyfile(source, target)


#: Names of the date a customer joined: sign-up, registration, membership start.
_JOINED = r"sign_?up|signed_?up|created|joined|join_date|registered|registration|member_since"
_JOINED += r"|customer_since|first_seen|enrol"


def joined_column(features: pl.DataFrame) -> str | None:
    """The customer table's date of joining (``signup_date``, ``created_at``…), if it has one.

    >>> from datetime import date
    >>> joined_column(pl.DataFrame({"age": [30], "created_at": [date(2024, 5, 1)]}))
    'created_at'
    """
    dated = [n for n, t in features.schema.items() if t in (pl.Date, pl.Datetime)]
    return next((n for n in dated if re.search(_JOINED, n.lower())), None)


def personal_columns(customers: Dataset) -> list[str]:
    """The customer table's columns whose names say they are personal (email, phone, name…)."""
    return [c for c in customers.data.collect_schema().names() if personal_kind(c)]


def pii_lines(personal: list[str]) -> list[str]:
    """The customers source's ``pii:`` line, with why, when any column looks personal."""
    if not personal:
        return []
    return [
        "    # These look personal: they stay out of features and are pseudonymised.",
        f"    pii: [{', '.join(yaml_text(c) for c in personal)}]",
    ]


def cluster_block(
    name: str, features: list[str], categorical: list[str], *, offer_categorical: bool = False
) -> list[str]:
    """A cluster segmentation's YAML lines, its fitted model kept in ``models/<name>.json``.

    ``offer_categorical`` writes the categorical columns as a commented line, to opt in.
    """
    lines = [f"  {name}:", "    method: cluster"]
    lines.append(f"    features: [{', '.join(yaml_text(c) for c in features)}]")
    if categorical:
        listed = f"categorical: [{', '.join(yaml_text(c) for c in categorical)}]"
        lines.append(f"    # {listed}" if offer_categorical else f"    {listed}")
    return [*lines, "    k: auto", "    seed: 0", f"    model: models/{name}.json"]


def _rules(features: pl.DataFrame, *, customers: bool) -> tuple[list[str], list[str], str]:
    """Exclusive lifecycle rules from the data's quantiles, and the name of the rest.

    Each rule is kept only if it is sizeable. The rest are "active" repeat buyers only where
    Lapsed starts within a year: on CDNOW, at 500 days, they had last bought 8 months ago.
    """
    n = features.height

    def quantile(column: str, q: float) -> float:
        value = features[column].quantile(q, "nearest")
        return float(value) if isinstance(value, int | float) else 0.0

    top_revenue = max(readable(quantile("net_revenue", 0.9)), 1.0)
    top_orders = max(2, int(quantile("orders", 0.75)))
    lapsed_days = max(90, int(readable(quantile("recency_days", 0.75))))
    candidates = [
        (
            "Top customers",
            "The top tenth by net revenue, buying repeatedly",
            f"net_revenue >= {number(top_revenue)} AND orders >= {top_orders}",
            "Thank them and keep them close: early access, loyalty perks, personal service",
            (pl.col("net_revenue") >= top_revenue) & (pl.col("orders") >= top_orders),
        ),
        (
            "New customers",
            "First bought in the last 60 days",
            "tenure_days <= 60",
            "Welcome series that leads to the second order",
            pl.col("tenure_days") <= 60,
        ),
        (
            "Lapsed",
            f"No purchase for more than {lapsed_days} days (the quietest quarter of customers)",
            f"recency_days > {lapsed_days}",
            "One win-back offer with what they bought before; then keep contact light",
            pl.col("recency_days") > lapsed_days,
        ),
        (
            "One-time buyers",
            "Bought once, recently enough to come back",
            "orders = 1",
            "Give a reason for the second order: a follow-up with related products",
            pl.col("orders") == 1,
        ),
    ]
    lines, notes = rule_lines(features, candidates, MIN_RULE_SHARE)
    priority = sum(line.lstrip().startswith("- name:") for line in lines) + 1
    never = int((features["orders"] == 0).sum()) if n else 0
    if never:
        # Kept however few: the catch-all's name would call them active repeat buyers.
        lines += [
            "      - name: No purchase yet",
            "        description: "
            + yaml_text(NO_PURCHASE_DESCRIPTION if customers else NO_PURCHASE_IN_EVENTS),
            '        where: "orders = 0"',
            f"        priority: {priority}",
            "        playbook: {messaging: "
            + yaml_text("A first-purchase offer: a welcome incentive and the bestsellers")
            + "}",
        ]
    other = "Active repeat buyers" if lapsed_days <= ACTIVE_DAYS else "Repeat buyers"
    return lines, notes, other


def _narrow(column: pl.Series) -> bool:
    """Whether a column's interquartile range is under a quarter of its median."""
    q1, q3, median = (column.quantile(q, "linear") for q in (0.25, 0.75, 0.5))
    if not all(isinstance(v, int | float) for v in (q1, q3, median)) or not median:
        return False
    return bool((q3 - q1) < 0.25 * abs(median))  # type: ignore[operator]


def _cluster_features(features: pl.DataFrame) -> tuple[list[str], list[str]]:
    """Behavioural features that exist and vary; engagement counts when events were given."""
    numeric = ["recency_days", "tenure_days", "orders", "net_revenue", "avg_order_value"]
    returners = features["return_rate"].gt(0).mean() if "return_rate" in features.columns else 0
    if isinstance(returners, float) and returners >= 0.05:
        numeric.append("return_rate")
    engagement = [c for c in features.columns if c.endswith("_30d")][:3]
    chosen = [
        c
        for c in [*numeric, *engagement]
        if c in features.columns and features[c].drop_nulls().n_unique() > 1
    ]
    if "tenure_days" in chosen and _narrow(features["tenure_days"]):
        # A cohort (everyone joined within weeks, as in CDNOW): clustering on tenure would
        # split customers by a few days of sign-up date and call them different segments.
        chosen.remove("tenure_days")
    categorical = []
    if "preferred_channel" in features.columns:
        levels = features["preferred_channel"].drop_nulls().n_unique()
        if 1 < levels <= 12:
            categorical.append("preferred_channel")
    return chosen, categorical


def sniff_project(
    directory: Path,
    transactions: Path,
    *,
    customers: Path | None = None,
    events: Path | None = None,
    force: bool = False,
    copy: bool = False,
    reading: Mapping[str, Any] | None = None,
) -> Sniffed:
    """Write ``directory/segwise.yaml`` for the given exports; link (or copy) them in ``data/``.

    ``reading`` holds what ``read_transactions`` is told about the orders export
    (``customer_id="Email"``, ``delimiter=";"``…): the project file says it too.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from segwise.datasets import sample_paths
    >>> folder = Path(tempfile.mkdtemp()) / "shop"
    >>> sniffed = sniff_project(folder, sample_paths()["orders"])
    >>> sniffed.config.name
    'segwise.yaml'
    """
    config = project_file_for(directory, force=force)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", AmbiguousDatesWarning)
        tx = read_transactions(transactions, **(reading or {}))
        if not (reading or {}).get("duplicates") and overlapping(tx):  # rules from each order once
            tx = read_transactions(transactions, **(reading or {}), duplicates="drop")
    ambiguous = _said_ambiguous(caught)
    quality = tx.quality()
    people = read_customers(customers) if customers is not None else None
    activity = read_events(events) if events is not None else None
    features = as_polars(customer_features(tx, customers=people, events=activity))
    if features.height == 0:
        raise ConfigError(
            f"{transactions}: no customer has a usable purchase",
            hint=f"run segwise quality {transactions} to see why rows were quarantined",
        )
    directory.mkdir(parents=True, exist_ok=True)
    data = directory / "data"
    sniffed = Sniffed(config)
    if ambiguous:
        sniffed.notes.append(
            f"the dates were read as {ambiguous[0]}, and every one also reads as "
            f"{ambiguous[1]} (day and month swapped): {config.name} names the pattern "
            f"(timestamp_format); write {ambiguous[1]} there if that is how they are written"
        )
    text = _project_text(
        directory,
        transactions=(place_file(transactions, data, copy=copy), tx),
        customers=(place_file(customers, data, copy=copy), people)
        if customers and people
        else None,
        events=(place_file(events, data, copy=copy), activity) if events and activity else None,
        features=features,
        quality=quality,
        ambiguous=None if reading and reading.get("timestamp_format") else ambiguous,
        notes=sniffed.notes,
        reading=reading or {},
    )
    write_text(text, config)
    return sniffed


def _project_text(
    directory: Path,
    *,
    transactions: tuple[str, Dataset],
    customers: tuple[str, Dataset] | None,
    events: tuple[str, Dataset] | None,
    features: pl.DataFrame,
    quality: Any,
    ambiguous: tuple[str, str] | None,
    notes: list[str],
    reading: Mapping[str, Any],
) -> str:
    tx_path, tx = transactions
    first, last = quality.first_timestamp, quality.last_timestamp
    span_weeks = ((last - first).days / 7) if first and last else 0.0
    name = directory.resolve().name or "project"
    lines = [
        "# segwise project file, written by `segwise init --transactions` for this data.",
        "# docs/project.md explains every key. Paths are relative to this file's folder.",
        f"name: {yaml_text(name)}",
        "store: segwise.duckdb",
        "engine: polars",
        "report: report.html",
        "# Money on cards and traits: a currency code such as GBP, EUR or USD.",
        *_currency_lines(tx),
        f"# The data runs from {first:%Y-%m-%d} to {last:%Y-%m-%d}; runs are as of the last day"
        if first and last
        else "# Runs are as of the last transaction",
        "# unless you set as_of (or pass segwise run --as-of).",
        "",
        "sources:",
        "  # Roles were recognised from the column names; change any that are wrong.",
        "  transactions:",
        f"    path: {yaml_text(tx_path)}",
        *roles_block(tx, _TRANSACTION_ROLES),
        *_reading_lines(reading),
        *([] if reading.get("duplicates") else overlap_lines(quality)),
        *(
            [
                f"    timestamp_format: {yaml_text(ambiguous[0])}",
                f"    # Every date also reads as {ambiguous[1]} (day and month swapped): check a "
                "few, and write that pattern above if it is the right one.",
            ]
            if ambiguous
            else []
        ),
        f"    # {quality.rows_used:,} of {quality.rows_read:,} rows usable; segwise validate "
        "counts why, and each run writes the others to quarantine/ with their reason.",
    ]
    if customers is not None:
        path, dataset = customers
        lines += ["  customers:", f"    path: {yaml_text(path)}"]
        lines += roles_block(dataset, ("customer_id",))
        joined = joined_column(features)
        if joined is not None:
            lines += [
                f"    # joined: {joined}   # tenure_days from sign-up, or the first order when",
                "    #   earlier: sign-ups who never bought get one too (the 'New customers'",
                "    #   rule below then holds new sign-ups; change its description)",
            ]
        lines += pii_lines(personal_columns(dataset))
    if events is not None:
        path, dataset = events
        lines += ["  events:", f"    path: {yaml_text(path)}"]
        lines += roles_block(dataset, ("customer_id", "timestamp", "event"))
    lines += _segmentation_lines(features, span_weeks, notes, customers=customers is not None)
    return "\n".join(lines) + "\n"


#: The transaction roles a project file names one by one (quantity × price is the amount's
#: pair: :func:`roles_block` writes it so).
_TRANSACTION_ROLES = tuple(
    r for r in ROLES_BY_KIND["transactions"] if r not in {"quantity", "unit_price"}
)

#: How the orders export is read, as ``segwise init`` was told: written as told.
_READING = ("timestamp_format", "delimiter", "encoding", "sheet", "table", "query")


def _reading_lines(reading: Mapping[str, Any]) -> list[str]:
    lines = [
        f"    {key}: {reading[key] if isinstance(reading[key], int) else yaml_text(reading[key])}"
        for key in _READING
        if reading.get(key) is not None
    ]
    if reading.get("policy", "default") != "default":
        lines.append(f"    policy: {yaml_text(reading['policy'])}")
    if reading.get("duplicates") is not None:
        lines.append(f"    duplicates: {yaml_text(reading['duplicates'])}")
    return lines


def _currency_lines(tx: Dataset) -> list[str]:
    """``currency:`` set where the amounts name theirs (``254,99 €``), else an example."""
    if (code := tx.currency) is not None and currency_code(tx.written_currency) != code:
        if (column := tx.roles.get("currency_column")) is not None:
            return [f"currency: {code}  # read off the {yaml_text(column)} column"]
        money = tx.roles.get("amount") or tx.roles.get("unit_price") or ""
        return [f"currency: {code}  # read off the header of {yaml_text(money)}"]
    if code is not None:
        return [f"currency: {code}  # read off the amounts, written with '{tx.written_currency}'"]
    if (written := tx.written_currency) is not None:
        return [
            f"# currency:  # the amounts are written with '{written}', which several "
            "currencies write: put its code here (USD, CAD, ...)"
        ]
    return ["# currency: GBP"]


def _segmentation_lines(
    features: pl.DataFrame, span_weeks: float, notes: list[str], *, customers: bool
) -> list[str]:
    """The segmentations block: each method set up for what this data holds."""
    rules, rule_notes, other = _rules(features, customers=customers)
    notes.extend(rule_notes)
    cluster_numeric, cluster_categorical = _cluster_features(features)
    lines = [
        "",
        "segmentations:",
        "  # RFM scores 1-5 and 8 named segments (preset segwise-detailed has 11).",
        "  value:",
        "    method: rfm",
        "    bins: 5",
        "    preset: segwise",
        "",
        "  # Rule segments, first match by priority; thresholds are this data's quantiles,",
        "  # rounded. The rule language is SQL-like: docs/rules.md.",
        "  lifecycle:",
        "    method: rules",
        "    exclusive: true",
        f"    other: {other}",
        "    segments:",
        *rules,
        "",
        "  # Natural groups: 3 to 8 chosen automatically; far-off customers go to Outliers.",
        "  # The first run keeps its fitted model in models/behaviour.json and later runs",
        "  # assign to it: the same segments and names, so changes are customers moving.",
        "  # Delete the file to fit afresh (after editing the features, for one); runs say",
        "  # when the customers have outgrown it or a name no longer fits its segment",
        "  # (refit: when_outgrown has those runs fit it afresh).",
        *cluster_block("behaviour", cluster_numeric, cluster_categorical),
    ]
    # A customer table's own last login; the event log is read against the orders instead.
    lines += activity_rules(features, from_events=False)
    engagement, engagement_notes = engagement_rules(features)
    lines += engagement
    notes.extend(engagement_notes)
    repeaters = features["orders"].ge(2).mean()
    repeat_share = float(repeaters) if isinstance(repeaters, int | float) else 0.0
    if repeat_share >= MIN_REPEAT_SHARE and span_weeks >= MIN_HISTORY_WEEKS:
        holdout = int(min(26, max(4, span_weeks // 4)))
        lines += [
            "",
            f"  # BG/NBD + Gamma-Gamma: {repeat_share:.0%} of customers bought twice or more.",
            f"  # The last {holdout} weeks are held out to check the predictions; the report's",
            "  # model comparison says whether MBG/NBD or Pareto/NBD predicts them better",
            "  # (set purchase_model: to use one).",
            "  future:",
            "    method: clv",
            "    calibration_end: auto",
            f"    holdout_weeks: {holdout}",
            "    tiers: [0.2, 0.6]",
        ]
    else:
        notes.append(
            f"no CLV segmentation: {repeat_share:.0%} repeat buyers over {span_weeks:.0f} weeks "
            f"(it needs {MIN_REPEAT_SHARE:.0%} and {MIN_HISTORY_WEEKS} weeks)"
        )
    return lines + optional_blocks(span_weeks, cluster_numeric)
