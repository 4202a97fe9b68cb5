"""Readers of the inputs that are not a customer's own activity: B2B accounts and survey answers.

Both go through :func:`~segwise.io.readers.read_kind` like the others: roles,
quality report, quarantine with reasons.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from segwise.io.policy import CleaningPolicy
from segwise.io.readers import ReaderSettings, read_kind

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from segwise.io.dataset import Dataset


def read_accounts(
    source: Any,
    *,
    account_id: str | None = None,
    duplicates: str | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    table: str | None = None,
    query: str | None = None,
    text_columns: Sequence[str] = (),
    date_formats: Mapping[str, str] | None = None,
) -> Dataset:
    """Read an accounts table: one row per company, with its firmographics.

    For B2B projects: the customers table maps each contact to an account,
    and segmentations with ``level: account`` segment these accounts. A row
    without an account id, or repeating one already seen, is quarantined;
    every other column (industry, employees, revenue band, region…) is kept
    as an attribute. The account id is the table's key, in ``customer_id``:
    the unit the account-level segments count.

    Parameters
    ----------
    source
        As for :func:`read_transactions`.
    account_id
        The id column; recognised from common names (``account_id``,
        ``company_id``, ``org_id``, a bare ``id``).
    duplicates
        ``"keep"`` or ``"drop"`` exact duplicate rows.
    text_columns, date_formats
        As for :func:`read_customers`: columns kept as text, patterns of date columns.

    Examples
    --------
    >>> import polars as pl, segwise as sw
    >>> firms = pl.DataFrame({"account_id": ["A1", "A2", "A1", None],
    ...                       "industry": ["Retail", "Software", "Retail", "Finance"]})
    >>> report = sw.read_accounts(firms).quality()
    >>> {reason: n for reason, n in report.excluded.items() if n}
    {'missing_account_id': 1, 'duplicate_account_id': 1}
    """
    return read_kind(
        "accounts",
        source,
        {"customer_id": account_id},
        ReaderSettings(delimiter, encoding, sheet, table, query, text_columns, date_formats or {}),
        policy=CleaningPolicy().with_options(duplicates=duplicates),
    )


def read_responses(
    source: Any,
    *,
    customer_id: str | None = None,
    question: str | None = None,
    answer: str | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    table: str | None = None,
    query: str | None = None,
) -> Dataset:
    """Read survey answers: long (respondent, question, answer), or wide, one column per question.

    A source without a question column is a survey tool's wide export (Google Forms,
    Typeform, Qualtrics): its own columns (``Timestamp``, ``Submitted At``…) are left out
    and every other column is read as a question, skipped ones (empty cells) not being
    answers (:mod:`segwise.io.wide_answers`). The respondent is a customer id.

    A row without a question or an answer, or a second answer by the same respondent
    to the same question, is quarantined with its reason. Answers are kept as text; the codebook
    (``segwise.survey.Codebook``) says how to read them.

    Parameters
    ----------
    source
        As for :func:`read_transactions`.
    customer_id, question, answer
        Column names; recognised from common names (``respondent`` must be named).

    Examples
    --------
    >>> import polars as pl, segwise as sw
    >>> answers = pl.DataFrame({"customer_id": ["a", "a", "a", "b"],
    ...                         "question": ["q1", "q2", "q1", "q1"],
    ...                         "answer": ["4", " ", "5", "2"]})
    >>> ds = sw.read_responses(answers)
    >>> excluded = {reason: n for reason, n in ds.quality().excluded.items() if n}
    >>> ds.to_native()["answer"].to_list(), excluded
    (['4', '2'], {'missing_answer': 1, 'duplicate_answer': 1})
    """
    return read_kind(
        "responses",
        source,
        {"customer_id": customer_id, "question": question, "answer": answer},
        ReaderSettings(delimiter, encoding, sheet, table, query),
        policy=CleaningPolicy(),
    )


def read_exposures(
    source: Any,
    *,
    customer_id: str | None = None,
    timestamp: str | None = None,
    experiment: str | None = None,
    variant: str | None = None,
    timestamp_format: str | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    table: str | None = None,
    query: str | None = None,
) -> Dataset:
    """Read an experiment's exposure log: who saw which variant of which experiment, when.

    A row without an experiment, a variant or a readable timestamp is
    quarantined. A customer logged in two variants of one experiment is
    quarantined for that experiment, every row of them (which variant they saw
    is unknown, and keeping either would bias the comparison); repeated rows of
    one customer and variant are kept (the analysis takes the first exposure).

    Parameters
    ----------
    source
        As for :func:`read_transactions`.
    customer_id, timestamp, experiment, variant
        Column names; recognised from common names (``variation``, ``arm``,
        ``test_id``…).

    Examples
    --------
    >>> import polars as pl, segwise as sw
    >>> log = pl.DataFrame({"customer_id": ["a", "b", "b", "c"],
    ...                     "experiment": ["spring"] * 4, "variant": ["A", "A", "B", "B"],
    ...                     "timestamp": ["2026-03-01"] * 4})
    >>> ds = sw.read_exposures(log)
    >>> ds.to_native()["customer_id"].to_list(), ds.quality().excluded["several_variants"]
    (['a', 'c'], 2)
    """
    return read_kind(
        "exposures",
        source,
        {
            "customer_id": customer_id,
            "timestamp": timestamp,
            "experiment": experiment,
            "variant": variant,
        },
        ReaderSettings(delimiter, encoding, sheet, table, query),
        policy=CleaningPolicy(),
        timestamp_format=timestamp_format,
    )


def read_outcomes(
    source: Any,
    *,
    customer_id: str | None = None,
    timestamp: str | None = None,
    metric: str | None = None,
    value: str | None = None,
    timestamp_format: str | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    table: str | None = None,
    query: str | None = None,
) -> Dataset:
    """Read outcomes beyond orders, long: customer, time, metric name, numeric value.

    Sign-ups, app installs, tickets, NPS answers: any metric an experiment or
    a KPI should read. A row without a metric name, without a value or with a
    value that is not a number is quarantined with its reason.

    Examples
    --------
    >>> import polars as pl, segwise as sw
    >>> events = pl.DataFrame({"customer_id": ["a", "b", "c"], "metric": ["signup"] * 3,
    ...                        "value": ["1", "n/a", "1"], "timestamp": ["2026-03-02"] * 3})
    >>> ds = sw.read_outcomes(events)
    >>> ds.to_native()["value"].to_list(), ds.quality().excluded["non_numeric_value"]
    ([1.0, 1.0], 1)
    """
    return read_kind(
        "outcomes",
        source,
        {"customer_id": customer_id, "timestamp": timestamp, "metric": metric, "value": value},
        ReaderSettings(delimiter, encoding, sheet, table, query),
        policy=CleaningPolicy(),
        timestamp_format=timestamp_format,
    )


def read_consents(
    source: Any,
    *,
    customer_id: str | None = None,
    timestamp: str | None = None,
    purpose: str | None = None,
    status: str | None = None,
    expires: str | None = None,
    timestamp_format: str | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    table: str | None = None,
    query: str | None = None,
) -> Dataset:
    """Read a consent history: who gave or withdrew which consent, when, until when.

    One row per change: customer, purpose (``email``, ``sms``, ``ads``,
    ``profiling``…), status (``granted``, ``denied`` or ``revoked``), the date
    of the status and, optionally, when a grant expires. A row without a
    purpose or a status, with another status, or with an expiry that is not a
    date is quarantined with its reason. Which consent holds on a day is
    :func:`segwise.privacy.consent_in_force`'s.

    Examples
    --------
    >>> import polars as pl, segwise as sw
    >>> log = pl.DataFrame({"customer_id": ["a", "a", "b"], "purpose": ["email"] * 3,
    ...                     "status": ["granted", "Revoked", "maybe"],
    ...                     "timestamp": ["2026-01-02", "2026-03-01", "2026-01-05"]})
    >>> ds = sw.read_consents(log)
    >>> ds.to_native()["status"].to_list(), ds.quality().excluded["unknown_status"]
    (['granted', 'revoked'], 1)
    """
    roles = {"customer_id": customer_id, "timestamp": timestamp, "purpose": purpose,
             "status": status, "expires": expires}  # fmt: skip
    return read_kind(
        "consents",
        source,
        roles,
        ReaderSettings(delimiter, encoding, sheet, table, query),
        policy=CleaningPolicy(),
        timestamp_format=timestamp_format,
    )
