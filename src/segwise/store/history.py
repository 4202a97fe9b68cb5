"""What the store says about movement: changes between runs, and one customer's path.

:class:`Changes` answers "who entered and who left each segment between two
runs" (with the from → to migration matrix); :class:`CustomerHistory`
answers "where was this customer, run by run, and why did they move". The
reasons are read from the values kept for movers (see
:mod:`segwise.store.intervals`) by :mod:`segwise.store.reasons`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl

from segwise.store.reasons import reason_for

if TYPE_CHECKING:
    from datetime import date

    from segwise.store.refits import Refit

NONE = "(none)"


@dataclass(frozen=True)
class Changes:
    """Movement between run ``from_run`` and run ``to_run``.

    Attributes
    ----------
    counts
        Per segmentation and segment: ``before, after, entered, exited``.
    movers
        One row per customer who entered or left a segment: ``segmentation,
        segment, customer_id, change`` (``entered`` or ``exited``), in no
        particular order (sorting millions of moves costs more than finding
        them); :meth:`ordered_movers` sorts them.
    matrix
        From → to counts per segmentation (``from_segment, to_segment,
        customers``); ``(none)`` stands for customers absent from one run.
    refits
        The segmentations whose segments come from a different fit in each run
        (clusters fitted afresh): their moves compare two groupings, and each
        says which new segment holds most of each old one.
    edited
        The segmentations whose definition was edited between the two runs (a
        condition, a name, a setting): their moves are the edit's as well as the
        customers'. ``segwise diff`` shows each edit.
    """

    from_run: int
    to_run: int
    counts: pl.DataFrame
    movers: pl.DataFrame
    matrix: pl.DataFrame
    refits: tuple[Refit, ...] = ()
    edited: tuple[str, ...] = ()

    def edit_note(self) -> str | None:
        """One line naming the edited segmentations, None when none was edited."""
        if not self.edited:
            return None
        names = ", ".join(self.edited)
        was, its = ("was", "its") if len(self.edited) == 1 else ("were", "their")
        return (
            f"{names} {was} edited between run {self.from_run} and run {self.to_run} "
            f"(segwise diff --from {self.from_run} --to {self.to_run} shows how): "
            f"{its} moves are the edit's as well as the customers'"
        )

    def ordered_movers(self) -> pl.DataFrame:
        """``movers`` by segmentation, segment, change and customer (for files and JSON)."""
        return self.movers.sort("segmentation", "segment", "change", "customer_id")

    def shares(self) -> pl.DataFrame:
        """The matrix with each row's share of its ``from_segment``."""
        total = pl.col("customers").sum().over("segmentation", "from_segment")
        return self.matrix.with_columns((pl.col("customers") / total).alias("share"))

    def to_dict(self, *, with_customers: bool = True) -> dict[str, Any]:
        """JSON-ready: counts per segment, the matrix and (optionally) who moved."""
        data: dict[str, Any] = {
            "from_run": self.from_run,
            "to_run": self.to_run,
            "segments": self.counts.to_dicts(),
            "matrix": self.shares().to_dicts(),
            "refits": [
                {**refit.to_dict(), "note": refit.note(self.from_run, self.to_run)}
                for refit in self.refits
            ],
            "edited": list(self.edited),
            "edit_note": self.edit_note(),
        }
        if with_customers:
            data["movers"] = self.ordered_movers().to_dicts()
        return data


@dataclass(frozen=True)
class Move:
    """One change of a customer's segments in one segmentation, at one run."""

    run_id: int
    as_of: date
    segmentation: str
    before: tuple[str, ...]
    after: tuple[str, ...]
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "run_id": self.run_id,
            "as_of": self.as_of.isoformat(),
            "segmentation": self.segmentation,
            "before": list(self.before),
            "after": list(self.after),
            "reason": self.reason,
        }


