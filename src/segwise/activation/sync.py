"""A destination's sync: who to add and remove, with governance applied at the edge.

:func:`plan_sync` compares the segments' current members with what the
destination holds as last sent (the store's sync state) and returns the adds
and removes its mode calls for:

- customers without valid consent, suppressed, or with no identifier the
  destination can match are never sent, and if sent before are removed, in
  every mode;
- a segment with fewer eligible members than ``min_size`` sends nothing new
  (the sync says why);
- a changed identifier is a remove of the old row and an add of the new one
  (``mirror``), or an update (``upsert``).

The plan is pure (frames in, frames out); :mod:`segwise.project.sync` reads
the inputs and carries it out.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import duckdb
import narwhals.stable.v2 as nw
import polars as pl

from segwise.activation.audience import hash_columns, identifier_kind
from segwise.activation.destinations import hashing_of
from segwise.privacy.consent import consented
from segwise.store.sync import STATE

if TYPE_CHECKING:
    from collections.abc import Sequence

    from segwise.activation.destinations import Destination

_KEYS = ["segmentation", "segment", "customer_id"]
#: Between hashed identifiers in a fingerprint (hex digests never contain it).
_JOIN = "|"


@dataclass(frozen=True)
class SegmentSync:
    """One segment's part of a sync."""

    segmentation: str
    segment: str
    members: int
    audience: int  # eligible members: consented, not suppressed, with an identifier
    adds: int
    removes: int
    not_consented: int
    suppressed: int
    no_identifier: int
    skipped: str | None = None
    #: members kept out by a standing holdout (of the segmentation or the destination)
    held_out: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class SyncPlan:
    """What one sync of one destination sends."""

    destination: str
    mode: str
    run_id: int
    delivery_id: str
    adds: pl.DataFrame
    removes: pl.DataFrame
    segments: tuple[SegmentSync, ...]
    identifiers: tuple[str, ...]
    #: With pseudonymised ids: ``customer_id`` (the pseudonym) and ``written_id``, the id
    #: as the sources write it, which is what the receiver is sent.
    written_ids: pl.DataFrame | None = None

    @property
    def changes(self) -> int:
        """Rows the delivery carries."""
        return self.adds.height + self.removes.height

    def actions(self) -> pl.DataFrame:
        """The changes as rows to apply in order: ``action`` (remove, add), keys, identifiers.

        Removes come first: a changed email is a remove of the old row and an add of
        the new one, and a receiver applying the rows in order must end with the new one.
        """
        parts = [
            frame.select(pl.lit(action).alias("action"), pl.exclude("fingerprint"))
            for action, frame in (("remove", self.removes), ("add", self.adds))
        ]
        rows = pl.concat(parts, how="vertical_relaxed")
        if self.written_ids is None:
            return rows
        written = self.written_ids.select("customer_id", "written_id")
        return (
            rows.join(written, on="customer_id", how="left", maintain_order="left")
            .with_columns(
                pl.col("written_id").fill_null(pl.col("customer_id")).alias("customer_id")
            )
            .drop("written_id")
        )


def plan_sync(
    name: str,
    spec: Destination,
    *,
    run_id: int,
    members: pl.DataFrame,
    contacts: pl.DataFrame,
    suppressed: Sequence[str],
    sent: pl.DataFrame,
    previous: str = "",
    on: date | None = None,
    held_out: pl.DataFrame | None = None,
) -> SyncPlan:
    """The adds and removes that bring ``name`` in step with ``members``.

    ``members``: ``segmentation, segment, customer_id`` of the destination's
    segments in the run; ``contacts``: the customers source's ``customer_id``
    with the identifier and consent columns; ``sent``: the destination's state
    (:data:`segwise.store.sync.STATE`); ``previous``: the id of its last delivery
    (:func:`segwise.store.sync.previous_delivery`), from which this one's id is derived;
    ``on``: the day dated consent is checked on (today by default); ``held_out``: the
    rows of ``members`` a standing holdout keeps out (never sent; removed if sent before).
    """
    people = people_for(spec, contacts, suppressed, on=on)
    withheld = (members.clear() if held_out is None else held_out).select(
        pl.col(_KEYS).cast(pl.String)
    )
    audience = members.select(pl.col(_KEYS).cast(pl.String)).join(
        people, on="customer_id", how="left"
    )
    audience = audience.join(
        withheld.with_columns(pl.lit(value=True).alias("__held")), on=_KEYS, how="left"
    ).with_columns(pl.col("__held").fill_null(value=False))
    audience = audience.with_columns(
        pl.col("__ok").fill_null(spec.consent_column is None),
        pl.col("__suppressed").fill_null(value=False),
        pl.col("__matchable").fill_null(hashing_of(spec) is None),
        pl.col("fingerprint").fill_null(""),
    )
    eligible = audience.filter(
        ~pl.col("__held") & pl.col("__ok") & ~pl.col("__suppressed") & pl.col("__matchable")
    )
    counts = _counts(audience, eligible)
    # Segments below the minimum send nothing new.
    small = {key for key, row in counts.items() if row["audience"] < spec.min_size}
    current = eligible.join(_segments(small), on=["segmentation", "segment"], how="anti")
    current = current.select(*STATE, *spec.identifiers)
    # Governance removes everywhere: sent before, but no consent now, or suppressed.
    barred = people.filter(~pl.col("__ok") | pl.col("__suppressed")).select("customer_id")
    if spec.consent_column is not None:
        unknown = sent.join(people, on="customer_id", how="anti").select("customer_id")
        barred = pl.concat([barred, unknown]).unique()
    adds, removes = _diff(spec.mode, current, sent, barred, small, withheld)
    removes = _with_identifiers(spec, removes, people)
    segments = tuple(
        SegmentSync(
            segmentation,
            segment,
            row["members"],
            row["audience"],
            adds.filter(_is(segmentation, segment)).height,
            removes.filter(_is(segmentation, segment)).height,
            row["not_consented"],
            row["suppressed"],
            row["no_identifier"],
            f"{row['audience']:,} members to send, under the minimum of {spec.min_size:,}"
            if (segmentation, segment) in small
            else None,
            row["held_out"],
        )
        for (segmentation, segment), row in counts.items()
    )
    delivery = _delivery_id(name, run_id, previous, adds, removes)
    return SyncPlan(
        name, spec.mode, run_id, delivery, adds, removes, segments, tuple(spec.identifiers)
    )


