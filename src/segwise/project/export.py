"""One segment's members as a file for a campaign tool: ids, contact columns, hashed if asked.

``segwise export``: the members of one segment of a stored run (the latest by
default), joined to columns of the project's customers source (emails and
phones live there, not in the store), hashed the way the receiving platform
matches them (:mod:`segwise.activation.audience`). Nothing is stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw
import polars as pl

from segwise.activation.audience import hash_columns
from segwise.exceptions import ConfigError
from segwise.privacy.consent import consented
from segwise.project.consents import granted_today
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
    #: The consent checked (a customers column, or ``purpose:NAME`` of the history), if any.
    consent: str | None = None
    #: Members left out for want of that consent.
    without_consent: int = 0

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
            "consent": self.consent,
            "without_consent": self.without_consent,
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
    consent: str | None = None,
    consent_purpose: str | None = None,
) -> Export:
    """The members of ``segment`` (``segmentation/segment`` or a name) with ``columns``.

    With ``hashing`` of ``meta`` or ``google`` the customer id stays out (the
    file goes to an ad platform) and email and phone columns are hashed as it
    matches them; ``sha256`` hashes the id and every column as written.
    ``consent`` (a customers column: ``consent_ads``) or ``consent_purpose`` (a purpose
    of the consent history) leaves out the members who have not agreed, as a
    destination's ``consent:`` does (:mod:`segwise.privacy.consent`).

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
    table, refused = _consenting(project, table, consent, consent_purpose)
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
    checked = consent or (f"purpose:{consent_purpose}" if consent_purpose else None)
    return Export(
        found_in, segment, run_id, table.select(keep), missing, not_normalised, checked, refused
    )


def _consenting(
    project: Project, members: pl.DataFrame, column: str | None, purpose: str | None
) -> tuple[pl.DataFrame, int]:
    """The members whose consent holds today, and how many were left out."""
    if column is None and purpose is None:
        return members, 0
    if column is not None and purpose is not None:
        raise ConfigError(
            "--consent and --consent-purpose both given",
            hint="check a customers column (--consent) or the consent history (--consent-purpose)",
        )
    if column is not None:
        rows = customer_columns(project, [column], asked_by="--consent")
        ok = nw.from_native(rows).select(consented(column)).to_native()[column]
        allowed = rows.filter(ok).select("customer_id")
    else:
        if project.config.sources.consents is None:
            raise ConfigError(
                f"--consent-purpose {purpose}: the project has no consent history",
                hint="add sources.consents (docs/privacy.md), or check a column with --consent",
            )
        allowed = granted_today(project, str(purpose), "__granted").select("customer_id")
    kept = members.join(allowed, on="customer_id", how="semi", maintain_order="left")
    return kept, members.height - kept.height


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
