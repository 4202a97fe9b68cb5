"""A run's first half: read and check the sources, fix the as-of date, build the features.

Bad rows are written to the project's quarantine folder with their reason;
the sources then move to the run's engine, where the customer features are
built once for every segmentation.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw

from segwise._validation import hint_for
from segwise.engine.sessions import on_engine
from segwise.exceptions import ConfigError
from segwise.features.accounts import account_view, contact_mapping, with_firmographics
from segwise.features.behaviour import customer_features
from segwise.io.timestamps import resolve_as_of
from segwise.project.config import NOT_FEATURES
from segwise.project.consents import without_profiling_consent
from segwise.project.methods import RunInputs
from segwise.project.paths import QUARANTINE_DIR
from segwise.project.population import LeftOut, left_out
from segwise.project.results import as_polars
from segwise.project.retention import note_retention, within_retention
from segwise.store.records import check_date_order

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    import polars as pl

    from segwise.io.dataset import Dataset
    from segwise.io.quality import QualityReport
    from segwise.project.pipeline import Project


def prepare(
    project: Project,
    as_of: str | date | None,
    engine: str,
    step: Callable[[str], None],
    spark: Any = None,
    *,
    keep_quarantine: bool = True,
) -> tuple[RunInputs, list[QualityReport]]:
    """Read and check the sources, move them to ``engine``, build the customer features.

    ``keep_quarantine=False`` (a preview) writes nothing beside the project.
    """
    if engine == "spark":
        # Before reading: warehouse sources are read by this session, where they live.
        spark = project.spark_session(spark)
    else:
        check_sources_on(project, engine)
    step("Reading the sources")
    datasets = project.read_sources()
    step("Checking data quality")
    quality = [
        quarantine(project, source, dataset) if keep_quarantine else dataset.quality()
        for source, dataset in datasets.items()
    ]
    cutoff = run_as_of(as_of, project.config.as_of, datasets)
    orders = dict(zip(datasets, quality, strict=True)).get("transactions")
    if orders is not None:
        check_as_of(cutoff, orders)
    runs = project.store.runs() if project.store.path.exists() else None
    if runs is not None and runs.height:
        # Before the features are built: the store refuses the run anyway, after all the work.
        check_date_order(cutoff, (runs["run_id"][-1], runs["as_of"][-1]))
    step(f"Moving the data to {engine}")
    # The measurement sources and consents get their quality report above; no feature reads them.
    built = {k: d.data for k, d in datasets.items() if k not in NOT_FEATURES}
    if personal := personal_columns(project, datasets):
        built["customers"] = built["customers"].drop(*personal)
    _apply_retention(project, built, dict(zip(datasets, quality, strict=True)), cutoff)
    tables = on_engine(built, engine, spark)
    step("Building customer features")
    mapped = project.config.sources.customers
    account = mapped.account_id if mapped is not None else None
    people = tables.get("customers")
    if account is not None and people is not None and "accounts" in tables:
        people = with_firmographics(people, tables["accounts"], account)
    features_native = customer_features(
        tables.get("transactions"),
        customers=people,
        events=tables.get("events"),
        as_of=cutoff,
        joined=mapped.joined if mapped is not None else None,
    )
    features = as_polars(features_native).sort("customer_id")
    value = mapped.value if mapped is not None else None
    check_value_column(features.schema, value)
    stored = [] if runs is None else runs["as_of"].to_list()
    purpose = project.config.privacy.profiling_purpose
    consents = datasets.get("consents")
    unconsented = (
        None if consents is None else without_profiling_consent(consents, purpose, features, cutoff)
    )
    inputs = RunInputs(
        tables,
        features_native,
        features,
        cutoff,
        project.paths,
        project.config.currency,
        value=value,
        stored_as_of=tuple(stored),
        unconsented=unconsented,
        rows=orders.rows_read if orders is not None else 0,
        # A preview shows memberships only; a run says who its population leaves out.
        left_out=_left_out(tables, features, cutoff, orders, people) if keep_quarantine else None,
        id_map=_id_map(project),
    )
    if account is not None:
        inputs = _with_accounts(project, inputs, account, step)
    return inputs, quality


def _id_map(project: Project) -> Any:
    from segwise.project.pseudonyms import id_map  # noqa: PLC0415 - loads DuckDB

    return id_map(project)


def check_value_column(schema: Mapping[str, Any], value: str | None) -> None:
    """``sources.customers.value`` names a number column of the customer features, if set."""
    if value is None:
        return
    if value not in schema:
        raise ConfigError(
            f"sources.customers.value: no column '{value}' in the customer table",
            hint=hint_for(value, list(schema)),
        )
    if not schema[value].is_numeric():
        raise ConfigError(
            f"sources.customers.value: column '{value}' is {schema[value]}, not a number",
            hint="name a column of amounts (spend, revenue, lifetime value)",
        )


def _left_out(
    tables: dict[str, Any],
    features: pl.DataFrame,
    cutoff: date,
    transactions: QualityReport | None,
    people: Any,
) -> LeftOut:
    """The sources' customers the run's population leaves out (see :mod:`.population`)."""
    seen = None
    last = transactions.last_timestamp if transactions is not None else None
    if transactions is not None and last is not None and last.date() <= cutoff:
        # The quality report counts the transactions' customers when no row is after the cutoff.
        seen = transactions.customers
    return left_out(
        tables, features, cutoff, customer_table=people is not None, customers_seen=seen
    )


def check_sources_on(project: Project, engine: str) -> None:
    """Refuse a run off Spark when a source lives in the warehouse (only Spark reads it there)."""
    for name, source in project.config.sources:
        if source is not None and source.warehouse is not None:
            raise ConfigError(
                f"sources.{name} is {source.warehouse.describe()}, read by Spark; "
                f"this run's engine is {engine}",
                hint="run with --engine spark, or point the source at a file (path:)",
            )


def personal_columns(project: Project, datasets: dict[str, Dataset]) -> list[str]:
    """The customers source's ``pii:`` columns, kept out of the features unless allowed.

    Emails and phones describe nobody's behaviour: no rule, profile or model reads them.
    """
    if "customers" not in datasets or project.config.privacy.pii_in_features:
        return []
    return list(datasets["customers"].roles.pii)


def _apply_retention(
    project: Project, built: dict[str, Any], reports: dict[str, QualityReport], cutoff: date
) -> None:
    """Leave out the rows past each source's retention before the as-of date, and say so."""
    for name, frame in list(built.items()):
        period = project.config.retention.get(name)
        if period is None:
            continue
        built[name], first = within_retention(project, name, frame, cutoff)
        if first is not None:
            note_retention(reports[name], frame, first, period)


