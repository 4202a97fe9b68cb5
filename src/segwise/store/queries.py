"""The store's history queries: members at a run or a day, changes, a customer's path.

A mixin of :class:`~segwise.store.workspace.Workspace`, which provides the
connection (``reading``), ``_read``, ``_run`` and ``runs``. Every query reads
the validity intervals (:mod:`segwise.store.intervals`); each public method
runs its queries on one read-only connection.
"""

from __future__ import annotations

import itertools
import json
from datetime import date
from typing import TYPE_CHECKING, Any

import polars as pl

from segwise.exceptions import ConfigError
from segwise.store import definitions as defs
from segwise.store import intervals, schema, segment_counts
from segwise.store.definitions import DefinitionChange, diff_definitions, edited_segmentations
from segwise.store.forecast import Forecast, forecast_sizes
from segwise.store.history import (
    NONE,
    Changes,
    CustomerHistory,
    build_history,
    migration_matrix,
)
from segwise.store.reasons import reason_for
from segwise.store.refits import find_refits

if TYPE_CHECKING:
    from contextlib import AbstractContextManager
    from pathlib import Path


class HistoryQueries:
    """Point-in-time, change, path, forecast and definition queries over the stored runs."""

    if TYPE_CHECKING:  # what Workspace provides, declared for the type checker only
        path: Path

        def reading(self) -> AbstractContextManager[Any]: ...  # noqa: D102

        def runs(self) -> pl.DataFrame: ...  # noqa: D102

        def _read(self, sql: str, params: dict[str, Any] | None = None) -> pl.DataFrame: ...

        def _run(self, run: int | None) -> int: ...

    def run_on(self, day: date | str) -> int:
        """The latest run whose as-of date is on or before ``day``."""
        with self.reading():
            wanted = date.fromisoformat(day) if isinstance(day, str) else day
            runs = self.runs().filter(pl.col("as_of") <= wanted)
            if runs.height == 0:
                dates = self.runs()["as_of"]
                first = str(dates.min()) if dates.len() else None
                raise ConfigError(
                    f"{self.path}: no run as of {wanted} or earlier",
                    hint=f"the first run is as of {first}" if first else "run the project first",
                )
            return int(runs["run_id"].max())  # type: ignore[arg-type]

    def segments_at(
        self, segmentation: str, exposed: pl.DataFrame, *, key: str | None = None
    ) -> pl.DataFrame:
        """Each ``customer_id, exposed_at`` placed in the run in force on that day, and its segment.

        The run in force is the latest whose as-of date is on or before the day
        of ``exposed_at`` (as :meth:`run_on`); ``run_id`` is NULL before the first run,
        ``segment`` NULL when the customer was in no segment of ``segmentation``
        then. A customer in several segments (an overlapping catalog) gets a row
        for each. With ``key`` (a column of ``exposed`` naming its rows) the result
        holds ``key, run_id, segment`` instead: less to carry back (4.3M exposures:
        0.3 s). The join runs in DuckDB, beside the intervals.
        """
        placed = "__sw_exposed_at"
        given = ["customer_id", "exposed_at"] if key is None else [key]
        wanted = ", ".join(f'p."{name}"' for name in [*given, "run_id"])
        with self.reading() as connection:
            columns = dict.fromkeys([*given, "customer_id", "exposed_at"])
            connection.register(placed, exposed.select(*columns).to_arrow())
            try:
                table = connection.sql(
                    # The run in force is looked up once per day exposed, not per customer
                    # (4.3M exposures over a week: 1.6-1.9 s -> 0.9-1.0 s).
                    f"""WITH runs_by_day AS (
                        SELECT as_of, max(run_id) AS run_id FROM runs GROUP BY as_of),
                    days AS (SELECT DISTINCT CAST(exposed_at AS DATE) AS day FROM {placed}),
                    day_runs AS (
                        SELECT d.day, r.run_id
                        FROM days d ASOF LEFT JOIN runs_by_day r ON d.day >= r.as_of),
                    placed AS (
                        SELECT e.*, dr.run_id FROM {placed} e
                        LEFT JOIN day_runs dr ON CAST(e.exposed_at AS DATE) = dr.day)
                    SELECT {wanted}, m.segment
                    FROM placed p LEFT JOIN membership_intervals m
                      ON m.segmentation = $segmentation AND m.customer_id = p.customer_id
                     AND m.from_run <= p.run_id AND (m.to_run IS NULL OR m.to_run >= p.run_id)""",
                    params={"segmentation": segmentation},
                ).to_arrow_table()
            finally:
                connection.unregister(placed)
        frame = pl.from_arrow(table)
        assert isinstance(frame, pl.DataFrame)
        return frame

    def memberships(
        self, run: int | None = None, *, segmentation: str | None = None
    ) -> pl.DataFrame:
        """Every membership of a run (the latest by default): segmentation, customer, segment."""
        with self.reading():
            run_id = self._run(run)
            return self._read(
                intervals.snapshot_sql(segmentation=segmentation is not None)
                + " ORDER BY segmentation, segment, customer_id",
                intervals.params(run=run_id, segmentation=segmentation),
            )

    def members(
        self,
        segment: str,
        *,
        run: int | None = None,
        segmentation: str | None = None,
        on: date | str | None = None,
        contacts: bool = False,
    ) -> pl.DataFrame:
        """Customer ids in one segment of a run (the latest by default).

        ``on`` picks the run in force on that day: the latest whose as-of date
        is on or before it. For a segment of accounts (``level: account``),
        ``contacts=True`` lists the people of each account instead:
        ``account_id, customer_id``, as the run mapped them.
        """
        with self.reading():
            run_id = self.run_on(on) if on is not None else self._run(run)
            # The run's stored segment names answer which segmentation, without a scan.
            named = self._read(
                "SELECT DISTINCT segmentation FROM segments WHERE run_id = $run "
                "AND segment = $segment"
                + (" AND segmentation = $segmentation" if segmentation is not None else ""),
                intervals.params(run=run_id, segment=segment, segmentation=segmentation),
            )["segmentation"].to_list()
            if len(named) == 1:
                return self._members_of(run_id, named[0], segment, contacts=contacts)
            held = self._read(
                "SELECT DISTINCT segmentation, segment FROM membership_intervals WHERE "
                + intervals.COVERING,
                {"run": run_id},
            )
            found = held.filter(pl.col("segment") == segment)
            if segmentation is not None:
                found = found.filter(pl.col("segmentation") == segmentation)
            if found.height == 0:
                names = ", ".join(f"'{k}'" for k in sorted(set(held["segment"].to_list()))[:20])
                raise ConfigError(
                    f"run {run_id} has no segment '{segment}'", hint=f"the segments are {names}"
                )
            if found.height > 1:
                options = ", ".join(sorted(found["segmentation"].to_list()))
                raise ConfigError(
                    f"segment '{segment}' is in several segmentations ({options})",
                    hint="choose one with --segmentation",
                )
            return self._members_of(run_id, found["segmentation"][0], segment, contacts=contacts)

    def _members_of(
        self, run_id: int, segmentation: str, segment: str, *, contacts: bool
    ) -> pl.DataFrame:
        values = {"run": run_id, "segmentation": segmentation, "segment": segment}
        members = (
            "SELECT customer_id FROM membership_intervals WHERE "
            + intervals.COVERING
            + " AND segmentation = $segmentation AND segment = $segment"
        )
        if not contacts:
            return self._read(members + " ORDER BY customer_id", values)
        if self.level(segmentation, run_id) != "account":
            raise ConfigError(
                f"segmentation '{segmentation}' segments customers, not accounts: "
                "there are no contacts to list",
                hint="--contacts expands segments of a segmentation with level: account",
            )
        return self._read(
            f"SELECT m.customer_id AS account_id, c.customer_id FROM ({members}) m "
            "JOIN contact_intervals c ON c.account_id = m.customer_id "
            "AND c.from_run <= $run AND (c.to_run IS NULL OR c.to_run >= $run) "
            "ORDER BY account_id, c.customer_id",
            values,
        )

    def members_page(
        self,
        segmentation: str,
        segment: str,
        *,
        run: int,
        after: str | None = None,
        limit: int = 100,
        prefix: str | None = None,
    ) -> pl.DataFrame:
        """Up to ``limit`` member ids of one segment, in id order, after the id ``after``.

        Keyset pagination: each page costs the same however deep it is, and pages
        of one run never shift while later runs are written. ``prefix`` keeps the
        ids that start with it (a search box).
        """
        sql = (
            "SELECT customer_id FROM membership_intervals WHERE "
            + intervals.COVERING
            + " AND segmentation = $segmentation AND segment = $segment"
            + (" AND customer_id > $after" if after is not None else "")
            + (" AND starts_with(customer_id, $prefix)" if prefix else "")
            + " ORDER BY customer_id LIMIT $limit"
        )
        return self._read(
            sql,
            intervals.params(
                run=run,
                segmentation=segmentation,
                segment=segment,
                after=after,
                prefix=prefix or None,
                limit=int(limit),
            ),
        )

    def segment_size(self, run: int, segmentation: str, segment: str) -> int | None:
        """A segment's member count in a run (None: no such segment in that run)."""
        found = self._read(
            "SELECT size FROM segments WHERE run_id = $run AND segmentation = $segmentation "
            "AND segment = $segment",
            {"run": run, "segmentation": segmentation, "segment": segment},
        )
        return int(found["size"][0]) if found.height else None

    def customer_segments(self, customer_id: str, run: int | None = None) -> pl.DataFrame:
        """The segments one customer holds in a run (the latest by default)."""
        with self.reading():
            return self._read(
                "SELECT segmentation, segment FROM membership_intervals WHERE "
                + intervals.COVERING
                + " AND customer_id = $customer ORDER BY segmentation, segment",
                {"run": self._run(run), "customer": str(customer_id)},
            )

    def profiles(self, run: int | None = None) -> pl.DataFrame:
        """Each segment's size, share and stored profile (card data, JSON) in a run."""
        with self.reading():
            return self._read(
                "SELECT segmentation, segment, size, share, profile FROM segments "
                "WHERE run_id = $run ORDER BY segmentation, size DESC",
                {"run": self._run(run)},
            )

    def level(self, segmentation: str, run: int | None = None) -> str:
        """Whom a stored segmentation segments: ``customer`` or ``account``."""
        with self.reading():
            found = self._read(
                "SELECT json_extract_string(definition, '$.level') AS level FROM segmentations "
                "WHERE run_id = $run AND segmentation = $segmentation",
                {"run": self._run(run), "segmentation": segmentation},
            )
        return str(found["level"][0] or "customer") if found.height else "customer"

    def changes(
        self,
        from_run: int | None = None,
        to_run: int | None = None,
        *,
        segmentation: str | None = None,
    ) -> Changes:
        """Who entered and who left each segment between two runs (default: the last two)."""
        with self.reading():
            first, second = self._pair(from_run, to_run)
            values: dict[str, Any] = {"from": first, "to": second}
            if segmentation is not None:
                held = self._read(
                    "SELECT DISTINCT segmentation FROM segmentations WHERE run_id IN ($from, $to)",
                    values,
                )["segmentation"].to_list()
                if segmentation not in held:
                    raise ConfigError(
                        f"no segmentation '{segmentation}' in runs {first} and {second}",
                        hint=f"the segmentations are {', '.join(sorted(held))}",
                    )
                values["segmentation"] = segmentation
            only = segmentation is not None
            with self.reading() as connection:
                counting = segment_counts.counts_query(connection, first, second, segmentation=only)
            counts = self._read(counting, values)
            earlier, later = sorted((first, second))
            movers = self._read(intervals.movers_sql(only), values | {"from": earlier, "to": later})
            if first > second:  # asked backwards: who "entered" going back in time
                swap = {"entered": "exited", "exited": "entered"}
                movers = movers.with_columns(pl.col("change").replace_strict(swap))
            tallies = movers.group_by("segmentation", "segment").agg(
                (pl.col("change") == "entered").sum().cast(pl.Int64).alias("entered"),
                (pl.col("change") == "exited").sum().cast(pl.Int64).alias("exited"),
            )
            counts = counts.join(tallies, on=["segmentation", "segment"], how="left").with_columns(
                pl.col("entered").fill_null(0), pl.col("exited").fill_null(0)
            )
            matrix = migration_matrix(counts, movers)
            before, after = (self._definitions_of(r, segmentation) for r in (first, second))
            refits = find_refits(before, after, counts, matrix)
            configs = [self.run_config(r) for r in (first, second)]
            edited = edited_segmentations(configs[0], before, configs[1], after)
            return Changes(first, second, counts, movers, matrix, refits, tuple(sorted(edited)))

    def move_reasons(self, from_run: int, to_run: int, movers: pl.DataFrame) -> pl.DataFrame:
        """Why each of ``movers`` moved between two runs: ``segmentation, customer_id, reason``.

        ``movers`` has ``segmentation`` and ``customer_id`` (as :meth:`changes` gives
        them). One sentence per customer and segmentation (:func:`reason_for`), written
        in Python: meant for the movers of a few segments (triggers), not a whole run.
        """
        pairs = movers.select("segmentation", pl.col("customer_id").cast(pl.String)).unique()
        schema = {"segmentation": pl.String, "customer_id": pl.String, "reason": pl.String}
        if pairs.height == 0:
            return pl.DataFrame(schema=schema)
        with self.reading() as connection:
            definitions = {
                row["segmentation"]: (row["method"], json.loads(row["definition"] or "{}"))
                for row in self._read(
                    "SELECT segmentation, method, definition FROM segmentations "
                    "WHERE run_id = $run",
                    {"run": to_run},
                ).iter_rows(named=True)
            }
            connection.register("mover_ids", pairs.select("customer_id").unique().to_arrow())
            try:
                kept = self._read(
                    "SELECT customer_id, features_before, features_after FROM moves "
                    "WHERE run_id = $run AND customer_id IN (SELECT customer_id FROM mover_ids)",
                    {"run": to_run},
                )
            finally:
                connection.unregister("mover_ids")
            held = [
                self._held(run, pairs).rename({"segments": side})
                for run, side in ((from_run, "before"), (to_run, "after"))
            ]
        values = {row["customer_id"]: row for row in kept.iter_rows(named=True)}
        rows = pairs.join(held[0], on=["segmentation", "customer_id"], how="left").join(
            held[1], on=["segmentation", "customer_id"], how="left"
        )
        reasons = []
        for segmentation, customer, before, after in rows.iter_rows():
            method, definition = definitions.get(segmentation, ("", {}))
            was, now = tuple(before or (NONE,)), tuple(after or (NONE,))
            kept_values = values.get(customer)
            reasons.append(reason_for(method, segmentation, definition, was, now, kept_values))
        return rows.select("segmentation", "customer_id").with_columns(
            pl.Series("reason", reasons, dtype=pl.String)
        )

    def _held(self, run: int, pairs: pl.DataFrame) -> pl.DataFrame:
        """Each pair's segments in ``run``, sorted: ``segmentation, customer_id, segments``."""
        found = self.memberships(run).with_columns(pl.col("customer_id").cast(pl.String))
        return (
            found.join(pairs, on=["segmentation", "customer_id"], how="semi")
            .group_by("segmentation", "customer_id")
            .agg(pl.col("segment").sort().alias("segments"))
        )

    def history(self, customer_id: str) -> CustomerHistory:
        """One customer's path through every segmentation, run by run, with each move's reason."""
        with self.reading():
            customer = str(customer_id)
            spans = self._read(intervals.history_sql(), {"customer": customer})
            moves = self._read(
                "SELECT run_id, features_before, features_after FROM moves "
                "WHERE customer_id = $customer ORDER BY run_id",
                {"customer": customer},
            )
            # Definitions only of the runs the customer moved in: the rest are not read.
            definitions = self._read(
                "SELECT run_id, segmentation, method, CASE WHEN run_id IN (SELECT run_id FROM "
                "moves WHERE customer_id = $customer) THEN definition END AS definition "
                "FROM segmentations ORDER BY run_id",
                {"customer": customer},
            )
            return build_history(customer, self.runs(), spans, moves, definitions)

    def forecast(self, segmentation: str, *, steps: int = 3, pairs: int = 12) -> Forecast:
        """Sizes of a segmentation's segments for the next ``steps`` runs (a Markov chain).

        Fitted on the migrations between the last ``pairs`` + 1 runs that hold it.
        """
        with self.reading():
            held = self._read(
                "SELECT run_id, method FROM segmentations WHERE segmentation = $name "
                "ORDER BY run_id",
                {"name": segmentation},
            )
            if held.height < 2:
                raise ConfigError(
                    f"segmentation '{segmentation}' is in {held.height} stored run(s): a forecast "
                    "needs the moves between at least two",
                    hint="run the project again after the data changes",
                )
            if held["method"][-1] == "cluster":
                raise ConfigError(
                    f"'{segmentation}' is a cluster segmentation: its segments change when "
                    "refitted",
                    hint="forecast RFM, rule or CLV segments, or freeze the model (model: PATH)",
                )
            runs = held["run_id"].to_list()[-(pairs + 1) :]
            stored = self.transitions(segmentation, since=runs[0])
            flows = []
            for a, b in itertools.pairwise(runs):
                pair = stored.filter((pl.col("previous_run") == a) & (pl.col("run_id") == b))
                if pair.height == 0:  # stored before transitions were kept, or a paused stretch
                    pair = self.changes(a, b, segmentation=segmentation).matrix
                flows.append(
                    pair.select(pl.lit(b).alias("pair"), "from_segment", "to_segment", "customers")
                )
            latest = self.memberships(runs[-1], segmentation=segmentation)
            current = dict(latest.group_by("segment").len().iter_rows())
            return forecast_sizes(segmentation, pl.concat(flows), current, steps=steps)

    def transitions(self, segmentation: str | None = None, *, since: int = 0) -> pl.DataFrame:
        """The stored from → to counts between consecutive runs, from run ``since`` on.

        ``run_id, previous_run, segmentation, from_segment, to_segment,
        customers``; empty for stores written before transitions were kept.
        """
        with self.reading() as connection:
            if "transitions" not in schema.table_names(connection):
                return pl.DataFrame(
                    schema={
                        "run_id": pl.Int32,
                        "previous_run": pl.Int32,
                        "segmentation": pl.String,
                        "from_segment": pl.String,
                        "to_segment": pl.String,
                        "customers": pl.Int64,
                    }
                )
            return self._read(
                "SELECT * FROM transitions WHERE previous_run >= $since"
                + (" AND segmentation = $name" if segmentation else "")
                + " ORDER BY run_id, segmentation, from_segment, to_segment",
                intervals.params(since=since, name=segmentation),
            )

    def run_config(self, run: int) -> str | None:
        """The project file's text as ``run`` read it (None: no such run)."""
        rows = self._read("SELECT config FROM runs WHERE run_id = $run", {"run": run})
        return None if rows.height == 0 else rows["config"][0]

    def definitions(self, run: int | None = None) -> dict[str, dict[str, Any]]:
        """Every segmentation's stored definition in a run (the latest by default)."""
        run_id = self._run(run)
        rows = self._read(
            "SELECT segmentation, definition FROM segmentations WHERE run_id = $run",
            {"run": run_id},
        )
        return {name: json.loads(text) for name, text in rows.iter_rows()}

    def _definitions_of(self, run: int, segmentation: str | None) -> dict[str, dict[str, Any]]:
        found = self.definitions(run)
        if segmentation is None:
            return found
        return {name: d for name, d in found.items() if name == segmentation}

    def diff(
        self, from_run: int | None = None, to_run: int | None = None
    ) -> list[DefinitionChange]:
        """What changed in the segment definitions between two runs (default: the last two)."""
        with self.reading():
            first, second = self._pair(from_run, to_run)
            before, after = self.definitions(first), self.definitions(second)
            configs = [self.run_config(r) for r in (first, second)]
            return diff_definitions(
                before,
                after,
                labels=(f"run {first}", f"run {second}"),
                refitted=defs.refitted_segmentations(configs[0], before, configs[1], after),
            )

    def _pair(self, from_run: int | None, to_run: int | None) -> tuple[int, int]:
        runs = self.runs()["run_id"].to_list()
        if to_run is None:
            to_run = runs[-1] if runs else None
        second = self._run(to_run)
        if from_run is None:
            earlier = [r for r in runs if r < second]
            if not earlier:
                raise ConfigError(
                    f"{self.path}: run {second} has no earlier run to compare with",
                    hint="run the project again after the data changes, or pass --from",
                )
            from_run = earlier[-1]
        return self._run(from_run), second
