"""One segment's members as a file for a campaign tool: ids, contact columns, hashed if asked.

``segwise export``: the members of one segment of a stored run (the latest by
default), joined to columns of the project's customers source (emails and
phones live there, not in the store), hashed the way the receiving platform
matches them (:mod:`segwise.activation.audience`). Nothing is stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl

from segwise.activation.audience import hash_columns
from segwise.exceptions import ConfigError
from segwise.project.sources import WRITTEN_ID, customer_columns, ids_as_written

if TYPE_CHECKING:
    from collections.abc import Sequence

    from segwise.activation.audience import Hashing
    from segwise.project.pipeline import Project
    from segwise.store import Workspace


@dataclass(frozen=True)
class Export:
    """An exported audience and what could not go in it."""

    segmentation: str
    segment: str
    run_id: int
    table: pl.DataFrame
    #: Members absent from the customers source (their columns are empty).
    not_in_source: int = 0
    #: Per column, values that could not be normalised for the platform (left empty).
    not_normalised: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """JSON-ready counts (never the rows)."""
        return {
            "segmentation": self.segmentation,
            "segment": self.segment,
            "run_id": self.run_id,
            "rows": self.table.height,
            "columns": self.table.columns,
            "not_in_source": self.not_in_source,
            "not_normalised": self.not_normalised,
        }


def export_segment(
    project: Project,
    segment: str,
    *,
    segmentation: str | None = None,
    run: int | None = None,
    columns: Sequence[str] = (),
    hashing: Hashing | None = None,
    country: str | None = None,
    country_col: str | None = None,
) -> Export:
    """The members of ``segment`` (``segmentation/segment`` or a name) with ``columns``.

    With ``hashing`` of ``meta`` or ``google`` the customer id stays out (the
    file goes to an ad platform) and email and phone columns are hashed as it
    matches them; ``sha256`` hashes the id and every column as written.

    Examples
    --------
    >>> import tempfile, segwise as sw
    >>> project = sw.Project.from_yaml(sw.Project.init(tempfile.mkdtemp()))
    >>> _ = project.run()
    >>> found = export_segment(project, "lifecycle/VIP", columns=["email"], hashing="google")
    >>> found.table.columns, len(found.table["email"][0])
    (['email'], 64)
    """
    head, _, tail = segment.partition("/")
    if tail and segmentation is None and head in project.config.segmentations:
        segmentation, segment = head, tail  # else a name with a slash in it
    store = project.store
    with store.reading():
        members = store.members(segment, run=run, segmentation=segmentation)
        run_id = store.latest_run() if run is None else run
        found_in = segmentation or _segmentation_of(store, run_id, segment)
    table = members.with_columns(pl.col("customer_id").cast(pl.String))
    missing = 0
    wanted = list(dict.fromkeys([*columns, *([country_col] if country_col else [])]))
    if wanted or project.config.privacy.pseudonymise:
        table, missing = _joined(project, table, wanted)
    not_normalised: dict[str, int] = {}
    if hashing is not None:
        if hashing != "sha256" and not columns:
            raise ConfigError(
                f"--hash {hashing} needs the identifier columns to send",
                hint="add --columns email,phone (from the customers source)",
            )
        hashed = list(columns) if hashing != "sha256" else ["customer_id", *columns]
        table, not_normalised = hash_columns(
            table, hashed, hashing, country=country, country_col=country_col
        )
        if hashing != "sha256":
            table = table.drop("customer_id")
    keep = [c for c in table.columns if c in ("customer_id", *columns)]
    return Export(found_in, segment, run_id, table.select(keep), missing, not_normalised)


def _segmentation_of(store: Workspace, run_id: int, segment: str) -> str:
    """The one segmentation of the run holding ``segment`` (``members`` refused several)."""
    sizes = store.sizes().filter((pl.col("run_id") == run_id) & (pl.col("segment") == segment))
    names = sizes["segmentation"].unique().to_list()
    return str(names[0]) if names else ""


def _joined(project: Project, members: pl.DataFrame, wanted: list[str]) -> tuple[pl.DataFrame, int]:
    """Members with the customers source's ``wanted`` columns, and how many it lacks."""
    rows = customer_columns(project, wanted, asked_by="--columns")
    joined = members.join(rows, on="customer_id", how="left", maintain_order="left")
    known = members.join(rows.select("customer_id"), on="customer_id", how="semi").height
    # The store holds pseudonyms: the file gets the ids as written.
    return ids_as_written(joined.drop(WRITTEN_ID, strict=False), rows), members.height - known
