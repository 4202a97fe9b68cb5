"""Experiments of a project: who gets which variant (deterministic, within a segment).

``segwise experiment assign`` draws on the stored run: the members of one
segment (or every customer of the run), each placed by
:func:`segwise.measure.assignment.assign`. The result has the columns of the
``exposures`` source (customer, experiment, variant, timestamp), so the file
written is the exposure log a campaign tool fills in, or the log itself when
everyone assigned is contacted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import polars as pl

from segwise.measure.assignment import assign, check_split

if TYPE_CHECKING:
    from collections.abc import Sequence

    from segwise.project.pipeline import Project


@dataclass(frozen=True)
class Assignment:
    """An experiment's variants for a population of one run."""

    experiment: str
    salt: str
    variants: list[str]
    shares: list[float]
    #: ``segmentation/segment``, or ``everyone``
    population: str
    run_id: int
    table: pl.DataFrame

    def summary(self) -> dict[str, Any]:
        """JSON-ready counts (never the rows)."""
        counts = dict(self.table["variant"].value_counts().iter_rows())
        return {
            "experiment": self.experiment,
            "salt": self.salt,
            "population": self.population,
            "run_id": self.run_id,
            "customers": self.table.height,
            "variants": [
                {"variant": v, "share": s, "customers": int(counts.get(v, 0))}
                for v, s in zip(self.variants, self.shares, strict=True)
            ],
        }


def assign_experiment(
    project: Project,
    experiment: str,
    variants: Sequence[str],
    split: Sequence[float],
    *,
    segment: str | None = None,
    segmentation: str | None = None,
    salt: str | None = None,
    at: datetime | None = None,
    run: int | None = None,
) -> Assignment:
    """Every customer of ``segment`` (else of the run) with a variant, stable across runs.

    Examples
    --------
    >>> import tempfile, segwise as sw
    >>> project = sw.Project.from_yaml(sw.Project.init(tempfile.mkdtemp()))
    >>> _ = project.run()
    >>> found = assign_experiment(project, "vip-offer", ["A", "B"], [50, 50], segment="VIP")
    >>> found.table.columns
    ['customer_id', 'experiment', 'variant', 'timestamp']
    """
    shares = check_split(variants, split)
    store = project.store
    with store.reading():
        run_id = store.latest_run() if run is None else run
        if segment is None:
            population = "everyone"
            ids = (
                store.memberships(run_id)["customer_id"].cast(pl.String).unique(maintain_order=True)
            )
        else:
            head, _, tail = segment.partition("/")
            if tail and segmentation is None and head in project.config.segmentations:
                segmentation, segment = head, tail
            members = store.members(segment, run=run_id, segmentation=segmentation)
            ids = members["customer_id"].cast(pl.String)
            population = f"{segmentation}/{segment}" if segmentation else segment
    when = (at or datetime.now(UTC)).replace(tzinfo=None, microsecond=0)
    table = assign(ids.sort(), variants, split, salt or experiment).select(
        "customer_id",
        pl.lit(experiment).alias("experiment"),
        "variant",
        pl.lit(when).alias("timestamp"),
    )
    return Assignment(
        experiment, salt or experiment, list(variants), shares, population, run_id, table
    )


def exposure_log(project: Project, table: pl.DataFrame) -> pl.DataFrame:
    """An assignment's rows with each id as the sources write it.

    With ``privacy.pseudonymise`` the store, and so an assignment, holds pseudonyms.
    The exposure log goes to a campaign tool, which knows the real ids, and comes
    back as the ``exposures`` source, whose ids are pseudonymised on reading like
    every source's: a log of pseudonyms would be hashed a second time there and match
    nobody. The ids are mapped back through the customers source, else the
    transactions (the sources that make the run's customers).
    """
    if not project.config.privacy.pseudonymise or table.height == 0:
        return table
    from segwise.project.pseudonyms import pseudonyms_of  # noqa: PLC0415 - loads DuckDB

    name = "customers" if project.config.sources.customers is not None else "transactions"
    source = project.read_source(name, as_written=True).data
    written = (
        (source.select("customer_id").collect(backend="polars").to_native()["customer_id"])
        .cast(pl.String)
        .drop_nulls()
        .unique(maintain_order=True)
    )
    known = pl.DataFrame(
        {"customer_id": pseudonyms_of(project, written.to_list()), "__written": written}
    )
    mapped = table.join(known, on="customer_id", how="left", maintain_order="left")
    return mapped.with_columns(
        pl.col("__written").fill_null(pl.col("customer_id")).alias("customer_id")
    ).drop("__written")