def erasure_plan(
    name: str,
    spec: Destination,
    *,
    run_id: int,
    held: pl.DataFrame,
    contacts: pl.DataFrame,
    previous: str = "",
) -> SyncPlan:
    """Removes of every row ``name`` holds for erased customers (``held``, as :data:`STATE`).

    Whatever their consent or segments now: the receiver must drop them. Identifiers
    go as they were sent, as in any remove.
    """
    people = people_for(spec, contacts, [])
    removes = _with_identifiers(spec, held.select(list(STATE)), people)
    adds = removes.clear()
    delivery = _delivery_id(name, run_id, previous, adds, removes)
    return SyncPlan(name, spec.mode, run_id, delivery, adds, removes, (), tuple(spec.identifiers))


def people_for(
    spec: Destination,
    contacts: pl.DataFrame,
    suppressed: Sequence[str],
    *,
    on: date | None = None,
) -> pl.DataFrame:
    """Per customer: identifiers as sent, fingerprint, consent, suppression, matchability.

    The flags are ``__ok`` (valid consent, on ``on``: today by default), ``__suppressed``
    and ``__matchable`` (an identifier the destination can match).
    """
    wanted = ["customer_id", *spec.identifiers]
    extra = [spec.consent_column, spec.consent_date, spec.consent_expires,
             getattr(spec, "country_col", None)]  # fmt: skip
    table = contacts.select(list(dict.fromkeys([*wanted, *(c for c in extra if c)])))
    dates = [c for c in (spec.consent_date, spec.consent_expires) if c]
    table = table.with_columns(_as_date(table, c) for c in dates)
    if spec.consent_column:
        valid = consented(spec.consent_column, since=spec.consent_date,
                          until=spec.consent_expires, on=on or date.today())  # fmt: skip
        ok = nw.from_native(table).select(valid).to_native()[spec.consent_column]
    else:
        ok = pl.repeat(value=True, n=table.height, eager=True)
    table = table.with_columns(
        ok.alias("__ok"),
        pl.col("customer_id").is_in(list(suppressed)).alias("__suppressed"),
    )
    platform = hashing_of(spec)
    if platform is None:
        fingerprint = _sha256_rows(table, spec.identifiers)
        matchable = pl.repeat(value=True, n=table.height, eager=True)
    else:
        table, _ = hash_columns(
            table,
            spec.identifiers,
            platform,
            country=getattr(spec, "country", None),
            country_col=getattr(spec, "country_col", None),
        )
        hashed = [pl.col(c).fill_null("") for c in spec.identifiers]
        fingerprint = table.select(pl.concat_str(hashed, separator=_JOIN))[:, 0]
        # Country and postal code help Google match; alone they identify nobody.
        hashed_ids = [c for c in spec.identifiers if identifier_kind(c) is not None]
        matchable = table.select(pl.any_horizontal(pl.col(hashed_ids).is_not_null()))[:, 0]
    return table.with_columns(
        fingerprint.alias("fingerprint"), matchable.alias("__matchable")
    ).select(*wanted, "fingerprint", "__ok", "__suppressed", "__matchable")


def _as_date(table: pl.DataFrame, column: str) -> pl.Expr:
    """``column`` as dates: text is read as ISO dates or date-times (unreadable: NULL)."""
    if table.schema[column] == pl.Date:
        return pl.col(column)
    if table.schema[column] in (pl.String, pl.Categorical):
        text = pl.col(column).cast(pl.String).str.strip_chars()
        return pl.coalesce(
            text.str.to_date(strict=False), text.str.to_datetime(strict=False).dt.date()
        ).alias(column)
    return pl.col(column).cast(pl.Date, strict=False)


