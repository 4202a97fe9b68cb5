"""The consent history applied: who may be sent (a purpose), who may be profiled.

A destination's ``consent_purpose`` is checked with :func:`granted_today`.

When the project's consent history (``sources.consents``) holds the profiling
purpose (``privacy.profiling_purpose``, default ``profiling``), a customer
without that consent in force on the run's as-of date is not profiled by the
methods that model people (clustering, predictions, lookalikes, surveys,
hybrids). The project chooses how (``privacy.profiling``):

- ``exclude`` (the default): they are left out before the model sees them:
  no fit, no segment; the segmentation says how many;
- ``aggregate``: the model fits on everyone and the segment sizes count them,
  but they are not stored as members (no history, no activation).

Rules and RFM scores describe what a customer did, with no model of them,
and are not restricted. A history without the profiling purpose means the
project does not base profiling on consent: nothing is restricted.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw
import polars as pl

from segwise.privacy.consent import consent_in_force

if TYPE_CHECKING:
    from segwise.io.dataset import Dataset
    from segwise.profiling.cards import SegmentationResult
    from segwise.project.methods import RunInputs
    from segwise.project.pipeline import Project

#: The methods that model people, restricted by profiling consent.
PROFILING_METHODS = frozenset({"cluster", "clv", "propensity", "lookalike", "survey", "hybrid"})


def without_profiling_consent(
    history: Dataset, purpose: str, features: pl.DataFrame, as_of: date
) -> tuple[str, ...] | None:
    """Customers of ``features`` whose ``purpose`` consent is not in force ``as_of``.

    None when the history has no row for ``purpose`` (profiling is not based on consent).
    """
    data = history.data
    given = data.filter(nw.col("purpose") == purpose).select(nw.len()).collect().item()
    if not given:
        return None
    held = consent_in_force(data, purpose, as_of).collect(backend="polars").to_native()
    granted = held.filter(pl.col("granted"))["customer_id"].cast(pl.String)
    granted = granted.filter(~granted.is_in(doubtful(history)))
    ids = features["customer_id"].cast(pl.String)
    return tuple(ids.filter(~ids.is_in(granted.implode())).to_list())


def doubtful(history: Dataset) -> list[str]:
    """Customers with a consent row that could not be read (quarantined).

    Such a row may be a revocation: until it is fixed, their consent is taken as not
    given, for every purpose (the quality report lists the rows and why).
    """
    column = history.roles.columns["customer_id"]
    column = f"{column}_source" if column in {"row", "reason"} else column
    ids = history.quarantine().select(nw.col(column).cast(nw.String()).alias("customer_id"))
    found = ids.filter(~nw.col("customer_id").is_null()).unique()
    return found.collect(backend="polars").to_native()["customer_id"].to_list()  # type: ignore[no-any-return]


def restricted(inputs: RunInputs, unconsented: tuple[str, ...]) -> RunInputs:
    """``inputs`` without ``unconsented``: features, every table by customer, earlier segments."""
    gone = list(unconsented)

    def keep(frame: Any) -> Any:
        wrapped = nw.from_native(frame)
        if "customer_id" not in wrapped.collect_schema().names():
            return frame
        kept = wrapped.filter(~nw.col("customer_id").cast(nw.String()).is_in(gone))
        return nw.to_native(kept)

    return replace(
        inputs,
        tables={name: keep(table) for name, table in inputs.tables.items()},
        features_native=keep(inputs.features_native),
        features=inputs.features.filter(~pl.col("customer_id").cast(pl.String).is_in(gone)),
        earlier={name: keep(members) for name, members in inputs.earlier.items()},
    )


def excluded_note(count: int, as_of: date) -> str:
    """What a segmentation says when it left people out for want of profiling consent."""
    return (
        f"{count:,} customers without profiling consent on {as_of} left out of this "
        "segmentation (privacy.profiling: exclude)"
    )


def kept_in_counts(
    result: SegmentationResult, unconsented: tuple[str, ...], as_of: date
) -> SegmentationResult:
    """``result`` without ``unconsented`` as stored members; its sizes still count them."""
    gone = ~pl.col("customer_id").cast(pl.String).is_in(list(unconsented))
    members = result.members.filter(gone)
    details = None if result.details is None else result.details.filter(gone)
    dropped = result.members.height - members.height
    if dropped:
        result.warnings.append(
            f"{dropped:,} customers without profiling consent on {as_of} are counted in the "
            "segment sizes but not stored as members (privacy.profiling: aggregate)"
        )
        result.definition["warnings"] = list(result.warnings)
    return replace(result, members=members, details=details)


def granted_today(project: Project, purpose: str, column: str) -> pl.DataFrame:
    """``customer_id`` and ``column`` (``granted``) of those whose ``purpose`` consent holds."""
    history = project.read_source("consents")
    held: pl.DataFrame = (
        consent_in_force(history.data, purpose, date.today()).collect(backend="polars").to_native()
    )
    unreadable = pl.col("customer_id").cast(pl.String).is_in(doubtful(history))
    return held.filter(pl.col("granted") & ~unreadable).select(
        pl.col("customer_id").cast(pl.String), pl.lit("granted").alias(column)
    )