def _with_accounts(
    project: Project, inputs: RunInputs, account: str, step: Callable[[str], None]
) -> RunInputs:
    """Add the contact → account mapping, and the account-level inputs when a segmentation asks."""
    customers = project.config.sources.customers
    role = customers.role if customers is not None else None
    if "account" not in project.config.levels:
        contacts = as_polars(contact_mapping(inputs.tables["customers"], account))
        return replace(inputs, contacts=_as_store_mapping(contacts))
    step("Rolling features up to accounts")
    view = account_view(inputs.tables, account=account, as_of=inputs.as_of, role=role)
    contacts = _as_store_mapping(as_polars(view.contacts))
    accounts = replace(
        inputs,
        tables=view.tables,
        features_native=view.features,
        features=as_polars(view.features).sort("customer_id"),
        level="account",
        contacts=contacts,
        unconsented=None,  # consent is a person's; accounts are companies
        id_map=None,  # and their ids are never pseudonymised
    )
    return replace(inputs, accounts=accounts, contacts=contacts)


def _as_store_mapping(contacts: pl.DataFrame) -> pl.DataFrame:
    return contacts.select("account_id", "customer_id").sort("account_id", "customer_id")


def quarantine(project: Project, source: str, dataset: Dataset) -> QualityReport:
    """The source's quality report, its bad rows written beside the project with their reason."""
    report = dataset.quality()
    if report.rows_quarantined:
        # Bad rows are kept, with their reason, next to the project: never dropped silently.
        target = project.resolve(QUARANTINE_DIR) / f"{source}.quarantine.csv"
        target.parent.mkdir(parents=True, exist_ok=True)
        dataset.write_quarantine(target)
        report.notes.append(f"quarantined rows written to {target}")
    return report


def remove_stale_temp_files(project: Project) -> None:
    """Temporary files a killed run left beside its outputs (safe under the store's lock)."""
    report = project.resolve(project.config.report, key="report")
    folder = project.resolve(QUARANTINE_DIR, key="quarantine")
    patterns = [(report.parent, f".{report.name}.*.tmp"), (folder, ".*.quarantine.csv.*.tmp")]
    for parent, pattern in patterns:
        if parent.is_dir():
            for stale in parent.glob(pattern):
                stale.unlink(missing_ok=True)


def run_as_of(
    override: str | date | None, configured: date | None, datasets: Mapping[str, Dataset]
) -> date:
    """The run's day: the override, else the project's, else the last transaction's day.

    Without transactions: the last event's day, else today (a customer table
    alone is a snapshot of the customers as they are now).
    """
    cut = resolve_as_of(override)
    if cut is not None:
        if cut.instant is not None and cut.instant.time() != time(0):
            # A run, its report and its stored memberships are as of a day; cutting a
            # datetime to its day would silently count purchases after that instant.
            raise ConfigError(
                f"as-of '{override}' has a time of day, but a project runs as of a whole day",
                hint=f"write the day, e.g. {cut.day.isoformat()}",
            )
        return cut.day
    if configured is not None:
        return configured
    for name in ("transactions", "events"):
        if name not in datasets:
            continue
        latest = datasets[name].data.select(nw.col("timestamp").max()).collect().item()
        if latest is None:
            raise ConfigError(
                f"the {name} have no usable timestamps", hint="set as_of: in segwise.yaml"
            )
        return latest.date() if isinstance(latest, datetime) else latest
    return date.today()


def check_as_of(cutoff: date, transactions: QualityReport) -> None:
    """An as-of date before the first purchase leaves nothing to segment: say so, plainly."""
    first = transactions.first_timestamp
    if first is not None and cutoff < first.date():
        raise ConfigError(
            f"as-of date {cutoff} is before the first transaction ({first.date()}): "
            "no customer has bought anything yet",
            hint=f"choose a date from {first.date()} on",
        )