def _sha256_rows(table: pl.DataFrame, columns: Sequence[str]) -> pl.Series:
    """A SHA-256 of each row's values (so the store never keeps the identifiers themselves)."""
    if not columns:
        return pl.repeat("", n=table.height, eager=True, dtype=pl.String)
    text = table.select(
        pl.concat_str(
            [pl.col(c).cast(pl.String).fill_null("\x00") for c in columns], separator="\x1f"
        ).alias("row")
    )
    with duckdb.connect() as connection:  # SHA-256 in the engine: Polars has none
        connection.register("rows", text.to_arrow())
        found = connection.sql("SELECT sha256(row) AS h FROM rows").pl()
    hashes: pl.Series = found["h"]
    return hashes


def _counts(
    audience: pl.DataFrame, eligible: pl.DataFrame
) -> dict[tuple[str, str], dict[str, int]]:
    """Per segment: members, eligible audience and why the others were left out."""
    # The first reason counts: held out (by design), then consent, suppression, identifier.
    kept = ~pl.col("__held")
    totals = audience.group_by("segmentation", "segment", maintain_order=True).agg(
        pl.len().alias("members"),
        pl.col("__held").sum().alias("held_out"),
        (kept & ~pl.col("__ok")).sum().alias("not_consented"),
        (kept & pl.col("__ok") & pl.col("__suppressed")).sum().alias("suppressed"),
        (kept & pl.col("__ok") & ~pl.col("__suppressed") & ~pl.col("__matchable"))
        .sum()
        .alias("no_identifier"),
    )
    sizes = eligible.group_by("segmentation", "segment").agg(pl.len().alias("audience"))
    table = totals.join(sizes, on=["segmentation", "segment"], how="left").with_columns(
        pl.col("audience").fill_null(0)
    )
    out: dict[tuple[str, str], dict[str, int]] = {}
    for row in table.iter_rows(named=True):
        key = (row.pop("segmentation"), row.pop("segment"))
        out[key] = {k: int(v) for k, v in row.items()}
    return out


def _diff(
    mode: str,
    current: pl.DataFrame,
    sent: pl.DataFrame,
    barred: pl.DataFrame,
    small: set[tuple[str, str]],
    withheld: pl.DataFrame,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    state = list(STATE)
    if mode == "snapshot":  # the whole audience, which replaces what the destination holds
        return current, sent.clear()
    adds = current.join(sent, on=state, how="anti")
    # Governance removes in every mode: consent gone, suppressed, or now in a holdout.
    governed = pl.concat(
        [
            sent.join(barred, on="customer_id", how="semi"),
            sent.join(withheld, on=_KEYS, how="semi"),
        ]
    ).unique(maintain_order=True)
    if mode == "upsert":
        return adds, governed.select(state)
    # mirror: everything sent that is not current, except in segments under the minimum
    # (they are left as they were, but for governance removals).
    stale = sent.join(current, on=state, how="anti")
    stale = stale.join(_segments(small), on=["segmentation", "segment"], how="anti")
    removes = pl.concat([stale, governed]).unique(maintain_order=True)
    return adds, removes.select(state)


def _with_identifiers(
    spec: Destination, removes: pl.DataFrame, people: pl.DataFrame
) -> pl.DataFrame:
    """Removes with the identifiers that were sent (ad platforms: read back from the hashes).

    Files get the identifiers as they are now where they have not changed since; the store
    keeps only their hash, so a changed one is left empty (the customer id is the key).
    """
    if hashing_of(spec) is None or not spec.identifiers:
        now = people.select("customer_id", *spec.identifiers, pl.col("fingerprint").alias("__now"))
        same = pl.col("fingerprint") == pl.col("__now")
        return (
            removes.join(now, on="customer_id", how="left")
            .with_columns(pl.when(same).then(pl.col(c)).alias(c) for c in spec.identifiers)
            .drop("__now")
        )
    parts = pl.col("fingerprint").str.split(_JOIN)
    return removes.with_columns(
        parts.list.get(i, null_on_oob=True).replace("", None).alias(c)
        for i, c in enumerate(spec.identifiers)
    )


def _segments(pairs: set[tuple[str, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        {"segmentation": [a for a, _ in pairs], "segment": [b for _, b in pairs]},
        schema={"segmentation": pl.String, "segment": pl.String},
    )


def _is(segmentation: str, segment: str) -> pl.Expr:
    return (pl.col("segmentation") == segmentation) & (pl.col("segment") == segment)


def _delivery_id(
    name: str, run_id: int, previous: str, adds: pl.DataFrame, removes: pl.DataFrame
) -> str:
    """The same changes after the same delivery give the same id: a repeat is recognisable."""
    digest = hashlib.sha256(f"{name}\x1f{run_id}\x1f{previous}".encode())
    for label, frame in (("add", adds), ("remove", removes)):
        rows = frame.select(list(STATE)).sort(_KEYS)
        digest.update(f"{label}:{rows.height}".encode())
        digest.update(rows.hash_rows(seed=0).to_numpy().tobytes())
    return f"{run_id}-{digest.hexdigest()[:16]}"
