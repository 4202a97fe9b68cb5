"""A run's alerts as a table shows them: the critical first, each without its own heading."""

from __future__ import annotations

from typing import Any


def alert_rows(alerts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Alerts for a table with level, segmentation and segment columns.

    The critical come first (in their order, then the warnings in theirs): a report of
    twenty alerts put its three critical ones between warnings. A message starts with
    what it is about ("value · Can't Lose Them: 84 → 123 customers"), which the CLI
    needs and a table beside those columns repeats, so that is dropped.

    Examples
    --------
    >>> rows = alert_rows([
    ...     {"level": "warning", "segmentation": "value", "segment": "Lost",
    ...      "message": "value · Lost: 858 → 1,080 customers (+26%)"},
    ...     {"level": "critical", "segmentation": "lifecycle", "segment": "Lapsed",
    ...      "message": "lifecycle · Lapsed: 422 → 982 customers (+133%)"},
    ... ])
    >>> [(r["segment"], r["message"]) for r in rows]
    [('Lapsed', '422 → 982 customers (+133%)'), ('Lost', '858 → 1,080 customers (+26%)')]
    """
    rows = []
    for alert in alerts:
        about = " · ".join(p for p in (alert.get("segmentation"), alert.get("segment")) if p)
        message = str(alert.get("message", ""))
        rows.append({**alert, "message": message.removeprefix(f"{about}: ")})
    return sorted(rows, key=lambda row: row.get("level") != "critical")
