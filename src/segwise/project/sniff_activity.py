"""Activity rules for a generated project: by last activity, and activity against orders.

A CRM team works in how long ago customers were last active (a login, a visit,
an event), with "never" as its own group: ``segwise init`` writes these rules
when the customer table has a last-activity date. With an event log beside the
orders it writes the groups a team acts on first: cart abandoners, engaged
customers who stopped buying, and engaged buyers.
"""

from __future__ import annotations

import re

import polars as pl

from segwise.features.elapsed import ENGAGEMENT_RECENCY
from segwise.profiling.vocabulary import subject
from segwise.project.yaml_values import Candidate, readable, rule_lines

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


#: An event that shows intent to buy, strongest first (its ``<event>_7d`` count is a feature).
_INTENT = ("checkout", "cart", "basket")
#: A rule holding less than this share of customers is left out.
MIN_SHARE = 0.02


def engagement_rules(features: pl.DataFrame) -> tuple[list[str], list[str]]:
    """Rules that read the event log against the orders, and notes on rules left out.

    Cart abandoners (an intent event in the last 7 days, no order since),
    engaged customers who stopped buying (active in the last 30 days, no order
    for over twice the typical time between orders), engaged buyers, and those
    with no activity on record; the rest are quiet. Each rule is kept only when
    it holds at least :data:`MIN_SHARE` of the customers it would get.

    Examples
    --------
    >>> features = pl.DataFrame({
    ...     "recency_days": [3, 20, 200, 10, None], "orders": [4, 2, 3, 5, 0],
    ...     "inter_purchase_mean_days": [30.0, 40.0, 50.0, 20.0, None],
    ...     "add_to_cart_7d": [0, 2, 0, 0, 1], "days_since_last_event": [1, 2, 5, None, 3]})
    >>> lines, _ = engagement_rules(features)
    >>> [line.split(": ", 1)[1].strip('"') for line in lines if "name:" in line]
    ['Cart abandoners', 'Engaged, not buying', 'Engaged buyers', 'No activity on record']
    """
    if "days_since_last_event" not in features.columns or "recency_days" not in features:
        return [], []
    rules, notes = rule_lines(features, _candidates(features), MIN_SHARE)
    if not rules:
        return [], notes
    return [
        "",
        "  # The event log against the orders: act on intent before it cools, and on attention",
        "  # that no longer turns into orders. Windows are days; change them to your rhythm.",
        "  engagement:",
        "    method: rules",
        "    exclusive: true",
        "    other: Quiet",
        "    segments:",
        *rules,
    ], notes


def _candidates(features: pl.DataFrame) -> list[Candidate]:
    """Each rule: name, description, condition text, playbook, and the condition in Polars."""
    never_bought = pl.col("recency_days").is_null() | (pl.col("orders") == 0)
    out: list[Candidate] = []
    intent = next(
        (
            c
            for word in _INTENT
            for c in sorted(features.columns)
            if word in c and c.endswith("_7d")
        ),
        None,
    )
    if intent is not None:
        thing = intent.removesuffix("_7d").replace("_", " ")
        out.append(
            (
                "Cart abandoners",
                f"{thing.capitalize()} in the last 7 days, and no order since",
                f"{intent} >= 1 AND (recency_days >= 7 OR orders = 0)",
                "A reminder of what they left, within a day or two, with one reason to buy now",
                (pl.col(intent) >= 1) & ((pl.col("recency_days") >= 7) | never_bought),
            )
        )
    active = pl.col("days_since_last_event") <= ACTIVE_DAYS
    repeat = features.filter(pl.col("orders") >= 2)
    cycles = repeat.get_column("inter_purchase_mean_days", default=pl.Series([], dtype=pl.Float64))
    cycle = cycles.median()
    quiet = 0
    if isinstance(cycle, int | float) and cycle > 0:
        quiet = int(max(ACTIVE_DAYS, readable(2 * cycle)))
        out.append(
            (
                "Engaged, not buying",
                f"Active in the last {ACTIVE_DAYS} days, but no order for over {quiet} days "
                "(twice the typical time between orders)",
                f"days_since_last_event <= {ACTIVE_DAYS} AND "
                f"(recency_days > {quiet} OR orders = 0)",
                "Turn attention into an order: a personal offer on what they look at now",
                active & ((pl.col("recency_days") > quiet) | never_bought),
            )
        )
    buying = f"ordering within {quiet} days" if quiet else "buying"
    out += [
        (
            "Engaged buyers",
            f"Active in the last {ACTIVE_DAYS} days and {buying}",
            f"days_since_last_event <= {ACTIVE_DAYS}",
            "Deepen: the next product that fits them, where they already engage",
            active,
        ),
        (
            "No activity on record",
            "Not in the event log (buying offline, or never signed in)",
            "days_since_last_event IS NULL",
            "Reach them where they buy: invite them to sign up at their next order",
            pl.col("days_since_last_event").is_null(),
        ),
    ]
    return out
