"""The playbook's memory: every analysed experiment, and what it found in each segment.

``segwise experiment analyze`` records its readout here (the design, the whole
readout as JSON, and one row per segment, variant and metric); ``segwise
experiments`` lists them, and per segment what worked, what hurt and what made
no detectable difference. The latest analysis of an experiment within a
segmentation is the one that counts; earlier ones stay as the record.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

import polars as pl

from segwise.store.schema import table_names
from segwise.store.transaction import transaction

if TYPE_CHECKING:
    from collections.abc import Mapping

    from segwise.store.workspace import Workspace

#: The latest analysis of each experiment within each segmentation.
_LATEST = "QUALIFY analysed_at = max(analysed_at) OVER (PARTITION BY experiment, segmentation)"
#: The findings of those latest analyses only.
_LATEST_FINDINGS = """
    WITH latest AS (
        SELECT experiment, segmentation, max(analysed_at) AS analysed_at
        FROM experiments GROUP BY experiment, segmentation)
    SELECT f.* FROM experiment_findings f JOIN latest USING (experiment, segmentation, analysed_at)
"""


def record(
    store: Workspace,
    segmentation: str,
    readout: Mapping[str, Any],
    design: Mapping[str, Any],
    *,
    at: datetime | None = None,
) -> datetime:
    """Keep one analysis (``readout`` as :meth:`Readout.to_dict` gives it); returns its time."""
    when = (at or datetime.now()).replace(microsecond=0)
    experiment = str(readout["experiment"])
    findings = [
        [
            experiment,
            segmentation,
            when,
            row["segment"],
            row["variant"],
            row["metric"],
            row["n"],
            row["control_n"],
            row["lift"],
            row["ci_low"],
            row["ci_high"],
            row["p_adjusted"],
            row["significant"],
            _finding(row),
        ]
        for row in readout["results"]
    ]
    with store.writing() as connection, transaction(connection):
        connection.execute(
            "INSERT INTO experiments VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                experiment,
                segmentation,
                when,
                readout["control"],
                json.dumps(readout["variants"]),
                bool(readout["srm"]["flagged"]),
                json.dumps(dict(design), default=str),
                json.dumps(dict(readout)),
            ],
        )
        if findings:
            connection.executemany(
                "INSERT INTO experiment_findings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                findings,
            )
    return when


def _finding(row: Mapping[str, Any]) -> str:
    """``worked``, ``hurt`` or ``no effect``: how the playbook files one comparison."""
    if not row["significant"]:
        return "no effect"
    return "worked" if (row["lift"] or 0) > 0 else "hurt"


def analyses(store: Workspace) -> pl.DataFrame:
    """The latest analysis of every experiment, newest first."""
    empty = pl.DataFrame(
        schema={
            "experiment": pl.String,
            "segmentation": pl.String,
            "analysed_at": pl.Datetime("us"),
            "control": pl.String,
            "variants": pl.String,
            "srm_flagged": pl.Boolean,
            "design": pl.String,
        }
    )
    if not store.path.exists():
        return empty
    with store.reading() as connection:
        if "experiments" not in table_names(connection):
            return empty
        table: pl.DataFrame = connection.sql(
            "SELECT experiment, segmentation, analysed_at, control, variants, srm_flagged, "
            f"design FROM experiments {_LATEST} ORDER BY analysed_at DESC, experiment"
        ).pl()
    return table


def findings(
    store: Workspace, *, segment: str | None = None, segmentation: str | None = None
) -> pl.DataFrame:
    """What each experiment's latest analysis found, per segment, variant and metric."""
    if not store.path.exists():
        return pl.DataFrame()
    where, params = [], []
    if segment is not None:
        where.append("segment = ?")
        params.append(segment)
    if segmentation is not None:
        where.append("segmentation = ?")
        params.append(segmentation)
    clause = f"WHERE {' AND '.join(where)} " if where else ""
    with store.reading() as connection:
        if "experiment_findings" not in table_names(connection):
            return pl.DataFrame()
        table: pl.DataFrame = connection.sql(
            f"{_LATEST_FINDINGS} {clause}ORDER BY segment, experiment, variant, metric",
            params=params or None,
        ).pl()
    return table


def readouts(store: Workspace) -> list[dict[str, Any]]:
    """The latest readout of every experiment (as analysed), newest first."""
    if not store.path.exists():
        return []
    with store.reading() as connection:
        if "experiments" not in table_names(connection):
            return []
        rows = connection.execute(
            "SELECT segmentation, analysed_at, readout FROM experiments "
            f"{_LATEST} ORDER BY analysed_at DESC, experiment"
        ).fetchall()
    return [
        {**json.loads(readout), "segmentation": segmentation, "analysed_at": str(analysed_at)}
        for segmentation, analysed_at, readout in rows
    ]