@dataclass(frozen=True)
class CustomerHistory:
    """One customer's segments in every run, and each move with its reason."""

    customer_id: str
    path: pl.DataFrame
    moves: list[Move] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the path (run, as-of, segmentation, segment) and the moves."""
        path = self.path.with_columns(pl.col("as_of").cast(pl.String))
        return {
            "customer_id": self.customer_id,
            "path": path.to_dicts(),
            "moves": [m.to_dict() for m in self.moves],
        }

    def by_run(self) -> tuple[list[str], list[dict[str, Any]]]:
        """The path as a table to read: the segmentations, and one row per run.

        Each row holds ``run_id``, ``as_of`` (text) and ``segments``: the segment names
        per segmentation, joined by ", " where it is not exclusive ("" where absent).

        Examples
        --------
        >>> import datetime as dt
        >>> path = pl.DataFrame({"run_id": [1, 1, 2], "as_of": [dt.date(2024, 1, 31)] * 2
        ...     + [dt.date(2024, 2, 29)], "segmentation": ["value", "lifecycle", "value"],
        ...     "segment": ["Champions", "New", "Loyal"]})
        >>> names, rows = CustomerHistory("42", path).by_run()
        >>> names, rows[1]
        (['lifecycle', 'value'], {'run_id': 2, 'as_of': '2024-02-29', 'segments': \
{'lifecycle': '', 'value': 'Loyal'}})
        """
        names = sorted(set(self.path["segmentation"].to_list()))
        held = self.path.group_by("run_id", "as_of", "segmentation", maintain_order=True).agg(
            pl.col("segment")
        )
        rows: dict[int, dict[str, Any]] = {}
        for found in held.iter_rows(named=True):
            row = rows.setdefault(
                found["run_id"],
                {
                    "run_id": found["run_id"],
                    "as_of": str(found["as_of"]),
                    "segments": dict.fromkeys(names, ""),
                },
            )
            row["segments"][found["segmentation"]] = ", ".join(found["segment"])
        return names, list(rows.values())


def build_history(
    customer: str,
    runs: pl.DataFrame,
    spans: pl.DataFrame,
    moves: pl.DataFrame,
    definitions: pl.DataFrame,
) -> CustomerHistory:
    """Expand the customer's intervals run by run and explain every change."""
    run_ids = runs["run_id"].to_list()
    as_of = dict(zip(run_ids, runs["as_of"].to_list(), strict=True))
    latest = run_ids[-1] if run_ids else 0
    held: dict[tuple[str, int], set[str]] = {}
    for span in spans.iter_rows(named=True):
        last = span["to_run"] if span["to_run"] is not None else latest
        for run in run_ids:
            if span["from_run"] <= run <= last:
                held.setdefault((span["segmentation"], run), set()).add(span["segment"])
    path = pl.DataFrame(
        [
            {"run_id": run, "as_of": as_of[run], "segmentation": name, "segment": segment}
            for (name, run), segments in sorted(held.items(), key=lambda kv: (kv[0][1], kv[0][0]))
            for segment in sorted(segments)
        ],
        schema={
            "run_id": pl.Int64,
            "as_of": pl.Date,
            "segmentation": pl.String,
            "segment": pl.String,
        },
    )
    values = {row["run_id"]: row for row in moves.iter_rows(named=True)}
    methods = {
        (row["run_id"], row["segmentation"]): (row["method"], row["definition"])
        for row in definitions.iter_rows(named=True)
    }
    changes = []
    segmentations = sorted({name for name, _run in held} | set(spans["segmentation"].to_list()))
    for name in segmentations:
        previous: tuple[str, ...] | None = None
        for run in run_ids:
            if (run, name) not in methods:
                previous = None
                continue
            now = tuple(sorted(held.get((name, run), set()))) or (NONE,)
            if previous is not None and now != previous:
                method, text = methods[(run, name)]
                definition = json.loads(text) if text else {}
                reason = reason_for(method, name, definition, previous, now, values.get(run))
                changes.append(Move(run, as_of[run], name, previous, now, reason))
            previous = now
    changes.sort(key=lambda m: (m.run_id, m.segmentation))
    return CustomerHistory(customer, path, changes)


def migration_matrix(counts: pl.DataFrame, movers: pl.DataFrame) -> pl.DataFrame:
    """From → to counts per segmentation, from the segment sizes and who moved.

    A customer who left S and entered T is one S → T; one who only left is
    S → ``(none)``, one who only entered ``(none)`` → T; everyone else in S
    stayed (S → S). Exact for exclusive segmentations, where a customer holds
    one segment at a time.
    """
    keys = ["segmentation", "customer_id"]
    left = movers.filter(pl.col("change") == "exited").select(
        *keys, pl.col("segment").alias("from_segment")
    )
    came = movers.filter(pl.col("change") == "entered").select(
        *keys, pl.col("segment").alias("to_segment")
    )
    moved = (
        left.join(came, on=keys, how="full", coalesce=True)
        .with_columns(pl.col("from_segment").fill_null(NONE), pl.col("to_segment").fill_null(NONE))
        .group_by("segmentation", "from_segment", "to_segment")
        .agg(pl.len().cast(pl.Int64).alias("customers"))
    )
    exits = left.group_by("segmentation", "from_segment").agg(pl.len().alias("exits"))
    stayed = (
        counts.select("segmentation", pl.col("segment").alias("from_segment"), "before")
        .join(exits, on=["segmentation", "from_segment"], how="left")
        .select(
            "segmentation",
            "from_segment",
            pl.col("from_segment").alias("to_segment"),
            (pl.col("before") - pl.col("exits").fill_null(0)).cast(pl.Int64).alias("customers"),
        )
        .filter(pl.col("customers") > 0)
    )
    return pl.concat([moved, stayed]).sort("segmentation", "from_segment", "to_segment")
