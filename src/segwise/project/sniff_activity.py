"""Activity rules for a generated project: never active, active, lapsing, dormant.

A CRM team works in how long ago customers were last active (a login, a visit,
an event), with "never" as its own group. ``segwise init`` writes these rules
when the data has a last-activity date.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from segwise.features.elapsed import ENGAGEMENT_RECENCY
from segwise.profiling.vocabulary import subject

if TYPE_CHECKING:
    import polars as pl

#: Days since the last sign of activity that read active, and lapsing (beyond: dormant).
ACTIVE_DAYS, LAPSING_DAYS = 30, 90


def activity_rules(features: pl.DataFrame, *, from_events: bool = True) -> list[str]:
    """Rules on how long ago customers were last active: the lifecycle a CRM team works in.

    From the table's own last-activity date (``last_login``) when it has one,
    else (``from_events``) the event log's last event. Thresholds are the usual
    30 and 90 days, not quantiles: a quantile would make a quarter "active"
    whatever happened.

    Examples
    --------
    >>> import polars as pl
    >>> features = pl.DataFrame({"days_since_last_login": [None, *range(0, 200, 5)]})
    >>> [line.strip() for line in activity_rules(features) if "where" in line]
    ['where: "days_since_last_login IS NULL"', 'where: "days_since_last_login <= 30"', \
'where: "days_since_last_login <= 90"']
    """
    dated = [
        c
        for c in features.columns
        if c.startswith("days_since_")
        and re.search(ENGAGEMENT_RECENCY, c)
        and features[c].drop_nulls().len() >= 20
        and (from_events or c != "days_since_last_event")
    ]
    if not dated:
        return []
    column = next((c for c in dated if c != "days_since_last_event"), dated[0])
    # "last login" → login; "last seen" → activity: the descriptions say when, not "last".
    thing = subject(column).removeprefix("last ")
    thing = "activity" if thing.split(" ")[0] in ("seen", "active", "activity") else thing
    lines = [
        "",
        f"  # Activity by {column} (blank: never): the usual 30 and 90 days; change them",
        "  # to your product's rhythm (a monthly bill, a weekly app).",
        "  activity:",
        "    method: rules",
        "    exclusive: true",
        "    other: Dormant",
        "    segments:",
    ]
    if features[column].null_count():
        lines += [
            "      - name: Never active",
            f"        description: No {thing} on record",
            f'        where: "{column} IS NULL"',
            "        priority: 1",
            "        playbook: {messaging: Activation - one first step and why it is worth it}",
        ]
    lines += [
        "      - name: Active",
        f"        description: {thing.capitalize()} within the last {ACTIVE_DAYS} days",
        f'        where: "{column} <= {ACTIVE_DAYS}"',
        "        priority: 2",
        "        playbook: {messaging: Deepen - the next product or feature that fits them}",
        "      - name: Lapsing",
        f"        description: Last {thing} {ACTIVE_DAYS + 1} to {LAPSING_DAYS} days ago",
        f'        where: "{column} <= {LAPSING_DAYS}"',
        "        priority: 3",
        "        playbook: {messaging: Remind them of the value before they go quiet}",
    ]
    return lines
