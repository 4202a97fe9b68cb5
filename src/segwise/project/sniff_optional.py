"""The methods a project written for an orders export offers commented out, ready to switch on.

``segwise init`` on the sample data writes propensity, lookalike and hybrid segmentations
commented out beside the four it runs; ``segwise init --transactions`` on a user's own
orders wrote only the four, so the other methods were found in the docs or not at all.
These blocks are written for the data: propensity says whether the orders span enough
quarters to learn from, and the hybrid clusters the repeat buyers on the features the
project's own clustering reads. Lookalike is left to the docs: a seed drawn by rules on
order features is found again by those features (``LookalikeWarning``), and an orders
export alone has no others to look alike on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from segwise.project.yaml_values import yaml_text

if TYPE_CHECKING:
    from collections.abc import Sequence

#: The propensity block's window: who is likely to stop buying in the next quarter.
HORIZON_DAYS = 90
#: Weeks of orders a propensity segmentation learns from comfortably: its window and a year
#: of cut-offs before it (fewer work, with a warning on the run).
COMFORTABLE_WEEKS = 65


def optional_blocks(span_weeks: float, cluster_features: Sequence[str]) -> list[str]:
    """Commented-out propensity and hybrid segmentations for an orders export.

    Examples
    --------
    >>> lines = optional_blocks(53.0, ["recency_days", "orders", "net_revenue"])
    >>> [line.split("method: ")[1] for line in lines if "method:" in line]
    ['propensity', 'hybrid', 'cluster']
    """
    history = (
        [f"  # The orders span {span_weeks:.0f} weeks: enough to learn from."]
        if span_weeks >= COMFORTABLE_WEEKS
        else [
            f"  # The orders span {span_weeks:.0f} weeks: it learns from fewer past quarters",
            "  # than a year's, and the run says so.",
        ]
    )
    features = ", ".join(yaml_text(f) for f in cluster_features)
    return [
        "",
        '  # The other methods, ready to switch on: remove the leading "# " of a block.',
        f"  # Propensity: who is likely to stop buying in the next {HORIZON_DAYS} days, learnt",
        "  # from past quarters and backtested on the latest one (docs/propensity.md).",
        *history,
        "  # churn:",
        "  #   method: propensity",
        "  #   outcome: churn",
        f"  #   horizon_days: {HORIZON_DAYS}",
        "  #",
        "  # Hybrid: rules first, then another method inside a rule segment; here the repeat",
        "  # buyers are clustered on their own (docs/project.md).",
        "  # repeat_buyers:",
        "  #   method: hybrid",
        "  #   other: One-time buyers",
        "  #   segments:",
        '  #     - {name: Repeat buyers, where: "orders >= 2"}',
        "  #   within:",
        "  #     Repeat buyers:",
        "  #       method: cluster",
        f"  #       features: [{features}]",
        "  #       k: auto",
        "  #       model: models/repeat_buyers.json",
    ]
